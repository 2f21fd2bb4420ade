-- table_stats becomes exact and current: the writer adjusts counts in the same
-- batch as each write. Start every table we maintain from its true numbers once.
-- (One statement per table: D1 limits the terms of a compound SELECT.)

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'daily_summaries', MIN(day), MAX(day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM daily_summaries WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'heart_rate_samples', substr(MIN(timestamp), 1, 10), substr(MAX(timestamp), 1, 10), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM heart_rate_samples WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'sleep_episodes', MIN(day), MAX(day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM sleep_episodes WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'activity_logs', substr(MIN(start_datetime), 1, 10), substr(MAX(start_datetime), 1, 10), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM activity_logs WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'enhanced_tags', MIN(start_day), MAX(start_day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM enhanced_tags WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'rest_mode_periods', MIN(start_day), MAX(start_day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM rest_mode_periods WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'ring_battery_levels', substr(MIN(timestamp), 1, 10), substr(MAX(timestamp), 1, 10), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM ring_battery_levels WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'ring_configurations', substr(MIN(set_up_at), 1, 10), substr(MAX(set_up_at), 1, 10), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM ring_configurations WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'personal_info', NULL, NULL, COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM personal_info WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'tags', MIN(day), MAX(day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM tags WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'document_series', substr(MIN(timestamp), 1, 10), substr(MAX(timestamp), 1, 10), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM document_series WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;

INSERT INTO table_stats (resource, min_day, max_day, record_count, updated_at)
SELECT 'oura_documents', MIN(day), MAX(day), COUNT(*), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM oura_documents WHERE true
ON CONFLICT(resource) DO UPDATE SET min_day = excluded.min_day, max_day = excluded.max_day,
    record_count = excluded.record_count, updated_at = excluded.updated_at;
