//! `ring_battery_level`: battery samples. Each row is the whole sample.
//! Synced pages are written in bulk (`BULK`): a 29-day window of the
//! simulator's 1,392 samples took 19-31 ms of a backfill step's CPU as
//! documents, 13-17 ms in bulk; `rows` is the same mapping for tests.

use super::convert::{flag, int};
use super::{Collection, QueryMode, ReadSource};
use crate::services::writer::bulk::BulkRows;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    timestamp: String,
    level: Option<f64>,
    charging: Option<bool>,
    in_charger: Option<bool>,
}

static TABLE: TableSpec = TableSpec {
    table: "ring_battery_levels",
    key: &["timestamp"],
    columns: &["timestamp", "level", "charging", "in_charger"],
    stamp: None,
    stats_day: Some("timestamp"),
    paging: Paging {
        time: Some("timestamp"),
        order: &["timestamp"],
    },
};

pub static COLLECTION: Collection = Collection {
    name: "ring_battery_level",
    api_path: "ring_battery_level",
    aliases: &[],
    query: QueryMode::DateTimes,
    webhook: false,
    subscribed: false,
    table: &TABLE,
    rows,
    bulk: Some(&BULK),
    // 20 days: 960 of the simulator's samples, one backfill step (29 days,
    // 1,392 samples, took 13-17 ms in bulk); a 10-year backfill adds 57
    // steps, about 925 of a Workflow's 1,024.
    window_days: Some(20),
    cron_units: 1,
    read: ReadSource::Table {
        table: "ring_battery_levels",
        time_column: "timestamp",
    },
};

/// `rows` in SQL: a text timestamp, a number or null level (rounded half up
/// as `int` does), booleans or nulls for the flags (SQLite reads JSON
/// true/false as 1/0, as `flag` writes them).
static BULK: BulkRows = BulkRows {
    fits: "json_type(value, '$.timestamp') = 'text' \
           AND COALESCE(json_type(value, '$.level'), 'null') IN ('integer', 'real', 'null') \
           AND COALESCE(json_type(value, '$.charging'), 'null') IN ('true', 'false', 'null') \
           AND COALESCE(json_type(value, '$.in_charger'), 'null') IN ('true', 'false', 'null')",
    values: &[
        "json_extract(value, '$.timestamp')",
        crate::bulk_half_up_int!("$.level"),
        "json_extract(value, '$.charging')",
        "json_extract(value, '$.in_charger')",
    ],
    day: "substr(json_extract(value, '$.timestamp'), 1, 10)",
};

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.timestamp.as_str()),
            int(d.level),
            flag(d.charging),
            flag(d.in_charger),
        ],
    )
}
