//! Facts about the database schema that code outside `migrations/` needs.

/// Tables Grafana (`/api/sql`) and the read routes may read. The OAuth
/// tables, `d1_migrations`, `sqlite_*` and `_cf_*` are deliberately absent.
/// `(table, column)`: readable tables whose column alone is unique (a
/// single-column primary key). The SQL guard lets a join multiply rows only
/// through such a key; `tests/sql_guard.rs` checks the list against the schema.
pub const UNIQUE_KEYS: &[(&str, &str)] = &[
    ("daily_summaries", "day"),
    ("heart_rate_samples", "timestamp"),
    ("sleep_episodes", "id"),
    ("activity_logs", "id"),
    ("enhanced_tags", "id"),
    ("rest_mode_periods", "id"),
    ("table_stats", "resource"),
    ("ring_battery_levels", "timestamp"),
    ("ring_configurations", "id"),
    ("personal_info", "id"),
    ("tags", "id"),
    ("ring_battery_daily", "day"),
];

pub const READABLE_TABLES: &[&str] = &[
    // The original's tables (kept so its dashboards keep working).
    "daily_summaries",
    "heart_rate_samples",
    "sleep_episodes",
    "activity_logs",
    "enhanced_tags",
    "rest_mode_periods",
    "table_stats",
    // Added by oura-edge (migrations 0011+).
    "ring_battery_levels",
    "ring_configurations",
    "personal_info",
    "tags",
    "document_series",
    "oura_documents",
    "activity_met",
    "heart_rate_daily",
    "session_series",
    // Per-night, per-session and per-day aggregates (migration 0021).
    "series_summaries",
    "ring_battery_daily",
];
