//! The scheduled reconciliation sync (`0 */2 * * *`). Webhooks deliver most
//! changes; the cron catches whatever they missed.
//!
//! - OAuth states older than 15 minutes are purged first, even when another
//!   run holds the lock (decisions.md fix #11).
//! - An overlap lock in KV (`sync:cron_lock`, with a TTL so a killed run
//!   cannot block the schedule) keeps two runs from syncing at once. KV has
//!   no compare-and-set, so the lock is written and read back, and an
//!   in-isolate flag catches two events landing in the same isolate.
//! - Each collection's window starts the day before its last successful
//!   sync (at least the last 3 days, at most 30), so an outage loses
//!   nothing (fix #12) and a collection that failed is retried from where
//!   it last succeeded.
//! - Collections run one after another: wasm is single-threaded and the
//!   Oura rate limit is per user, so parallel fetches would gain little.
//! - When the invocation runs low on D1 queries, the remaining collections
//!   are deferred: reported as such (not as synced), their marks kept, and
//!   the next run starts with them (`deferral`).

mod deferral;

use crate::services::config::Config;
use crate::services::oura::{discover, OuraClient};
use crate::services::platform::{Platform, Statement};
use crate::services::sql_cache;
use crate::services::sync::sync_collection;
use crate::services::time::iso_timestamp;
use chrono::{DateTime, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::cell::Cell;
use std::collections::BTreeMap;

pub const LOCK_KEY: &str = "sync:cron_lock";
/// Longer than any run may take (a scheduled Worker gets 15 minutes), and
/// well under the 2-hour schedule, so a crashed run never costs a slot.
pub const LOCK_TTL_SECONDS: u64 = 1_800;
pub const LAST_SUCCESS_KEY: &str = "sync:last_success";
/// Outlives the longest gap the window can cover.
const LAST_SUCCESS_TTL_SECONDS: u64 = 30 * 86_400;
/// OAuth states live 15 minutes (`/oauth/start`).
pub const OAUTH_STATE_MAX_AGE_MS: f64 = 15.0 * 60_000.0;
/// Every run covers at least this many days (late Oura updates land on
/// recent days) …
pub const MIN_WINDOW_DAYS: u64 = 3;
/// … and at most this many (longer gaps are the backfill's job).
pub const MAX_WINDOW_DAYS: u64 = 30;
/// D1 calls kept in hand before a collection: two windows' write batches,
/// a token refresh, and persisting the usage meter.
const QUERIES_PER_COLLECTION: u64 = 4;
/// Why a collection was left for the next run: this invocation was running
/// out of D1 calls (`D1_QUERIES_PER_INVOCATION`).
pub const DEFERRED: &str = "deferred to the next run: D1 queries per invocation";

thread_local! {
    /// Set while a run holds the lock in this isolate.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Clears the in-isolate flag however the run ends.
struct IsolateGuard;

impl IsolateGuard {
    fn acquire() -> Option<IsolateGuard> {
        RUNNING.with(|r| (!r.replace(true)).then_some(IsolateGuard))
    }
}

impl Drop for IsolateGuard {
    fn drop(&mut self) {
        RUNNING.with(|r| r.set(false));
    }
}

/// What one collection did in a run, as kept in `sync:last_success`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionStatus {
    /// First day of this run's window for the collection.
    pub start: String,
    pub windows: u32,
    pub documents: u64,
    pub rows_written: u64,
    /// Epoch ms of the last run in which this collection synced completely.
    pub last_success_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Not synced in this run: left for the next, which starts with it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
}

/// The `sync:last_success` record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastSuccess {
    /// When the run started (ISO) and the same instant in epoch ms.
    pub timestamp: String,
    pub at_ms: f64,
    pub trigger: String,
    #[serde(rename = "durationMs")]
    pub duration_ms: f64,
    /// The run's overall window (inclusive days).
    pub window: Window,
    pub requests: u32,
    pub rows_written: u64,
    pub collections: BTreeMap<String, CollectionStatus>,
    /// Collections that did not sync completely in this run.
    pub failures: Vec<String>,
    /// Collections this run did not reach (D1 queries ran low), in the order
    /// the next run takes them first.
    #[serde(default)]
    pub deferred: Vec<String>,
}

impl LastSuccess {
    /// Collections this run actually synced (completely or not).
    pub fn ran(&self) -> usize {
        self.collections.values().filter(|s| !s.deferred).count()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start: String,
    pub end: String,
}

/// How a cron run ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CronOutcome {
    /// Another run holds the lock: nothing was synced.
    Locked { states_purged: u64 },
    Ran {
        states_purged: u64,
        report: LastSuccess,
        cache_invalidated: bool,
    },
    /// The run could not start (clock out of range, KV unusable for the lock).
    Skipped { states_purged: u64, reason: String },
}

impl CronOutcome {
    /// One line for the log.
    pub fn summary(&self) -> String {
        match self {
            CronOutcome::Locked { states_purged } => {
                format!("locked: another run is syncing (purged {states_purged} OAuth states)")
            }
            CronOutcome::Ran { report, .. } => format!(
                "ran: {} collections, {} rows written, failures {:?}, deferred {:?}, window {}..{}",
                report.ran(),
                report.rows_written,
                report.failures,
                report.deferred,
                report.window.start,
                report.window.end
            ),
            CronOutcome::Skipped { reason, .. } => format!("skipped: {reason}"),
        }
    }
}

/// One cron run. Never fails: everything is reported and logged.
pub async fn run(platform: &Platform, config: &Config, trigger: &str) -> CronOutcome {
    let started = platform.clock.now_ms();
    let states_purged = purge_oauth_states(platform, started).await;

    let Some(_isolate) = IsolateGuard::acquire() else {
        tracing::warn!("cron: another run is active in this isolate; skipping");
        return CronOutcome::Locked { states_purged };
    };
    let token = format!("{}:{trigger}", iso_timestamp(started));
    match acquire_lock(platform, &token).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("cron: lock held by another run; skipping");
            return CronOutcome::Locked { states_purged };
        }
        Err(reason) => {
            tracing::error!(%reason, "cron: could not take the lock; skipping");
            return CronOutcome::Skipped {
                states_purged,
                reason,
            };
        }
    }
    let outcome = sync_and_record(platform, config, trigger, started).await;
    release_lock(platform, &token).await;
    match outcome {
        Ok((report, cache_invalidated)) => CronOutcome::Ran {
            states_purged,
            report,
            cache_invalidated,
        },
        Err(reason) => CronOutcome::Skipped {
            states_purged,
            reason,
        },
    }
}

/// Deletes OAuth states older than their 15-minute lifetime.
async fn purge_oauth_states(platform: &Platform, now_ms: f64) -> u64 {
    let cutoff = (now_ms - OAUTH_STATE_MAX_AGE_MS) as i64;
    let stmt = Statement::new(
        "DELETE FROM oura_oauth_states WHERE created_at < ?1",
        vec![json!(cutoff)],
    );
    match platform.db.query(&stmt).await {
        Ok(r) => r.meta.changes,
        Err(e) => {
            tracing::warn!(error = %e, "cron: purging OAuth states failed");
            0
        }
    }
}

/// Best effort (KV has no compare-and-set): free → write our token → read
/// it back; a concurrent writer that got in between wins and we back off.
async fn acquire_lock(platform: &Platform, token: &str) -> Result<bool, String> {
    let kv = platform.kv.as_ref();
    if kv.get(LOCK_KEY).await.map_err(|e| e.to_string())?.is_some() {
        return Ok(false);
    }
    kv.put(LOCK_KEY, token, Some(LOCK_TTL_SECONDS))
        .await
        .map_err(|e| e.to_string())?;
    let holder = kv.get(LOCK_KEY).await.map_err(|e| e.to_string())?;
    Ok(holder.as_deref() == Some(token))
}

/// Deletes the lock only if it is still ours (a run that outlived the TTL
/// must not free the next run's lock).
async fn release_lock(platform: &Platform, token: &str) {
    let kv = platform.kv.as_ref();
    match kv.get(LOCK_KEY).await {
        Ok(Some(holder)) if holder == token => {
            if let Err(e) = kv.delete(LOCK_KEY).await {
                tracing::warn!(error = %e, "cron: releasing the lock failed (it expires by TTL)");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cron: reading the lock failed (it expires by TTL)"),
    }
}

pub async fn last_success(platform: &Platform) -> Option<LastSuccess> {
    let text = platform.kv.get(LAST_SUCCESS_KEY).await.ok()??;
    serde_json::from_str(&text).ok()
}

fn day_of(ms: f64) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(ms as i64).map(|t| t.date_naive())
}

/// First day to sync for a collection last synced completely at
/// `last_success_ms`: the day before it (Oura revises recent days), but at
/// least `MIN_WINDOW_DAYS` and at most `MAX_WINDOW_DAYS` back from `today`.
pub fn window_start(today: NaiveDate, last_success_ms: Option<f64>) -> NaiveDate {
    let newest = today - Days::new(MIN_WINDOW_DAYS - 1);
    let oldest = today - Days::new(MAX_WINDOW_DAYS - 1);
    let since = last_success_ms
        .and_then(day_of)
        .map(|d| d - Days::new(1))
        .unwrap_or(newest);
    since.clamp(oldest, newest)
}

async fn sync_and_record(
    platform: &Platform,
    config: &Config,
    trigger: &str,
    started: f64,
) -> Result<(LastSuccess, bool), String> {
    let today = day_of(started).ok_or("clock out of range")?;
    let previous = last_success(platform).await.unwrap_or_default();
    let collections = deferral::order(
        discover(platform, config).await.collections,
        &previous.deferred,
    );
    let client = OuraClient::new(platform, config);
    let mut report = LastSuccess {
        timestamp: iso_timestamp(started),
        at_ms: started,
        trigger: trigger.to_string(),
        window: Window {
            start: today.to_string(),
            end: today.to_string(),
        },
        ..LastSuccess::default()
    };
    let mut earliest = today;
    for c in collections {
        let before = previous.collections.get(c.name);
        let last_ok = before.and_then(|s| s.last_success_ms);
        if crate::services::usage::queries_left(platform, config)
            .is_some_and(|left| left < QUERIES_PER_COLLECTION)
        {
            // Its mark stays where it was, so the next run reaches back to
            // it, and that run starts with it.
            tracing::warn!(collection = c.name, "cron: {DEFERRED}");
            report.deferred.push(c.name.to_string());
            report.collections.insert(
                c.name.to_string(),
                CollectionStatus {
                    start: window_start(today, last_ok).to_string(),
                    last_success_ms: last_ok,
                    deferred: true,
                    ..CollectionStatus::default()
                },
            );
            continue;
        }
        let start = window_start(today, last_ok);
        earliest = earliest.min(start);
        let r = sync_collection(&client, platform, c, start, today).await;
        if let Some(e) = &r.error {
            tracing::warn!(collection = c.name, error = %e, "cron: collection sync failed");
            report.failures.push(c.name.to_string());
        }
        report.rows_written += r.rows_written;
        report.collections.insert(
            c.name.to_string(),
            CollectionStatus {
                start: start.to_string(),
                windows: r.windows,
                documents: r.documents,
                rows_written: r.rows_written,
                // A failed collection keeps its old mark, so the next run
                // reaches back to it.
                last_success_ms: if r.error.is_none() {
                    Some(started)
                } else {
                    last_ok
                },
                error: r.error,
                deferred: false,
            },
        );
    }
    report.window.start = earliest.to_string();
    report.requests = client.request_count();

    // hook: renew webhook subscriptions
    renew_webhook_subscriptions(platform, config).await;

    let cache_invalidated = report.rows_written > 0 && {
        match sql_cache::invalidate(platform.kv.as_ref()).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %e, "cron: SQL cache invalidation failed");
                false
            }
        }
    };
    report.duration_ms = platform.clock.now_ms() - started;
    // Recorded even when some collections failed: their own marks stay
    // where they were. Only a run where nothing succeeded leaves it alone.
    let any_success = report
        .collections
        .values()
        .any(|s| s.error.is_none() && !s.deferred);
    if any_success {
        match serde_json::to_string(&report) {
            Ok(text) => {
                if let Err(e) = platform
                    .kv
                    .put(LAST_SUCCESS_KEY, &text, Some(LAST_SUCCESS_TTL_SECONDS))
                    .await
                {
                    tracing::warn!(error = %e, "cron: writing sync:last_success failed");
                } else {
                    tracing::info!("cron: recorded sync:last_success");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cron: encoding sync:last_success failed"),
        }
    }
    tracing::info!(
        rows_written = report.rows_written,
        failures = report.failures.len(),
        deferred = report.deferred.len(),
        requests = report.requests,
        "cron: sync finished"
    );
    Ok((report, cache_invalidated))
}

/// Renews Oura webhook subscriptions that expire within a week, when
/// webhooks are set up (a callback URL is configured). A failure is logged:
/// the next run tries again, and reconciliation covers the gap meanwhile.
async fn renew_webhook_subscriptions(platform: &Platform, config: &Config) {
    if config.webhooks.callback_url.is_none() {
        return;
    }
    match crate::services::webhooks::subscriptions::renew_expiring(platform, config).await {
        Ok(report) => tracing::info!(?report, "cron: webhook subscriptions checked"),
        Err(e) => tracing::warn!(error = %e, "cron: webhook subscription renewal failed"),
    }
}
