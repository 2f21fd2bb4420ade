//! Deterministic data generation for every collection, for `days` local days ending at `end_date`.
//!
//! Each family lives in its own file; cross-collection consistency (heart rate "sleep" source during sleep
//! periods, no heart rate while charging) is wired here by generating in dependency order.

mod activity;
mod battery;
mod ctx;
mod heartrate;
mod profile;
mod rest_mode;
mod sample;
mod scores;
mod session;
mod sleep;
mod tags;
mod workout;

pub use ctx::Ctx;

use serde_json::Value;
use std::collections::BTreeMap;

/// All generated documents by collection name; `personal_info` holds exactly one object.
pub fn generate(ctx: &Ctx) -> BTreeMap<&'static str, Vec<Value>> {
    let mut out = BTreeMap::new();
    let sleep = sleep::generate(ctx);
    let workouts = workout::generate(ctx);
    let sessions = session::generate(ctx);
    let battery = battery::generate(ctx);
    let busy = heartrate::Busy::from_docs(&sleep, &workouts, &sessions);
    out.insert(
        "heartrate",
        heartrate::generate(ctx, &busy, &battery::charger_windows(&battery)),
    );
    out.insert("ring_battery_level", battery);
    out.insert("sleep", sleep);
    out.insert("workout", workouts);
    out.insert("session", sessions);
    out.insert("daily_activity", activity::generate(ctx));
    out.insert("daily_readiness", scores::readiness(ctx));
    out.insert("daily_sleep", scores::daily_sleep(ctx));
    out.insert("daily_spo2", scores::spo2(ctx));
    out.insert("daily_stress", scores::stress(ctx));
    out.insert("daily_resilience", scores::resilience(ctx));
    out.insert("daily_cardiovascular_age", scores::cardiovascular_age(ctx));
    out.insert("vO2_max", scores::vo2_max(ctx));
    out.insert("sleep_time", scores::sleep_time(ctx));
    out.insert("tag", tags::tags(ctx));
    out.insert("enhanced_tag", tags::enhanced(ctx));
    out.insert("rest_mode_period", rest_mode::generate(ctx));
    out.insert("ring_configuration", profile::ring_configuration(ctx));
    out.insert("personal_info", vec![profile::personal_info(ctx)]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::COLLECTIONS;

    fn ctx(seed: u64) -> Ctx {
        Ctx::new(
            seed,
            30,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap_or_default(),
            None,
        )
    }

    #[test]
    fn every_collection_is_generated_and_deterministic() {
        let a = generate(&ctx(3));
        for c in COLLECTIONS {
            assert!(
                !a.get(c.name).map(Vec::is_empty).unwrap_or(true),
                "{} empty",
                c.name
            );
        }
        assert_eq!(
            serde_json::to_string(&a).ok(),
            serde_json::to_string(&generate(&ctx(3))).ok()
        );
        assert_ne!(
            serde_json::to_string(&a).ok(),
            serde_json::to_string(&generate(&ctx(4))).ok()
        );
    }

    #[test]
    fn activity_shapes() {
        let a = generate(&ctx(1));
        let act = &a["daily_activity"][0];
        assert_eq!(act["met"]["items"].as_array().map(Vec::len), Some(1440));
        assert_eq!(act["met"]["interval"], serde_json::json!(60.0));
        assert_eq!(act["class_5_min"].as_str().map(str::len), Some(288));
    }
}
