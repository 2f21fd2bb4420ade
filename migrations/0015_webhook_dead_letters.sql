-- Webhook queue messages that could not be processed: after the last retry,
-- or at once when no retry can help (malformed message, Oura 4xx). Kept so
-- nothing disappears silently; inspect, fix, and re-sync the affected days.
CREATE TABLE IF NOT EXISTS webhook_dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    event_type TEXT,
    data_type TEXT,
    object_id TEXT,
    event_time TEXT,
    user_id TEXT,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    message TEXT NOT NULL
);

-- Delivery freshness per webhook data type, for /health and /status: one
-- upsert per data type per queue batch (D1 writes are cheap; KV's free tier
-- allows only 1,000 a day).
CREATE TABLE IF NOT EXISTS webhook_freshness (
    data_type TEXT PRIMARY KEY,
    last_event_time TEXT,
    last_event_type TEXT,
    last_object_id TEXT,
    last_processed_at TEXT,
    lag_seconds REAL,
    processed INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_at TEXT
);
