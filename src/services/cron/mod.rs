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
//! - A run is a chain of invocations (`chain`): the scheduled one purges,
//!   takes the lock, discovers the collections and queues them all as the
//!   next link (it syncs one itself only when the queue refuses); each
//!   link, a message on the webhook queue, syncs the few its 10 ms of CPU
//!   hold (or fewer, when D1 calls run low). The lock is held until the
//!   last link, which syncs nothing: it renews webhook subscriptions,
//!   invalidates the SQL cache and writes `sync:last_success`.
//! - Collections run one after another: wasm is single-threaded and the
//!   Oura rate limit is per user, so parallel fetches would gain little.
//! - When the next link cannot be queued, the remaining collections are
//!   deferred: reported as such (not as synced), their marks kept, and the
//!   next run starts with them (`deferral`).

mod chain;
mod deferral;

pub use chain::{Link, Task, UNITS_FIRST_LINK, UNITS_PER_LINK};

use crate::services::apart::Apart;
use crate::services::config::Config;
use crate::services::oura::discover;
use crate::services::platform::{Platform, Statement};
use crate::services::sql_cache;
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
/// Why a collection was left for the next run: the run's next link could
/// not be queued.
pub const DEFERRED: &str = "deferred to the next run: the next link could not be queued";

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
    /// Collections this run did not reach (its next link could not be
    /// queued), in the order the next run takes them first.
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
    /// This link synced its share; the next link, queued, has `pending`.
    Continued {
        states_purged: u64,
        pending: Vec<String>,
    },
    Ran {
        states_purged: u64,
        report: LastSuccess,
        cache_invalidated: bool,
    },
    /// The run could not start (clock out of range, KV unusable for the lock).
    Skipped { states_purged: u64, reason: String },
}

impl CronOutcome {
    /// "cron finished: …" when the run ended (ran, locked, skipped), else
    /// "cron continued: …".
    pub fn log(&self) {
        match self {
            CronOutcome::Continued { .. } => tracing::info!("cron continued: {}", self.summary()),
            _ => tracing::info!("cron finished: {}", self.summary()),
        }
    }

    /// One line for the log.
    pub fn summary(&self) -> String {
        match self {
            CronOutcome::Locked { states_purged } => {
                format!("locked: another run is syncing (purged {states_purged} OAuth states)")
            }
            CronOutcome::Continued { pending, .. } => format!(
                "continued: {} collections left for the next link",
                pending.len()
            ),
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

/// The scheduled event: purges OAuth states, takes the lock and hands the
/// run to the queue. Never fails: everything is reported and logged.
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
    let outcome = match first_link(platform, config, trigger, started, &token).await {
        Ok(link) => match hand_off(platform, &link).await {
            Some(pending) => Ok(Stepped::Continued { pending }),
            // The queue refused: a share synced here, the rest deferred, as
            // for any link that cannot be queued. Apart, so the scheduled
            // event compiles the sync path only when it takes it.
            None => {
                let share: Apart<Result<Stepped, String>> =
                    Box::pin(step(platform, config, link, chain::UNITS_FIRST_LINK));
                share.await
            }
        },
        Err(reason) => {
            release_lock(platform, &token).await;
            Err(reason)
        }
    };
    with_purged(outcome, states_purged)
}

/// Queues the whole run as its next link, so the scheduled invocation syncs
/// nothing itself: its purge, lock and discovery, in an isolate that is
/// often new, are its share of the 10 ms. The collections queued, or `None`
/// when the link could not be queued.
async fn hand_off(platform: &Platform, link: &Link) -> Option<Vec<String>> {
    let sent = match link.to_message() {
        Ok(body) => platform.queue.send(&body).await.map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    match sent {
        Ok(()) => Some(link.pending_collections()),
        Err(e) => {
            tracing::warn!(error = %e, "cron: could not queue the run's first link");
            None
        }
    }
}

/// A link of a run delivered by the queue: the next collections, then the
/// next link or the end of the run.
pub async fn resume(platform: &Platform, config: &Config, link: Link) -> CronOutcome {
    let holder = match platform.kv.get(LOCK_KEY).await {
        Ok(holder) => holder,
        Err(e) => {
            // Going on risks only a repeated link's work (the writer
            // upserts changes only); stopping would lose the run's record.
            tracing::warn!(error = %e, "cron: could not read the lock; the link goes on");
            Some(link.cron_run.clone())
        }
    };
    if holder.as_deref() != Some(link.cron_run.as_str()) {
        return CronOutcome::Skipped {
            states_purged: 0,
            reason: format!(
                "a link of run {} after the run ended (a repeated delivery); dropped",
                link.cron_run
            ),
        };
    }
    let allowance = if link.is_first() {
        chain::UNITS_FIRST_LINK
    } else {
        chain::UNITS_PER_LINK
    };
    with_purged(step(platform, config, link, allowance).await, 0)
}

fn with_purged(outcome: Result<Stepped, String>, states_purged: u64) -> CronOutcome {
    match outcome {
        Ok(Stepped::Continued { pending }) => CronOutcome::Continued {
            states_purged,
            pending,
        },
        Ok(Stepped::Ended {
            report,
            cache_invalidated,
        }) => CronOutcome::Ran {
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

enum Stepped {
    Continued {
        pending: Vec<String>,
    },
    Ended {
        report: LastSuccess,
        cache_invalidated: bool,
    },
}

/// One link: its collections, then the next link sent, or the run ended
/// (the lock released). A link that cannot be sent, or that moved nothing,
/// ends the run with the rest deferred to the next one. A link that synced
/// the last collections still sends one, with nothing pending: the run's
/// end (subscriptions, cache, record) is then an invocation of its own,
/// not added to a link's syncing under the Free plan's 10 ms.
async fn step(
    platform: &Platform,
    config: &Config,
    link: Link,
    allowance: u32,
) -> Result<Stepped, String> {
    let token = link.cron_run.clone();
    let before = link.pending.len();
    let link = match chain::advance(platform, config, link, allowance).await {
        Ok(link) => link,
        Err(reason) => {
            release_lock(platform, &token).await;
            return Err(reason);
        }
    };
    if link.pending.len() < before {
        match link.to_message() {
            Ok(body) => match platform.queue.send(&body).await {
                Ok(()) => {
                    return Ok(Stepped::Continued {
                        pending: link.pending_collections(),
                    })
                }
                Err(e) => tracing::warn!(error = %e, "cron: could not queue the next link"),
            },
            Err(e) => tracing::warn!(error = %e, "cron: could not encode the next link"),
        }
    }
    // Apart: most links continue, and never compile the run's end.
    let end: Apart<Stepped> = Box::pin(end_run(platform, config, link, token));
    Ok(end.await)
}

/// The run ends at this link: a collection it started is finished, the rest
/// deferred, the run recorded and the lock released.
async fn end_run(platform: &Platform, config: &Config, mut link: Link, token: String) -> Stepped {
    if !link.pending.is_empty() {
        link = match chain::finish_started(platform, config, link.clone()).await {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(error = %e, "cron: finishing the started collection failed");
                link
            }
        };
    }
    chain::defer_pending(&mut link);
    let cache_invalidated = finish(platform, config, &mut link.report).await;
    release_lock(platform, &token).await;
    Stepped::Ended {
        report: link.report,
        cache_invalidated,
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

/// The run's first link: every discovered collection, the ones the last
/// run deferred first, else one light one (`chain::light_first`), each with
/// its mark from the last run.
async fn first_link(
    platform: &Platform,
    config: &Config,
    trigger: &str,
    started: f64,
    token: &str,
) -> Result<Link, String> {
    let today = day_of(started).ok_or("clock out of range")?;
    let previous = last_success(platform).await.unwrap_or_default();
    let collections = deferral::order(
        discover(platform, config).await.collections,
        &previous.deferred,
    );
    let mark = |name: &str| previous.collections.get(name)?.last_success_ms;
    let marks = collections
        .iter()
        .filter_map(|c| Some((c.name.to_string(), mark(c.name)?)))
        .collect();
    let mut pending = collections
        .iter()
        .flat_map(|c| chain::tasks(c, window_start(today, mark(c.name)), today))
        .collect();
    // Not after a deferral: the deferred lead, or a heavy one among them
    // could be put off run after run while the queue refuses.
    if previous.deferred.is_empty() {
        chain::light_first(&mut pending);
    }
    Ok(Link {
        cron_run: token.to_string(),
        pending,
        marks,
        report: LastSuccess {
            timestamp: iso_timestamp(started),
            at_ms: started,
            trigger: trigger.to_string(),
            window: Window {
                start: today.to_string(),
                end: today.to_string(),
            },
            ..LastSuccess::default()
        },
    })
}

/// The run's end: webhook subscriptions renewed, the SQL cache invalidated
/// when rows changed, and `sync:last_success` written. Returns whether the
/// cache was invalidated.
async fn finish(platform: &Platform, config: &Config, report: &mut LastSuccess) -> bool {
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
    report.duration_ms = platform.clock.now_ms() - report.at_ms;
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
    cache_invalidated
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
