//! `daily_activity`: activity score, steps, calories and times, merged into
//! `daily_summaries`. Its MET series stays in the raw document (the
//! `activity_met` view unrolls it): 1,440 rows a day would cost too much.

use super::convert::{int, raw, real};
use super::Collection;
use crate::services::writer::{Paging, RowSet, TableSpec};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize, Default)]
struct Contributors {
    meet_daily_targets: Option<f64>,
    move_every_hour: Option<f64>,
    recovery_time: Option<f64>,
    stay_active: Option<f64>,
    training_frequency: Option<f64>,
    training_volume: Option<f64>,
}

#[derive(Deserialize)]
struct Doc {
    id: String,
    day: String,
    score: Option<f64>,
    steps: Option<f64>,
    active_calories: Option<f64>,
    total_calories: Option<f64>,
    #[serde(default)]
    contributors: Contributors,
    equivalent_walking_distance: Option<f64>,
    high_activity_time: Option<f64>,
    medium_activity_time: Option<f64>,
    low_activity_time: Option<f64>,
    sedentary_time: Option<f64>,
    resting_time: Option<f64>,
    non_wear_time: Option<f64>,
    average_met_minutes: Option<f64>,
    target_calories: Option<f64>,
    meters_to_target: Option<f64>,
    inactivity_alerts: Option<f64>,
}

static TABLE: TableSpec = TableSpec {
    table: "daily_summaries",
    key: &["day"],
    columns: &[
        "day",
        "activity_id",
        "activity_score",
        "activity_steps",
        "activity_active_calories",
        "activity_total_calories",
        "activity_meet_daily_targets",
        "activity_move_every_hour",
        "activity_recovery_time",
        "activity_stay_active",
        "activity_training_frequency",
        "activity_training_volume",
        "activity_equivalent_walking_distance",
        "activity_high_activity_time",
        "activity_medium_activity_time",
        "activity_low_activity_time",
        "activity_sedentary_time",
        "activity_resting_time",
        "activity_non_wear_time",
        "activity_average_met_minutes",
        "activity_target_calories",
        "activity_meters_to_target",
        "activity_inactivity_alerts",
    ],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging::BY_DAY,
};

pub static COLLECTION: Collection = Collection::dated("daily_activity", true, &TABLE, rows)
    // Each document carries its MET series (1,440 values) and activity
    // classes (288), read through even where not stored (`make bench`, cpu).
    .with_cron_units(2);

fn rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let d: Doc = super::parse(doc)?;
    let c = &d.contributors;
    out.push(
        &TABLE,
        vec![
            Value::from(d.day.as_str()),
            Value::from(d.id.as_str()),
            int(d.score),
            int(d.steps),
            int(d.active_calories),
            int(d.total_calories),
            int(c.meet_daily_targets),
            int(c.move_every_hour),
            int(c.recovery_time),
            int(c.stay_active),
            int(c.training_frequency),
            int(c.training_volume),
            int(d.equivalent_walking_distance),
            int(d.high_activity_time),
            int(d.medium_activity_time),
            int(d.low_activity_time),
            int(d.sedentary_time),
            int(d.resting_time),
            int(d.non_wear_time),
            real(d.average_met_minutes),
            int(d.target_calories),
            int(d.meters_to_target),
            int(d.inactivity_alerts),
        ],
    )?;
    raw(out, COLLECTION.name, &d.id, Some(&d.day), doc)
}
