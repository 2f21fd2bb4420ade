//! Indexes the dashboard needs, and only those (D1 counts every index entry
//! as a written row). Planned by SQLite itself over the fixtures: the
//! original's 64 dashboard queries, the app's own
//! queries, the time-picker-bounded queries of the new tables and every
//! panel query of `grafana/dashboards/oura.json` (over a long and a short
//! range) never scan a large table in full, and every index serves at least
//! one of them.

mod dashboard;
mod support;

use oura_edge::services::collections::{rows_for, REGISTRY};
use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::try_block_on;
use oura_edge::services::writer::write;
use serde_json::Value;
use std::path::Path;
use support::*;

/// Tables that grow by hundreds of rows a day: never scanned in full
/// (`d` is `oura_documents` inside the `activity_met`/`session_series` views).
const LARGE: [&str; 7] = [
    "heart_rate_samples",
    "document_series",
    "oura_documents",
    "ring_battery_levels",
    "heart_rate_daily",
    "series_summaries",
    "d",
];

/// Queries the app itself runs, and the shapes a time-picker-bounded
/// Grafana panel uses on the tables oura-edge added.
const APP_QUERIES: &[(&str, &str)] = &[
    ("read route (documents)",
     "SELECT COALESCE(day, '') AS k, id, json FROM oura_documents WHERE collection = 'sleep' \
      AND COALESCE(day, '') >= '2025-12-01' AND COALESCE(day, '') < '2026-01-01' \
      AND (COALESCE(day, ''), id) > ('', '') ORDER BY COALESCE(day, ''), id LIMIT 101"),
    ("read route (heart rate)",
     "SELECT * FROM heart_rate_samples WHERE timestamp >= '2026-01-01' AND timestamp < '2026-01-08' \
      AND timestamp > '' ORDER BY timestamp LIMIT 1001"),
    ("export tags",
     "SELECT * FROM tags WHERE day >= '2025-01-01' AND day < '2026-01-01' AND (day, id) > ('', '') \
      ORDER BY day, id LIMIT 1000"),
    ("export activity logs",
     "SELECT * FROM activity_logs WHERE start_datetime >= '2025-01-01' AND start_datetime < '2026-01-01' \
      AND (start_datetime, id) > ('', '') ORDER BY start_datetime, id LIMIT 1000"),
    ("heart rate, time picker",
     "SELECT timestamp AS time, bpm FROM heart_rate_samples \
      WHERE timestamp >= '2026-01-14T00:00:00Z' AND timestamp < '2026-01-15T00:00:00Z' ORDER BY timestamp"),
    ("heart rate per day, two years",
     "SELECT day || 'T00:00:00Z' AS time, source, min_bpm, avg_bpm, max_bpm FROM heart_rate_daily \
      WHERE day >= '2024-01-15' AND day <= '2026-01-15' ORDER BY day"),
    ("sleep heart rate, time picker",
     "SELECT timestamp AS time, value FROM document_series WHERE series = 'sleep.heart_rate' \
      AND timestamp >= '2026-01-13T00:00:00Z' AND timestamp < '2026-01-15T00:00:00Z' ORDER BY timestamp"),
    ("session heart rate, time picker",
     "SELECT timestamp AS time, value FROM session_series WHERE series = 'session.heart_rate' \
      AND day >= '2026-01-01' AND day <= '2026-01-15' ORDER BY timestamp"),
    ("activity MET, time picker",
     "SELECT timestamp AS time, met FROM activity_met WHERE day >= '2026-01-14' AND day <= '2026-01-15' \
      ORDER BY timestamp"),
    ("ring battery, time picker",
     "SELECT timestamp AS time, level FROM ring_battery_levels \
      WHERE timestamp >= '2026-01-14' AND timestamp < '2026-01-15' ORDER BY timestamp"),
];

fn compat_queries() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compat/original-dashboard-queries.json");
    let all: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all.iter()
        .filter_map(|q| {
            Some((
                q["title"].as_str()?.to_string(),
                q["sql"].as_str()?.to_string(),
            ))
        })
        .collect()
}

fn loaded() -> SqliteDb {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    for c in REGISTRY {
        let (rows, _) = rows_for(c, &fixture(c.name));
        try_block_on(write(&db, &rows, "2026-01-15T12:00:00.000Z"))
            .unwrap()
            .unwrap();
    }
    // No ANALYZE: D1 databases carry no statistics unless someone runs it,
    // so the planner decides from the schema alone, as here.
    db
}

fn plan(db: &SqliteDb, sql: &str) -> Vec<String> {
    let r = try_block_on(db.query(&Statement::new(format!("EXPLAIN QUERY PLAN {sql}"), vec![])))
        .unwrap()
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.rows
        .iter()
        .filter_map(|row| row.get("detail")?.as_str().map(str::to_string))
        .collect()
}

/// `SCAN t` with no index: every row of `t` is read.
fn full_scan_of<'a>(lines: &[String], tables: &[&'a str]) -> Option<&'a str> {
    tables.iter().copied().find(|t| {
        lines.iter().any(|l| {
            l == &format!("SCAN {t}")
                || l.starts_with(&format!("SCAN {t} ")) && !l.contains("INDEX")
        })
    })
}

/// Every SQL panel of the dashboard, its time variables substituted for a
/// 90-day and a 1-day range (the branches that only run on short ranges).
fn dashboard_queries() -> Vec<(String, String)> {
    let d = dashboard::load();
    let ranges = [
        (
            "90 days",
            dashboard::Range::days("2025-10-17", "2026-01-15"),
        ),
        ("1 day", dashboard::Range::days("2026-01-14", "2026-01-15")),
    ];
    let mut out = Vec::new();
    for q in dashboard::queries(&d) {
        let Some(sql) = q.sql() else { continue };
        for (name, range) in &ranges {
            out.push((format!("{} ({name})", q.label()), range.substitute(&sql)));
        }
    }
    assert!(out.len() > 100, "the dashboard's SQL panels: {}", out.len());
    out
}

fn all_queries() -> Vec<(String, String)> {
    let mut out = compat_queries();
    assert_eq!(out.len(), 64);
    out.extend(
        APP_QUERIES
            .iter()
            .map(|(t, q)| (t.to_string(), q.to_string())),
    );
    out.extend(dashboard_queries());
    out
}

#[test]
fn no_dashboard_query_scans_a_large_table() {
    let db = loaded();
    for (title, sql) in all_queries() {
        let lines = plan(&db, &sql);
        assert!(
            full_scan_of(&lines, &LARGE).is_none(),
            "{title} scans a large table: {lines:?}"
        );
    }
}

#[test]
fn time_range_queries_search_an_index() {
    let db = loaded();
    for (title, sql) in APP_QUERIES {
        let lines = plan(&db, sql);
        assert!(
            lines.iter().any(|l| l.starts_with("SEARCH")),
            "{title}: {lines:?}"
        );
    }
    let hr = plan(&db, APP_QUERIES[4].1);
    assert!(
        hr.iter()
            .any(|l| l.starts_with("SEARCH heart_rate_samples USING") && l.contains("timestamp>")),
        "{hr:?}"
    );
}

#[test]
fn every_index_serves_a_dashboard_query() {
    let db = loaded();
    let indexes = try_block_on(db.query(&Statement::new(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        vec![],
    )))
    .unwrap()
    .unwrap();
    let plans: Vec<String> = all_queries()
        .iter()
        .flat_map(|(_, sql)| plan(&db, sql))
        .collect();
    for row in indexes.rows {
        let name = row["name"].as_str().unwrap();
        assert!(
            plans
                .iter()
                .any(|l| l.contains(&format!("INDEX {name} "))
                    || l.ends_with(&format!("INDEX {name}"))),
            "{name} costs a written row per insert but serves no query"
        );
    }
}
