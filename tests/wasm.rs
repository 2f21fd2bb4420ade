//! The logic that must behave the same in wasm32 as on the host, run under
//! Node by wasm-bindgen-test-runner (`make test` runs it): token checks,
//! JWT encoding, time formatting, request parsing, error rendering, the SQL
//! guard.
#![cfg(target_arch = "wasm32")]

use oura_edge::middleware::resolve_role;
use oura_edge::router::{percent_decode, ApiError, Method, Req, Role};
use oura_edge::services::access_jwt::pkcs1_sha256_encoding;
use oura_edge::services::config::Config;
use oura_edge::services::tokens::{ip_hash, token_key};
use wasm_bindgen_test::wasm_bindgen_test;

fn config() -> Config {
    Config::from_lookup(|n| match n {
        "GRAFANA_SECRET" => Some("g".into()),
        "ADMIN_SECRET" => Some("a".into()),
        _ => None,
    })
}

#[wasm_bindgen_test]
fn roles_resolve_as_on_the_host() {
    let c = config();
    assert_eq!(resolve_role(Some("Bearer a"), &c), Some(Role::Admin));
    assert_eq!(resolve_role(Some("Bearer g"), &c), Some(Role::Grafana));
    assert_eq!(resolve_role(Some("Bearer x"), &c), None);
}

#[wasm_bindgen_test]
fn hashes_match_known_values() {
    // SHA-256("1.2.3.4") starts with 6694f83c9f47.
    assert_eq!(ip_hash("1.2.3.4"), "h:6694f83c9f47");
    // SHA-256("") = e3b0c442…; a header without a token keys on the empty string.
    assert_eq!(token_key(Some("Bearer ")), "e3b0c442");
}

#[wasm_bindgen_test]
fn pkcs1_encoding_has_the_rfc_shape() {
    let em = pkcs1_sha256_encoding(b"abc", 256);
    assert_eq!(em.len(), 256);
    assert_eq!(&em[..2], &[0x00, 0x01]);
    assert_eq!(em[256 - 52], 0x00);
    // SHA-256("abc") = ba7816bf…
    assert_eq!(&em[256 - 32..256 - 28], &[0xba, 0x78, 0x16, 0xbf]);
}

#[wasm_bindgen_test]
fn requests_parse_the_same() {
    let r = Req::new(Method::parse("get"), "/api/x?start=2026-01-01&q=a%2Bb");
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.query_param("start").as_deref(), Some("2026-01-01"));
    assert_eq!(r.query_param("q").as_deref(), Some("a+b"));
    assert_eq!(percent_decode("%E2%9C%93"), "✓");
}

#[wasm_bindgen_test]
fn errors_render_the_same() {
    let res = ApiError::internal("secret").into_res();
    assert_eq!(res.body, br#"{"error":"Internal Server Error"}"#.to_vec());
}

#[wasm_bindgen_test]
fn timestamps_format_in_utc() {
    assert_eq!(
        oura_edge::services::time::iso_timestamp(1_768_478_400_000.0),
        "2026-01-15T12:00:00.000Z"
    );
}

/// The SQL guard decides the same in wasm32: the tokenizer-bypass family is
/// refused (issue #13), a bounded dashboard-style join and recursion pass.
#[wasm_bindgen_test]
fn sql_guard_decides_as_on_the_host() {
    use oura_edge::services::sql_guard::{guard, GuardConfig};
    let cfg = GuardConfig::for_schema(100);
    let family: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("fixtures/sql_guard/tokenizer_bypass.json"))
            .unwrap_or_default();
    assert!(family.len() >= 16);
    for case in &family {
        let sql = case["sql"].as_str().unwrap_or_default();
        match guard(sql, &[], &cfg) {
            // Read as SQLite reads it: a heart-rate query, capped.
            Ok(g) if case["name"] == "hidden LIMIT" => {
                assert!(g.sql.starts_with("SELECT * FROM ("), "{}", g.sql);
                assert!(g.sql.ends_with(") LIMIT 101"), "{}", g.sql);
            }
            outcome => assert!(outcome.is_err(), "{sql}"),
        }
    }
    for sql in [
        "SELECT ds.day, se.id FROM daily_summaries ds JOIN sleep_episodes se ON se.day = ds.day",
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 50) SELECT n FROM c",
        "SELECT 'é' AS e, :n AS p, 0x10 AS h FROM daily_summaries",
    ] {
        assert!(guard(sql, &[], &cfg).is_ok(), "{sql}");
    }
}

/// D1 results are read with one `JSON.stringify` and one parse: rows, the
/// meta's counts (missing ones as 0), and integers past 2^53 as the floats
/// a JS number holds.
#[wasm_bindgen_test]
fn d1_results_read_rows_meta_and_large_integers() {
    use oura_edge::services::platform::worker::results_from_json;
    let results = results_from_json(
        r#"[{"success":true,"results":[{"id":9007199254740993,"name":"a","n":null}],
             "meta":{"rows_read":3,"rows_written":2,"changes":1,"last_row_id":7,"size_after":4096,"duration":0.1}},
            {"success":true,"results":[]},
            {"success":true,"meta":{"rows_written":5}}]"#,
    )
    .expect("JSON");
    assert_eq!(results.len(), 3);
    let first = &results[0];
    assert_eq!(first.rows.len(), 1);
    assert_eq!(first.rows[0]["name"], "a");
    assert!(first.rows[0]["n"].is_null());
    assert!(first.rows[0]["id"].is_f64(), "{:?}", first.rows[0]["id"]);
    assert_eq!(
        (
            first.meta.rows_read,
            first.meta.rows_written,
            first.meta.changes
        ),
        (3, 2, 1)
    );
    assert_eq!(
        (first.meta.last_row_id, first.meta.size_after),
        (Some(7), Some(4096))
    );
    assert!(results[1].rows.is_empty());
    assert_eq!(results[1].meta.rows_read, 0);
    assert_eq!(results[2].meta.rows_written, 5);
    assert!(results_from_json("not json").is_err());
}

/// The start event's rehearsal finishes in one poll in wasm too (there it
/// also reads a D1 result): otherwise startup would compile less than the
/// first backfill step needs, and say so only in a log line.
#[wasm_bindgen_test]
fn the_startup_rehearsal_goes_all_the_way_through() {
    assert!(oura_edge::services::warm_up::at_startup());
    let out = oura_edge::services::warm_up::rehearse_backfill_step().expect("finished");
    assert_eq!(out["finished"], true, "{out}");
    assert_eq!(out["result"]["requests"], 1, "{out}");
    let pending = oura_edge::services::warm_up::rehearse_cron_link().expect("continued");
    assert!(!pending.is_empty());
}
