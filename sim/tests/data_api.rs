//! Data routes: determinism, pagination, window semantics, limits, errors and truth.

mod common;

use common::Sim;
use serde_json::{json, Value};
use std::collections::HashSet;

const DATED: &[&str] = &[
    "daily_activity",
    "daily_readiness",
    "daily_sleep",
    "daily_spo2",
    "daily_stress",
    "daily_resilience",
    "daily_cardiovascular_age",
    "vO2_max",
    "sleep",
    "sleep_time",
    "workout",
    "session",
    "tag",
    "enhanced_tag",
    "rest_mode_period",
];

fn ids(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .map(|d| d["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn same_seed_same_documents_other_seed_differs() {
    let a = Sim::with_token(&["--seed", "42", "--days", "20"]);
    let b = Sim::with_token(&["--seed", "42", "--days", "20"]);
    let c = Sim::with_token(&["--seed", "43", "--days", "20"]);
    for coll in ["sleep", "daily_activity", "workout", "ring_configuration"] {
        let q = format!("/v2/usercollection/{coll}");
        assert_eq!(a.get_all(&q), b.get_all(&q), "{coll}");
        assert_ne!(a.get_all(&q), c.get_all(&q), "{coll}");
    }
    assert_eq!(
        a.get("/v2/usercollection/personal_info"),
        b.get("/v2/usercollection/personal_info")
    );
}

#[test]
fn pagination_covers_every_document_exactly_once() {
    let sim = Sim::with_token(&["--days", "40", "--page-size", "7"]);
    let (_, truth) = sim.control("GET", "/_sim/truth", &Value::Null);
    for coll in DATED.iter().chain(["ring_configuration"].iter()) {
        let docs = sim.get_all(&format!(
            "/v2/usercollection/{coll}?start_date=2000-01-01&end_date=2100-01-01"
        ));
        let got = ids(&docs);
        let unique: HashSet<_> = got.iter().collect();
        assert_eq!(unique.len(), got.len(), "{coll}: duplicates");
        let want: HashSet<String> = truth[coll]["ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        assert_eq!(unique, want.iter().collect(), "{coll}");
        assert_eq!(
            got.len() as u64,
            truth[coll]["count"].as_u64().unwrap_or(0),
            "{coll}"
        );
    }
    // Follow-up pages also work with the token alone (the token carries the window).
    let (_, first) =
        sim.get("/v2/usercollection/daily_stress?start_date=2026-01-01&end_date=2026-01-15");
    assert_eq!(first["data"].as_array().map(Vec::len), Some(7));
    let token = first["next_token"].as_str().unwrap_or_default().to_string();
    let (_, second) = sim.get(&format!(
        "/v2/usercollection/daily_stress?next_token={token}"
    ));
    assert_eq!(second["data"][0]["day"], "2026-01-08");
    assert_eq!(
        sim.get("/v2/usercollection/sleep?next_token=garbage").0,
        400
    );
}

#[test]
fn page_size_is_configurable_at_runtime() {
    let sim = Sim::with_token(&["--days", "30"]);
    let (status, _) = sim.control("POST", "/_sim/config", &json!({ "page_size": 4 }));
    assert_eq!(status, 200);
    let (_, page) = sim.get("/v2/usercollection/daily_stress");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(4));
    assert!(page["next_token"].is_string());
}

#[test]
fn end_date_is_exclusive_only_for_activity_sleep_workout() {
    let sim = Sim::with_token(&["--days", "30"]);
    let day = "2026-01-10";
    let one = |coll: &str, start: &str, end: &str| {
        let (status, body) = sim.get(&format!(
            "/v2/usercollection/{coll}?start_date={start}&end_date={end}"
        ));
        assert_eq!(status, 200, "{coll}");
        body["data"].as_array().cloned().unwrap_or_default()
    };
    assert!(one("daily_activity", day, day).is_empty());
    assert!(one("sleep", day, day).is_empty());
    assert_eq!(one("daily_activity", day, "2026-01-11").len(), 1);
    assert_eq!(one("daily_activity", day, "2026-01-11")[0]["day"], day);
    assert_eq!(one("daily_stress", day, day).len(), 1);
    assert_eq!(one("daily_resilience", day, day).len(), 1);
    assert_eq!(one("sleep_time", day, day).len(), 1);
    // Sleep periods queried with an exclusive end only carry days before it.
    for d in one("sleep", "2026-01-05", day) {
        assert!(d["day"].as_str().unwrap_or_default() < day);
    }
    let (status, body) =
        sim.get("/v2/usercollection/daily_sleep?start_date=2026-01-11&end_date=2026-01-10");
    assert_eq!(
        (status, body),
        (
            422,
            json!({ "detail": "Start date must be before end date" })
        )
    );
}

#[test]
fn heartrate_window_limit_and_encoding() {
    let sim = Sim::with_token(&["--days", "60"]);
    let hr = |q: &str| sim.get(&format!("/v2/usercollection/heartrate?{q}"));
    let (status, body) =
        hr("start_datetime=2025-12-01T00:00:00%2B00:00&end_datetime=2026-01-01T00:00:00%2B00:00");
    assert_eq!(status, 400);
    assert!(body["detail"].is_string());
    let (status, body) =
        hr("start_datetime=2025-12-02T00:00:00%2B00:00&end_datetime=2026-01-01T00:00:00%2B00:00");
    assert_eq!(status, 200, "{body}");
    // An unencoded '+' decodes to a space and is rejected, as on the real API.
    assert_eq!(
        hr("start_datetime=2026-01-01T00:00:00+01:00&end_datetime=2026-01-02T00:00:00%2B01:00").0,
        400
    );
    assert_eq!(
        hr("start_datetime=2026-01-02T00:00:00Z&end_datetime=2026-01-01T00:00:00Z").0,
        422
    );
    // One hour, UTC rows every 5 minutes, end exclusive.
    let (_, body) =
        hr("start_datetime=2026-01-14T06:00:00%2B01:00&end_datetime=2026-01-14T07:00:00%2B01:00");
    let rows = body["data"].as_array().cloned().unwrap_or_default();
    assert!(rows.len() <= 12 && !rows.is_empty());
    assert!(rows[0]["timestamp"]
        .as_str()
        .unwrap_or_default()
        .ends_with("+00:00"));
    assert!(rows
        .iter()
        .all(|r| r["bpm"].is_i64() && r["source"].is_string()));
    let (_, latest) = hr("latest=true");
    assert_eq!(latest["data"].as_array().map(Vec::len), Some(1));
}

#[test]
fn series_pagination_matches_truth() {
    let sim = Sim::with_token(&["--days", "10", "--series-page-size", "100"]);
    let q = "start_datetime=2026-01-08T00:00:00%2B00:00&end_datetime=2026-01-12T00:00:00%2B00:00";
    for coll in ["heartrate", "ring_battery_level"] {
        let rows = sim.get_all(&format!("/v2/usercollection/{coll}?{q}"));
        let ts: HashSet<_> = rows.iter().map(|r| r["timestamp"].to_string()).collect();
        assert_eq!(ts.len(), rows.len());
        let (_, truth) = sim.control(
            "GET",
            &format!("/_sim/truth?semantics=api&collection={coll}&{q}"),
            &Value::Null,
        );
        assert_eq!(
            rows.len() as u64,
            truth[coll]["count"].as_u64().unwrap_or(0),
            "{coll}"
        );
    }
}

#[test]
fn truth_counts_equal_paginated_totals_for_a_window() {
    let sim = Sim::with_token(&["--days", "45", "--page-size", "5"]);
    let w = "start_date=2025-12-20&end_date=2026-01-05";
    let (_, api) = sim.control(
        "GET",
        &format!("/_sim/truth?semantics=api&{w}"),
        &Value::Null,
    );
    let (_, incl) = sim.control("GET", &format!("/_sim/truth?{w}"), &Value::Null);
    for coll in DATED {
        let docs = sim.get_all(&format!("/v2/usercollection/{coll}?{w}"));
        assert_eq!(
            docs.len() as u64,
            api[coll]["count"].as_u64().unwrap_or(0),
            "{coll}"
        );
        let inclusive = incl[coll]["count"].as_u64().unwrap_or(0);
        if ["daily_stress", "daily_resilience", "sleep_time"].contains(coll) {
            assert_eq!(inclusive, 17, "{coll}: one per day, both ends inclusive");
        }
    }
}

#[test]
fn single_documents_and_errors() {
    let sim = Sim::with_token(&["--days", "10"]);
    let docs = sim.get_all("/v2/usercollection/sleep");
    let id = docs[0]["id"].as_str().unwrap_or_default();
    let (status, doc) = sim.get(&format!("/v2/usercollection/sleep/{id}"));
    assert_eq!((status, &doc), (200, &docs[0]));
    let (status, body) = sim.get("/v2/usercollection/daily_sleep/does-not-exist");
    assert_eq!(
        (status, body),
        (404, json!({ "detail": "Document not found." }))
    );
    assert_eq!(sim.get("/v2/usercollection/heartrate/x").0, 404);
    assert_eq!(sim.get("/v2/usercollection/nope").0, 404);
    let (status, pi) = sim.get("/v2/usercollection/personal_info");
    assert_eq!(status, 200);
    assert!(pi["id"].is_string() && pi.get("data").is_none());
}

#[test]
fn bearer_token_is_required() {
    let sim = Sim::with_token(&["--days", "5"]);
    let (status, body) = sim.get_with("/v2/usercollection/daily_sleep", None);
    assert_eq!(status, 401);
    assert!(body["detail"].is_string());
    assert_eq!(
        sim.get_with("/v2/usercollection/daily_sleep", Some("wrong"))
            .0,
        401
    );
    assert_eq!(
        sim.get_with("/v2/usercollection/personal_info", Some("wrong"))
            .0,
        401
    );
    assert_eq!(
        sim.get_with("/v2/usercollection/daily_sleep", Some("tok"))
            .0,
        200
    );
    // The sandbox mirror accepts any bearer.
    assert_eq!(
        sim.get_with("/v2/sandbox/usercollection/daily_sleep", Some("anything"))
            .0,
        200
    );
}

#[test]
fn document_shapes_follow_the_spec() {
    let sim = Sim::with_token(&["--days", "20", "--utc-offset", "+01:00"]);
    let act = &sim.get_all("/v2/usercollection/daily_activity")[0];
    assert_eq!(act["met"]["items"].as_array().map(Vec::len), Some(1440));
    assert_eq!(act["class_5_min"].as_str().map(str::len), Some(288));
    assert!(act["timestamp"]
        .as_str()
        .unwrap_or_default()
        .ends_with("T04:00:00.000+01:00"));
    let sleeps = sim.get_all("/v2/usercollection/sleep");
    let long = sleeps
        .iter()
        .find(|s| s["type"] == "long_sleep")
        .cloned()
        .unwrap_or_default();
    assert_eq!(long["heart_rate"]["interval"], json!(300.0));
    assert!(long["bedtime_start"]
        .as_str()
        .unwrap_or_default()
        .ends_with("+01:00"));
    assert!(long["readiness"]["contributors"].is_object());
    let slots = long["sleep_phase_5_min"]
        .as_str()
        .map(str::len)
        .unwrap_or(0) as i64;
    assert_eq!(slots * 300, long["time_in_bed"].as_i64().unwrap_or(0));
    let rest = sim.get_all("/v2/usercollection/rest_mode_period");
    assert!(rest.iter().any(|r| r["end_day"].is_null()));
    let (_, rc) = sim.get("/v2/usercollection/ring_configuration");
    assert!(rc.get("next_token").is_some());
    // `fields` keeps the requested fields plus anchors.
    let (_, proj) = sim.get("/v2/usercollection/daily_readiness?fields=score");
    let keys: HashSet<&str> = proj["data"][0]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, HashSet::from(["id", "score", "timestamp"]));
}

#[test]
fn docs_page_links_a_spec_listing_every_collection() {
    let sim = Sim::start(&[]);
    let (status, html) = common::call_raw(ureq::get(&sim.url("/v2/docs")), None);
    assert_eq!(status, 200);
    assert!(html.contains("spec-url=\"/v2/static/json/openapi-1.37.json\""));
    let (status, spec) = common::call(
        ureq::get(&sim.url("/v2/static/json/openapi-1.37.json")),
        None,
    );
    assert_eq!(status, 200);
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    for coll in DATED.iter().chain(
        [
            "heartrate",
            "ring_battery_level",
            "personal_info",
            "ring_configuration",
        ]
        .iter(),
    ) {
        assert!(
            paths.contains_key(&format!("/v2/usercollection/{coll}")),
            "{coll}"
        );
    }
    assert!(paths.contains_key("/v2/usercollection/vO2_max/{document_id}"));
    assert!(!paths.contains_key("/v2/usercollection/heartrate/{document_id}"));
}

#[test]
fn dump_writes_fixtures_equal_to_the_api() {
    let dir = std::env::temp_dir().join(format!("oura-sim-dump-{}", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_oura-sim"))
        .args([
            "dump",
            "--seed",
            "5",
            "--days",
            "12",
            "--end-date",
            "2026-01-15",
            "--out",
        ])
        .arg(&dir)
        .status()
        .expect("run dump");
    assert!(status.success());
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap_or_default())
            .unwrap_or(Value::Null)
    };
    let sim = Sim::with_token(&["--seed", "5", "--days", "12", "--end-date", "2026-01-15"]);
    for coll in [
        "sleep",
        "daily_readiness",
        "ring_configuration",
        "enhanced_tag",
    ] {
        assert_eq!(
            read(coll)["data"],
            json!(sim.get_all(&format!("/v2/usercollection/{coll}"))),
            "{coll}"
        );
    }
    assert_eq!(
        read("personal_info"),
        sim.get("/v2/usercollection/personal_info").1
    );
    let (_, truth) = sim.control("GET", "/_sim/truth", &Value::Null);
    assert_eq!(
        read("heartrate")["data"].as_array().map(Vec::len) as Option<usize>,
        truth["heartrate"]["count"].as_u64().map(|n| n as usize)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
