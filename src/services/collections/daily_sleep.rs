//! `daily_sleep`: sleep score and contributors, merged into `daily_summaries`.

use super::convert::{int, raw};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize, Default)]
struct Contributors {
    deep_sleep: Option<f64>,
    efficiency: Option<f64>,
    latency: Option<f64>,
    rem_sleep: Option<f64>,
    restfulness: Option<f64>,
    timing: Option<f64>,
    total_sleep: Option<f64>,
}

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    score: Option<f64>,
    #[serde(default)]
    contributors: Contributors,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &[
        "day",
        "sleep_id",
        "sleep_score",
        "sleep_deep_sleep",
        "sleep_efficiency",
        "sleep_latency",
        "sleep_rem_sleep",
        "sleep_restfulness",
        "sleep_timing",
        "sleep_total_sleep",
    ],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection = Collection::dated("daily_sleep", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    let c = &d.contributors;
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(d.id.as_str()),
            int(d.score),
            int(c.deep_sleep),
            int(c.efficiency),
            int(c.latency),
            int(c.rem_sleep),
            int(c.restfulness),
            int(c.timing),
            int(c.total_sleep),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
