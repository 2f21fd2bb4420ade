//! `ring_configuration`: the rings on the account (colour, design, firmware).

use super::convert::{int, raw, text};
use super::{Collection, QueryMode, ReadSource};
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    color: Option<String>,
    design: Option<String>,
    firmware_version: Option<String>,
    hardware_type: Option<String>,
    set_up_at: Option<String>,
    size: Option<f64>,
}

static TABLE: TableSpec = TableSpec {
    table: "ring_configurations",
    key: &["id"],
    columns: &[
        "id",
        "color",
        "design",
        "firmware_version",
        "hardware_type",
        "set_up_at",
        "size",
    ],
    stamp: None,
    stats_day: Some("set_up_at"),
    paging: Paging {
        time: None,
        order: &["id"],
    },
};

pub static COLLECTION: Collection = Collection {
    name: "ring_configuration",
    api_path: "ring_configuration",
    aliases: &[],
    query: QueryMode::NextTokenOnly,
    webhook: true,
    // A valid webhook type the original never subscribed to (spec §12.1).
    subscribed: false,
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
            Value::from(d.id.as_str()),
            text(&d.color),
            text(&d.design),
            text(&d.firmware_version),
            text(&d.hardware_type),
            text(&d.set_up_at),
            int(d.size),
        ],
    )?;
    let day: Option<String> = d.set_up_at.as_ref().map(|s| s.chars().take(10).collect());
    raw(out, COLLECTION.name, &d.id, day.as_deref(), doc)
}
