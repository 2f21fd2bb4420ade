//! `daily_stress`: seconds of high stress and recovery. `stress_index` keeps
//! the original's meaning (seconds of high stress) for old dashboards; the
//! correctly named columns sit beside it.

use super::convert::{int, raw, text};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    stress_high: Option<f64>,
    recovery_high: Option<f64>,
    day_summary: Option<String>,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &[
        "day",
        "stress_id",
        "stress_index",
        "stress_high_seconds",
        "recovery_high_seconds",
        "stress_day_summary",
    ],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection = Collection::dated("daily_stress", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(d.id.as_str()),
            int(d.stress_high),
            int(d.stress_high),
            int(d.recovery_high),
            text(&d.day_summary),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
