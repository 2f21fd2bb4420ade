//! Per-run progress in KV (`backfill:progress:<instance id>`), written by
//! the steps and read by `/backfill/status`. Steps run one after another,
//! so a read-modify-write of the one record never races.

use super::Params;
use crate::services::platform::Platform;
use crate::services::time::iso_timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const PROGRESS_PREFIX: &str = "backfill:progress:";
/// A week: status stays readable well after the run.
pub const PROGRESS_TTL_SECONDS: u64 = 7 * 86_400;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionProgress {
    /// pending | running | retrying | paused | done | failed
    pub state: String,
    pub windows_done: u32,
    pub windows_total: u32,
    pub documents: u64,
    pub rows_written: u64,
    /// Requests over every attempt.
    pub requests: u32,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// The most rows one window wrote: the estimate for the next window
    /// against the daily write budget.
    #[serde(default)]
    pub max_window_rows: u64,
    /// While `paused` for the daily write budget: when it resumes (ISO).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resumes_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub start: String,
    pub end: String,
    pub updated_at: String,
    pub collections: BTreeMap<String, CollectionProgress>,
}

fn key(id: &str) -> String {
    format!("{PROGRESS_PREFIX}{id}")
}

pub async fn load_progress(platform: &Platform, id: &str) -> Option<Progress> {
    match platform.kv.get(&key(id)).await {
        Ok(Some(text)) => serde_json::from_str(&text).ok(),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "backfill: reading progress failed");
            None
        }
    }
}

async fn store(platform: &Platform, id: &str, p: &mut Progress) -> Result<(), String> {
    p.updated_at = iso_timestamp(platform.clock.now_ms());
    let text = serde_json::to_string(p).map_err(|e| e.to_string())?;
    platform
        .kv
        .put(&key(id), &text, Some(PROGRESS_TTL_SECONDS))
        .await
        .map_err(|e| e.to_string())
}

/// Adds a pending entry for each collection not yet known (a repeated
/// discovery keeps what earlier attempts recorded).
pub async fn init(
    platform: &Platform,
    params: &Params,
    totals: &[(String, u32)],
) -> Result<(), String> {
    let mut p = load_progress(platform, &params.instance_id)
        .await
        .unwrap_or_default();
    p.start.clone_from(&params.start);
    p.end.clone_from(&params.end);
    for (name, total) in totals {
        p.collections
            .entry(name.clone())
            .or_insert_with(|| CollectionProgress {
                state: "pending".into(),
                windows_total: *total,
                ..CollectionProgress::default()
            });
    }
    store(platform, &params.instance_id, &mut p).await
}

pub async fn entry(platform: &Platform, id: &str, name: &str) -> CollectionProgress {
    load_progress(platform, id)
        .await
        .and_then(|mut p| p.collections.remove(name))
        .unwrap_or_default()
}

/// Saves one collection's entry; a failure is logged (progress is advisory:
/// losing it costs a re-fetch, never data).
pub async fn save_entry(platform: &Platform, id: &str, name: &str, c: &CollectionProgress) {
    let mut p = load_progress(platform, id).await.unwrap_or_default();
    save_in(platform, id, &mut p, name, c).await;
}

/// Saves one collection's entry into a record already loaded: only the
/// workflow writes progress, one step at a time, so a step loads the
/// record once (each KV read costs the step CPU time) and saves it as it goes.
pub async fn save_in(
    platform: &Platform,
    id: &str,
    record: &mut Progress,
    name: &str,
    c: &CollectionProgress,
) {
    record.collections.insert(name.to_string(), c.clone());
    if let Err(e) = store(platform, id, record).await {
        tracing::warn!(error = %e, "backfill: saving progress failed");
    }
}

/// Marks a collection whose retries are exhausted.
pub async fn mark_failed(
    platform: &Platform,
    id: &str,
    name: &str,
    error: &str,
) -> CollectionProgress {
    let mut c = entry(platform, id, name).await;
    c.state = "failed".into();
    c.error = Some(error.to_string());
    save_entry(platform, id, name, &c).await;
    c
}
