//! What individual panels show, beyond the dashboard's structure
//! (`tests/grafana_dashboard.rs`): the right sleep periods, lines that break
//! at gaps, table columns in the query's order, units that keep their scale,
//! and no sentinel values. Queries run through the real `/api/sql` route on
//! the simulator fixtures.

mod dashboard;
mod support;

use dashboard::{PanelQuery, Range};
use oura_edge::router::Method;
use oura_edge::services::collections::{rows_for, REGISTRY};
use oura_edge::services::try_block_on;
use oura_edge::services::writer::write;
use serde_json::Value;
use support::{bearer, body_json, documents, fixture_values, req, TestApp, GRAFANA};

fn panel(d: &Value, id: u64) -> Value {
    dashboard::all_panels(d)
        .into_iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no panel {id}"))
        .clone()
}

fn query(d: &Value, id: u64) -> PanelQuery {
    dashboard::queries(d)
        .into_iter()
        .find(|q| q.id == id)
        .unwrap_or_else(|| panic!("no query for panel {id}"))
}

/// The rows panel `id` gets for `range`.
fn answer(t: &TestApp, d: &Value, id: u64, range: &Range) -> Vec<Value> {
    let q = query(d, id);
    let res = t.send(
        req(Method::Post, "/api/sql")
            .with_header("authorization", &bearer(GRAFANA))
            .with_header("content-type", "application/json")
            .with_body(range.substitute(&q.body)),
    );
    let body = body_json(&res);
    assert_eq!(res.status, 200, "{}: {body}", q.label());
    body["results"].as_array().cloned().unwrap_or_default()
}

fn utc_ms(iso: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(iso)
        .unwrap()
        .timestamp_millis()
}

#[test]
fn resting_hr_and_hrv_read_the_main_night_and_naps_count_only_naps() {
    // A rest-mode period on the newest day, with values no night has.
    let mut rest = fixture_values("sleep")
        .into_iter()
        .rfind(|s| s["type"] == "long_sleep")
        .unwrap();
    let night = (
        rest["lowest_heart_rate"].clone(),
        rest["average_hrv"].clone(),
    );
    rest["id"] = "rest-period-1".into();
    rest["type"] = "rest".into();
    rest["lowest_heart_rate"] = 99.into();
    rest["average_hrv"] = 199.into();
    let mut deleted = rest.clone();
    deleted["id"] = "deleted-period-1".into();
    deleted["type"] = "deleted".into();
    let t = TestApp::new().with_fixtures();
    let sleep = REGISTRY.iter().find(|c| c.name == "sleep").unwrap();
    let (rows, rejected) = rows_for(sleep, &documents(&[rest, deleted]));
    assert!(rejected.is_empty(), "{rejected:?}");
    try_block_on(write(
        t.native.db.as_ref(),
        &rows,
        "2026-01-15T12:00:00.000Z",
    ))
    .unwrap()
    .unwrap();

    let d = dashboard::load();
    let range = Range::days("2026-01-01", "2026-01-17");
    let value = |id| answer(&t, &d, id, &range)[0]["value"].as_f64();
    assert_eq!(value(105), night.0.as_f64(), "Resting HR");
    assert_eq!(value(106), night.1.as_f64(), "HRV");
    let naps = answer(&t, &d, 306, &range)[0]["value"].as_i64().unwrap();
    let expected = fixture_values("sleep")
        .iter()
        .filter(|s| s["type"] == "sleep" || s["type"] == "late_nap")
        .count() as i64;
    assert_eq!(
        naps, expected,
        "Naps counts neither rest nor deleted periods"
    );
}

#[test]
fn curves_break_where_no_rows_come() {
    // Infinity sends no null rows for a gap: without insertNulls,
    // spanNulls: false has nothing to break on.
    let d = dashboard::load();
    let hour = 3_600_000;
    for (id, threshold) in [
        (401, 6 * hour),
        (402, 6 * hour),
        (804, hour / 4),
        (1101, 36 * hour),
        (1603, hour / 6),
    ] {
        let custom = &panel(&d, id)["fieldConfig"]["defaults"]["custom"];
        assert_eq!(custom["spanNulls"], false, "panel {id}");
        assert_eq!(custom["insertNulls"], threshold, "panel {id}");
    }
    for p in dashboard::data_panels(&d) {
        let custom = &p["fieldConfig"]["defaults"]["custom"];
        if custom["spanNulls"] == false {
            assert!(custom["insertNulls"].is_u64(), "panel {}", p["id"]);
        }
    }
}

#[test]
fn tables_keep_the_querys_column_order() {
    let d = dashboard::load();
    let mut tables = Vec::new();
    for p in dashboard::data_panels(&d)
        .into_iter()
        .filter(|p| p["type"] == "table")
    {
        let id = p["id"].as_u64().unwrap();
        tables.push(id);
        let organize = p["transformations"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["id"] == "organize"))
            .unwrap_or_else(|| panic!("table {id} has no organize transformation"));
        let columns = &query(&d, id).columns;
        let index = organize["options"]["indexByName"].as_object().unwrap();
        assert_eq!(index.len(), columns.len(), "table {id}");
        for (i, c) in columns.iter().enumerate() {
            assert_eq!(index[c.as_str()], i, "table {id}: column {c}");
        }
    }
    for id in [317, 707, 803, 906, 1203, 1401, 1404, 1501, 1509, 1601] {
        assert!(tables.contains(&id), "{id} is a table: {tables:?}");
    }
}

#[test]
fn readiness_by_sleep_duration_is_ordered_by_hours_with_nights_on_their_own_axis() {
    let t = TestApp::new().with_fixtures();
    let d = dashboard::load();
    let rows = answer(&t, &d, 208, &Range::days("2026-01-01", "2026-01-17"));
    let order = ["<6h", "6-7h", "7-8h", "8h+"];
    let got: Vec<usize> = rows
        .iter()
        .map(|r| {
            order
                .iter()
                .position(|b| r["bucket"] == *b)
                .unwrap_or_else(|| panic!("{r}"))
        })
        .collect();
    assert!(
        got.len() >= 2,
        "the fixtures span several buckets: {rows:?}"
    );
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{rows:?}");
    let p = panel(&d, 208);
    let right = p["fieldConfig"]["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| {
            o["matcher"]["options"] == "nights"
                && o["properties"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["id"] == "custom.axisPlacement" && x["value"] == "right")
        });
    assert!(
        right,
        "nights (a count) on the right axis, scores on the left"
    );
}

#[test]
fn minute_met_at_the_start_of_a_day_comes_from_the_previous_days_document() {
    // A daily_activity document's MET begins at 04:00 of its day, so
    // 00:00-03:00 UTC of the 10th is only in the 9th's document.
    let t = TestApp::new().with_fixtures();
    let d = dashboard::load();
    let range = Range {
        from_ms: utc_ms("2026-01-10T00:00:00Z"),
        to_ms: utc_ms("2026-01-10T03:00:00Z"),
    };
    let rows = answer(&t, &d, 606, &range);
    assert!(rows.len() >= 100, "{} minute buckets: {rows:?}", rows.len());
}

#[test]
fn units_keep_their_scale_and_lags_have_no_sentinel() {
    let d = dashboard::load();
    let unit = |id| panel(&d, id)["fieldConfig"]["defaults"]["unit"].clone();
    // Grafana's "h" shows 24 h and more as days; file_size_mb is MiB.
    assert_eq!(unit(705), "suffix: h");
    assert_eq!(unit(112), "mbytes");
    for q in dashboard::queries(&d) {
        let sql = q.sql().unwrap_or_default();
        assert!(!sql.contains("9999"), "{}: {sql}", q.label());
        if q.title.ends_with(" Lag") {
            let p = panel(&d, q.id);
            assert_eq!(
                p["fieldConfig"]["defaults"]["noValue"],
                "none stored",
                "{}",
                q.label()
            );
        }
    }
    // An empty table's lag is no value, not 27 years.
    let t = TestApp::new();
    let heart_rate_lag = 1505;
    let rows = answer(
        &t,
        &d,
        heart_rate_lag,
        &Range::days("2026-01-01", "2026-01-17"),
    );
    assert_eq!(rows[0]["value"], Value::Null, "{rows:?}");
}

#[test]
fn intraday_panels_follow_the_browser_zone_and_daily_points_keep_their_day() {
    let d = dashboard::load();
    assert_eq!(d["timezone"], "browser");
    for q in dashboard::queries(&d) {
        let sql = q.sql().unwrap_or_default();
        // Midnight UTC would show as the evening before west of Greenwich.
        assert!(!sql.contains("T00:00:00Z"), "{}: {sql}", q.label());
    }
    let hypnogram = panel(&d, 1602);
    let defaults = &hypnogram["fieldConfig"]["defaults"];
    assert_eq!(defaults["custom"]["lineInterpolation"], "stepAfter");
    assert_eq!(
        (defaults["min"].clone(), defaults["max"].clone()),
        (1.into(), 4.into())
    );
    let names = &defaults["mappings"][0]["options"];
    for (v, name) in [("1", "deep"), ("2", "light"), ("3", "REM"), ("4", "awake")] {
        assert_eq!(names[v]["text"], name, "{names}");
    }
    let curves = panel(&d, 1603);
    let overrides = curves["fieldConfig"]["overrides"].as_array().unwrap();
    let has = |field: &str, id: &str, value: &str| {
        overrides.iter().any(|o| {
            o["matcher"]["options"] == field
                && o["properties"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["id"] == id && x["value"] == value)
        })
    };
    assert!(has("hrv", "custom.axisPlacement", "right"));
    assert!(has("hrv", "unit", "ms") && has("bpm", "unit", "bpm"));
    assert_eq!(panel(&d, 609)["fieldConfig"]["defaults"]["unit"], "percent");
    assert_eq!(
        panel(&d, 318)["fieldConfig"]["defaults"]["unit"],
        "suffix: h"
    );
}

#[test]
fn the_night_and_step_target_variables_are_declared_as_the_panels_use_them() {
    let d = dashboard::load();
    let vars = d["templating"]["list"].as_array().unwrap();
    let var = |name: &str| {
        vars.iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no ${name}"))
    };
    let night = var("night");
    assert_eq!(night["type"], "query");
    assert_eq!(night["datasource"]["uid"], dashboard::DS_INPUT);
    assert_eq!(night["refresh"], 2, "re-read when the time range changes");
    assert_eq!(night["query"]["queryType"], "infinity");
    let q = &night["query"]["infinityQuery"];
    assert_eq!(q["url"], "/api/sql");
    assert_eq!(q["parser"], "backend");
    let columns: Vec<&Value> = q["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["selector"])
        .collect();
    assert_eq!(columns, ["__text", "__value"]);
    let target = var("steps_target");
    assert_eq!(target["type"], "textbox");
    // The tests substitute the defaults Grafana would.
    let defaults: std::collections::HashMap<&str, &str> =
        dashboard::VARIABLES.iter().copied().collect();
    assert_eq!(target["query"].as_str(), Some(defaults["${steps_target}"]));
    for q in dashboard::queries(&d) {
        let sql = q.sql().unwrap_or_default();
        if sql.contains("${night") {
            assert!(
                sql.contains("${night:sqlstring}"),
                "{}: quoted and escaped",
                q.label()
            );
        }
    }
}
