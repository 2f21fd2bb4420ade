//! Ingest throughput through the real local runtime: the simulator serves a
//! year of data; the worker under `wrangler dev` syncs it through
//! `/api/admin/sync` in 30-day windows. Reports rows per second and what D1
//! says it wrote. `make bench` (needs `make build-fast` and the simulator).

#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use chrono::{Duration, NaiveDate};
use local_runtime::{Sim, Wrangler};
use std::time::Instant;

const ADMIN: &str = "bench-admin-token";
const END: &str = "2026-01-15";
const DAYS: i64 = 365;

/// Syncs `collections` over the year in 30-day windows; returns (rows, rows_written, seconds).
fn sync_year(w: &Wrangler, collections: &str) -> (u64, u64, f64) {
    let end = NaiveDate::parse_from_str(END, "%Y-%m-%d").expect("date");
    let mut start = end - Duration::days(DAYS - 1);
    let (mut rows, mut written) = (0u64, 0u64);
    let auth = format!("Bearer {ADMIN}");
    let began = Instant::now();
    while start <= end {
        let to = (start + Duration::days(29)).min(end);
        let path = format!("/api/admin/sync?collections={collections}&start={start}&end={to}");
        let r = w.send("POST", &path, &[("authorization", &auth)], Some(b""));
        let body = r.json();
        assert_eq!(r.status, 200, "{body}");
        for c in body["collections"].as_array().into_iter().flatten() {
            rows += c["rows"].as_u64().unwrap_or(0);
            written += c["rows_written"].as_u64().unwrap_or(0);
        }
        start = to + Duration::days(1);
    }
    (rows, written, began.elapsed().as_secs_f64())
}

fn main() {
    // `cargo bench` passes `--bench`; filters are not supported here.
    let sim = Sim::start(DAYS as u32, END, "-05:00");
    let mut vars = sim.worker_vars();
    vars.push(("ADMIN_SECRET".into(), ADMIN.into()));
    vars.push(("GRAFANA_SECRET".into(), "bench-grafana".into()));
    let w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("OAuth against the simulator");

    let (rows, written, secs) = sync_year(&w, "heartrate");
    println!(
        "heartrate, {DAYS} days: {rows} rows in {secs:.1} s = {:.0} rows/s; D1 rows_written {written}",
        rows as f64 / secs
    );
    let (rows2, written2, secs2) = sync_year(&w, "heartrate");
    println!(
        "same year again (unchanged): {rows2} rows in {secs2:.1} s = {:.0} rows/s; D1 rows_written {written2}",
        rows2 as f64 / secs2
    );
    let stats = w
        .d1("SELECT resource, record_count FROM table_stats WHERE resource = 'heart_rate_samples'");
    println!("table_stats: {stats}");
    drop(w);

    // Every collection over the last 30 days, on a fresh database.
    let w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("OAuth against the simulator");
    let end = NaiveDate::parse_from_str(END, "%Y-%m-%d").expect("date");
    let start = end - Duration::days(29);
    let auth = format!("Bearer {ADMIN}");
    let began = Instant::now();
    let r = w.send(
        "POST",
        &format!("/api/admin/sync?start={start}&end={end}"),
        &[("authorization", &auth)],
        Some(b""),
    );
    let secs = began.elapsed().as_secs_f64();
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    println!(
        "all collections, 30 days: {:.1} s, {} upstream requests",
        secs, body["requests"]
    );
    for c in body["collections"].as_array().into_iter().flatten() {
        println!(
            "  {:<26} documents {:>5}  rows {:>6}  rows_written {:>6}",
            c["collection"].as_str().unwrap_or(""),
            c["documents"],
            c["rows"],
            c["rows_written"]
        );
    }
    println!("table_stats after the 30-day sync:");
    for row in w
        .d1("SELECT resource, record_count FROM table_stats ORDER BY resource")
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "  {:<22} {}",
            row["resource"].as_str().unwrap_or(""),
            row["record_count"]
        );
    }
}
