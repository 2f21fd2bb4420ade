//! A two-year backfill of every collection through the local runtime: the
//! simulator serves 730 days, the worker's `/backfill` Workflow fetches and
//! stores them. Reports wall time, stored rows per second and D1's own
//! count of rows written. `make bench`.

#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use local_runtime::{Sim, Wrangler};
use std::time::{Duration, Instant};

const ADMIN: &str = "bench-admin-token";
const DAYS: u32 = 730;

fn stored_rows(w: &Wrangler) -> u64 {
    w.d1("SELECT SUM(record_count) AS n FROM table_stats WHERE resource != 'oura_documents'")[0]
        ["n"]
        .as_u64()
        .unwrap_or(0)
}

fn main() {
    let sim = Sim::start(DAYS, "2026-01-15", "-05:00");
    let mut vars = sim.worker_vars();
    vars.push(("ADMIN_SECRET".into(), ADMIN.into()));
    vars.push(("GRAFANA_SECRET".into(), "bench-grafana".into()));
    let w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("OAuth against the simulator");
    let auth = format!("Bearer {ADMIN}");

    let started = Instant::now();
    // The Workflow's dates come from the request's clock: offset so the
    // window ends at the simulator's last day.
    let today = local_runtime::today_utc();
    let end = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).expect("date");
    let offset = (today - end).num_days().max(0);
    let status = w.backfill(
        &format!("days={DAYS}&offset_days={offset}"),
        &[("authorization", &auth)],
        Duration::from_millis(500),
        Duration::from_secs(1800),
    );
    let secs = started.elapsed().as_secs_f64();
    let rows = stored_rows(&w);
    println!(
        "two-year backfill ({DAYS} days, every collection): {} in {secs:.1} s; {rows} rows stored = {:.0} rows/s",
        status["status"],
        rows as f64 / secs
    );
    println!(
        "D1 rows written {}; upstream requests {}; failed {}",
        status["output"]["rowsWritten"],
        status["output"]["totalRequests"],
        status["output"]["failed"]
    );
}
