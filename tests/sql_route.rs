//! `POST /api/sql` in-process on a database filled from the simulator
//! fixtures: the original's 64 dashboard queries, the error contract, the
//! row cap, caching by generation and the analytics point.

mod support;

use oura_edge::router::{Method, Res};
use oura_edge::services::sql_cache::invalidate;
use oura_edge::services::try_block_on;
use serde_json::{json, Value};
use std::path::Path;
use support::*;

fn filled() -> TestApp {
    TestApp::new().with_fixtures()
}

fn sql(t: &TestApp, body: Value) -> Res {
    t.send(
        req(Method::Post, "/api/sql")
            .with_header("authorization", &bearer(GRAFANA))
            .with_body(body.to_string()),
    )
}

#[test]
fn the_original_dashboard_queries_answer_with_rows() {
    let t = filled();
    let all: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/compat/original-dashboard-queries.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut with_rows = 0;
    for q in all.iter().filter(|q| q["sql"].is_string()) {
        let res = sql(&t, json!({"sql": q["sql"], "params": []}));
        assert_eq!(
            res.status,
            200,
            "{}: {}",
            q["title"],
            String::from_utf8_lossy(&res.body)
        );
        assert_eq!(res.header("x-cache"), Some("MISS"));
        assert_eq!(res.header("cache-control"), Some("private, max-age=300"));
        let body = body_json(&res);
        let n = body["results"].as_array().unwrap().len();
        assert_eq!(res.header("x-row-count"), Some(n.to_string().as_str()));
        if n > 0 {
            with_rows += 1;
        }
    }
    // The fixtures cover 14 days, so nearly every panel has data.
    assert!(
        with_rows >= 55,
        "only {with_rows} of 64 dashboard queries returned rows"
    );
}

#[test]
fn bad_requests_get_the_original_messages() {
    let t = filled();
    let cases = [
        (json!({"sql": "  "}), "SQL query is required"),
        (json!("not an object"), "SQL query is required"),
        (
            json!({"sql": "x".repeat(10_001)}),
            "SQL too large (max 10000 characters)",
        ),
        (
            json!({"sql": "DELETE FROM daily_summaries"}),
            "Only read-only SQL queries are allowed",
        ),
        (
            json!({"sql": "SELECT * FROM oura_oauth_tokens"}),
            "Only read-only SQL queries are allowed",
        ),
        (
            json!({"sql": "SELECT 1", "params": vec![1; 101]}),
            "Too many parameters (max 100)",
        ),
        (
            json!({"sql": "SELECT ?", "params": [{"a": 1}]}),
            "Invalid parameter type at index 0: expected string, number, boolean, or null",
        ),
    ];
    for (body, message) in cases {
        let res = sql(&t, body.clone());
        assert_eq!(res.status, 400, "{body}");
        assert_eq!(body_json(&res)["error"], message, "{body}");
    }
    let unions = (0..6)
        .map(|i| format!("SELECT {i}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let res = sql(&t, json!({"sql": unions}));
    assert_eq!(res.status, 400);
    assert!(body_json(&res)["hint"]
        .as_str()
        .unwrap()
        .contains("Maximum 5 UNION ALL terms"));
}

#[test]
fn the_row_cap_applies() {
    let mut t = filled();
    t.set_var("MAX_QUERY_ROWS", "10");
    let res = sql(&t, json!({"sql": "SELECT * FROM heart_rate_samples"}));
    assert_eq!(res.status, 400);
    assert_eq!(body_json(&res)["error"], "Query returned too many rows");
    let ok = sql(
        &t,
        json!({"sql": "SELECT * FROM heart_rate_samples LIMIT ?", "params": [5]}),
    );
    assert_eq!(ok.status, 200);
    assert_eq!(body_json(&ok)["results"].as_array().unwrap().len(), 5);
}

#[test]
fn execution_errors_do_not_leak_database_text() {
    let t = filled();
    let res = sql(
        &t,
        json!({"sql": "SELECT no_such_column FROM daily_summaries"}),
    );
    assert_eq!(res.status, 500);
    assert_eq!(
        body_json(&res),
        json!({"error": "Query execution failed", "hint": "Please check your SQL syntax and try again."})
    );
}

#[test]
fn costly_results_are_cached_from_their_second_sighting_until_the_next_write() {
    let t = filled();
    let costly = json!({"sql": "SELECT SUM(bpm) AS n FROM (SELECT bpm FROM heart_rate_samples UNION ALL SELECT bpm FROM heart_rate_samples)"});
    let first = sql(&t, costly.clone());
    assert_eq!(first.header("x-cache"), Some("MISS"));
    assert_eq!(
        t.native.kv.ops().writes,
        0,
        "a query seen once may never repeat"
    );
    let second = sql(&t, costly.clone());
    assert_eq!(second.header("x-cache"), Some("MISS"));
    assert_eq!(t.native.kv.ops().writes, 1, "stored on its second sighting");
    let third = sql(&t, costly.clone());
    assert_eq!(third.header("x-cache"), Some("HIT"));
    assert_eq!(third.body, first.body);
    try_block_on(invalidate(t.native.platform.kv.as_ref()))
        .unwrap()
        .unwrap();
    assert_eq!(
        sql(&t, costly.clone()).header("x-cache"),
        Some("MISS"),
        "a write orphans the entry"
    );
    assert_eq!(
        sql(&t, costly).header("x-cache"),
        Some("HIT"),
        "and it is stored again at once"
    );
    // Cheap results cost no KV write, repeated or not.
    let writes = t.native.kv.ops().writes;
    for _ in 0..3 {
        sql(
            &t,
            json!({"sql": "SELECT day FROM daily_summaries LIMIT 1"}),
        );
    }
    assert_eq!(t.native.kv.ops().writes, writes);
}

#[test]
fn moving_time_ranges_cost_no_kv_operations() {
    // A dashboard refreshing `now-90d`..`now`: each refresh's SQL holds a new
    // instant, so no result can be reused; costly ones must not be stored.
    let t = filled();
    let before = t.native.kv.ops();
    for minute in 0..20 {
        let to = format!("2026-01-16T12:{minute:02}:00.000Z");
        let body = json!({"sql": format!(
            "SELECT COUNT(*) AS n, '{to}' AS until FROM \
             (SELECT bpm FROM heart_rate_samples UNION ALL SELECT bpm FROM heart_rate_samples)"
        )});
        let res = sql(&t, body);
        assert_eq!(res.status, 200);
        assert!(
            body_json(&res)["meta"]["rows_read"].as_u64().unwrap() >= 5_000,
            "costly"
        );
    }
    let after = t.native.kv.ops();
    assert_eq!((after.reads, after.writes), (before.reads, before.writes));
}

#[test]
fn every_query_reaches_analytics() {
    let t = filled();
    sql(
        &t,
        json!({"sql": "SELECT day FROM daily_summaries WHERE day > '2026-01-01' LIMIT 3"}),
    );
    sql(&t, json!({"sql": "DROP TABLE daily_summaries"}));
    let points: Vec<_> = t
        .native
        .analytics
        .points()
        .into_iter()
        .filter(|p| p.indexes == ["sql_query"])
        .collect();
    assert_eq!(points.len(), 2);
    assert_eq!(
        points[0].blobs[0],
        "SELECT day FROM daily_summaries WHERE day > '?' LIMIT 3"
    );
    assert_eq!(points[0].doubles[1], 3.0);
    assert_eq!(points[1].doubles[3], 1.0, "the refusal is an error point");
}

#[test]
fn only_post_with_a_token() {
    let t = filled();
    assert_eq!(
        t.send(req(Method::Post, "/api/sql").with_body("{}")).status,
        401
    );
    let get = t.send(req(Method::Get, "/api/sql").with_header("authorization", &bearer(GRAFANA)));
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
}

/// Issue #13 over the whole request path: the tokenizer-bypass family never
/// returns the stored OAuth tokens. Each case is refused with 400, except
/// the one whose only trick is a LIMIT past the cap: SQLite reads a plain
/// heart-rate query there, and the row cap answers it.
#[test]
fn the_tokenizer_bypass_family_reads_no_secret() {
    let t = filled();
    t.native
        .db
        .exec_script(
            "INSERT OR REPLACE INTO oura_oauth_tokens (user_id, access_token, refresh_token, expires_at)
             VALUES ('default', 'SECRET-access', 'SECRET-refresh', 0);",
        )
        .unwrap();
    let family: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/sql_guard/tokenizer_bypass.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for case in &family {
        let res = sql(&t, json!({"sql": case["sql"], "params": []}));
        let text = String::from_utf8_lossy(&res.body);
        assert!(!text.contains("SECRET"), "{}: {text}", case["name"]);
        if case["name"] == "hidden LIMIT" {
            assert_eq!(res.status, 200, "{text}");
            continue;
        }
        assert_eq!(res.status, 400, "{}: {text}", case["name"]);
        assert!(body_json(&res)["error"].is_string(), "{}", case["name"]);
    }
}
