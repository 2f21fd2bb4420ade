//! `workout`: 0–2 per day between 06:30 and 21:30 local. Evening workouts in a negative-offset zone start on the
//! next UTC date, which exercises the API's filter-by-UTC-date quirk for this collection.

use super::Ctx;
use crate::rng::round1;
use chrono::Duration;
use serde_json::{json, Value};

const ACTIVITIES: &[(&str, bool)] = &[
    ("walking", true),
    ("running", true),
    ("cycling", true),
    ("swimming", true),
    ("hiking", true),
    ("strengthTraining", false),
    ("yoga", false),
    ("hiit", false),
];

pub fn generate(ctx: &Ctx) -> Vec<Value> {
    let mut out = Vec::new();
    for day in ctx.days() {
        let mut rng = ctx.rng(&["workout", &day.to_string()]);
        let n = match rng.float() {
            x if x < 0.55 => 0,
            x if x < 0.9 => 1,
            _ => 2,
        };
        // Second workout of the day always comes later (evening slot).
        for i in 0..n {
            let (lo, hi) = if i == 0 {
                (6 * 60 + 30, 14 * 60)
            } else {
                (17 * 60, 21 * 60 + 30)
            };
            let start = ctx.at(day, rng.range(lo, hi) * 60 + rng.range(0, 59));
            let minutes = rng.range(20, 95);
            let end = start + Duration::seconds(minutes * 60 + rng.range(0, 59));
            let (activity, has_distance) = rng.pick(ACTIVITIES);
            let intensity = rng.pick(&["easy", "moderate", "hard"]);
            let distance = if has_distance {
                json!(round1(minutes as f64 * rng.between(60.0, 300.0)))
            } else {
                Value::Null
            };
            out.push(json!({
                "id": ctx.id("workout", day, i),
                "activity": activity,
                "calories": round1(minutes as f64 * rng.between(4.0, 12.0)),
                "day": day.to_string(),
                "distance": distance,
                "end_datetime": ctx.ts(end),
                "intensity": intensity,
                "label": if rng.chance(0.2) { json!("Sim session") } else { Value::Null },
                "source": rng.pick(&["manual", "autodetected", "confirmed", "workout_heart_rate"]),
                "start_datetime": ctx.ts(start),
            }));
        }
    }
    out
}
