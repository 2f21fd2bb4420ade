//! `POST /webhook/oura`: signature and timestamp checks, payload validation,
//! enqueue, replay marks.
//!
//! Order matters (decisions.md #17): a delivery is marked seen only after it
//! is on the queue, so a failed send is answered 5xx and Oura retries it,
//! instead of the mark making the retry look like a replay. The mark is the
//! only KV write per accepted delivery (free tier: 1,000 writes a day).

use super::{data_type, is_event_type, Event};
use crate::services::config::Config;
use crate::services::platform::Platform;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use subtle::ConstantTimeEq;

/// Replay marks live as long as Oura keeps retrying, and then some.
pub const SEEN_TTL_SECONDS: u64 = 86_400;
pub const SEEN_PREFIX: &str = "webhook:seen:";

/// Why a delivery was refused: an HTTP status and a public message.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

fn refuse(status: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub accepted: u32,
    pub duplicate: u32,
    pub ignored: u32,
}

/// `x-oura-timestamp` as epoch ms: values above 1e12 are already ms, others seconds.
pub fn timestamp_ms(header: &str) -> Option<f64> {
    let v: f64 = header.trim().parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    Some(if v > 1e12 { v } else { v * 1000.0 })
}

/// Whether `provided` is the hex HMAC-SHA256 of `timestamp ‖ body` (either
/// case; a `sha256=` style prefix is allowed). Constant-time on the digest.
pub fn signature_valid(secret: &str, timestamp: &str, body: &[u8], provided: &str) -> bool {
    let provided = provided.trim();
    let provided = provided.rsplit('=').next().unwrap_or(provided);
    let Ok(given) = hex::decode(provided) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    expected.as_slice().ct_eq(given.as_slice()).into()
}

/// The KV key marking a delivery as seen.
pub fn seen_key(event: &Event) -> String {
    format!(
        "{SEEN_PREFIX}{}",
        hex::encode(Sha256::digest(event.identity().as_bytes()))
    )
}

fn field<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    obj.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// One notification object → an event, or `None` when it is not one we handle.
pub fn parse_event(obj: &Value, now_ms: f64) -> Option<Event> {
    let event_type = field(obj, "event_type").filter(|e| is_event_type(e))?;
    let collection = data_type(field(obj, "data_type")?)?;
    Some(Event {
        event_type: event_type.to_string(),
        data_type: collection.name.to_string(),
        object_id: field(obj, "object_id")?.to_string(),
        event_time: field(obj, "event_time")?.to_string(),
        user_id: field(obj, "user_id")?.to_string(),
        received_at_ms: Some(now_ms),
    })
}

/// Checks a delivery and queues what it notifies about.
pub async fn receive(
    platform: &Platform,
    config: &Config,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Outcome, Refusal> {
    let (Some(timestamp), Some(signature)) = (
        timestamp.filter(|t| !t.trim().is_empty()),
        signature.filter(|s| !s.trim().is_empty()),
    ) else {
        return Err(refuse(401, "Missing signature headers"));
    };
    let sent_ms =
        timestamp_ms(timestamp).ok_or_else(|| refuse(400, "Invalid webhook timestamp"))?;
    let now = platform.clock.now_ms();
    if (now - sent_ms).abs() / 1000.0 > config.webhooks.allowed_skew_seconds as f64 {
        return Err(refuse(401, "Webhook timestamp outside allowed skew window"));
    }
    let secret = config.webhooks.signing_secret.as_deref().ok_or_else(|| {
        refuse(
            500,
            "Missing webhook signing secret. Set OURA_WEBHOOK_SIGNING_SECRET or OURA_CLIENT_SECRET.",
        )
    })?;
    if !signature_valid(secret, timestamp, body, signature) {
        return Err(refuse(401, "Invalid webhook signature"));
    }
    let payload: Value = match serde_json::from_slice(body) {
        Ok(Value::Null) | Err(_) => return Err(refuse(400, "Invalid JSON payload")),
        Ok(v) => v,
    };
    let items = match payload {
        Value::Array(items) => items,
        one => vec![one],
    };
    let mut outcome = Outcome::default();
    let mut this_payload = HashSet::new();
    for item in &items {
        let Some(event) = parse_event(item, now) else {
            outcome.ignored += 1;
            continue;
        };
        let key = seen_key(&event);
        if !this_payload.insert(key.clone()) {
            outcome.duplicate += 1;
            continue;
        }
        // A KV read error is treated as "not seen": a duplicate is harmless
        // (the consumer is idempotent), a lost event is not.
        let seen = match platform.kv.get(&key).await {
            Ok(v) => v.is_some(),
            Err(e) => {
                tracing::warn!(error = %e, "webhook replay check failed; accepting");
                false
            }
        };
        if seen {
            outcome.duplicate += 1;
            continue;
        }
        if let Err(e) = platform.queue.send(&event.to_message()).await {
            tracing::error!(error = %e, data_type = %event.data_type, "webhook enqueue failed");
            return Err(refuse(
                503,
                "Could not queue the webhook event; retry later",
            ));
        }
        if let Err(e) = platform.kv.put(&key, "1", Some(SEEN_TTL_SECONDS)).await {
            tracing::warn!(error = %e, "could not mark webhook delivery seen");
        }
        if let Some(lag) = super::lag_seconds(&event.event_time, now) {
            tracing::debug!(data_type = %event.data_type, event_type = %event.event_type, lag_seconds = lag, "webhook accepted");
        }
        outcome.accepted += 1;
    }
    Ok(outcome)
}
