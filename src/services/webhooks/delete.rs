//! Removing exactly one document's rows (webhook `delete`, or a 404 on
//! fetch). The stored raw document says what the document wrote: running
//! the collection's own `rows` on it yields every table, key and series row,
//! so no table list is repeated here. Counts in `table_stats` drop by the
//! rows actually deleted, in the same batch (as the writer adds them), and
//! per-day aggregates are recomputed for the days the document touched.

use crate::services::collections::Collection;
use crate::services::platform::{Db, PlatformError, Statement};
use crate::services::time::iso_timestamp;
use crate::services::writer::rollups;
use crate::services::writer::{RowSet, TableRows};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

const DAILY: &str = "daily_summaries";
const RAW: &str = "oura_documents";
const SERIES: &str = "document_series";
/// `daily_summaries` columns that belong to no collection.
const DAILY_META: [&str; 3] = ["day", "updated_at", "created_at"];

/// Why a delete could not run.
#[derive(Debug, Clone, PartialEq)]
pub enum DeleteError {
    /// D1 failed: worth retrying.
    Storage(String),
    /// The stored document no longer fits its collection: retrying cannot help.
    Invalid(String),
}

impl From<PlatformError> for DeleteError {
    fn from(e: PlatformError) -> DeleteError {
        DeleteError::Storage(e.to_string())
    }
}

impl std::fmt::Display for DeleteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeleteError::Storage(m) => write!(f, "storage: {m}"),
            DeleteError::Invalid(m) => write!(f, "invalid stored document: {m}"),
        }
    }
}

fn safe_ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Lowers `resource`'s count by what the previous statement deleted.
fn decrement(table: &str, now_iso: &str) -> Statement {
    Statement::new(
        "UPDATE table_stats SET record_count = MAX(COALESCE(record_count, 0) - changes(), 0), \
         updated_at = ?2 WHERE resource = ?1 AND changes() > 0",
        vec![Value::from(table), Value::from(now_iso)],
    )
}

fn key_delete(t: &TableRows, row: &[Value]) -> Option<Statement> {
    let spec = t.spec;
    let mut conds = Vec::new();
    let mut params = Vec::new();
    for k in spec.key {
        let i = spec.columns.iter().position(|c| c == k)?;
        conds.push(format!("{k} = ?{}", params.len() + 1));
        params.push(row.get(i)?.clone());
    }
    Some(Statement::new(
        format!("DELETE FROM {} WHERE {}", spec.table, conds.join(" AND ")),
        params,
    ))
}

/// Series rows by (series, time range, document): stays on the primary key.
fn series_deletes(t: &TableRows, id: &str) -> Vec<Statement> {
    let mut ranges: BTreeMap<String, (String, String)> = BTreeMap::new();
    for row in &t.rows {
        let (Some(series), Some(ts)) = (
            row.first().and_then(Value::as_str),
            row.get(1).and_then(Value::as_str),
        ) else {
            continue;
        };
        let e = ranges
            .entry(series.to_string())
            .or_insert_with(|| (ts.to_string(), ts.to_string()));
        if ts < e.0.as_str() {
            e.0 = ts.to_string();
        }
        if ts > e.1.as_str() {
            e.1 = ts.to_string();
        }
    }
    ranges
        .into_iter()
        .map(|(series, (min, max))| {
            Statement::new(
                "DELETE FROM document_series WHERE series = ?1 AND timestamp BETWEEN ?2 AND ?3 \
                 AND document_id = ?4",
                vec![
                    Value::from(series),
                    Value::from(min),
                    Value::from(max),
                    Value::from(id),
                ],
            )
        })
        .collect()
}

/// Clears this collection's columns on the day whose `<prefix>_id` is `id`,
/// then drops the day if no collection has data left on it.
async fn daily_clear(
    db: &dyn Db,
    t: &TableRows,
    id: &str,
    now_iso: &str,
) -> Result<Vec<(Statement, bool)>, DeleteError> {
    let spec = t.spec;
    let mut out = Vec::new();
    for row in &t.rows {
        let Some(day) = row.first().and_then(Value::as_str) else {
            continue;
        };
        // The id column is the one holding the document id (`readiness_id`, …).
        let Some(id_col) = spec
            .columns
            .iter()
            .zip(row)
            .find(|(c, v)| c.ends_with("_id") && v.as_str() == Some(id))
            .map(|(c, _)| *c)
        else {
            continue;
        };
        let existing = db
            .query(&Statement::new(
                "SELECT * FROM daily_summaries WHERE day = ?1",
                vec![Value::from(day)],
            ))
            .await?;
        let Some(current) = existing.rows.first() else {
            continue;
        };
        let cleared: Vec<&str> = spec
            .columns
            .iter()
            .copied()
            .filter(|c| !spec.key.contains(c))
            .collect();
        let all_data: Vec<&str> = current
            .keys()
            .map(String::as_str)
            .filter(|c| !DAILY_META.contains(c) && safe_ident(c))
            .collect();
        let sets: Vec<String> = cleared.iter().map(|c| format!("{c} = NULL")).collect();
        out.push((
            Statement::new(
                format!(
                    "UPDATE daily_summaries SET {}, updated_at = ?3 WHERE day = ?1 AND {id_col} = ?2",
                    sets.join(", ")
                ),
                vec![Value::from(day), Value::from(id), Value::from(now_iso)],
            ),
            true,
        ));
        let empty: Vec<String> = all_data.iter().map(|c| format!("{c} IS NULL")).collect();
        if !empty.is_empty() {
            out.push((
                Statement::new(
                    format!(
                        "DELETE FROM daily_summaries WHERE day = ?1 AND {}",
                        empty.join(" AND ")
                    ),
                    vec![Value::from(day)],
                ),
                true,
            ));
            out.push((decrement(DAILY, now_iso), false));
        }
    }
    Ok(out)
}

/// Tombstones outlive Oura's retries (about an hour) by far.
const TOMBSTONE_DAYS: i64 = 7;

/// Records the delete, so a fetch begun before `now_iso` cannot bring the
/// document back (migrations/0019), and purges week-old tombstones.
fn tombstone(c: &Collection, id: &str, now_iso: &str) -> Vec<Statement> {
    let mut out = vec![Statement::new(
        "INSERT INTO oura_deletions (collection, id, deleted_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (collection, id) DO UPDATE SET deleted_at = MAX(deleted_at, excluded.deleted_at)",
        vec![Value::from(c.name), Value::from(id), Value::from(now_iso)],
    )];
    if let Ok(now) = chrono::DateTime::parse_from_rfc3339(now_iso) {
        let cutoff = now.to_utc() - chrono::Duration::days(TOMBSTONE_DAYS);
        out.push(Statement::new(
            "DELETE FROM oura_deletions WHERE deleted_at < ?1",
            vec![Value::from(iso_timestamp(cutoff.timestamp_millis() as f64))],
        ));
    }
    out
}

/// Removes the rows document `id` of collection `c` wrote, as of `now_iso`
/// (when the delete was seen). Returns the number of rows deleted or
/// cleared (0 when nothing was stored).
pub async fn remove(
    db: &dyn Db,
    c: &Collection,
    id: &str,
    now_iso: &str,
) -> Result<u64, DeleteError> {
    let stored = db
        .query(&Statement::new(
            "SELECT json FROM oura_documents WHERE collection = ?1 AND id = ?2",
            vec![Value::from(c.name), Value::from(id)],
        ))
        .await?;
    let Some(json) = stored
        .rows
        .first()
        .and_then(|r| r.get("json"))
        .and_then(Value::as_str)
    else {
        db.batch(&tombstone(c, id, now_iso)).await?;
        return Ok(0);
    };
    let doc: &RawValue =
        serde_json::from_str(json).map_err(|e| DeleteError::Invalid(e.to_string()))?;
    let mut set = RowSet::default();
    (c.rows)(doc, &mut set).map_err(DeleteError::Invalid)?;
    // (statement, counts toward the result)
    let mut stmts: Vec<(Statement, bool)> = Vec::new();
    for t in &set.tables {
        match t.spec.table {
            DAILY => stmts.extend(daily_clear(db, t, id, now_iso).await?),
            SERIES => {
                for s in series_deletes(t, id) {
                    stmts.push((s, true));
                    stmts.push((decrement(SERIES, now_iso), false));
                }
            }
            RAW => {} // last, below: if anything fails, the raw copy still says what to delete
            table => {
                for row in &t.rows {
                    if let Some(s) = key_delete(t, row) {
                        stmts.push((s, true));
                        stmts.push((decrement(table, now_iso), false));
                    }
                }
            }
        }
    }
    stmts.push((
        Statement::new(
            "DELETE FROM oura_documents WHERE collection = ?1 AND id = ?2",
            vec![Value::from(c.name), Value::from(id)],
        ),
        true,
    ));
    stmts.push((decrement(RAW, now_iso), false));
    // After the raw delete: session aggregates are computed from raw documents.
    stmts.extend(rollups::refresh(&set).into_iter().map(|s| (s, false)));
    stmts.extend(tombstone(c, id, now_iso).into_iter().map(|s| (s, false)));
    let (sql, counts): (Vec<Statement>, Vec<bool>) = stmts.into_iter().unzip();
    let results = db.batch(&sql).await?;
    Ok(results
        .iter()
        .zip(counts)
        .filter(|(_, counts)| *counts)
        .map(|(r, _)| r.meta.changes)
        .sum())
}
