//! Oura webhooks: verifying and accepting deliveries (`delivery`), the queue
//! consumer that turns notifications into stored rows (`consumer`, `delete`),
//! and the subscription API client (`subscriptions`).
//!
//! A delivery is only a notification; the document is fetched by the queue
//! consumer, so `POST /webhook/oura` answers within Oura's 10 s budget.

pub mod consumer;
pub mod delete;
pub mod delivery;
pub mod subscriptions;

use crate::services::collections::{find, Collection};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The three event types, in the order subscriptions are created.
pub const EVENT_TYPES: [&str; 3] = ["create", "update", "delete"];

/// The collection a webhook `data_type` names: one Oura notifies about
/// (`webhook` in the registry). `vo2_max` is the lower-case webhook name.
pub fn data_type(name: &str) -> Option<&'static Collection> {
    find(name).filter(|c| c.webhook)
}

pub fn is_event_type(s: &str) -> bool {
    EVENT_TYPES.contains(&s)
}

/// One accepted delivery, as it travels through the queue. Keys are
/// camelCase like the original's, so messages in flight across the upgrade
/// from oura-cf still parse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub event_type: String,
    /// Canonical collection name (`vo2_max`, not `vO2_max`).
    pub data_type: String,
    pub object_id: String,
    pub event_time: String,
    pub user_id: String,
    /// When the worker accepted the delivery (epoch ms), for lag reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at_ms: Option<f64>,
}

impl Event {
    /// The replay identity of a delivery (the original's, so dedupe keys match).
    pub fn identity(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.event_type, self.data_type, self.object_id, self.event_time, self.user_id
        )
    }

    /// What goes on the queue: the event as a JSON *string*. workers-rs
    /// serialises a `serde_json::Value` object as a JS `Map`, which a JSON
    /// queue would flatten to `{}`; a string survives every content type.
    pub fn to_message(&self) -> Value {
        Value::String(serde_json::to_string(self).unwrap_or_default())
    }

    /// Reads a queue message: our JSON string, or an object (as oura-cf sent).
    pub fn from_message(body: &Value) -> Result<Event, String> {
        let parsed = match body {
            Value::String(s) => serde_json::from_str::<Event>(s),
            other => serde_json::from_value::<Event>(other.clone()),
        };
        parsed.map_err(|e| format!("not a webhook event: {e}"))
    }
}

/// Seconds between an ISO event time and `now_ms`, if the time parses.
pub fn lag_seconds(event_time: &str, now_ms: f64) -> Option<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(event_time).ok()?;
    Some((now_ms - t.timestamp_millis() as f64) / 1000.0)
}
