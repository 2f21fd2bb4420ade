-- table_stats becomes exact and current: the writer adjusts counts in the same
-- batch as each write. Start every table we maintain from its true numbers once.
INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'daily_summaries', MIN(day), MAX(day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM daily_summaries
UNION ALL SELECT 'heart_rate_samples', substr(MIN(timestamp), 1, 10), substr(MAX(timestamp), 1, 10), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM heart_rate_samples
UNION ALL SELECT 'sleep_episodes', MIN(day), MAX(day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM sleep_episodes
UNION ALL SELECT 'activity_logs', substr(MIN(start_datetime), 1, 10), substr(MAX(start_datetime), 1, 10), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM activity_logs
UNION ALL SELECT 'enhanced_tags', MIN(start_day), MAX(start_day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM enhanced_tags
UNION ALL SELECT 'rest_mode_periods', MIN(start_day), MAX(start_day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM rest_mode_periods
UNION ALL SELECT 'ring_battery_levels', NULL, NULL, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now')
UNION ALL SELECT 'ring_configurations', NULL, NULL, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now')
UNION ALL SELECT 'personal_info', NULL, NULL, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now')
UNION ALL SELECT 'tags', NULL, NULL, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now')
UNION ALL SELECT 'document_series', NULL, NULL, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now')
UNION ALL SELECT 'oura_documents', NULL, NULL, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now')
ON CONFLICT(resource) DO UPDATE SET
    min_day = excluded.min_day,
    max_day = excluded.max_day,
    record_count = excluded.record_count,
    updated_at = excluded.updated_at;
