//! `rest_mode_period`: a closed period about a month before the end, and one still open (null end) that began
//! two days before the end date — consumers must refetch open periods later.

use super::Ctx;
use chrono::Duration;
use serde_json::{json, Value};

pub fn generate(ctx: &Ctx) -> Vec<Value> {
    let mut rng = ctx.rng(&["rest_mode_period"]);
    let span = (ctx.last - ctx.first).num_days();
    let closed_start = ctx.last - Duration::days((span * 2 / 3).max(5));
    let closed_start = closed_start.max(ctx.first);
    let open_start = (ctx.last - Duration::days(2)).max(ctx.first);
    let mut out = Vec::new();
    if closed_start < open_start {
        let len = rng.range(2, 4);
        let start = ctx.at(closed_start, rng.range(8, 12) * 3600);
        let end = start + Duration::days(len) + Duration::hours(rng.range(1, 6));
        out.push(json!({
            "id": ctx.id("rest_mode_period", closed_start, 0),
            "end_day": end.date().to_string(),
            "end_time": ctx.ts(end),
            "episodes": [
                { "tags": ["tag_generic_flu"], "timestamp": ctx.ts(start) },
                { "tags": ["tag_generic_fatigue", "tag_generic_headache"], "timestamp": ctx.ts(start + Duration::days(1)) },
            ],
            "start_day": closed_start.to_string(),
            "start_time": ctx.ts(start),
        }));
    }
    let start = ctx.at(open_start, rng.range(8, 20) * 3600);
    out.push(json!({
        "id": ctx.id("rest_mode_period", open_start, 0),
        "end_day": null,
        "end_time": null,
        "episodes": [{ "tags": ["tag_generic_recovering"], "timestamp": ctx.ts(start) }],
        "start_day": open_start.to_string(),
        "start_time": ctx.ts(start),
    }));
    out
}
