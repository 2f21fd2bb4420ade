//! `daily_spo2`: average blood oxygen and breathing disturbance index.

use super::convert::{int, raw, real};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Percentage {
    average: Option<f64>,
}

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    spo2_percentage: Option<Percentage>,
    breathing_disturbance_index: Option<f64>,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &[
        "day",
        "spo2_id",
        "spo2_percentage",
        "spo2_breathing_disturbance_index",
    ],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection = Collection::dated("daily_spo2", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(d.id.as_str()),
            real(d.spo2_percentage.and_then(|p| p.average)),
            int(d.breathing_disturbance_index),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
