//! D1 on the host: SQLite through rusqlite, with D1's habits where they
//! matter — migrations applied in file-name order, atomic batches, no
//! explicit transactions, integers exact only up to 2^53, JSON-shaped rows,
//! and `meta.rows_written` counting index entries as D1 does (`write_cost`).

use super::write_cost::IndexCache;
use crate::services::platform::BoxFut;
use crate::services::platform::{
    Db, PResult, PlatformError, QueryMeta, QueryResult, Row, Statement,
};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, StatementStatus};
use serde_json::{Number, Value};
use std::cell::RefCell;
use std::path::Path;

/// JavaScript's largest exact integer; D1 cannot carry more.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

pub struct SqliteDb {
    conn: RefCell<Connection>,
    indexes: RefCell<IndexCache>,
}

fn err(e: impl std::fmt::Display) -> PlatformError {
    PlatformError::new(format!("D1_ERROR: {e}"))
}

impl SqliteDb {
    pub fn open_in_memory() -> PResult<SqliteDb> {
        let conn = Connection::open_in_memory().map_err(err)?;
        Ok(SqliteDb {
            conn: RefCell::new(conn),
            indexes: RefCell::new(IndexCache::default()),
        })
    }

    /// Opens an in-memory database and applies every migration in `dir`.
    pub fn open_with_migrations(dir: &Path) -> PResult<SqliteDb> {
        let db = SqliteDb::open_in_memory()?;
        db.apply_pending_migrations(dir)?;
        Ok(db)
    }

    /// Applies `dir/*.sql` in name order, skipping names already recorded in
    /// `d1_migrations` and recording the rest — what `wrangler d1 migrations
    /// apply` does, so upgrades of existing databases can be tested.
    pub fn apply_pending_migrations(&self, dir: &Path) -> PResult<Vec<String>> {
        self.exec_script(
            "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, \
             name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);",
        )?;
        self.indexes.borrow_mut().clear();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| err(format!("reading {}: {e}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        let mut applied = Vec::new();
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let conn = self.conn.borrow();
            let done: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM d1_migrations WHERE name = ?1",
                    [&name],
                    |r| r.get(0),
                )
                .map_err(err)?;
            if done > 0 {
                continue;
            }
            let sql = std::fs::read_to_string(&file).map_err(err)?;
            conn.execute_batch(&sql)
                .map_err(|e| err(format!("migration {name}: {e}")))?;
            conn.execute("INSERT INTO d1_migrations (name) VALUES (?1)", [&name])
                .map_err(err)?;
            applied.push(name);
        }
        Ok(applied)
    }

    /// Runs several `;`-separated statements (migrations, fixtures).
    pub fn exec_script(&self, sql: &str) -> PResult<()> {
        self.indexes.borrow_mut().clear();
        self.conn.borrow().execute_batch(sql).map_err(err)
    }

    fn run(conn: &Connection, indexes: &mut IndexCache, stmt: &Statement) -> PResult<QueryResult> {
        refuse_transaction_control(&stmt.sql)?;
        if changes_schema(&stmt.sql) {
            indexes.clear();
        }
        let mut prepared = conn.prepare(&stmt.sql).map_err(err)?;
        let params = stmt
            .params
            .iter()
            .map(to_sql)
            .collect::<PResult<Vec<_>>>()?;
        let names: Vec<String> = prepared.column_names().map(|s| s.to_string()).collect();
        let before = conn.total_changes();
        let mut rows = prepared
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut map = Row::new();
            for (i, name) in names.iter().enumerate() {
                map.insert(name.clone(), from_sql(row.get_ref(i).map_err(err)?));
            }
            out.push(map);
        }
        drop(rows);
        let changes = conn.total_changes().saturating_sub(before);
        let scanned = prepared.get_status(StatementStatus::FullscanStep) as u64;
        let page_count: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(err)?;
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(err)?;
        Ok(QueryResult {
            meta: QueryMeta {
                // SQLite does not count rows read the way D1 does; rows
                // returned plus full-scan steps is a close lower bound.
                rows_read: out.len() as u64 + scanned,
                // D1 counts index entries as written rows too.
                rows_written: indexes.rows_written(conn, &stmt.sql, changes),
                changes,
                last_row_id: Some(conn.last_insert_rowid()),
                size_after: Some((page_count * page_size) as u64),
            },
            rows: out,
        })
    }
}

fn changes_schema(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    ["CREATE", "DROP", "ALTER"]
        .iter()
        .any(|w| head.starts_with(w))
}

/// D1 rejects explicit transactions; atomicity comes from `batch`.
fn refuse_transaction_control(sql: &str) -> PResult<()> {
    let head = sql.trim_start().to_ascii_uppercase();
    for word in ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"] {
        if head.starts_with(word) {
            return Err(err(format!(
                "{word} is not allowed; use batch() for atomic writes"
            )));
        }
    }
    Ok(())
}

fn to_sql(v: &Value) -> PResult<SqlValue> {
    Ok(match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.abs() <= MAX_SAFE_INTEGER => SqlValue::Integer(i),
            Some(i) => return Err(err(format!("integer {i} exceeds 2^53"))),
            None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => {
            return Err(err("type not supported: bind objects as JSON text"))
        }
    })
}

fn from_sql(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) if i.abs() <= MAX_SAFE_INTEGER => Value::Number(i.into()),
        // JavaScript would round it to the nearest double.
        ValueRef::Integer(i) => Number::from_f64(i as f64).map_or(Value::Null, Value::Number),
        ValueRef::Real(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Array(b.iter().map(|x| Value::from(*x)).collect()),
    }
}

impl Db for SqliteDb {
    fn query<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<QueryResult>> {
        Box::pin(
            async move { SqliteDb::run(&self.conn.borrow(), &mut self.indexes.borrow_mut(), stmt) },
        )
    }

    fn batch<'a>(&'a self, stmts: &'a [Statement]) -> BoxFut<'a, PResult<Vec<QueryResult>>> {
        Box::pin(async move {
            let mut conn = self.conn.borrow_mut();
            let tx = conn.transaction().map_err(err)?;
            let mut results = Vec::with_capacity(stmts.len());
            let mut indexes = self.indexes.borrow_mut();
            for stmt in stmts {
                results.push(SqliteDb::run(&tx, &mut indexes, stmt)?);
            }
            tx.commit().map_err(err)?;
            Ok(results)
        })
    }
}
