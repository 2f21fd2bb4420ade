//! The ingestion pipeline's health from the markers each path leaves (spec
//! §4.1, §14): the cron's last success (KV), webhook deliveries processed by
//! the queue consumer and its errors (D1 `webhook_freshness`, written once per
//! batch), dead letters. Read by `/health` and `/status`.

use crate::services::config::Config;
use crate::services::freshness::{evaluate, sync_threshold_minutes, Freshness};
use crate::services::platform::Platform;
use serde_json::{json, Value};

pub const SYNC_KEY: &str = "sync:last_success";
pub const STATS_ERROR_KEY: &str = "stats:last_error";

/// Webhooks and the queue follow the user's ring syncs: a day is normal.
const REALTIME_THRESHOLD_MINUTES: i64 = 24 * 60;

pub struct Pipeline {
    pub cron: String,
    /// Per data type: last event, lag, count, last error.
    pub webhook_types: Vec<crate::services::platform::Row>,
    pub dead_letters: i64,
    pub last_sync: Value,
    pub webhook: Value,
    pub queue: Value,
    pub queue_error: Value,
    pub stats_error: Value,
    pub sync_fresh: Freshness,
    pub webhook_fresh: Freshness,
    pub queue_fresh: Freshness,
}

async fn kv_json(platform: &Platform, key: &str) -> Value {
    match platform.kv.get(key).await {
        Ok(Some(text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// `(label, word)` for a group of signals (spec §14.2).
fn summarize(signals: &[&Freshness], has_error: bool) -> (&'static str, &'static str) {
    if has_error {
        ("Degraded", "degraded")
    } else if signals.iter().any(|s| s.is_fresh) {
        ("Operational", "ok")
    } else if signals.iter().any(|s| s.state != "unknown") {
        ("Stale", "stale")
    } else {
        ("Unknown", "unknown")
    }
}

impl Pipeline {
    pub async fn read(platform: &Platform, config: &Config) -> Pipeline {
        let now = platform.clock.now_ms();
        let cron = config.sync.cron.clone();
        let last_sync = kv_json(platform, SYNC_KEY).await;
        let webhook_types = crate::services::webhooks::consumer::freshness(platform)
            .await
            .unwrap_or_default();
        let latest = |field: &str| -> Option<String> {
            webhook_types
                .iter()
                .filter_map(|r| r.get(field).and_then(Value::as_str))
                .max()
                .map(str::to_string)
        };
        // The newest event Oura sent, and when the consumer last stored one.
        let webhook = latest("last_event_time").map_or(Value::Null, |t| json!({"timestamp": t}));
        let queue = latest("last_processed_at").map_or(Value::Null, |t| json!({"timestamp": t}));
        // A type's error degrades the pipeline until a later batch stores an
        // event of that type (the row keeps the error as history).
        let unresolved = |r: &serde_json::Map<String, Value>| {
            let at = |f: &str| r.get(f).and_then(Value::as_str).unwrap_or("");
            r.get("last_error").is_some_and(|e| !e.is_null())
                && at("last_error_at") >= at("last_processed_at")
        };
        let queue_error = webhook_types
            .iter()
            .filter(|r| unresolved(r))
            .max_by_key(|r| {
                r.get("last_error_at")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .map_or(Value::Null, |r| {
                json!({"error": r.get("last_error"), "timestamp": r.get("last_error_at"), "dataType": r.get("data_type")})
            });
        let dead_letters = platform
            .db
            .query(&crate::services::platform::Statement::new(
                "SELECT COUNT(*) AS n FROM webhook_dead_letters",
                vec![],
            ))
            .await
            .ok()
            .and_then(|r| {
                r.rows
                    .first()
                    .and_then(|row| row.get("n"))
                    .and_then(Value::as_i64)
            })
            .unwrap_or(0);
        let ts = |v: &Value| {
            v.get("timestamp")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Pipeline {
            sync_fresh: evaluate(
                ts(&last_sync).as_deref(),
                now,
                sync_threshold_minutes(&cron),
            ),
            webhook_fresh: evaluate(ts(&webhook).as_deref(), now, REALTIME_THRESHOLD_MINUTES),
            queue_fresh: evaluate(ts(&queue).as_deref(), now, REALTIME_THRESHOLD_MINUTES),
            stats_error: kv_json(platform, STATS_ERROR_KEY).await,
            cron,
            webhook_types,
            dead_letters,
            last_sync,
            webhook,
            queue,
            queue_error,
        }
    }

    pub fn status(&self) -> (&'static str, &'static str) {
        summarize(
            &[&self.sync_fresh, &self.webhook_fresh, &self.queue_fresh],
            !self.queue_error.is_null() || !self.stats_error.is_null(),
        )
    }

    /// The `pipeline` object of `/health`.
    pub fn to_json(&self) -> Value {
        let realtime = summarize(
            &[&self.webhook_fresh, &self.queue_fresh],
            !self.queue_error.is_null(),
        );
        let reconciliation = summarize(&[&self.sync_fresh], !self.stats_error.is_null());
        json!({
            "mode": {"primary": "webhook_queue", "reconciliation": "cron_sync"},
            "status": self.status().1,
            "primaryPath": {"label": "Webhook + Queue", "status": realtime.1},
            "reconciliationPath": {"label": "Cron Reconciliation", "status": reconciliation.1},
            "sync": {"lastSuccess": self.last_sync, "freshness": self.sync_fresh, "schedule": self.cron},
            "webhook": {"lastAccepted": self.webhook, "freshness": self.webhook_fresh},
            "queue": {"lastSuccess": self.queue, "freshness": self.queue_fresh, "lastError": self.queue_error, "deadLetters": self.dead_letters},
            "webhookTypes": self.webhook_types,
            "errors": {"stats": self.stats_error},
        })
    }
}
