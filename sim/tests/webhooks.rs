//! Webhook subscription CRUD with a local receiver, and signed deliveries.

mod common;

use common::{call, Receiver, Sim};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

fn sub_call(
    sim: &Sim,
    method: &str,
    path: &str,
    body: Option<Value>,
    secret: &str,
) -> (u16, Value) {
    let req = ureq::request(method, &sim.url(path))
        .set("x-client-id", "sim-client")
        .set("x-client-secret", secret);
    call(req, body.map(|b| b.to_string()))
}

fn expected_signature(secret: &str, ts: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(ts.as_bytes());
    mac.update(body);
    hex::encode_upper(mac.finalize().into_bytes())
}

#[test]
fn subscription_crud_with_verification() {
    let sim = Sim::start(&["--days", "5"]);
    let rx = Receiver::start("vtok");
    let s = "sim-secret";
    assert_eq!(
        sub_call(&sim, "GET", "/v2/webhook/subscription", None, "wrong"),
        (403, json!({ "detail": "Forbidden" }))
    );
    let (status, list) = sub_call(&sim, "GET", "/v2/webhook/subscription", None, s);
    assert_eq!((status, list), (200, json!([])));

    let body = json!({ "callback_url": rx.url, "verification_token": "vtok", "event_type": "create", "data_type": "vo2_max" });
    let (status, created) = sub_call(
        &sim,
        "POST",
        "/v2/webhook/subscription",
        Some(body.clone()),
        s,
    );
    assert_eq!(status, 201, "{created}");
    for k in [
        "id",
        "callback_url",
        "event_type",
        "data_type",
        "expiration_time",
    ] {
        assert!(created[k].is_string(), "{k}");
    }
    let challenge = rx
        .seen
        .lock()
        .map(|v| v[0].target.clone())
        .unwrap_or_default();
    assert!(
        challenge.contains("verification_token=vtok&challenge="),
        "{challenge}"
    );

    // Wrong verification token → the receiver refuses the challenge → 400; bad data_type → 422.
    let bad = json!({ "callback_url": rx.url, "verification_token": "nope", "event_type": "update", "data_type": "sleep" });
    assert_eq!(
        sub_call(&sim, "POST", "/v2/webhook/subscription", Some(bad), s).0,
        400
    );
    let invalid = json!({ "callback_url": rx.url, "verification_token": "vtok", "event_type": "update", "data_type": "heartrate" });
    assert_eq!(
        sub_call(&sim, "POST", "/v2/webhook/subscription", Some(invalid), s).0,
        422
    );
    let missing = json!({ "callback_url": rx.url, "event_type": "update", "data_type": "sleep" });
    assert_eq!(
        sub_call(&sim, "POST", "/v2/webhook/subscription", Some(missing), s).0,
        422
    );

    let id = created["id"].as_str().unwrap_or_default().to_string();
    let path = format!("/v2/webhook/subscription/{id}");
    assert_eq!(
        sub_call(&sim, "GET", &path, None, s),
        (200, created.clone())
    );
    assert_eq!(
        sub_call(
            &sim,
            "PUT",
            &path,
            Some(json!({ "event_type": "update" })),
            s
        )
        .0,
        422
    );
    let (status, updated) = sub_call(
        &sim,
        "PUT",
        &path,
        Some(json!({ "verification_token": "vtok", "event_type": "update" })),
        s,
    );
    assert_eq!((status, &updated["event_type"]), (200, &json!("update")));
    sim.control("POST", "/_sim/clock", &json!({ "advance_secs": 3600 }));
    let (status, renewed) = sub_call(
        &sim,
        "PUT",
        &format!("/v2/webhook/subscription/renew/{id}"),
        None,
        s,
    );
    assert_eq!(status, 200);
    assert!(renewed["expiration_time"].as_str() > created["expiration_time"].as_str());
    let (_, list) = sub_call(&sim, "GET", "/v2/webhook/subscription", None, s);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(sub_call(&sim, "DELETE", &path, None, s).0, 204);
    assert_eq!(sub_call(&sim, "DELETE", &path, None, s).0, 404);
    assert_eq!(sub_call(&sim, "GET", &path, None, s).0, 404);
}

#[test]
fn signed_delivery_and_document_changes() {
    let sim = Sim::with_token(&["--days", "5"]);
    let rx = Receiver::start("vtok");
    let (status, out) = sim.control(
        "POST",
        "/_sim/webhooks/deliver",
        &json!({ "callback_url": rx.url, "event_type": "update", "data_type": "sleep", "object_id": "abc", "user_id": "u1", "event_time": "2026-01-15T08:00:00+00:00" }),
    );
    assert_eq!((status, &out["status"]), (200, &json!(200)));
    let posts = rx.posts();
    assert_eq!(posts.len(), 1);
    let p = &posts[0];
    let body = String::from_utf8_lossy(&p.body).to_string();
    assert_eq!(
        body,
        r#"{"event_type":"update","data_type":"sleep","object_id":"abc","event_time":"2026-01-15T08:00:00+00:00","user_id":"u1"}"#
    );
    let ts = p.header("x-oura-timestamp").unwrap_or_default();
    assert!(ts.parse::<i64>().is_ok());
    assert_eq!(
        p.header("x-oura-signature"),
        Some(expected_signature("sim-secret", ts, &p.body).as_str())
    );

    // A document created through the control API is served and announced (vO2_max → data_type vo2_max).
    let doc = json!({ "id": "new-vo2", "day": "2026-01-15", "timestamp": "2026-01-15T09:00:00.000-05:00", "vo2_max": 44 });
    let (status, res) = sim.control(
        "POST",
        "/_sim/documents",
        &json!({ "collection": "vO2_max", "op": "create", "document": doc, "deliver_to": rx.url }),
    );
    assert_eq!(status, 201, "{res}");
    assert_eq!(res["deliveries"][0]["status"], 200);
    let last = rx.posts().pop().map(|s| s.body).unwrap_or_default();
    let ev: Value = serde_json::from_slice(&last).unwrap_or(Value::Null);
    assert_eq!(
        (
            ev["event_type"].as_str(),
            ev["data_type"].as_str(),
            ev["object_id"].as_str()
        ),
        (Some("create"), Some("vo2_max"), Some("new-vo2"))
    );
    assert_eq!(
        sim.get("/v2/usercollection/vO2_max/new-vo2").1["vo2_max"],
        44
    );

    // Partial update merges; delete makes the document 404.
    let (status, _) = sim.control("POST", "/_sim/documents", &json!({ "collection": "vO2_max", "op": "update", "id": "new-vo2", "document": { "vo2_max": 45 } }));
    assert_eq!(status, 200);
    let (_, got) = sim.get("/v2/usercollection/vO2_max/new-vo2");
    assert_eq!(
        (got["vo2_max"].as_i64(), got["day"].as_str()),
        (Some(45), Some("2026-01-15"))
    );
    let (status, _) = sim.control(
        "POST",
        "/_sim/documents",
        &json!({ "collection": "vO2_max", "op": "delete", "id": "new-vo2" }),
    );
    assert_eq!(status, 200);
    assert_eq!(sim.get("/v2/usercollection/vO2_max/new-vo2").0, 404);
}
