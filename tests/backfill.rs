//! `/backfill` and `/backfill/status` in-process, and the workflow's step
//! logic on native parts with in-memory steps.

mod support;

use oura_edge::router::{Method, Req};
use oura_edge::services::backfill::{self, load_progress, MemSteps, Params};
use oura_edge::services::config::Config;
use oura_edge::services::oura::{tokens, TokenSet, COLLECTIONS_KV_KEY};
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::platform::{Kv, Statement};
use oura_edge::services::sql_cache;
use oura_edge::services::try_block_on;
use oura_edge::services::usage;
use serde_json::{json, Value};
use std::future::Future;
use std::path::Path;
use support::{bearer, body_json, req, TestApp, ADMIN, GRAFANA, NOW_MS};

const API: &str = "https://api.test";

fn run<F: Future>(f: F) -> F::Output {
    try_block_on(f).expect("native futures complete")
}

fn call(app: &TestApp, path: &str, ip: &str) -> oura_edge::router::Res {
    app.send(
        Req::new(Method::Post, path)
            .with_header("authorization", &bearer(ADMIN))
            .with_header("cf-connecting-ip", ip),
    )
}

#[test]
fn invalid_parameters_are_400_with_a_clear_message() {
    let app = TestApp::new();
    for (i, (query, needle)) in [
        ("days=0", "days must be from 1 to 3650"),
        ("days=3651", "days must be from 1 to 3650"),
        ("days=abc", "days must be a whole number"),
        ("days=1.5", "days must be a whole number"),
        ("days=-3", "days must be a whole number"),
        (
            "days=10&offset_days=-1",
            "offset_days must be a whole number",
        ),
        ("days=10&offsetDays=x", "offsetDays must be a whole number"),
        ("days=3000&offset_days=700", "Backfill window out of range"),
        (
            "days=10&resources=daily_sleep,nope",
            "Unknown collection 'nope'",
        ),
    ]
    .iter()
    .enumerate()
    {
        // Each from its own address: the route allows one request a minute.
        let res = call(
            &app,
            &format!("/backfill?{query}"),
            &format!("203.0.113.{i}"),
        );
        assert_eq!(res.status, 400, "{query}");
        let msg = body_json(&res)["error"].as_str().unwrap().to_string();
        assert!(msg.contains(needle), "{query}: {msg}");
    }
    assert!(app.native.workflows.created().is_empty());
}

#[test]
fn backfill_is_admin_only() {
    let app = TestApp::new();
    let res = app
        .send(req(Method::Post, "/backfill?days=5").with_header("authorization", &bearer(GRAFANA)));
    assert_eq!(res.status, 403);
    assert!(app.native.workflows.created().is_empty());
}

#[test]
fn starts_a_workflow_with_fixed_dates_and_reuses_an_active_one() {
    let app = TestApp::new();
    let res = call(
        &app,
        "/backfill?days=90&offset_days=1&resources=vO2_max,daily_sleep,daily_sleep",
        "198.51.100.1",
    );
    assert_eq!(res.status, 202);
    let body = body_json(&res);
    let id = body["instanceId"].as_str().unwrap().to_string();
    assert_eq!(body["reused"], false);
    assert_eq!(
        body["statusUrl"],
        format!("/backfill/status?id={id}").as_str()
    );
    let created = app.native.workflows.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].0, id);
    let params: Params = serde_json::from_value(created[0].1.clone()).unwrap();
    assert_eq!(params.instance_id, id);
    assert_eq!((params.total_days, params.offset_days), (90, 1));
    // Today is 2026-01-15; ends a day ago, 90 days inclusive.
    assert_eq!(
        (params.start.as_str(), params.end.as_str()),
        ("2025-10-17", "2026-01-14")
    );
    assert_eq!(params.resources, vec!["daily_sleep", "vo2_max"]);

    // The strict tier: the same caller again within the minute.
    let limited = call(&app, "/backfill?days=90", "198.51.100.1");
    assert_eq!(limited.status, 429);
    assert_eq!(
        body_json(&limited)["error"],
        "Rate limit exceeded. Please wait 60 seconds between backfill requests."
    );

    // Same parameters (any spelling) while active → the same instance.
    let again = call(
        &app,
        "/backfill?days=90&offsetDays=1&resources=daily_sleep,vo2_max",
        "198.51.100.2",
    );
    assert_eq!(again.status, 202);
    assert_eq!(body_json(&again)["instanceId"], id.as_str());
    assert_eq!(body_json(&again)["reused"], true);
    assert_eq!(app.native.workflows.created().len(), 1);

    // Other parameters → a new instance.
    let other = call(&app, "/backfill?days=30", "198.51.100.3");
    assert_eq!(body_json(&other)["reused"], false);
    assert_eq!(app.native.workflows.created().len(), 2);

    // Once the first is complete, the same parameters start a new one.
    app.native
        .workflows
        .set_status(&id, json!({"status": "complete", "output": {}}));
    let after = call(
        &app,
        "/backfill?days=90&offset_days=1&resources=daily_sleep,vO2_max",
        "198.51.100.4",
    );
    assert_eq!(body_json(&after)["reused"], false);
    assert_ne!(body_json(&after)["instanceId"], id.as_str());
    assert_eq!(app.native.workflows.created().len(), 3);
}

fn status(app: &TestApp, query: &str) -> oura_edge::router::Res {
    app.send(
        req(Method::Get, &format!("/backfill/status{query}"))
            .with_header("authorization", &bearer(ADMIN)),
    )
}

#[test]
fn status_reports_unknown_ids_progress_and_output() {
    let app = TestApp::new();
    assert_eq!(status(&app, "").status, 400);
    let missing = status(&app, "?id=nope");
    assert_eq!(missing.status, 404);
    assert_eq!(body_json(&missing)["error"], "Workflow instance not found");

    let id = body_json(&call(&app, "/backfill?days=5", "198.51.100.9"))["instanceId"]
        .as_str()
        .unwrap()
        .to_string();
    let queued = body_json(&status(&app, &format!("?id={id}")));
    assert_eq!(queued["instanceId"], id.as_str());
    assert_eq!(queued["status"], "queued");
    assert!(queued.get("output").is_none());

    let progress = json!({"start": "2026-01-11", "end": "2026-01-15", "updated_at": "x",
        "collections": {"heartrate": {"state": "running", "windows_done": 1, "windows_total": 2,
        "documents": 10, "rows_written": 10, "requests": 1, "attempts": 1}}});
    run(app.native.kv.put(
        &format!("backfill:progress:{id}"),
        &progress.to_string(),
        None,
    ))
    .unwrap();
    app.native.workflows.set_status(
        &id,
        json!({"status": "complete", "output": {"successful": 1, "failed": 0}, "error": null}),
    );
    let done = body_json(&status(&app, &format!("?id={id}")));
    assert_eq!(done["status"], "complete");
    assert_eq!(done["output"]["successful"], 1);
    assert_eq!(
        done["progress"]["collections"]["heartrate"]["windows_done"],
        1
    );
    assert!(done.get("error").is_none());
}

// ---- the workflow's steps ----

fn fixture_page(name: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/oura/{name}.json"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json!({"data": v["data"], "next_token": null}).to_string()
}

fn config() -> Config {
    Config::from_lookup(|n| match n {
        "OURA_API_BASE_URL" => Some(API.to_string()),
        "OURA_TOKEN_URL" => Some("https://auth.test/oauth/token".to_string()),
        "OURA_DOCS_URL" => Some("https://docs.test/v2/docs".to_string()),
        _ => None,
    })
}

fn ready(collections: &[&str]) -> NativePlatform {
    let n = NativePlatform::new(support::migrations_dir(), NOW_MS).unwrap();
    let t = TokenSet {
        access_token: "A".into(),
        refresh_token: "R".into(),
        expires_at_ms: NOW_MS + 30.0 * 86_400_000.0,
        issued_at_ms: Some(NOW_MS),
        scope: None,
        token_type: Some("bearer".into()),
    };
    run(tokens::save(n.db.as_ref(), &t, NOW_MS)).unwrap();
    let cached = json!({"collections": collections, "unknown": []}).to_string();
    run(n.kv.put(COLLECTIONS_KV_KEY, &cached, None)).unwrap();
    for c in collections {
        n.http.on(
            &format!("{API}/v2/usercollection/{c}"),
            200,
            &fixture_page(c),
        );
    }
    n
}

fn params(id: &str, days: u32) -> Params {
    let end = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    Params {
        instance_id: id.to_string(),
        total_days: days,
        offset_days: 0,
        start: (end - chrono::Days::new(u64::from(days - 1))).to_string(),
        end: end.to_string(),
        resources: Vec::new(),
    }
}

fn backfill_run(n: &NativePlatform, steps: &MemSteps, p: &Params) -> Value {
    run(backfill::run(steps, &n.platform, &config(), p))
}

fn count(n: &NativePlatform, sql: &str) -> i64 {
    run(n.platform.db.query(&Statement::new(sql, vec![])))
        .unwrap()
        .rows[0]["n"]
        .as_i64()
        .unwrap()
}

fn requests_to(n: &NativePlatform, prefix: &str) -> usize {
    n.http
        .requests()
        .iter()
        .filter(|r| r.url.starts_with(prefix))
        .count()
}

#[test]
fn a_failing_collection_is_reported_and_the_others_complete() {
    let n = ready(&["daily_readiness", "daily_sleep", "heartrate"]);
    n.http
        .on(&format!("{API}/v2/usercollection/daily_sleep"), 503, "{}");
    let steps = MemSteps::default();
    let out = backfill_run(&n, &steps, &params("bf-1", 60));
    assert_eq!(out["successful"], 2, "{out}");
    assert_eq!(out["failed"], 1);
    assert_eq!(out["failedCollections"], json!(["daily_sleep"]));
    let results = out["results"].as_array().unwrap();
    let sleep = results
        .iter()
        .find(|r| r["collection"] == "daily_sleep")
        .unwrap();
    assert_eq!(sleep["success"], false);
    assert!(sleep["error"].as_str().unwrap().contains("503"), "{sleep}");
    // Three attempts (two retries), four requests each.
    let attempts = steps.attempts();
    assert_eq!(
        attempts.iter().filter(|a| *a == "sync:daily_sleep").count(),
        3
    );
    assert_eq!(
        requests_to(&n, &format!("{API}/v2/usercollection/daily_sleep")),
        12
    );
    assert_eq!(sleep["requests"], 12);
    let hr = results
        .iter()
        .find(|r| r["collection"] == "heartrate")
        .unwrap();
    assert_eq!(hr["success"], true);
    assert_eq!(hr["windows"], heart_rate_windows(60).len());
    assert!(hr["rows_written"].as_u64().unwrap() > 0);
    assert_eq!(
        out["rowsWritten"].as_u64().unwrap(),
        results
            .iter()
            .map(|r| r["rows_written"].as_u64().unwrap())
            .sum::<u64>()
    );
    assert_eq!(
        count(&n, "SELECT COUNT(*) AS n FROM heart_rate_samples"),
        3810
    );
    assert!(attempts.contains(&"invalidate-cache".to_string()));
    assert_eq!(run(sql_cache::generation(n.kv.as_ref())), 1);

    // Progress names the failure and shows the rest complete.
    let p = run(load_progress(&n.platform, "bf-1")).unwrap();
    assert_eq!(p.collections["daily_sleep"].state, "failed");
    assert!(p.collections["daily_sleep"].error.is_some());
    for c in ["daily_readiness", "heartrate"] {
        let e = &p.collections[c];
        assert_eq!(e.state, "done", "{c}");
        assert_eq!(e.windows_done, e.windows_total, "{c}");
    }
}

#[test]
fn a_retried_step_resumes_at_the_window_that_failed() {
    let n = ready(&["heartrate"]);
    // The second window fails all four requests of the first attempt.
    let windows = heart_rate_windows(60);
    let window_url = |i: usize| {
        format!(
            "{API}/v2/usercollection/heartrate?start_datetime={}",
            windows[i].0
        )
    };
    for _ in 0..4 {
        n.http.queue(&window_url(1), 500, "{}");
    }
    let steps = MemSteps::default();
    let out = backfill_run(&n, &steps, &params("bf-2", 60));
    assert_eq!(out["successful"], 1, "{out}");
    let attempts = steps.attempts();
    let retried = attempts.windows(2).filter(|w| w[0] == w[1]).count();
    assert_eq!(retried, 1, "one step retried: {attempts:?}");
    assert_eq!(attempts[0], "discover");
    assert_eq!(
        attempts.last().map(String::as_str),
        Some("invalidate-cache")
    );
    assert_eq!(
        requests_to(&n, &window_url(0)),
        1,
        "the first window is not fetched again"
    );
    assert_eq!(requests_to(&n, &window_url(1)), 5);
    let p = run(load_progress(&n.platform, "bf-2")).unwrap();
    let hr = &p.collections["heartrate"];
    assert_eq!(
        (hr.windows_done, hr.windows_total),
        (windows.len() as u32, windows.len() as u32)
    );
    assert_eq!(hr.state, "done");
    assert_eq!(out["totalRequests"], windows.len() + 4);
}

/// Heart rate's request windows over the `days` before 2026-01-15.
fn heart_rate_windows(days: u32) -> Vec<(chrono::NaiveDate, chrono::NaiveDate)> {
    let p = params("w", days);
    oura_edge::services::oura::windows(
        oura_edge::services::collections::find("heartrate").unwrap(),
        p.start.parse().unwrap(),
        p.end.parse().unwrap(),
    )
}

#[test]
fn running_the_same_backfill_twice_changes_nothing() {
    let all = [
        "daily_readiness",
        "daily_sleep",
        "sleep",
        "workout",
        "heartrate",
        "tag",
        "personal_info",
    ];
    let n = ready(&all);
    let tables =
        "SELECT (SELECT COUNT(*) FROM daily_summaries) + (SELECT COUNT(*) FROM sleep_episodes) \
        + (SELECT COUNT(*) FROM activity_logs) + (SELECT COUNT(*) FROM heart_rate_samples) \
        + (SELECT COUNT(*) FROM tags) + (SELECT COUNT(*) FROM personal_info) AS n";
    let first = backfill_run(&n, &MemSteps::default(), &params("bf-a", 90));
    assert_eq!(first["failed"], 0, "{first}");
    assert!(first["rowsWritten"].as_u64().unwrap() > 0);
    let rows = count(&n, tables);
    assert!(rows > 3810);
    let second = backfill_run(&n, &MemSteps::default(), &params("bf-b", 90));
    assert_eq!(second["failed"], 0, "{second}");
    assert_eq!(second["rowsWritten"], 0, "{second}");
    assert_eq!(count(&n, tables), rows);
    // Nothing written: the cache stays valid.
    assert_eq!(second["cacheInvalidation"], Value::Null);
    assert_eq!(run(sql_cache::generation(n.kv.as_ref())), 1);
}

#[test]
fn resources_filter_limits_the_run() {
    let n = ready(&["daily_readiness", "heartrate"]);
    let mut p = params("bf-f", 10);
    p.resources = vec!["heartrate".into()];
    let steps = MemSteps::default();
    let out = backfill_run(&n, &steps, &p);
    assert_eq!(out["resources"], 1);
    // 10 days of heart rate: a 5-day window of 1,440 samples fills a step
    // (`DOCUMENTS_PER_STEP`), the rest is the next.
    assert_eq!(
        steps.attempts(),
        vec![
            "discover",
            "sync:heartrate",
            "sync:heartrate:1",
            "invalidate-cache"
        ]
    );
    assert_eq!(
        requests_to(&n, &format!("{API}/v2/usercollection/daily_readiness")),
        0
    );
}

/// A `sync:` step reads the progress record from KV once and saves it once:
/// every KV call costs the step CPU time under the Free plan's 10 ms (issue
/// #16). Here a step of a finished collection.
#[test]
fn a_sync_step_reads_its_progress_once() {
    let n = ready(&["heartrate"]);
    let p = params("bf-kv", 3);
    let out = backfill_run(&n, &MemSteps::default(), &p);
    assert_eq!(out["failed"], 0, "{out}");
    let (reads, writes) = (n.kv.ops().reads, n.kv.ops().writes);
    let step = run(backfill::sync_step(&n.platform, &config(), &p, "heartrate"));
    assert!(step.is_ok(), "{step:?}");
    assert_eq!(n.kv.ops().reads - reads, 1);
    assert_eq!(n.kv.ops().writes - writes, 1);
    let saved = run(load_progress(&n.platform, "bf-kv")).unwrap_or_default();
    assert_eq!(saved.collections["heartrate"].state, "done");
}

/// A `sync:` step takes today's written rows for its budget from the
/// isolate's meter (each write batch's usage upsert returned the stored
/// row) instead of reading `usage_daily` again: a D1 call costs a step CPU
/// time under the Free plan's 10 ms (issue #16).
#[test]
fn a_sync_step_reads_its_budget_from_the_meter() {
    let n = ready(&["heartrate"]);
    let meter = usage::Meter::new();
    let platform = usage::metered(&n.platform, &meter, 60_000.0);
    let p = params("bf-budget", 3);
    let out = run(backfill::run(
        &MemSteps::default(),
        &platform,
        &config(),
        &p,
    ));
    assert_eq!(out["failed"], 0, "{out}");
    let step = usage::step_scope(&platform);
    let done = run(backfill::sync_step(&step, &config(), &p, "heartrate"));
    assert!(done.is_ok(), "{done:?}");
    let used = step.usage.as_ref().expect("metered").used();
    assert_eq!(used.d1_queries, 0, "{used:?}");
}

/// A step saves its progress once, at its end: KV allows 1,000 writes a day
/// on the free tier, and a backfill is hundreds of steps.
#[test]
fn a_sync_step_writes_its_progress_once() {
    let n = ready(&["heartrate"]);
    let meter = usage::Meter::new();
    let platform = usage::metered(&n.platform, &meter, 60_000.0);
    let p = params("bf-one-write", 3);
    let step = usage::step_scope(&platform);
    let done = run(backfill::sync_step(&step, &config(), &p, "heartrate"));
    assert!(done.is_ok(), "{done:?}");
    let used = step.usage.as_ref().expect("metered").used();
    assert_eq!(used.kv_writes, 1, "{used:?}");
    let saved = run(backfill::load_progress(&platform, &p.instance_id)).expect("saved");
    let hr = &saved.collections["heartrate"];
    assert_eq!((hr.attempts, hr.windows_done), (1, 1), "{hr:?}");
}
