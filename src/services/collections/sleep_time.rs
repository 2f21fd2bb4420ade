//! `sleep_time`: bedtime guidance, merged into `daily_summaries`.

use super::convert::{json_text, raw, text};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    optimal_bedtime: Option<Value>,
    recommendation: Option<String>,
    status: Option<String>,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &[
        "day",
        "sleep_time_id",
        "sleep_time_optimal_bedtime",
        "sleep_time_recommendation",
        "sleep_time_status",
    ],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection = Collection::dated("sleep_time", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(d.id.as_str()),
            json_text(&d.optimal_bedtime),
            text(&d.recommendation),
            text(&d.status),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
