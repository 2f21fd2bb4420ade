//! `vo2_max` (the API path is `vO2_max`): estimated VO2 max.

use super::convert::{raw, real};
use super::{Collection, QueryMode, ReadSource};
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    vo2_max: Option<f64>,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &["day", "vo2_max_id", "vo2_max"],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection = Collection {
    name: "vo2_max",
    api_path: "vO2_max",
    aliases: &["vO2_max"],
    query: QueryMode::Dates {
        end_exclusive: false,
    },
    webhook: true,
    subscribed: true,
    table: &TABLE,
    rows,
    bulk: None,
    window_days: None,
    cron_units: 1,
    read: ReadSource::Documents,
};

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(d.id.as_str()),
            real(d.vo2_max),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
