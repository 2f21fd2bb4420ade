//! Facts about the database schema that code outside `migrations/` needs.

/// Tables Grafana (`/api/sql`) and the read routes may read. The OAuth
/// tables, `d1_migrations`, `sqlite_*` and `_cf_*` are deliberately absent.
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
];
