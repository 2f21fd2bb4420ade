//! OAuth: authorize redirect, code exchange, refresh rotation, expiry and revocation.

mod common;

use common::{call, Sim};
use serde_json::{json, Value};

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// Runs the authorize step and returns the `code` from the redirect.
fn authorize(sim: &Sim, state: &str) -> String {
    let url = sim.url(&format!(
        "/oauth/authorize?response_type=code&client_id=sim-client&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=daily%20heartrate&state={state}"
    ));
    let resp = agent().get(&url).call().expect("authorize");
    assert_eq!(resp.status(), 302);
    let location = resp.header("Location").unwrap_or_default().to_string();
    assert!(
        location.starts_with("http://127.0.0.1:9/cb?code="),
        "{location}"
    );
    assert!(location.ends_with(&format!("&state={state}")), "{location}");
    location
        .split("code=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .unwrap_or_default()
        .to_string()
}

fn token(sim: &Sim, form: &str) -> (u16, Value) {
    let (status, text) = common::call_raw(
        ureq::post(&sim.url("/oauth/token")),
        Some(("application/x-www-form-urlencoded", form.to_string())),
    );
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

const CREDS: &str = "client_id=sim-client&client_secret=sim-secret";

#[test]
fn code_exchange_then_refresh_rotation() {
    let sim = Sim::start(&["--days", "5"]);
    let code = authorize(&sim, "xyz");
    let (status, t1) = token(&sim, &format!("grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&{CREDS}"));
    assert_eq!(status, 200, "{t1}");
    assert_eq!(t1["token_type"], "bearer");
    assert_eq!(t1["expires_in"], 3600);
    assert_eq!(t1["scope"], "daily heartrate");
    let access = t1["access_token"].as_str().unwrap_or_default();
    assert_eq!(
        sim.get_with("/v2/usercollection/daily_sleep", Some(access))
            .0,
        200
    );
    // Codes are single-use.
    let (status, body) = token(
        &sim,
        &format!("grant_type=authorization_code&code={code}&{CREDS}"),
    );
    assert_eq!((status, body), (400, json!({ "error": "invalid_grant" })));

    let old_refresh = t1["refresh_token"].as_str().unwrap_or_default();
    let (status, t2) = token(
        &sim,
        &format!("grant_type=refresh_token&refresh_token={old_refresh}&{CREDS}"),
    );
    assert_eq!(status, 200);
    assert_ne!(t2["refresh_token"], t1["refresh_token"]);
    assert_eq!(
        sim.get_with(
            "/v2/usercollection/daily_sleep",
            t2["access_token"].as_str()
        )
        .0,
        200
    );
    // The old refresh token is spent.
    let (status, body) = token(
        &sim,
        &format!("grant_type=refresh_token&refresh_token={old_refresh}&{CREDS}"),
    );
    assert_eq!((status, body), (400, json!({ "error": "invalid_grant" })));
    // The new one works once, also with HTTP Basic client authentication.
    let basic = "Basic c2ltLWNsaWVudDpzaW0tc2VjcmV0"; // sim-client:sim-secret
    let (status, _) = common::call_raw(
        ureq::post(&sim.url("/oauth/token")).set("Authorization", basic),
        Some((
            "application/x-www-form-urlencoded",
            format!(
                "grant_type=refresh_token&refresh_token={}",
                t2["refresh_token"].as_str().unwrap_or_default()
            ),
        )),
    );
    assert_eq!(status, 200);
}

#[test]
fn client_errors() {
    let sim = Sim::start(&["--days", "5"]);
    let (status, _) = call(
        agent().get(&sim.url(
            "/oauth/authorize?response_type=code&client_id=other&redirect_uri=http%3A%2F%2Fx%2Fcb",
        )),
        None,
    );
    assert_eq!(status, 400);
    let code = authorize(&sim, "s");
    let (status, body) = token(
        &sim,
        &format!(
            "grant_type=authorization_code&code={code}&client_id=sim-client&client_secret=nope"
        ),
    );
    assert_eq!((status, body), (401, json!({ "error": "invalid_client" })));
    let (status, body) = token(&sim, &format!("grant_type=client_credentials&{CREDS}"));
    assert_eq!(
        (status, body),
        (400, json!({ "error": "unsupported_grant_type" }))
    );
}

#[test]
fn access_tokens_expire_and_can_be_revoked() {
    let sim = Sim::start(&["--days", "5"]);
    let (status, _) = sim.control("POST", "/_sim/config", &json!({ "access_token_ttl": 60 }));
    assert_eq!(status, 200);
    let code = authorize(&sim, "s");
    let (_, t) = token(
        &sim,
        &format!("grant_type=authorization_code&code={code}&{CREDS}"),
    );
    assert_eq!(t["expires_in"], 60);
    let access = t["access_token"].as_str().unwrap_or_default().to_string();
    assert_eq!(sim.get_with("/v2/usercollection/tag", Some(&access)).0, 200);
    sim.control("POST", "/_sim/clock", &json!({ "advance_secs": 61 }));
    let (status, body) = sim.get_with("/v2/usercollection/tag", Some(&access));
    assert_eq!(status, 401);
    assert!(body["detail"].is_string());
    // Refresh still works after expiry; then revoke everything.
    let (status, t2) = token(
        &sim,
        &format!(
            "grant_type=refresh_token&refresh_token={}&{CREDS}",
            t["refresh_token"].as_str().unwrap_or_default()
        ),
    );
    assert_eq!(status, 200);
    let access2 = t2["access_token"].as_str().unwrap_or_default();
    assert_eq!(sim.get_with("/v2/usercollection/tag", Some(access2)).0, 200);
    sim.control("POST", "/_sim/tokens/revoke", &json!({}));
    assert_eq!(sim.get_with("/v2/usercollection/tag", Some(access2)).0, 401);
    let (status, _) = token(
        &sim,
        &format!(
            "grant_type=refresh_token&refresh_token={}&{CREDS}",
            t2["refresh_token"].as_str().unwrap_or_default()
        ),
    );
    assert_eq!(status, 400);
}
