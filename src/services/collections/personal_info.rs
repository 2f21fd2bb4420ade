//! `personal_info`: the account owner's profile (a single object, not a list).

use super::convert::{int, raw, real, text};
use super::{Collection, QueryMode, ReadSource};
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Doc {
    id: String,
    age: Option<f64>,
    weight: Option<f64>,
    height: Option<f64>,
    biological_sex: Option<String>,
    email: Option<String>,
}

static TABLE: TableSpec = TableSpec {
    table: "personal_info",
    key: &["id"],
    columns: &["id", "age", "weight", "height", "biological_sex", "email"],
    stamp: None,
    stats_day: None,
    paging: Paging {
        time: None,
        order: &["id"],
    },
};

pub static COLLECTION: Collection = Collection {
    name: "personal_info",
    api_path: "personal_info",
    aliases: &[],
    query: QueryMode::Single,
    webhook: false,
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
            int(d.age),
            real(d.weight),
            real(d.height),
            text(&d.biological_sex),
            text(&d.email),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, None, doc)
}
