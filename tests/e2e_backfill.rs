//! End to end: the backfill Workflow and the cron under `wrangler dev`
//! against the Oura simulator. One instance serves every check, in order
//! (later checks build on the data earlier ones stored). Needs
//! `make build-fast` and `cargo build -p oura-sim` first.

mod local_runtime;

use local_runtime::{today_utc, Sim, Wrangler};
use oura_edge::services::collections::REGISTRY;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const GRAFANA: &str = "e2e-bf-grafana-token";
const ADMIN: &str = "e2e-bf-admin-token";
const SIM_DAYS: u32 = 120;

struct Env {
    sim: Sim,
    w: Wrangler,
    /// A fresh client address per rate-limited request (1 a minute per IP).
    next_ip: std::cell::Cell<u32>,
}

impl Env {
    fn ip(&self) -> String {
        let n = self.next_ip.get() + 1;
        self.next_ip.set(n);
        format!("198.51.100.{n}")
    }

    fn admin(&self, method: &str, path: &str) -> (u16, Value) {
        let ip = self.ip();
        let auth = format!("Bearer {ADMIN}");
        let r = self.w.send(
            method,
            path,
            &[("authorization", &auth), ("cf-connecting-ip", &ip)],
            Some(b""),
        );
        (r.status, r.json())
    }

    fn sim_post(&self, path: &str, body: &Value) {
        let status = ureq::post(&format!("{}{path}", self.sim.base))
            .send_json(body.clone())
            .map(|r| r.status())
            .unwrap_or_else(|e| panic!("sim {path}: {e}"));
        assert!(status < 300, "sim {path}: {status}");
    }

    fn clear_faults(&self) {
        ureq::delete(&format!("{}/_sim/faults", self.sim.base))
            .call()
            .expect("clear faults");
    }

    /// Starts a backfill and polls its status until it is terminal.
    fn backfill(&self, query: &str) -> (String, Value) {
        let (status, started) = self.admin("POST", &format!("/backfill?{query}"));
        assert_eq!(status, 202, "{started}");
        let id = started["instanceId"]
            .as_str()
            .expect("instanceId")
            .to_string();
        let url = started["statusUrl"]
            .as_str()
            .expect("statusUrl")
            .to_string();
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            let (code, body) = self.admin("GET", &url);
            assert_eq!(code, 200, "{body}");
            match body["status"].as_str() {
                Some("complete") => return (id, body),
                Some("errored") | Some("terminated") => panic!("backfill {id} ended: {body}"),
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "backfill {id} not done in time: {body}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Documents stored for `name` over `[start, end]` (all, for undated ones).
    fn stored(&self, name: &str, range: Option<(&str, &str)>) -> usize {
        let auth = format!("Bearer {GRAFANA}");
        let range = range.map_or(String::new(), |(s, e)| format!("&start={s}&end={e}"));
        let mut total = 0;
        let mut cursor = String::new();
        loop {
            let r = self.w.send(
                "GET",
                &format!("/api/oura/{name}?limit=1000{range}&cursor={cursor}"),
                &[
                    ("authorization", &auth),
                    ("cf-connecting-ip", "198.51.100.250"),
                ],
                None,
            );
            assert_eq!(r.status, 200, "{name}");
            let body = r.json();
            total += body["data"].as_array().map_or(0, |d| d.len());
            match body["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => return total,
            }
        }
    }

    /// Asserts stored counts equal the simulator's for every collection
    /// `results` names; returns them.
    fn assert_complete(&self, results: &Value, start: &str, end: &str) -> Vec<(String, usize)> {
        let truth = self.sim.get(&format!(
            "/_sim/truth?start_date={start}&end_date={end}&ids=false"
        ));
        let everything = self.sim.get("/_sim/truth?ids=false");
        let mut counts = Vec::new();
        for r in results.as_array().expect("results") {
            let name = r["collection"].as_str().expect("collection");
            let undated = name == "ring_configuration" || name == "personal_info";
            let api = if name == "vo2_max" { "vO2_max" } else { name };
            let (expected, stored) = if undated {
                (&everything[api]["count"], self.stored(name, None))
            } else {
                (&truth[api]["count"], self.stored(name, Some((start, end))))
            };
            assert_eq!(json!(stored), *expected, "{name}: stored vs simulator");
            counts.push((name.to_string(), stored));
        }
        counts
    }
}

fn days_ago(n: i64) -> String {
    (today_utc() - chrono::Duration::days(n)).to_string()
}

fn ninety_days_of_everything_match_the_simulator_and_a_rerun_changes_nothing(e: &Env) {
    let (id, done) = e.backfill("days=90");
    let out = &done["output"];
    assert_eq!(out["failed"], 0, "{done}");
    assert_eq!(out["successful"], REGISTRY.len(), "{done}");
    assert!(out["totalRequests"].as_u64().unwrap() >= REGISTRY.len() as u64);
    let counts = e.assert_complete(&out["results"], &days_ago(89), &days_ago(0));
    assert_eq!(counts.len(), REGISTRY.len());
    for (name, p) in done["progress"]["collections"]
        .as_object()
        .expect("progress")
    {
        assert_eq!(p["state"], "done", "{name}");
        assert_eq!(p["windows_done"], p["windows_total"], "{name}");
    }
    eprintln!("e2e backfill {id}: {counts:?}");

    // The same parameters again (the first is complete, so a new instance).
    let (id2, again) = e.backfill("days=90");
    assert_ne!(id, id2);
    assert_eq!(again["output"]["failed"], 0, "{again}");
    assert_eq!(again["output"]["rowsWritten"], 0, "{again}");
    assert_eq!(
        e.assert_complete(&again["output"]["results"], &days_ago(89), &days_ago(0)),
        counts
    );
}

fn rate_limits_and_server_errors_still_end_complete(e: &Env) {
    e.clear_faults();
    e.sim_post(
        "/_sim/faults",
        &json!({"path_prefix": "/v2/usercollection/daily_sleep", "kind": "status",
                "status": 429, "retry_after": 1, "count": 3}),
    );
    // Six 503s: the first attempt's request fails all four tries, so the
    // step itself is retried by the Workflow.
    e.sim_post(
        "/_sim/faults",
        &json!({"path_prefix": "/v2/usercollection/heartrate", "kind": "status",
                "status": 503, "count": 6}),
    );
    e.sim_post(
        "/_sim/faults",
        &json!({"path_prefix": "/v2/usercollection/workout", "kind": "status",
                "status": 502, "count": 2}),
    );
    // Older days, not stored yet.
    let (_, done) = e.backfill("days=25&offset_days=90");
    let out = &done["output"];
    assert_eq!(out["failed"], 0, "{done}");
    let faulted: Vec<Value> = e
        .sim
        .get("/_sim/requests")
        .as_array()
        .expect("request log")
        .iter()
        .filter(|r| r["fault"].is_string() || r["fault"].as_bool() == Some(true))
        .cloned()
        .collect();
    assert_eq!(faulted.len(), 11, "every fault was served: {faulted:?}");
    // A step per 5-day window, and one of them retried once.
    let hr = &done["progress"]["collections"]["heartrate"];
    assert_eq!(
        hr["attempts"].as_u64(),
        hr["windows_total"].as_u64().map(|w| w + 1),
        "{hr}"
    );
    e.assert_complete(&out["results"], &days_ago(114), &days_ago(90));
    e.clear_faults();
}

fn a_collection_failing_for_good_is_named_and_the_rest_complete(e: &Env) {
    e.clear_faults();
    e.sim_post(
        "/_sim/faults",
        &json!({"path_prefix": "/v2/usercollection/tag", "kind": "status", "status": 500}),
    );
    let (_, done) = e.backfill("days=7&offset_days=100&resources=daily_readiness,tag,heartrate");
    e.clear_faults();
    let out = &done["output"];
    assert_eq!(out["failed"], 1, "{done}");
    assert_eq!(out["successful"], 2, "{done}");
    assert_eq!(out["failedCollections"], json!(["tag"]));
    let tag = &done["progress"]["collections"]["tag"];
    assert_eq!(tag["state"], "failed", "{tag}");
    assert!(tag["error"].as_str().unwrap_or("").contains("500"), "{tag}");
    assert_eq!(tag["attempts"], 3, "{tag}");
    let ok: Vec<Value> = out["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["success"] == true)
        .cloned()
        .collect();
    e.assert_complete(&json!(ok), &days_ago(106), &days_ago(100));
}

fn unknown_status_ids_are_404(e: &Env) {
    let (code, body) = e.admin("GET", "/backfill/status?id=backfill-nope");
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["error"], "Workflow instance not found");
    let (code, body) = e.admin("POST", "/backfill?days=0");
    assert_eq!(code, 400, "{body}");
}

fn scheduled(e: &Env) -> u16 {
    e.w.send("GET", "/__scheduled?cron=0+*/2+*+*+*", &[], None)
        .status
}

/// Polls until `done` holds or `deadline` passes; the log is in the panic.
fn until(e: &Env, what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < deadline,
            "{what}: not within {deadline:?}\n{}",
            e.w.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn cron_runs(e: &Env) -> usize {
    e.w.log().matches("cron finished: ran").count()
}

fn cron_syncs_recent_changes_and_overlapping_runs_do_not_both_sync(e: &Env) {
    // Change the newest readiness document upstream.
    let truth = e.sim.get(&format!(
        "/_sim/truth?collection=daily_readiness&start_date={}&end_date={}",
        days_ago(1),
        days_ago(0)
    ));
    let id = truth["daily_readiness"]["ids"]
        .as_array()
        .and_then(|ids| ids.last())
        .and_then(Value::as_str)
        .expect("a recent readiness document")
        .to_string();
    e.sim_post(
        "/_sim/documents",
        &json!({"collection": "daily_readiness", "op": "update", "id": id,
                "document": {"score": 7}}),
    );
    assert_eq!(scheduled(e), 200);
    // The log reaches its file, and the local D1 its reader, a moment after
    // the handler answers: poll both.
    // A run is a chain of links through the queue, each after the
    // consumer's 1 s batch wait.
    until(e, "the cron run logged", Duration::from_secs(120), || {
        e.w.log().contains("cron: recorded sync:last_success") && cron_runs(e) == 1
    });
    until(
        e,
        "the changed score stored",
        Duration::from_secs(30),
        || {
            let rows = e.w.d1(&format!(
                "SELECT readiness_score FROM daily_summaries WHERE readiness_id = '{id}'"
            ));
            rows[0]["readiness_score"] == 7
        },
    );
    let ran_before = cron_runs(e);

    // Two at once: one syncs, the other finds the lock.
    let base = e.w.base.clone();
    let fire = move || {
        local_runtime::send_url(
            "GET",
            &format!("{base}/__scheduled?cron=0+*/2+*+*+*"),
            &[],
            None,
        )
        .status
    };
    let (a, b) = (std::thread::spawn(fire.clone()), std::thread::spawn(fire));
    assert_eq!((a.join().unwrap(), b.join().unwrap()), (200, 200));
    // A run syncs every collection: allow for a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let log = e.w.log();
        let ran = log.matches("cron finished: ran").count() - ran_before;
        let locked = log.matches("cron finished: locked").count();
        if ran + locked >= 2 {
            assert_eq!((ran, locked), (1, 1), "{log}");
            break;
        }
        assert!(Instant::now() < deadline, "cron runs did not finish: {log}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Oura may shorten token lifetimes: with 8 s tokens a cron run refreshes
/// about once per 6 s of its run (a quarter of the lifetime is the margin),
/// not before every upstream call as it once did (16 times in one run).
fn short_lived_tokens_are_refreshed_once_per_lifetime(e: &Env) {
    e.sim_post("/_sim/config", &json!({"access_token_ttl": 8}));
    // The stored token lives an hour: revoke it so the next call refreshes.
    e.sim_post(
        "/_sim/faults",
        &json!({"path_prefix": "/v2/usercollection/", "kind": "revoke_token", "count": 1}),
    );
    ureq::delete(&format!("{}/_sim/requests", e.sim.base))
        .call()
        .expect("clear the request log");
    let before = cron_runs(e);
    let started = Instant::now();
    assert_eq!(scheduled(e), 200);
    until(e, "the cron run finished", Duration::from_secs(120), || {
        cron_runs(e) > before
    });
    let took = started.elapsed();
    let requests = e.sim.get("/_sim/requests");
    let paths: Vec<&str> = requests
        .as_array()
        .expect("request log")
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    let refreshes = paths
        .iter()
        .filter(|p| p.starts_with("/oauth/token"))
        .count();
    let data = paths
        .iter()
        .filter(|p| p.starts_with("/v2/usercollection/"))
        .count();
    eprintln!(
        "8 s tokens: a cron run of {took:?} made {data} data calls and {refreshes} refreshes"
    );
    e.sim_post("/_sim/config", &json!({"access_token_ttl": 3600}));
    e.clear_faults();
    assert!(data >= 10, "{paths:?}");
    assert!(refreshes >= 1, "the revoked token was replaced: {paths:?}");
    let allowed = 1 + (took.as_secs_f64() / 6.0).ceil() as usize;
    assert!(
        refreshes <= allowed,
        "{refreshes} refreshes for {data} calls in {took:?} (at most {allowed}): {paths:?}"
    );
}

type Check = (&'static str, fn(&Env));

#[test]
fn e2e_backfill_and_cron_against_wrangler_dev() {
    let sim = Sim::start(SIM_DAYS, &today_utc().to_string(), "+00:00");
    let mut vars: Vec<(String, String)> = [("GRAFANA_SECRET", GRAFANA), ("ADMIN_SECRET", ADMIN)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.extend(sim.worker_vars());
    // Ninety days of everything write about as many rows as the default
    // daily budget allows; the pause itself is tested in tests/quota.rs.
    vars.push(("D1_DAILY_WRITE_BUDGET".into(), "10000000".into()));
    let w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("connected to the simulator");
    let e = Env {
        sim,
        w,
        next_ip: std::cell::Cell::new(0),
    };
    let checks: [Check; 6] = [
        ("unknown status ids are 404", unknown_status_ids_are_404),
        (
            "90-day backfill of everything matches the simulator; a rerun changes nothing",
            ninety_days_of_everything_match_the_simulator_and_a_rerun_changes_nothing,
        ),
        (
            "429 and 5xx faults: the backfill still completes with complete data",
            rate_limits_and_server_errors_still_end_complete,
        ),
        (
            "a permanently failing collection is named; the rest complete",
            a_collection_failing_for_good_is_named_and_the_rest_complete,
        ),
        (
            "cron syncs recent changes; overlapping runs do not both sync",
            cron_syncs_recent_changes_and_overlapping_runs_do_not_both_sync,
        ),
        (
            "8 s tokens: refreshed once per lifetime, not per call",
            short_lived_tokens_are_refreshed_once_per_lifetime,
        ),
    ];
    let mut failed = Vec::new();
    for (name, check) in checks {
        let started = Instant::now();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&e))) {
            Ok(()) => eprintln!("e2e ok   {name} ({} ms)", started.elapsed().as_millis()),
            Err(_) => {
                eprintln!("e2e FAIL {name}");
                failed.push(name);
            }
        }
    }
    assert!(
        failed.is_empty(),
        "failed e2e checks: {failed:?}\n--- wrangler log ---\n{}",
        e.w.log()
    );
}
