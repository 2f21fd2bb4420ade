//! Work done once at isolate startup so that no invocation pays for it.
//!
//! The global scope has its own limit (1 s on every plan), apart from an
//! invocation's CPU (10 ms on the Free plan). Code run for the first time
//! in an isolate costs several times its later runs: V8 compiles a wasm
//! function with its baseline compiler on its first call and runs that
//! slower code until the function is hot enough to be optimised. Under
//! `wrangler dev` with `--no-liftoff` (everything optimised at load) a
//! fresh isolate's first backfill step costs what a warm one does
//! (docs/decisions.md, #16's sixth session). The Worker's start event calls
//! this (and `platform::worker::warm_up_glue` with the batch built here),
//! so the first calls land in startup instead of on whichever invocation
//! comes first; the first console line (4-6 ms setting up the runtime's
//! formatter) goes with them.

use crate::services::backfill::{CollectionProgress, CollectionResult, Progress, StepOutcome};
use crate::services::collections;
use crate::services::oura::pagination::raw_page_next;
use crate::services::oura::windows::{range_params, windows};
use crate::services::platform::Statement;
use crate::services::sql_guard::{guard, GuardConfig};
use crate::services::time::iso_timestamp;
use crate::services::usage::{self, Usage};
use crate::services::writer::bulk::pages_batch;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The Resting HR panel's query: it runs the guard's lexer, parser, walk
/// and row cap once.
const PANEL_QUERY: &str = "SELECT heart_rate_lowest AS value FROM sleep_episodes \
    WHERE heart_rate_lowest IS NOT NULL ORDER BY day DESC LIMIT 1";

/// Samples in the made-up page: a heart-rate window's worth (5 days of one
/// every 5 minutes), so the parsing loops run as long as a real step's.
const SAMPLES: u32 = 1_440;

/// What the warm-up produced, for its test (a run that skipped a part
/// would show here).
#[derive(Debug)]
pub struct WarmedUp {
    pub guard_accepted: bool,
    /// The statements of the made-up heart-rate window's write batch.
    pub statements: Vec<Statement>,
}

/// Runs the code every request or `/api/sql` call starts with, and the
/// pure part of a backfill step (the dearest invocation) on made-up data.
pub fn at_startup(now_ms: f64) -> WarmedUp {
    // One line per isolate: it also shows in the logs when an isolate started.
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "isolate started");
    WarmedUp {
        guard_accepted: guard(PANEL_QUERY, &[], &GuardConfig::for_schema(100)).is_ok(),
        statements: backfill_step(now_ms),
    }
}

/// A heart-rate `sync:` step without its I/O: windows and request
/// parameters, the page read for its next token, the write batch built,
/// the progress record and the step's outcome through JSON, the usage
/// upsert. Returns the write batch (empty if a part failed).
fn backfill_step(now_ms: f64) -> Vec<Statement> {
    let Some(c) = collections::find("heartrate") else {
        return Vec::new();
    };
    let Some(bulk) = c.bulk else {
        return Vec::new();
    };
    let now = iso_timestamp(now_ms);
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let all = windows(c, day, day + chrono::Days::new(29));
    let Some(&(from, to)) = all.first() else {
        return Vec::new();
    };
    if range_params(c, from, to).is_err() {
        return Vec::new();
    }
    let page = heart_rate_page(from, SAMPLES);
    if raw_page_next(page.as_bytes()).is_err() {
        return Vec::new();
    }
    let batch = pages_batch(c.table, bulk, &[page], (from, to), &now);
    let mut record = Progress::default();
    record.collections.insert(
        c.name.to_string(),
        CollectionProgress {
            state: "running".into(),
            windows_total: all.len() as u32,
            ..CollectionProgress::default()
        },
    );
    let round_trip = serde_json::to_string(&record)
        .ok()
        .and_then(|text| serde_json::from_str::<Progress>(&text).ok());
    let outcome = serde_json::to_value(StepOutcome {
        result: CollectionResult {
            collection: c.name.to_string(),
            success: true,
            ..CollectionResult::default()
        },
        now_ms,
        ..StepOutcome::default()
    });
    let mut used = Usage {
        d1_queries: 1,
        ..Usage::default()
    };
    used.merge(&Usage {
        d1_rows_written: 1,
        ..Usage::default()
    });
    let upserts = usage::store::upserts(&BTreeMap::from([(
        now.get(..10).unwrap_or("").to_string(),
        used,
    )]));
    if round_trip != Some(record) || outcome.is_err() || upserts.is_empty() {
        return Vec::new();
    }
    batch.stmts
}

/// An Oura heart-rate list page of `samples` 5-minute samples from `day`.
fn heart_rate_page(day: NaiveDate, samples: u32) -> String {
    let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
    let data: Vec<String> = (0..samples)
        .map(|i| {
            let at = start + chrono::Duration::minutes(5 * i64::from(i));
            format!(
                r#"{{"bpm":{},"source":"awake","timestamp":"{}"}}"#,
                55 + i % 30,
                at.format("%Y-%m-%dT%H:%M:%S+00:00")
            )
        })
        .collect();
    format!(r#"{{"data":[{}],"next_token":null}}"#, data.join(","))
}

#[cfg(test)]
mod tests {
    use crate::services::platform::native::SqliteDb;
    use crate::services::platform::{Db, Statement};
    use crate::services::try_block_on;
    use std::path::Path;

    #[test]
    fn the_warm_up_runs_every_part_and_its_batch_writes_the_whole_page() {
        let warmed = super::at_startup(1_767_225_600_000.0);
        assert!(
            warmed.guard_accepted,
            "the panel query goes all the way through the guard"
        );
        let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let db = SqliteDb::open_with_migrations(&migrations).unwrap();
        try_block_on(db.batch(&warmed.statements)).unwrap().unwrap();
        let count = Statement::new("SELECT count(*) AS n FROM heart_rate_samples", vec![]);
        let rows = try_block_on(db.query(&count)).unwrap().unwrap().rows;
        // Every sample fits the table: the step's insert path ran, not only its rejections.
        assert_eq!(rows[0]["n"], u64::from(super::SAMPLES));
    }
}
