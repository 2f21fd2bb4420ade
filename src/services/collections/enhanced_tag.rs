//! `enhanced_tag`: tags with a type code, times and comments.

use super::convert::{raw, text};
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
    tag_type_code: Option<String>,
    custom_name: Option<String>,
    comment: Option<String>,
}

static TABLE: TableSpec = TableSpec {
    table: "enhanced_tags",
    key: &["id"],
    columns: &[
        "id",
        "start_day",
        "end_day",
        "start_time",
        "end_time",
        "tag_type_code",
        "custom_name",
        "comment",
    ],
    stamp: None,
    stats_day: Some("start_day"),
    paging: Paging {
        time: Some("start_day"),
        order: &["start_day", "id"],
    },
};

pub static COLLECTION: Collection = Collection::dated("enhanced_tag", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.id.as_str()),
            Value::from(d.start_day.as_str()),
            text(&d.end_day),
            text(&d.start_time),
            text(&d.end_time),
            text(&d.tag_type_code),
            text(&d.custom_name),
            text(&d.comment),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.start_day), doc)
}
