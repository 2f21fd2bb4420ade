//! `session`: guided/unguided sessions (~20% of days) with 5-second heart rate, HRV and motion samples.

use super::sample::sample;
use super::Ctx;
use chrono::Duration;
use serde_json::{json, Value};

pub fn generate(ctx: &Ctx) -> Vec<Value> {
    let mut out = Vec::new();
    for day in ctx.days() {
        let mut rng = ctx.rng(&["session", &day.to_string()]);
        if !rng.chance(0.2) {
            continue;
        }
        let start = ctx.at(day, rng.range(7 * 60, 21 * 60) * 60);
        let n = rng.range(60, 360) as usize; // 5–30 minutes of 5-second samples
        let end = start + Duration::seconds(n as i64 * 5);
        let ts = ctx.ts(start);
        let hr: Vec<Option<f64>> = (0..n)
            .map(|_| (!rng.chance(0.03)).then(|| rng.range(55, 75) as f64))
            .collect();
        let hrv: Vec<Option<f64>> = (0..n)
            .map(|_| (!rng.chance(0.05)).then(|| rng.range(25, 95) as f64))
            .collect();
        let motion: Vec<Option<f64>> = (0..n).map(|_| Some(rng.range(0, 3) as f64)).collect();
        out.push(json!({
            "id": ctx.id("session", day, 0),
            "day": day.to_string(),
            "end_datetime": ctx.ts(end),
            "heart_rate": sample(5.0, hr, &ts),
            "heart_rate_variability": sample(5.0, hrv, &ts),
            "mood": if rng.chance(0.3) { Value::Null } else { json!(rng.pick(&["bad", "worse", "same", "good", "great"])) },
            "motion_count": sample(5.0, motion, &ts),
            "start_datetime": ts,
            "type": rng.pick(&["breathing", "meditation", "nap", "relaxation", "rest", "body_status"]),
        }));
    }
    out
}
