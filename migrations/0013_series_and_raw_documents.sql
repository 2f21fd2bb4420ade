-- Series inside documents, one row per sample, so Grafana plots them directly:
-- sleep heart rate and HRV (5-minute), session heart rate, HRV and motion.
-- `timestamp` is UTC (`YYYY-MM-DDTHH:MM:SSZ`) so it sorts across time zones.
-- The key serves "this series over this time range"; no rowid, no extra index.
CREATE TABLE IF NOT EXISTS document_series (
    series TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    document_id TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (series, timestamp, document_id)
) WITHOUT ROWID;

-- Every document as Oura sent it, so nothing is ever discarded (collections
-- without a typed table, fields without a column). Time series rows
-- (heartrate, ring_battery_level) are their own raw form and are not repeated.
-- `updated_at` changes only when the document does.
CREATE TABLE IF NOT EXISTS oura_documents (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    day TEXT,
    json TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_oura_documents_day ON oura_documents(collection, day);

-- Activity MET (1,440 one-minute values a day) stays inside the raw document:
-- a year as rows would cost half a million written rows. This view unrolls it.
CREATE VIEW IF NOT EXISTS activity_met AS
SELECT
    d.day AS day,
    strftime('%Y-%m-%dT%H:%M:%SZ', json_extract(d.json, '$.met.timestamp'),
             '+' || (CAST(m.key AS INTEGER) * CAST(json_extract(d.json, '$.met.interval') AS INTEGER)) || ' seconds') AS timestamp,
    m.value AS met
FROM oura_documents AS d, json_each(d.json, '$.met.items') AS m
WHERE d.collection = 'daily_activity';
