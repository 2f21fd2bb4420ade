//! Work done once at isolate startup so that no invocation pays for it.
//!
//! The global scope has its own limit (1 s on every plan), apart from an
//! invocation's CPU (10 ms on the Free plan). A first call is the dearest:
//! the first console line sets up the runtime's formatter, and V8 compiles
//! each wasm function when it is first called (docs/decisions.md, #16's
//! seventh session: 4-6 ms of compiling for a fresh isolate's first
//! backfill step, 6-7 each for a cron run's scheduled event and first
//! link). The Worker's start event calls this, so those costs land in
//! startup instead of on whichever invocation comes first.
//!
//! V8 keeps that code only until it flushes Liftoff code: workerd signals
//! memory pressure to every isolate it builds, and V8 then drops the
//! Liftoff code of every wasm module in the process (#16's eighth
//! session). So this helps the invocations that come before another
//! isolate is built in the same process; after that, they compile again.

mod stage;

use crate::services::backfill::{self, Params};
use crate::services::config::Config;
use crate::services::cron::{self, CronOutcome, Link};
use crate::services::sql_guard::{guard, GuardConfig};
use crate::services::usage::{self, Meter};
use crate::services::webhooks::consumer::{handle_batch, Incoming, Verdict};
use serde_json::Value;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The Resting HR panel's query: it runs the guard's lexer, parser, walk
/// and row cap once.
const PANEL_QUERY: &str = "SELECT heart_rate_lowest AS value FROM sleep_episodes \
    WHERE heart_rate_lowest IS NOT NULL ORDER BY day DESC LIMIT 1";

/// What D1's binding returns for a batch of one write, as JSON text.
#[cfg(target_arch = "wasm32")]
const D1_BATCH: &str = r#"[{"results":[{"n":1}],"success":true,"meta":{"rows_read":1,"rows_written":1,"changes":1,"last_row_id":1,"size_after":4096}}]"#;

/// Runs the code every request or `/api/sql` call starts with, a backfill
/// step and a cron run (scheduled event, first link) on the stage, and (on
/// the Worker) the reading of a D1 result; `true` when each went all the
/// way through (they do: tests hold them to that). One stopping short does
/// not stop the rest.
pub fn at_startup() -> bool {
    // One line per isolate: it also shows in the logs when an isolate started.
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "isolate started");
    let guarded = guard(PANEL_QUERY, &[], &GuardConfig::for_schema(100)).is_ok();
    let step = rehearse_backfill_step().is_ok_and(|out| out["finished"] == true);
    let link = rehearse_cron_link().is_ok();
    #[cfg(target_arch = "wasm32")]
    let d1_read =
        crate::services::platform::worker::results_from_json(D1_BATCH).is_ok_and(|r| r.len() == 1);
    #[cfg(not(target_arch = "wasm32"))]
    let d1_read = true;
    guarded && step && link && d1_read
}

/// A heart-rate `sync:` step, as the Workflow runs it (metered, in its own
/// step scope), over the in-memory stage: the step's own code is compiled
/// before any real step needs it. Its outcome, or why it stopped.
pub fn rehearse_backfill_step() -> Result<Value, String> {
    let platform = usage::metered(&stage::platform().0, &Meter::new(), 0.0);
    let config = Config::from_lookup(|_| None);
    let params = Params {
        instance_id: "stage".into(),
        total_days: 5,
        offset_days: 1,
        start: "2025-12-27".into(),
        end: "2025-12-31".into(),
        resources: vec!["heartrate".into()],
    };
    let step = async {
        let platform = usage::step_scope(&platform);
        let out = backfill::sync_step(&platform, &config, &params, "heartrate").await;
        usage::finish(&platform).await;
        out
    };
    at_once(step).ok_or_else(|| "the step waited on something".to_string())?
}

/// A scheduled cron run, as the Worker runs it, over the stage: the
/// scheduled event (OAuth states purged, the lock taken, the collections
/// read from discovery's cache, the run queued), then the queue consumer's
/// first link (the first collection synced, the next link queued). The
/// collections that link left to the next, or why it did not get that far.
pub fn rehearse_cron_link() -> Result<Vec<String>, String> {
    let (stage, queued) = stage::platform();
    let config = Config::from_lookup(|_| None);
    let scheduled = async {
        let platform = usage::metered(&stage, &Meter::new(), 0.0);
        let outcome = cron::run(&platform, &config, "0 */2 * * *").await;
        usage::finish(&platform).await;
        outcome
    };
    match at_once(scheduled) {
        Some(CronOutcome::Continued { .. }) => {}
        Some(other) => return Err(other.summary()),
        None => return Err("the scheduled event waited on something".into()),
    }
    let body = queued.last().ok_or("the run queued no link")?;
    let consumed = async {
        let platform = usage::metered(&stage, &Meter::new(), 0.0);
        let verdicts = handle_batch(&platform, &config, &[Incoming { body, attempts: 1 }]).await;
        usage::finish(&platform).await;
        verdicts
    };
    match at_once(consumed).as_deref() {
        Some([Verdict::Ack]) => {}
        other => return Err(format!("the link was not consumed: {other:?}")),
    }
    let next = queued.last().as_ref().and_then(Link::from_message);
    next.map(|link| link.pending_collections())
        .ok_or_else(|| "the link queued no next link".into())
}

/// Polls `fut` once: the stage answers at once, so the rehearsed paths
/// finish in one poll; `None` if one did not.
fn at_once<F: Future>(fut: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::collections::REGISTRY;

    #[test]
    fn startup_goes_all_the_way_through() {
        assert!(super::at_startup());
    }

    #[test]
    fn the_rehearsed_step_syncs_its_whole_window() -> Result<(), String> {
        let out = rehearse_backfill_step()?;
        assert_eq!(out["finished"], true, "{out}");
        assert_eq!(out["result"]["success"], true, "{out}");
        assert_eq!(out["result"]["windows"], 1, "{out}");
        // Fetched once, and its write went to D1 (which, on the stage, runs
        // no SQL: rows and documents are what its answers say).
        assert_eq!(out["result"]["requests"], 1, "{out}");
        assert!(out["result"]["rows_written"].as_u64() > Some(0), "{out}");
        Ok(())
    }

    #[test]
    fn the_rehearsed_cron_link_hands_the_rest_to_the_next() -> Result<(), String> {
        let pending = rehearse_cron_link()?;
        // It synced the first light collection and queued the others.
        let first = REGISTRY
            .iter()
            .find(|c| c.cron_units <= 1)
            .ok_or("no light collection")?;
        assert!(!pending.is_empty());
        assert!(pending.len() < REGISTRY.len(), "{pending:?}");
        assert!(!pending.contains(&first.name.to_string()), "{pending:?}");
        Ok(())
    }
}
