//! Configuration from the Worker's secrets and vars, parsed once per request
//! into typed values, one struct per area (`areas`). Every name the worker
//! reads, and every default, is listed once in `names`; code reads the typed
//! fields, never a name.

mod areas;
mod names;

pub use areas::{OuraSettings, SqlSettings, SyncSettings, WebhookSettings};
pub use names::{default_of, parsed_or_default, DEFAULTS, NAMES};

use crate::services::tokens::{digest, Digest};
use std::collections::BTreeMap;

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
    pub oura: OuraSettings,
    pub webhooks: WebhookSettings,
    pub sql: SqlSettings,
    pub sync: SyncSettings,
    pub usage: crate::services::usage::Settings,
    /// Every non-empty value read, trimmed (the admin listing, usage quotas).
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
        let settings = names::Settings(&raw);
        Config {
            version: VERSION,
            grafana_token: secret("GRAFANA_SECRET"),
            admin_token: secret("ADMIN_SECRET"),
            allowed_origins,
            access,
            oura: OuraSettings::parse(&settings),
            webhooks: WebhookSettings::parse(&settings),
            sql: SqlSettings::parse(&settings),
            sync: SyncSettings::parse(&settings),
            usage: crate::services::usage::Settings::parse(|name| settings.get(name)),
            raw,
        }
    }

    /// The configured value, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw.get(name).map(String::as_str)
    }

    /// The configured value, else the documented default.
    pub fn get_or_default(&self, name: &str) -> Option<&str> {
        names::Settings(&self.raw).get_or_default(name)
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

    /// The typed settings take their defaults from `DEFAULTS`, the list the
    /// docs test checks, and fall back to them on values they cannot use.
    #[test]
    fn typed_settings_default_to_the_listed_defaults() {
        let unset = Config::from_lookup(|_| None);
        let default = |name: &str| DEFAULTS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(
            Some(unset.oura.api_base_url.as_str()),
            default("OURA_API_BASE_URL")
        );
        assert_eq!(
            Some(unset.oura.token_url.as_str()),
            default("OURA_TOKEN_URL")
        );
        assert_eq!(Some(unset.oura.scopes.as_str()), default("OURA_SCOPES"));
        assert_eq!(Some(unset.sync.cron.as_str()), default("SYNC_CRON"));
        assert_eq!(unset.webhooks.allowed_skew_seconds, 300);
        assert_eq!(unset.webhooks.retry_base_seconds, 30);
        assert_eq!(unset.sql.max_rows, 50_000);
        assert_eq!(unset.sql.timeout_ms, 7_000);
        assert!(unset.sql.log_preview);
        assert_eq!(unset.webhooks.data_types.len(), 14);
        assert_eq!(unset.webhooks.event_types, ["create", "update", "delete"]);
        for (name, _) in DEFAULTS {
            assert!(NAMES.contains(name), "{name} has a default but is not read");
        }
        let bad = Config::from_lookup(|n| match n {
            "QUERY_TIMEOUT_MS" => Some("soon".into()),
            "OURA_WEBHOOK_ALLOWED_SKEW_SECONDS" => Some("0".into()),
            "OURA_WEBHOOK_RETRY_BASE_SECONDS" => Some("99999".into()),
            "LOG_SQL_PREVIEW" => Some("FALSE".into()),
            "OURA_WEBHOOK_EVENT_TYPES" => Some("delete, nope".into()),
            _ => None,
        });
        assert_eq!(bad.sql.timeout_ms, 7_000);
        assert_eq!(bad.webhooks.allowed_skew_seconds, 300);
        assert_eq!(bad.webhooks.retry_base_seconds, 1440);
        assert!(!bad.sql.log_preview);
        assert_eq!(bad.webhooks.event_types, ["delete"]);
    }

    #[test]
    fn access_needs_both_values() {
        let cfg = Config::from_lookup(|n| (n == "ACCESS_AUD").then(|| "x".to_string()));
        assert!(cfg.access.is_none());
    }
}
