//! What writes and reads cost in D1's own accounting (`meta.rows_written`,
//! `meta.rows_read` under `wrangler dev`, which counts index entries): two
//! years of heart rate from the simulator, a year synced with the original's
//! `idx_hr_timestamp_bpm` put back and a year without it; unchanged
//! re-syncs; and a two-year daily heart-rate panel from the samples versus
//! from `heart_rate_daily`. `make bench` (needs `make build-fast`).

#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use chrono::{Duration, NaiveDate};
use local_runtime::{Sim, Wrangler};
use serde_json::Value;

const ADMIN: &str = "bench-admin-token";
const GRAFANA: &str = "bench-grafana";
const END: &str = "2026-01-15";
const DAYS: i64 = 730;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// Syncs `collections` from `from` to `to` in 30-day windows; returns
/// (rows, rows_written) summed over the windows.
fn sync(w: &Wrangler, collections: &str, from: NaiveDate, to: NaiveDate) -> (u64, u64) {
    let (mut rows, mut written) = (0, 0);
    let auth = format!("Bearer {ADMIN}");
    let mut start = from;
    while start <= to {
        let end = (start + Duration::days(29)).min(to);
        let path = format!("/api/admin/sync?collections={collections}&start={start}&end={end}");
        let r = w.send("POST", &path, &[("authorization", &auth)], Some(b""));
        let body = r.json();
        assert_eq!(r.status, 200, "{body}");
        for c in body["collections"].as_array().into_iter().flatten() {
            rows += c["rows"].as_u64().unwrap_or(0);
            written += c["rows_written"].as_u64().unwrap_or(0);
        }
        start = end + Duration::days(1);
    }
    (rows, written)
}

fn count(w: &Wrangler, sql: &str) -> u64 {
    w.d1(sql)[0]["n"].as_u64().unwrap_or(0)
}

/// Runs a panel query through `/api/sql`; returns (rows, rows_read).
fn panel(w: &Wrangler, sql: &str) -> (Vec<Value>, u64) {
    let r = w.sql(GRAFANA, sql, &[]);
    let v = r.json();
    assert_eq!(r.status, 200, "{v}");
    let rows = v["results"].as_array().cloned().unwrap_or_default();
    (rows, v["meta"]["rows_read"].as_u64().unwrap_or(0))
}

fn main() {
    let sim = Sim::start(DAYS as u32, END, "-05:00");
    let mut vars = sim.worker_vars();
    vars.push(("ADMIN_SECRET".into(), ADMIN.into()));
    vars.push(("GRAFANA_SECRET".into(), GRAFANA.into()));
    let w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("OAuth against the simulator");
    let end = day(END);
    let first = end - Duration::days(DAYS - 1);
    let middle = first + Duration::days(DAYS / 2);

    // Year one with the original's index restored, year two without it.
    w.d1("CREATE INDEX IF NOT EXISTS idx_hr_timestamp_bpm ON heart_rate_samples(timestamp, bpm)");
    let (rows1, written1) = sync(&w, "heartrate", first, middle - Duration::days(1));
    let daily1 = count(&w, "SELECT COUNT(*) AS n FROM heart_rate_daily");
    w.d1("DROP INDEX IF EXISTS idx_hr_timestamp_bpm");
    let (rows2, written2) = sync(&w, "heartrate", middle, end);
    let daily2 = count(&w, "SELECT COUNT(*) AS n FROM heart_rate_daily") - daily1;
    println!(
        "heart rate with idx_hr_timestamp_bpm:    {rows1} samples, D1 rows_written {written1} = {:.3} per sample ({daily1} heart_rate_daily rows among them)",
        written1 as f64 / rows1.max(1) as f64
    );
    println!(
        "heart rate without it (this schema):     {rows2} samples, D1 rows_written {written2} = {:.3} per sample ({daily2} heart_rate_daily rows among them)",
        written2 as f64 / rows2.max(1) as f64
    );
    let (rows3, written3) = sync(&w, "heartrate", first, end);
    println!(
        "two years of heart rate again (unchanged): {rows3} samples, D1 rows_written {written3}"
    );

    // Every collection over the last 30 days, then again unchanged.
    let month = end - Duration::days(29);
    let (all_rows, all_written) = sync(&w, "", month, end);
    let (again_rows, again_written) = sync(&w, "", month, end);
    println!(
        "every collection, 30 days: {all_rows} rows, D1 rows_written {all_written}; again unchanged: {again_rows} rows, D1 rows_written {again_written}"
    );
    let (bat_rows, bat_written) = sync(&w, "ring_battery_level", first, first + Duration::days(29));
    println!(
        "ring battery, 30 new days: {bat_rows} readings, D1 rows_written {bat_written} = {:.3} per reading",
        bat_written as f64 / bat_rows.max(1) as f64
    );

    // A two-year daily heart-rate panel, from the samples and from the aggregate.
    let since = first.to_string();
    let (raw, raw_read) = panel(
        &w,
        &format!(
            "SELECT substr(timestamp, 1, 10) || 'T00:00:00Z' AS time, MIN(bpm) AS min_hr, \
             ROUND(AVG(bpm), 1) AS avg_hr, MAX(bpm) AS max_hr FROM heart_rate_samples \
             WHERE timestamp >= '{since}' GROUP BY substr(timestamp, 1, 10) ORDER BY time"
        ),
    );
    let (agg, agg_read) = panel(
        &w,
        &format!(
            "SELECT day || 'T00:00:00Z' AS time, MIN(min_bpm) AS min_hr, \
             ROUND(SUM(avg_bpm * samples) / SUM(samples), 1) AS avg_hr, MAX(max_bpm) AS max_hr \
             FROM heart_rate_daily WHERE day >= '{since}' GROUP BY day ORDER BY time"
        ),
    );
    assert_eq!(raw, agg, "the aggregate answers the panel exactly");
    println!(
        "two-year daily HR panel ({} days): D1 rows_read {raw_read} from heart_rate_samples, {agg_read} from heart_rate_daily",
        raw.len()
    );
    let (by_source, by_source_read) = panel(
        &w,
        &format!(
            "SELECT day || 'T00:00:00Z' AS time, source, avg_bpm FROM heart_rate_daily \
             WHERE day >= '{since}' ORDER BY day, source"
        ),
    );
    println!(
        "two-year HR-by-source panel: {} rows, D1 rows_read {by_source_read}",
        by_source.len()
    );
}
