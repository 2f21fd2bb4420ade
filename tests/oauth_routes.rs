//! `/oauth/start` and `/oauth/callback` in-process: configuration checked
//! first, states single-use and expiring, every failure a clear page.

mod support;

use oura_edge::router::{Method, Res};
use oura_edge::services::oura::tokens;
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::try_block_on;
use serde_json::json;
use support::*;

const TOKEN_URL: &str = "https://sim.example/oauth/token";

fn app() -> TestApp {
    let mut t = TestApp::new();
    t.set_var("OURA_CLIENT_ID", "cid");
    t.set_var("OURA_CLIENT_SECRET", "csecret");
    t.set_var("OURA_AUTHORIZE_URL", "https://sim.example/oauth/authorize");
    t.set_var("OURA_TOKEN_URL", TOKEN_URL);
    t
}

fn start(t: &TestApp) -> Res {
    t.send(
        req(Method::Get, "/oauth/start")
            .with_origin("https://oura.example.com")
            .with_header("authorization", &bearer(ADMIN)),
    )
}

fn callback(t: &TestApp, query: &str) -> Res {
    t.send(
        req(Method::Get, &format!("/oauth/callback?{query}"))
            .with_origin("https://oura.example.com"),
    )
}

fn state_of(location: &str) -> String {
    location.split("state=").nth(1).unwrap().to_string()
}

fn text(res: &Res) -> String {
    String::from_utf8_lossy(&res.body).into_owned()
}

#[test]
fn start_redirects_with_everything_oura_needs() {
    let t = app();
    let res = start(&t);
    assert_eq!(res.status, 302);
    let loc = res.header("location").unwrap();
    assert!(loc.starts_with("https://sim.example/oauth/authorize?response_type=code&client_id=cid"));
    assert!(loc.contains("redirect_uri=https%3A%2F%2Foura.example.com%2Foauth%2Fcallback"));
    assert!(loc.contains("scope=email%20personal%20daily"));
    assert_eq!(state_of(loc).len(), 32);
    assert_eq!(
        t.send(req(Method::Get, "/oauth/start").with_header("authorization", &bearer(GRAFANA)))
            .status,
        403
    );
}

#[test]
fn start_checks_configuration_before_storing_anything() {
    let mut t = app();
    t.set_var("OURA_CLIENT_ID", "");
    let res = start(&t);
    assert_eq!(res.status, 500);
    assert_eq!(body_json(&res)["error"], "OURA_CLIENT_ID is not configured");
    let n = try_block_on(t.native.db.query(&Statement::new(
        "SELECT COUNT(*) AS n FROM oura_oauth_states",
        vec![],
    )))
    .unwrap()
    .unwrap();
    assert_eq!(n.rows[0]["n"], json!(0));
}

#[test]
fn callback_exchanges_the_code_once() {
    let t = app();
    t.native.http.on(
        TOKEN_URL,
        200,
        r#"{"token_type":"bearer","access_token":"at1","refresh_token":"rt1","expires_in":3600,"scope":"daily"}"#,
    );
    let state = state_of(start(&t).header("location").unwrap());
    let ok = callback(&t, &format!("code=abc&state={state}"));
    assert_eq!(ok.status, 200, "{}", text(&ok));
    assert!(text(&ok).contains("Oura account connected"));
    assert!(ok
        .header("content-security-policy")
        .unwrap()
        .contains("style-src 'sha256-"));
    let stored = try_block_on(tokens::load(t.native.db.as_ref()))
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(stored.access_token, "at1");
    assert_eq!(stored.refresh_token, "rt1");
    let sent = t.native.http.requests();
    let body = String::from_utf8(sent.last().unwrap().body.clone().unwrap()).unwrap();
    assert!(body.contains("grant_type=authorization_code") && body.contains("code=abc"));
    // The state is gone: a replay is refused.
    let again = callback(&t, &format!("code=abc&state={state}"));
    assert_eq!(again.status, 400);
    assert!(text(&again).contains("already used"));
}

#[test]
fn callback_failures_say_what_happened() {
    let t = app();
    let cases = [
        (
            "error=access_denied&error_description=User+said+no",
            400,
            "did not authorise",
        ),
        ("state=abc", 400, "Missing code or state"),
        ("code=x&state=never-issued", 400, "Unknown or already used"),
    ];
    for (query, status, words) in cases {
        let res = callback(&t, query);
        assert_eq!(res.status, status, "{query}");
        assert!(text(&res).contains(words), "{query}: {}", text(&res));
        assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    }
}

#[test]
fn callback_refuses_expired_states_and_bad_codes() {
    let t = app();
    let state = state_of(start(&t).header("location").unwrap());
    t.native.clock.advance(16.0 * 60.0 * 1000.0);
    let expired = callback(&t, &format!("code=abc&state={state}"));
    assert_eq!(expired.status, 400);
    assert!(text(&expired).contains("expired"));

    t.native
        .http
        .on(TOKEN_URL, 400, r#"{"error":"invalid_grant"}"#);
    let state = state_of(start(&t).header("location").unwrap());
    let refused = callback(&t, &format!("code=used&state={state}"));
    assert_eq!(refused.status, 400);
    assert!(text(&refused).contains("refused the authorisation code"));

    t.native.http.on(TOKEN_URL, 503, "down");
    let state = state_of(start(&t).header("location").unwrap());
    let down = callback(&t, &format!("code=x&state={state}"));
    assert_eq!(down.status, 502);
}

#[test]
fn callback_is_limited_like_other_anonymous_callers() {
    let t = app();
    for _ in 0..10 {
        assert_eq!(callback(&t, "state=x").status, 400);
    }
    assert_eq!(callback(&t, "state=x").status, 429);
}
