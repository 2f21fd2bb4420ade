//! `heartrate`: heart-rate samples (every 5 minutes, bursts during workouts).
//! Each row is the whole sample, so there is no separate raw document.

use super::convert::{int, text};
use super::{Collection, QueryMode, ReadSource};
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
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
    read: ReadSource::Table {
        table: "heart_rate_samples",
        time_column: "timestamp",
    },
};

fn rows(doc: &Value, out: &mut RowSet) -> Result<(), String> {
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
