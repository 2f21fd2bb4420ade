//! `rest_mode_period`: rest mode periods (open ones get their end later).

use super::convert::{json_text, raw, text};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    start_day: String,
    end_day: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    episodes: Option<Value>,
}

static TABLE: TableSpec = TableSpec {
    table: "rest_mode_periods",
    key: &["id"],
    columns: &[
        "id",
        "start_day",
        "end_day",
        "start_time",
        "end_time",
        "episodes_json",
    ],
    stamp: None,
    stats_day: Some("start_day"),
    paging: Paging {
        time: Some("start_day"),
        order: &["start_day", "id"],
    },
};

pub static COLLECTION: Collection = Collection::dated("rest_mode_period", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    let episodes = d.episodes.filter(Value::is_array);
    out.push(
        &TABLE,
        vec![
            Value::from(d.id.as_str()),
            Value::from(d.start_day.as_str()),
            text(&d.end_day),
            text(&d.start_time),
            text(&d.end_time),
            json_text(&episodes),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.start_day), doc)
}
