//! `heartrate`: a sample every 5 minutes (UTC `+00:00` timestamps) except while the ring charges. The `source`
//! follows the other collections: `sleep` inside sleep periods, `workout`/`session` inside those, else `awake`.

use super::battery::span;
use super::Ctx;
use crate::timefmt;
use serde_json::{json, Value};

pub const STEP: i64 = 300;

/// Busy intervals `[start, end)` with the heart-rate source they imply.
pub struct Busy(Vec<(i64, i64, &'static str)>);

impl Busy {
    pub fn from_docs(sleep: &[Value], workouts: &[Value], sessions: &[Value]) -> Self {
        let mut v = Vec::new();
        let mut add = |docs: &[Value], start: &str, end: &str, source: &'static str| {
            for d in docs {
                let s = d[start].as_str().and_then(timefmt::parse_epoch);
                let e = d[end].as_str().and_then(timefmt::parse_epoch);
                if let (Some(s), Some(e)) = (s, e) {
                    v.push((s, e, source));
                }
            }
        };
        add(sleep, "bedtime_start", "bedtime_end", "sleep");
        add(workouts, "start_datetime", "end_datetime", "workout");
        add(sessions, "start_datetime", "end_datetime", "session");
        Busy(v)
    }

    fn source_at(&self, t: i64) -> &'static str {
        self.0
            .iter()
            .find(|(s, e, _)| *s <= t && t < *e)
            .map(|x| x.2)
            .unwrap_or("awake")
    }
}

pub fn generate(ctx: &Ctx, busy: &Busy, charger: &[(i64, i64)]) -> Vec<Value> {
    let mut rng = ctx.rng(&["heartrate"]);
    let (from, to) = span(ctx);
    let mut out = Vec::with_capacity(((to - from) / STEP) as usize);
    let mut t = from;
    while t < to {
        if !charger.iter().any(|(s, e)| *s <= t && t < *e) {
            let source = match busy.source_at(t) {
                "awake" if rng.chance(0.01) => "live",
                s => s,
            };
            let (lo, hi) = match source {
                "sleep" => (46, 64),
                "workout" => (105, 168),
                "session" => (55, 75),
                _ => (60, 98),
            };
            out.push(json!({
                "bpm": rng.range(lo, hi),
                "source": source,
                "timestamp": timefmt::utc(t),
                "timestamp_unix": t * 1000, // milliseconds, per the spec
            }));
        }
        t += STEP;
    }
    out
}
