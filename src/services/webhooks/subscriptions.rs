//! Oura's webhook subscription API (`/v2/webhook/subscription`), authorised
//! by the application's `x-client-id` / `x-client-secret`, and the two jobs
//! built on it: `sync` (one subscription per configured data type × event
//! type, creating only what is missing) and `renew_expiring` (for the cron).

use super::{data_type, is_event_type};
use crate::services::config::Config;
use crate::services::oura::url::encode;
use crate::services::platform::{OutRequest, Platform};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;

/// Renew subscriptions that expire within this many days (the cron's default).
pub const RENEW_WITHIN_DAYS: i64 = 7;
const BODY_LIMIT: usize = 400;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub callback_url: String,
    pub event_type: String,
    pub data_type: String,
    pub expiration_time: String,
}

/// What went wrong, split by who must act.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionError {
    /// A setting is missing: the operator must configure it (500).
    Config(String),
    /// Oura refused or failed (502).
    Upstream(String),
}

impl std::fmt::Display for SubscriptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubscriptionError::Config(m) | SubscriptionError::Upstream(m) => f.write_str(m),
        }
    }
}

/// The subscription API client.
pub struct SubscriptionClient<'a> {
    platform: &'a Platform,
    base: String,
    client_id: String,
    client_secret: String,
}

fn cut(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(BODY_LIMIT)
        .collect()
}

impl<'a> SubscriptionClient<'a> {
    pub fn new(platform: &'a Platform, config: &Config) -> Result<Self, SubscriptionError> {
        let (Some(id), Some(secret)) = (&config.oura.client_id, &config.oura.client_secret) else {
            return Err(SubscriptionError::Config(
                "Missing OURA_CLIENT_ID or OURA_CLIENT_SECRET".into(),
            ));
        };
        Ok(SubscriptionClient {
            platform,
            base: config.oura.api_base_url.trim_end_matches('/').to_string(),
            client_id: id.to_string(),
            client_secret: secret.to_string(),
        })
    }

    async fn call(
        &self,
        what: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Vec<u8>, SubscriptionError> {
        let mut req = OutRequest::get(format!("{}/v2/webhook/subscription{path}", self.base));
        req.method = method.to_string();
        req.headers
            .push(("x-client-id".into(), self.client_id.clone()));
        req.headers
            .push(("x-client-secret".into(), self.client_secret.clone()));
        req.headers
            .push(("accept".into(), "application/json".into()));
        if let Some(b) = body {
            req.headers
                .push(("content-type".into(), "application/json".into()));
            req.body = Some(b.to_string().into_bytes());
        }
        let resp = self
            .platform
            .http
            .send(req)
            .await
            .map_err(|e| SubscriptionError::Upstream(format!("{what} failed: {e}")))?;
        if !(200..300).contains(&resp.status) {
            return Err(SubscriptionError::Upstream(format!(
                "{what} failed ({}): {}",
                resp.status,
                cut(&resp.body)
            )));
        }
        Ok(resp.body)
    }

    pub async fn list(&self) -> Result<Vec<Subscription>, SubscriptionError> {
        let body = self.call("List subscriptions", "GET", "", None).await?;
        serde_json::from_slice(&body).map_err(|e| {
            SubscriptionError::Upstream(format!("List subscriptions returned invalid JSON: {e}"))
        })
    }

    pub async fn create(
        &self,
        event_type: &str,
        data_type: &str,
        callback_url: &str,
        verification_token: &str,
    ) -> Result<Subscription, SubscriptionError> {
        let body = json!({
            "callback_url": callback_url,
            "verification_token": verification_token,
            "event_type": event_type,
            "data_type": data_type,
        });
        let out = self
            .call("Create subscription", "POST", "", Some(body))
            .await?;
        serde_json::from_slice(&out).map_err(|e| {
            SubscriptionError::Upstream(format!("Create subscription returned invalid JSON: {e}"))
        })
    }

    pub async fn renew(&self, id: &str) -> Result<Subscription, SubscriptionError> {
        let out = self
            .call(
                "Renew subscription",
                "PUT",
                &format!("/renew/{}", encode(id)),
                None,
            )
            .await?;
        serde_json::from_slice(&out).map_err(|e| {
            SubscriptionError::Upstream(format!("Renew subscription returned invalid JSON: {e}"))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemError {
    #[serde(rename = "eventType", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(rename = "dataType", skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub callback_url: String,
    pub desired: usize,
    pub existing: usize,
    pub created: usize,
    pub errors: Vec<ItemError>,
    pub created_subscriptions: Vec<Subscription>,
}

/// Ensures one subscription per configured (event type, data type) for the
/// configured callback, creating only the missing ones (in order, since Oura
/// runs the challenge handshake against us for each).
pub async fn sync(platform: &Platform, config: &Config) -> Result<SyncReport, SubscriptionError> {
    let callback = config
        .webhooks
        .callback_url
        .as_deref()
        .ok_or_else(|| {
            SubscriptionError::Config("Missing OURA_WEBHOOK_CALLBACK_URL secret".into())
        })?
        .to_string();
    let token = config
        .webhooks
        .verification_token
        .as_deref()
        .ok_or_else(|| {
            SubscriptionError::Config("Missing OURA_WEBHOOK_VERIFICATION_TOKEN secret".into())
        })?
        .to_string();
    let client = SubscriptionClient::new(platform, config)?;
    let existing: HashSet<(String, String)> = client
        .list()
        .await?
        .into_iter()
        .filter(|s| s.callback_url == callback)
        .map(|s| {
            let dt = data_type(&s.data_type).map_or(s.data_type.clone(), |c| c.name.to_string());
            (s.event_type, dt)
        })
        .collect();
    let events = &config.webhooks.event_types;
    let types = &config.webhooks.data_types;
    let mut report = SyncReport {
        callback_url: callback.clone(),
        desired: events.len() * types.len(),
        existing: existing.len(),
        created: 0,
        errors: Vec::new(),
        created_subscriptions: Vec::new(),
    };
    for event in events {
        for dt in types {
            if existing.contains(&(event.to_string(), dt.to_string())) {
                continue;
            }
            match client.create(event, dt, &callback, &token).await {
                Ok(s) => {
                    report.created += 1;
                    report.created_subscriptions.push(s);
                }
                Err(e) => report.errors.push(ItemError {
                    event_type: Some(event.to_string()),
                    data_type: Some(dt.to_string()),
                    id: None,
                    error: e.to_string(),
                }),
            }
        }
    }
    Ok(report)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenewReport {
    pub threshold_days: i64,
    pub renewed: usize,
    pub skipped: usize,
    pub errors: Vec<ItemError>,
    pub renewed_subscriptions: Vec<Subscription>,
}

/// Renews every subscription that expires within `days` days (or already
/// has); others, and ones whose expiry does not parse, are skipped.
pub async fn renew_within(
    platform: &Platform,
    config: &Config,
    days: i64,
) -> Result<RenewReport, SubscriptionError> {
    let client = SubscriptionClient::new(platform, config)?;
    let threshold = platform.clock.now_ms() + (days as f64) * 86_400_000.0;
    let mut report = RenewReport {
        threshold_days: days,
        renewed: 0,
        skipped: 0,
        errors: Vec::new(),
        renewed_subscriptions: Vec::new(),
    };
    for s in client.list().await? {
        let expires = chrono::DateTime::parse_from_rfc3339(&s.expiration_time)
            .ok()
            .map(|t| t.timestamp_millis() as f64);
        if !is_event_type(&s.event_type) || expires.is_none_or(|t| t > threshold) {
            report.skipped += 1;
            continue;
        }
        match client.renew(&s.id).await {
            Ok(r) => {
                report.renewed += 1;
                report.renewed_subscriptions.push(r);
            }
            Err(e) => report.errors.push(ItemError {
                event_type: None,
                data_type: None,
                id: Some(s.id.clone()),
                error: e.to_string(),
            }),
        }
    }
    Ok(report)
}

/// What the cron calls: renew those expiring within 7 days.
pub async fn renew_expiring(
    platform: &Platform,
    config: &Config,
) -> Result<RenewReport, SubscriptionError> {
    renew_within(platform, config, RENEW_WITHIN_DAYS).await
}
