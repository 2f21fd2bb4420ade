-- Frugal writes and reads (docs/decisions.md, "Indexes the dashboard needs",
-- "heart_rate_daily", "Session series from the raw document").
-- D1 counts every index entry written as a written row, so an index that no
-- query needs is paid for on every insert and update.

-- The primary key's index already serves every timestamp range; this one
-- made each heart-rate sample cost 3 written rows instead of 2.
DROP INDEX IF EXISTS idx_hr_timestamp_bpm;
-- daily_summaries holds one row per day: its key (day) serves the ranges and
-- "latest non-null" lookups as well as these partial indexes did.
DROP INDEX IF EXISTS idx_daily_readiness;
DROP INDEX IF EXISTS idx_daily_sleep;
DROP INDEX IF EXISTS idx_daily_activity;
DROP INDEX IF EXISTS idx_daily_stress;
-- Prefixes of idx_sleep_episodes_day_type and idx_activity_logs_type_start.
DROP INDEX IF EXISTS idx_sleep_episodes_day;
DROP INDEX IF EXISTS idx_activity_logs_type;
-- No query filters sleep episodes by start time.
DROP INDEX IF EXISTS idx_sleep_episodes_start_datetime;
-- table_stats has a dozen rows, and updated_at changes on every write batch.
DROP INDEX IF EXISTS idx_table_stats_updated;

-- The read route filters and orders documents by COALESCE(day, ''): index
-- exactly that (a WITHOUT ROWID index ends with the key, so `id` is in it).
DROP INDEX IF EXISTS idx_oura_documents_day;
CREATE INDEX IF NOT EXISTS idx_oura_documents_day ON oura_documents(collection, COALESCE(day, ''));
DROP VIEW IF EXISTS activity_met;
CREATE VIEW activity_met AS
SELECT
    COALESCE(d.day, '') AS day,
    strftime('%Y-%m-%dT%H:%M:%SZ', json_extract(d.json, '$.met.timestamp'),
             '+' || (CAST(m.key AS INTEGER) * CAST(json_extract(d.json, '$.met.interval') AS INTEGER)) || ' seconds') AS timestamp,
    m.value AS met
FROM oura_documents AS d, json_each(d.json, '$.met.items') AS m
WHERE d.collection = 'daily_activity';

-- ring_battery_levels without a rowid: one written row per reading instead
-- of two (row + key index). Created by 0012, so the copy is empty on every
-- database upgraded from oura-cf.
CREATE TABLE IF NOT EXISTS ring_battery_levels_keyed (
    timestamp TEXT NOT NULL PRIMARY KEY,
    level INTEGER,
    charging INTEGER,
    in_charger INTEGER
) WITHOUT ROWID;
INSERT OR IGNORE INTO ring_battery_levels_keyed (timestamp, level, charging, in_charger)
SELECT timestamp, level, charging, in_charger FROM ring_battery_levels WHERE timestamp IS NOT NULL;
DROP TABLE ring_battery_levels;
ALTER TABLE ring_battery_levels_keyed RENAME TO ring_battery_levels;

-- Daily heart rate per source, maintained by the writer in the same batch as
-- the samples (src/services/writer/rollups.rs): a two-year panel reads
-- ~3,000 rows instead of ~200,000. Filled from the samples already stored.
CREATE TABLE IF NOT EXISTS heart_rate_daily (
    day TEXT NOT NULL,
    source TEXT NOT NULL,
    min_bpm INTEGER,
    avg_bpm REAL,
    max_bpm INTEGER,
    samples INTEGER NOT NULL,
    PRIMARY KEY (day, source)
) WITHOUT ROWID;
INSERT OR IGNORE INTO heart_rate_daily (day, source, min_bpm, avg_bpm, max_bpm, samples)
SELECT substr(timestamp, 1, 10), COALESCE(source, 'unknown'), MIN(bpm), AVG(bpm), MAX(bpm), COUNT(*)
FROM heart_rate_samples WHERE timestamp IS NOT NULL GROUP BY 1, 2;

-- Session series (5-second heart rate, HRV and motion) are read from the raw
-- session document instead of being stored a second time as rows: ~650
-- written rows per session saved, same rows read by a panel.
DELETE FROM document_series WHERE series >= 'session.' AND series < 'session/';
UPDATE table_stats SET
    record_count = (SELECT COUNT(*) FROM document_series),
    min_day = (SELECT substr(MIN(timestamp), 1, 10) FROM document_series),
    max_day = (SELECT substr(MAX(timestamp), 1, 10) FROM document_series)
WHERE resource = 'document_series' AND changes() > 0;

CREATE VIEW IF NOT EXISTS session_series AS
SELECT COALESCE(d.day, '') AS day, 'session.heart_rate' AS series,
       strftime('%Y-%m-%dT%H:%M:%SZ', json_extract(d.json, '$.heart_rate.timestamp'),
                '+' || (CAST(s.key AS INTEGER) * json_extract(d.json, '$.heart_rate.interval')) || ' seconds') AS timestamp,
       d.id AS document_id, s.value AS value
FROM oura_documents AS d, json_each(d.json, '$.heart_rate.items') AS s
WHERE d.collection = 'session' AND s.value IS NOT NULL
UNION ALL
SELECT COALESCE(d.day, ''), 'session.hrv',
       strftime('%Y-%m-%dT%H:%M:%SZ', json_extract(d.json, '$.heart_rate_variability.timestamp'),
                '+' || (CAST(s.key AS INTEGER) * json_extract(d.json, '$.heart_rate_variability.interval')) || ' seconds'),
       d.id, s.value
FROM oura_documents AS d, json_each(d.json, '$.heart_rate_variability.items') AS s
WHERE d.collection = 'session' AND s.value IS NOT NULL
UNION ALL
SELECT COALESCE(d.day, ''), 'session.motion_count',
       strftime('%Y-%m-%dT%H:%M:%SZ', json_extract(d.json, '$.motion_count.timestamp'),
                '+' || (CAST(s.key AS INTEGER) * json_extract(d.json, '$.motion_count.interval')) || ' seconds'),
       d.id, s.value
FROM oura_documents AS d, json_each(d.json, '$.motion_count.items') AS s
WHERE d.collection = 'session' AND s.value IS NOT NULL;
