//! Configuration from the Worker's secrets and vars, parsed once per request
//! into typed values. Every name the worker reads is listed in `NAMES`.

use crate::services::tokens::{digest, Digest};
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
];

/// Cloudflare Access settings; present only when both values are set.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessConfig {
    /// Team domain without scheme, e.g. `myteam.cloudflareaccess.com`.
    pub team_domain: String,
    /// Accepted application audience tags.
    pub audiences: Vec<String>,
}

impl AccessConfig {
    pub fn issuer(&self) -> String {
        format!("https://{}", self.team_domain)
    }
    pub fn certs_url(&self) -> String {
        format!("https://{}/cdn-cgi/access/certs", self.team_domain)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub version: &'static str,
    pub grafana_token: Option<Digest>,
    pub admin_token: Option<Digest>,
    pub allowed_origins: Vec<String>,
    pub access: Option<AccessConfig>,
    /// Every non-empty value read, trimmed, for settings later modules parse.
    pub raw: BTreeMap<String, String>,
}

/// The crate version, reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

impl Config {
    /// Builds the configuration from a lookup (the Worker `Env`, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Config {
        let raw: BTreeMap<String, String> = NAMES
            .iter()
            .filter_map(|name| {
                let v = lookup(name)?;
                let v = v.trim();
                (!v.is_empty()).then(|| (name.to_string(), v.to_string()))
            })
            .collect();
        // Tokens are compared exactly as sent, so they are not trimmed.
        let secret = |name: &str| lookup(name).filter(|s| !s.is_empty()).map(|s| digest(&s));
        let allowed_origins = raw
            .get("ALLOWED_ORIGINS")
            .map(|s| split_list(s))
            .unwrap_or_default();
        let access = match (raw.get("ACCESS_TEAM_DOMAIN"), raw.get("ACCESS_AUD")) {
            (Some(domain), Some(aud)) => Some(AccessConfig {
                team_domain: domain
                    .trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string(),
                audiences: split_list(aud),
            }),
            _ => None,
        };
        Config {
            version: VERSION,
            grafana_token: secret("GRAFANA_SECRET"),
            admin_token: secret("ADMIN_SECRET"),
            allowed_origins,
            access,
            raw,
        }
    }

    /// The configured value, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw.get(name).map(String::as_str)
    }

    /// The configured value, else the documented default.
    pub fn get_or_default(&self, name: &str) -> Option<&str> {
        self.get(name)
            .or_else(|| DEFAULTS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
    }
}

/// Comma-separated list: trimmed, empties dropped.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_access() {
        let cfg = Config::from_lookup(|name| match name {
            "ALLOWED_ORIGINS" => Some(" https://a.example , ,https://b.example".into()),
            "ACCESS_TEAM_DOMAIN" => Some("https://team.cloudflareaccess.com/".into()),
            "ACCESS_AUD" => Some("aud1".into()),
            "GRAFANA_SECRET" => Some(String::new()),
            _ => None,
        });
        assert_eq!(
            cfg.allowed_origins,
            vec!["https://a.example", "https://b.example"]
        );
        let access = cfg.access.as_ref();
        assert_eq!(
            access.map(AccessConfig::issuer).as_deref(),
            Some("https://team.cloudflareaccess.com")
        );
        assert_eq!(
            access.map(|a| a.audiences.clone()),
            Some(vec!["aud1".to_string()])
        );
        assert!(cfg.grafana_token.is_none(), "an empty secret is no secret");
    }

    #[test]
    fn defaults_fill_unset_values_only() {
        let cfg = Config::from_lookup(|n| {
            (n == "OURA_API_BASE_URL").then(|| "http://127.0.0.1:9".into())
        });
        assert_eq!(
            cfg.get_or_default("OURA_API_BASE_URL"),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            cfg.get_or_default("OURA_TOKEN_URL"),
            Some("https://api.ouraring.com/oauth/token")
        );
        assert_eq!(cfg.get("OURA_TOKEN_URL"), None);
        assert_eq!(cfg.get_or_default("OURA_CLIENT_ID"), None);
    }

    #[test]
    fn access_needs_both_values() {
        let cfg = Config::from_lookup(|n| (n == "ACCESS_AUD").then(|| "x".to_string()));
        assert!(cfg.access.is_none());
    }
}
