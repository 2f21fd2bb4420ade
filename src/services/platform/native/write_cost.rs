//! How many rows D1 would bill for a write: D1 counts every b-tree entry it
//! writes, so a changed row costs one written row for the table plus one
//! per index whose columns the write touches. SQLite reports only changed
//! rows (`changes`); this adds the index entries from the schema.
//!
//! Approximations (documented in README): an INSERT, REPLACE or DELETE
//! touches every index of its table; an UPDATE, and an upsert's
//! `DO UPDATE` (the writer inserts new keys with `INSERT OR IGNORE` first,
//! so an upsert's changes are updates), touches the indexes that contain a
//! column of its `SET` list. A WITHOUT ROWID table's primary key is the
//! table itself, not an extra entry. Statements of other shapes (CTE writes)
//! count changed rows only.

use rusqlite::Connection;
use std::collections::HashMap;

/// Index columns per table, read from the schema once.
#[derive(Default)]
pub struct IndexCache(HashMap<String, Vec<Vec<String>>>);

impl IndexCache {
    /// Forget everything (after any schema change).
    pub fn clear(&mut self) {
        self.0.clear();
    }

    fn indexes(&mut self, conn: &Connection, table: &str) -> &[Vec<String>] {
        self.0
            .entry(table.to_string())
            .or_insert_with(|| read_indexes(conn, table).unwrap_or_default())
    }

    /// Rows D1 would count as written for `changes` rows changed by `sql`.
    pub fn rows_written(&mut self, conn: &Connection, sql: &str, changes: u64) -> u64 {
        if changes == 0 {
            return 0;
        }
        let Some(shape) = Shape::of(sql) else {
            return changes;
        };
        let indexes = self.indexes(conn, &shape.table);
        let touched = match &shape.set_columns {
            None => indexes.len(),
            Some(set) => indexes
                .iter()
                .filter(|cols| cols.iter().any(|c| set.contains(c)))
                .count(),
        };
        changes * (1 + touched as u64)
    }
}

fn read_indexes(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Vec<String>>> {
    let without_rowid: bool = conn
        .query_row(
            "SELECT wr FROM pragma_table_list WHERE name = ?1",
            [table],
            |r| r.get::<_, i64>(0),
        )
        .map(|wr| wr != 0)
        .unwrap_or(false);
    let mut list = conn.prepare("SELECT name, origin FROM pragma_index_list(?1)")?;
    let names: Vec<(String, String)> = list
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (name, origin) in names {
        if without_rowid && origin == "pk" {
            continue;
        }
        let mut info = conn.prepare("SELECT name FROM pragma_index_info(?1)")?;
        let cols: Vec<String> = info
            .query_map([&name], |r| r.get::<_, Option<String>>(0))?
            .filter_map(|c| c.ok().flatten())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        out.push(cols);
    }
    Ok(out)
}

/// A write statement's target table and, for updates, the columns it sets.
#[derive(Debug, PartialEq)]
struct Shape {
    table: String,
    /// `None`: every index is touched (insert, replace, delete).
    set_columns: Option<Vec<String>>,
}

fn words(sql: &str) -> Vec<String> {
    sql.split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('"').to_ascii_lowercase())
        .collect()
}

impl Shape {
    fn of(sql: &str) -> Option<Shape> {
        let w = words(sql);
        let first = w.first()?.as_str();
        let table_after = |keyword: &str| -> Option<String> {
            let i = w.iter().position(|x| x == keyword)?;
            w.get(i + 1).cloned()
        };
        let lower = sql.to_ascii_lowercase();
        match first {
            "insert" | "replace" => {
                let table = table_after("into")?;
                let set_columns = lower
                    .find(" do update set ")
                    .map(|i| set_list(sql.get(i + " do update set ".len()..).unwrap_or("")));
                Some(Shape { table, set_columns })
            }
            "delete" => Some(Shape {
                table: table_after("from")?,
                set_columns: None,
            }),
            "update" => {
                let mut i = 1;
                if w.get(1).map(String::as_str) == Some("or") {
                    i = 3;
                }
                let table = w.get(i)?.clone();
                let at = lower.find(" set ")?;
                Some(Shape {
                    table,
                    set_columns: Some(set_list(sql.get(at + " set ".len()..).unwrap_or(""))),
                })
            }
            _ => None,
        }
    }
}

/// Column names of a `SET a = …, b = …` list, up to a top-level `WHERE`.
fn set_list(rest: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    let lower = rest.to_ascii_lowercase();
    for (i, ch) in rest.char_indices() {
        if let Some(q) = quote {
            if ch == q {
                quote = None;
            }
            current.push(ch);
            continue;
        }
        match ch {
            '\'' | '"' => quote = Some(ch),
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        if depth == 0 && lower.get(i..).is_some_and(|l| l.starts_with(" where ")) {
            break;
        }
        current.push(ch);
    }
    items.push(current);
    items
        .iter()
        .filter_map(|item| item.split('=').next())
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_the_writers_statements() {
        assert_eq!(
            Shape::of("INSERT OR IGNORE INTO t (a, b) VALUES (?, ?)"),
            Some(Shape {
                table: "t".into(),
                set_columns: None
            })
        );
        assert_eq!(
            Shape::of(
                "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = COALESCE(x, 1) WHERE (t.b) IS NOT (excluded.b)"
            ),
            Some(Shape {
                table: "t".into(),
                set_columns: Some(vec!["b".into(), "c".into()])
            })
        );
        assert_eq!(
            Shape::of("UPDATE table_stats SET record_count = COALESCE(record_count, 0) + changes(), min_day = CASE WHEN ?1 < min_day THEN ?1 ELSE min_day END WHERE resource = ?3"),
            Some(Shape {
                table: "table_stats".into(),
                set_columns: Some(vec!["record_count".into(), "min_day".into()])
            })
        );
        assert_eq!(
            Shape::of("DELETE FROM x WHERE a = 1").map(|s| s.table),
            Some("x".into())
        );
        assert_eq!(Shape::of("SELECT 1"), None);
    }

    #[test]
    fn index_entries_are_counted_where_touched() -> rusqlite::Result<()> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v TEXT, w TEXT);
             CREATE INDEX t_v ON t (v);
             CREATE TABLE s (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;",
        )?;
        let mut cache = IndexCache::default();
        // Two indexes (unique k, v) plus the row.
        assert_eq!(
            cache.rows_written(&conn, "INSERT INTO t (k, v) VALUES (?, ?)", 2),
            6
        );
        assert_eq!(cache.rows_written(&conn, "UPDATE t SET w = 1", 4), 4);
        assert_eq!(
            cache.rows_written(&conn, "UPDATE t SET v = 1 WHERE id = 2", 1),
            2
        );
        assert_eq!(
            cache.rows_written(&conn, "DELETE FROM t WHERE id = 1", 1),
            3
        );
        // WITHOUT ROWID: the primary key is the table.
        assert_eq!(
            cache.rows_written(&conn, "INSERT INTO s (k, v) VALUES (?, ?)", 1),
            1
        );
        assert_eq!(cache.rows_written(&conn, "SELECT 1", 0), 0);
        Ok(())
    }
}
