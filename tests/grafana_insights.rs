//! The insights issue #15 added to the dashboard, answered through the real
//! `/api/sql` route on the simulator fixtures: one night at a time (the
//! `$night` variable, its hypnogram, heart rate and HRV), bedtime guidance,
//! steps against a target, and long ranges that read one aggregate row per
//! night, session or day yet show the same numbers as the samples.

mod dashboard;
mod support;

use dashboard::Range;
use oura_edge::router::Method;
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::try_block_on;
use serde_json::Value;
use support::{bearer, body_json, req, TestApp, GRAFANA};

/// The fixtures: 2026-01-02 … 2026-01-16 (UTC).
fn fixture_range() -> Range {
    Range::days("2026-01-01", "2026-01-17")
}

/// Panel `id`'s (or the variable's, id 0) answer: rows and D1 rows read.
fn answer_with(t: &TestApp, id: u64, range: &Range, night: Option<&str>) -> (Vec<Value>, u64) {
    let d = dashboard::load();
    let q = dashboard::queries(&d)
        .into_iter()
        .find(|q| q.id == id)
        .unwrap_or_else(|| panic!("no query {id}"));
    let mut body = q.body.clone();
    if let Some(night) = night {
        body = body.replace("${night:sqlstring}", &format!("'{night}'"));
    }
    let res = t.send(
        req(Method::Post, "/api/sql")
            .with_header("authorization", &bearer(GRAFANA))
            .with_header("content-type", "application/json")
            .with_body(range.substitute(&body)),
    );
    let out = body_json(&res);
    assert_eq!(res.status, 200, "{}: {out}", q.label());
    let rows = out["results"].as_array().cloned().unwrap_or_default();
    (rows, out["meta"]["rows_read"].as_u64().unwrap_or(0))
}

fn answer(t: &TestApp, id: u64, range: &Range) -> Vec<Value> {
    answer_with(t, id, range, None).0
}

/// Rows straight from the database, past the route.
fn db(t: &TestApp, sql: &str) -> Vec<Value> {
    try_block_on(t.native.db.query(&Statement::new(sql, vec![])))
        .unwrap()
        .unwrap()
        .rows
        .into_iter()
        .map(Value::Object)
        .collect()
}

const NIGHT_VARIABLE: u64 = dashboard::VARIABLE_ID;
const NIGHT_SUMMARY: u64 = 1601;
const HYPNOGRAM: u64 = 1602;
const NIGHT_CURVES: u64 = 1603;

#[test]
fn the_night_variable_lists_main_nights_newest_first_and_the_panels_follow_it() {
    let t = TestApp::new().with_fixtures();
    let range = fixture_range();
    let nights = answer(&t, NIGHT_VARIABLE, &range);
    let expected = db(
        &t,
        "SELECT id, day, sleep_phase_5_min, strftime('%Y-%m-%dT%H:%M:%SZ', start_datetime) AS start \
         FROM sleep_episodes WHERE type = 'long_sleep' ORDER BY day DESC",
    );
    assert!(expected.len() >= 10, "{expected:?}");
    let values: Vec<&Value> = nights.iter().map(|n| &n["__value"]).collect();
    let ids: Vec<&Value> = expected.iter().map(|n| &n["id"]).collect();
    assert_eq!(values, ids, "every main night, newest first");
    assert!(nights[0]["__text"]
        .as_str()
        .unwrap()
        .starts_with(expected[0]["day"].as_str().unwrap()));

    // No night picked: the newest; picked: that one.
    for (picked, night) in [
        (None, &expected[0]),
        (expected[3]["id"].as_str(), &expected[3]),
    ] {
        let summary = answer_with(&t, NIGHT_SUMMARY, &range, picked).0;
        assert_eq!(summary.len(), 1);
        assert_eq!(summary[0]["day"], night["day"]);

        let stages = answer_with(&t, HYPNOGRAM, &range, picked).0;
        let phases = night["sleep_phase_5_min"].as_str().unwrap();
        let got: String = stages
            .iter()
            .map(|s| s["stage"].as_i64().unwrap().to_string())
            .collect();
        assert_eq!(got, phases, "one stage per 5-minute digit");
        assert_eq!(stages[0]["time"], night["start"], "from bedtime, in UTC");

        let id = night["id"].as_str().unwrap();
        let curves = answer_with(&t, NIGHT_CURVES, &range, picked).0;
        let samples = db(
            &t,
            &format!(
                "SELECT COUNT(DISTINCT timestamp) AS n, AVG(CASE WHEN series = 'sleep.heart_rate' THEN value END) AS bpm \
                 FROM document_series WHERE series IN ('sleep.heart_rate', 'sleep.hrv') AND document_id = '{id}'"
            ),
        );
        assert_eq!(curves.len() as u64, samples[0]["n"].as_u64().unwrap());
        let bpm: Vec<f64> = curves.iter().filter_map(|r| r["bpm"].as_f64()).collect();
        let mean = bpm.iter().sum::<f64>() / bpm.len() as f64;
        assert!((mean - samples[0]["bpm"].as_f64().unwrap()).abs() < 1e-9);
    }
}

#[test]
fn bedtime_guidance_shows_the_window_in_local_time_beside_the_bedtime() {
    let t = TestApp::new().with_fixtures();
    let rows = answer(&t, 317, &fixture_range());
    // sleep_time 2026-01-03: start_offset -6300 s, end_offset -2700 s.
    let jan3 = rows
        .iter()
        .find(|r| r["day"] == "2026-01-03")
        .expect("2026-01-03");
    assert_eq!(jan3["optimal_window"], "22:15–23:15");
    assert_eq!(jan3["recommendation"], "earlier_bedtime");
    assert!(
        jan3["bedtime"].as_str().is_some_and(|b| b.len() == 5),
        "{jan3}"
    );
    let hours = answer(&t, 318, &fixture_range());
    let jan3 = hours
        .iter()
        .find(|r| r["time"] == "2026-01-03T12:00:00Z")
        .expect("2026-01-03");
    assert_eq!(jan3["window_start"], -1.75);
    assert_eq!(jan3["window_end"], -0.75);
}

#[test]
fn steps_are_shown_against_the_step_target() {
    let t = TestApp::new().with_fixtures();
    let rows = answer(&t, 608, &fixture_range());
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["target"] == 10_000), "{rows:?}");
    let steps: Vec<i64> = rows.iter().map(|r| r["steps"].as_i64().unwrap()).collect();
    let at = steps.iter().filter(|s| **s >= 10_000).count() as f64;
    let share = answer(&t, 609, &fixture_range())[0]["value"]
        .as_f64()
        .unwrap();
    assert_eq!(share, (1000.0 * at / steps.len() as f64).round() / 10.0);
}

/// Every point of `id` on a long range, by time.
fn points(t: &TestApp, id: u64, range: &Range) -> (Vec<Value>, u64) {
    answer_with(t, id, range, None)
}

#[test]
fn long_ranges_read_one_row_per_night_session_or_day_with_the_samples_numbers() {
    let t = TestApp::new().with_fixtures();
    let long = fixture_range();
    // Nightly heart rate: one point per night, its samples' mean, min and max.
    let (nights, read) = points(&t, 401, &long);
    let expected = db(
        &t,
        "SELECT ROUND(AVG(value), 1) AS bpm, MIN(value) AS min_bpm, MAX(value) AS max_bpm \
         FROM document_series WHERE series = 'sleep.heart_rate' GROUP BY document_id ORDER BY MIN(timestamp)",
    );
    let got: Vec<(Value, Value, Value)> = nights
        .iter()
        .map(|r| (r["bpm"].clone(), r["min_bpm"].clone(), r["max_bpm"].clone()))
        .collect();
    let want: Vec<(Value, Value, Value)> = expected
        .iter()
        .map(|r| (r["bpm"].clone(), r["min_bpm"].clone(), r["max_bpm"].clone()))
        .collect();
    assert_eq!(got, want);
    assert!(
        read <= 2 * nights.len() as u64 + 4,
        "{read} rows read for {} nights",
        nights.len()
    );

    // Session heart rate and HRV: one point per session, its means.
    let (sessions, read) = points(&t, 804, &long);
    let expected = db(
        &t,
        "SELECT ROUND(AVG(CASE WHEN series = 'session.heart_rate' THEN value END), 1) AS bpm, \
         ROUND(AVG(CASE WHEN series = 'session.hrv' THEN value END), 1) AS hrv FROM session_series \
         WHERE series IN ('session.heart_rate', 'session.hrv') GROUP BY document_id ORDER BY MIN(timestamp)",
    );
    let pairs = |rows: &[Value]| -> Vec<(Value, Value)> {
        rows.iter()
            .map(|r| (r["bpm"].clone(), r["hrv"].clone()))
            .collect()
    };
    assert_eq!(pairs(&sessions), pairs(&expected));
    assert!(read <= 2 * sessions.len() as u64 + 4, "{read} rows read");

    // Ring battery: one point per day, the day's mean level.
    let (days, read) = points(&t, 1201, &long);
    let expected = db(
        &t,
        "SELECT ROUND(AVG(level)) AS level, MAX(charging) AS charging FROM ring_battery_levels \
         GROUP BY substr(timestamp, 1, 10) ORDER BY 1",
    );
    let levels = |rows: &[Value]| -> Vec<(Value, Value)> {
        rows.iter()
            .map(|r| (r["level"].clone(), r["charging"].clone()))
            .collect()
    };
    let mut got = levels(&days);
    let mut want = levels(&expected);
    got.sort_by_key(|p| p.0.to_string());
    want.sort_by_key(|p| p.0.to_string());
    assert_eq!(got, want);
    assert!(read <= days.len() as u64 + 4, "{read} rows read");

    // Three days or less: every sample, bucketed, as before.
    let short = Range::days("2026-01-09", "2026-01-11");
    let (samples, _) = points(&t, 401, &short);
    assert!(samples.len() > 50, "{} buckets", samples.len());
}

#[test]
fn workout_panels_count_by_local_start_day_through_the_index() {
    let t = TestApp::new().with_fixtures();
    let range = Range::days("2026-01-05", "2026-01-12");
    let rows = answer(&t, 704, &range);
    let expected = db(
        &t,
        "SELECT COUNT(*) AS n FROM activity_logs WHERE type = 'workout' \
         AND substr(start_datetime, 1, 10) BETWEEN '2026-01-05' AND '2026-01-12'",
    );
    assert_eq!(rows[0]["value"], expected[0]["n"]);
    // The range is searched in the index, not every workout ever stored.
    let d = dashboard::load();
    let q = dashboard::queries(&d)
        .into_iter()
        .find(|q| q.id == 704)
        .unwrap();
    let plan = db(
        &t,
        &format!("EXPLAIN QUERY PLAN {}", range.substitute(&q.sql().unwrap())),
    );
    assert!(
        plan.iter().any(|l| l["detail"].as_str().is_some_and(|d| d
            .contains("idx_activity_logs_type_start")
            && d.contains("start_datetime>"))),
        "{plan:?}"
    );
}

#[test]
fn rolling_averages_cover_the_six_points_before_each() {
    let t = TestApp::new().with_fixtures();
    for (id, value, avg, n) in [
        (202, "score", "score_7d", 7),
        (309, "deep_pct", "deep_7d", 7),
        (309, "deep_pct", "deep_28d", 28),
    ] {
        let rows = answer(&t, id, &fixture_range());
        assert!(rows.len() >= 10, "panel {id}: {rows:?}");
        let values: Vec<f64> = rows.iter().map(|r| r[value].as_f64().unwrap()).collect();
        for (i, r) in rows.iter().enumerate() {
            let window = &values[i.saturating_sub(n - 1)..=i];
            let want = window.iter().sum::<f64>() / window.len() as f64;
            let got = r[avg].as_f64().unwrap();
            // deep_pct is itself rounded; the average is of unrounded values.
            assert!(
                (got - want).abs() <= 0.1,
                "panel {id} row {i}: {got} vs {want}"
            );
        }
    }
}
