//! A simulated day against the free tier (issue #8): on a database holding
//! two years of data (a 730-day backfill first, not measured), one day is
//! replayed as fast as possible under `wrangler dev` and the simulator:
//! 12 cron runs, 40 signed webhook deliveries for documents changed in the
//! simulator (drained through the queue), and a Grafana refresh of the
//! dashboard every 5 minutes for 8 hours (96 refreshes; the dashboard's own
//! default range, `now-90d`…`now`, moving 5 minutes each refresh). Grafana
//! queries only the panels of expanded rows (collapsed rows stay closed, as
//! on a wall display), then the same day again with every row open
//! (`SIMDAY_ROWS=expanded` or `all` runs one of them).
//!
//! Measured by the usage meter: `usage.today` of `/api/db/info` before and
//! after the day (D1, KV, requests, Analytics Engine points, Queues
//! operations). `SIMDAY_VARS="NAME=value,…"` adds worker vars, e.g. a larger
//! `USAGE_QUOTA_D1_ROWS_READ` to measure a day `/api/sql`'s share would cut. The worker is restarted after the backfill, so the day
//! runs in one fresh isolate; `/api/db/info` adds that isolate's unflushed
//! counts to what is persisted (one isolate under `wrangler dev`: exact), so
//! the default `USAGE_FLUSH_SECONDS` stays on and the meter's own upserts
//! cost what they cost in production (at most one per minute of read-only
//! traffic). `make bench`.

#[path = "../tests/dashboard/mod.rs"]
mod dashboard;
#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use local_runtime::{send_url, today_utc, Sim, Wrangler};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ADMIN: &str = "bench-admin-token";
const GRAFANA: &str = "bench-grafana";
const DAYS: u32 = 730;
const CRON_RUNS: usize = 12;
const REFRESHES: i64 = 96;
const REFRESH_MS: i64 = 5 * 60 * 1000;
const CRON: &str = "/__scheduled?cron=0+*/2+*+*+*";

/// The day's webhook deliveries: (collection, field changed, deliveries).
const WEBHOOKS: &[(&str, &str, usize)] = &[
    ("daily_activity", "steps", 14),
    ("daily_stress", "stress_high", 6),
    ("daily_readiness", "score", 4),
    ("daily_sleep", "score", 4),
    ("sleep", "lowest_heart_rate", 4),
    ("workout", "calories", 4),
    ("daily_spo2", "breathing_disturbance_index", 2),
    ("enhanced_tag", "comment", 2),
];

fn vars(sim: &Sim) -> Vec<(String, String)> {
    let mut v = sim.worker_vars();
    v.push(("ADMIN_SECRET".into(), ADMIN.into()));
    v.push(("GRAFANA_SECRET".into(), GRAFANA.into()));
    // Setup only: two years in one go (the budget would spread them over days).
    v.push(("D1_DAILY_WRITE_BUDGET".into(), "100000000".into()));
    // `SIMDAY_VARS="NAME=value,…"`: more vars, e.g. a larger read quota to
    // measure a day that would be refused 429 past /api/sql's share.
    for pair in std::env::var("SIMDAY_VARS").unwrap_or_default().split(',') {
        if let Some((k, val)) = pair.split_once('=') {
            v.push((k.trim().into(), val.trim().into()));
        }
    }
    v
}

fn backfill(w: &Wrangler) {
    let auth = format!("Bearer {ADMIN}");
    let s = w.backfill(
        &format!("days={DAYS}"),
        &[("authorization", &auth)],
        Duration::from_secs(1),
        Duration::from_secs(3600),
    );
    assert_eq!(s["status"], "complete", "backfill ended: {s}");
    assert_eq!(s["output"]["failed"], 0, "{s}");
}

/// `usage` of `/api/db/info` (admin).
fn usage(w: &Wrangler) -> Value {
    let auth = format!("Bearer {ADMIN}");
    let r = w.send("GET", "/api/db/info", &[("authorization", &auth)], None);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["usage"].clone()
}

/// `now-90d` → 90 days in ms (the dashboard's default `from`).
fn default_span_ms(d: &Value) -> i64 {
    let from = d["time"]["from"].as_str().expect("time.from");
    assert_eq!(d["time"]["to"], "now", "the default range ends now");
    let n = from.trim_start_matches("now-");
    let (num, unit) = n.split_at(n.len() - 1);
    let num: i64 = num.parse().expect("a relative range");
    num * match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        other => panic!("unit {other}"),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

#[derive(Default)]
struct Grafana {
    requests: u64,
    rows_read: u64,
    hits: u64,
    misses: u64,
    slowest_ms: u128,
    /// D1 rows read per panel over the day.
    by_panel: std::collections::BTreeMap<String, u64>,
}

/// One refresh: every panel's request as Infinity sends it.
fn refresh(
    w: &Wrangler,
    queries: &[&dashboard::PanelQuery],
    range: &dashboard::Range,
    ip: &str,
    g: &mut Grafana,
) {
    let auth = format!("Bearer {GRAFANA}");
    for q in queries {
        let mut headers = vec![("authorization", auth.as_str()), ("cf-connecting-ip", ip)];
        let body = (q.method == "POST").then(|| range.substitute(&q.body));
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let sent = Instant::now();
        let r = w.send(
            &q.method,
            &q.url,
            &headers,
            body.as_deref().map(str::as_bytes),
        );
        g.slowest_ms = g.slowest_ms.max(sent.elapsed().as_millis());
        g.requests += 1;
        assert_eq!(
            r.status,
            200,
            "{}: {}",
            q.label(),
            String::from_utf8_lossy(&r.body)
        );
        match r.header("x-cache") {
            Some("HIT") => g.hits += 1,
            Some(_) => {
                g.misses += 1;
                let read = r.json()["meta"]["rows_read"].as_u64().unwrap_or(0);
                g.rows_read += read;
                *g.by_panel.entry(q.label()).or_default() += read;
            }
            None => {}
        }
    }
}

/// Changes the newest document of `collection` in the simulator and has it
/// delivered, signed, to the worker; the worker must accept it (202).
fn deliver(sim: &Sim, w: &Wrangler, collection: &str, field: &str, n: usize) {
    let truth = sim.get(&format!("/_sim/truth?collection={collection}"));
    let id = truth[collection]["ids"]
        .as_array()
        .and_then(|ids| ids.last())
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("a {collection} document: {truth}"))
        .to_string();
    let value = if field == "comment" {
        json!(format!("edited {n}"))
    } else {
        json!(40 + n)
    };
    let body = json!({"collection": collection, "op": "update", "id": id,
                      "document": {field: value},
                      "deliver_to": format!("{}/webhook/oura", w.base)});
    let r = send_url(
        "POST",
        &format!("{}/_sim/documents", sim.base),
        &[("content-type", "application/json")],
        Some(body.to_string().as_bytes()),
    );
    let out = r.json();
    assert_eq!(out["deliveries"][0]["status"], 202, "{out}");
}

fn processed(w: &Wrangler) -> u64 {
    w.d1("SELECT COALESCE(SUM(processed), 0) AS n FROM webhook_freshness")[0]["n"]
        .as_u64()
        .unwrap_or(0)
}

/// Fires the cron and waits for it to finish (the log line of its end).
fn cron(w: &Wrangler, runs_before: usize) {
    let r = w.send("GET", CRON, &[], None);
    assert_eq!(r.status, 200);
    let deadline = Instant::now() + Duration::from_secs(300);
    while w.log().matches("cron finished:").count() <= runs_before {
        assert!(
            Instant::now() < deadline,
            "cron did not finish:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What one day cost, from the meter.
struct Day {
    before: Value,
    after: Value,
    secs: f64,
    grafana: Grafana,
    panels: usize,
}

/// Replays one day; `phase` makes its webhook changes differ from the last day's.
fn day(sim: &Sim, w: &Wrangler, all_rows: bool, phase: usize) -> Day {
    let d = dashboard::load();
    let span = default_span_ms(&d);
    let queries = dashboard::queries(&d);
    let shown: Vec<&dashboard::PanelQuery> = queries
        .iter()
        .filter(|q| all_rows || !q.loads_on_open)
        .collect();
    let drained = processed(w);
    let before = usage(w);
    let started = Instant::now();
    let start = now_ms();
    let mut g = Grafana::default();
    let mut webhooks: Vec<(&str, &str, usize)> = WEBHOOKS
        .iter()
        .flat_map(|&(c, f, n)| (0..n).map(move |i| (c, f, i + 100 * phase)))
        .collect();
    let total = webhooks.len();
    webhooks.reverse();
    let mut crons = 0;
    let crons_before = w.log().matches("cron finished:").count();
    for i in 0..REFRESHES {
        // The cron every 8 refreshes (12 over the day), webhooks spread evenly.
        if crons < CRON_RUNS && i % (REFRESHES / CRON_RUNS as i64) == 0 {
            cron(w, crons_before + crons);
            crons += 1;
        }
        let due = ((i + 1) as usize * total).div_ceil(REFRESHES as usize);
        while total - webhooks.len() < due {
            let (c, f, n) = webhooks.pop().expect("a webhook left");
            deliver(sim, w, c, f, n);
        }
        let to_ms = start + i * REFRESH_MS;
        let range = dashboard::Range {
            from_ms: to_ms - span,
            to_ms,
        };
        // One Grafana server; its IP varies only so the replay, faster than
        // real time, stays under the per-minute rate limit as the day would.
        let ip = format!("198.51.100.{}", 1 + i % 200);
        refresh(w, &shown, &range, &ip, &mut g);
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while processed(w) < drained + total as u64 {
        assert!(
            Instant::now() < deadline,
            "webhooks not drained: {}",
            processed(w) - drained
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let secs = started.elapsed().as_secs_f64();
    let after = usage(w);
    assert_eq!(
        before["days"]["today"], after["days"]["today"],
        "the day crossed UTC midnight: run again"
    );
    Day {
        before,
        after,
        secs,
        grafana: g,
        panels: shown.len(),
    }
}

fn report(day: &Day, all_rows: bool) {
    let (before, after, g) = (&day.before, &day.after, &day.grafana);
    let quotas = &after["quotas"];
    let delta = |f: &str| {
        after["today"][f].as_u64().unwrap_or(0) - before["today"][f].as_u64().unwrap_or(0)
    };
    let share = |v: u64, f: &str| match quotas[f].as_u64() {
        Some(q) if q > 0 => format!("{:.2}% of {q}", v as f64 * 100.0 / q as f64),
        _ => "no quota".to_string(),
    };
    let total_webhooks: usize = WEBHOOKS.iter().map(|w| w.2).sum();
    println!(
        "simulated day ({}): {CRON_RUNS} cron runs, {total_webhooks} webhook deliveries, {REFRESHES} Grafana \
         refreshes of {} panel queries (the default now-90d..now, moving 5 min) on {DAYS} days of data, \
         replayed in {:.0} s",
        if all_rows { "every row open" } else { "expanded rows only" },
        day.panels,
        day.secs
    );
    for f in [
        "d1_rows_read",
        "d1_rows_written",
        "d1_queries",
        "kv_reads",
        "kv_writes",
        "kv_deletes",
        "kv_lists",
        "requests",
        "analytics_points",
        "queue_operations",
        "sql_rows_read",
    ] {
        let v = delta(f);
        println!("  {f:<30} {v:>10}  ({})", share(v, f));
    }
    let peak = after["today"]["d1_max_queries_per_invocation"]
        .as_u64()
        .unwrap_or(0);
    println!(
        "  {:<30} {peak:>10}  ({})",
        "d1_max_queries_per_invocation",
        share(peak, "d1_max_queries_per_invocation")
    );
    let sent = g.requests + total_webhooks as u64;
    println!(
        "  cross-check: the bench sent {sent} requests ({} Grafana, {total_webhooks} webhooks) and fired \
         {CRON_RUNS} crons; the other {} counted are queue batches and the closing /api/db/info",
        g.requests,
        delta("requests").saturating_sub(sent + CRON_RUNS as u64)
    );
    println!(
        "  cross-check: Grafana's answers report {} D1 rows read ({:.1}% of the day's); SQL cache \
         {} hits, {} misses; slowest panel {} ms",
        g.rows_read,
        g.rows_read as f64 * 100.0 / delta("d1_rows_read").max(1) as f64,
        g.hits,
        g.misses,
        g.slowest_ms
    );
    let mut costly: Vec<(&u64, &String)> = g.by_panel.iter().map(|(k, v)| (v, k)).collect();
    costly.sort();
    let top: Vec<String> = costly
        .iter()
        .rev()
        .take(12)
        .map(|(v, k)| format!("{k} {} a refresh", **v / REFRESHES as u64))
        .collect();
    println!("  most D1 rows read: {}", top.join("; "));
    let per_refresh: u64 = g.by_panel.values().sum::<u64>() / REFRESHES as u64;
    println!("  D1 rows read by panels a refresh: {per_refresh}");
}

fn main() {
    let today = today_utc();
    let sim = Sim::start(DAYS, &today.to_string(), "-05:00");
    let vars = vars(&sim);
    let mut w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("OAuth against the simulator");
    let started = Instant::now();
    backfill(&w);
    eprintln!(
        "setup: {DAYS}-day backfill in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let phases: &[bool] = match std::env::var("SIMDAY_ROWS").as_deref() {
        Ok("expanded") => &[false],
        Ok("all") => &[true],
        _ => &[false, true],
    };
    for (phase, &all_rows) in phases.iter().enumerate() {
        // Each day in a fresh isolate; the most D1 calls in one invocation
        // is a daily maximum, so what came before is cleared from today's row.
        w = w.restart(&vars);
        w.d1("UPDATE usage_daily SET d1_max_queries_per_invocation = 0");
        let d = day(&sim, &w, all_rows, phase);
        report(&d, all_rows);
    }
}
