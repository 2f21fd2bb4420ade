//! `/api/sql` requests per second through the local runtime (`wrangler dev`),
//! 8 concurrent clients on loopback, for a cached and an uncached dashboard
//! query, after a 30-day simulator sync. `make bench`.

#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use local_runtime::{Sim, Wrangler};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN: &str = "bench-admin-token";
const GRAFANA: &str = "bench-grafana-token";
const CLIENTS: usize = 8;
const REQUESTS_PER_CLIENT: usize = 60;

/// Requests/s of a plain public GET, the runtime's floor for comparison.
fn baseline(base: &str, path: &str) -> f64 {
    let started = Instant::now();
    let handles: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let url = format!("{base}{path}");
            std::thread::spawn(move || {
                for _ in 0..REQUESTS_PER_CLIENT {
                    let _ = ureq::get(&url).timeout(Duration::from_secs(30)).call();
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    (CLIENTS * REQUESTS_PER_CLIENT) as f64 / started.elapsed().as_secs_f64()
}

/// Sends the same query from `CLIENTS` threads; returns (requests/s, cache header seen).
fn hammer(base: &str, sql: &str) -> (f64, String) {
    let body = Arc::new(serde_json::json!({"sql": sql, "params": []}).to_string());
    let started = Instant::now();
    let handles: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (base, body) = (base.to_string(), body.clone());
            std::thread::spawn(move || {
                let mut last = String::new();
                for _ in 0..REQUESTS_PER_CLIENT {
                    let r = ureq::post(&format!("{base}/api/sql"))
                        .timeout(Duration::from_secs(30))
                        .set("authorization", &format!("Bearer {GRAFANA}"))
                        .send_string(&body)
                        .expect("200");
                    last = r.header("x-cache").unwrap_or("").to_string();
                }
                last
            })
        })
        .collect();
    let caches: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_default())
        .collect();
    let secs = started.elapsed().as_secs_f64();
    (
        (CLIENTS * REQUESTS_PER_CLIENT) as f64 / secs,
        caches.join(","),
    )
}

fn main() {
    let sim = Sim::start(60, "2026-01-15", "-05:00");
    let mut vars = sim.worker_vars();
    vars.push(("ADMIN_SECRET".into(), ADMIN.into()));
    vars.push(("GRAFANA_SECRET".into(), GRAFANA.into()));
    let w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("OAuth against the simulator");
    let r = w.send(
        "POST",
        "/api/admin/sync?start=2025-12-17&end=2026-01-15",
        &[("authorization", &format!("Bearer {ADMIN}"))],
        Some(b""),
    );
    assert_eq!(r.status, 200);

    // A heavy panel (a month of heart rate averaged by day): cached after the first run.
    let heavy = "SELECT substr(timestamp, 1, 10) AS day, AVG(bpm) AS bpm FROM heart_rate_samples GROUP BY 1 ORDER BY 1";
    // A light panel: too cheap to be worth a KV write, so always a miss.
    let light = "SELECT day, readiness_score FROM daily_summaries WHERE readiness_score IS NOT NULL ORDER BY day DESC LIMIT 30";
    println!(
        "baseline GET /favicon.svg: {:.0} req/s",
        baseline(&w.base, "/favicon.svg")
    );
    println!(
        "baseline GET /api/stats (401, no token): {:.0} req/s",
        baseline(&w.base, "/api/stats")
    );
    let (cached, seen) = hammer(&w.base, heavy);
    println!("cached heavy query:  {cached:.0} req/s ({CLIENTS} clients; last x-cache: {seen})");
    let (uncached, seen) = hammer(&w.base, light);
    println!("uncached light query: {uncached:.0} req/s ({CLIENTS} clients; last x-cache: {seen})");
}
