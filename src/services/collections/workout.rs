//! `workout`: workouts into `activity_logs` (type `workout`).

use super::convert::{raw, real, text};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: Option<String>,
    activity: Option<String>,
    start_datetime: Option<String>,
    end_datetime: Option<String>,
    intensity: Option<String>,
    calories: Option<f64>,
    distance: Option<f64>,
    average_heart_rate: Option<f64>,
    source: Option<String>,
    label: Option<String>,
}

static TABLE: TableSpec = TableSpec {
    table: "activity_logs",
    key: &["id"],
    columns: &[
        "id",
        "type",
        "start_datetime",
        "end_datetime",
        "activity_label",
        "intensity",
        "calories",
        "distance",
        "hr_avg",
        "day",
        "source",
        "label",
    ],
    stamp: None,
    stats_day: Some("start_datetime"),
    paging: Paging {
        time: Some("start_datetime"),
        order: &["start_datetime", "id"],
    },
};

pub static COLLECTION: Collection = Collection::dated("workout", true, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.id.as_str()),
            Value::from("workout"),
            text(&d.start_datetime),
            text(&d.end_datetime),
            text(&d.activity),
            text(&d.intensity),
            real(d.calories),
            real(d.distance),
            real(d.average_heart_rate),
            text(&d.day),
            text(&d.source),
            text(&d.label),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, d.day.as_deref(), doc)
}
