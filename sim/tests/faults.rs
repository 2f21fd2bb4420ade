//! Fault injection and the request log.

mod common;

use common::Sim;
use serde_json::{json, Value};

#[test]
fn rate_limit_with_retry_after_then_recovery() {
    let sim = Sim::with_token(&["--days", "5"]);
    let fault = json!({ "path_prefix": "/v2/usercollection/heartrate", "kind": "status", "status": 429, "retry_after": 7, "count": 2 });
    assert_eq!(sim.control("POST", "/_sim/faults", &fault).0, 201);
    for _ in 0..2 {
        let resp = ureq::get(&sim.url("/v2/usercollection/heartrate"))
            .set("Authorization", "Bearer tok")
            .call();
        match resp {
            Err(ureq::Error::Status(429, r)) => assert_eq!(r.header("Retry-After"), Some("7")),
            other => panic!("expected 429, got {:?}", other.map(|r| r.status())),
        }
    }
    assert_eq!(sim.get("/v2/usercollection/heartrate").0, 200);
    // Other paths were never affected.
    assert_eq!(sim.get("/v2/usercollection/sleep").0, 200);
    let (_, log) = sim.control("GET", "/_sim/requests", &Value::Null);
    let statuses: Vec<u64> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["status"].as_u64())
        .collect();
    assert_eq!(statuses, vec![429, 429, 200, 200]);
    assert_eq!(sim.control("DELETE", "/_sim/requests", &Value::Null).0, 204);
    assert_eq!(
        sim.control("GET", "/_sim/requests", &Value::Null).1,
        json!([])
    );
}

#[test]
fn unlimited_faults_until_cleared_and_other_kinds() {
    let sim = Sim::with_token(&["--days", "5"]);
    sim.control(
        "POST",
        "/_sim/faults",
        &json!({ "path_prefix": "/v2/usercollection/daily", "kind": "status", "status": 503 }),
    );
    for _ in 0..3 {
        assert_eq!(sim.get("/v2/usercollection/daily_sleep").0, 503);
    }
    assert_eq!(sim.control("DELETE", "/_sim/faults", &Value::Null).0, 204);
    assert_eq!(sim.get("/v2/usercollection/daily_sleep").0, 200);

    sim.control(
        "POST",
        "/_sim/faults",
        &json!({ "path_prefix": "/v2/usercollection/tag", "kind": "malformed", "count": 1 }),
    );
    let (status, body) = sim.get("/v2/usercollection/tag");
    assert_eq!(
        (status, body),
        (200, Value::Null),
        "malformed JSON does not parse"
    );

    sim.control("POST", "/_sim/faults", &json!({ "path_prefix": "/v2/usercollection/session", "kind": "slow", "delay_ms": 300, "count": 1 }));
    let t = std::time::Instant::now();
    assert_eq!(sim.get("/v2/usercollection/session").0, 200);
    assert!(t.elapsed().as_millis() >= 300);

    sim.control(
        "POST",
        "/_sim/faults",
        &json!({ "path_prefix": "/v2/usercollection/workout", "kind": "revoke_token", "count": 1 }),
    );
    assert_eq!(sim.get("/v2/usercollection/workout").0, 401);
    assert_eq!(
        sim.get("/v2/usercollection/workout").0,
        200,
        "the static token survives"
    );
    assert_eq!(
        sim.control("POST", "/_sim/faults", &json!({ "kind": "bogus" }))
            .0,
        400
    );
}
