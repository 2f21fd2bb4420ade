//! `sleep` periods: one `long_sleep` per worn night (starting 21:30–23:50 local, so it crosses midnight), naps
//! (`sleep`) on some afternoons and occasional `late_nap`s that end after 18:00 and therefore count toward the
//! next day. Stage durations are derived from the hypnogram strings so the document is internally consistent.

use super::sample::{mean, sample};
use super::scores::readiness_body;
use super::Ctx;
use crate::rng::{round1, Rng};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

pub fn generate(ctx: &Ctx) -> Vec<Value> {
    let mut periods: Vec<(NaiveDate, NaiveDateTime, Value)> = Vec::new();
    for day in ctx.days() {
        let key = day.to_string();
        let mut rng = ctx.rng(&["sleep", &key]);
        if ctx.worn(day) {
            let start = ctx.at(
                day - Duration::days(1),
                21 * 3600 + 1800 + rng.range(0, 140) * 60 + rng.range(0, 59),
            );
            let slots = rng.range(78, 108); // 6.5–9 h in 5-minute slots
            periods.push((
                day,
                start,
                period(ctx, &mut rng, "long_sleep", day, start, slots),
            ));
        }
        if rng.chance(0.15) {
            let start = ctx.at(day, 13 * 3600 + rng.range(0, 180) * 60);
            let slots = rng.range(4, 18);
            periods.push((
                day,
                start,
                period(ctx, &mut rng, "sleep", day, start, slots),
            ));
        }
        // Ends after 18:00 → belongs to the next day (api.md §3), so skip it on the last day of the range.
        if day < ctx.last && rng.chance(0.06) {
            let start = ctx.at(day, 18 * 3600 + 1800 + rng.range(0, 90) * 60);
            let next = day + Duration::days(1);
            let slots = rng.range(4, 12);
            periods.push((
                next,
                start,
                period(ctx, &mut rng, "late_nap", next, start, slots),
            ));
        }
    }
    periods.sort_by_key(|(_, start, _)| *start);
    // `period` is the per-day index; ids are keyed by (day, index) so they are stable.
    let mut out = Vec::with_capacity(periods.len());
    let mut last_day = None;
    let mut index = 0usize;
    for (day, _, mut doc) in periods {
        index = if last_day == Some(day) { index + 1 } else { 0 };
        last_day = Some(day);
        doc["period"] = json!(index);
        doc["id"] = json!(ctx.id("sleep", day, index));
        out.push(doc);
    }
    out
}

/// Hypnogram in 5-minute slots: '1' deep, '2' light, '3' REM, '4' awake. Deep early, REM late, ~90 min cycles.
fn hypnogram(rng: &mut Rng, slots: usize, latency_slots: usize) -> String {
    (0..slots)
        .map(|i| {
            if i < latency_slots || i + 1 == slots {
                return '4';
            }
            let pos = (i - latency_slots) % 18;
            let late = i as f64 / slots as f64;
            let x = rng.float();
            if x < 0.05 {
                '4'
            } else if pos < 6 && x < 0.7 - late * 0.6 {
                '1'
            } else if pos >= 13 && x < 0.35 + late * 0.5 {
                '3'
            } else {
                '2'
            }
        })
        .collect()
}

fn period(
    ctx: &Ctx,
    rng: &mut Rng,
    kind: &str,
    day: NaiveDate,
    start: NaiveDateTime,
    slots: i64,
) -> Value {
    let slots = slots.max(2) as usize;
    let latency_slots = rng.range(0, 4) as usize;
    let phases = hypnogram(rng, slots, latency_slots);
    let count = |c: char| phases.chars().filter(|p| *p == c).count() as i64 * 300;
    let (deep, light, rem, awake) = (count('1'), count('2'), count('3'), count('4'));
    let time_in_bed = slots as i64 * 300;
    let total = deep + light + rem;
    let phases_30: String = phases
        .chars()
        .flat_map(|c| std::iter::repeat_n(c, 10))
        .collect();
    let movement: String = (0..slots * 10)
        .map(|_| match rng.float() {
            x if x < 0.80 => '1',
            x if x < 0.93 => '2',
            x if x < 0.98 => '3',
            _ => '4',
        })
        .collect();
    let base_hr = rng.between(48.0, 58.0);
    let hr: Vec<Option<f64>> = (0..slots)
        .map(|i| {
            (!rng.chance(0.06)).then(|| {
                (base_hr + 6.0 * ((i as f64) / 12.0).cos() + rng.between(-2.0, 2.0)).round()
            })
        })
        .collect();
    let hrv: Vec<Option<f64>> = (0..slots)
        .map(|_| (!rng.chance(0.08)).then(|| rng.range(20, 90) as f64))
        .collect();
    let start_ts = ctx.ts(start);
    let end = start + Duration::seconds(time_in_bed);
    let long = kind == "long_sleep";
    let lowest = hr.iter().flatten().fold(f64::MAX, |a, b| a.min(*b));
    json!({
        "id": "",
        "average_breath": round1(rng.between(13.0, 16.5)),
        "average_heart_rate": mean(&hr).map(round1),
        "average_hrv": mean(&hrv).map(|v| v.round() as i64),
        "awake_time": awake,
        "bedtime_end": ctx.ts(end),
        "bedtime_start": start_ts,
        "day": day.to_string(),
        "deep_sleep_duration": deep,
        "efficiency": (total * 100 / time_in_bed).clamp(1, 100),
        "heart_rate": sample(300.0, hr, &start_ts),
        "hrv": sample(300.0, hrv, &start_ts),
        "latency": latency_slots as i64 * 300 + rng.range(0, 299),
        "light_sleep_duration": light,
        "low_battery_alert": false,
        "lowest_heart_rate": if lowest == f64::MAX { Value::Null } else { json!(lowest as i64) },
        "movement_30_sec": movement,
        "period": 0,
        "readiness": if long { readiness_body(rng) } else { Value::Null },
        "readiness_score_delta": if long { Value::Null } else { json!(rng.range(0, 3)) },
        "rem_sleep_duration": rem,
        "restless_periods": rng.range(slots as i64 / 4, slots as i64 / 2),
        "sleep_algorithm_version": "v2",
        "sleep_analysis_reason": if rng.chance(0.1) { "bedtime_edit" } else { "foreground_sleep_analysis" },
        "sleep_phase_30_sec": phases_30,
        "sleep_phase_5_min": phases.clone(),
        "sleep_score_delta": if long { Value::Null } else { json!(rng.range(0, 3)) },
        "time_in_bed": time_in_bed,
        "total_sleep_duration": total,
        "type": kind,
        "ring_id": format!("sim-ring-{}", ctx.rng(&["ring_id"]).hex(8)),
        "app_sleep_phase_5_min": phases,
    })
}
