//! `daily_resilience`: level and contributors. The original's
//! `resilience_contributors_stress` holds daytime recovery; kept as it was,
//! with all three contributors under their own names beside it.

use super::convert::{int, raw, real, text};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize, Default)]
struct Contributors {
    sleep_recovery: Option<f64>,
    daytime_recovery: Option<f64>,
    stress: Option<f64>,
}

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    level: Option<String>,
    #[serde(default)]
    contributors: Contributors,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &[
        "day",
        "resilience_id",
        "resilience_level",
        "resilience_contributors_sleep",
        "resilience_contributors_stress",
        "resilience_sleep_recovery",
        "resilience_daytime_recovery",
        "resilience_stress",
    ],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection = Collection::dated("daily_resilience", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    let c = &d.contributors;
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(d.id.as_str()),
            text(&d.level),
            int(c.sleep_recovery),
            int(c.daytime_recovery),
            real(c.sleep_recovery),
            real(c.daytime_recovery),
            real(c.stress),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
