//! `heartrate`: heart-rate samples (every 5 minutes, bursts during workouts).
//! Each row is the whole sample, so there is no separate raw document.
//! Synced pages are written in bulk (`BULK`: 8,000 samples a 29-day window
//! would cost the Worker 70+ ms as documents); `rows` is the same mapping
//! for a single document and for tests.

use super::convert::{int, text};
use super::{Collection, QueryMode, ReadSource};
use crate::services::writer::bulk::BulkRows;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    timestamp: String,
    bpm: Option<f64>,
    source: Option<String>,
}

static TABLE: TableSpec = TableSpec {
    table: "heart_rate_samples",
    key: &["timestamp"],
    columns: &["timestamp", "bpm", "source"],
    stamp: None,
    stats_day: Some("timestamp"),
    paging: Paging {
        time: Some("timestamp"),
        order: &["timestamp"],
    },
};

pub static COLLECTION: Collection = Collection {
    name: "heartrate",
    api_path: "heartrate",
    aliases: &["heart_rate"],
    query: QueryMode::DateTimes,
    webhook: false,
    subscribed: false,
    table: &TABLE,
    rows,
    bulk: Some(&BULK),
    // 5 days: 1,440 samples, one backfill step of ~9 ms CPU in bulk (29
    // days took 30 ms); a 10-year backfill stays within a Workflow's 1,024
    // steps (4 days would not).
    window_days: Some(5),
    cron_units: 2,
    read: ReadSource::Table {
        table: "heart_rate_samples",
        time_column: "timestamp",
    },
};

/// `rows` in SQL: `Doc`'s shape (a text timestamp, a number or null bpm, a
/// text or null source), bpm rounded half up as `int` does.
static BULK: BulkRows = BulkRows {
    fits: "json_type(value, '$.timestamp') = 'text' \
           AND COALESCE(json_type(value, '$.bpm'), 'null') IN ('integer', 'real', 'null') \
           AND COALESCE(json_type(value, '$.source'), 'null') IN ('text', 'null')",
    values: &[
        "json_extract(value, '$.timestamp')",
        crate::bulk_half_up_int!("$.bpm"),
        "json_extract(value, '$.source')",
    ],
    day: "substr(json_extract(value, '$.timestamp'), 1, 10)",
};

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.timestamp.as_str()),
            int(d.bpm),
            text(&d.source),
        ],
    )
}
