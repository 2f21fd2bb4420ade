//! `daily_activity`: one document per local day. The activity day runs 04:00 → 04:00 local, so `met` starts at
//! 04:00 with 1440 one-minute items and `class_5_min` has 288 chars; time totals are derived from the classes so a
//! consumer can cross-check them.

use super::sample::sample;
use super::Ctx;
use crate::rng::{round1, Rng};
use serde_json::{json, Value};

pub fn generate(ctx: &Ctx) -> Vec<Value> {
    ctx.days().map(|day| one(ctx, day)).collect()
}

/// Activity class for a 5-minute slot: 0 non-wear, 1 rest, 2 inactive, 3 low, 4 medium, 5 high.
fn class_for(rng: &mut Rng, slot: usize) -> u8 {
    let hour = 4 + slot / 12; // local hour, 4..28
    match hour {
        4..=6 | 23..=27 => 1,
        _ if rng.chance(0.01) => 0,
        _ => match rng.float() {
            x if x < 0.55 => 2,
            x if x < 0.85 => 3,
            x if x < 0.96 => 4,
            _ => 5,
        },
    }
}

fn met_for(rng: &mut Rng, class: u8) -> f64 {
    let (lo, hi) = match class {
        0 => (0.0, 0.1),
        1 => (0.9, 1.0),
        2 => (1.0, 1.5),
        3 => (1.5, 3.0),
        4 => (3.0, 6.0),
        _ => (6.0, 10.0),
    };
    round1(rng.between(lo, hi))
}

fn one(ctx: &Ctx, day: chrono::NaiveDate) -> Value {
    let mut rng = ctx.rng(&["daily_activity", &day.to_string()]);
    let classes: Vec<u8> = (0..288).map(|slot| class_for(&mut rng, slot)).collect();
    let mut met = Vec::with_capacity(1440);
    for c in &classes {
        for _ in 0..5 {
            met.push(Some(met_for(&mut rng, *c)));
        }
    }
    let secs = |k: u8| classes.iter().filter(|c| **c == k).count() as i64 * 300;
    let met_minutes = |k: u8| -> i64 {
        let total: f64 = classes
            .iter()
            .zip(met.chunks(5))
            .filter(|(c, _)| **c == k)
            .map(|(_, m)| m.iter().flatten().sum::<f64>())
            .sum();
        total.round() as i64
    };
    let mm: Vec<i64> = (0..6).map(met_minutes).collect();
    let steps = rng.range(3000, 16000);
    let active_calories = steps / 25 + rng.range(50, 200);
    let target_calories = rng.pick(&[350, 400, 450, 500]);
    let target_meters = target_calories * 20;
    let walking = steps * 3 / 4;
    let avg_met: f64 = met.iter().flatten().sum::<f64>() / 1440.0;
    let score = rng.range(45, 98);
    json!({
        "id": ctx.id("daily_activity", day, 0),
        "active_calories": active_calories,
        "average_met_minutes": round1(avg_met),
        "class_5_min": classes.iter().map(|c| char::from(b'0' + c)).collect::<String>(),
        "contributors": {
            "meet_daily_targets": rng.range(1, 100),
            "move_every_hour": rng.range(40, 100),
            "recovery_time": rng.range(30, 100),
            "stay_active": rng.range(30, 100),
            "training_frequency": rng.range(20, 100),
            "training_volume": rng.range(20, 100),
        },
        "day": day.to_string(),
        "equivalent_walking_distance": walking,
        "high_activity_met_minutes": mm[5],
        "high_activity_time": secs(5),
        "inactivity_alerts": rng.range(0, 3),
        "low_activity_met_minutes": mm[3],
        "low_activity_time": secs(3),
        "medium_activity_met_minutes": mm[4],
        "medium_activity_time": secs(4),
        "met": sample(60.0, met, &ctx.ts(ctx.at(day, 4 * 3600))),
        "meters_to_target": (target_meters - walking).max(0),
        "non_wear_time": secs(0),
        "resting_time": secs(1),
        "score": if rng.chance(0.02) { Value::Null } else { json!(score) },
        "sedentary_met_minutes": mm[2],
        "sedentary_time": secs(2),
        "steps": steps,
        "target_calories": target_calories,
        "target_meters": target_meters,
        "timestamp": ctx.ts(ctx.at(day, 4 * 3600)),
        "total_calories": active_calories + rng.range(1600, 2100),
    })
}
