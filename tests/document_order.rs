//! Deliveries, retries and cron windows finishing out of order (issue #14):
//! an older fetch never overwrites a newer one, a delete is not undone by a
//! fetch begun before it, and the typed row always holds the same version
//! as the raw document. Real SQLite with every migration; the "concurrent"
//! invocation runs while the first one's fetch is in flight.

mod support;

use oura_edge::services::collections::find;
use oura_edge::services::config::Config;
use oura_edge::services::documents::write_fetched;
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::platform::{Db, Platform, Statement};
use oura_edge::services::time::iso_timestamp;
use oura_edge::services::try_block_on;
use oura_edge::services::webhooks::consumer::{handle_batch, Incoming, Verdict};
use oura_edge::services::webhooks::Event;
use serde_json::{json, Value};
use std::cell::Cell;
use std::rc::Rc;
use support::{documents, fixture_values, migrations_dir, store_tokens, NOW_MS};

const API: &str = "https://oura.test";

fn config() -> Config {
    Config::from_lookup(|n| match n {
        "OURA_API_BASE_URL" => Some(API.into()),
        "OURA_CLIENT_ID" => Some("client-id".into()),
        "OURA_CLIENT_SECRET" => Some("client-secret".into()),
        _ => None,
    })
}

fn native() -> NativePlatform {
    let n = NativePlatform::new(migrations_dir(), NOW_MS).unwrap();
    store_tokens(&n, NOW_MS + 86_400_000.0);
    n
}

fn msg(event_type: &str, id: &str, attempts: u32) -> Incoming {
    let ev = Event {
        event_type: event_type.into(),
        data_type: "workout".into(),
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

fn url(id: &str) -> String {
    format!("{API}/v2/usercollection/workout/{id}")
}

fn batch(p: &Platform, messages: &[Incoming]) -> Vec<Verdict> {
    try_block_on(handle_batch(p, &config(), messages)).unwrap()
}

/// A workout with `calories`.
fn workout(calories: f64) -> (String, Value) {
    let mut doc = fixture_values("workout").into_iter().next().unwrap();
    doc["calories"] = json!(calories);
    (doc["id"].as_str().unwrap().to_string(), doc)
}

/// (typed `activity_logs.calories`, raw document's calories), if stored.
fn stored(n: &NativePlatform, id: &str) -> (Option<f64>, Option<f64>) {
    let one = |sql: &str| {
        try_block_on(n.db.query(&Statement::new(sql, vec![json!(id)])))
            .unwrap()
            .unwrap()
            .rows
            .first()
            .and_then(|r| r.values().next().and_then(Value::as_f64))
    };
    (
        one("SELECT calories FROM activity_logs WHERE id = ?1"),
        one(
            "SELECT json_extract(json, '$.calories') FROM oura_documents \
             WHERE collection = 'workout' AND id = ?1",
        ),
    )
}

/// While the first fetch of `id` is in flight, runs `meanwhile` once (another
/// invocation, a second later); the first fetch then answers `late`.
fn during_first_fetch(
    n: &NativePlatform,
    id: &str,
    late: (u16, String),
    meanwhile: impl Fn(&Platform) + 'static,
) {
    let (http, clock, platform) = (n.http.clone(), n.clock.clone(), n.platform.clone());
    let done = Rc::new(Cell::new(false));
    let target = url(id);
    n.http.set_observer(move |req| {
        if req.url != target || done.replace(true) {
            return;
        }
        clock.advance(1_000.0);
        meanwhile(&platform);
        // What the first fetch saw when Oura answered it, before the change.
        http.queue(&target, late.0, &late.1);
    });
}

#[test]
fn an_update_fetched_earlier_but_finished_later_does_not_win() {
    let n = native();
    let (id, v1) = workout(500.0);
    let (_, v2) = workout(509.0);
    n.http.on(&url(&id), 200, &v2.to_string());
    let second = id.clone();
    during_first_fetch(&n, &id, (200, v1.to_string()), move |p| {
        assert_eq!(batch(p, &[msg("update", &second, 1)]), [Verdict::Ack]);
    });
    // The first invocation began its fetch first and writes last: skipped,
    // acknowledged (a newer version is stored), not retried.
    assert_eq!(batch(&n.platform, &[msg("update", &id, 1)]), [Verdict::Ack]);
    assert_eq!(stored(&n, &id), (Some(509.0), Some(509.0)));
}

#[test]
fn a_delete_is_not_undone_by_a_fetch_begun_before_it() {
    let n = native();
    let (id, v1) = workout(500.0);
    n.http.on(&url(&id), 200, &v1.to_string());
    assert_eq!(batch(&n.platform, &[msg("create", &id, 1)]), [Verdict::Ack]);
    let (_, v2) = workout(505.0);
    let gone = id.clone();
    during_first_fetch(&n, &id, (200, v2.to_string()), move |p| {
        assert_eq!(batch(p, &[msg("delete", &gone, 1)]), [Verdict::Ack]);
    });
    assert_eq!(batch(&n.platform, &[msg("update", &id, 1)]), [Verdict::Ack]);
    assert_eq!(stored(&n, &id), (None, None), "the delete stands");
}

/// Retries and deliveries in any order: each processing fetches the
/// current version, so whatever arrives last, raw and typed agree on it.
#[test]
fn retries_and_deliveries_out_of_order_end_on_the_current_version() {
    let n = native();
    let (id, _) = workout(0.0);
    let orders: [&[(&str, u32)]; 3] = [
        &[("update", 3), ("create", 1), ("update", 1)],
        &[("update", 1), ("update", 2), ("create", 2)],
        &[("create", 4), ("update", 1), ("update", 5)],
    ];
    let mut calories = 500.0;
    for order in orders {
        for (event_type, attempts) in order {
            calories += 1.0;
            let (_, doc) = workout(calories);
            n.http.on(&url(&id), 200, &doc.to_string());
            n.clock.advance(1_000.0);
            assert_eq!(
                batch(&n.platform, &[msg(event_type, &id, *attempts)]),
                [Verdict::Ack]
            );
            assert_eq!(stored(&n, &id), (Some(calories), Some(calories)));
        }
    }
    // One batch carrying a late retry after the update it preceded.
    calories += 1.0;
    let (_, doc) = workout(calories);
    n.http.on(&url(&id), 200, &doc.to_string());
    let verdicts = batch(&n.platform, &[msg("update", &id, 1), msg("update", &id, 6)]);
    assert_eq!(verdicts, [Verdict::Ack, Verdict::Ack]);
    assert_eq!(stored(&n, &id), (Some(calories), Some(calories)));
}

/// A cron window fetched before a webhook's fetch finishes after it: the
/// webhook's newer document stays, the window's other documents are written.
#[test]
fn a_window_written_late_keeps_newer_documents_and_writes_the_rest() {
    let n = native();
    let c = find("workout").unwrap();
    let trees = fixture_values("workout");
    let docs = documents(&trees);
    assert!(docs.len() >= 2);
    let (first, other) = (
        trees[0]["id"].as_str().unwrap(),
        trees[1]["id"].as_str().unwrap(),
    );
    let window_began = iso_timestamp(NOW_MS);
    let mut newer = trees[0].clone();
    newer["calories"] = json!(777.0);
    let webhook = try_block_on(write_fetched(
        n.db.as_ref(),
        c,
        &documents(&[newer]),
        &iso_timestamp(NOW_MS + 1_000.0),
    ))
    .unwrap()
    .unwrap();
    assert!(webhook.stale.is_empty());
    let window = try_block_on(write_fetched(n.db.as_ref(), c, &docs, &window_began))
        .unwrap()
        .unwrap();
    assert_eq!(window.stale, [first.to_string()]);
    assert_eq!(stored(&n, first), (Some(777.0), Some(777.0)));
    let want = trees[1]["calories"].as_f64();
    assert_eq!(stored(&n, other), (want, want));
    // The same window again, unchanged and begun later: nothing to write.
    let again = try_block_on(write_fetched(
        n.db.as_ref(),
        c,
        &docs[1..],
        &iso_timestamp(NOW_MS + 2_000.0),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(again.report.rows_written, 0);
}
