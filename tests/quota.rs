//! Free-tier limits with a clock we control: a backfill larger than the
//! daily write budget pauses until the next UTC day and completes, and no
//! invocation (cron run, queue batch, backfill step) makes more D1 calls
//! than the free plan's 50.

mod support;

use chrono::NaiveDate;
use oura_edge::router::{BoxFut, Method};
use oura_edge::services::backfill::{self, MemSteps, Params};
use oura_edge::services::collections::{find, REGISTRY};
use oura_edge::services::config::Config;
use oura_edge::services::oura::{windows, COLLECTIONS_KV_KEY};
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::platform::{Clock, Db, Kv, Sleeper, Statement, Workflows};
use oura_edge::services::try_block_on;
use oura_edge::services::usage::{self, metered, Meter, Usage, FREE_QUERIES_PER_INVOCATION};
use oura_edge::services::webhooks::consumer::{handle_batch, Incoming, Verdict};
use oura_edge::services::webhooks::Event;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use support::{bearer, body_json, fixture_values, req, store_tokens, TestApp, ADMIN, NOW_MS};

const API: &str = "https://api.test";
const DAY_MS: f64 = 86_400_000.0;

fn run<F: Future>(f: F) -> F::Output {
    try_block_on(f).expect("native futures complete")
}

fn config(extra: &[(&str, &str)]) -> Config {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(move |n| match n {
        "OURA_API_BASE_URL" => Some(API.to_string()),
        "OURA_TOKEN_URL" => Some("https://auth.test/oauth/token".to_string()),
        "OURA_DOCS_URL" => Some("https://docs.test/v2/docs".to_string()),
        "OURA_CLIENT_ID" => Some("client-id".to_string()),
        "OURA_CLIENT_SECRET" => Some("client-secret".to_string()),
        _ => extra.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()),
    })
}

/// Tokens stored and the collections discovered.
fn connect(n: &NativePlatform, collections: &[&str]) {
    store_tokens(n, NOW_MS + 400.0 * DAY_MS);
    let cached = json!({"collections": collections, "unknown": []}).to_string();
    run(n.kv.put(COLLECTIONS_KV_KEY, &cached, None)).unwrap();
}

fn page(data: &[Value]) -> String {
    json!({"data": data, "next_token": null}).to_string()
}

/// Heart rate every 30 minutes of every day in `[from, to]`.
/// Heart rate every 5 minutes, as the ring records it.
fn samples(from: NaiveDate, to: NaiveDate) -> Vec<Value> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .flat_map(|d| {
            (0..288).map(move |i| {
                json!({"bpm": 50 + i % 30, "source": "awake",
                       "timestamp": format!("{d}T{:02}:{:02}:00+00:00", i / 12, (i % 12) * 5)})
            })
        })
        .collect()
}

/// Records `/backfill/status` whenever the workflow sleeps, then sleeps on
/// the manual clock.
struct StatusAtSleep {
    app: Rc<TestApp>,
    id: String,
    seen: RefCell<Vec<Value>>,
}

impl Sleeper for StatusAtSleep {
    fn sleep(&self, ms: u64) -> BoxFut<'_, ()> {
        let res = self.app.send(
            req(Method::Get, &format!("/backfill/status?id={}", self.id))
                .with_header("authorization", &bearer(ADMIN)),
        );
        self.seen.borrow_mut().push(body_json(&res));
        self.app.native.clock.advance(ms as f64);
        Box::pin(async {})
    }
}

fn usage_rows(n: &NativePlatform) -> Vec<(String, Usage)> {
    run(n.db.query(&Statement::new(
        "SELECT * FROM usage_daily ORDER BY day",
        vec![],
    )))
    .unwrap()
    .rows
    .iter()
    .map(|r| (r["day"].as_str().unwrap().to_string(), Usage::from_row(r)))
    .collect()
}

#[test]
fn a_backfill_larger_than_the_budget_pauses_and_resumes_the_next_day() {
    const BUDGET: u64 = 6_000;
    let app = Rc::new(TestApp::new());
    let n = &app.native;
    connect(n, &["heartrate"]);
    let (start, end) = (
        NaiveDate::from_ymd_opt(2025, 12, 22).unwrap(),
        NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
    );
    let hr = find("heartrate").unwrap();
    let all = windows(hr, start, end);
    assert_eq!(all.len(), 5, "25 days in 5-day windows");
    let mut expected = 0;
    for (from, to) in &all {
        let data = samples(*from, *to);
        expected += data.len();
        n.http.on(
            &format!("{API}/v2/usercollection/heartrate?start_datetime={from}"),
            200,
            &page(&data),
        );
    }
    let id = "bf-quota".to_string();
    let params = Params {
        instance_id: id.clone(),
        total_days: 25,
        offset_days: 0,
        start: start.to_string(),
        end: end.to_string(),
        resources: Vec::new(),
    };
    run(n
        .workflows
        .create(Some(&id), &serde_json::to_value(&params).unwrap()))
    .unwrap();
    n.workflows.set_status(&id, json!({"status": "running"}));

    let observer = Rc::new(StatusAtSleep {
        app: app.clone(),
        id: id.clone(),
        seen: RefCell::new(Vec::new()),
    });
    let steps = MemSteps::with_sleeper(observer.clone());
    let meter = Meter::new();
    let platform = metered(&n.platform, &meter, 60_000.0);
    let cfg = config(&[("D1_DAILY_WRITE_BUDGET", &BUDGET.to_string())]);
    let out = run(backfill::run(&steps, &platform, &cfg, &params));
    run(usage::finish(&platform));

    // Complete data, every window once.
    assert_eq!(out["failed"], 0, "{out}");
    assert_eq!(out["results"][0]["windows"], 5);
    let stored = run(n.db.query(&Statement::new(
        "SELECT COUNT(*) AS n FROM heart_rate_samples",
        vec![],
    )))
    .unwrap()
    .rows[0]["n"]
        .as_u64()
        .unwrap();
    assert_eq!(stored as usize, expected);

    // It slept twice, each time to just after the next UTC midnight, and
    // each day stayed within the budget.
    let sleeps = steps.sleeps();
    assert_eq!(sleeps.len(), 2, "{sleeps:?}");
    // A window (1,440 samples) is a step: the third step pauses.
    assert_eq!(sleeps[0].0, "quota:heartrate:2");
    let midnight = |day: u32| {
        NaiveDate::from_ymd_opt(2026, 1, day)
            .unwrap()
            .and_hms_opt(0, 5, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis() as f64
    };
    assert!(n.clock.now_ms() >= midnight(17));
    let days = usage_rows(n);
    assert_eq!(
        days.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>(),
        vec!["2026-01-15", "2026-01-16", "2026-01-17"]
    );
    for (day, u) in &days {
        assert!(u.d1_rows_written <= BUDGET, "{day}: {u:?}");
    }
    // Two windows (~2,900 rows each: a sample, its key, the day aggregates) a day; then the last.
    for (day, u) in days.iter().take(2) {
        assert!(u.d1_rows_written > BUDGET * 8 / 10, "{day}: {u:?}");
    }

    // While asleep, /backfill/status said why and until when.
    let seen = observer.seen.borrow();
    assert_eq!(seen.len(), 2);
    let first = &seen[0];
    assert_eq!(first["paused"]["collection"], "heartrate", "{first}");
    assert_eq!(first["paused"]["resumesAt"], "2026-01-16T00:05:00.000Z");
    assert!(first["paused"]["reason"]
        .as_str()
        .unwrap()
        .contains("D1_DAILY_WRITE_BUDGET"));
    let p = &first["progress"]["collections"]["heartrate"];
    assert_eq!(p["state"], "paused");
    assert_eq!(
        (p["windows_done"].as_u64(), p["windows_total"].as_u64()),
        (Some(2), Some(5))
    );
    assert_eq!(seen[1]["paused"]["resumesAt"], "2026-01-17T00:05:00.000Z");

    // Done: no longer paused.
    let done = body_json(
        &app.send(
            req(Method::Get, &format!("/backfill/status?id={id}"))
                .with_header("authorization", &bearer(ADMIN)),
        ),
    );
    assert!(done.get("paused").is_none(), "{done}");
    assert_eq!(
        done["progress"]["collections"]["heartrate"]["state"],
        "done"
    );
}

/// Every collection's fixture behind its list URL and its document URLs.
fn serve_fixtures(n: &NativePlatform) {
    for c in REGISTRY {
        let docs = fixture_values(c.name);
        n.http.on(
            &format!("{API}/v2/usercollection/{}", c.api_path),
            200,
            &page(&docs),
        );
        for doc in &docs {
            if let Some(id) = doc["id"].as_str() {
                n.http.on(
                    &format!("{API}/v2/usercollection/{}/{id}", c.api_path),
                    200,
                    &doc.to_string(),
                );
            }
        }
    }
}

fn peak(u: &Usage) -> u64 {
    u.d1_max_queries_per_invocation
}

#[test]
fn no_invocation_exceeds_fifty_d1_queries() {
    let app = TestApp::new();
    let n = &app.native;
    let names: Vec<&str> = REGISTRY.iter().map(|c| c.name).collect();
    connect(n, &names);
    serve_fixtures(n);
    let cfg = config(&[]);
    let meter = Meter::new();

    // A cron run over every collection, its first (widest) window: 30 days.
    n.clock.advance(31.0 * DAY_MS);
    // Each link its own invocation; the day's peak is the largest link.
    let (outcome, links) = support::cron_to_end(n, &cfg, || metered(&n.platform, &meter, 60_000.0));
    assert!(links > 1, "{links}");
    let cron = run(usage::today(&n.platform)).unwrap();
    assert!(
        outcome.summary().contains("failures []"),
        "{}",
        outcome.summary()
    );
    assert!(cron.d1_queries > REGISTRY.len() as u64 / 2, "{cron:?}");

    // A full queue batch (10 messages) of creates for different types.
    let messages: Vec<Incoming> = REGISTRY
        .iter()
        .filter(|c| c.webhook)
        .take(10)
        .map(|c| {
            let id = fixture_values(c.name)[0]["id"]
                .as_str()
                .unwrap()
                .to_string();
            let ev = Event {
                event_type: "create".into(),
                data_type: c.name.into(),
                object_id: id,
                event_time: "2026-02-15T11:59:30.000+00:00".into(),
                user_id: "user-1".into(),
                received_at_ms: Some(n.clock.now_ms()),
            };
            Incoming {
                body: ev.to_message(),
                attempts: 1,
            }
        })
        .collect();
    assert_eq!(messages.len(), 10);
    let p = metered(&n.platform, &meter, 60_000.0);
    let verdicts = run(handle_batch(&p, &cfg, &messages));
    run(usage::finish(&p));
    assert!(verdicts.iter().all(|v| *v == Verdict::Ack), "{verdicts:?}");
    let queue = p.usage.as_ref().unwrap().used();

    // A two-year backfill of every collection, the next day (so its usage
    // row is its own): each step its own invocation.
    n.clock.advance(DAY_MS);
    let end = NaiveDate::from_ymd_opt(2026, 2, 15).unwrap();
    let params = Params {
        instance_id: "bf-peak".into(),
        total_days: 730,
        offset_days: 0,
        start: (end - chrono::Days::new(729)).to_string(),
        end: end.to_string(),
        resources: Vec::new(),
    };
    let steps = MemSteps::default();
    let bf_meter = Meter::new();
    let p = metered(&n.platform, &bf_meter, 60_000.0);
    let out = run(backfill::run(&steps, &p, &cfg, &params));
    assert_eq!(out["failed"], 0, "{out}");
    let today = run(usage::today(&p)).unwrap();
    // Heart rate: 26 windows of 29 days, so several steps.
    assert!(steps.attempts().contains(&"sync:heartrate:3".to_string()));

    for (path, u) in [
        ("cron", cron),
        ("queue batch", queue),
        ("backfill step", today),
    ] {
        assert!(
            peak(&u) < FREE_QUERIES_PER_INVOCATION,
            "{path}: {} D1 queries in one invocation",
            peak(&u)
        );
    }
    println!(
        "peak D1 queries per invocation: cron {}, queue batch of 10 {}, backfill step {}",
        peak(&cron),
        peak(&queue),
        peak(&today)
    );
}

#[test]
fn a_low_query_limit_splits_the_work_instead_of_exceeding_it() {
    let app = TestApp::new();
    let n = &app.native;
    let names: Vec<&str> = REGISTRY.iter().map(|c| c.name).collect();
    connect(n, &names);
    serve_fixtures(n);
    // A plan that allows only 12 calls per invocation.
    let cfg = config(&[("D1_QUERIES_PER_INVOCATION", "12")]);
    let meter = Meter::new();
    // The cron run: more links, each within the limit, every collection synced.
    let (outcome, _) = support::cron_to_end(n, &cfg, || metered(&n.platform, &meter, 60_000.0));
    assert!(
        outcome.summary().contains("failures []"),
        "{}",
        outcome.summary()
    );
    let today = run(usage::today(&n.platform)).unwrap();
    assert!(today.d1_max_queries_per_invocation <= 12, "{today:?}");
    let last = run(oura_edge::services::cron::last_success(&n.platform)).unwrap();
    assert!(last.deferred.is_empty(), "{:?}", last.deferred);
    assert_eq!(last.ran(), names.len());

    // The backfill: more, smaller steps; every window still synced.
    let end = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    let params = Params {
        instance_id: "bf-small".into(),
        total_days: 365,
        offset_days: 0,
        start: (end - chrono::Days::new(364)).to_string(),
        end: end.to_string(),
        resources: vec!["heartrate".into()],
    };
    let steps = MemSteps::default();
    let p = metered(&n.platform, &Meter::new(), 60_000.0);
    let out = run(backfill::run(&steps, &p, &cfg, &params));
    assert_eq!(out["failed"], 0, "{out}");
    let hr = find("heartrate").unwrap();
    let all = windows(hr, end - chrono::Days::new(364), end);
    assert!(all.len() > 13, "smaller than Oura's 29-day windows");
    assert_eq!(out["results"][0]["windows"], all.len());
    let today = run(usage::today(&p)).unwrap();
    assert!(today.d1_max_queries_per_invocation <= 12, "{today:?}");
}

/// When a run cannot queue its next link, each run starts with what the
/// last one deferred: every collection is reached in turn. A deferred collection is reported as deferred
/// (not as ran, not as failed), its own mark stays, and `/status` names it.
#[test]
fn deferred_collections_go_first_in_the_next_run() {
    let app = TestApp::new();
    let n = &app.native;
    let names: Vec<&str> = REGISTRY.iter().map(|c| c.name).collect();
    connect(n, &names);
    serve_fixtures(n);
    let cfg = config(&[]);
    // No link can be queued, so each run syncs its first link's share.
    n.queue.set_failing(true);
    let mut synced: std::collections::BTreeSet<String> = Default::default();
    let mut runs = 0;
    while synced.len() < names.len() {
        runs += 1;
        assert!(
            runs <= names.len(),
            "starved after {runs} runs: only {synced:?}"
        );
        let before = run(oura_edge::services::cron::last_success(&n.platform)).unwrap_or_default();
        let p = metered(&n.platform, &Meter::new(), 60_000.0);
        let outcome = run(oura_edge::services::cron::run(&p, &cfg, "0 */2 * * *"));
        run(usage::finish(&p));
        let last = run(oura_edge::services::cron::last_success(&n.platform)).unwrap();
        assert!(
            !last.deferred.is_empty(),
            "run {runs}: the limit defers some"
        );
        assert!(last.failures.is_empty(), "{:?}", last.failures);
        let summary = outcome.summary();
        assert!(
            summary.starts_with(&format!("ran: {} collections", last.ran())),
            "{summary}"
        );
        assert!(last.ran() < names.len(), "{summary}");
        // The run began with what the previous one deferred, in its order.
        let took = before.deferred.len().min(last.ran());
        for name in &before.deferred[..took] {
            assert!(
                !last.collections[name].deferred,
                "run {runs}: {name} deferred twice"
            );
        }
        for name in &last.deferred {
            let s = &last.collections[name];
            assert_eq!(s.error, None, "deferred is not a failure");
            let old = before.collections.get(name).and_then(|s| s.last_success_ms);
            assert_eq!(s.last_success_ms, old, "{name}: its mark stays");
        }
        synced.extend(
            last.collections
                .iter()
                .filter(|(_, s)| !s.deferred)
                .map(|(k, _)| k.clone()),
        );
        n.clock.advance(2.0 * 3_600_000.0);
    }
    assert!(runs >= 2, "the limit should have split the work");
    let page = app
        .send(req(Method::Get, "/status").with_header("authorization", &bearer(support::GRAFANA)));
    let html = String::from_utf8_lossy(&page.body).to_string();
    let last = run(oura_edge::services::cron::last_success(&n.platform)).unwrap();
    assert!(html.contains("Deferred to the next run"), "{html}");
    assert!(html.contains(last.deferred[0].as_str()), "{html}");
}
