//! `ring_battery_level`: one row every 30 minutes over the whole range (UTC timestamps). The level drains and,
//! below ~15%, the ring sits in the charger for a couple of hours; heart rate has gaps during those windows.

use super::Ctx;
use crate::timefmt;
use chrono::Duration;
use serde_json::{json, Value};

pub const STEP: i64 = 1800;

/// First and one-past-last epoch of the local day range.
pub fn span(ctx: &Ctx) -> (i64, i64) {
    (
        ctx.epoch(ctx.at(ctx.first, 0)),
        ctx.epoch(ctx.at(ctx.last + Duration::days(1), 0)),
    )
}

pub fn generate(ctx: &Ctx) -> Vec<Value> {
    let mut rng = ctx.rng(&["ring_battery_level"]);
    let (from, to) = span(ctx);
    let mut level = rng.between(60.0, 100.0);
    let mut in_charger = false;
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        if in_charger {
            level = (level + rng.between(18.0, 30.0)).min(100.0);
        } else {
            level = (level - rng.between(0.6, 2.0)).max(1.0);
        }
        let charging = in_charger && level < 100.0;
        out.push(json!({
            "timestamp": timefmt::utc(t),
            "timestamp_unix": t * 1000, // milliseconds, per the spec
            "charging": charging,
            "in_charger": in_charger,
            "level": level.round() as i64,
        }));
        // Leave the charger one sample after reaching full; enter it when low.
        in_charger = if in_charger { charging } else { level < 15.0 };
        t += STEP;
    }
    out
}

/// `[start, end)` windows in which the ring was in the charger (no heart rate there).
pub fn charger_windows(rows: &[Value]) -> Vec<(i64, i64)> {
    rows.iter()
        .filter(|r| r["in_charger"] == json!(true))
        .filter_map(|r| r["timestamp"].as_str().and_then(timefmt::parse_epoch))
        .map(|t| (t, t + STEP))
        .collect()
}
