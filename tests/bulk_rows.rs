//! Heart rate's and ring battery's pages written in bulk (`writer::bulk`,
//! SQL over the page text) store exactly what their documents written one
//! by one store: the same rows, table counts, daily rollup and rejects, and
//! a re-sync of the same pages writes no data (only its stage, which it
//! empties).

mod support;

use oura_edge::services::collections::{find, Collection};
use oura_edge::services::documents::write_fetched;
use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{Db, Row, Statement};
use oura_edge::services::try_block_on;
use oura_edge::services::writer::bulk::{write_pages, BulkWritten};
use serde_json::{json, Value};
use support::*;

const NOW: &str = "2026-01-15T12:00:00.000Z";

fn heart_rate() -> &'static Collection {
    find("heartrate").unwrap()
}

/// The fixture's samples and documents of every odd shape `rows` meets (at
/// :30 seconds, between the fixture's samples).
fn samples() -> Vec<Value> {
    let mut docs = fixture_values("heartrate");
    docs.extend([
        json!({ "timestamp": "2026-01-10T01:00:30+00:00", "bpm": 60.5, "source": "awake" }),
        json!({ "timestamp": "2026-01-10T01:01:30+00:00", "bpm": -1.5, "source": "awake" }),
        json!({ "timestamp": "2026-01-10T01:02:30+00:00", "bpm": -2.0, "source": "rest" }),
        json!({ "timestamp": "2026-01-10T01:03:30+00:00", "bpm": 72.49999, "source": null }),
        json!({ "timestamp": "2026-01-10T01:04:30+00:00", "bpm": null }),
        json!({ "timestamp": "2026-01-10T01:05:30+00:00", "extra": [1, 2] }),
        json!({ "timestamp": "2026-01-10T01:06:30+00:00", "bpm": 1e300, "source": "x\"y" }),
        // Rejected: a field of the wrong type, no timestamp, not an object.
        json!({ "timestamp": "2026-01-10T01:07:30+00:00", "bpm": "60" }),
        json!({ "timestamp": "2026-01-10T01:08:30+00:00", "bpm": 60, "source": 5 }),
        json!({ "bpm": 60, "source": "awake" }),
        json!(42),
        json!("a string"),
        // The same key twice: the later values win on both paths.
        json!({ "timestamp": "2026-01-10T01:00:30+00:00", "bpm": 99, "source": "workout" }),
    ]);
    docs
}

/// List-page bodies of `per_page` documents each.
fn pages(docs: &[Value], per_page: usize) -> Vec<String> {
    docs.chunks(per_page)
        .map(|d| json!({ "data": d, "next_token": null }).to_string())
        .collect()
}

fn rows(db: &SqliteDb, sql: &str) -> Vec<Row> {
    try_block_on(db.query(&Statement::new(sql, vec![])))
        .unwrap()
        .unwrap()
        .rows
}

fn stored(db: &SqliteDb) -> (Vec<Row>, Vec<Row>, Vec<Row>) {
    (
        rows(db, "SELECT * FROM heart_rate_samples ORDER BY timestamp"),
        rows(
            db,
            "SELECT record_count, min_day, max_day FROM table_stats WHERE resource = 'heart_rate_samples'",
        ),
        rows(db, "SELECT * FROM heart_rate_daily ORDER BY day, source"),
    )
}

fn window(docs: &[Value]) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let days: Vec<&str> = docs
        .iter()
        .filter_map(|d| d["timestamp"].as_str())
        .map(|t| &t[..10])
        .collect();
    let day = |d: &str| d.parse().unwrap();
    (
        day(days.iter().min().unwrap()),
        day(days.iter().max().unwrap()),
    )
}

fn bulk(db: &SqliteDb, docs: &[Value]) -> BulkWritten {
    let c = heart_rate();
    try_block_on(write_pages(
        db,
        c.table,
        c.bulk.expect("heart rate is written in bulk"),
        &pages(docs, 700),
        window(docs),
        NOW,
    ))
    .unwrap()
    .unwrap()
}

#[test]
fn pages_in_bulk_store_what_documents_store() {
    let docs = samples();
    let one_by_one = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let written = try_block_on(write_fetched(
        &one_by_one,
        heart_rate(),
        &documents(&docs),
        NOW,
    ))
    .unwrap()
    .unwrap();
    let in_bulk = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let b = bulk(&in_bulk, &docs);

    assert_eq!(b.documents, docs.len() as u64);
    assert_eq!(b.rejected, written.rejected.len() as u64);
    assert_eq!(b.rejected, 5, "{:?}", written.rejected);
    let (samples, stats, daily) = stored(&in_bulk);
    assert!(samples.len() > 3000, "{} samples", samples.len());
    assert_eq!((samples, stats, daily), stored(&one_by_one));
    assert_eq!(b.report.rows_written, written.report.rows_written);

    // Rounding as `int` rounds, and the later duplicate won.
    let bpm_at = |t: &str| {
        rows(
            &in_bulk,
            &format!("SELECT bpm, source FROM heart_rate_samples WHERE timestamp = '{t}'"),
        )[0]
        .clone()
    };
    assert_eq!(bpm_at("2026-01-10T01:00:30+00:00")["bpm"], 99);
    assert_eq!(bpm_at("2026-01-10T01:01:30+00:00")["bpm"], -1);
    assert_eq!(bpm_at("2026-01-10T01:02:30+00:00")["bpm"], -2);
    assert_eq!(bpm_at("2026-01-10T01:03:30+00:00")["bpm"], 72);
}

#[test]
fn a_second_sync_of_the_same_pages_writes_no_data_and_a_change_is_written() {
    // Without the duplicate key: within one sync it is written twice.
    let mut docs = samples();
    docs.pop();
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    assert!(bulk(&db, &docs).report.rows_written > 0);
    let again = bulk(&db, &docs);
    assert_eq!(again.report.rows_written, 0, "{again:?}");
    let staged = rows(&db, "SELECT count(*) AS n FROM bulk_pages");
    assert_eq!(staged[0]["n"], 0, "the stage is emptied");

    let mut changed = docs.clone();
    changed[0]["bpm"] = json!(181);
    let t = changed[0]["timestamp"].as_str().unwrap().to_string();
    assert!(bulk(&db, &changed).report.rows_written > 0);
    let row = rows(
        &db,
        &format!("SELECT bpm FROM heart_rate_samples WHERE timestamp = '{t}'"),
    );
    assert_eq!(row[0]["bpm"], 181);
    let daily = rows(
        &db,
        &format!(
            "SELECT max_bpm FROM heart_rate_daily WHERE day = '{}'",
            &t[..10]
        ),
    );
    assert!(
        daily.iter().any(|r| r["max_bpm"] == 181),
        "the rollup follows"
    );
}

#[test]
fn a_page_without_a_data_array_is_refused() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let c = heart_rate();
    let day = "2026-01-10".parse().unwrap();
    let err = try_block_on(write_pages(
        &db,
        c.table,
        c.bulk.unwrap(),
        &[r#"{"next_token": null}"#.to_string()],
        (day, day),
        NOW,
    ))
    .unwrap()
    .unwrap_err();
    assert!(err.to_string().contains("no `data` array"), "{err}");
}

/// Ring battery samples, every odd shape its `rows` meets: the same rows,
/// table counts, rejects and rows written in bulk as one by one.
#[test]
fn ring_battery_pages_in_bulk_store_what_documents_store() {
    let c = find("ring_battery_level").unwrap();
    let mut docs = fixture_values("ring_battery_level");
    docs.extend([
        json!({ "timestamp": "2026-01-10T01:00:30+00:00", "level": 80.5, "charging": true, "in_charger": false }),
        json!({ "timestamp": "2026-01-10T01:01:30+00:00", "level": -0.5, "charging": null }),
        json!({ "timestamp": "2026-01-10T01:02:30+00:00", "level": null, "in_charger": true }),
        json!({ "timestamp": "2026-01-10T01:03:30+00:00" }),
        // Rejected: a flag or level of the wrong type, no timestamp, not an object.
        json!({ "timestamp": "2026-01-10T01:04:30+00:00", "level": 50, "charging": 1 }),
        json!({ "timestamp": "2026-01-10T01:05:30+00:00", "level": "50" }),
        json!({ "level": 50 }),
        json!("x"),
        // The same key twice: the later values win on both paths.
        json!({ "timestamp": "2026-01-10T01:00:30+00:00", "level": 81, "charging": false }),
    ]);
    let one_by_one = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let written = try_block_on(write_fetched(&one_by_one, c, &documents(&docs), NOW))
        .unwrap()
        .unwrap();
    let in_bulk = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let b = try_block_on(write_pages(
        &in_bulk,
        c.table,
        c.bulk.expect("ring battery is written in bulk"),
        &pages(&docs, 50),
        window(&docs),
        NOW,
    ))
    .unwrap()
    .unwrap();
    assert_eq!(b.rejected, 4, "{:?}", written.rejected);
    assert_eq!(b.rejected, written.rejected.len() as u64);
    assert_eq!(b.documents, docs.len() as u64);
    assert_eq!(b.report.rows_written, written.report.rows_written);
    let stored = |db: &SqliteDb| {
        (
            rows(db, "SELECT * FROM ring_battery_levels ORDER BY timestamp"),
            rows(
                db,
                "SELECT record_count, min_day, max_day FROM table_stats WHERE resource = 'ring_battery_levels'",
            ),
        )
    };
    let (samples, stats) = stored(&in_bulk);
    assert!(samples.len() > 5, "{samples:?}");
    assert_eq!((samples, stats), stored(&one_by_one));
    let at = |t: &str| {
        rows(
            &in_bulk,
            &format!("SELECT level, charging, in_charger FROM ring_battery_levels WHERE timestamp = '{t}'"),
        )[0]
        .clone()
    };
    assert_eq!(at("2026-01-10T01:00:30+00:00")["level"], 81);
    assert_eq!(at("2026-01-10T01:00:30+00:00")["charging"], 0);
    assert_eq!(at("2026-01-10T01:01:30+00:00")["level"], 0);
    assert_eq!(at("2026-01-10T01:02:30+00:00")["in_charger"], 1);
}
