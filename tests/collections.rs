//! Every collection in the registry, from fixture JSON (simulator output, see
//! tests/fixtures/oura/README.md) → rows → native SQLite, plus the read route.
//! A new collection is covered by adding its fixture.

mod support;

use oura_edge::router::Method;
use oura_edge::services::collections::{rows_for, REGISTRY};
use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::try_block_on;
use oura_edge::services::writer::{write, WriteReport};
use serde_json::{json, Value};
use support::*;

fn scalar(db: &SqliteDb, sql: &str, params: Vec<Value>) -> Value {
    let r = try_block_on(db.query(&Statement::new(sql, params)))
        .unwrap()
        .unwrap();
    r.rows
        .first()
        .and_then(|row| row.values().next().cloned())
        .unwrap_or(Value::Null)
}

fn write_all(db: &SqliteDb, now: &str) -> WriteReport {
    let mut total = WriteReport::default();
    for c in REGISTRY {
        let (rows, rejected) = rows_for(c, &fixture(c.name));
        assert!(rejected.is_empty(), "{}: {rejected:?}", c.name);
        let r = try_block_on(write(db, &rows, now)).unwrap().unwrap();
        total.rows_written += r.rows_written;
        total.statements += r.statements;
    }
    total
}

fn stored_count(db: &SqliteDb, c: &oura_edge::services::collections::Collection) -> Value {
    match c.read {
        oura_edge::services::collections::ReadSource::Documents => scalar(
            db,
            "SELECT COUNT(*) FROM oura_documents WHERE collection = ?",
            vec![json!(c.name)],
        ),
        oura_edge::services::collections::ReadSource::Table { table, .. } => {
            scalar(db, &format!("SELECT COUNT(*) FROM {table}"), vec![])
        }
    }
}

#[test]
fn every_collection_lands_with_every_document() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    let report = write_all(&db, "2026-01-15T12:00:00.000Z");
    assert!(report.rows_written > 0);
    for c in REGISTRY {
        let docs = fixture(c.name);
        assert!(!docs.is_empty(), "{}: empty fixture", c.name);
        assert_eq!(stored_count(&db, c), json!(docs.len()), "{}", c.name);
    }
}

#[test]
fn table_stats_are_exact_after_every_write() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    write_all(&db, "2026-01-15T12:00:00.000Z");
    let tables = try_block_on(db.query(&Statement::new(
        "SELECT resource, record_count FROM table_stats",
        vec![],
    )))
    .unwrap()
    .unwrap();
    assert!(tables.rows.len() >= 12);
    for row in tables.rows {
        let table = row["resource"].as_str().unwrap();
        let actual = scalar(&db, &format!("SELECT COUNT(*) FROM {table}"), vec![]);
        assert_eq!(row["record_count"], actual, "table_stats for {table}");
    }
}

#[test]
fn rewriting_unchanged_documents_writes_nothing() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    write_all(&db, "2026-01-15T12:00:00.000Z");
    let before = scalar(&db, "SELECT SUM(record_count) FROM table_stats", vec![]);
    let again = write_all(&db, "2026-01-15T14:00:00.000Z");
    assert_eq!(
        again.rows_written, 0,
        "an unchanged re-sync must cost no writes"
    );
    assert_eq!(
        scalar(&db, "SELECT SUM(record_count) FROM table_stats", vec![]),
        before
    );
    // Nothing was re-stamped either.
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM oura_documents WHERE updated_at != '2026-01-15T12:00:00.000Z'",
            vec![]
        ),
        json!(0)
    );
}

#[test]
fn a_changed_document_updates_only_itself() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    write_all(&db, "2026-01-15T12:00:00.000Z");
    let c = oura_edge::services::collections::find("daily_readiness").unwrap();
    let mut doc = fixture_values("daily_readiness").remove(0);
    let day = doc["day"].as_str().unwrap().to_string();
    let new_score = if doc["score"] == json!(42) { 43 } else { 42 };
    doc["score"] = json!(new_score);
    let (rows, _) = rows_for(c, &documents(&[doc]));
    let r = try_block_on(write(&db, &rows, "2026-01-15T13:00:00.000Z"))
        .unwrap()
        .unwrap();
    // D1 counts index entries as written rows; since 0016 no index of
    // daily_summaries or oura_documents holds a column this update sets, so
    // the changed score costs the two rows themselves.
    assert_eq!(
        r.rows_written, 2,
        "one daily_summaries row and one raw document"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT readiness_score FROM daily_summaries WHERE day = ?",
            vec![json!(day)]
        ),
        json!(new_score)
    );
    // Other collections' columns of that day are untouched.
    let sleep_day = fixture_values("daily_sleep")
        .into_iter()
        .find(|d| d["day"] == json!(day));
    if let Some(sleep) = sleep_day {
        assert_eq!(
            scalar(
                &db,
                "SELECT sleep_score FROM daily_summaries WHERE day = ?",
                vec![json!(day)]
            ),
            sleep["score"]
        );
    }
}

#[test]
fn daily_documents_keep_their_ids_and_named_columns() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    write_all(&db, "2026-01-15T12:00:00.000Z");
    let stress = fixture_values("daily_stress").remove(0);
    let day = json!(stress["day"]);
    assert_eq!(
        scalar(
            &db,
            "SELECT stress_id FROM daily_summaries WHERE day = ?",
            vec![day.clone()]
        ),
        stress["id"]
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT stress_high_seconds FROM daily_summaries WHERE day = ?",
            vec![day.clone()]
        ),
        stress["stress_high"]
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT stress_index FROM daily_summaries WHERE day = ?",
            vec![day]
        ),
        stress["stress_high"],
        "the original's column keeps its meaning"
    );
}

#[test]
fn sleep_series_become_rows_in_utc() {
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    write_all(&db, "2026-01-15T12:00:00.000Z");
    let sleep = fixture_values("sleep");
    let expected: usize = sleep
        .iter()
        .map(|d| {
            d["heart_rate"]["items"]
                .as_array()
                .map_or(0, |a| a.iter().filter(|v| !v.is_null()).count())
        })
        .sum();
    assert!(expected > 0);
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM document_series WHERE series = 'sleep.heart_rate'",
            vec![]
        ),
        json!(expected)
    );
    let ts = scalar(&db, "SELECT MIN(timestamp) FROM document_series", vec![]);
    assert!(ts.as_str().unwrap().ends_with('Z'));
}

#[test]
fn the_read_route_pages_through_stored_documents() {
    let t = TestApp::new();
    for c in REGISTRY {
        let (rows, _) = rows_for(c, &fixture(c.name));
        try_block_on(write(
            t.native.db.as_ref(),
            &rows,
            "2026-01-15T12:00:00.000Z",
        ))
        .unwrap()
        .unwrap();
    }
    for name in [
        "daily_readiness",
        "heartrate",
        "sleep",
        "vO2_max",
        "personal_info",
    ] {
        let expected = fixture(oura_edge::services::collections::find(name).unwrap().name).len();
        let mut seen = 0;
        let mut cursor = String::new();
        for _ in 0..10_000 {
            let res = t.send(
                req(
                    Method::Get,
                    &format!("/api/oura/{name}?limit=7&cursor={cursor}"),
                )
                .with_header("authorization", &bearer(GRAFANA)),
            );
            assert_eq!(res.status, 200, "{name}");
            let body = body_json(&res);
            seen += body["data"].as_array().unwrap().len();
            match body["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{name}: every stored document exactly once");
    }
}

#[test]
fn the_read_route_explains_bad_input() {
    let t = TestApp::new();
    let get =
        |path: &str| t.send(req(Method::Get, path).with_header("authorization", &bearer(GRAFANA)));
    let unknown = get("/api/oura/nonsense");
    assert_eq!(unknown.status, 404);
    assert!(body_json(&unknown)["hint"]
        .as_str()
        .unwrap()
        .contains("daily_sleep"));
    assert_eq!(get("/api/oura/sleep?start=2026-13-01").status, 400);
    assert_eq!(
        get("/api/oura/sleep?start=2026-01-10&end=2026-01-01").status,
        400
    );
    assert_eq!(get("/api/oura/sleep?limit=0").status, 400);
    assert_eq!(get("/api/oura/sleep?cursor=zz").status, 400);
    assert_eq!(t.send(req(Method::Get, "/api/oura/sleep")).status, 401);
}

/// The registry's `table` is what readable, exportable and unique-key lists
/// are derived from, so it must be the typed table a collection's rows go to.
#[test]
fn each_collection_declares_the_typed_table_it_writes() {
    for c in REGISTRY {
        let (rows, _) = rows_for(c, &fixture(c.name));
        let typed: Vec<&str> = rows
            .tables
            .iter()
            .map(|t| t.spec.table)
            .filter(|t| !["oura_documents", "document_series"].contains(t))
            .collect();
        assert_eq!(typed, vec![c.table.table], "{}", c.name);
    }
}

/// The derived lists name exactly the tables that exist, and a collection's
/// table is readable, exportable in its paging order, and keyed as declared.
#[test]
fn derived_table_lists_match_the_schema() {
    use oura_edge::services::collections::tables::exportable_tables;
    use oura_edge::services::schema::READABLE_TABLES;
    let db = SqliteDb::open_with_migrations(migrations_dir()).unwrap();
    for table in READABLE_TABLES.iter() {
        let found = scalar(
            &db,
            "SELECT count(*) FROM sqlite_master WHERE name = ?1 AND type IN ('table', 'view')",
            vec![json!(table)],
        );
        assert_eq!(found, json!(1), "{table}");
    }
    for spec in exportable_tables() {
        assert!(READABLE_TABLES.contains(&spec.table), "{}", spec.table);
        // Unique because it holds the whole conflict key; real columns only.
        for key in spec.key {
            assert!(spec.paging.order.contains(key), "{}: {key}", spec.table);
        }
        let time = spec.paging.time.into_iter();
        for column in spec.paging.order.iter().copied().chain(time) {
            let found = scalar(
                &db,
                &format!(
                    "SELECT count(*) FROM pragma_table_info('{}') WHERE name = ?1",
                    spec.table
                ),
                vec![json!(column)],
            );
            assert_eq!(found, json!(1), "{}.{column}", spec.table);
        }
    }
    for c in REGISTRY {
        assert!(READABLE_TABLES.contains(&c.table.table), "{}", c.name);
    }
}
