//! A cron run as a chain of invocations: each syncs the tasks its CPU
//! allowance holds (the Free plan gives 10 ms an invocation; a whole run
//! of every collection took 36-59 ms), then hands the rest, with the
//! report so far, to the next link through the webhook queue. The last
//! link writes `sync:last_success` once, so KV writes stay one a run.
//!
//! A task is a collection's window, or one day of it for a collection of
//! many samples or series a day (`cron_units` above 1): three days of sleep
//! took 10-12 ms in one link.

use super::{CollectionStatus, LastSuccess, QUERIES_PER_COLLECTION};
use crate::services::collections::{find, Collection};
use crate::services::config::Config;
use crate::services::oura::OuraClient;
use crate::services::platform::Platform;
use crate::services::sync::sync_collection;
use crate::services::time::parse_day;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What one invocation may spend, in units of `cron_units` a task: two
/// light collections, or one day of a heavy one, beside each invocation's
/// fixed 4-5 ms (`make bench`, cpu: three units took up to 16 ms).
pub const UNITS_PER_LINK: u32 = 2;
/// What a run's first link syncs: it is usually the first sync in its
/// isolate, where nothing has been optimised yet and its code may have to
/// be compiled first (`make bench`, cpu: 9-12 ms for two units with the
/// code compiled at startup, 13-23 without). Also what the scheduled
/// invocation syncs itself when the queue refuses the run (beside purging
/// OAuth states, taking the lock and discovering the collections).
pub const UNITS_FIRST_LINK: u32 = 1;

/// One collection over some days: what a link takes whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub collection: String,
    /// Inclusive days.
    pub start: String,
    pub end: String,
}

/// The tasks for `collection` from `start` to `today`: one, or one a day
/// when it weighs more than a unit.
pub fn tasks(collection: &Collection, start: NaiveDate, today: NaiveDate) -> Vec<Task> {
    let task = |from: NaiveDate, to: NaiveDate| Task {
        collection: collection.name.to_string(),
        start: from.to_string(),
        end: to.to_string(),
    };
    if collection.cron_units <= 1 {
        return vec![task(start, today)];
    }
    start
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| task(d, d))
        .collect()
}

/// Moves the first light task (a collection of `cron_units` 1) to the
/// front: the run's first link, usually the first sync in its isolate,
/// then reads a few small documents rather than a day of series (`make
/// bench`, cpu: 5.3 ms at p50 in a fresh isolate against 7.6).
pub fn light_first(tasks: &mut Vec<Task>) {
    let light = tasks
        .iter()
        .position(|t| find(&t.collection).is_some_and(|c| c.cron_units <= 1));
    if let Some(i) = light {
        let task = tasks.remove(i);
        tasks.insert(0, task);
    }
}

/// The rest of a run, carried by a queue message (`cron_run` tells it from
/// a webhook event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The run's lock token: a link whose run no longer holds the lock (a
    /// duplicate delivery after the run ended) is dropped.
    pub cron_run: String,
    /// Tasks still to do, in order.
    pub pending: Vec<Task>,
    /// Each collection's mark (epoch ms of its last complete sync) before
    /// this run: what a failed or deferred collection keeps.
    #[serde(default)]
    pub marks: BTreeMap<String, f64>,
    pub report: LastSuccess,
}

impl Link {
    /// Whether no collection has synced in this run yet: the run's first
    /// link (`UNITS_FIRST_LINK`).
    pub fn is_first(&self) -> bool {
        self.report.collections.is_empty()
    }

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

    /// The collections still pending, each once, in order.
    pub fn pending_collections(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for t in &self.pending {
            if names.last() != Some(&t.collection) {
                names.push(t.collection.clone());
            }
        }
        names
    }
}

fn day(s: &str) -> Result<NaiveDate, String> {
    parse_day(s).ok_or_else(|| format!("bad day {s}"))
}

/// Does the link's tasks until `allowance` units are spent (at least one
/// task, so a chain always moves) or D1 calls run low. Returns the link
/// with what is left.
pub async fn advance(
    platform: &Platform,
    config: &Config,
    mut link: Link,
    allowance: u32,
) -> Result<Link, String> {
    let client = OuraClient::new(platform, config);
    let mut spent = 0;
    while let Some(task) = link.pending.first().cloned() {
        let Some(c) = find(&task.collection) else {
            tracing::warn!(collection = %task.collection, "cron: unknown collection dropped");
            link.pending.remove(0);
            continue;
        };
        let cost = c.cron_units;
        let out_of_calls = crate::services::usage::queries_left(platform, config)
            .is_some_and(|left| left < QUERIES_PER_COLLECTION);
        if spent > 0 && (spent + cost > allowance || out_of_calls) {
            break;
        }
        link.pending.remove(0);
        spent += cost;
        let (start, end) = (day(&task.start)?, day(&task.end)?);
        let r = sync_collection(&client, platform, c, start, end).await;
        let last_ok = link.marks.get(c.name).copied();
        let report = &mut link.report;
        if let Some(e) = &r.error {
            tracing::warn!(collection = c.name, error = %e, "cron: collection sync failed");
            if !report.failures.iter().any(|f| f == c.name) {
                report.failures.push(c.name.to_string());
            }
        }
        report.window.start = report.window.start.clone().min(task.start.clone());
        report.rows_written += r.rows_written;
        let status = report
            .collections
            .entry(c.name.to_string())
            .or_insert_with(|| CollectionStatus {
                start: task.start.clone(),
                last_success_ms: Some(report.at_ms),
                ..CollectionStatus::default()
            });
        status.windows += r.windows;
        status.documents += r.documents;
        status.rows_written += r.rows_written;
        if r.error.is_some() && status.error.is_none() {
            // A failed collection keeps its old mark, so the next run
            // reaches back to it.
            status.error = r.error;
            status.last_success_ms = last_ok;
        }
    }
    link.report.requests += client.request_count();
    Ok(link)
}

/// When no next link can be queued: the days left of the collection this
/// link started, past the allowance, so that what the run reports on is
/// whole and a run without the queue still completes a collection.
pub async fn finish_started(
    platform: &Platform,
    config: &Config,
    link: Link,
) -> Result<Link, String> {
    let Some(first) = link.pending.first() else {
        return Ok(link);
    };
    if !link.report.collections.contains_key(&first.collection) {
        return Ok(link);
    }
    let units: u32 = link
        .pending
        .iter()
        .take_while(|t| t.collection == first.collection)
        .filter_map(|t| find(&t.collection))
        .map(|c| c.cron_units)
        .sum();
    advance(platform, config, link, units).await
}

/// Marks what the chain could not reach as deferred: their marks stay, and
/// the next run starts with them.
pub fn defer_pending(link: &mut Link) {
    for task in std::mem::take(&mut link.pending) {
        let name = task.collection;
        let last_ok = link.marks.get(&name).copied();
        let status = link
            .report
            .collections
            .entry(name.clone())
            .or_insert_with(|| CollectionStatus {
                start: task.start.clone(),
                ..CollectionStatus::default()
            });
        if status.deferred {
            continue;
        }
        tracing::warn!(collection = %name, "cron: {}", super::DEFERRED);
        status.deferred = true;
        status.last_success_ms = last_ok;
        link.report.deferred.push(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_light_collection_is_one_task_a_heavy_one_a_task_a_day() -> Result<(), String> {
        let light = find("daily_sleep").ok_or("no daily_sleep")?;
        let heavy = find("heartrate").ok_or("no heartrate")?;
        let (start, today) = (d("2026-01-13"), d("2026-01-15"));
        let spans = |c| {
            tasks(c, start, today)
                .into_iter()
                .map(|t| (t.start, t.end))
                .collect::<Vec<_>>()
        };
        let span = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(spans(light), [span("2026-01-13", "2026-01-15")]);
        assert_eq!(
            spans(heavy),
            [
                span("2026-01-13", "2026-01-13"),
                span("2026-01-14", "2026-01-14"),
                span("2026-01-15", "2026-01-15")
            ]
        );
        Ok(())
    }

    #[test]
    fn the_first_light_task_goes_first_and_the_rest_keep_their_order() -> Result<(), String> {
        let (today, from) = (d("2026-01-15"), d("2026-01-14"));
        let heavy = tasks(find("heartrate").ok_or("no heartrate")?, from, today);
        let light = tasks(find("daily_sleep").ok_or("no daily_sleep")?, from, today);
        let other = tasks(find("workout").ok_or("no workout")?, from, today);
        let mut run: Vec<Task> = [heavy.clone(), light.clone(), other.clone()].concat();
        light_first(&mut run);
        assert_eq!(run, [light, heavy.clone(), other].concat());
        let mut only_heavy = heavy.clone();
        light_first(&mut only_heavy);
        assert_eq!(only_heavy, heavy);
        Ok(())
    }
}
