//! Webhooks in-process: the challenge, signed deliveries (signature, skew,
//! payload, enqueue-then-mark, replays), the queue consumer per data type,
//! and the subscription routes against a scripted Oura.

mod support;

use hmac::{Hmac, Mac};
use oura_edge::router::{Method, Res};
use oura_edge::services::collections::{find, REGISTRY};
use oura_edge::services::config::Config;
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::sql_cache;
use oura_edge::services::try_block_on;
use oura_edge::services::webhooks::consumer::{handle_batch, retry_delay, Incoming, Verdict};
use oura_edge::services::webhooks::delivery::seen_key;
use oura_edge::services::webhooks::subscriptions::renew_expiring;
use oura_edge::services::webhooks::Event;
use serde_json::{json, Value};
use sha2::Sha256;
use support::*;

const SECRET: &str = "client-secret";
const VERIFY: &str = "verify-me";
const API: &str = "https://oura.test";
const CALLBACK: &str = "https://edge.example.com/webhook/oura";
/// NOW_MS in seconds (2026-01-15T12:00:00Z).
const NOW_S: i64 = 1_768_478_400;

fn app() -> TestApp {
    let mut t = TestApp::new();
    for (k, v) in [
        ("OURA_CLIENT_ID", "client-id"),
        ("OURA_CLIENT_SECRET", SECRET),
        ("OURA_WEBHOOK_VERIFICATION_TOKEN", VERIFY),
        ("OURA_API_BASE_URL", API),
        ("OURA_WEBHOOK_CALLBACK_URL", CALLBACK),
    ] {
        t.set_var(k, v);
    }
    t
}

fn sign(secret: &str, ts: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(body);
    hex::encode_upper(mac.finalize().into_bytes())
}

fn event(event_type: &str, data_type: &str, id: &str) -> Value {
    json!({
        "event_type": event_type,
        "data_type": data_type,
        "object_id": id,
        "event_time": "2026-01-15T11:59:30.000+00:00",
        "user_id": "user-1",
    })
}

fn post_raw(t: &TestApp, ts: &str, sig: &str, body: &[u8]) -> Res {
    t.send(
        req(Method::Post, "/webhook/oura")
            .with_header("x-oura-timestamp", ts)
            .with_header("x-oura-signature", sig)
            .with_body(body.to_vec()),
    )
}

fn deliver(t: &TestApp, payload: &Value) -> Res {
    let body = payload.to_string();
    let ts = NOW_S.to_string();
    post_raw(t, &ts, &sign(SECRET, &ts, body.as_bytes()), body.as_bytes())
}

// ---------------------------------------------------------------- challenge

#[test]
fn challenge_echoes_with_the_right_token_only() {
    let t = app();
    let ok = t.get(&format!(
        "/webhook/oura?verification_token={VERIFY}&challenge=abc123"
    ));
    assert_eq!(ok.status, 200);
    assert_eq!(body_json(&ok), json!({"challenge": "abc123"}));

    let wrong = t.get("/webhook/oura?verification_token=nope&challenge=abc123");
    assert_eq!(wrong.status, 401);
    assert_eq!(body_json(&wrong)["error"], "Invalid verification token");

    let missing = t.get(&format!("/webhook/oura?verification_token={VERIFY}"));
    assert_eq!(missing.status, 400);
    assert_eq!(body_json(&missing)["error"], "Missing challenge parameter");
}

#[test]
fn challenge_without_a_configured_token_says_so() {
    let mut t = app();
    t.vars.remove("OURA_WEBHOOK_VERIFICATION_TOKEN");
    let res = t.get("/webhook/oura?verification_token=&challenge=abc");
    assert_eq!(res.status, 500);
    assert_eq!(
        body_json(&res)["error"],
        "Missing OURA_WEBHOOK_VERIFICATION_TOKEN secret"
    );
}

// ---------------------------------------------------------------- deliveries

#[test]
fn a_signed_delivery_is_queued_in_either_hex_case_without_a_bearer() {
    let t = app();
    let body = event("create", "sleep", "s-1").to_string();
    let ts = NOW_S.to_string();
    let upper = sign(SECRET, &ts, body.as_bytes());
    let res = post_raw(&t, &ts, &upper, body.as_bytes());
    assert_eq!(res.status, 202);
    assert_eq!(
        body_json(&res),
        json!({"accepted": 1, "duplicate": 0, "ignored": 0})
    );
    let sent = t.native.queue.sent();
    assert_eq!(sent.len(), 1);
    let ev = Event::from_message(&sent[0]).unwrap();
    assert_eq!(
        (
            ev.event_type.as_str(),
            ev.data_type.as_str(),
            ev.object_id.as_str()
        ),
        ("create", "sleep", "s-1")
    );

    let body2 = event("update", "sleep", "s-1").to_string();
    let lower = sign(SECRET, &ts, body2.as_bytes()).to_lowercase();
    let res = post_raw(&t, &ts, &lower, body2.as_bytes());
    assert_eq!(res.status, 202);
    assert_eq!(t.native.queue.sent().len(), 2);
}

#[test]
fn wrong_or_missing_signatures_are_refused() {
    let t = app();
    let body = event("create", "sleep", "s-1").to_string();
    let ts = NOW_S.to_string();
    let other_key = sign("another-secret", &ts, body.as_bytes());
    let res = post_raw(&t, &ts, &other_key, body.as_bytes());
    assert_eq!(res.status, 401);
    assert_eq!(body_json(&res)["error"], "Invalid webhook signature");

    // Signed over a different body (tampered in transit).
    let tampered = sign(SECRET, &ts, b"{}");
    assert_eq!(post_raw(&t, &ts, &tampered, body.as_bytes()).status, 401);
    // Not hex at all.
    assert_eq!(post_raw(&t, &ts, "zz", body.as_bytes()).status, 401);
    // Signed with another timestamp than the header's.
    let shifted = sign(SECRET, &(NOW_S - 1).to_string(), body.as_bytes());
    assert_eq!(post_raw(&t, &ts, &shifted, body.as_bytes()).status, 401);

    let no_headers = t.send(req(Method::Post, "/webhook/oura").with_body(body.clone()));
    assert_eq!(no_headers.status, 401);
    assert_eq!(body_json(&no_headers)["error"], "Missing signature headers");
    assert!(t.native.queue.sent().is_empty());
}

#[test]
fn the_dedicated_signing_secret_wins_over_the_client_secret() {
    let mut t = app();
    t.set_var("OURA_WEBHOOK_SIGNING_SECRET", "signing-key");
    let body = event("create", "sleep", "s-1").to_string();
    let ts = NOW_S.to_string();
    let by_client = sign(SECRET, &ts, body.as_bytes());
    assert_eq!(post_raw(&t, &ts, &by_client, body.as_bytes()).status, 401);
    let by_signing = sign("signing-key", &ts, body.as_bytes());
    assert_eq!(post_raw(&t, &ts, &by_signing, body.as_bytes()).status, 202);

    t.vars.remove("OURA_WEBHOOK_SIGNING_SECRET");
    t.vars.remove("OURA_CLIENT_SECRET");
    let res = post_raw(&t, &ts, &by_client, body.as_bytes());
    assert_eq!(res.status, 500);
    assert!(body_json(&res)["error"]
        .as_str()
        .unwrap()
        .contains("OURA_WEBHOOK_SIGNING_SECRET"));
}

#[test]
fn timestamps_in_seconds_or_milliseconds_must_be_within_the_skew() {
    let t = app();
    let body = event("create", "workout", "w-1").to_string();
    let at = |ts: String| {
        let sig = sign(SECRET, &ts, body.as_bytes());
        post_raw(&t, &ts, &sig, body.as_bytes()).status
    };
    // 299 s old in seconds, then in milliseconds: accepted (the second is a replay).
    assert_eq!(at((NOW_S - 299).to_string()), 202);
    assert_eq!(at(((NOW_S - 299) * 1000).to_string()), 202);
    // 301 s away either way, either unit: refused.
    assert_eq!(at((NOW_S - 301).to_string()), 401);
    assert_eq!(at((NOW_S + 301).to_string()), 401);
    assert_eq!(at(((NOW_S - 301) * 1000).to_string()), 401);
    assert_eq!(at("soon".to_string()), 400);
    assert_eq!(t.native.queue.sent().len(), 1);

    let mut wide = app();
    wide.set_var("OURA_WEBHOOK_ALLOWED_SKEW_SECONDS", "3600");
    let ts = (NOW_S - 1800).to_string();
    let sig = sign(SECRET, &ts, body.as_bytes());
    assert_eq!(post_raw(&wide, &ts, &sig, body.as_bytes()).status, 202);
}

#[test]
fn payloads_are_validated_item_by_item() {
    let t = app();
    let mut missing_id = event("create", "sleep", "x");
    missing_id.as_object_mut().unwrap().remove("object_id");
    let payload = json!([
        event("create", "sleep", "ok-1"),
        event("create", "vo2_max", "ok-2"),
        event("upsert", "sleep", "bad-event"),
        event("create", "heartrate", "no-webhook-type"),
        event("create", "meal", "unknown-type"),
        missing_id,
        event("delete", "", "empty-type"),
        "not an object",
    ]);
    let res = deliver(&t, &payload);
    assert_eq!(res.status, 202);
    assert_eq!(
        body_json(&res),
        json!({"accepted": 2, "duplicate": 0, "ignored": 6})
    );
    let types: Vec<String> = t
        .native
        .queue
        .sent()
        .iter()
        .map(|m| Event::from_message(m).unwrap().data_type)
        .collect();
    assert_eq!(types, ["sleep", "vo2_max"]);

    let body = b"{not json";
    let ts = NOW_S.to_string();
    let res = post_raw(&t, &ts, &sign(SECRET, &ts, body), body);
    assert_eq!(res.status, 400);
    assert_eq!(body_json(&res)["error"], "Invalid JSON payload");
}

#[test]
fn a_failed_enqueue_leaves_the_delivery_unmarked_so_the_retry_is_queued() {
    let t = app();
    let payload = event("create", "sleep", "s-9");
    t.native.queue.set_failing(true);
    let res = deliver(&t, &payload);
    assert_eq!(res.status, 503, "Oura must see a failure and retry");
    let ev = Event {
        event_type: "create".into(),
        data_type: "sleep".into(),
        object_id: "s-9".into(),
        event_time: "2026-01-15T11:59:30.000+00:00".into(),
        user_id: "user-1".into(),
        received_at_ms: None,
    };
    let key = seen_key(&ev);
    assert_eq!(
        try_block_on(t.native.platform.kv.get(&key))
            .unwrap()
            .unwrap(),
        None
    );
    assert_eq!(t.native.kv.ops().writes, 0);

    t.native.queue.set_failing(false);
    let res = deliver(&t, &payload);
    assert_eq!(res.status, 202);
    assert_eq!(body_json(&res)["accepted"], 1);
    assert_eq!(t.native.queue.sent().len(), 1);
    assert!(try_block_on(t.native.platform.kv.get(&key))
        .unwrap()
        .unwrap()
        .is_some());
    // The seen mark lives a day.
    let expires = t.native.kv.expires_at(&key).unwrap();
    assert_eq!(expires, NOW_MS + 86_400_000.0);
}

#[test]
fn a_replay_is_acknowledged_but_not_queued_again_and_costs_no_write() {
    let t = app();
    let payload = event("update", "daily_readiness", "r-1");
    assert_eq!(body_json(&deliver(&t, &payload))["accepted"], 1);
    let writes = t.native.kv.ops().writes;
    assert_eq!(writes, 1, "one KV write per accepted delivery");
    let again = deliver(&t, &payload);
    assert_eq!(again.status, 202);
    assert_eq!(
        body_json(&again),
        json!({"accepted": 0, "duplicate": 1, "ignored": 0})
    );
    assert_eq!(t.native.queue.sent().len(), 1);
    assert_eq!(t.native.kv.ops().writes, writes);
    // The same event twice in one payload is one event.
    let twice = deliver(
        &t,
        &json!([event("create", "tag", "t-1"), event("create", "tag", "t-1")]),
    );
    assert_eq!(
        body_json(&twice),
        json!({"accepted": 1, "duplicate": 1, "ignored": 0})
    );
}

#[test]
fn other_methods_are_not_allowed() {
    let t = app();
    let res = t.send(req(Method::Put, "/webhook/oura"));
    assert_eq!(res.status, 405);
}

// ---------------------------------------------------------------- consumer

fn config() -> Config {
    Config::from_lookup(|n| match n {
        "OURA_API_BASE_URL" => Some(API.into()),
        "OURA_CLIENT_ID" => Some("client-id".into()),
        "OURA_CLIENT_SECRET" => Some(SECRET.into()),
        _ => None,
    })
}

fn native() -> NativePlatform {
    let n = NativePlatform::new(migrations_dir(), NOW_MS).unwrap();
    store_tokens(&n, NOW_MS + 86_400_000.0);
    n
}

fn msg(event_type: &str, data_type: &str, id: &str, attempts: u32) -> Incoming {
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

fn doc_url(data_type: &str, id: &str) -> String {
    format!(
        "{API}/v2/usercollection/{}/{id}",
        find(data_type).unwrap().api_path
    )
}

fn run(n: &NativePlatform, batch: &[Incoming]) -> Vec<Verdict> {
    try_block_on(handle_batch(&n.platform, &config(), batch)).unwrap()
}

fn scalar(n: &NativePlatform, sql: &str, params: Vec<Value>) -> Value {
    let r = try_block_on(n.db.query(&Statement::new(sql, params)))
        .unwrap()
        .unwrap();
    r.rows
        .first()
        .and_then(|row| row.values().next().cloned())
        .unwrap_or(Value::Null)
}

fn count(n: &NativePlatform, sql: &str, params: Vec<Value>) -> i64 {
    scalar(n, sql, params).as_f64().unwrap() as i64
}

const TABLES: [&str; 9] = [
    "daily_summaries",
    "sleep_episodes",
    "activity_logs",
    "enhanced_tags",
    "tags",
    "rest_mode_periods",
    "ring_configurations",
    "document_series",
    "oura_documents",
];

/// table_stats agrees with COUNT(*) for every table the consumer touches.
fn assert_stats_exact(n: &NativePlatform, when: &str) {
    for table in TABLES {
        let actual = count(n, &format!("SELECT COUNT(*) FROM {table}"), vec![]);
        let stat = count(
            n,
            "SELECT COALESCE(record_count, 0) FROM table_stats WHERE resource = ?",
            vec![json!(table)],
        );
        assert_eq!(stat, actual, "table_stats for {table} {when}");
    }
}

fn raw_count(n: &NativePlatform, data_type: &str, id: &str) -> i64 {
    count(
        n,
        "SELECT COUNT(*) FROM oura_documents WHERE collection = ? AND id = ?",
        vec![json!(data_type), json!(id)],
    )
}

/// Rows in typed tables (and series) that name the document id.
fn typed_count(n: &NativePlatform, id: &str) -> i64 {
    let mut total = 0;
    for table in [
        "sleep_episodes",
        "activity_logs",
        "enhanced_tags",
        "tags",
        "rest_mode_periods",
        "ring_configurations",
    ] {
        total += count(
            n,
            &format!("SELECT COUNT(*) FROM {table} WHERE id = ?"),
            vec![json!(id)],
        );
    }
    total += count(
        n,
        "SELECT COUNT(*) FROM document_series WHERE document_id = ?",
        vec![json!(id)],
    );
    total
}

#[test]
fn create_then_delete_round_trips_every_webhook_data_type() {
    let n = native();
    let webhook_types: Vec<_> = REGISTRY.iter().filter(|c| c.webhook).collect();
    assert_eq!(webhook_types.len(), 16);
    for c in webhook_types {
        let doc = fixture_values(c.name).into_iter().next().unwrap();
        let id = doc["id"].as_str().unwrap().to_string();
        n.http.on(&doc_url(c.name, &id), 200, &doc.to_string());
        let generation = try_block_on(sql_cache::generation(n.kv.as_ref())).unwrap();

        assert_eq!(run(&n, &[msg("create", c.name, &id, 1)]), [Verdict::Ack]);
        assert_eq!(raw_count(&n, c.name, &id), 1, "{} stored", c.name);
        assert_stats_exact(&n, &format!("after creating {}", c.name));
        let after_create = try_block_on(sql_cache::generation(n.kv.as_ref())).unwrap();
        assert_eq!(
            after_create,
            generation + 1,
            "{}: cache invalidated once",
            c.name
        );

        assert_eq!(run(&n, &[msg("delete", c.name, &id, 1)]), [Verdict::Ack]);
        assert_eq!(raw_count(&n, c.name, &id), 0, "{} raw gone", c.name);
        assert_eq!(typed_count(&n, &id), 0, "{} typed rows gone", c.name);
        assert_stats_exact(&n, &format!("after deleting {}", c.name));
    }
    // Every daily document was deleted, so no day is left behind.
    assert_eq!(count(&n, "SELECT COUNT(*) FROM daily_summaries", vec![]), 0);
    let fresh = count(&n, "SELECT COUNT(*) FROM webhook_freshness", vec![]);
    assert_eq!(fresh, 16);
    assert_eq!(
        count(
            &n,
            "SELECT processed FROM webhook_freshness WHERE data_type = 'sleep'",
            vec![]
        ),
        2
    );
}

#[test]
fn an_update_changes_the_stored_row() {
    let n = native();
    let mut doc = fixture_values("daily_readiness")
        .into_iter()
        .next()
        .unwrap();
    let id = doc["id"].as_str().unwrap().to_string();
    n.http
        .on(&doc_url("daily_readiness", &id), 200, &doc.to_string());
    run(&n, &[msg("create", "daily_readiness", &id, 1)]);
    doc["score"] = json!(42);
    n.http
        .on(&doc_url("daily_readiness", &id), 200, &doc.to_string());
    assert_eq!(
        run(&n, &[msg("update", "daily_readiness", &id, 1)]),
        [Verdict::Ack]
    );
    assert_eq!(
        count(
            &n,
            "SELECT readiness_score FROM daily_summaries WHERE readiness_id = ?",
            vec![json!(id)]
        ),
        42
    );
    assert_stats_exact(&n, "after an update");
}

#[test]
fn deleting_a_daily_type_clears_only_its_own_columns() {
    let n = native();
    let readiness = fixture_values("daily_readiness")
        .into_iter()
        .next()
        .unwrap();
    let sleep = fixture_values("daily_sleep").into_iter().next().unwrap();
    assert_eq!(readiness["day"], sleep["day"]);
    let day = readiness["day"].clone();
    let (rid, sid) = (
        readiness["id"].as_str().unwrap().to_string(),
        sleep["id"].as_str().unwrap().to_string(),
    );
    n.http.on(
        &doc_url("daily_readiness", &rid),
        200,
        &readiness.to_string(),
    );
    n.http
        .on(&doc_url("daily_sleep", &sid), 200, &sleep.to_string());
    run(
        &n,
        &[
            msg("create", "daily_readiness", &rid, 1),
            msg("create", "daily_sleep", &sid, 1),
        ],
    );
    let sleep_score = scalar(
        &n,
        "SELECT sleep_score FROM daily_summaries WHERE day = ?",
        vec![day.clone()],
    );
    assert!(sleep_score.is_number());

    // The object id is the document id, not the day (decisions.md #2).
    assert_eq!(
        run(&n, &[msg("delete", "daily_readiness", &rid, 1)]),
        [Verdict::Ack]
    );
    assert_eq!(
        scalar(
            &n,
            "SELECT readiness_score FROM daily_summaries WHERE day = ?",
            vec![day.clone()]
        ),
        Value::Null
    );
    assert_eq!(
        scalar(
            &n,
            "SELECT readiness_id FROM daily_summaries WHERE day = ?",
            vec![day.clone()]
        ),
        Value::Null
    );
    assert_eq!(
        scalar(
            &n,
            "SELECT sleep_score FROM daily_summaries WHERE day = ?",
            vec![day.clone()]
        ),
        sleep_score
    );
    assert_eq!(
        scalar(
            &n,
            "SELECT sleep_id FROM daily_summaries WHERE day = ?",
            vec![day.clone()]
        ),
        json!(sid)
    );
    assert_stats_exact(&n, "after clearing readiness");

    // A delete naming the day (the original's reading) touches nothing.
    assert_eq!(
        run(
            &n,
            &[msg("delete", "daily_sleep", day.as_str().unwrap(), 1)]
        ),
        [Verdict::Ack]
    );
    assert_eq!(count(&n, "SELECT COUNT(*) FROM daily_summaries", vec![]), 1);

    // The last collection on the day goes: so does the day.
    run(&n, &[msg("delete", "daily_sleep", &sid, 1)]);
    assert_eq!(count(&n, "SELECT COUNT(*) FROM daily_summaries", vec![]), 0);
    assert_stats_exact(&n, "after clearing the day");
}

#[test]
fn a_404_on_fetch_means_the_document_is_gone() {
    let n = native();
    let doc = fixture_values("workout").into_iter().next().unwrap();
    let id = doc["id"].as_str().unwrap().to_string();
    n.http.on(&doc_url("workout", &id), 200, &doc.to_string());
    run(&n, &[msg("create", "workout", &id, 1)]);
    assert_eq!(typed_count(&n, &id), 1);
    n.http.on(
        &doc_url("workout", &id),
        404,
        r#"{"detail":"Document not found."}"#,
    );
    assert_eq!(run(&n, &[msg("update", "workout", &id, 1)]), [Verdict::Ack]);
    assert_eq!(typed_count(&n, &id), 0);
    assert_eq!(raw_count(&n, "workout", &id), 0);
    assert_stats_exact(&n, "after a 404");
}

#[test]
fn transient_failures_retry_with_a_growing_delay() {
    let n = native();
    n.http
        .on(&doc_url("sleep", "s-1"), 503, r#"{"detail":"down"}"#);
    let delays: Vec<Verdict> = (1..=3)
        .map(|attempt| run(&n, &[msg("create", "sleep", "s-1", attempt)])[0])
        .collect();
    assert_eq!(
        delays,
        [
            Verdict::Retry { delay_seconds: 30 },
            Verdict::Retry { delay_seconds: 60 },
            Verdict::Retry { delay_seconds: 120 },
        ]
    );
    assert!(
        (1..9).all(|a| retry_delay(a, 30) < retry_delay(a + 1, 30) || retry_delay(a, 30) == 900)
    );
    assert_eq!(retry_delay(20, 30), 900);
    assert_eq!(
        count(&n, "SELECT COUNT(*) FROM webhook_dead_letters", vec![]),
        0
    );
    let err = scalar(
        &n,
        "SELECT last_error FROM webhook_freshness WHERE data_type = 'sleep'",
        vec![],
    );
    assert!(
        err.as_str()
            .is_some_and(|e| e.contains("503") || e.contains("unavailable")),
        "{err}"
    );
}

#[test]
fn the_retry_base_delay_is_configurable() {
    let base = |v: Option<&str>| {
        let v = v.map(str::to_string);
        Config::from_lookup(|n| {
            (n == "OURA_WEBHOOK_RETRY_BASE_SECONDS")
                .then(|| v.clone())
                .flatten()
        })
        .webhooks
        .retry_base_seconds
    };
    assert_eq!(base(None), 30);
    assert_eq!(base(Some("1")), 1);
    for bad in ["0", "-5", "soon", ""] {
        assert_eq!(base(Some(bad)), 30, "{bad:?}");
    }
    assert_eq!(base(Some("100000")), 1440, "queues delay at most 12 h");
    let one_second: Vec<u32> = (1..=9).map(|a| retry_delay(a, 1)).collect();
    assert_eq!(one_second, [1, 2, 4, 8, 16, 30, 30, 30, 30]);

    let n = native();
    n.http
        .on(&doc_url("sleep", "s-1"), 503, r#"{"detail":"down"}"#);
    let fast = Config::from_lookup(|k| match k {
        "OURA_WEBHOOK_RETRY_BASE_SECONDS" => Some("1".into()),
        other => config().get(other).map(str::to_string),
    });
    let verdicts = try_block_on(handle_batch(
        &n.platform,
        &fast,
        &[msg("create", "sleep", "s-1", 3)],
    ))
    .unwrap();
    assert_eq!(verdicts, [Verdict::Retry { delay_seconds: 4 }]);
}

#[test]
fn the_last_attempt_lands_in_the_dead_letter_table() {
    let n = native();
    n.http
        .on(&doc_url("sleep", "s-1"), 503, r#"{"detail":"down"}"#);
    assert_eq!(run(&n, &[msg("create", "sleep", "s-1", 9)]), [Verdict::Ack]);
    let r = try_block_on(n.db.query(&Statement::new(
        "SELECT event_type, data_type, object_id, attempts, error FROM webhook_dead_letters",
        vec![],
    )))
    .unwrap()
    .unwrap();
    assert_eq!(r.rows.len(), 1);
    let row = &r.rows[0];
    assert_eq!(row["event_type"], "create");
    assert_eq!(row["data_type"], "sleep");
    assert_eq!(row["object_id"], "s-1");
    assert_eq!(row["attempts"], 9);
    assert!(!row["error"].as_str().unwrap().is_empty());
}

#[test]
fn unusable_messages_are_dead_lettered_at_once_and_others_in_the_batch_proceed() {
    let n = native();
    let doc = fixture_values("tag").into_iter().next().unwrap();
    let id = doc["id"].as_str().unwrap().to_string();
    n.http.on(&doc_url("tag", &id), 200, &doc.to_string());
    n.http.on(
        &doc_url("sleep", "forbidden"),
        403,
        r#"{"detail":"Forbidden"}"#,
    );
    let verdicts = run(
        &n,
        &[
            Incoming {
                body: json!("not an event"),
                attempts: 1,
            },
            msg("create", "sleep", "forbidden", 1),
            msg("create", "tag", &id, 1),
            // oura-cf's object-shaped messages still parse.
            Incoming {
                body: json!({"eventType": "delete", "dataType": "tag", "objectId": id,
                              "eventTime": "2026-01-15T11:00:00Z", "userId": "u"}),
                attempts: 1,
            },
        ],
    );
    assert_eq!(verdicts, [Verdict::Ack; 4]);
    assert_eq!(
        count(&n, "SELECT COUNT(*) FROM webhook_dead_letters", vec![]),
        2
    );
    assert_eq!(
        raw_count(&n, "tag", &id),
        0,
        "created, then deleted by the old-format message"
    );
}

// ---------------------------------------------------------------- subscriptions

fn sub(id: &str, event: &str, data: &str, callback: &str, expires: &str) -> Value {
    json!({"id": id, "callback_url": callback, "event_type": event, "data_type": data,
           "expiration_time": expires})
}

fn admin_post(t: &TestApp, path: &str) -> Res {
    t.send(req(Method::Post, path).with_header("authorization", &bearer(ADMIN)))
}

const LIST_URL: &str = "https://oura.test/v2/webhook/subscription";

#[test]
fn sync_creates_only_the_missing_subscriptions() {
    let mut t = app();
    t.set_var("OURA_WEBHOOK_DATA_TYPES", "sleep, vO2_max, bogus, sleep");
    t.set_var("OURA_WEBHOOK_EVENT_TYPES", "create,delete,nonsense");
    t.native.http.queue(
        LIST_URL,
        200,
        &json!([
            sub(
                "1",
                "create",
                "sleep",
                CALLBACK,
                "2026-01-20T00:00:00+00:00"
            ),
            sub(
                "2",
                "delete",
                "sleep",
                "https://elsewhere.example/hook",
                "2026-01-20T00:00:00+00:00"
            ),
        ])
        .to_string(),
    );
    for _ in 0..3 {
        t.native.http.queue(
            LIST_URL,
            201,
            &sub(
                "new",
                "create",
                "sleep",
                CALLBACK,
                "2026-01-22T00:00:00+00:00",
            )
            .to_string(),
        );
    }
    let res = admin_post(&t, "/api/admin/oura/webhooks/sync");
    assert_eq!(res.status, 200, "{:?}", body_json(&res));
    let body = body_json(&res);
    assert_eq!(body["desired"], 4);
    assert_eq!(body["existing"], 1);
    assert_eq!(body["created"], 3);
    assert_eq!(body["callbackUrl"], CALLBACK);

    let posts: Vec<Value> = t
        .native
        .http
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| {
            let h = |n: &str| {
                r.headers
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(h("x-client-id").as_deref(), Some("client-id"));
            assert_eq!(h("x-client-secret").as_deref(), Some(SECRET));
            serde_json::from_slice(r.body.as_ref().unwrap()).unwrap()
        })
        .collect();
    let made: Vec<(String, String)> = posts
        .iter()
        .map(|p| {
            assert_eq!(p["callback_url"], CALLBACK);
            assert_eq!(p["verification_token"], VERIFY);
            (
                p["event_type"].as_str().unwrap().to_string(),
                p["data_type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("create", "vo2_max"),
        ("delete", "sleep"),
        ("delete", "vo2_max"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(made, want);
}

#[test]
fn sync_defaults_to_fourteen_types_and_three_events() {
    let t = app();
    t.native.http.queue(LIST_URL, 200, "[]");
    t.native.http.on(
        LIST_URL,
        201,
        &sub(
            "x",
            "create",
            "sleep",
            CALLBACK,
            "2026-01-22T00:00:00+00:00",
        )
        .to_string(),
    );
    let body = body_json(&admin_post(&t, "/api/admin/oura/webhooks/sync"));
    assert_eq!(body["desired"], 42);
    assert_eq!(body["created"], 42);
}

#[test]
fn sync_needs_a_callback_and_reports_oura_failures() {
    let mut t = app();
    t.vars.remove("OURA_WEBHOOK_CALLBACK_URL");
    let res = admin_post(&t, "/api/admin/oura/webhooks/sync");
    assert_eq!(res.status, 500);
    assert_eq!(
        body_json(&res)["error"],
        "Missing OURA_WEBHOOK_CALLBACK_URL secret"
    );

    let t = app();
    t.native.http.on(LIST_URL, 403, r#"{"detail":"Forbidden"}"#);
    let res = admin_post(&t, "/api/admin/oura/webhooks/sync");
    assert_eq!(res.status, 502);
    let body = body_json(&res);
    assert_eq!(body["error"], "Failed to sync Oura webhook subscriptions");
    assert!(body["details"].as_str().unwrap().contains("403"));

    let list = t.send(
        req(Method::Get, "/api/admin/oura/webhooks").with_header("authorization", &bearer(ADMIN)),
    );
    assert_eq!(list.status, 502);
    let grafana = t.send(
        req(Method::Get, "/api/admin/oura/webhooks").with_header("authorization", &bearer(GRAFANA)),
    );
    assert_eq!(grafana.status, 403);
}

#[test]
fn list_returns_the_subscriptions() {
    let t = app();
    t.native.http.on(
        LIST_URL,
        200,
        &json!([sub(
            "1",
            "create",
            "sleep",
            CALLBACK,
            "2026-01-20T00:00:00+00:00"
        )])
        .to_string(),
    );
    let res = t.send(
        req(Method::Get, "/api/admin/oura/webhooks").with_header("authorization", &bearer(ADMIN)),
    );
    assert_eq!(res.status, 200);
    let body = body_json(&res);
    assert_eq!(body["count"], 1);
    assert_eq!(body["subscriptions"][0]["id"], "1");
}

#[test]
fn renew_touches_only_those_expiring_soon() {
    let t = app();
    let list = json!([
        sub(
            "soon",
            "create",
            "sleep",
            CALLBACK,
            "2026-01-17T12:00:00.000+00:00"
        ),
        sub(
            "expired",
            "update",
            "sleep",
            CALLBACK,
            "2026-01-10T12:00:00+00:00"
        ),
        sub(
            "later",
            "delete",
            "sleep",
            CALLBACK,
            "2026-03-01T00:00:00+00:00"
        ),
        sub("junk", "delete", "sleep", CALLBACK, "whenever"),
    ])
    .to_string();
    t.native.http.on(LIST_URL, 200, &list);
    t.native.http.on(
        &format!("{LIST_URL}/renew/"),
        200,
        &sub(
            "r",
            "create",
            "sleep",
            CALLBACK,
            "2026-01-22T12:00:00+00:00",
        )
        .to_string(),
    );
    let res = admin_post(&t, "/api/admin/oura/webhooks/renew");
    assert_eq!(res.status, 200);
    let body = body_json(&res);
    assert_eq!(body["thresholdDays"], 7);
    assert_eq!(body["renewed"], 2);
    assert_eq!(body["skipped"], 2);
    let renewed: Vec<String> = t
        .native
        .http
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.url)
        .collect();
    assert_eq!(
        renewed,
        [
            format!("{LIST_URL}/renew/soon"),
            format!("{LIST_URL}/renew/expired")
        ]
    );

    // A longer horizon renews the later one too; the cron's entry point uses 7 days.
    let wide = body_json(&admin_post(&t, "/api/admin/oura/webhooks/renew?days=60"));
    assert_eq!(wide["renewed"], 3);
    let state = t.state();
    let report = try_block_on(renew_expiring(&state.platform, &state.config))
        .unwrap()
        .unwrap();
    assert_eq!(report.renewed, 2);
}

#[test]
fn webhook_queue_messages_are_strings_the_worker_can_carry() {
    // The queue adapter would flatten a JSON object (a JS Map) to {}.
    let m = msg("create", "sleep", "s-1", 1);
    assert!(m.body.is_string());
    assert_eq!(Event::from_message(&m.body).unwrap().object_id, "s-1");
}
