//! The cron run on native platform parts with a fixed clock: lock, gap
//! window, last-success metadata, OAuth-state cleanup, cache invalidation.

use oura_edge::services::collections::find;
use oura_edge::services::config::Config;
use oura_edge::services::cron::{
    self, window_start, CronOutcome, LastSuccess, Link, LAST_SUCCESS_KEY, LOCK_KEY,
};
use oura_edge::services::oura::{tokens, TokenSet, COLLECTIONS_KV_KEY};
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::platform::{Kv, Statement};
use oura_edge::services::sql_cache;
use oura_edge::services::webhooks::consumer::{handle_batch, Incoming, Verdict};
use oura_edge::services::{try_block_on, try_block_on_both};
use serde_json::{json, Value};
use std::future::Future;
use std::path::Path;

mod support;

/// 2026-01-15T12:00:00Z.
const NOW_MS: f64 = 1_768_478_400_000.0;
const DAY_MS: f64 = 86_400_000.0;
const API: &str = "https://api.test";
const TRIGGER: &str = "0 */2 * * *";

fn run<F: Future>(f: F) -> F::Output {
    try_block_on(f).expect("native futures complete")
}

fn config() -> Config {
    Config::from_lookup(|n| match n {
        "OURA_API_BASE_URL" => Some(API.to_string()),
        "OURA_TOKEN_URL" => Some("https://auth.test/oauth/token".to_string()),
        "OURA_DOCS_URL" => Some("https://docs.test/v2/docs".to_string()),
        _ => None,
    })
}

fn fixture_page(name: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/oura/{name}.json"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json!({"data": v["data"], "next_token": null}).to_string()
}

/// Tokens stored, discovery cached as `collections`, each answering its fixture.
fn ready(collections: &[&str]) -> NativePlatform {
    let n = NativePlatform::new(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")),
        NOW_MS,
    )
    .unwrap();
    let t = TokenSet {
        access_token: "A".into(),
        refresh_token: "R".into(),
        expires_at_ms: NOW_MS + 30.0 * DAY_MS,
        issued_at_ms: Some(NOW_MS),
        scope: None,
        token_type: Some("bearer".into()),
    };
    run(tokens::save(n.db.as_ref(), &t, NOW_MS)).unwrap();
    let cached = json!({"collections": collections, "unknown": []}).to_string();
    run(n.kv.put(COLLECTIONS_KV_KEY, &cached, None)).unwrap();
    for c in collections {
        n.http.on(
            &format!("{API}/v2/usercollection/{c}"),
            200,
            &fixture_page(c),
        );
    }
    n
}

/// The whole run: the scheduled invocation and every link it queued.
fn cron_run(n: &NativePlatform) -> CronOutcome {
    support::cron_to_end(n, &config(), || n.platform.clone()).0
}

fn report(o: CronOutcome) -> (LastSuccess, bool) {
    match o {
        CronOutcome::Ran {
            report,
            cache_invalidated,
            ..
        } => (report, cache_invalidated),
        other => panic!("expected a run, got {other:?}"),
    }
}

fn stored_last_success(n: &NativePlatform) -> LastSuccess {
    let text = run(n.kv.get(LAST_SUCCESS_KEY))
        .unwrap()
        .expect("last success");
    serde_json::from_str(&text).unwrap()
}

fn data_urls(n: &NativePlatform) -> Vec<String> {
    n.http
        .requests()
        .into_iter()
        .map(|r| r.url)
        .filter(|u| u.contains("/v2/usercollection/"))
        .collect()
}

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn window_is_three_to_thirty_days_reaching_back_to_the_last_success() {
    let today = day("2026-01-15");
    assert_eq!(window_start(today, None), day("2026-01-13"));
    // Synced an hour ago: still the last three days.
    assert_eq!(
        window_start(today, Some(NOW_MS - 3_600_000.0)),
        day("2026-01-13")
    );
    // A five-day outage: from the day before the last success.
    assert_eq!(
        window_start(today, Some(NOW_MS - 5.0 * DAY_MS)),
        day("2026-01-09")
    );
    // Longer than thirty days: bounded.
    assert_eq!(
        window_start(today, Some(NOW_MS - 90.0 * DAY_MS)),
        day("2025-12-17")
    );
}

#[test]
fn first_run_syncs_recent_days_records_success_and_invalidates_the_cache() {
    let n = ready(&["daily_readiness"]);
    let (r, invalidated) = report(cron_run(&n));
    assert!(r.failures.is_empty(), "{r:?}");
    let urls = data_urls(&n);
    assert_eq!(urls.len(), 1, "{urls:?}");
    assert!(
        urls[0].contains("start_date=2026-01-13") && urls[0].contains("end_date=2026-01-15"),
        "{}",
        urls[0]
    );
    let c = &r.collections["daily_readiness"];
    assert_eq!(c.documents, 14);
    assert!(c.rows_written > 0);
    assert_eq!(c.last_success_ms, Some(NOW_MS));
    assert!(invalidated);
    assert_eq!(run(sql_cache::generation(n.kv.as_ref())), 1);
    // Metadata as stored, and the lock is gone.
    let stored = stored_last_success(&n);
    assert_eq!(stored, r);
    assert_eq!(stored.trigger, TRIGGER);
    assert_eq!(stored.window.start, "2026-01-13");
    assert_eq!(stored.window.end, "2026-01-15");
    assert_eq!(run(n.kv.get(LOCK_KEY)).unwrap(), None);
}

#[test]
fn a_run_that_writes_nothing_leaves_the_cache_alone() {
    let n = ready(&["daily_readiness"]);
    report(cron_run(&n));
    n.clock.advance(2.0 * 3_600_000.0);
    let (r, invalidated) = report(cron_run(&n));
    assert_eq!(r.rows_written, 0);
    assert!(!invalidated);
    assert_eq!(run(sql_cache::generation(n.kv.as_ref())), 1);
    assert_eq!(stored_last_success(&n).at_ms, NOW_MS + 2.0 * 3_600_000.0);
}

#[test]
fn after_an_outage_the_window_reaches_back_to_the_last_success() {
    let n = ready(&["daily_readiness"]);
    report(cron_run(&n));
    n.clock.advance(6.0 * DAY_MS); // now 2026-01-21
    report(cron_run(&n));
    let urls = data_urls(&n);
    assert!(
        urls[1].contains("start_date=2026-01-14") && urls[1].contains("end_date=2026-01-21"),
        "{}",
        urls[1]
    );
    assert_eq!(stored_last_success(&n).window.start, "2026-01-14");
}

#[test]
fn a_failed_collection_keeps_its_old_mark_and_is_named() {
    let n = ready(&["daily_readiness", "daily_sleep"]);
    report(cron_run(&n));
    n.clock.advance(5.0 * DAY_MS); // 2026-01-20
    n.http
        .on(&format!("{API}/v2/usercollection/daily_sleep"), 400, "{}");
    let (r, _) = report(cron_run(&n));
    assert_eq!(r.failures, vec!["daily_sleep".to_string()]);
    assert!(r.collections["daily_sleep"].error.is_some());
    assert_eq!(r.collections["daily_sleep"].last_success_ms, Some(NOW_MS));
    assert_eq!(
        r.collections["daily_readiness"].last_success_ms,
        Some(NOW_MS + 5.0 * DAY_MS)
    );
    // Next run: daily_sleep still reaches back to its own last success.
    n.http.on(
        &format!("{API}/v2/usercollection/daily_sleep"),
        200,
        &fixture_page("daily_sleep"),
    );
    n.clock.advance(3_600_000.0);
    let (r, _) = report(cron_run(&n));
    assert!(r.failures.is_empty());
    assert_eq!(r.collections["daily_sleep"].start, "2026-01-14");
    assert_eq!(r.collections["daily_readiness"].start, "2026-01-18");
}

fn insert_state(n: &NativePlatform, state: &str, created_at: f64) {
    run(n.platform.db.query(&Statement::new(
        "INSERT INTO oura_oauth_states (state, user_id, created_at) VALUES (?1, 'default', ?2)",
        vec![json!(state), json!(created_at as i64)],
    )))
    .unwrap();
}

fn states(n: &NativePlatform) -> Vec<Value> {
    run(n.platform.db.query(&Statement::new(
        "SELECT state FROM oura_oauth_states ORDER BY state",
        vec![],
    )))
    .unwrap()
    .rows
    .into_iter()
    .map(|r| r["state"].clone())
    .collect()
}

#[test]
fn a_held_lock_skips_the_sync_but_still_purges_old_states() {
    let n = ready(&["daily_readiness"]);
    insert_state(&n, "old", NOW_MS - 16.0 * 60_000.0);
    insert_state(&n, "fresh", NOW_MS - 60_000.0);
    run(n.kv.put(LOCK_KEY, "someone else", Some(1_800))).unwrap();
    let outcome = cron_run(&n);
    assert_eq!(outcome, CronOutcome::Locked { states_purged: 1 });
    assert_eq!(states(&n), vec![json!("fresh")]);
    assert!(data_urls(&n).is_empty(), "no sync while locked");
    assert_eq!(run(n.kv.get(LAST_SUCCESS_KEY)).unwrap(), None);
    // The other run's lock is left alone.
    assert_eq!(
        run(n.kv.get(LOCK_KEY)).unwrap().as_deref(),
        Some("someone else")
    );
}

#[test]
fn the_lock_expires_so_a_crashed_run_does_not_block_the_schedule() {
    let n = ready(&["daily_readiness"]);
    run(n
        .kv
        .put(LOCK_KEY, "crashed run", Some(cron::LOCK_TTL_SECONDS)))
    .unwrap();
    assert!(matches!(cron_run(&n), CronOutcome::Locked { .. }));
    n.clock
        .advance((cron::LOCK_TTL_SECONDS + 1) as f64 * 1000.0);
    report(cron_run(&n));
}

#[test]
fn two_overlapping_runs_do_not_both_sync() {
    let n = ready(&["daily_readiness"]);
    n.http.set_pending_polls(5); // the first run is mid-fetch when the second starts
    let cfg = config();
    let (a, b) = try_block_on_both(
        cron::run(&n.platform, &cfg, TRIGGER),
        cron::run(&n.platform, &cfg, TRIGGER),
    )
    .expect("both futures complete");
    // The run that took the lock queued itself as a link (the scheduled
    // invocation syncs nothing); the other was locked out.
    let ran = [&a, &b]
        .iter()
        .filter(|o| matches!(o, CronOutcome::Continued { .. }))
        .count();
    let locked = [&a, &b]
        .iter()
        .filter(|o| matches!(o, CronOutcome::Locked { .. }))
        .count();
    assert_eq!((ran, locked), (1, 1), "{a:?} / {b:?}");
    assert_eq!(data_urls(&n).len(), 0);
    let links: Vec<Link> = n
        .queue
        .sent()
        .iter()
        .filter_map(Link::from_message)
        .collect();
    assert_eq!(links.len(), 1, "{links:?}");
    // The one queued run syncs the collection, once.
    let mut outcome = run(cron::resume(&n.platform, &cfg, links[0].clone()));
    while let CronOutcome::Continued { .. } = outcome {
        let sent = n.queue.sent();
        let next = sent.iter().rev().find_map(Link::from_message);
        outcome = run(cron::resume(&n.platform, &cfg, next.expect("next link")));
    }
    report(outcome);
    assert_eq!(data_urls(&n).len(), 1);
    // Released afterwards: the next run syncs.
    report(cron_run(&n));
}

/// A run of more collections than one invocation's share: the scheduled
/// invocation syncs nothing and queues them all as a link; each link syncs at most `UNITS_PER_LINK` units (`cron_units`; heart
/// rate and sleep a day at a time) and queues the next. The lock is held
/// and `sync:last_success` unwritten until the last link, which reports
/// every collection once.
#[test]
fn a_run_is_a_chain_of_links_each_within_its_share() {
    let names = [
        "daily_readiness",
        "daily_sleep",
        "daily_activity",
        "heartrate",
        "sleep",
        "workout",
    ];
    let n = ready(&names);
    let cfg = config();
    let first = run(cron::run(&n.platform, &cfg, TRIGGER));
    let CronOutcome::Continued { pending, .. } = &first else {
        panic!("expected a continued run, got {first:?}");
    };
    assert_eq!(pending.len(), names.len());
    assert_eq!(data_urls(&n).len(), 0);
    assert!(run(n.kv.get(LOCK_KEY)).unwrap().is_some(), "held");
    assert_eq!(run(n.kv.get(LAST_SUCCESS_KEY)).unwrap(), None);

    // The links go through the webhook queue's consumer.
    let mut seen = 0;
    let mut invocations = 1;
    let mut last_synced = Vec::new();
    let mut units_by_link = Vec::new();
    while run(n.kv.get(LAST_SUCCESS_KEY)).unwrap().is_none() {
        let sent = n.queue.sent();
        let links: Vec<_> = sent[seen..].to_vec();
        assert_eq!(links.len(), 1, "one next link: {links:?}");
        seen = sent.len();
        let before = data_urls(&n).len();
        let verdicts = run(handle_batch(
            &n.platform,
            &cfg,
            &[Incoming {
                body: links[0].clone(),
                attempts: 1,
            }],
        ));
        assert_eq!(verdicts, vec![Verdict::Ack]);
        invocations += 1;
        let synced: Vec<String> = data_urls(&n)[before..].to_vec();
        let units: u32 = synced
            .iter()
            .map(|u| {
                let path = u.split("/usercollection/").nth(1).unwrap_or_default();
                let name = path.split('?').next().unwrap_or_default();
                find(name).map_or(99, |c| c.cron_units)
            })
            .sum();
        assert!(
            synced.len() == 1 || units <= cron::UNITS_PER_LINK,
            "one link synced {synced:?}"
        );
        units_by_link.push(units);
        assert!(invocations <= 3 * names.len(), "the chain does not end");
        last_synced = synced;
    }
    // The first link, often the first sync in a fresh isolate, takes a
    // smaller share; the others take up to theirs.
    assert_eq!(units_by_link.first(), Some(&cron::UNITS_FIRST_LINK));
    assert_eq!(
        units_by_link.iter().max(),
        Some(&cron::UNITS_PER_LINK),
        "{units_by_link:?}"
    );
    // The run's end (subscriptions, cache, record) is a link of its own.
    assert!(
        last_synced.is_empty(),
        "the last link synced {last_synced:?}"
    );
    assert_eq!(
        run(n.kv.get(LOCK_KEY)).unwrap(),
        None,
        "released at the end"
    );
    let stored = stored_last_success(&n);
    assert_eq!(stored.collections.len(), names.len());
    assert!(stored.failures.is_empty() && stored.deferred.is_empty());
    // Each synced once: a heavy collection a day at a time (3 days).
    let tasks: usize = names
        .iter()
        .map(|c| {
            if find(c).unwrap().cron_units > 1 {
                3
            } else {
                1
            }
        })
        .sum();
    assert_eq!(data_urls(&n).len(), tasks, "{:?}", data_urls(&n));
    for c in ["heartrate", "sleep"] {
        assert_eq!(stored.collections[c].start, "2026-01-13");
        assert_eq!(stored.collections[c].last_success_ms, Some(NOW_MS));
    }
    assert_eq!(n.queue.sent().len(), invocations - 1);
}

/// Queues deliver at least once: a link delivered again after its run
/// ended syncs nothing and leaves the record alone.
#[test]
fn a_link_delivered_again_after_its_run_ended_is_dropped() {
    let n = ready(&["daily_readiness", "daily_sleep"]);
    let outcome = cron_run(&n);
    report(outcome);
    let stored = stored_last_success(&n);
    let link = n
        .queue
        .sent()
        .iter()
        .find_map(Link::from_message)
        .expect("the run had a second link");
    let urls = data_urls(&n).len();
    let again = run(cron::resume(&n.platform, &config(), link));
    assert!(matches!(again, CronOutcome::Skipped { .. }), "{again:?}");
    assert_eq!(data_urls(&n).len(), urls);
    assert_eq!(stored_last_success(&n), stored);
}

/// When the next link cannot be queued, the run ends at once: what it
/// reached is recorded, the rest is deferred with its marks, the lock freed.
#[test]
fn a_link_that_cannot_be_queued_defers_the_rest_to_the_next_run() {
    let n = ready(&["daily_readiness", "daily_sleep", "sleep"]);
    n.queue.set_failing(true);
    let (r, _) = report(cron_run(&n));
    assert_eq!(r.ran(), cron::UNITS_FIRST_LINK as usize);
    assert_eq!(r.deferred.len(), 3 - cron::UNITS_FIRST_LINK as usize);
    for name in &r.deferred {
        assert!(r.collections[name].deferred);
        assert_eq!(r.collections[name].last_success_ms, None);
    }
    assert_eq!(run(n.kv.get(LOCK_KEY)).unwrap(), None);
    // The next run starts with them.
    n.queue.set_failing(false);
    n.clock.advance(2.0 * 3_600_000.0);
    let before = data_urls(&n).len();
    report(cron_run(&n));
    let next = &data_urls(&n)[before..];
    assert!(next[0].contains(&r.deferred[0]), "{next:?}");
}

/// Without the queue, a collection synced a day per link is still finished
/// in the invocation that started it (past its share), so a run reports it
/// whole and the next run moves on to the deferred ones.
#[test]
fn without_the_queue_a_started_collection_is_finished_before_deferring() {
    let n = ready(&["heartrate", "daily_sleep"]);
    n.queue.set_failing(true);
    let (r, _) = report(cron_run(&n));
    assert_eq!(r.deferred, vec!["heartrate".to_string()]);
    // The next run starts with heart rate, a day at a time.
    n.clock.advance(2.0 * 3_600_000.0);
    let (r, _) = report(cron_run(&n));
    let hr = &r.collections["heartrate"];
    assert!(!hr.deferred, "{r:?}");
    assert_eq!((hr.start.as_str(), hr.windows), ("2026-01-13", 3));
    assert_eq!(hr.last_success_ms, Some(r.at_ms));
    assert_eq!(r.deferred, vec!["daily_sleep".to_string()]);
}
