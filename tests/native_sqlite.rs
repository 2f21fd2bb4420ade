//! The native D1 stand-in behaves like D1 where it matters: JSON-shaped
//! rows, atomic batches, no explicit transactions, integers up to 2^53,
//! index entries counted as written rows.

use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::try_block_on;
use serde_json::json;

fn db() -> SqliteDb {
    let db = SqliteDb::open_in_memory().unwrap();
    db.exec_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE, r REAL);")
        .unwrap();
    db
}

fn run(
    db: &SqliteDb,
    sql: &str,
    params: Vec<serde_json::Value>,
) -> Result<oura_edge::services::platform::QueryResult, String> {
    let stmt = Statement::new(sql, params);
    try_block_on(db.query(&stmt))
        .unwrap()
        .map_err(|e| e.to_string())
}

#[test]
fn rows_come_back_as_json_objects() {
    let db = db();
    let r = run(
        &db,
        "INSERT INTO t (v, r) VALUES (?, ?)",
        vec![json!("a"), json!(1.5)],
    )
    .unwrap();
    assert_eq!(r.meta.changes, 1);
    // As D1 counts: the row and its entry in the UNIQUE index on `v`.
    assert_eq!(r.meta.rows_written, 2);
    let r = run(
        &db,
        "SELECT id, v, r, NULL AS n, x'0102' AS b FROM t",
        vec![],
    )
    .unwrap();
    assert_eq!(
        json!(r.rows),
        json!([{"id": 1, "v": "a", "r": 1.5, "n": null, "b": [1, 2]}])
    );
    assert!(r.meta.size_after.unwrap() > 0);
}

#[test]
fn booleans_bind_as_integers() {
    let db = db();
    let r = run(
        &db,
        "SELECT ? AS t, ? AS f",
        vec![json!(true), json!(false)],
    )
    .unwrap();
    assert_eq!(json!(r.rows), json!([{"t": 1, "f": 0}]));
}

#[test]
fn batches_are_atomic() {
    let db = db();
    let stmts = vec![
        Statement::new("INSERT INTO t (v) VALUES ('x')", vec![]),
        Statement::new("INSERT INTO t (v) VALUES ('x')", vec![]),
    ];
    assert!(try_block_on(db.batch(&stmts)).unwrap().is_err());
    let r = run(&db, "SELECT COUNT(*) AS n FROM t", vec![]).unwrap();
    assert_eq!(r.rows[0]["n"], json!(0), "the first insert was rolled back");
    let ok = vec![
        Statement::new("INSERT INTO t (v) VALUES ('x')", vec![]),
        Statement::new("INSERT INTO t (v) VALUES ('y')", vec![]),
    ];
    assert_eq!(try_block_on(db.batch(&ok)).unwrap().unwrap().len(), 2);
}

#[test]
fn refuses_what_d1_refuses() {
    let db = db();
    assert!(run(&db, "BEGIN TRANSACTION", vec![])
        .unwrap_err()
        .contains("batch()"));
    assert!(run(&db, "SELECT ?", vec![json!(1_i64 << 60)])
        .unwrap_err()
        .contains("2^53"));
    assert!(run(&db, "SELECT ?", vec![json!({"a": 1})]).is_err());
    assert!(run(&db, "SELECT * FROM missing", vec![])
        .unwrap_err()
        .starts_with("D1_ERROR"));
}

#[test]
fn large_stored_integers_come_back_as_javascript_would_see_them() {
    let db = db();
    let r = run(
        &db,
        "SELECT 9007199254740993 AS big, 9007199254740991 AS safe",
        vec![],
    )
    .unwrap();
    assert_eq!(r.rows[0]["safe"], json!(9007199254740991_i64));
    assert_eq!(r.rows[0]["big"], json!(9007199254740992.0));
}
