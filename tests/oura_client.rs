//! The Oura client against scripted HTTP: paging, windows, retries, tokens
//! (refresh, rotation, races), the circuit breaker and collection discovery.

use chrono::NaiveDate;
use oura_edge::services::collections::{find, Collection, Document, REGISTRY};
use oura_edge::services::config::Config;
use oura_edge::services::documents::write_fetched;
use oura_edge::services::oura::{
    discover, exchange_code, tokens, windows, BreakerState, OuraClient, OuraError, TokenSet,
    BREAKER_COOL_DOWN_MS, BREAKER_KV_KEY, COLLECTIONS_KV_KEY, MAX_PAGES,
};
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::platform::{Db, OutRequest, Statement};
use oura_edge::services::{try_block_on, try_block_on_both};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::future::Future;
use std::path::Path;
use std::rc::Rc;

/// A fetch's documents as trees, to compare and index.
fn as_trees(r: Result<Vec<Document>, OuraError>) -> Result<Vec<Value>, OuraError> {
    r.map(|d| {
        d.iter()
            .map(|d| serde_json::from_str(d.get()).unwrap())
            .collect()
    })
}

/// A fetched document as a tree.
fn as_tree(r: Result<Option<Document>, OuraError>) -> Result<Option<Value>, OuraError> {
    r.map(|d| d.map(|d| serde_json::from_str(d.get()).unwrap()))
}

/// 2026-01-15T12:00:00Z.
const NOW_MS: f64 = 1_768_478_400_000.0;
const API: &str = "https://api.test";
const TOKEN_URL: &str = "https://auth.test/oauth/token";
const DOCS_URL: &str = "https://docs.test/v2/docs";
const DAY_MS: f64 = 86_400_000.0;

fn native() -> NativePlatform {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"));
    NativePlatform::new(dir, NOW_MS).unwrap()
}

fn config() -> Config {
    Config::from_lookup(|n| {
        match n {
            "OURA_API_BASE_URL" => Some(API),
            "OURA_TOKEN_URL" => Some(TOKEN_URL),
            "OURA_DOCS_URL" => Some(DOCS_URL),
            "OURA_CLIENT_ID" => Some("cid"),
            "OURA_CLIENT_SECRET" => Some("csecret"),
            _ => None,
        }
        .map(str::to_string)
    })
}

fn run<F: Future>(f: F) -> F::Output {
    try_block_on(f).expect("native futures complete")
}

fn token_set(access: &str, refresh: &str, expires_at_ms: f64) -> TokenSet {
    TokenSet {
        access_token: access.into(),
        refresh_token: refresh.into(),
        expires_at_ms,
        issued_at_ms: Some(NOW_MS),
        scope: Some("daily heartrate".into()),
        token_type: Some("bearer".into()),
    }
}

fn seed(n: &NativePlatform, access: &str, refresh: &str, expires_at_ms: f64) {
    run(tokens::save(
        n.db.as_ref(),
        &token_set(access, refresh, expires_at_ms),
        NOW_MS,
    ))
    .unwrap();
}

/// A platform with valid tokens (`A` / `RA`, a day left).
fn ready() -> NativePlatform {
    let n = native();
    seed(&n, "A", "RA", NOW_MS + DAY_MS);
    n
}

fn stored(n: &NativePlatform) -> TokenSet {
    run(tokens::load(n.db.as_ref())).unwrap().unwrap()
}

fn coll(name: &str) -> &'static Collection {
    find(name).unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn url_of(name: &str) -> String {
    format!("{API}/v2/usercollection/{name}")
}

fn auth(req: &OutRequest) -> Option<&str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str())
}

fn body(req: &OutRequest) -> String {
    String::from_utf8(req.body.clone().unwrap_or_default()).unwrap()
}

fn page(ids: &[&str], next: Option<&str>) -> String {
    let data: Vec<Value> = ids.iter().map(|id| json!({ "id": id })).collect();
    json!({ "data": data, "next_token": next }).to_string()
}

fn token_response(access: &str, refresh: &str) -> String {
    json!({
        "token_type": "bearer",
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": 86_400,
        "scope": "daily heartrate"
    })
    .to_string()
}

// ---------------------------------------------------------------- paging

/// Documents are kept as Oura sent them, number for number: the raw store
/// gets the same text whether a page or a single fetch brought it (a tree
/// in between wrote `1.50` as `1.5` and `1e-05` as `1e-5`).
#[test]
fn documents_reach_the_raw_store_as_sent() {
    let n = ready();
    let cfg = config();
    let c = coll("daily_activity");
    let text = |id: &str, day: &str| {
        format!(
            r#"{{"id":"{id}","day":"{day}","score":80,"met":{{"interval":60.0,"items":[1.50,0.9,1e-05,2]}}}}"#
        )
    };
    let (a, b) = (text("a", "2026-01-01"), text("b", "2026-01-02"));
    n.http.queue(
        &url_of("daily_activity"),
        200,
        &format!(r#"{{"data":[{a},{b}],"next_token":null}}"#),
    );
    n.http
        .on(&format!("{}/b", url_of("daily_activity")), 200, &b);
    let client = OuraClient::new(&n.platform, &cfg);
    let listed = run(client.fetch_range(c, day("2026-01-01"), day("2026-01-02"))).unwrap();
    let texts: Vec<&str> = listed.iter().map(|d| d.get()).collect();
    assert_eq!(texts, [a.as_str(), b.as_str()]);
    let single = run(client.fetch_document(c, "b")).unwrap().unwrap();
    assert_eq!(single.get(), b);

    run(write_fetched(
        n.db.as_ref(),
        c,
        &listed,
        "2026-01-03T00:00:00.000Z",
    ))
    .unwrap();
    let stored = run(n.db.query(&Statement::new(
        "SELECT json FROM oura_documents WHERE collection = 'daily_activity' ORDER BY id",
        vec![],
    )))
    .unwrap();
    let json: Vec<&str> = stored
        .rows
        .iter()
        .filter_map(|r| r["json"].as_str())
        .collect();
    assert_eq!(json, [a.as_str(), b.as_str()]);
}

#[test]
fn follows_next_token_over_three_pages_keeping_the_range() {
    let n = ready();
    let cfg = config();
    let prefix = url_of("daily_sleep");
    n.http.queue(&prefix, 200, &page(&["a", "b"], Some("t1")));
    n.http.queue(&prefix, 200, &page(&["c"], Some("t/2+")));
    n.http.queue(&prefix, 200, &page(&["d"], None));
    let client = OuraClient::new(&n.platform, &cfg);
    let docs = as_trees(run(client.fetch_range(
        coll("daily_sleep"),
        day("2026-01-01"),
        day("2026-01-10"),
    )))
    .unwrap();
    let ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    let urls: Vec<String> = n.http.requests().into_iter().map(|r| r.url).collect();
    let range = "start_date=2026-01-01&end_date=2026-01-10";
    assert_eq!(
        urls,
        [
            format!("{prefix}?{range}"),
            format!("{prefix}?{range}&next_token=t1"),
            format!("{prefix}?{range}&next_token=t%2F2%2B"),
        ]
    );
    assert!(n
        .http
        .requests()
        .iter()
        .all(|r| auth(r) == Some("Bearer A")));
    assert_eq!(client.request_count(), 3);
}

#[test]
fn a_repeated_next_token_stops_the_loop() {
    let n = ready();
    let cfg = config();
    let prefix = url_of("sleep");
    n.http.queue(&prefix, 200, &page(&["a"], Some("same")));
    n.http.queue(&prefix, 200, &page(&["b"], Some("same")));
    n.http.queue(&prefix, 200, &page(&["never"], None));
    let client = OuraClient::new(&n.platform, &cfg);
    let docs = as_trees(run(client.fetch_range(
        coll("sleep"),
        day("2026-01-01"),
        day("2026-01-02"),
    )))
    .unwrap();
    assert_eq!(docs.len(), 2, "both pages kept, the loop stopped");
    assert_eq!(n.http.requests().len(), 2);
}

#[test]
fn the_page_cap_stops_an_endless_series() {
    let n = ready();
    let cfg = config();
    let prefix = url_of("daily_stress");
    for i in 0..MAX_PAGES + 5 {
        n.http
            .queue(&prefix, 200, &page(&["x"], Some(&format!("t{i}"))));
    }
    let client = OuraClient::new(&n.platform, &cfg);
    let docs = as_trees(run(client.fetch_range(
        coll("daily_stress"),
        day("2026-01-01"),
        day("2026-01-02"),
    )))
    .unwrap();
    assert_eq!(docs.len(), MAX_PAGES as usize);
    assert_eq!(n.http.requests().len(), MAX_PAGES as usize);
}

// ------------------------------------------------------- query parameters

#[test]
fn exclusive_end_dates_get_one_more_day_inclusive_ones_do_not() {
    let n = ready();
    let cfg = config();
    n.http.on(&url_of(""), 200, &page(&[], None));
    let client = OuraClient::new(&n.platform, &cfg);
    let (start, end) = (day("2026-01-10"), day("2026-01-12"));
    as_trees(run(client.fetch_range(coll("daily_activity"), start, end))).unwrap();
    as_trees(run(client.fetch_range(coll("daily_sleep"), start, end))).unwrap();
    let urls: Vec<String> = n.http.requests().into_iter().map(|r| r.url).collect();
    assert_eq!(
        urls,
        [
            format!(
                "{API}/v2/usercollection/daily_activity?start_date=2026-01-10&end_date=2026-01-13"
            ),
            format!(
                "{API}/v2/usercollection/daily_sleep?start_date=2026-01-10&end_date=2026-01-12"
            ),
        ]
    );
}

#[test]
fn datetime_collections_send_encoded_midnights_through_the_next_day() {
    let n = ready();
    let cfg = config();
    n.http.on(&url_of("heartrate"), 200, &page(&[], None));
    let client = OuraClient::new(&n.platform, &cfg);
    as_trees(run(client.fetch_range(
        coll("heartrate"),
        day("2026-01-01"),
        day("2026-01-29"),
    )))
    .unwrap();
    assert_eq!(
        n.http.requests()[0].url,
        format!(
            "{API}/v2/usercollection/heartrate?start_datetime=2026-01-01T00%3A00%3A00Z\
             &end_datetime=2026-01-30T00%3A00%3A00Z"
        )
    );
}

#[test]
fn token_only_and_single_collections_ignore_dates() {
    let n = ready();
    let cfg = config();
    n.http
        .on(&url_of("ring_configuration"), 200, &page(&["r1"], None));
    n.http.on(
        &url_of("personal_info"),
        200,
        r#"{"id":"u1","age":40,"email":"x@example.com"}"#,
    );
    let client = OuraClient::new(&n.platform, &cfg);
    let (s, e) = (day("2026-01-01"), day("2026-01-02"));
    let rings = as_trees(run(client.fetch_range(coll("ring_configuration"), s, e))).unwrap();
    let info = as_trees(run(client.fetch_range(coll("personal_info"), s, e))).unwrap();
    assert_eq!(rings, vec![json!({"id": "r1"})]);
    assert_eq!(info.len(), 1);
    assert_eq!(info[0]["id"], "u1");
    let urls: Vec<String> = n.http.requests().into_iter().map(|r| r.url).collect();
    assert_eq!(
        urls,
        [url_of("ring_configuration"), url_of("personal_info")]
    );
}

#[test]
fn windows_fit_each_query_mode() {
    let spans = |c: &str, s: &str, e: &str| -> Vec<(String, String)> {
        windows(coll(c), day(s), day(e))
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    // 60 days of ring battery (DateTimes, `window_days` 20): 20 + 20 + 20.
    assert_eq!(
        spans("ring_battery_level", "2026-01-01", "2026-03-01"),
        [
            pair("2026-01-01", "2026-01-20"),
            pair("2026-01-21", "2026-02-09"),
            pair("2026-02-10", "2026-03-01"),
        ]
    );
    // Heart rate asks for fewer (`window_days`): 12 days are 5 + 5 + 2.
    assert_eq!(
        spans("heartrate", "2026-01-01", "2026-01-12"),
        [
            pair("2026-01-01", "2026-01-05"),
            pair("2026-01-06", "2026-01-10"),
            pair("2026-01-11", "2026-01-12"),
        ]
    );
    // 200 days of a daily collection: 90 + 90 + 20.
    let w = windows(coll("daily_sleep"), day("2025-01-01"), day("2025-07-19"));
    let lengths: Vec<i64> = w.iter().map(|(a, b)| (*b - *a).num_days() + 1).collect();
    assert_eq!(lengths, [90, 90, 20]);
    assert_eq!(w[0].0, day("2025-01-01"));
    assert_eq!(w[2].1, day("2025-07-19"));
    assert!(w.windows(2).all(|p| p[1].0 == p[0].1.succ_opt().unwrap()));
    // Every window a DateTimes collection gets is within Oura's 30 days.
    let hr = windows(
        coll("ring_battery_level"),
        day("2024-01-01"),
        day("2025-12-31"),
    );
    assert!(hr.iter().all(|(a, b)| (*b - *a).num_days() < 30));
    assert_eq!(
        spans("ring_configuration", "2020-01-01", "2026-01-01"),
        [pair("2020-01-01", "2026-01-01")]
    );
    assert_eq!(
        spans("personal_info", "2026-01-01", "2026-01-01"),
        [pair("2026-01-01", "2026-01-01")]
    );
    assert_eq!(spans("daily_sleep", "2026-01-02", "2026-01-01"), []);
    assert_eq!(
        spans("daily_sleep", "2026-01-02", "2026-01-02"),
        [pair("2026-01-02", "2026-01-02")]
    );
}

// ----------------------------------------------------------------- retries

#[test]
fn a_429_is_retried_after_retry_after_seconds() {
    let n = ready();
    let cfg = config();
    let prefix = url_of("daily_sleep");
    n.http.queue_with_headers(
        &prefix,
        429,
        &[("Retry-After", "7")],
        r#"{"detail":"slow"}"#,
    );
    n.http.queue(&prefix, 200, &page(&["a"], None));
    let client = OuraClient::new(&n.platform, &cfg);
    let docs = as_trees(run(client.fetch_range(
        coll("daily_sleep"),
        day("2026-01-01"),
        day("2026-01-02"),
    )))
    .unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(client.request_count(), 2);
    let waited = run(async { n.platform.clock.now_ms() }) - NOW_MS;
    assert!(waited >= 7_000.0, "waited {waited} ms");
}

#[test]
fn retry_after_is_capped_at_a_minute() {
    let n = ready();
    let cfg = config();
    let prefix = url_of("daily_sleep");
    n.http
        .queue_with_headers(&prefix, 429, &[("retry-after", "3600")], "{}");
    n.http.queue(&prefix, 200, &page(&[], None));
    let client = OuraClient::new(&n.platform, &cfg);
    as_trees(run(client.fetch_range(
        coll("daily_sleep"),
        day("2026-01-01"),
        day("2026-01-02"),
    )))
    .unwrap();
    assert_eq!(n.platform.clock.now_ms() - NOW_MS, 60_000.0);
}

#[test]
fn server_errors_are_retried_three_times_then_transient() {
    let n = ready();
    let cfg = config();
    n.http
        .on(&url_of("daily_sleep"), 503, r#"{"detail":"down"}"#);
    let client = OuraClient::new(&n.platform, &cfg);
    let err = as_trees(run(client.fetch_range(
        coll("daily_sleep"),
        day("2026-01-01"),
        day("2026-01-02"),
    )))
    .unwrap_err();
    assert!(matches!(err, OuraError::Transient(_)), "{err:?}");
    assert_eq!(n.http.requests().len(), 4, "one try and three retries");
    assert_eq!(client.request_count(), 4);
    // Exponential backoff: 500 + 1000 + 2000 ms.
    assert_eq!(n.platform.clock.now_ms() - NOW_MS, 3_500.0);
    assert!(!err.to_string().contains("Bearer"));
}

#[test]
fn a_network_error_is_retried() {
    let n = ready();
    let cfg = config();
    let prefix = url_of("daily_sleep");
    n.http.queue_network_error(&prefix, "connection reset");
    n.http.queue(&prefix, 200, &page(&["a"], None));
    let client = OuraClient::new(&n.platform, &cfg);
    let docs = as_trees(run(client.fetch_range(
        coll("daily_sleep"),
        day("2026-01-01"),
        day("2026-01-02"),
    )))
    .unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(n.http.requests().len(), 2);
}

#[test]
fn other_client_errors_are_not_retried_and_bad_json_is_invalid() {
    let n = ready();
    let cfg = config();
    n.http.on(
        &url_of("daily_spo2"),
        403,
        r#"{"detail":"membership lapsed"}"#,
    );
    n.http.on(&url_of("daily_stress"), 200, "<html>oops</html>");
    n.http.on(&url_of("tag"), 200, r#"{"items":[]}"#);
    let client = OuraClient::new(&n.platform, &cfg);
    let (s, e) = (day("2026-01-01"), day("2026-01-02"));
    match as_trees(run(client.fetch_range(coll("daily_spo2"), s, e))) {
        Err(OuraError::Http { status, body }) => {
            assert_eq!(status, 403);
            assert!(body.contains("membership"));
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert_eq!(n.http.requests().len(), 1);
    assert!(matches!(
        as_trees(run(client.fetch_range(coll("daily_stress"), s, e))),
        Err(OuraError::Invalid(_))
    ));
    assert!(matches!(
        as_trees(run(client.fetch_range(coll("tag"), s, e))),
        Err(OuraError::Invalid(_))
    ));
}

// --------------------------------------------------------------- documents

#[test]
fn fetch_document_returns_none_on_404() {
    let n = ready();
    let cfg = config();
    n.http.on(
        &url_of("sleep/missing"),
        404,
        r#"{"detail":"Document not found."}"#,
    );
    n.http.on(
        &url_of("vO2_max/v%201"),
        200,
        r#"{"id":"v 1","vo2_max":40}"#,
    );
    let client = OuraClient::new(&n.platform, &cfg);
    assert_eq!(
        as_tree(run(client.fetch_document(coll("sleep"), "missing"))).unwrap(),
        None
    );
    let doc = as_tree(run(client.fetch_document(coll("vo2_max"), "v 1"))).unwrap();
    assert_eq!(doc.unwrap()["vo2_max"], 40);
    // No single-document route: refused without a request.
    assert!(matches!(
        as_tree(run(client.fetch_document(coll("heartrate"), "x"))),
        Err(OuraError::Invalid(_))
    ));
    assert_eq!(n.http.requests().len(), 2);
}

// ------------------------------------------------------------------ tokens

#[test]
fn no_tokens_is_not_authorized_without_a_request() {
    let n = native();
    let cfg = config();
    let client = OuraClient::new(&n.platform, &cfg);
    let err = as_tree(run(client.fetch_document(coll("sleep"), "x"))).unwrap_err();
    assert_eq!(err, OuraError::NotAuthorized);
    assert!(n.http.requests().is_empty());
}

#[test]
fn tokens_round_trip_through_d1() {
    let n = native();
    assert_eq!(run(tokens::load(n.db.as_ref())).unwrap(), None);
    seed(&n, "A", "RA", NOW_MS + 1_000.0);
    assert_eq!(stored(&n), token_set("A", "RA", NOW_MS + 1_000.0));
    // An unknown lifetime is stored as NULL and loads as infinity.
    seed(&n, "B", "RB", f64::INFINITY);
    assert_eq!(stored(&n).expires_at_ms, f64::INFINITY);
    assert!(!format!("{:?}", stored(&n)).contains("RB"), "Debug redacts");
}

#[test]
fn a_401_refreshes_saves_the_rotated_pair_then_retries() {
    let n = ready();
    let cfg = config();
    let doc = url_of("sleep/s1");
    n.http.queue(&doc, 401, r#"{"detail":"expired"}"#);
    n.http.queue(&doc, 200, r#"{"id":"s1"}"#);
    n.http.on(TOKEN_URL, 200, &token_response("B", "RB"));
    // What D1 holds at the moment each request is sent.
    let seen: Rc<RefCell<Vec<(String, String)>>> = Rc::default();
    let (db, log) = (n.db.clone(), seen.clone());
    n.http.set_observer(move |req| {
        let t = try_block_on(tokens::load(db.as_ref()))
            .unwrap()
            .unwrap()
            .unwrap();
        log.borrow_mut().push((req.url.clone(), t.refresh_token));
    });
    let client = OuraClient::new(&n.platform, &cfg);
    let got = as_tree(run(client.fetch_document(coll("sleep"), "s1"))).unwrap();
    assert_eq!(got, Some(json!({"id": "s1"})));

    let reqs = n.http.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        (reqs[0].url.as_str(), auth(&reqs[0])),
        (doc.as_str(), Some("Bearer A"))
    );
    assert_eq!(reqs[1].method, "POST");
    assert_eq!(reqs[1].url, TOKEN_URL);
    assert_eq!(
        body(&reqs[1]),
        "grant_type=refresh_token&refresh_token=RA&client_id=cid&client_secret=csecret"
    );
    assert_eq!(
        (reqs[2].url.as_str(), auth(&reqs[2])),
        (doc.as_str(), Some("Bearer B"))
    );
    assert_eq!(
        seen.borrow()[2].1,
        "RB",
        "the rotated refresh token is in D1 before the retried call"
    );
    let t = stored(&n);
    assert_eq!(
        (t.access_token.as_str(), t.refresh_token.as_str()),
        ("B", "RB")
    );
    assert_eq!(t.expires_at_ms, NOW_MS + DAY_MS);
    assert_eq!(client.request_count(), 3);
}

#[test]
fn a_second_401_after_refreshing_is_not_authorized() {
    let n = ready();
    let cfg = config();
    n.http.on(&url_of("sleep"), 401, r#"{"detail":"no"}"#);
    n.http.on(TOKEN_URL, 200, &token_response("B", "RB"));
    let client = OuraClient::new(&n.platform, &cfg);
    let err = as_tree(run(client.fetch_document(coll("sleep"), "s1"))).unwrap_err();
    assert_eq!(err, OuraError::NotAuthorized);
    assert_eq!(n.http.requests().len(), 3, "one refresh, no loop");
}

#[test]
fn an_expiring_token_is_refreshed_before_the_call() {
    let n = native();
    // Issued a day ago, a minute left: inside the 5-minute margin.
    let t = token_set("A", "RA", NOW_MS + 60_000.0);
    run(tokens::save(n.db.as_ref(), &t, NOW_MS - DAY_MS)).unwrap();
    let cfg = config();
    n.http.on(TOKEN_URL, 200, &token_response("B", "RB"));
    n.http.on(&url_of("sleep/s1"), 200, r#"{"id":"s1"}"#);
    let client = OuraClient::new(&n.platform, &cfg);
    as_tree(run(client.fetch_document(coll("sleep"), "s1"))).unwrap();
    let reqs = n.http.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].url, TOKEN_URL);
    assert_eq!(auth(&reqs[1]), Some("Bearer B"));
    assert_eq!(stored(&n).refresh_token, "RB");
    // The refreshed token is cached: no second refresh.
    as_tree(run(client.fetch_document(coll("sleep"), "s1"))).unwrap();
    assert_eq!(n.http.requests().len(), 3);
}

/// Tokens living 8 s (Oura may shorten them): one refresh, then the new
/// token serves every call until a quarter of its lifetime is left. The
/// fixed 5-minute margin used to refresh before every call.
#[test]
fn a_short_lived_token_is_refreshed_once_and_used_for_its_lifetime() {
    let n = native();
    seed(&n, "A", "RA", NOW_MS - 1.0);
    let cfg = config();
    let short = json!({"token_type": "bearer", "access_token": "B", "refresh_token": "RB",
                       "expires_in": 8});
    n.http.queue(TOKEN_URL, 200, &short.to_string());
    n.http.on(&url_of("sleep/"), 200, r#"{"id":"s"}"#);
    let refreshes = |n: &NativePlatform| {
        n.http
            .requests()
            .iter()
            .filter(|r| r.url == TOKEN_URL)
            .count()
    };
    let client = OuraClient::new(&n.platform, &cfg);
    // 16 calls, 0.35 s apart: 5.6 s of an 8 s token, inside its 6 s of use.
    for i in 0..16 {
        as_tree(run(client.fetch_document(coll("sleep"), &format!("s{i}")))).unwrap();
        n.clock.advance(350.0);
    }
    assert_eq!(refreshes(&n), 1, "one refresh for 16 calls");
    // A fresh client (the next job) loads the same token from D1 and keeps it.
    let next = OuraClient::new(&n.platform, &cfg);
    as_tree(run(next.fetch_document(coll("sleep"), "t"))).unwrap();
    assert_eq!(refreshes(&n), 1, "the stored token is still good");
    // Past 6 s of its 8: refreshed again, once.
    n.clock.advance(600.0);
    n.http.queue(TOKEN_URL, 200, &token_response("C", "RC"));
    as_tree(run(next.fetch_document(coll("sleep"), "u"))).unwrap();
    as_tree(run(next.fetch_document(coll("sleep"), "v"))).unwrap();
    assert_eq!(refreshes(&n), 2);
    assert_eq!(stored(&n).refresh_token, "RC");
}

#[test]
fn invalid_grant_with_the_same_stored_token_needs_reauthorisation() {
    let n = native();
    seed(&n, "A", "RA", NOW_MS - 1.0);
    let cfg = config();
    n.http.on(TOKEN_URL, 400, r#"{"error":"invalid_grant"}"#);
    let client = OuraClient::new(&n.platform, &cfg);
    let err = as_tree(run(client.fetch_document(coll("sleep"), "s1"))).unwrap_err();
    assert_eq!(err, OuraError::NotAuthorized);
    let reqs = n.http.requests();
    assert_eq!(reqs.len(), 1, "one refresh attempt, no data call");
    assert_eq!(reqs[0].url, TOKEN_URL);
    assert_eq!(stored(&n), token_set("A", "RA", NOW_MS - 1.0));
}

#[test]
fn invalid_grant_after_another_isolate_refreshed_uses_the_stored_tokens() {
    let n = native();
    seed(&n, "A", "RA", NOW_MS - 1.0);
    let cfg = config();
    n.http.on(TOKEN_URL, 400, r#"{"error":"invalid_grant"}"#);
    n.http.on(&url_of("sleep/s1"), 200, r#"{"id":"s1"}"#);
    // While our refresh is in flight, "another isolate" rotates the pair.
    let db = n.db.clone();
    n.http.set_observer(move |req| {
        if req.url == TOKEN_URL {
            let other = token_set("C", "RC", NOW_MS + DAY_MS);
            try_block_on(tokens::save(db.as_ref(), &other, NOW_MS))
                .unwrap()
                .unwrap();
        }
    });
    let client = OuraClient::new(&n.platform, &cfg);
    let got = as_tree(run(client.fetch_document(coll("sleep"), "s1"))).unwrap();
    assert!(got.is_some());
    let reqs = n.http.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(auth(&reqs[1]), Some("Bearer C"));
    assert_eq!(stored(&n).refresh_token, "RC");
}

#[test]
fn concurrent_calls_share_one_refresh() {
    let n = native();
    seed(&n, "A", "RA", NOW_MS - 1.0);
    let cfg = config();
    n.http.set_pending_polls(3);
    n.http.on(TOKEN_URL, 200, &token_response("B", "RB"));
    n.http.on(&url_of("sleep/"), 200, r#"{"id":"s"}"#);
    let first = OuraClient::new(&n.platform, &cfg);
    let second = OuraClient::new(&n.platform, &cfg);
    let (a, b) = try_block_on_both(
        first.fetch_document(coll("sleep"), "s1"),
        second.fetch_document(coll("sleep"), "s2"),
    )
    .expect("both futures complete");
    assert!(a.unwrap().is_some());
    assert!(b.unwrap().is_some());
    let reqs = n.http.requests();
    let token_calls = reqs.iter().filter(|r| r.url == TOKEN_URL).count();
    assert_eq!(token_calls, 1, "exactly one refresh");
    let data: Vec<_> = reqs.iter().filter(|r| r.url != TOKEN_URL).collect();
    assert_eq!(data.len(), 2);
    assert!(data.iter().all(|r| auth(r) == Some("Bearer B")));
    assert_eq!(stored(&n).refresh_token, "RB");
}

#[test]
fn exchange_code_posts_the_form_and_saves_the_tokens() {
    let n = native();
    let cfg = config();
    n.http.on(TOKEN_URL, 200, &token_response("A1", "R1"));
    let t = run(exchange_code(
        &n.platform,
        &cfg,
        "code-123",
        "https://w.example/oauth/callback",
    ))
    .unwrap();
    assert_eq!(t.access_token, "A1");
    let reqs = n.http.requests();
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(
        body(&reqs[0]),
        "grant_type=authorization_code&code=code-123\
         &redirect_uri=https%3A%2F%2Fw.example%2Foauth%2Fcallback\
         &client_id=cid&client_secret=csecret"
    );
    assert_eq!(stored(&n), t);
    assert_eq!(t.expires_at_ms, NOW_MS + DAY_MS);

    n.http.on(TOKEN_URL, 400, r#"{"error":"invalid_grant"}"#);
    let err = run(exchange_code(
        &n.platform,
        &cfg,
        "used",
        "https://w.example/cb",
    ))
    .unwrap_err();
    assert!(
        matches!(err, OuraError::Http { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(stored(&n), t, "a failed exchange keeps the stored tokens");
}

// ----------------------------------------------------------------- breaker

fn breaker_state(n: &NativePlatform) -> Option<BreakerState> {
    run(n.platform.kv.get(BREAKER_KV_KEY))
        .unwrap()
        .map(|s| serde_json::from_str(&s).unwrap())
}

#[test]
fn the_breaker_opens_rejects_persists_and_half_opens() {
    let n = ready();
    let cfg = config();
    let doc = url_of("sleep/s1");
    n.http.on(&doc, 503, "{}");
    let client = OuraClient::new(&n.platform, &cfg);
    for _ in 0..5 {
        let err = as_tree(run(client.fetch_document(coll("sleep"), "s1"))).unwrap_err();
        assert!(matches!(err, OuraError::Transient(_)), "{err:?}");
    }
    assert_eq!(n.http.requests().len(), 20, "5 requests × 4 attempts");
    let opened = breaker_state(&n).unwrap();
    assert_eq!(opened.failures, 5);
    let opened_at = n.platform.clock.now_ms();
    assert_eq!(opened.opened_until_ms, opened_at + BREAKER_COOL_DOWN_MS);
    assert_eq!(
        n.kv.ops().writes,
        5,
        "one write per failure, none per attempt"
    );

    // Open: refused without HTTP, by this client and by a new one (KV).
    assert_eq!(
        as_tree(run(client.fetch_document(coll("sleep"), "s1"))),
        Err(OuraError::Breaker)
    );
    let fresh = OuraClient::new(&n.platform, &cfg);
    assert_eq!(
        as_trees(run(fresh.fetch_range(
            coll("sleep"),
            day("2026-01-01"),
            day("2026-01-02")
        ))),
        Err(OuraError::Breaker)
    );
    assert_eq!(n.http.requests().len(), 20);

    // Cool-down over: one probe; it fails, so the breaker opens again.
    n.clock.advance(BREAKER_COOL_DOWN_MS);
    assert!(matches!(
        as_tree(run(fresh.fetch_document(coll("sleep"), "s1"))),
        Err(OuraError::Transient(_))
    ));
    assert_eq!(n.http.requests().len(), 24);
    assert_eq!(
        as_tree(run(fresh.fetch_document(coll("sleep"), "s1"))),
        Err(OuraError::Breaker)
    );

    // Next cool-down: the probe succeeds and closes it (key deleted).
    n.clock.advance(BREAKER_COOL_DOWN_MS);
    n.http.on(&doc, 200, r#"{"id":"s1"}"#);
    let third = OuraClient::new(&n.platform, &cfg);
    assert!(as_tree(run(third.fetch_document(coll("sleep"), "s1")))
        .unwrap()
        .is_some());
    assert_eq!(breaker_state(&n), None);
    let ops = n.kv.ops();
    as_tree(run(third.fetch_document(coll("sleep"), "s1"))).unwrap();
    let after = n.kv.ops();
    assert_eq!(
        (after.writes, after.deletes),
        (ops.writes, ops.deletes),
        "no KV writes on plain successes"
    );
}

#[test]
fn the_breaker_counts_only_consecutive_transient_failures() {
    let n = ready();
    let cfg = config();
    let doc = url_of("sleep/s1");
    let client = OuraClient::new(&n.platform, &cfg);
    let fail = |times: usize| {
        n.http.on(&doc, 500, "{}");
        for _ in 0..times {
            assert!(as_tree(run(client.fetch_document(coll("sleep"), "s1"))).is_err());
        }
    };
    fail(4);
    assert_eq!(breaker_state(&n).unwrap().failures, 4);
    // A client error means Oura answered: the streak resets.
    n.http.on(&doc, 404, "{}");
    assert_eq!(
        as_tree(run(client.fetch_document(coll("sleep"), "s1"))),
        Ok(None)
    );
    assert_eq!(breaker_state(&n), None);
    fail(4);
    assert_ne!(
        as_tree(run(client.fetch_document(coll("sleep"), "s1"))),
        Err(OuraError::Breaker),
        "4 + 4 failures with a success between never open it"
    );
}

#[test]
fn no_kv_writes_while_all_is_well() {
    let n = ready();
    let cfg = config();
    n.http.on(&url_of("sleep/"), 200, r#"{"id":"s"}"#);
    let client = OuraClient::new(&n.platform, &cfg);
    for _ in 0..10 {
        as_tree(run(client.fetch_document(coll("sleep"), "s"))).unwrap();
    }
    let ops = n.kv.ops();
    assert_eq!((ops.reads, ops.writes, ops.deletes), (1, 0, 0));
}

// --------------------------------------------------------------- discovery

const DOCS_HTML: &str = r#"<!doctype html><html><body>
<redoc spec-url='/v2/static/json/openapi-9.99.json'></redoc></body></html>"#;

fn spec(paths: &[&str]) -> String {
    let mut map = serde_json::Map::new();
    for p in paths {
        map.insert(p.to_string(), json!({"get": {"parameters": []}}));
    }
    json!({"openapi": "3.1.0", "paths": map}).to_string()
}

#[test]
fn discovery_reads_the_linked_spec_and_caches_it() {
    let n = native();
    let cfg = config();
    n.http.on(DOCS_URL, 200, DOCS_HTML);
    n.http.on(
        "https://docs.test/v2/static/json/openapi-9.99.json",
        200,
        &spec(&[
            "/v2/usercollection/heartrate",
            "/v2/usercollection/daily_sleep",
            "/v2/usercollection/daily_sleep/{document_id}",
            "/v2/usercollection/vO2_max",
            "/v2/usercollection/interbeat_interval",
            "/v2/sandbox/usercollection/tag",
            "/v2/webhook/subscription",
        ]),
    );
    let d = run(discover(&n.platform, &cfg));
    assert_eq!(d.source, "spec");
    let names: Vec<&str> = d.collections.iter().map(|c| c.name).collect();
    assert_eq!(names, ["daily_sleep", "heartrate", "vo2_max"]);
    assert_eq!(d.unknown, ["interbeat_interval"]);
    assert_eq!(n.http.requests().len(), 2);
    assert!(run(n.platform.kv.get(COLLECTIONS_KV_KEY))
        .unwrap()
        .is_some());
    assert_eq!(
        n.kv.expires_at(COLLECTIONS_KV_KEY),
        Some(NOW_MS + DAY_MS),
        "cached for 24 h"
    );

    let again = run(discover(&n.platform, &cfg));
    assert_eq!(again.source, "cache");
    let names: Vec<&str> = again.collections.iter().map(|c| c.name).collect();
    assert_eq!(names, ["daily_sleep", "heartrate", "vo2_max"]);
    assert_eq!(again.unknown, ["interbeat_interval"]);
    assert_eq!(n.http.requests().len(), 2, "the cache answered");
}

fn assert_registry_fallback(n: &NativePlatform) {
    let d = run(discover(&n.platform, &config()));
    assert_eq!(d.source, "registry");
    assert_eq!(d.collections.len(), REGISTRY.len());
    assert!(
        run(n.platform.kv.get(COLLECTIONS_KV_KEY))
            .unwrap()
            .is_none(),
        "a fallback is never cached"
    );
}

#[test]
fn discovery_falls_back_to_the_registry_on_failure() {
    let n = native();
    n.http.on(DOCS_URL, 500, "{}");
    assert_registry_fallback(&n);

    let n = native();
    n.http.on(DOCS_URL, 200, "<html>no link here</html>");
    assert_registry_fallback(&n);

    let n = native();
    n.http.on(DOCS_URL, 200, DOCS_HTML);
    n.http.on("https://docs.test/v2/static/", 200, "not json {");
    assert_registry_fallback(&n);
}

#[test]
fn discovery_falls_back_when_the_spec_lists_nothing_known() {
    let n = native();
    n.http.on(DOCS_URL, 200, DOCS_HTML);
    n.http.on(
        "https://docs.test/v2/static/",
        200,
        &spec(&["/v2/usercollection/interbeat_interval"]),
    );
    let d = run(discover(&n.platform, &config()));
    assert_eq!(d.source, "registry");
    assert_eq!(d.collections.len(), REGISTRY.len());
    assert_eq!(d.unknown, ["interbeat_interval"]);

    let n = native();
    n.http.on(DOCS_URL, 200, DOCS_HTML);
    n.http
        .on("https://docs.test/v2/static/", 200, r#"{"paths":{}}"#);
    assert_registry_fallback(&n);
}

#[test]
fn discovery_follows_only_allowed_hosts() {
    let n = native();
    n.http.on(
        DOCS_URL,
        200,
        r#"<redoc spec-url="https://evil.example/openapi.json"></redoc>"#,
    );
    n.http.on(
        "https://evil.example/",
        200,
        &spec(&["/v2/usercollection/sleep"]),
    );
    assert_registry_fallback(&n);
    assert!(n
        .http
        .requests()
        .iter()
        .all(|r| !r.url.contains("evil.example")));

    // The configured API host is allowed.
    let n = native();
    n.http.on(
        DOCS_URL,
        200,
        &format!(r#"<redoc spec-url="{API}/openapi.json"></redoc>"#),
    );
    n.http.on(
        &format!("{API}/openapi.json"),
        200,
        &spec(&["/v2/usercollection/sleep"]),
    );
    let d = run(discover(&n.platform, &config()));
    assert_eq!(d.source, "spec");
    assert_eq!(d.collections.len(), 1);
}
