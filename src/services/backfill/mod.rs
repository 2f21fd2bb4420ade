//! The backfill: a Cloudflare Workflow that syncs a long date range of
//! every collection (or the listed ones), one durable step per collection.
//!
//! Steps: `discover` → `sync:<collection>` (then `sync:<collection>:<n>`
//! while windows remain, at most `WINDOWS_PER_STEP` or about
//! `DOCUMENTS_PER_STEP` a step) for each →
//! `invalidate-cache`. When the day's D1 write budget is reached, the run
//! sleeps (`quota:<collection>:<n>`) until the next UTC day and continues.
//! A step syncs its windows oldest first and records progress
//! in KV after each, so a retried step resumes where the last attempt
//! stopped and `/backfill/status` can show progress while it runs. A
//! collection that exhausts its retries is reported as failed; the others
//! still complete (decisions.md fix #3). Writes go through the writer,
//! which upserts only changes, so a repeated backfill changes nothing.

mod budget;
mod progress;
mod steps;

use crate::services::time::{iso_timestamp, parse_day};
pub use budget::{resume_at_ms, Budget};

pub use progress::{load_progress, CollectionProgress, Progress, PROGRESS_TTL_SECONDS};
pub use steps::{MemSteps, RetryPolicy, StepBody, StepFut, Steps};

use crate::services::collections::{find, Collection, REGISTRY};
use crate::services::config::Config;
use crate::services::oura::{discover, windows, OuraClient};
use crate::services::platform::Platform;
use crate::services::sql_cache;
use crate::services::sync::sync_collection;
use crate::services::usage;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::rc::Rc;

pub const MAX_DAYS: u32 = 3650;
pub const DEFAULT_DAYS: u32 = 730;
/// `backfill:active:<sha256 of the parameters>` → the running instance id.
pub const ACTIVE_PREFIX: &str = "backfill:active:";
pub const ACTIVE_TTL_SECONDS: u64 = 86_400;

pub const DISCOVER_POLICY: RetryPolicy = RetryPolicy {
    limit: 3,
    delay_ms: 2_000,
    exponential: true,
    timeout_ms: 30_000,
};
/// Each attempt already retries every request 3 times (honouring
/// Retry-After); two more attempts, a few seconds apart, outlast short
/// outages without tripping the circuit breaker (5 consecutive failures).
pub const SYNC_POLICY: RetryPolicy = RetryPolicy {
    limit: 2,
    delay_ms: 3_000,
    exponential: true,
    timeout_ms: 10 * 60_000,
};
pub const CACHE_POLICY: RetryPolicy = RetryPolicy {
    limit: 2,
    delay_ms: 2_000,
    exponential: false,
    timeout_ms: 15_000,
};

/// What a run is asked to do; the Workflow's `event.payload`. The dates are
/// fixed when the run is requested: the Workflow replays its code on
/// resume, so it must not read the clock outside a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(default)]
    pub instance_id: String,
    pub total_days: u32,
    pub offset_days: u32,
    /// Inclusive days.
    pub start: String,
    pub end: String,
    /// Canonical collection names, sorted; empty means every collection.
    #[serde(default)]
    pub resources: Vec<String>,
}

impl Params {
    /// Identifies "the same backfill" for reuse of an active instance.
    pub fn request_key(&self) -> String {
        let canonical = json!({
            "totalDays": self.total_days,
            "offsetDays": self.offset_days,
            "resources": self.resources,
        });
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }

    fn dates(&self) -> Result<(NaiveDate, NaiveDate), String> {
        let parse = |s: &str| parse_day(s).ok_or_else(|| format!("bad date {s}"));
        Ok((parse(&self.start)?, parse(&self.end)?))
    }
}

/// One collection's outcome, as in the run's output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionResult {
    pub collection: String,
    pub success: bool,
    pub windows: u32,
    pub documents: u64,
    pub rows_written: u64,
    pub requests: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// Statuses after which an instance never runs again.
pub fn is_terminal(status: &str) -> bool {
    matches!(status, "complete" | "errored" | "terminated")
}

/// The whole run. Every effect happens inside a step; the returned value is
/// the Workflow's output.
pub async fn run(
    steps: &dyn Steps,
    platform: &Platform,
    config: &Config,
    params: &Params,
) -> Value {
    let names = match steps
        .run(
            "discover",
            DISCOVER_POLICY,
            discover_body(platform, config, params),
        )
        .await
    {
        Ok(v) => serde_json::from_value::<Vec<String>>(v).unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, "backfill: discovery step failed; using the registry");
            selected(REGISTRY, &params.resources)
        }
    };
    let mut results = Vec::new();
    for name in &names {
        results.push(sync_collection_steps(steps, platform, config, params, name).await);
    }
    let rows_written: u64 = results.iter().map(|r| r.rows_written).sum();
    let mut cache = Value::Null;
    if rows_written > 0 {
        let kv = platform.kv.clone();
        let body: StepBody = Rc::new(move || {
            let kv = kv.clone();
            Box::pin(async move {
                sql_cache::invalidate(kv.as_ref())
                    .await
                    .map(|g| json!({ "generation": g }))
                    .map_err(|e| e.to_string())
            })
        });
        cache = match steps.run("invalidate-cache", CACHE_POLICY, body).await {
            Ok(v) => v,
            Err(e) => json!({ "error": e }),
        };
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.success)
        .map(|r| r.collection.as_str())
        .collect();
    json!({
        "totalDays": params.total_days,
        "offsetDays": params.offset_days,
        "start": params.start,
        "end": params.end,
        "resources": results.len(),
        "successful": results.len() - failed.len(),
        "failed": failed.len(),
        "failedCollections": failed,
        "totalRequests": results.iter().map(|r| u64::from(r.requests)).sum::<u64>(),
        "rowsWritten": rows_written,
        "cacheInvalidation": cache,
        "results": results,
    })
}

/// The outcome of one `sync:` step: the collection's figures so far, and
/// whether it is finished or paused for the daily write budget.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    pub result: CollectionResult,
    pub finished: bool,
    /// Set when the step stopped for the daily write budget.
    #[serde(default)]
    pub resume_at_ms: Option<f64>,
    /// The clock when the step ended (the sleep is measured from it).
    pub now_ms: f64,
}

/// A collection's steps: `sync:<name>`, then `sync:<name>:<n>` while windows
/// remain (each step syncs at most `WINDOWS_PER_STEP`, within the D1 queries
/// one invocation may make), with a `quota:<name>:<n>` sleep until the next
/// UTC day whenever the daily write budget is reached. Step results are
/// memoised, so a replay takes the same path without re-running anything.
async fn sync_collection_steps(
    steps: &dyn Steps,
    platform: &Platform,
    config: &Config,
    params: &Params,
    name: &str,
) -> CollectionResult {
    let mut chunk: u32 = 0;
    let mut last_done = None;
    loop {
        let step = if chunk == 0 {
            format!("sync:{name}")
        } else {
            format!("sync:{name}:{chunk}")
        };
        let body = sync_body(platform, config, params, name);
        let outcome = match steps.run(&step, SYNC_POLICY, body).await {
            Ok(v) => serde_json::from_value::<StepOutcome>(v)
                .map_err(|e| format!("unreadable step result: {e}")),
            Err(e) => Err(e),
        };
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(collection = %name, error = %e, "backfill: collection failed");
                let p = progress::mark_failed(platform, &params.instance_id, name, &e).await;
                return CollectionResult {
                    collection: name.to_string(),
                    success: false,
                    windows: p.windows_done,
                    documents: p.documents,
                    rows_written: p.rows_written,
                    requests: p.requests,
                    error: Some(e),
                };
            }
        };
        if outcome.finished {
            return outcome.result;
        }
        if let Some(resume) = outcome.resume_at_ms {
            let ms = (resume - outcome.now_ms).max(0.0) as u64;
            steps.sleep(&format!("quota:{name}:{chunk}"), ms).await;
        } else if last_done == Some(outcome.result.windows) {
            // Neither finished, nor paused, nor further: stop rather than loop.
            let e = "no progress in a step".to_string();
            let p = progress::mark_failed(platform, &params.instance_id, name, &e).await;
            return CollectionResult {
                success: false,
                error: Some(e),
                windows: p.windows_done,
                ..outcome.result
            };
        }
        last_done = Some(outcome.result.windows);
        chunk += 1;
    }
}

fn selected(all: &[&'static Collection], wanted: &[String]) -> Vec<String> {
    all.iter()
        .filter(|c| wanted.is_empty() || wanted.iter().any(|w| w == c.name))
        .map(|c| c.name.to_string())
        .collect()
}

/// `discover`: the collections to sync, and their empty progress entries.
fn discover_body(platform: &Platform, config: &Config, params: &Params) -> StepBody {
    let (platform, config, params) = (platform.clone(), config.clone(), params.clone());
    Rc::new(move || {
        let (platform, config, params) = (platform.clone(), config.clone(), params.clone());
        Box::pin(async move {
            let platform = usage::step_scope(&platform);
            let found = discover(&platform, &config).await.collections;
            let names = selected(&found, &params.resources);
            let (start, end) = params.dates()?;
            let totals: Vec<(String, u32)> = names
                .iter()
                .filter_map(|n| find(n).map(|c| (n.clone(), windows(c, start, end).len() as u32)))
                .collect();
            progress::init(&platform, &params, &totals).await?;
            usage::finish(&platform).await;
            Ok(json!(names))
        })
    })
}

/// `sync:<collection>`: every window not yet done, oldest first.
fn sync_body(platform: &Platform, config: &Config, params: &Params, name: &str) -> StepBody {
    let (platform, config, params, name) = (
        platform.clone(),
        config.clone(),
        params.clone(),
        name.to_string(),
    );
    Rc::new(move || {
        let (platform, config, params, name) = (
            platform.clone(),
            config.clone(),
            params.clone(),
            name.clone(),
        );
        Box::pin(async move {
            let platform = usage::step_scope(&platform);
            let out = sync_step(&platform, &config, &params, &name).await;
            usage::finish(&platform).await;
            out
        })
    })
}

/// Progress is saved after a window only when this much time has passed
/// (or at the end): KV allows 1,000 writes a day on the free tier.
const PROGRESS_EVERY_MS: f64 = 2_000.0;
/// Windows one step syncs at most: a step is one invocation, and each
/// window costs a D1 call (its write batch).
pub const WINDOWS_PER_STEP: u32 = 8;
/// A step starts no further window once it has synced this many documents:
/// CPU grows with them (in bulk ~3 µs each past ~5 ms of fixed cost), and
/// the Free plan allows a step 10 ms. One window of heart rate (5 days,
/// 1,440 samples) or ring battery (20 days, 960) is a step; daily
/// collections still take 8 windows a step.
pub const DOCUMENTS_PER_STEP: u64 = 600;
/// D1 calls kept in hand before a window: its write batch, a token refresh,
/// and persisting the usage meter.
const QUERIES_PER_WINDOW: u64 = 3;

/// One `sync:` step: the collection's next windows, oldest first, until it
/// is finished, the step has done `WINDOWS_PER_STEP` or
/// `DOCUMENTS_PER_STEP`, the invocation's D1 calls run low, or the day's
/// write budget would be exceeded.
pub async fn sync_step(
    platform: &Platform,
    config: &Config,
    params: &Params,
    name: &str,
) -> Result<Value, String> {
    let c = find(name).ok_or_else(|| format!("unknown collection {name}"))?;
    let (start, end) = params.dates()?;
    let all = windows(c, start, end);
    let id = &params.instance_id;
    let budget = Budget::today(platform, config).await;
    let mut record = load_progress(platform, id).await.unwrap_or_default();
    let mut p = record.collections.get(name).cloned().unwrap_or_default();
    p.state = "running".into();
    p.attempts += 1;
    p.windows_total = all.len() as u32;
    p.error = None;
    p.resumes_at = None;
    // Saved when the step ends (or every `PROGRESS_EVERY_MS`), not as it
    // starts: one KV write a step, and each costs the step CPU time.
    let earlier_requests = p.requests;
    let client = OuraClient::new(platform, config);
    let mut saved_at = platform.clock.now_ms();
    let mut outcome = Ok(());
    let mut written_here = 0u64;
    let mut resume_at_ms = None;
    let mut documents_here = 0u64;
    for (done_here, (from, to)) in all.iter().skip(p.windows_done as usize).enumerate() {
        if done_here >= WINDOWS_PER_STEP as usize
            || documents_here >= DOCUMENTS_PER_STEP
            || crate::services::usage::queries_left(platform, config)
                .is_some_and(|left| left < QUERIES_PER_WINDOW)
        {
            break;
        }
        if !budget.allows(written_here, p.max_window_rows) {
            let now = platform.clock.now_ms();
            let resume = budget::resume_at_ms(now);
            tracing::info!(collection = name, resume_at = %iso_timestamp(resume), "backfill: daily write budget reached; pausing");
            resume_at_ms = Some(resume);
            break;
        }
        let r = sync_collection(&client, platform, c, *from, *to).await;
        p.documents += r.documents;
        documents_here += r.documents;
        p.rows_written += r.rows_written;
        written_here += r.rows_written;
        p.max_window_rows = p.max_window_rows.max(r.rows_written);
        if let Some(e) = r.error {
            outcome = Err(format!("{from}..{to}: {e}"));
            break;
        }
        p.windows_done += 1;
        let now = platform.clock.now_ms();
        if now - saved_at >= PROGRESS_EVERY_MS {
            p.requests = earlier_requests + client.request_count();
            progress::save_in(platform, id, &mut record, name, &p).await;
            saved_at = now;
        }
    }
    p.requests = earlier_requests + client.request_count();
    if let Err(e) = outcome {
        // Retried by the runtime; the next attempt resumes at this window.
        p.state = "retrying".into();
        p.error = Some(e.clone());
        progress::save_in(platform, id, &mut record, name, &p).await;
        return Err(e);
    }
    let finished = p.windows_done as usize >= all.len();
    p.state = if finished {
        "done".into()
    } else if let Some(resume) = resume_at_ms {
        p.resumes_at = Some(iso_timestamp(resume));
        "paused".into()
    } else {
        "running".into()
    };
    progress::save_in(platform, id, &mut record, name, &p).await;
    serde_json::to_value(StepOutcome {
        result: CollectionResult {
            collection: name.to_string(),
            success: true,
            windows: p.windows_done,
            documents: p.documents,
            rows_written: p.rows_written,
            requests: p.requests,
            error: None,
        },
        finished,
        resume_at_ms,
        now_ms: platform.clock.now_ms(),
    })
    .map_err(|e| e.to_string())
}
