//! Typed settings, one struct per area, parsed once from the configured
//! values with the defaults of `names::DEFAULTS` behind them. Out-of-range
//! numbers are clamped or fall back to the default, as docs/configuration.md
//! says for each.

use super::names::{parsed_or_default, Settings};
use super::split_list;
use crate::services::collections::{default_data_types, find};
use crate::services::sql_guard::clamp_max_rows;
use crate::services::webhooks::EVENT_TYPES;

/// The Oura API and the OAuth app (spec §2.1).
#[derive(Debug, Clone, PartialEq)]
pub struct OuraSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub api_base_url: String,
    pub authorize_url: String,
    pub token_url: String,
    pub docs_url: String,
    /// Space-separated, as the authorize URL carries them.
    pub scopes: String,
}

impl OuraSettings {
    pub(super) fn parse(s: &Settings) -> OuraSettings {
        let text = |name: &str| s.get_or_default(name).unwrap_or_default().to_string();
        OuraSettings {
            client_id: s.get("OURA_CLIENT_ID").map(str::to_string),
            client_secret: s.get("OURA_CLIENT_SECRET").map(str::to_string),
            api_base_url: text("OURA_API_BASE_URL"),
            authorize_url: text("OURA_AUTHORIZE_URL"),
            token_url: text("OURA_TOKEN_URL"),
            docs_url: text("OURA_DOCS_URL"),
            scopes: text("OURA_SCOPES")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// Oura webhooks: subscriptions, deliveries and the queue's retries.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// Webhooks are set up when this is configured.
    pub callback_url: Option<String>,
    pub verification_token: Option<String>,
    /// The HMAC key: the dedicated signing secret, else the client secret.
    pub signing_secret: Option<String>,
    /// How far a delivery's timestamp may be from now (positive).
    pub allowed_skew_seconds: u64,
    /// Valid names only, canonical, deduplicated; none valid → the defaults.
    pub data_types: Vec<&'static str>,
    /// `create`/`update`/`delete` only; none → all three.
    pub event_types: Vec<&'static str>,
    /// First retry delay, 1–1440 s (Queues accept delays up to 12 h, and
    /// the delay grows to 30 bases).
    pub retry_base_seconds: u32,
}

/// The largest retry base: 1440 · 30 = 43,200 s, the Queues limit.
const MAX_RETRY_BASE_SECONDS: u32 = 1440;

/// A positive integer setting, else its default.
fn positive<T: std::str::FromStr + PartialOrd + Default>(s: &Settings, name: &str) -> Option<T> {
    parsed_or_default(s.get(name), name, |v| {
        v.parse::<T>().ok().filter(|n| *n > T::default())
    })
}

impl WebhookSettings {
    pub(super) fn parse(s: &Settings) -> WebhookSettings {
        let mut data_types: Vec<&'static str> = Vec::new();
        for name in s
            .get("OURA_WEBHOOK_DATA_TYPES")
            .map(split_list)
            .unwrap_or_default()
        {
            if let Some(c) = find(&name).filter(|c| c.webhook) {
                if !data_types.contains(&c.name) {
                    data_types.push(c.name);
                }
            }
        }
        if data_types.is_empty() {
            data_types = default_data_types();
        }
        let wanted = s
            .get("OURA_WEBHOOK_EVENT_TYPES")
            .map(split_list)
            .unwrap_or_default();
        let mut event_types: Vec<&'static str> = EVENT_TYPES
            .iter()
            .copied()
            .filter(|e| wanted.iter().any(|w| w == e))
            .collect();
        if event_types.is_empty() {
            event_types = EVENT_TYPES.to_vec();
        }
        WebhookSettings {
            callback_url: s.get("OURA_WEBHOOK_CALLBACK_URL").map(str::to_string),
            verification_token: s.get("OURA_WEBHOOK_VERIFICATION_TOKEN").map(str::to_string),
            signing_secret: s
                .get("OURA_WEBHOOK_SIGNING_SECRET")
                .or_else(|| s.get("OURA_CLIENT_SECRET"))
                .map(str::to_string),
            allowed_skew_seconds: positive(s, "OURA_WEBHOOK_ALLOWED_SKEW_SECONDS").unwrap_or(1),
            data_types,
            event_types,
            retry_base_seconds: positive::<u32>(s, "OURA_WEBHOOK_RETRY_BASE_SECONDS")
                .unwrap_or(1)
                .min(MAX_RETRY_BASE_SECONDS),
        }
    }
}

/// `/api/sql`.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlSettings {
    /// Row cap, clamped to 1–100,000.
    pub max_rows: u64,
    /// Timeout, clamped to 1,000–15,000 ms.
    pub timeout_ms: u64,
    /// `false` logs `[disabled]` instead of a masked SQL preview.
    pub log_preview: bool,
}

impl SqlSettings {
    pub(super) fn parse(s: &Settings) -> SqlSettings {
        let timeout = |v: &str| v.trim().parse::<i64>().ok();
        SqlSettings {
            max_rows: clamp_max_rows(s.get_or_default("MAX_QUERY_ROWS")),
            timeout_ms: parsed_or_default(s.get("QUERY_TIMEOUT_MS"), "QUERY_TIMEOUT_MS", timeout)
                .unwrap_or(1_000)
                .clamp(1_000, 15_000) as u64,
            log_preview: s
                .get_or_default("LOG_SQL_PREVIEW")
                .is_none_or(|v| !v.eq_ignore_ascii_case("false")),
        }
    }
}

/// The cron reconciliation.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncSettings {
    /// The schedule configured under `[triggers]`; `/status` judges
    /// freshness by it.
    pub cron: String,
}

impl SyncSettings {
    pub(super) fn parse(s: &Settings) -> SyncSettings {
        SyncSettings {
            cron: s
                .get_or_default("SYNC_CRON")
                .unwrap_or_default()
                .to_string(),
        }
    }
}
