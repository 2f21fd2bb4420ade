//! The per-night, per-session and per-day aggregates of migration 0021
//! (issue #15) always equal a GROUP BY over what they summarise: after
//! inserts, an edited night, a webhook delete, and on an upgraded database
//! filled from the history already stored.

mod support;

use oura_edge::services::collections::{find, rows_for};
use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::try_block_on;
use oura_edge::services::webhooks::delete::remove;
use oura_edge::services::writer::{write, WriteReport};
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

fn write_docs(db: &SqliteDb, collection: &str, docs: &[Value]) -> WriteReport {
    let (set, rejected) = rows_for(find(collection).unwrap(), &documents(docs));
    assert!(rejected.is_empty(), "{collection}: {rejected:?}");
    try_block_on(write(db, &set, NOW)).unwrap().unwrap()
}

const SUMMARIES: &str = "SELECT series, start_timestamp, document_id, end_timestamp, min_value, \
                         ROUND(avg_value, 9) AS avg_value, max_value, samples \
                         FROM series_summaries ORDER BY series, start_timestamp, document_id";
const GROUPED: &str = "SELECT series, start_timestamp, document_id, end_timestamp, min_value, \
                       ROUND(avg_value, 9) AS avg_value, max_value, samples FROM ( \
                       SELECT series, MIN(timestamp) AS start_timestamp, document_id, MAX(timestamp) AS end_timestamp, \
                       MIN(value) AS min_value, AVG(value) AS avg_value, MAX(value) AS max_value, COUNT(value) AS samples \
                       FROM document_series WHERE series IN ('sleep.heart_rate', 'sleep.hrv') GROUP BY series, document_id \
                       UNION ALL \
                       SELECT series, MIN(timestamp), document_id, MAX(timestamp), MIN(value), AVG(value), MAX(value), COUNT(value) \
                       FROM session_series WHERE series IN ('session.heart_rate', 'session.hrv') GROUP BY series, document_id) \
                       ORDER BY series, start_timestamp, document_id";
const BATTERY: &str =
    "SELECT day, min_level, ROUND(avg_level, 9) AS avg_level, max_level, charging, samples \
                       FROM ring_battery_daily ORDER BY day";
const BATTERY_GROUPED: &str = "SELECT substr(timestamp, 1, 10) AS day, MIN(level) AS min_level, \
                               ROUND(AVG(level), 9) AS avg_level, MAX(level) AS max_level, MAX(charging) AS charging, \
                               COUNT(*) AS samples FROM ring_battery_levels GROUP BY 1 ORDER BY 1";

fn assert_matches(db: &SqliteDb, when: &str) {
    let summaries = rows(db, SUMMARIES);
    assert!(!summaries.as_array().unwrap().is_empty(), "{when}: empty");
    assert_eq!(summaries, rows(db, GROUPED), "series_summaries {when}");
    assert_eq!(
        rows(db, BATTERY),
        rows(db, BATTERY_GROUPED),
        "ring_battery_daily {when}"
    );
}

fn count(db: &SqliteDb, sql: &str) -> i64 {
    rows(db, sql)[0]["n"].as_i64().unwrap()
}

#[test]
fn aggregates_follow_inserts_edits_and_deletes() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let mut nights = fixture_values("sleep");
    for c in ["sleep", "session", "ring_battery_level"] {
        write_docs(&db, c, &fixture_values(c));
    }
    assert_matches(&db, "after the first sync");
    let per_night = count(
        &db,
        "SELECT COUNT(DISTINCT document_id) AS n FROM document_series WHERE series = 'sleep.heart_rate'",
    );
    assert!(per_night >= 10, "{per_night} nights");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM series_summaries WHERE series = 'sleep.heart_rate'"
        ),
        per_night,
        "one row per night"
    );
    assert!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM series_summaries WHERE series = 'session.hrv'"
        ) > 0
    );

    // A night edited: one sample changed.
    let night = nights
        .iter_mut()
        .rfind(|s| {
            s["heart_rate"]["items"]
                .as_array()
                .is_some_and(|i| i.len() > 3)
        })
        .unwrap();
    night["heart_rate"]["items"][2] = json!(99.0);
    let edited = write_docs(&db, "sleep", std::slice::from_ref(night));
    assert!(edited.rows_written > 0);
    assert_matches(&db, "after an edited night");
    let id = night["id"].as_str().unwrap().to_string();
    assert_eq!(
        rows(
            &db,
            &format!("SELECT max_value FROM series_summaries WHERE series = 'sleep.heart_rate' AND document_id = '{id}'")
        )[0]["max_value"],
        json!(99.0)
    );

    // Another night now starts five minutes earlier: one row, the new start.
    let earlier = nights
        .iter_mut()
        .find(|s| {
            s["heart_rate"]["items"]
                .as_array()
                .is_some_and(|i| i.len() > 3)
        })
        .unwrap();
    let start =
        chrono::DateTime::parse_from_rfc3339(earlier["heart_rate"]["timestamp"].as_str().unwrap())
            .unwrap();
    earlier["heart_rate"]["timestamp"] = json!((start - chrono::Duration::minutes(5)).to_rfc3339());
    earlier["heart_rate"]["items"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!(61.0));
    write_docs(&db, "sleep", std::slice::from_ref(earlier));
    assert_matches(&db, "after a night started earlier");
    let moved = earlier["id"].as_str().unwrap();
    assert_eq!(
        count(&db, &format!("SELECT COUNT(*) AS n FROM series_summaries WHERE series = 'sleep.heart_rate' AND document_id = '{moved}'")),
        1
    );

    // A webhook delete of that night and of a session.
    try_block_on(remove(&db, find("sleep").unwrap(), &id, NOW))
        .unwrap()
        .unwrap();
    let session = fixture_values("session")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    try_block_on(remove(&db, find("session").unwrap(), &session, NOW))
        .unwrap()
        .unwrap();
    assert_matches(&db, "after webhook deletes");
    assert_eq!(
        count(&db, &format!("SELECT COUNT(*) AS n FROM series_summaries WHERE document_id IN ('{id}', '{session}')")),
        0
    );
}

#[test]
fn re_syncing_unchanged_documents_writes_no_aggregate_row() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    for c in ["sleep", "session", "ring_battery_level"] {
        assert!(write_docs(&db, c, &fixture_values(c)).rows_written > 0);
    }
    for c in ["sleep", "session", "ring_battery_level"] {
        assert_eq!(
            write_docs(&db, c, &fixture_values(c)).rows_written,
            0,
            "{c}"
        );
    }
}

#[test]
fn an_upgraded_database_fills_the_aggregates_from_its_history() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    for c in ["sleep", "session", "ring_battery_level"] {
        write_docs(&db, c, &fixture_values(c));
    }
    let written = (rows(&db, SUMMARIES), rows(&db, BATTERY));
    // As before 0021: the history is stored, the aggregates are not.
    db.exec_script("DROP TABLE series_summaries; DROP TABLE ring_battery_daily;")
        .unwrap();
    let migration =
        std::fs::read_to_string(migrations_dir().join("0021_night_session_battery_rollups.sql"))
            .unwrap();
    db.exec_script(&migration).unwrap();
    assert_matches(&db, "after the upgrade");
    assert_eq!(
        (rows(&db, SUMMARIES), rows(&db, BATTERY)),
        written,
        "as if the writer had kept them since"
    );
}
