//! The queue consumer, platform-neutral: the Worker's `queue` handler maps
//! each message to an [`Incoming`] and applies the returned [`Verdict`]s.
//!
//! create/update fetch the document and upsert it through the one writer; a
//! 404 means the document is gone, so it is deleted like a `delete` event.
//! Transient failures are retried with a growing delay; after the last
//! attempt, and for failures no retry can fix, the message is recorded in
//! `webhook_dead_letters` so nothing disappears silently.

use super::delete::{remove, DeleteError};
use super::{data_type, lag_seconds, Event};
use crate::services::apart::Apart;
use crate::services::config::Config;
use crate::services::cron::CronOutcome;
use crate::services::documents::write_fetched;
use crate::services::oura::{OuraClient, OuraError};
use crate::services::platform::{Platform, Statement};
use crate::services::sql_cache;
use crate::services::time::iso_timestamp;
use serde_json::Value;
use std::collections::BTreeMap;

/// `max_retries` of the consumer in wrangler.toml: a message is delivered at
/// most `MAX_RETRIES + 1` times.
pub const MAX_RETRIES: u32 = 8;
/// The delay stops doubling at this many base delays: eight retries at 30 s
/// (30, 60, …, 900) span about an hour, as long as Oura keeps retrying.
const MAX_DELAY_IN_BASES: u32 = 30;
/// Delay before retry `attempts` (1-based): base, 2·base, 4·base, …,
/// capped at 30·base (30, 60, …, 900 s by default).
pub fn retry_delay(attempts: u32, base_seconds: u32) -> u32 {
    let doublings = attempts.saturating_sub(1).min(10);
    base_seconds
        .saturating_mul(1 << doublings)
        .min(base_seconds.saturating_mul(MAX_DELAY_IN_BASES))
}
/// D1 calls kept in hand before a message: a token refresh, its write or
/// delete (a lookup and a batch), a dead letter, and the batch's closing
/// freshness upsert and usage flush.
const QUERIES_PER_MESSAGE: u64 = 6;
/// A message deferred for the invocation limit comes back this soon.
const DEFERRED_DELAY_SECONDS: u32 = 5;

/// One queue message as the consumer sees it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub body: Value,
    /// Delivery count, starting at 1 (`Message::attempts`).
    pub attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ack,
    Retry { delay_seconds: u32 },
}

/// How one message failed.
#[derive(Debug, Clone, PartialEq)]
enum Failure {
    /// Worth another attempt (network, Oura 429/5xx, breaker, D1, authorisation).
    Transient(String),
    /// No retry can fix it (malformed message or document, Oura 4xx).
    Permanent(String),
}

fn from_oura(e: OuraError) -> Failure {
    match e {
        OuraError::Transient(_) | OuraError::Breaker | OuraError::NotAuthorized => {
            Failure::Transient(e.to_string())
        }
        OuraError::Http { status, .. } if status == 429 || status >= 500 => {
            Failure::Transient(e.to_string())
        }
        OuraError::Http { .. } | OuraError::Invalid(_) => Failure::Permanent(e.to_string()),
    }
}

fn from_delete(e: DeleteError) -> Failure {
    match e {
        DeleteError::Storage(m) => Failure::Transient(format!("deleting: {m}")),
        DeleteError::Invalid(m) => Failure::Permanent(format!("deleting: {m}")),
    }
}

/// Rows changed by one event.
async fn apply(platform: &Platform, client: &OuraClient<'_>, ev: &Event) -> Result<u64, Failure> {
    let c = data_type(&ev.data_type)
        .ok_or_else(|| Failure::Permanent(format!("unknown data type {}", ev.data_type)))?;
    // Taken before the fetch: it stamps what the fetch returns, so an older
    // fetch finishing later cannot overwrite it (services::documents).
    let now = iso_timestamp(platform.clock.now_ms());
    let doc = match ev.event_type.as_str() {
        "create" | "update" => client
            .fetch_document(c, &ev.object_id)
            .await
            .map_err(from_oura)?,
        "delete" => None,
        other => return Err(Failure::Permanent(format!("unknown event type {other}"))),
    };
    match doc {
        Some(doc) => {
            // A newer version already stored is skipped: done, not failed.
            let written = write_fetched(platform.db.as_ref(), c, &[doc], &now)
                .await
                .map_err(|e| Failure::Transient(format!("writing: {e}")))?;
            if !written.rejected.is_empty() {
                return Err(Failure::Permanent(written.rejected.join("; ")));
            }
            Ok(written.report.rows_written)
        }
        // Deleted, or gone before we could fetch it (Oura answered 404).
        None => remove(platform.db.as_ref(), c, &ev.object_id, &now)
            .await
            .map_err(from_delete),
    }
}

async fn dead_letter(
    platform: &Platform,
    msg: &Incoming,
    ev: Option<&Event>,
    error: &str,
) -> Result<(), String> {
    let s = |f: fn(&Event) -> &String| ev.map_or(Value::Null, |e| Value::from(f(e).as_str()));
    let body = match &msg.body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    platform
        .db
        .query(&Statement::new(
            "INSERT INTO webhook_dead_letters (recorded_at, event_type, data_type, object_id, \
             event_time, user_id, attempts, error, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            vec![
                Value::from(iso_timestamp(platform.clock.now_ms())),
                s(|e| &e.event_type),
                s(|e| &e.data_type),
                s(|e| &e.object_id),
                s(|e| &e.event_time),
                s(|e| &e.user_id),
                Value::from(msg.attempts),
                Value::from(error),
                Value::from(body),
            ],
        ))
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Per data type, what this batch did: folded into one D1 batch at the end.
#[derive(Default)]
struct Freshness {
    last_event_time: Option<String>,
    last_event_type: String,
    last_object_id: String,
    lag_seconds: Option<f64>,
    processed: u64,
    last_error: Option<String>,
}

fn freshness_statements(by_type: &BTreeMap<String, Freshness>, now_iso: &str) -> Vec<Statement> {
    by_type
        .iter()
        .map(|(dt, f)| {
            Statement::new(
                "INSERT INTO webhook_freshness (data_type, last_event_time, last_event_type, \
                 last_object_id, last_processed_at, lag_seconds, processed, last_error, last_error_at) \
                 VALUES (?1, ?2, ?3, ?4, CASE WHEN ?6 > 0 THEN ?7 END, ?5, ?6, ?8, CASE WHEN ?8 IS NOT NULL THEN ?7 END) \
                 ON CONFLICT (data_type) DO UPDATE SET \
                 last_event_time = CASE WHEN excluded.processed > 0 THEN excluded.last_event_time ELSE last_event_time END, \
                 last_event_type = CASE WHEN excluded.processed > 0 THEN excluded.last_event_type ELSE last_event_type END, \
                 last_object_id = CASE WHEN excluded.processed > 0 THEN excluded.last_object_id ELSE last_object_id END, \
                 last_processed_at = COALESCE(excluded.last_processed_at, last_processed_at), \
                 lag_seconds = CASE WHEN excluded.processed > 0 THEN excluded.lag_seconds ELSE lag_seconds END, \
                 processed = processed + excluded.processed, \
                 last_error = COALESCE(excluded.last_error, last_error), \
                 last_error_at = COALESCE(excluded.last_error_at, last_error_at)",
                vec![
                    Value::from(dt.as_str()),
                    f.last_event_time.clone().map_or(Value::Null, Value::from),
                    Value::from(f.last_event_type.as_str()),
                    Value::from(f.last_object_id.as_str()),
                    f.lag_seconds.map_or(Value::Null, Value::from),
                    Value::from(f.processed),
                    Value::from(now_iso),
                    f.last_error.clone().map_or(Value::Null, Value::from),
                ],
            )
        })
        .collect()
}

/// Processes a batch in order and returns one verdict per message.
pub async fn handle_batch(
    platform: &Platform,
    config: &Config,
    batch: &[Incoming],
) -> Vec<Verdict> {
    // One client per batch: it caches the token and the breaker state.
    let client = OuraClient::new(platform, config);
    let mut verdicts = Vec::with_capacity(batch.len());
    let mut done = BatchEvents::default();
    for msg in batch {
        if crate::services::usage::queries_left(platform, config)
            .is_some_and(|left| left < QUERIES_PER_MESSAGE)
        {
            // Another invocation takes it: this one is out of D1 calls.
            tracing::warn!("queue: D1 queries per invocation running low; message deferred");
            verdicts.push(Verdict::Retry {
                delay_seconds: DEFERRED_DELAY_SECONDS,
            });
            continue;
        }
        // Each kind of message is awaited apart, so a batch compiles only
        // the paths it takes (`services::apart`).
        if let Some(link) = crate::services::cron::Link::from_message(&msg.body) {
            // A cron run's next link rides this queue; its failures are
            // reported in the run, so it is never retried.
            let link: Apart<CronOutcome> =
                Box::pin(crate::services::cron::resume(platform, config, link));
            link.await.log();
            verdicts.push(Verdict::Ack);
            continue;
        }
        let event: Apart<Verdict> =
            Box::pin(webhook_event(platform, config, &client, msg, &mut done));
        verdicts.push(event.await);
    }
    crate::services::usage::count_queue_batch(
        platform,
        batch
            .iter()
            .zip(&verdicts)
            .map(|(m, v)| (&m.body, *v == Verdict::Ack)),
    );
    if !done.is_empty() {
        let record: Apart<()> = Box::pin(done.record(platform));
        record.await;
    }
    verdicts
}

/// What a batch's webhook events did, recorded once at its end.
#[derive(Default)]
struct BatchEvents {
    /// Rows the events changed.
    changed: u64,
    by_type: BTreeMap<String, Freshness>,
}

impl BatchEvents {
    fn is_empty(&self) -> bool {
        self.changed == 0 && self.by_type.is_empty()
    }

    /// One freshness upsert per data type, and the SQL cache invalidated
    /// when rows changed.
    async fn record(self, platform: &Platform) {
        let now_iso = iso_timestamp(platform.clock.now_ms());
        let stmts = freshness_statements(&self.by_type, &now_iso);
        if !stmts.is_empty() {
            if let Err(e) = platform.db.batch(&stmts).await {
                tracing::warn!(error = %e, "could not record webhook freshness");
            }
        }
        if self.changed > 0 {
            if let Err(e) = sql_cache::invalidate(platform.kv.as_ref()).await {
                tracing::warn!(error = %e, "could not invalidate the SQL cache");
            }
        }
    }
}

/// One webhook event: applied, retried, or dead-lettered after its last
/// attempt (and kept on the queue when even that fails).
async fn webhook_event(
    platform: &Platform,
    config: &Config,
    client: &OuraClient<'_>,
    msg: &Incoming,
    done: &mut BatchEvents,
) -> Verdict {
    let base = config.webhooks.retry_base_seconds;
    let ev = Event::from_message(&msg.body);
    let result = match &ev {
        Ok(ev) => apply(platform, client, ev).await,
        Err(e) => Err(Failure::Permanent(e.clone())),
    };
    let ev = ev.ok();
    let failure = match result {
        Ok(n) => {
            done.changed += n;
            if let Some(ev) = &ev {
                let f = done.by_type.entry(ev.data_type.clone()).or_default();
                f.processed += 1;
                if f.last_event_time.as_deref() <= Some(ev.event_time.as_str()) {
                    f.last_event_time = Some(ev.event_time.clone());
                    f.last_event_type = ev.event_type.clone();
                    f.last_object_id = ev.object_id.clone();
                    f.lag_seconds = lag_seconds(&ev.event_time, platform.clock.now_ms());
                }
                tracing::debug!(data_type = %ev.data_type, event_type = %ev.event_type, rows = n, "webhook event stored");
            }
            return Verdict::Ack;
        }
        Err(f) => f,
    };
    let (error, last) = match &failure {
        Failure::Transient(m) => (m.clone(), msg.attempts > MAX_RETRIES),
        Failure::Permanent(m) => (m.clone(), true),
    };
    if let Some(ev) = &ev {
        done.by_type
            .entry(ev.data_type.clone())
            .or_default()
            .last_error = Some(error.clone());
    }
    if !last {
        tracing::warn!(error = %error, attempts = msg.attempts, "webhook event failed; retrying");
        return Verdict::Retry {
            delay_seconds: retry_delay(msg.attempts, base),
        };
    }
    tracing::error!(error = %error, attempts = msg.attempts, "webhook event dead-lettered");
    match dead_letter(platform, msg, ev.as_ref(), &error).await {
        Ok(()) => Verdict::Ack,
        Err(e) => {
            // Keep it on the queue: losing it silently is the one thing not to do.
            tracing::error!(error = %e, "could not record a dead letter");
            Verdict::Retry {
                delay_seconds: retry_delay(msg.attempts, base),
            }
        }
    }
}

/// Freshness per data type, for `/health` and `/status`.
pub async fn freshness(platform: &Platform) -> Result<Vec<crate::services::platform::Row>, String> {
    platform
        .db
        .query(&Statement::new(
            "SELECT data_type, last_event_time, last_event_type, last_object_id, last_processed_at, \
             lag_seconds, processed, last_error, last_error_at FROM webhook_freshness ORDER BY data_type",
            vec![],
        ))
        .await
        .map(|r| r.rows)
        .map_err(|e| e.to_string())
}
