//! The backfill: a Cloudflare Workflow that syncs a long date range of
//! every collection (or the listed ones), one durable step per collection.
//!
//! Steps: `discover` → `sync:<collection>` for each → `invalidate-cache`.
//! A collection step syncs its windows oldest first and records progress
//! in KV after each, so a retried step resumes where the last attempt
//! stopped and `/backfill/status` can show progress while it runs. A
//! collection that exhausts its retries is reported as failed; the others
//! still complete (decisions.md fix #3). Writes go through the writer,
//! which upserts only changes, so a repeated backfill changes nothing.

mod progress;
mod steps;

pub use progress::{load_progress, CollectionProgress, Progress, PROGRESS_TTL_SECONDS};
pub use steps::{MemSteps, RetryPolicy, StepBody, StepFut, Steps};

use crate::routes::oura::{find, Collection, REGISTRY};
use crate::services::config::Config;
use crate::services::oura::{discover, windows, OuraClient};
use crate::services::platform::Platform;
use crate::services::sql_cache;
use crate::services::sync::sync_collection;
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
        let parse = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("bad date {s}: {e}"))
        };
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
        let step = format!("sync:{name}");
        let body = sync_body(platform, config, params, name);
        let result = match steps.run(&step, SYNC_POLICY, body).await {
            Ok(v) => serde_json::from_value(v).unwrap_or_else(|e| CollectionResult {
                collection: name.clone(),
                error: Some(format!("unreadable step result: {e}")),
                ..CollectionResult::default()
            }),
            Err(e) => {
                tracing::warn!(collection = %name, error = %e, "backfill: collection failed");
                let p = progress::mark_failed(platform, &params.instance_id, name, &e).await;
                CollectionResult {
                    collection: name.clone(),
                    success: false,
                    windows: p.windows_done,
                    documents: p.documents,
                    rows_written: p.rows_written,
                    requests: p.requests,
                    error: Some(e),
                }
            }
        };
        results.push(result);
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
            let found = discover(&platform, &config).await.collections;
            let names = selected(&found, &params.resources);
            let (start, end) = params.dates()?;
            let totals: Vec<(String, u32)> = names
                .iter()
                .filter_map(|n| find(n).map(|c| (n.clone(), windows(c, start, end).len() as u32)))
                .collect();
            progress::init(&platform, &params, &totals).await?;
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
        Box::pin(async move { sync_step(&platform, &config, &params, &name).await })
    })
}

/// Progress is saved after a window only when this much time has passed
/// (or at the end): KV allows 1,000 writes a day on the free tier.
const PROGRESS_EVERY_MS: f64 = 2_000.0;

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
    let mut p = progress::entry(platform, id, name).await;
    p.state = "running".into();
    p.attempts += 1;
    p.windows_total = all.len() as u32;
    p.error = None;
    progress::save_entry(platform, id, name, &p).await;
    let earlier_requests = p.requests;
    let client = OuraClient::new(platform, config);
    let mut saved_at = platform.clock.now_ms();
    let mut outcome = Ok(());
    for (from, to) in all.iter().skip(p.windows_done as usize) {
        let r = sync_collection(&client, platform, c, *from, *to).await;
        p.documents += r.documents;
        p.rows_written += r.rows_written;
        if let Some(e) = r.error {
            outcome = Err(format!("{from}..{to}: {e}"));
            break;
        }
        p.windows_done += 1;
        let now = platform.clock.now_ms();
        if now - saved_at >= PROGRESS_EVERY_MS {
            p.requests = earlier_requests + client.request_count();
            progress::save_entry(platform, id, name, &p).await;
            saved_at = now;
        }
    }
    p.requests = earlier_requests + client.request_count();
    match outcome {
        Ok(()) => {
            p.state = "done".into();
            progress::save_entry(platform, id, name, &p).await;
            serde_json::to_value(CollectionResult {
                collection: name.to_string(),
                success: true,
                windows: p.windows_done,
                documents: p.documents,
                rows_written: p.rows_written,
                requests: p.requests,
                error: None,
            })
            .map_err(|e| e.to_string())
        }
        Err(e) => {
            // Retried by the runtime; the next attempt resumes at this window.
            p.state = "retrying".into();
            p.error = Some(e.clone());
            progress::save_entry(platform, id, name, &p).await;
            Err(e)
        }
    }
}
