//! Writing Oura list pages as they came, for a collection of many small
//! documents (heart rate: 8,000 in a 29-day window). SQLite turns each
//! page's `data` into rows (`json_each`, the collection's `BulkRows`), so
//! the Worker never builds a document tree or a row: that took about 9 µs a
//! document, 70-110 ms of CPU a window against the Free plan's 10 ms.
//!
//! The pages go to SQLite as one JSON array (split past 1 MB), staged in
//! `bulk_pages` so that it is sent once, then read by the same three
//! statements as the writer's (insert new, count them into `table_stats`,
//! update what changed) and one that counts the documents and those that
//! do not fit. The stage is emptied and the table's rollups recomputed for
//! the window's days, in the same batch.

use super::rollups;
use super::statements::{insert_new, stats_sql, update_changed, JsonRows};
use super::{TableSpec, WriteReport};
use crate::services::platform::{Db, PlatformError, Statement};
use chrono::NaiveDate;
use serde_json::Value;

/// How a collection's documents become rows of its table, in SQL over one
/// document (`value`, an element of a page's `data`). It must give the
/// rows its `RowsFn` gives (`tests/bulk_rows.rs` holds them equal).
#[derive(Debug)]
pub struct BulkRows {
    /// True for a document that fits the table (the others, NULL included,
    /// are counted as rejected, as the `RowsFn` rejects them).
    pub fits: &'static str,
    /// One expression per column of the table, in order.
    pub values: &'static [&'static str],
    /// The day `table_stats` counts a row under (`YYYY-MM-DD`).
    pub day: &'static str,
}

/// SQL for `convert::int` of the number at a JSON path of `value`: rounded
/// half up, as `(x + 0.5).floor()` (without `floor()`, which D1 may lack).
#[macro_export]
macro_rules! bulk_half_up_int {
    ($path:literal) => {
        concat!(
            "CASE WHEN json_extract(value, '",
            $path,
            "') + 0.5 >= 0 \
             OR json_extract(value, '",
            $path,
            "') + 0.5 = CAST(json_extract(value, '",
            $path,
            "') + 0.5 AS INTEGER) \
             THEN CAST(json_extract(value, '",
            $path,
            "') + 0.5 AS INTEGER) \
             ELSE CAST(json_extract(value, '",
            $path,
            "') + 0.5 AS INTEGER) - 1 END"
        )
    };
}

/// What writing pages did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BulkWritten {
    pub documents: u64,
    pub rejected: u64,
    pub report: WriteReport,
}

/// Every document of the group `?1` (a JSON array of list pages staged in
/// `bulk_pages`), as `value`. What is not an object reads as `{}`, which
/// fits no table: `json_each` gives a string element as bare text, which
/// would make the JSON functions of `fits` fail the whole batch.
const DOCUMENTS: &str = "(SELECT CASE WHEN d.type = 'object' THEN d.value ELSE '{}' END AS value \
     FROM bulk_pages AS b, json_each(b.body) AS p, \
     json_each(p.value, '$.data') AS d WHERE b.id = ?1)";

/// Bytes of pages staged as one row: D1 refuses a value or row over
/// 2,000,000 bytes; a 5-day heart-rate window is about 110 KB.
const MAX_GROUP_BYTES: usize = 1_000_000;

/// The pages as JSON arrays of pages, each under `MAX_GROUP_BYTES` where
/// the pages allow (a larger page goes alone).
fn groups(pages: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut group = String::new();
    for page in pages {
        if !group.is_empty() && group.len() + page.len() + 2 > MAX_GROUP_BYTES {
            group.push(']');
            out.push(std::mem::take(&mut group));
        }
        group.push(if group.is_empty() { '[' } else { ',' });
        group.push_str(page);
    }
    if !group.is_empty() {
        group.push(']');
        out.push(group);
    }
    out
}

/// One group's statements: staged, counted, then the writer's three.
fn group_statements(
    spec: &TableSpec,
    bulk: &BulkRows,
    id: usize,
    group: String,
    now_iso: &str,
) -> Vec<Statement> {
    let rows = JsonRows {
        from: DOCUMENTS,
        values: bulk.values.iter().map(|v| v.to_string()).collect(),
        fits: bulk.fits,
    };
    let param = vec![Value::from(id)];
    let day = |f: &str| {
        format!(
            "(SELECT {f}({}) FROM {DOCUMENTS} WHERE {})",
            bulk.day, bulk.fits
        )
    };
    let mut out = vec![
        Statement::new(
            "INSERT INTO bulk_pages (id, body) VALUES (?1, ?2)",
            vec![Value::from(id), Value::String(group)],
        ),
        Statement::new(
            format!(
                "SELECT (SELECT count(*) FROM {DOCUMENTS}) AS documents, \
                 (SELECT count(*) FROM {DOCUMENTS} WHERE NOT COALESCE(({}), 0)) AS rejected, \
                 (SELECT count(*) FROM bulk_pages AS b, json_each(b.body) AS p \
                  WHERE b.id = ?1 AND json_type(p.value, '$.data') IS NOT 'array') AS without_data",
                bulk.fits
            ),
            param.clone(),
        ),
        Statement::new(insert_new(spec, &rows, now_iso), param.clone()),
        Statement::new(
            stats_sql(&day("min"), &day("max"), "?2", now_iso),
            vec![param[0].clone(), Value::from(spec.table)],
        ),
    ];
    if let Some(sql) = update_changed(spec, &rows, now_iso) {
        out.push(Statement::new(sql, param));
    }
    out
}

/// Writes every page (Oura list bodies, `{"data": [...], …}`) of one
/// window `[first, last]` in one atomic batch.
pub async fn write_pages(
    db: &dyn Db,
    spec: &'static TableSpec,
    bulk: &BulkRows,
    pages: &[String],
    (first, last): (NaiveDate, NaiveDate),
    now_iso: &str,
) -> Result<BulkWritten, PlatformError> {
    if pages.is_empty() {
        return Ok(BulkWritten::default());
    }
    let mut stmts = Vec::new();
    let (mut counts_at, mut stage_at) = (Vec::new(), Vec::new());
    for (id, group) in groups(pages).into_iter().enumerate() {
        // The stage first, then the counts.
        stage_at.push(stmts.len());
        counts_at.push(stmts.len() + 1);
        stmts.extend(group_statements(spec, bulk, id, group, now_iso));
    }
    stage_at.push(stmts.len());
    stmts.push(Statement::new("DELETE FROM bulk_pages", vec![]));
    stmts.extend(rollups::refresh_days(spec.table, first, last));
    let results = db.batch(&stmts).await?;
    let mut out = BulkWritten::default();
    for at in counts_at {
        let row = results.get(at).and_then(|r| r.rows.first());
        let count = |name: &str| {
            row.and_then(|r| r.get(name))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        if count("without_data") > 0 {
            // The client refuses such a page before it gets here; should
            // one pass, the window fails (and is synced again).
            return Err(PlatformError::new(format!(
                "{}: a page has no `data` array",
                spec.table
            )));
        }
        out.documents += count("documents");
        out.rejected += count("rejected");
    }
    // The data's rows: a re-sync that changed nothing reports none (the
    // cache stays valid). The usage meter still counts the stage's two
    // rows a group, as D1 bills them.
    let data = || {
        results
            .iter()
            .enumerate()
            .filter(|(i, _)| !stage_at.contains(i))
            .map(|(_, r)| r)
    };
    out.report = WriteReport {
        statements: stmts.len(),
        rows_written: data().map(|r| r.meta.rows_written).sum(),
        rows_read: data().map(|r| r.meta.rows_read).sum(),
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_hold_every_page_once_and_stay_under_the_size() {
        let page = |i: usize| format!(r#"{{"data":["{}"],"next_token":null}}"#, "x".repeat(i));
        let pages: Vec<String> = (0..30).map(|i| page(100_000 + i)).collect();
        let split = groups(&pages);
        assert!(split.len() > 1);
        let mut back = Vec::new();
        for g in &split {
            assert!(g.len() <= MAX_GROUP_BYTES);
            let parsed: Vec<serde_json::Value> = serde_json::from_str(g).unwrap();
            back.extend(parsed.into_iter().map(|v| v.to_string()));
        }
        assert_eq!(back, pages);
        let huge = vec![page(MAX_GROUP_BYTES)];
        assert_eq!(
            groups(&huge).len(),
            1,
            "a page larger than a group goes alone"
        );
        assert!(groups(&[]).is_empty());
    }
}
