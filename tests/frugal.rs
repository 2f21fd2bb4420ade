//! Frugal writes and reads (issue #8): unchanged re-syncs write nothing,
//! `heart_rate_daily` always equals a GROUP BY over the samples (after
//! inserts, updates and webhook deletes), session series read from the raw
//! document equal what rows would have held, and an upgrade fills the
//! aggregate from the history already stored.

mod support;

use chrono::{DateTime, Duration, SecondsFormat};
use oura_edge::services::collections::{
    find, rows_for, Collection, QueryMode, ReadSource, REGISTRY,
};
use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::try_block_on;
use oura_edge::services::webhooks::delete::remove;
use oura_edge::services::writer::{write, Paging, RowSet, TableSpec, WriteReport};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use support::*;

const NOW: &str = "2026-01-15T12:00:00.000Z";

fn rows(db: &SqliteDb, sql: &str) -> Value {
    json!(
        try_block_on(db.query(&Statement::new(sql, vec![])))
            .unwrap()
            .unwrap()
            .rows
    )
}

fn write_docs(db: &SqliteDb, c: &Collection, docs: &[Value]) -> WriteReport {
    let (set, rejected) = rows_for(c, &documents(docs));
    assert!(rejected.is_empty(), "{}: {rejected:?}", c.name);
    try_block_on(write(db, &set, NOW)).unwrap().unwrap()
}

fn heartrate() -> &'static Collection {
    find("heartrate").unwrap()
}

const DAILY: &str = "SELECT day, source, min_bpm, avg_bpm, max_bpm, samples \
                     FROM heart_rate_daily ORDER BY day, source";
const GROUPED: &str = "SELECT substr(timestamp, 1, 10) AS day, COALESCE(source, 'unknown') AS source, \
                       MIN(bpm) AS min_bpm, AVG(bpm) AS avg_bpm, MAX(bpm) AS max_bpm, COUNT(*) AS samples \
                       FROM heart_rate_samples GROUP BY 1, 2 ORDER BY 1, 2";

fn assert_daily_matches(db: &SqliteDb, when: &str) {
    let daily = rows(db, DAILY);
    assert!(!daily.as_array().unwrap().is_empty(), "{when}: empty");
    assert_eq!(daily, rows(db, GROUPED), "heart_rate_daily {when}");
}

#[test]
fn re_syncing_unchanged_documents_writes_nothing_anywhere() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    for c in REGISTRY {
        assert!(write_docs(&db, c, &fixture_values(c.name)).rows_written > 0);
    }
    let before = rows(
        &db,
        "SELECT (SELECT COUNT(*) FROM document_series) AS series, \
         (SELECT COUNT(*) FROM oura_documents) AS docs, \
         (SELECT MAX(updated_at) FROM oura_documents) AS stamp, \
         (SELECT COUNT(*) FROM heart_rate_daily) AS daily",
    );
    for c in REGISTRY {
        let again = write_docs(&db, c, &fixture_values(c.name));
        assert_eq!(again.rows_written, 0, "{}: unchanged re-sync wrote", c.name);
    }
    // A later sync of the same documents changes no stamp either.
    let (set, _) = rows_for(find("sleep").unwrap(), &fixture("sleep"));
    let later = try_block_on(write(&db, &set, "2026-02-01T00:00:00.000Z"))
        .unwrap()
        .unwrap();
    assert_eq!(later.rows_written, 0);
    let after = rows(
        &db,
        "SELECT (SELECT COUNT(*) FROM document_series) AS series, \
         (SELECT COUNT(*) FROM oura_documents) AS docs, \
         (SELECT MAX(updated_at) FROM oura_documents) AS stamp, \
         (SELECT COUNT(*) FROM heart_rate_daily) AS daily",
    );
    assert_eq!(before, after);
}

#[test]
fn heart_rate_daily_follows_inserts_and_updates() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let docs = fixture_values("heartrate");
    let (first, second) = docs.split_at(docs.len() / 2);
    write_docs(&db, heartrate(), first);
    assert_daily_matches(&db, "after the first half");
    write_docs(&db, heartrate(), second);
    assert_daily_matches(&db, "after the second half");

    // Revised samples: new values, a new source, a sample without one.
    let mut revised: Vec<Value> = docs[..40].to_vec();
    for (i, d) in revised.iter_mut().enumerate() {
        d["bpm"] = json!(d["bpm"].as_i64().unwrap() + 7);
        if i % 3 == 0 {
            d["source"] = json!("rest");
        }
        if i == 5 {
            d["source"] = Value::Null;
        }
    }
    let day = revised[0]["timestamp"].as_str().unwrap()[..10].to_string();
    let r = write_docs(&db, heartrate(), &revised);
    assert!(r.rows_written > 40, "samples and aggregates changed");
    assert_daily_matches(&db, "after updates");
    assert_eq!(
        rows(
            &db,
            &format!("SELECT COUNT(*) AS n FROM heart_rate_daily WHERE day = '{day}' AND source IN ('rest', 'unknown')")
        )[0]["n"],
        json!(2)
    );
    // The same revision again writes nothing, aggregates included.
    assert_eq!(write_docs(&db, heartrate(), &revised).rows_written, 0);
    // Every sample of a source moved away: its group is pruned.
    let workout: Vec<Value> = docs
        .iter()
        .filter(|d| d["source"] == "workout")
        .map(|d| {
            let mut d = d.clone();
            d["source"] = json!("awake");
            d
        })
        .collect();
    assert!(!workout.is_empty());
    write_docs(&db, heartrate(), &workout);
    assert_daily_matches(&db, "after moving every workout sample");
    assert_eq!(
        rows(
            &db,
            "SELECT COUNT(*) AS n FROM heart_rate_daily WHERE source = 'workout'"
        )[0]["n"],
        json!(0)
    );
}

/// A document whose rows include heart-rate samples, as any collection that
/// writes a rolled-up table would: the webhook delete path must recompute
/// the aggregate for the days it removes.
static RAW: TableSpec = TableSpec {
    table: "oura_documents",
    key: &["collection", "id"],
    columns: &["collection", "id", "day", "json"],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging {
        time: None,
        order: &[],
    },
};

fn bundle_rows(doc: &RawValue, out: &mut RowSet) -> Result<(), String> {
    let doc: Value = serde_json::from_str(doc.get()).map_err(|e| e.to_string())?;
    for sample in documents(doc["samples"].as_array().map_or(&[], Vec::as_slice)) {
        (heartrate().rows)(&sample, out)?;
    }
    out.push(
        &RAW,
        vec![
            json!("heartrate_bundle"),
            doc["id"].clone(),
            doc["day"].clone(),
            json!(doc.to_string()),
        ],
    )
}

static BUNDLE: Collection = Collection {
    name: "heartrate_bundle",
    api_path: "heartrate_bundle",
    aliases: &[],
    query: QueryMode::Dates {
        end_exclusive: false,
    },
    webhook: true,
    subscribed: false,
    // Its typed rows are heart rate's; of its own it keeps only the document.
    table: &RAW,
    rows: bundle_rows,
    bulk: None,
    window_days: None,
    cron_units: 1,
    read: ReadSource::Documents,
};

#[test]
fn heart_rate_daily_follows_webhook_deletes() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let docs = fixture_values("heartrate");
    write_docs(&db, heartrate(), &docs[100..]);
    // The bundle owns the first 100 samples (two UTC days' worth or less).
    let bundle = json!({"id": "b1", "day": docs[0]["timestamp"].as_str().unwrap()[..10], "samples": docs[..100]});
    write_docs(&db, &BUNDLE, std::slice::from_ref(&bundle));
    assert_daily_matches(&db, "with the bundle");
    let removed = try_block_on(remove(&db, &BUNDLE, "b1", NOW))
        .unwrap()
        .unwrap();
    assert_eq!(removed, 101, "100 samples and the raw document");
    assert_daily_matches(&db, "after the webhook delete");
    // Deleting every sample of a day removes its aggregate rows.
    let first_day = &docs[0]["timestamp"].as_str().unwrap()[..10];
    let left = rows(
        &db,
        &format!(
            "SELECT COUNT(*) AS n FROM heart_rate_samples WHERE timestamp LIKE '{first_day}%'"
        ),
    );
    let agg = rows(
        &db,
        &format!(
            "SELECT COALESCE(SUM(samples), 0) AS n FROM heart_rate_daily WHERE day = '{first_day}'"
        ),
    );
    assert_eq!(left[0]["n"], agg[0]["n"]);
}

/// What `document_series` rows would have held for one sample object.
fn expected_series(name: &str, id: &str, sample: &Value) -> Vec<Value> {
    let start = DateTime::parse_from_rfc3339(sample["timestamp"].as_str().unwrap()).unwrap();
    let step = Duration::milliseconds((sample["interval"].as_f64().unwrap() * 1000.0) as i64);
    sample["items"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_null())
        .map(|(i, v)| {
            let at = start.to_utc() + step * (i as i32);
            json!({
                "series": name,
                "timestamp": at.to_rfc3339_opts(SecondsFormat::Secs, true),
                "document_id": id,
                "value": v.as_f64().unwrap(),
            })
        })
        .collect()
}

#[test]
fn session_series_come_from_the_raw_document_at_full_resolution() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let sessions = fixture_values("session");
    write_docs(&db, find("session").unwrap(), &sessions);
    let mut expected = Vec::new();
    for s in &sessions {
        let id = s["id"].as_str().unwrap();
        expected.extend(expected_series("session.heart_rate", id, &s["heart_rate"]));
        expected.extend(expected_series(
            "session.hrv",
            id,
            &s["heart_rate_variability"],
        ));
        expected.extend(expected_series(
            "session.motion_count",
            id,
            &s["motion_count"],
        ));
    }
    let key = |v: &Value| {
        format!(
            "{}|{}|{}",
            v["series"].as_str().unwrap(),
            v["timestamp"].as_str().unwrap(),
            v["document_id"].as_str().unwrap()
        )
    };
    expected.sort_by_key(key);
    let got = rows(
        &db,
        "SELECT series, timestamp, document_id, CAST(value AS REAL) AS value FROM session_series \
         ORDER BY series, timestamp, document_id",
    );
    assert!(expected.len() > 1_000, "5-second samples");
    assert_eq!(got, json!(expected));
    assert_eq!(
        rows(
            &db,
            "SELECT COUNT(*) AS n FROM document_series WHERE series LIKE 'session.%'"
        )[0]["n"],
        json!(0),
        "no session series rows are written"
    );
}

/// The migrations up to (not including) `first_skipped`, in a temp dir.
fn migrations_before(first_skipped: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(migrations_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".sql") && name.as_str() < first_skipped {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    dir
}

#[test]
fn an_upgraded_database_shows_its_history_in_the_aggregate() {
    let old = migrations_before("0016");
    let db = SqliteDb::open_with_migrations(old.path()).unwrap();
    db.exec_script(
        "INSERT INTO heart_rate_samples VALUES
           ('2025-01-01T10:00:00+00:00', 61, 'awake'), ('2025-01-01T10:05:00+00:00', 70, 'awake'),
           ('2025-01-01T23:00:00+00:00', 50, 'sleep'), ('2025-01-02T10:05:00+00:00', 64, NULL);
         INSERT INTO ring_battery_levels VALUES ('2025-01-01T10:00:00+00:00', 80, 0, 0), ('2025-01-01T10:30:00+00:00', 79, 0, 0);
         INSERT INTO document_series VALUES ('session.heart_rate', '2025-01-01T10:00:00Z', 's1', 60),
           ('sleep.heart_rate', '2025-01-01T02:00:00Z', 'n1', 52);
         UPDATE table_stats SET record_count = 2 WHERE resource = 'document_series';",
    )
    .unwrap();
    let applied = db.apply_pending_migrations(migrations_dir()).unwrap();
    assert!(applied.iter().any(|n| n.starts_with("0016")), "{applied:?}");
    assert_daily_matches(&db, "after the upgrade");
    assert_eq!(
        rows(&db, DAILY),
        json!([
            {"day": "2025-01-01", "source": "awake", "min_bpm": 61, "avg_bpm": 65.5, "max_bpm": 70, "samples": 2},
            {"day": "2025-01-01", "source": "sleep", "min_bpm": 50, "avg_bpm": 50.0, "max_bpm": 50, "samples": 1},
            {"day": "2025-01-02", "source": "unknown", "min_bpm": 64, "avg_bpm": 64.0, "max_bpm": 64, "samples": 1}
        ])
    );
    assert_eq!(
        rows(
            &db,
            "SELECT timestamp, level FROM ring_battery_levels ORDER BY timestamp"
        ),
        json!([
            {"timestamp": "2025-01-01T10:00:00+00:00", "level": 80},
            {"timestamp": "2025-01-01T10:30:00+00:00", "level": 79}
        ])
    );
    assert_eq!(
        rows(&db, "SELECT series FROM document_series"),
        json!([{"series": "sleep.heart_rate"}])
    );
    assert_eq!(
        rows(
            &db,
            "SELECT record_count FROM table_stats WHERE resource = 'document_series'"
        ),
        json!([{"record_count": 1}])
    );
}
