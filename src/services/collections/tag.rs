//! `tag` (deprecated by Oura in favour of `enhanced_tag`; still served, so stored).

use super::convert::{json_text, raw, text};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: Option<String>,
    timestamp: Option<String>,
    text: Option<String>,
    tags: Option<Value>,
}

static TABLE: TableSpec = TableSpec {
    table: "tags",
    key: &["id"],
    columns: &["id", "day", "timestamp", "text", "tags_json"],
    stamp: None,
    stats_day: Some("day"),
    paging: Paging {
        time: Some("day"),
        order: &["day", "id"],
    },
};

pub static COLLECTION: Collection = Collection {
    // A valid webhook type the original never subscribed to (spec §12.1).
    subscribed: false,
    ..Collection::dated("tag", false, &TABLE, rows)
};

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    out.push(
        &TABLE,
        vec![
            Value::from(d.id.as_str()),
            text(&d.day),
            text(&d.timestamp),
            text(&d.text),
            json_text(&d.tags),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, d.day.as_deref(), doc)
}
