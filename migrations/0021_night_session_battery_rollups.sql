-- Per-night, per-session and per-day aggregates for long dashboard ranges
-- (issue #15): with every row open, the nightly heart-rate and HRV curves,
-- the session series and the ring battery read one row per night, session
-- or day instead of every sample. Kept current by the writer in the same
-- batch as the samples (src/services/writer/rollups.rs); filled here from
-- what is already stored.

-- One row per series and document: a night's sleep heart rate or HRV
-- (document_series), a session's heart rate or HRV (session_series). The
-- key serves "this series over this time range" by the first sample.
CREATE TABLE IF NOT EXISTS series_summaries (
    series TEXT NOT NULL,
    start_timestamp TEXT NOT NULL,
    document_id TEXT NOT NULL,
    end_timestamp TEXT NOT NULL,
    min_value REAL,
    avg_value REAL,
    max_value REAL,
    samples INTEGER NOT NULL,
    PRIMARY KEY (series, start_timestamp, document_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO series_summaries
    (series, start_timestamp, document_id, end_timestamp, min_value, avg_value, max_value, samples)
SELECT series, MIN(timestamp), document_id, MAX(timestamp), MIN(value), AVG(value), MAX(value), COUNT(value)
FROM document_series WHERE series IN ('sleep.heart_rate', 'sleep.hrv')
GROUP BY series, document_id;
INSERT OR IGNORE INTO series_summaries
    (series, start_timestamp, document_id, end_timestamp, min_value, avg_value, max_value, samples)
SELECT series, MIN(timestamp), document_id, MAX(timestamp), MIN(value), AVG(value), MAX(value), COUNT(value)
FROM session_series WHERE series IN ('session.heart_rate', 'session.hrv')
GROUP BY series, document_id;

-- Ring battery per UTC day.
CREATE TABLE IF NOT EXISTS ring_battery_daily (
    day TEXT PRIMARY KEY,
    min_level INTEGER,
    avg_level REAL,
    max_level INTEGER,
    charging INTEGER,
    samples INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO ring_battery_daily (day, min_level, avg_level, max_level, charging, samples)
SELECT substr(timestamp, 1, 10), MIN(level), AVG(level), MAX(level), MAX(charging), COUNT(*)
FROM ring_battery_levels WHERE timestamp IS NOT NULL GROUP BY 1;
