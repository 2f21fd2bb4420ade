//! `/`, `/api/daily_summaries`, `/api/stats`, `/api/db/info`, `/api/admin/db/stats`.

mod support;

use oura_edge::router::{Method, Res};
use serde_json::{json, Value};
use support::*;

fn filled() -> TestApp {
    TestApp::new().with_fixtures()
}

fn get(t: &TestApp, path: &str, token: &str) -> Res {
    t.send(req(Method::Get, path).with_header("authorization", &bearer(token)))
}

#[test]
fn root_returns_recent_days_and_refuses_bad_numbers() {
    let t = filled();
    let all = body_json(&get(&t, "/", GRAFANA));
    assert_eq!(all.as_array().unwrap().len(), 14);
    let week = body_json(&get(&t, "/?days=3", GRAFANA));
    let days: Vec<&str> = week
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["day"].as_str().unwrap())
        .collect();
    assert_eq!(
        days,
        ["2026-01-12", "2026-01-13", "2026-01-14", "2026-01-15"]
    );
    for bad in ["0", "-1", "1.5", "abc", "3651"] {
        let res = get(&t, &format!("/?days={bad}"), GRAFANA);
        assert_eq!(res.status, 400, "days={bad}");
        assert!(body_json(&res)["error"].as_str().unwrap().contains("days"));
    }
}

#[test]
fn daily_summaries_filters_by_dates() {
    let t = filled();
    let res = get(
        &t,
        "/api/daily_summaries?start=2026-01-10&end=2026-01-11",
        GRAFANA,
    );
    assert_eq!(res.status, 200);
    assert_eq!(res.header("cache-control"), Some("private, max-age=300"));
    let rows = body_json(&res);
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert!(rows[0].get("readiness_score").is_some());
    assert_eq!(
        body_json(&get(&t, "/api/daily_summaries?start=2026-1-10", GRAFANA)),
        json!({"error": "Invalid start date format (expected YYYY-MM-DD)"})
    );
    assert_eq!(
        body_json(&get(&t, "/api/daily_summaries?end=tomorrow", GRAFANA)),
        json!({"error": "Invalid end date format (expected YYYY-MM-DD)"})
    );
}

#[test]
fn stats_and_db_info_read_the_exact_counts() {
    let t = filled();
    let stats = body_json(&get(&t, "/api/stats", GRAFANA));
    let hr = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "heart_rate_samples")
        .unwrap()
        .clone();
    assert_eq!(hr["record_count"], json!(3810));
    assert_eq!(hr["max_day"], json!("2026-01-16"));
    let info = body_json(&get(&t, "/api/db/info", GRAFANA));
    assert!(info["file_size_bytes"].as_u64().unwrap() > 0);
    let total: u64 = stats
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record_count"].as_u64().unwrap())
        .sum();
    assert_eq!(info["total_records"], json!(total));
    assert_eq!(info["growth_bytes_per_day"], Value::Null, "no history yet");
    // A day later, growth is measured against yesterday's recorded size.
    t.native.clock.advance(86_400_000.0);
    let later = body_json(&get(&t, "/api/db/info", GRAFANA));
    assert_eq!(later["growth_bytes_per_day"], json!(0.0));
}

#[test]
fn admin_db_stats_needs_admin_and_tolerates_no_analyze() {
    let t = filled();
    assert_eq!(get(&t, "/api/admin/db/stats", GRAFANA).status, 403);
    let res = get(&t, "/api/admin/db/stats", ADMIN);
    assert_eq!(res.status, 200);
    let body = body_json(&res);
    assert!(body["tables"].as_array().unwrap().len() >= 12);
    assert_eq!(body["indexes"], json!([]));
}

#[test]
fn the_status_page_is_styled_by_hash_and_reports_freshness() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let t = filled();
    // A cron run an hour ago: fresh on a two-hourly schedule.
    try_block_on_put(
        &t,
        "sync:last_success",
        r#"{"timestamp":"2026-01-15T11:00:00.000Z","failures":[]}"#,
    );
    for path in ["/status", "/statuspage"] {
        let res = get(&t, path, GRAFANA);
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
        let html = String::from_utf8(res.body.clone()).unwrap();
        let style = html
            .split("<style>")
            .nth(1)
            .unwrap()
            .split("</style>")
            .next()
            .unwrap();
        let hash = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(style.as_bytes()));
        let csp = res.header("content-security-policy").unwrap();
        assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
        assert!(!csp.contains("unsafe-inline") && csp.contains("default-src 'none'"));
        assert!(html.contains("heart_rate_samples") && html.contains("3810"));
        assert!(html.contains("badge fresh"), "sync is fresh");
    }
    // Six hours without a run is stale.
    t.native.clock.advance(6.0 * 3_600_000.0);
    let html = String::from_utf8(get(&t, "/status", GRAFANA).body).unwrap();
    assert!(html.contains("badge stale"));
    assert_eq!(t.send(req(Method::Get, "/status")).status, 401);
}

fn try_block_on_put(t: &TestApp, key: &str, value: &str) {
    oura_edge::services::try_block_on(t.native.platform.kv.put(key, value, None))
        .unwrap()
        .unwrap();
}

#[test]
fn health_shows_more_to_known_callers_and_redacts_secrets() {
    let t = filled();
    try_block_on_put(
        &t,
        "sync:last_success",
        r#"{"timestamp":"2026-01-15T11:00:00.000Z"}"#,
    );
    let call = |ip: &str, token: Option<&str>| {
        let mut r = oura_edge::router::Req::new(Method::Get, "/health")
            .with_header("cf-connecting-ip", ip)
            .with_header("cf-access-client-secret", "shh")
            .with_header("x-custom", "visible");
        if let Some(tok) = token {
            r = r.with_header("authorization", &bearer(tok));
        }
        body_json(&t.send(r))
    };
    let public = call("192.0.2.201", None);
    assert!(public.get("pipeline").is_none() && public.get("request").is_none());
    let grafana = call("192.0.2.202", Some(GRAFANA));
    assert_eq!(grafana["pipeline"]["reconciliationPath"]["status"], "ok");
    assert_eq!(grafana["pipeline"]["sync"]["freshness"]["state"], "fresh");
    assert_eq!(
        grafana["pipeline"]["webhook"]["freshness"]["state"],
        "unknown"
    );
    assert!(grafana.get("request").is_none());
    let admin = call("192.0.2.203", Some(ADMIN));
    let headers = &admin["request"]["headers"];
    assert_eq!(headers["x-custom"], "visible");
    assert!(
        headers.get("authorization").is_none() && headers.get("cf-access-client-secret").is_none()
    );
    let text = admin.to_string();
    assert!(!text.contains(ADMIN) && !text.contains("shh"));

    // A webhook processed an hour ago makes the realtime path fresh; an
    // error after it marks the pipeline degraded.
    oura_edge::services::try_block_on(std::future::ready(t.native.db.exec_script(
        "INSERT INTO webhook_freshness (data_type, last_event_time, last_processed_at, processed, last_error, last_error_at) \
         VALUES ('sleep', '2026-01-15T11:00:00Z', '2026-01-15T11:00:05Z', 1, 'Oura answered 503', '2026-01-15T11:30:00Z')",
    )))
    .unwrap()
    .unwrap();
    let again = call("192.0.2.204", Some(GRAFANA));
    assert_eq!(again["pipeline"]["webhook"]["freshness"]["state"], "fresh");
    assert_eq!(
        again["pipeline"]["queue"]["lastError"]["error"],
        "Oura answered 503"
    );
    assert_eq!(
        again["pipeline"]["status"], "degraded",
        "an error marks the pipeline degraded"
    );

    // An event of that type stored after the error clears it; the type's row
    // keeps it as history.
    oura_edge::services::try_block_on(std::future::ready(t.native.db.exec_script(
        "UPDATE webhook_freshness SET last_processed_at = '2026-01-15T11:45:00Z' WHERE data_type = 'sleep'",
    )))
    .unwrap()
    .unwrap();
    let cleared = call("192.0.2.205", Some(GRAFANA));
    assert!(cleared["pipeline"]["queue"]["lastError"].is_null());
    assert_ne!(cleared["pipeline"]["status"], "degraded");
    assert_eq!(
        cleared["pipeline"]["webhookTypes"][0]["last_error"],
        "Oura answered 503"
    );
}
