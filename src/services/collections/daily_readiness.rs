//! `daily_readiness`: readiness score and contributors, merged into `daily_summaries`.

use super::convert::{int, raw, real};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize, Default)]
struct Contributors {
    activity_balance: Option<f64>,
    body_temperature: Option<f64>,
    hrv_balance: Option<f64>,
    previous_day_activity: Option<f64>,
    previous_night: Option<f64>,
    recovery_index: Option<f64>,
    resting_heart_rate: Option<f64>,
    sleep_balance: Option<f64>,
    sleep_regularity: Option<f64>,
}

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    score: Option<f64>,
    #[serde(default)]
    contributors: Contributors,
    temperature_deviation: Option<f64>,
    temperature_trend_deviation: Option<f64>,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &[
        "day",
        "readiness_id",
        "readiness_score",
        "readiness_activity_balance",
        "readiness_body_temperature",
        "readiness_hrv_balance",
        "readiness_previous_day_activity",
        "readiness_previous_night_sleep",
        "readiness_recovery_index",
        "readiness_resting_heart_rate",
        "readiness_sleep_balance",
        "readiness_sleep_regularity",
        "readiness_temperature_deviation",
        "readiness_temperature_trend_deviation",
    ],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection = Collection::dated("daily_readiness", false, &TABLE, rows);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    let c = &d.contributors;
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(d.id.as_str()),
            int(d.score),
            int(c.activity_balance),
            int(c.body_temperature),
            int(c.hrv_balance),
            int(c.previous_day_activity),
            int(c.previous_night),
            int(c.recovery_index),
            int(c.resting_heart_rate),
            int(c.sleep_balance),
            int(c.sleep_regularity),
            real(d.temperature_deviation),
            real(d.temperature_trend_deviation),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
