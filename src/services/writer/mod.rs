//! The one writer every ingestion path (cron, webhook queue, backfill) uses.
//!
//! Rows are grouped per table and written in multi-row statements (each
//! binds its rows as one JSON array), all in one atomic batch. Writing costs
//! only what changed:
//! 1. `INSERT OR IGNORE` adds rows whose key is new;
//! 2. `table_stats` is adjusted by `changes()` of step 1 — exact counts,
//!    current after every write, and no write at all when nothing was new;
//! 3. an upsert updates existing rows only `WHERE` a value differs, so
//!    re-syncing an unchanged document writes nothing.
//!
//! `daily_summaries` merges by day for free: each collection lists only its
//! own columns, so it never touches another collection's. Per-day
//! aggregates (`rollups`) are recomputed for the days written, in the same
//! batch.

pub mod bulk;
pub mod rollups;
mod series_rollups;
mod statements;

use crate::services::platform::{Db, PlatformError, Statement};
use serde_json::Value;

/// How one table is written: static, declared next to each collection.
#[derive(Debug)]
pub struct TableSpec {
    pub table: &'static str,
    /// The conflict key (a primary key or unique index), a prefix of `columns`.
    pub key: &'static [&'static str],
    /// Every column written, key first.
    pub columns: &'static [&'static str],
    /// A column set to the write time on insert and on real change.
    pub stamp: Option<&'static str>,
    /// The column whose first 10 characters give `table_stats.min_day/max_day`.
    pub stats_day: Option<&'static str>,
    /// How readers page through the table (`/api/export`).
    pub paging: Paging,
}

/// A unique order for keyset pagination, and the column a date range filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Filtered by `start`/`end`; `None` for tables without a time.
    pub time: Option<&'static str>,
    /// Unique (it holds the conflict key); time first where the key allows,
    /// so pages come out in time order. Empty: not paged through.
    pub order: &'static [&'static str],
}

impl Paging {
    /// Rows keyed by day alone (`daily_summaries`).
    pub const BY_DAY: Paging = Paging {
        time: Some("day"),
        order: &["day"],
    };
}

/// Rows for one table, in `spec.columns` order.
#[derive(Debug)]
pub struct TableRows {
    pub spec: &'static TableSpec,
    pub rows: Vec<Vec<Value>>,
}

/// Rows for several tables, built up document by document.
#[derive(Debug, Default)]
pub struct RowSet {
    pub tables: Vec<TableRows>,
}

impl RowSet {
    /// Adds one row; its values must follow `spec.columns`.
    pub fn push(&mut self, spec: &'static TableSpec, row: Vec<Value>) -> Result<(), String> {
        if row.len() != spec.columns.len() {
            return Err(format!(
                "{}: {} values for {} columns",
                spec.table,
                row.len(),
                spec.columns.len()
            ));
        }
        match self.tables.iter_mut().find(|t| std::ptr::eq(t.spec, spec)) {
            Some(t) => t.rows.push(row),
            None => self.tables.push(TableRows {
                spec,
                rows: vec![row],
            }),
        }
        Ok(())
    }

    pub fn row_count(&self) -> usize {
        self.tables.iter().map(|t| t.rows.len()).sum()
    }
}

/// What a write cost, from D1's own accounting.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WriteReport {
    pub statements: usize,
    pub rows_written: u64,
    pub rows_read: u64,
}

/// Writes every row in one atomic batch. `now_iso` stamps changed rows.
pub async fn write(db: &dyn Db, set: &RowSet, now_iso: &str) -> Result<WriteReport, PlatformError> {
    let mut stmts: Vec<Statement> = Vec::new();
    for t in &set.tables {
        stmts.extend(statements::for_table(t, now_iso).map_err(PlatformError::new)?);
    }
    stmts.extend(rollups::refresh(set));
    if stmts.is_empty() {
        return Ok(WriteReport::default());
    }
    let results = db.batch(&stmts).await?;
    Ok(WriteReport {
        statements: stmts.len(),
        rows_written: results.iter().map(|r| r.meta.rows_written).sum(),
        rows_read: results.iter().map(|r| r.meta.rows_read).sum(),
    })
}
