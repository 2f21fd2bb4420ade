//! Queues operations in the usage meter (issue #15): a sent message is one
//! write, each delivery one read, each acknowledgement one delete
//! (<https://developers.cloudflare.com/queues/pricing/>), counted as
//! `usage.today.queue_operations` beside its 10,000-a-day Free quota.

mod support;

use hmac::{Hmac, Mac};
use oura_edge::router::Method;
use oura_edge::services::config::Config;
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::try_block_on;
use oura_edge::services::usage::{self, metered, Meter};
use oura_edge::services::webhooks::consumer::{handle_batch, Incoming, Verdict};
use oura_edge::services::webhooks::Event;
use serde_json::{json, Value};
use sha2::Sha256;
use support::*;

const SECRET: &str = "client-secret";
const API: &str = "https://oura.test";
/// NOW_MS in seconds (2026-01-15T12:00:00Z).
const NOW_S: i64 = 1_768_478_400;

fn event(data_type: &str, id: &str) -> Value {
    json!({"event_type": "create", "data_type": data_type, "object_id": id,
           "event_time": "2026-01-15T11:59:30.000+00:00", "user_id": "user-1"})
}

fn deliver(t: &TestApp, payload: &Value) -> u16 {
    let body = payload.to_string();
    let ts = NOW_S.to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(body.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    t.send(
        req(Method::Post, "/webhook/oura")
            .with_header("x-oura-timestamp", &ts)
            .with_header("x-oura-signature", &sig)
            .with_body(body.into_bytes()),
    )
    .status
}

fn queue_ops_today(t: &TestApp) -> Value {
    let info = body_json(
        &t.send(req(Method::Get, "/api/db/info").with_header("authorization", &bearer(ADMIN))),
    );
    let u = &info["usage"];
    assert_eq!(u["quotas"]["queue_operations"], 10_000, "{u}");
    u["today"]["queue_operations"].clone()
}

#[test]
fn each_message_sent_is_one_write_and_a_failed_send_none() {
    let mut t = TestApp::new().metered();
    t.set_var("OURA_CLIENT_ID", "client-id");
    t.set_var("OURA_CLIENT_SECRET", SECRET);
    t.set_var("OURA_WEBHOOK_VERIFICATION_TOKEN", "verify-me");
    t.set_var("USAGE_FLUSH_SECONDS", "0");
    assert_eq!(queue_ops_today(&t), 0);
    t.native.queue.set_failing(true);
    assert_eq!(deliver(&t, &event("sleep", "s-1")), 503);
    assert_eq!(queue_ops_today(&t), 0, "nothing was written");
    t.native.queue.set_failing(false);
    assert_eq!(
        deliver(&t, &json!([event("sleep", "s-1"), event("tag", "t-1")])),
        202
    );
    assert_eq!(t.native.queue.sent().len(), 2);
    assert_eq!(queue_ops_today(&t), 2);
}

fn incoming(event_type: &str, data_type: &str, id: &str, attempts: u32) -> Incoming {
    let ev = Event {
        event_type: event_type.into(),
        data_type: data_type.into(),
        object_id: id.into(),
        event_time: "2026-01-15T11:59:30.000+00:00".into(),
        user_id: "user-1".into(),
        received_at_ms: Some(NOW_MS),
    };
    Incoming {
        body: ev.to_message(),
        attempts,
    }
}

#[test]
fn a_delivery_is_one_read_and_an_acknowledgement_one_delete() {
    let n = NativePlatform::new(migrations_dir(), NOW_MS).unwrap();
    store_tokens(&n, NOW_MS + 86_400_000.0);
    n.http.on(
        &format!("{API}/v2/usercollection/sleep/s-1"),
        503,
        r#"{"detail":"down"}"#,
    );
    let config = Config::from_lookup(|k| match k {
        "OURA_API_BASE_URL" => Some(API.into()),
        "OURA_CLIENT_ID" => Some("client-id".into()),
        "OURA_CLIENT_SECRET" => Some(SECRET.into()),
        _ => None,
    });
    let meter = Meter::new();
    let p = metered(&n.platform, &meter, 60_000.0);
    let batch = [
        // Acknowledged: a delete of a document never stored is done.
        incoming("delete", "tag", "t-1", 1),
        // Oura is down: retried, so read now and read again later.
        incoming("create", "sleep", "s-1", 1),
    ];
    let verdicts = try_block_on(handle_batch(&p, &config, &batch)).unwrap();
    assert_eq!(verdicts[0], Verdict::Ack);
    assert!(matches!(verdicts[1], Verdict::Retry { .. }), "{verdicts:?}");
    let used = p.usage.as_ref().unwrap().used();
    assert_eq!(used.queue_operations, 3, "read + delete, read");
    // The last delivery of the retried message: read and deleted (dead-lettered).
    let last = metered(&n.platform, &meter, 60_000.0);
    let verdicts = try_block_on(handle_batch(
        &last,
        &config,
        &[incoming("create", "sleep", "s-1", 9)],
    ))
    .unwrap();
    assert_eq!(verdicts, [Verdict::Ack]);
    assert_eq!(last.usage.as_ref().unwrap().used().queue_operations, 2);
    let today = try_block_on(usage::today(&last)).unwrap().unwrap();
    assert_eq!(today.queue_operations, 5, "the isolate's unflushed total");
}
