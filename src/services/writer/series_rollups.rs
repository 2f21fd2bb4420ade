//! The per-night, per-session and per-day aggregates of migration 0021, in
//! `rollups`' terms (`?1` first day, `?2` the run's end bound `<last day>~`).
//!
//! A night's samples span two UTC days and a session's local `day` may
//! differ from its UTC day, so recomputing a document reads a window one
//! day wider on each side than the days written: every document touching
//! the written days lies inside it (nights and sessions are under a day).

use super::rollups::Rollup;

/// Sleep heart rate and HRV per night (`document_series` → `series_summaries`).
/// A summary row is stale once its first sample is gone, or once the sample
/// just before it is the same document's (the night now starts earlier):
/// one key lookup each, as nights of one series do not overlap. The upsert
/// then writes the new one.
pub static SLEEP_SERIES: Rollup = Rollup {
    source: "document_series",
    day_column: "timestamp",
    only: Some(("series", &["sleep.heart_rate", "sleep.hrv"])),
    upsert: "INSERT INTO series_summaries (series, start_timestamp, document_id, end_timestamp, \
             min_value, avg_value, max_value, samples) \
             SELECT series, MIN(timestamp), document_id, MAX(timestamp), MIN(value), AVG(value), MAX(value), COUNT(value) \
             FROM document_series WHERE series IN ('sleep.heart_rate', 'sleep.hrv') \
             AND timestamp >= date(?1, '-1 day') AND timestamp < date(substr(?2, 1, 10), '+2 day') \
             AND document_id IN (SELECT document_id FROM document_series \
             WHERE series IN ('sleep.heart_rate', 'sleep.hrv') AND timestamp >= ?1 AND timestamp < ?2) \
             GROUP BY series, document_id \
             ON CONFLICT (series, start_timestamp, document_id) DO UPDATE SET \
             end_timestamp = excluded.end_timestamp, min_value = excluded.min_value, \
             avg_value = excluded.avg_value, max_value = excluded.max_value, samples = excluded.samples \
             WHERE (series_summaries.end_timestamp, series_summaries.min_value, series_summaries.avg_value, \
             series_summaries.max_value, series_summaries.samples) \
             IS NOT (excluded.end_timestamp, excluded.min_value, excluded.avg_value, excluded.max_value, excluded.samples)",
    prune: "DELETE FROM series_summaries WHERE series IN ('sleep.heart_rate', 'sleep.hrv') \
            AND start_timestamp >= date(?1, '-1 day') AND start_timestamp < ?2 \
            AND (NOT EXISTS (SELECT 1 FROM document_series s WHERE s.series = series_summaries.series \
            AND s.timestamp = series_summaries.start_timestamp AND s.document_id = series_summaries.document_id) \
            OR (SELECT s.document_id FROM document_series s WHERE s.series = series_summaries.series \
            AND s.timestamp < series_summaries.start_timestamp ORDER BY s.timestamp DESC LIMIT 1) \
            = series_summaries.document_id)",
};

/// Session heart rate and HRV per session (`session_series`, the raw
/// session documents, → `series_summaries`), by the documents' `day`.
pub static SESSION_SERIES: Rollup = Rollup {
    source: "oura_documents",
    day_column: "day",
    only: Some(("collection", &["session"])),
    upsert: "INSERT INTO series_summaries (series, start_timestamp, document_id, end_timestamp, \
             min_value, avg_value, max_value, samples) \
             SELECT series, MIN(timestamp), document_id, MAX(timestamp), MIN(value), AVG(value), MAX(value), COUNT(value) \
             FROM session_series WHERE series IN ('session.heart_rate', 'session.hrv') \
             AND day >= ?1 AND day < ?2 GROUP BY series, document_id \
             ON CONFLICT (series, start_timestamp, document_id) DO UPDATE SET \
             end_timestamp = excluded.end_timestamp, min_value = excluded.min_value, \
             avg_value = excluded.avg_value, max_value = excluded.max_value, samples = excluded.samples \
             WHERE (series_summaries.end_timestamp, series_summaries.min_value, series_summaries.avg_value, \
             series_summaries.max_value, series_summaries.samples) \
             IS NOT (excluded.end_timestamp, excluded.min_value, excluded.avg_value, excluded.max_value, excluded.samples)",
    // Rows of sessions no longer stored. Unrolling the raw documents again
    // to compare would read every value of the sessions around (a session's
    // recorded samples do not change, so its first sample stays put).
    prune: "DELETE FROM series_summaries WHERE series IN ('session.heart_rate', 'session.hrv') \
            AND start_timestamp >= date(?1, '-1 day') AND start_timestamp < date(substr(?2, 1, 10), '+2 day') \
            AND NOT EXISTS (SELECT 1 FROM oura_documents d WHERE d.collection = 'session' \
            AND d.id = series_summaries.document_id)",
};

/// Ring battery per UTC day (`ring_battery_levels` → `ring_battery_daily`).
pub static RING_BATTERY_DAILY: Rollup = Rollup {
    source: "ring_battery_levels",
    day_column: "timestamp",
    only: None,
    upsert: "INSERT INTO ring_battery_daily (day, min_level, avg_level, max_level, charging, samples) \
             SELECT substr(timestamp, 1, 10), MIN(level), AVG(level), MAX(level), MAX(charging), COUNT(*) \
             FROM ring_battery_levels WHERE timestamp >= ?1 AND timestamp < ?2 GROUP BY 1 \
             ON CONFLICT (day) DO UPDATE SET min_level = excluded.min_level, avg_level = excluded.avg_level, \
             max_level = excluded.max_level, charging = excluded.charging, samples = excluded.samples \
             WHERE (ring_battery_daily.min_level, ring_battery_daily.avg_level, ring_battery_daily.max_level, \
             ring_battery_daily.charging, ring_battery_daily.samples) \
             IS NOT (excluded.min_level, excluded.avg_level, excluded.max_level, excluded.charging, excluded.samples)",
    prune: "DELETE FROM ring_battery_daily WHERE day >= ?1 AND day < ?2 \
            AND day NOT IN (SELECT substr(timestamp, 1, 10) FROM ring_battery_levels \
            WHERE timestamp >= ?1 AND timestamp < ?2)",
};
