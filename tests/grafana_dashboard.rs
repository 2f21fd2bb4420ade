//! The Grafana dashboard (`grafana/dashboards/oura.json`) and provisioning
//! files: the committed JSON is the generator's output, its structure is one
//! Grafana imports (unique ids, a grid without overlaps, every panel bound to
//! the datasource input, a supported schema), and every panel's query answers
//! through the real `/api/sql` route in-process on the simulator fixtures.
//! `tests/e2e_grafana.rs` repeats the queries under `wrangler dev`.

mod dashboard;
mod support;

use dashboard::{Range, DS_INPUT, GET_ROUTES, INFINITY};
use oura_edge::router::Method;
use serde_json::Value;
use std::collections::HashSet;
use support::{bearer, body_json, req, TestApp, GRAFANA};

/// Grafana 10.0 writes 38; Grafana 12 migrates anything from 36 on.
const SCHEMA_VERSIONS: std::ops::RangeInclusive<u64> = 36..=41;
/// The provisioned datasource's uid, which the dashboard's variable selects.
const PROVISIONED_UID: &str = "oura-infinity";

#[test]
fn the_committed_dashboard_is_the_generators_output() {
    let out = std::process::Command::new("python3")
        .arg(dashboard::root().join("grafana/generate.py"))
        .arg("--check")
        .output()
        .expect("python3 runs grafana/generate.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_dashboard_declares_its_datasource_input_and_a_supported_schema() {
    let d = dashboard::load();
    let version = d["schemaVersion"].as_u64().expect("schemaVersion");
    assert!(
        SCHEMA_VERSIONS.contains(&version),
        "schemaVersion {version}"
    );
    assert!(d["uid"].is_string() && d["title"].is_string());
    let inputs = d["__inputs"].as_array().expect("__inputs");
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(inputs[0]["name"], "DS_INFINITY");
    assert_eq!(inputs[0]["type"], "datasource");
    assert_eq!(inputs[0]["pluginId"], INFINITY);
    assert!(d["__requires"]
        .as_array()
        .expect("__requires")
        .iter()
        .any(|r| r["id"] == INFINITY));
    // Without import (file provisioning) `${DS_INFINITY}` is resolved by a
    // datasource variable of that name, preset to the provisioned uid.
    let vars = d["templating"]["list"].as_array().expect("templating");
    let var = vars
        .iter()
        .find(|v| v["name"] == "DS_INFINITY")
        .expect("a DS_INFINITY variable");
    assert_eq!(var["type"], "datasource");
    assert_eq!(var["query"], INFINITY);
    assert_eq!(var["current"]["value"], PROVISIONED_UID);
}

#[test]
fn panel_ids_are_unique_and_the_grid_has_no_overlaps() {
    let d = dashboard::load();
    let panels = dashboard::all_panels(&d);
    let mut ids = HashSet::new();
    let mut cells: HashSet<(u64, u64)> = HashSet::new();
    for p in &panels {
        let id = p["id"].as_u64().expect("numeric id");
        assert!(ids.insert(id), "duplicate panel id {id}");
        let g = &p["gridPos"];
        let (x, y, w, h) = (
            g["x"].as_u64().expect("x"),
            g["y"].as_u64().expect("y"),
            g["w"].as_u64().expect("w"),
            g["h"].as_u64().expect("h"),
        );
        assert!(w > 0 && h > 0 && x + w <= 24, "panel {id}: {g}");
        for cx in x..x + w {
            for cy in y..y + h {
                assert!(
                    cells.insert((cx, cy)),
                    "panel {id} overlaps at ({cx}, {cy})"
                );
            }
        }
    }
    assert!(
        dashboard::data_panels(&d).len() >= 67,
        "fewer panels than the original"
    );
}

#[test]
fn every_panel_and_target_is_bound_to_the_datasource_input_and_has_a_query() {
    let d = dashboard::load();
    for p in dashboard::data_panels(&d) {
        let id = &p["id"];
        assert_eq!(p["datasource"]["uid"], DS_INPUT, "panel {id}");
        assert_eq!(p["datasource"]["type"], INFINITY, "panel {id}");
        let targets = p["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "panel {id} has no query");
        for t in targets {
            assert_eq!(t["datasource"]["uid"], DS_INPUT, "panel {id}");
            assert_eq!(t["datasource"]["type"], INFINITY, "panel {id}");
            assert_eq!(t["type"], "json", "panel {id}");
            assert_eq!(t["source"], "url", "panel {id}");
            assert_eq!(t["parser"], "backend", "panel {id}");
            assert!(
                t["columns"].as_array().is_some_and(|c| !c.is_empty()),
                "panel {id} names no columns"
            );
        }
    }
    for q in dashboard::queries(&d) {
        match q.method.as_str() {
            "POST" => {
                assert_eq!(q.url, "/api/sql", "{}", q.label());
                assert_eq!(q.root_selector, "results", "{}", q.label());
                let sql = q.sql().unwrap_or_default();
                assert!(!sql.trim().is_empty(), "{} has no SQL", q.label());
                // Queries follow the time picker, except freshness and inventory.
                let bounded =
                    sql.contains("${__from:date:iso}") && sql.contains("${__to:date:iso}");
                let unbounded = [
                    "julianday('now')",
                    "table_stats",
                    "ring_configurations",
                    "'now', '-1 day'",
                ];
                assert!(
                    bounded || unbounded.iter().any(|u| sql.contains(u)),
                    "{} ignores the time range: {sql}",
                    q.label()
                );
            }
            "GET" => assert!(GET_ROUTES.contains(&q.url.as_str()), "{}", q.label()),
            other => panic!("{}: method {other}", q.label()),
        }
    }
}

/// The fixtures hold 2026-01-02 … 2026-01-16 (UTC) of simulator data.
fn fixture_range() -> Range {
    Range::days("2026-01-01", "2026-01-17")
}

#[test]
fn every_panel_query_answers_in_process_with_the_columns_it_reads() {
    let t = TestApp::new().with_fixtures();
    let d = dashboard::load();
    let range = fixture_range();
    let mut empty = Vec::new();
    let queries = dashboard::queries(&d);
    for q in &queries {
        let mut r = req(
            if q.method == "POST" {
                Method::Post
            } else {
                Method::Get
            },
            &q.url,
        )
        .with_header("authorization", &bearer(GRAFANA));
        if q.method == "POST" {
            r = r
                .with_header("content-type", "application/json")
                .with_body(range.substitute(&q.body));
        }
        let res = t.send(r);
        let body: Value = body_json(&res);
        assert_eq!(res.status, 200, "{}: {body}", q.label());
        match dashboard::check_columns(q, &body) {
            Ok(0) => empty.push(q.label()),
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
    eprintln!(
        "grafana in-process: {} panel queries, {} without rows: {empty:?}",
        queries.len(),
        empty.len()
    );
    // Two weeks of fixtures miss a few rare things; the end-to-end test
    // (90 days) requires rows from every panel.
    assert!(
        empty.len() <= 3,
        "{} of {} panels without rows: {empty:?}",
        empty.len(),
        queries.len()
    );
}

#[test]
fn the_provisioning_files_point_at_the_dashboard_and_the_worker() {
    let read = |p: &str| std::fs::read_to_string(dashboard::root().join(p)).expect(p);
    let ds = read("grafana/provisioning/datasources/oura.yaml");
    for needle in [
        &format!("uid: {PROVISIONED_UID}"),
        &format!("type: {INFINITY}"),
        "url: ${OURA_WORKER_URL}",
        "auth_method: bearerToken",
        "bearerToken: ${OURA_GRAFANA_TOKEN}",
        "allowedHosts:",
        "httpHeaderName1: CF-Access-Client-Id",
        "httpHeaderName2: CF-Access-Client-Secret",
    ] {
        assert!(
            ds.contains(needle),
            "datasource file lacks {needle:?}:\n{ds}"
        );
    }
    let boards = read("grafana/provisioning/dashboards/oura.yaml");
    assert!(boards.contains("type: file"), "{boards}");
    assert!(boards.contains("path:"), "{boards}");
}

#[test]
fn the_provisioned_staleness_alert_reads_hours_since_the_newest_heart_rate() {
    let path = dashboard::root().join("grafana/provisioning/alerting/oura.json");
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("alert rules")).expect("JSON");
    assert_eq!(file["apiVersion"], 1);
    let group = &file["groups"][0];
    assert_eq!(group["folder"], "Oura");
    let rule = &group["rules"][0];
    assert_eq!(rule["uid"], "oura-data-stale");
    let data = rule["data"].as_array().expect("data");
    let refs: Vec<&Value> = data.iter().map(|d| &d["refId"]).collect();
    assert!(
        refs.contains(&&rule["condition"]),
        "the condition is one of {refs:?}"
    );
    let query = &data[0];
    assert_eq!(query["datasourceUid"], PROVISIONED_UID);
    let model = &query["model"];
    assert_eq!(model["datasource"]["uid"], PROVISIONED_UID);
    assert_eq!(
        model["parser"], "backend",
        "alerting needs the backend parser"
    );
    let threshold = data
        .iter()
        .find(|d| d["model"]["type"] == "threshold")
        .expect("a threshold");
    assert_eq!(
        threshold["model"]["conditions"][0]["evaluator"]["type"],
        "gt"
    );
    assert_eq!(
        rule["noDataState"], "Alerting",
        "no data at all is stale too"
    );

    // Its query answers through /api/sql with the hours since the newest sample.
    let t = TestApp::new().with_fixtures();
    let body = model["url_options"]["data"].as_str().expect("body");
    let res = t.send(
        req(Method::Post, "/api/sql")
            .with_header("authorization", &bearer(GRAFANA))
            .with_header("content-type", "application/json")
            .with_body(body.to_string()),
    );
    let out = body_json(&res);
    assert_eq!(res.status, 200, "{out}");
    let hours = out["results"][0]["hours"].as_f64().expect("hours");
    assert!(hours > 0.0, "the fixtures end in January 2026: {hours}");
    let empty = TestApp::new();
    let res = empty.send(
        req(Method::Post, "/api/sql")
            .with_header("authorization", &bearer(GRAFANA))
            .with_header("content-type", "application/json")
            .with_body(body.to_string()),
    );
    assert_eq!(body_json(&res)["results"][0]["hours"], Value::Null);
}
