//! `daily_cardiovascular_age`: vascular age (the original's `cv_age_offset`
//! holds the age itself; `cardiovascular_age` says so) and pulse wave velocity.
//! Older responses carry no `id`; the day stands in for it.

use super::convert::{int, raw, real};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: Option<String>,
    day: String,
    vascular_age: Option<f64>,
    pulse_wave_velocity: Option<f64>,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &[
        "day",
        "cardiovascular_age_id",
        "cv_age_offset",
        "cardiovascular_age",
        "pulse_wave_velocity",
    ],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection =
    Collection::dated("daily_cardiovascular_age", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    let id = d.id.clone().unwrap_or_else(|| d.day.clone());
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(id.as_str()),
            int(d.vascular_age),
            int(d.vascular_age),
            real(d.pulse_wave_velocity),
        ],
    )?;
    raw(out, COLLECTION.name, &id, Some(&d.day), doc)
}
