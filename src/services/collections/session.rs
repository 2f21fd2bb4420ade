//! `session`: guided sessions into `activity_logs` (type `session`, the
//! session type as `activity_label`). Their 5-second heart-rate, HRV and
//! motion series stay in the raw document; the `session_series` view unrolls
//! them (as rows they would cost ~650 written rows per session).

use super::convert::{raw, real, text, Sample};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: Option<String>,
    r#type: Option<String>,
    start_datetime: Option<String>,
    end_datetime: Option<String>,
    mood: Option<String>,
    heart_rate: Option<Sample>,
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
        "hr_avg",
        "mood",
        "day",
    ],
    stamp: None,
    stats_day: Some("start_datetime"),
    paging: Paging {
        time: Some("start_datetime"),
        order: &["start_datetime", "id"],
    },
};

pub static COLLECTION: Collection = Collection::dated("session", false, &TABLE, rows)
    // Each document carries 5-minute series (measured: `make bench`, cpu).
    .with_cron_units(2);

fn average(s: &Option<Sample>) -> Option<f64> {
    let items: Vec<f64> = s.as_ref()?.items.iter().flatten().copied().collect();
    (!items.is_empty()).then(|| items.iter().sum::<f64>() / items.len() as f64)
}

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.id.as_str()),
            Value::from("session"),
            text(&d.start_datetime),
            text(&d.end_datetime),
            text(&d.r#type),
            real(average(&d.heart_rate)),
            text(&d.mood),
            text(&d.day),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, d.day.as_deref(), doc)
}
