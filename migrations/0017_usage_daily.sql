-- The usage meter: what the worker spent per UTC day, beside the free-tier
-- quotas (/api/db/info, /status, /health). Counts are added by upserts that
-- carry many invocations at once (see src/services/usage), so the meter costs
-- about one written row per flush. WITHOUT ROWID: the day is the only b-tree,
-- so an upsert writes one row and no index entry.
CREATE TABLE IF NOT EXISTS usage_daily (
    day TEXT PRIMARY KEY,
    d1_rows_read INTEGER NOT NULL DEFAULT 0,
    d1_rows_written INTEGER NOT NULL DEFAULT 0,
    d1_queries INTEGER NOT NULL DEFAULT 0,
    d1_max_queries_per_invocation INTEGER NOT NULL DEFAULT 0,
    kv_reads INTEGER NOT NULL DEFAULT 0,
    kv_writes INTEGER NOT NULL DEFAULT 0,
    kv_deletes INTEGER NOT NULL DEFAULT 0,
    kv_lists INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    analytics_points INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
