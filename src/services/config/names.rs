//! The one list of settings: every secret and var the worker reads, and the
//! default of each that has one. docs/configuration.md documents exactly
//! these (`tests/docs_config.rs`).

use std::collections::BTreeMap;

/// Every secret and var the worker reads (README's configuration table).
pub const NAMES: &[&str] = &[
    "GRAFANA_SECRET",
    "ADMIN_SECRET",
    "ALLOWED_ORIGINS",
    "ACCESS_TEAM_DOMAIN",
    "ACCESS_AUD",
    "OURA_CLIENT_ID",
    "OURA_CLIENT_SECRET",
    "OURA_SCOPES",
    "OURA_API_BASE_URL",
    "OURA_AUTHORIZE_URL",
    "OURA_TOKEN_URL",
    "OURA_DOCS_URL",
    "OURA_WEBHOOK_CALLBACK_URL",
    "OURA_WEBHOOK_VERIFICATION_TOKEN",
    "OURA_WEBHOOK_SIGNING_SECRET",
    "OURA_WEBHOOK_ALLOWED_SKEW_SECONDS",
    "OURA_WEBHOOK_DATA_TYPES",
    "OURA_WEBHOOK_EVENT_TYPES",
    "OURA_WEBHOOK_RETRY_BASE_SECONDS",
    "MAX_QUERY_ROWS",
    "QUERY_TIMEOUT_MS",
    "LOG_SQL_PREVIEW",
    "SYNC_CRON",
    "USAGE_FLUSH_SECONDS",
    "D1_DAILY_WRITE_BUDGET",
    "D1_QUERIES_PER_INVOCATION",
    "USAGE_QUOTA_D1_ROWS_READ",
    "USAGE_QUOTA_D1_ROWS_WRITTEN",
    "USAGE_QUOTA_D1_QUERIES",
    "USAGE_QUOTA_KV_READS",
    "USAGE_QUOTA_KV_WRITES",
    "USAGE_QUOTA_KV_DELETES",
    "USAGE_QUOTA_KV_LISTS",
    "USAGE_QUOTA_REQUESTS",
    "USAGE_QUOTA_ANALYTICS_POINTS",
    "USAGE_QUOTA_QUEUE_OPERATIONS",
    "SQL_READ_SHARE_PERCENT",
];

/// Values used when a setting is not configured (decisions.md, spec §2.1).
pub const DEFAULTS: &[(&str, &str)] = &[
    ("OURA_API_BASE_URL", "https://api.ouraring.com"),
    ("OURA_AUTHORIZE_URL", "https://cloud.ouraring.com/oauth/authorize"),
    ("OURA_TOKEN_URL", "https://api.ouraring.com/oauth/token"),
    ("OURA_DOCS_URL", "https://cloud.ouraring.com/v2/docs"),
    (
        "OURA_SCOPES",
        "email personal daily heartrate workout tag session spo2 stress heart_health ring_configuration",
    ),
    ("OURA_WEBHOOK_ALLOWED_SKEW_SECONDS", "300"),
    ("OURA_WEBHOOK_RETRY_BASE_SECONDS", "30"),
    ("MAX_QUERY_ROWS", "50000"),
    ("QUERY_TIMEOUT_MS", "7000"),
    ("LOG_SQL_PREVIEW", "true"),
    ("SQL_READ_SHARE_PERCENT", "70"),
    // The schedule in wrangler.toml's `[triggers]`.
    ("SYNC_CRON", "0 */2 * * *"),
    ("USAGE_FLUSH_SECONDS", "60"),
    // A safe share of the free 100,000 written rows a day, leaving room for
    // the cron, webhooks and one backfill window's overshoot.
    ("D1_DAILY_WRITE_BUDGET", "80000"),
    // The Workers Free plan's limits, per invocation and per UTC day.
    ("D1_QUERIES_PER_INVOCATION", "50"),
    ("USAGE_QUOTA_D1_ROWS_READ", "5000000"),
    ("USAGE_QUOTA_D1_ROWS_WRITTEN", "100000"),
    ("USAGE_QUOTA_KV_READS", "100000"),
    ("USAGE_QUOTA_KV_WRITES", "1000"),
    ("USAGE_QUOTA_KV_DELETES", "1000"),
    ("USAGE_QUOTA_KV_LISTS", "1000"),
    ("USAGE_QUOTA_REQUESTS", "100000"),
    ("USAGE_QUOTA_ANALYTICS_POINTS", "100000"),
    ("USAGE_QUOTA_QUEUE_OPERATIONS", "10000"),
];

/// The configured values, with the defaults above behind them.
pub struct Settings<'a>(pub &'a BTreeMap<String, String>);

impl<'a> Settings<'a> {
    /// The configured value (non-empty, trimmed), if any.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).map(String::as_str)
    }

    /// The configured value, else the documented default.
    pub fn get_or_default(&self, name: &str) -> Option<&'a str> {
        self.get(name).or_else(|| default_of(name))
    }
}

/// `parse` of the configured value, else of the documented default: a value
/// the code cannot use falls back to the default, never to a second one.
pub fn parsed_or_default<T>(
    configured: Option<&str>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    configured
        .and_then(&parse)
        .or_else(|| default_of(name).and_then(parse))
}

/// The documented default of a setting, if it has one.
pub fn default_of(name: &str) -> Option<&'static str> {
    DEFAULTS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}
