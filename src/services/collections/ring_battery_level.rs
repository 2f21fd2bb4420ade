//! `ring_battery_level`: battery samples. Each row is the whole sample.

use super::convert::{flag, int};
use super::{Collection, QueryMode, ReadSource};
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
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
    bulk: None,
    window_days: None,
    cron_units: 1,
    read: ReadSource::Table {
        table: "ring_battery_levels",
        time_column: "timestamp",
    },
};

fn rows(doc: &Value, out: &mut RowSet) -> Result<(), String> {
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
