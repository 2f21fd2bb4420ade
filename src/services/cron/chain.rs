//! A cron run as a chain of invocations: each syncs the collections its
//! CPU allowance holds (the Free plan gives 10 ms an invocation; a whole
//! run of every collection took 36-59 ms), then hands the rest, with the
//! report so far, to the next link through the webhook queue. The last
//! link writes `sync:last_success` once, so KV writes stay one a run.

use super::{window_start, CollectionStatus, LastSuccess, QUERIES_PER_COLLECTION};
use crate::services::collections::{find, Collection};
use crate::services::config::Config;
use crate::services::oura::OuraClient;
use crate::services::platform::Platform;
use crate::services::sync::sync_collection;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What one invocation may spend, in collection units (`units`): about
/// 1.5 ms a collection of daily documents, twice that for heart rate's
/// samples, beside each invocation's fixed cost (`make bench`, cpu).
pub const UNITS_PER_LINK: u32 = 3;
/// The scheduled invocation also purges OAuth states, takes the lock and
/// discovers the collections.
pub const UNITS_FIRST_LINK: u32 = 1;

/// The rest of a run, carried by a queue message (`cron_run` tells it from
/// a webhook event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The run's lock token: a link whose run no longer holds the lock (a
    /// duplicate delivery after the run ended) is dropped.
    pub cron_run: String,
    /// The run's last day (UTC), fixed when it started.
    pub today: String,
    /// Collections still to sync, in order.
    pub pending: Vec<String>,
    /// Their marks (epoch ms of their last complete sync) before this run.
    #[serde(default)]
    pub marks: BTreeMap<String, f64>,
    pub report: LastSuccess,
}

impl Link {
    /// What goes on the queue: JSON text, as webhook events go (workers-rs
    /// would send a `Value` object as a JS `Map`, flattened to `{}`).
    pub fn to_message(&self) -> Result<Value, String> {
        serde_json::to_string(self)
            .map(Value::String)
            .map_err(|e| e.to_string())
    }

    /// The link a queue message carries, if it is one.
    pub fn from_message(body: &Value) -> Option<Link> {
        let text = body.as_str()?;
        if !text.contains("\"cron_run\"") {
            return None;
        }
        serde_json::from_str(text).ok()
    }

    fn today(&self) -> Result<NaiveDate, String> {
        NaiveDate::parse_from_str(&self.today, "%Y-%m-%d")
            .map_err(|e| format!("bad day {}: {e}", self.today))
    }
}

/// A collection's share of an invocation.
fn units(c: &Collection) -> u32 {
    if c.bulk.is_some() {
        2
    } else {
        1
    }
}

/// Syncs the link's collections until `allowance` units are spent (at
/// least one collection, so a chain always moves) or D1 calls run low.
/// Returns the link with what is left.
pub async fn advance(
    platform: &Platform,
    config: &Config,
    mut link: Link,
    allowance: u32,
) -> Result<Link, String> {
    let today = link.today()?;
    let client = OuraClient::new(platform, config);
    let mut spent = 0;
    while let Some(name) = link.pending.first().cloned() {
        let Some(c) = find(&name) else {
            tracing::warn!(collection = %name, "cron: unknown collection dropped");
            link.pending.remove(0);
            continue;
        };
        let cost = units(c);
        let out_of_calls = crate::services::usage::queries_left(platform, config)
            .is_some_and(|left| left < QUERIES_PER_COLLECTION);
        if spent > 0 && (spent + cost > allowance || out_of_calls) {
            break;
        }
        link.pending.remove(0);
        spent += cost;
        let last_ok = link.marks.get(c.name).copied();
        let start = window_start(today, last_ok);
        let r = sync_collection(&client, platform, c, start, today).await;
        let report = &mut link.report;
        if let Some(e) = &r.error {
            tracing::warn!(collection = c.name, error = %e, "cron: collection sync failed");
            report.failures.push(c.name.to_string());
        }
        report.window.start = report.window.start.clone().min(start.to_string());
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
                    Some(report.at_ms)
                } else {
                    last_ok
                },
                error: r.error,
                deferred: false,
            },
        );
    }
    link.report.requests += client.request_count();
    Ok(link)
}

/// Marks what the chain could not reach as deferred: their marks stay, and
/// the next run starts with them.
pub fn defer_pending(link: &mut Link, today: &str) {
    for name in std::mem::take(&mut link.pending) {
        tracing::warn!(collection = %name, "cron: {}", super::DEFERRED);
        let last_ok = link.marks.get(&name).copied();
        let start = NaiveDate::parse_from_str(today, "%Y-%m-%d")
            .map(|d| window_start(d, last_ok).to_string())
            .unwrap_or_default();
        link.report.deferred.push(name.clone());
        link.report.collections.insert(
            name,
            CollectionStatus {
                start,
                last_success_ms: last_ok,
                deferred: true,
                ..CollectionStatus::default()
            },
        );
    }
}
