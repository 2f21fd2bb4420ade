//! `tag` (deprecated) and `enhanced_tag`. Their datetimes are offset-less local times, as on the real API.

use super::Ctx;
use crate::timefmt;
use chrono::Duration;
use serde_json::{json, Value};

const TAG_CODES: &[&str] = &[
    "tag_generic_alcohol",
    "tag_generic_caffeine",
    "tag_generic_late_meal",
    "tag_generic_sauna",
    "tag_generic_stress",
    "tag_generic_nocaffeine",
];

pub fn tags(ctx: &Ctx) -> Vec<Value> {
    let mut out = Vec::new();
    for day in ctx.days() {
        let mut rng = ctx.rng(&["tag", &day.to_string()]);
        if !rng.chance(0.15) {
            continue;
        }
        let at = ctx.at(day, rng.range(17 * 60, 23 * 60) * 60);
        out.push(json!({
            "id": ctx.id("tag", day, 0),
            "day": day.to_string(),
            "text": if rng.chance(0.5) { json!("note from the simulator") } else { Value::Null },
            "timestamp": timefmt::naive(at),
            "tags": [rng.pick(TAG_CODES)],
        }));
    }
    out
}

pub fn enhanced(ctx: &Ctx) -> Vec<Value> {
    let mut out = Vec::new();
    for day in ctx.days() {
        let mut rng = ctx.rng(&["enhanced_tag", &day.to_string()]);
        if !rng.chance(0.25) {
            continue;
        }
        let start = ctx.at(day, rng.range(8 * 60, 22 * 60) * 60);
        let custom = rng.chance(0.2);
        let code = if custom {
            json!("custom")
        } else if rng.chance(0.1) {
            Value::Null
        } else {
            json!(rng.pick(TAG_CODES))
        };
        // Some tags are instants (no end), others span a few hours, possibly past midnight.
        let end = rng
            .chance(0.6)
            .then(|| start + Duration::minutes(rng.range(30, 300)));
        out.push(json!({
            "id": ctx.id("enhanced_tag", day, 0),
            "tag_type_code": code,
            "start_time": timefmt::naive(start),
            "end_time": end.map(timefmt::naive),
            "start_day": day.to_string(),
            "end_day": end.map(|e| e.date().to_string()),
            "comment": if rng.chance(0.3) { json!("simulated comment") } else { Value::Null },
            "custom_name": if custom { json!("Sim custom tag") } else { Value::Null },
        }));
    }
    out
}
