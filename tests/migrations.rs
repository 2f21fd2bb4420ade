//! Schema compatibility: a database made by the original worker upgrades in
//! place with no data loss, a fresh database ends with a superset of the
//! original schema, and the original's 64 dashboard queries run on both.

use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{Db, QueryResult, Statement};
use oura_edge::services::try_block_on;
use serde_json::{json, Value};
use std::path::Path;

fn migrations() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compat")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn query(db: &SqliteDb, sql: &str) -> QueryResult {
    try_block_on(db.query(&Statement::new(sql, vec![])))
        .unwrap()
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A database as the original left it: its schema, its ten migrations
/// recorded, and some rows in every table.
fn original_database() -> SqliteDb {
    let db = SqliteDb::open_in_memory().unwrap();
    db.exec_script(&fixture("original-schema.sql")).unwrap();
    db.exec_script(
        "CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, \
         applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);",
    )
    .unwrap();
    for name in fixture("original-migration-names.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        db.exec_script(&format!(
            "INSERT INTO d1_migrations (name) VALUES ('{}');",
            name.trim()
        ))
        .unwrap();
    }
    db.exec_script(
        "INSERT INTO daily_summaries (day, readiness_score, sleep_score, activity_score, activity_steps, stress_index, resilience_level, cv_age_offset, vo2_max)
           VALUES ('2025-01-01', 80, 75, 90, 9000, 3600, 'solid', 38, 41.5),
                  ('2025-01-02', 82, 77, 60, 5000, 1800, 'strong', 38, 41.0);
         INSERT INTO heart_rate_samples VALUES ('2025-01-01T10:00:00+00:00', 61, 'awake'), ('2025-01-02T10:05:00+00:00', 64, 'rest');
         INSERT INTO sleep_episodes (id, day, start_datetime, end_datetime, type, deep_duration) VALUES ('s1', '2025-01-02', '2025-01-01T23:00:00+01:00', '2025-01-02T07:00:00+01:00', 'long_sleep', 5400);
         INSERT INTO activity_logs (id, type, start_datetime, activity_label, calories) VALUES ('w1', 'workout', '2025-01-01T18:00:00+01:00', 'running', 420.0);
         INSERT INTO enhanced_tags (id, start_day, tag_type_code) VALUES ('t1', '2025-01-01', 'tag_generic_coffee');
         INSERT INTO rest_mode_periods (id, start_day, episodes_json) VALUES ('r1', '2025-01-01', '[]');
         INSERT INTO oura_oauth_tokens (user_id, access_token, refresh_token, expires_at) VALUES ('default', 'at', 'rt', 1);
         INSERT INTO table_stats (resource, min_day, max_day, record_count) VALUES ('heart_rate_samples', '2025-01-01', '2025-01-02', 999);",
    )
    .unwrap();
    db
}

fn table_columns(db: &SqliteDb) -> Vec<(String, String)> {
    let tables = query(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    );
    let mut out = Vec::new();
    for t in tables.rows {
        let name = t["name"].as_str().unwrap().to_string();
        for c in query(db, &format!("SELECT name FROM pragma_table_info('{name}')")).rows {
            out.push((name.clone(), c["name"].as_str().unwrap().to_string()));
        }
    }
    out
}

fn dashboard_queries() -> Vec<(String, String)> {
    let all: Vec<Value> =
        serde_json::from_str(&fixture("original-dashboard-queries.json")).unwrap();
    all.iter()
        .filter_map(|q| {
            Some((
                q["title"].as_str()?.to_string(),
                q["sql"].as_str()?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn an_original_database_upgrades_in_place_without_losing_rows() {
    let db = original_database();
    let applied = db.apply_pending_migrations(migrations()).unwrap();
    assert!(
        applied.iter().all(|n| n.as_str() > "0010"),
        "re-ran an original migration: {applied:?}"
    );
    assert!(!applied.is_empty());

    let ds = query(&db, "SELECT day, readiness_score, stress_index, cv_age_offset FROM daily_summaries ORDER BY day");
    assert_eq!(
        json!(ds.rows),
        json!([
            {"day": "2025-01-01", "readiness_score": 80, "stress_index": 3600, "cv_age_offset": 38},
            {"day": "2025-01-02", "readiness_score": 82, "stress_index": 1800, "cv_age_offset": 38}
        ])
    );
    assert_eq!(
        query(&db, "SELECT COUNT(*) AS n FROM heart_rate_samples").rows[0]["n"],
        json!(2)
    );
    assert_eq!(
        query(&db, "SELECT access_token FROM oura_oauth_tokens").rows[0]["access_token"],
        json!("at")
    );
    // New columns exist and are empty for old rows.
    let new = query(
        &db,
        "SELECT readiness_id, stress_high_seconds FROM daily_summaries WHERE day = '2025-01-01'",
    );
    assert_eq!(
        json!(new.rows),
        json!([{"readiness_id": null, "stress_high_seconds": null}])
    );
    // table_stats starts from the true numbers (the original's drifted 999 is corrected).
    let stats = query(&db, "SELECT record_count, min_day, max_day FROM table_stats WHERE resource = 'heart_rate_samples'");
    assert_eq!(
        json!(stats.rows),
        json!([{"record_count": 2, "min_day": "2025-01-01", "max_day": "2025-01-02"}])
    );
    // Running the migrations again changes nothing.
    assert!(db
        .apply_pending_migrations(migrations())
        .unwrap()
        .is_empty());
}

#[test]
fn a_fresh_database_has_every_original_table_and_column() {
    let original = original_database();
    let fresh = SqliteDb::open_with_migrations(migrations()).unwrap();
    let have = table_columns(&fresh);
    for col in table_columns(&original) {
        if col.0 == "d1_migrations" {
            continue;
        }
        assert!(
            have.contains(&col),
            "fresh database lacks {}.{}",
            col.0,
            col.1
        );
    }
}

#[test]
fn the_original_dashboard_queries_run_on_both() {
    let queries = dashboard_queries();
    assert_eq!(queries.len(), 64);
    let upgraded = original_database();
    upgraded.apply_pending_migrations(migrations()).unwrap();
    let fresh = SqliteDb::open_with_migrations(migrations()).unwrap();
    for db in [&upgraded, &fresh] {
        for (title, sql) in &queries {
            let r = try_block_on(db.query(&Statement::new(sql.as_str(), vec![]))).unwrap();
            assert!(r.is_ok(), "{title}: {sql}: {:?}", r.err());
        }
    }
    // And on the upgraded one they still see the old data.
    let r = query(&upgraded, &queries[0].1);
    assert_eq!(r.rows[0]["value"], json!(82));
}
