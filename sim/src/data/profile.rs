//! `ring_configuration` (an old ring with the epoch placeholder `set_up_at`, and the current ring) and
//! `personal_info`.

use super::Ctx;
use crate::rng::round1;
use crate::timefmt;
use serde_json::{json, Value};

pub fn ring_configuration(ctx: &Ctx) -> Vec<Value> {
    let mut rng = ctx.rng(&["ring_configuration"]);
    let set_up = ctx.epoch(ctx.at(ctx.first, 10 * 3600));
    vec![
        json!({
            "id": rng.uuid(),
            "color": "stealth_black",
            "design": "heritage",
            "firmware_version": "2.4.1",
            "hardware_type": "gen2",
            // Observed live quirk: unknown setup time is reported as the epoch.
            "set_up_at": "1970-01-01T00:00:00+00:00",
            "size": 9,
        }),
        json!({
            "id": rng.uuid(),
            "color": rng.pick(&["brushed_silver", "glossy_black", "silver", "titanium", "midnight"]),
            "design": rng.pick(&["heritage", "horizon", "balance"]),
            "firmware_version": format!("2.{}.{}", rng.range(8, 11), rng.range(0, 40)),
            "hardware_type": rng.pick(&["gen3", "gen4"]),
            "set_up_at": timefmt::utc(set_up),
            "size": rng.range(6, 13),
        }),
    ]
}

pub fn personal_info(ctx: &Ctx) -> Value {
    let mut rng = ctx.rng(&["personal_info"]);
    json!({
        "id": rng.uuid(),
        "age": rng.range(25, 60),
        "weight": round1(rng.between(55.0, 95.0)),
        "height": round1(rng.between(1.6, 1.95) * 100.0) / 100.0,
        "biological_sex": rng.pick(&["male", "female"]),
        "email": format!("sim-user-{}@example.com", ctx.seed),
    })
}
