//! The one-per-day score documents: readiness, daily sleep, SpO2, stress, resilience, cardiovascular age,
//! VO2 max and sleep time. Nights without ring wear produce no sleep-derived documents, as on the real API.

use super::Ctx;
use crate::rng::{round1, round2, Rng};
use chrono::NaiveDate;
use serde_json::{json, Value};

fn score(rng: &mut Rng) -> Value {
    json!(rng.range(40, 99))
}

/// Contributor object with every listed key in [1,100].
fn contributors(rng: &mut Rng, keys: &[&str]) -> Value {
    let map: serde_json::Map<String, Value> = keys
        .iter()
        .map(|k| (k.to_string(), json!(rng.range(1, 100))))
        .collect();
    Value::Object(map)
}

pub const READINESS_KEYS: &[&str] = &[
    "activity_balance",
    "body_temperature",
    "hrv_balance",
    "previous_day_activity",
    "previous_night",
    "recovery_index",
    "resting_heart_rate",
    "sleep_balance",
    "sleep_regularity",
];

/// The readiness payload shared by `daily_readiness` and the embedded `sleep.readiness`.
pub fn readiness_body(rng: &mut Rng) -> Value {
    json!({
        "contributors": contributors(rng, READINESS_KEYS),
        "score": score(rng),
        "temperature_deviation": round2(rng.between(-0.6, 0.6)),
        "temperature_trend_deviation": round2(rng.between(-0.4, 0.4)),
    })
}

/// Runs `f` for each worn day with a stream keyed by (collection, day).
fn worn_days(ctx: &Ctx, name: &str, f: impl Fn(NaiveDate, &mut Rng) -> Value) -> Vec<Value> {
    ctx.days()
        .filter(|d| ctx.worn(*d))
        .map(|d| f(d, &mut ctx.rng(&[name, &d.to_string()])))
        .collect()
}

fn every_day(ctx: &Ctx, name: &str, f: impl Fn(NaiveDate, &mut Rng) -> Value) -> Vec<Value> {
    ctx.days()
        .map(|d| f(d, &mut ctx.rng(&[name, &d.to_string()])))
        .collect()
}

pub fn readiness(ctx: &Ctx) -> Vec<Value> {
    worn_days(ctx, "daily_readiness", |day, rng| {
        let mut doc = readiness_body(rng);
        doc["id"] = json!(ctx.id("daily_readiness", day, 0));
        doc["day"] = json!(day.to_string());
        doc["timestamp"] = json!(ctx.ts(ctx.at(day, 0)));
        doc
    })
}

pub fn daily_sleep(ctx: &Ctx) -> Vec<Value> {
    worn_days(ctx, "daily_sleep", |day, rng| {
        json!({
            "id": ctx.id("daily_sleep", day, 0),
            "contributors": contributors(rng, &["deep_sleep", "efficiency", "latency", "rem_sleep", "restfulness", "timing", "total_sleep"]),
            "day": day.to_string(),
            "score": score(rng),
            "timestamp": ctx.ts(ctx.at(day, 0)),
        })
    })
}

pub fn spo2(ctx: &Ctx) -> Vec<Value> {
    worn_days(ctx, "daily_spo2", |day, rng| {
        let pct = if rng.chance(0.05) {
            Value::Null
        } else {
            json!({ "average": round2(rng.between(94.5, 99.0)) })
        };
        json!({
            "id": ctx.id("daily_spo2", day, 0),
            "breathing_disturbance_index": rng.range(0, 25),
            "day": day.to_string(),
            "spo2_percentage": pct,
        })
    })
}

pub fn stress(ctx: &Ctx) -> Vec<Value> {
    every_day(ctx, "daily_stress", |day, rng| {
        let stress_high = rng.range(0, 40) * 900;
        let recovery_high = rng.range(0, 40) * 900;
        let summary = if stress_high > recovery_high + 7200 {
            "stressful"
        } else if recovery_high > stress_high + 7200 {
            "restored"
        } else {
            "normal"
        };
        json!({
            "id": ctx.id("daily_stress", day, 0),
            "day": day.to_string(),
            "day_summary": if rng.chance(0.03) { Value::Null } else { json!(summary) },
            "recovery_high": recovery_high,
            "stress_high": stress_high,
        })
    })
}

pub fn resilience(ctx: &Ctx) -> Vec<Value> {
    every_day(ctx, "daily_resilience", |day, rng| {
        let (a, b, c) = (
            rng.between(20.0, 95.0),
            rng.between(10.0, 90.0),
            rng.between(10.0, 90.0),
        );
        let level = match ((a + b + c) / 3.0) as i64 {
            0..=34 => "limited",
            35..=49 => "adequate",
            50..=64 => "solid",
            65..=79 => "strong",
            _ => "exceptional",
        };
        json!({
            "id": ctx.id("daily_resilience", day, 0),
            "day": day.to_string(),
            "contributors": { "sleep_recovery": round1(a), "daytime_recovery": round1(b), "stress": round1(c) },
            "level": level,
        })
    })
}

pub fn cardiovascular_age(ctx: &Ctx) -> Vec<Value> {
    worn_days(ctx, "daily_cardiovascular_age", |day, rng| {
        json!({
            "id": ctx.id("daily_cardiovascular_age", day, 0),
            "day": day.to_string(),
            "pulse_wave_velocity": round1(rng.between(6.0, 8.5)),
            "vascular_age": rng.range(33, 41),
        })
    })
}

/// VO2 max is only estimated after some walks: roughly once a week.
pub fn vo2_max(ctx: &Ctx) -> Vec<Value> {
    ctx.days()
        .filter(|d| ctx.rng(&["vO2_max?", &d.to_string()]).chance(0.15))
        .map(|day| {
            let mut rng = ctx.rng(&["vO2_max", &day.to_string()]);
            json!({
                "id": ctx.id("vO2_max", day, 0),
                "day": day.to_string(),
                "timestamp": ctx.ts(ctx.at(day, rng.range(8, 20) * 3600)),
                "vo2_max": rng.range(38, 48),
            })
        })
        .collect()
}

pub fn sleep_time(ctx: &Ctx) -> Vec<Value> {
    every_day(ctx, "sleep_time", |day, rng| {
        let start = -rng.range(6, 12) * 900; // seconds before local midnight
        json!({
            "id": ctx.id("sleep_time", day, 0),
            "day": day.to_string(),
            "optimal_bedtime": { "day_tz": ctx.tz.local_minus_utc(), "end_offset": start + 3600, "start_offset": start },
            "recommendation": rng.pick(&["improve_efficiency", "earlier_bedtime", "later_bedtime", "earlier_wake_up_time", "later_wake_up_time", "follow_optimal_bedtime"]),
            "status": rng.pick(&["optimal_found", "optimal_found", "only_recommended_found", "not_enough_nights", "bad_sleep_quality"]),
        })
    })
}
