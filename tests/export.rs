//! `/api/export`: tables streamed page by page as CSV or NDJSON.

mod support;

use oura_edge::router::{drain, Method, Res};
use oura_edge::services::try_block_on;
use support::*;

fn export(t: &TestApp, query: &str) -> Res {
    t.send(
        req(Method::Get, &format!("/api/export?{query}"))
            .with_header("authorization", &bearer(GRAFANA)),
    )
}

fn body(res: &Res) -> String {
    let stream = res.stream.as_ref().expect("a streamed body");
    String::from_utf8(try_block_on(drain(stream)).unwrap().unwrap()).unwrap()
}

#[test]
fn heart_rate_streams_as_csv_across_pages() {
    let t = TestApp::new().with_fixtures();
    let res = export(&t, "table=heart_rate_samples");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(res
        .header("content-disposition")
        .unwrap()
        .contains("heart_rate_samples.csv"));
    let text = body(&res);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "timestamp,bpm,source");
    assert_eq!(
        lines.len(),
        1 + 3810,
        "every sample once, across three growing pages"
    );
    let mut sorted = lines[1..].to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 3810, "no duplicates at page boundaries");
}

#[test]
fn ndjson_and_date_ranges() {
    let t = TestApp::new().with_fixtures();
    let text = body(&export(
        &t,
        "table=daily_summaries&format=ndjson&start=2026-01-10&end=2026-01-12",
    ));
    let days: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["day"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(days, ["2026-01-10", "2026-01-11", "2026-01-12"]);
}

#[test]
fn csv_quotes_what_needs_quoting() {
    let t = TestApp::new().with_fixtures();
    let text = body(&export(&t, "table=rest_mode_periods"));
    // episodes_json holds commas and quotes: one quoted field.
    assert!(text
        .lines()
        .skip(1)
        .all(|l| !l.contains("\"[") || l.contains("\"\"")));
}

#[test]
fn bad_requests_are_explained() {
    let t = TestApp::new();
    let unknown = export(&t, "table=oura_oauth_tokens");
    assert_eq!(unknown.status, 400);
    assert!(body_json(&unknown)["hint"]
        .as_str()
        .unwrap()
        .contains("heart_rate_samples"));
    assert_eq!(export(&t, "table=daily_summaries&format=xml").status, 400);
    assert_eq!(
        export(&t, "table=daily_summaries&start=yesterday").status,
        400
    );
    assert_eq!(
        t.send(req(Method::Get, "/api/export?table=daily_summaries"))
            .status,
        401
    );
}
