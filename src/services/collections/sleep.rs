//! `sleep`: sleep periods (several a day: long sleep, naps) into
//! `sleep_episodes`, and their 5-minute heart-rate and HRV series into
//! `document_series` (`sleep.heart_rate`, `sleep.hrv`).

use super::convert::{flag, int, raw, real, series, text, Sample};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Readiness {
    score: Option<f64>,
    temperature_deviation: Option<f64>,
}

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    bedtime_start: Option<String>,
    bedtime_end: Option<String>,
    r#type: Option<String>,
    average_heart_rate: Option<f64>,
    lowest_heart_rate: Option<f64>,
    average_hrv: Option<f64>,
    average_breath: Option<f64>,
    temperature_deviation: Option<f64>,
    readiness: Option<Readiness>,
    deep_sleep_duration: Option<f64>,
    rem_sleep_duration: Option<f64>,
    light_sleep_duration: Option<f64>,
    awake_time: Option<f64>,
    period: Option<f64>,
    efficiency: Option<f64>,
    latency: Option<f64>,
    time_in_bed: Option<f64>,
    total_sleep_duration: Option<f64>,
    restless_periods: Option<f64>,
    low_battery_alert: Option<bool>,
    sleep_phase_5_min: Option<String>,
    heart_rate: Option<Sample>,
    hrv: Option<Sample>,
}

static TABLE: TableSpec = TableSpec {
    table: "sleep_episodes",
    key: &["id"],
    columns: &[
        "id",
        "day",
        "start_datetime",
        "end_datetime",
        "type",
        "heart_rate_avg",
        "heart_rate_lowest",
        "hrv_avg",
        "breath_avg",
        "temperature_deviation",
        "deep_duration",
        "rem_duration",
        "light_duration",
        "awake_duration",
        "period",
        "efficiency",
        "latency",
        "time_in_bed",
        "total_sleep_duration",
        "restless_periods",
        "readiness_score",
        "low_battery_alert",
        "sleep_phase_5_min",
    ],
    stamp: None,
    stats_day: Some("day"),
    paging: Paging {
        time: Some("day"),
        order: &["day", "id"],
    },
};

pub static COLLECTION: Collection = Collection::dated("sleep", true, &TABLE, rows)
    // Each document carries 5-minute series (measured: `make bench`, cpu).
    .with_cron_units(2);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    let readiness = d.readiness.as_ref();
    let temperature = readiness
        .and_then(|r| r.temperature_deviation)
        .or(d.temperature_deviation);
    out.push(
        &TABLE,
        vec![
            Value::from(d.id.as_str()),
            Value::from(d.day.as_str()),
            text(&d.bedtime_start),
            text(&d.bedtime_end),
            text(&d.r#type),
            real(d.average_heart_rate),
            real(d.lowest_heart_rate),
            real(d.average_hrv),
            real(d.average_breath),
            real(temperature),
            int(d.deep_sleep_duration),
            int(d.rem_sleep_duration),
            int(d.light_sleep_duration),
            int(d.awake_time),
            int(d.period),
            int(d.efficiency),
            int(d.latency),
            int(d.time_in_bed),
            int(d.total_sleep_duration),
            int(d.restless_periods),
            int(readiness.and_then(|r| r.score)),
            flag(d.low_battery_alert),
            text(&d.sleep_phase_5_min),
        ],
    )?;
    series(out, "sleep.heart_rate", &d.id, &d.heart_rate)?;
    series(out, "sleep.hrv", &d.id, &d.hrv)?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
