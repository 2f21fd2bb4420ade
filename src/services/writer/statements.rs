//! SQL for one table's rows: insert-new, count-new, update-changed. Each
//! statement binds one parameter, a JSON array of rows that SQLite unpacks
//! with `json_each`: binding every value on its own costs the Worker a JS
//! call per value (a 29-day heart-rate window is 25,000), and D1 caps
//! statements at 100 parameters, so rows went 33 at a time.

use super::{TableRows, TableSpec};
use crate::services::platform::Statement;
use serde_json::Value;

/// The write time as a SQL literal. It is our own ISO string; anything with a
/// quote in it is refused rather than escaped.
fn stamp_literal(now_iso: &str) -> String {
    if now_iso.contains('\'') {
        "NULL".to_string()
    } else {
        format!("'{now_iso}'")
    }
}

/// Bytes of row JSON per statement: well under D1's 2,000,000-byte limit
/// on a bound string, and few statements for a 30-day heart-rate window.
const MAX_ROWS_JSON_BYTES: usize = 500_000;

/// Where a statement's rows come from: SQL over each element (`value`) of
/// JSON bound as `?1`.
pub struct JsonRows<'a> {
    /// What the rows are selected from: `json_each(?1)`, or the elements of
    /// several pages' `data`.
    pub from: &'a str,
    /// One SQL expression per column of the table, in order.
    pub values: Vec<String>,
    /// Which elements become rows (`true`: all).
    pub fits: &'a str,
}

impl JsonRows<'static> {
    /// Rows already built: each element is an array of the column values.
    fn arrays(spec: &TableSpec) -> JsonRows<'static> {
        JsonRows {
            from: "json_each(?1)",
            values: (0..spec.columns.len())
                .map(|i| format!("value ->> {i}"))
                .collect(),
            fits: "true",
        }
    }
}

/// `verb INTO table (columns) SELECT …` the rows of `rows`. Always with a
/// `WHERE`: without one, SQLite would read a following `ON CONFLICT` as a
/// join constraint of the SELECT.
fn insert_rows(spec: &TableSpec, rows: &JsonRows, verb: &str, now_iso: &str) -> String {
    let mut cols: Vec<&str> = spec.columns.to_vec();
    let mut values = rows.values.clone();
    if let Some(stamp) = spec.stamp {
        cols.push(stamp);
        values.push(stamp_literal(now_iso));
    }
    format!(
        "{verb} INTO {} ({}) SELECT {} FROM {} WHERE {}",
        spec.table,
        cols.join(", "),
        values.join(", "),
        rows.from,
        rows.fits
    )
}

/// Some rows, and their JSON array.
type Chunk<'a> = (&'a [Vec<Value>], String);

/// The rows as JSON arrays, split so that no array passes
/// `MAX_ROWS_JSON_BYTES` (a larger single row goes alone).
fn json_chunks(rows: &[Vec<Value>]) -> Result<Vec<Chunk<'_>>, String> {
    let mut out = Vec::new();
    let (mut start, mut text) = (0, String::from("["));
    for (i, row) in rows.iter().enumerate() {
        let one = serde_json::to_string(row).map_err(|e| e.to_string())?;
        if i > start && text.len() + one.len() + 2 > MAX_ROWS_JSON_BYTES {
            text.push(']');
            out.push((
                &rows[start..i],
                std::mem::replace(&mut text, String::from("[")),
            ));
            start = i;
        }
        if i > start {
            text.push(',');
        }
        text.push_str(&one);
    }
    if start < rows.len() {
        text.push(']');
        out.push((&rows[start..], text));
    }
    Ok(out)
}

/// `UPDATE table_stats …` by the rows the previous statement inserted;
/// writes nothing when it inserted none. `lo` and `hi` are SQL for the
/// rows' first and last day, `resource` for the table's name.
pub fn stats_sql(lo: &str, hi: &str, resource: &str, now_iso: &str) -> String {
    format!(
        "UPDATE table_stats SET record_count = COALESCE(record_count, 0) + changes(), \
         min_day = CASE WHEN {lo} IS NOT NULL AND (min_day IS NULL OR {lo} < min_day) THEN {lo} ELSE min_day END, \
         max_day = CASE WHEN {hi} IS NOT NULL AND (max_day IS NULL OR {hi} > max_day) THEN {hi} ELSE max_day END, \
         updated_at = {} WHERE resource = {resource} AND changes() > 0",
        stamp_literal(now_iso)
    )
}

fn stats_statement(spec: &TableSpec, chunk: &[Vec<Value>], now_iso: &str) -> Statement {
    let day_of = |row: &Vec<Value>| -> Option<String> {
        let col = spec.stats_day?;
        let i = spec.columns.iter().position(|c| *c == col)?;
        row.get(i)?.as_str().map(|s| s.chars().take(10).collect())
    };
    let days: Vec<String> = chunk.iter().filter_map(day_of).collect();
    let min = days
        .iter()
        .min()
        .cloned()
        .map_or(Value::Null, Value::String);
    let max = days
        .iter()
        .max()
        .cloned()
        .map_or(Value::Null, Value::String);
    Statement::new(
        stats_sql("?1", "?2", "?3", now_iso),
        vec![min, max, Value::String(spec.table.to_string())],
    )
}

/// `INSERT OR IGNORE`: the rows whose key is new.
pub fn insert_new(spec: &TableSpec, rows: &JsonRows, now_iso: &str) -> String {
    insert_rows(spec, rows, "INSERT OR IGNORE", now_iso)
}

/// `INSERT … ON CONFLICT DO UPDATE … WHERE` some non-key value differs.
pub fn update_changed(spec: &TableSpec, rows: &JsonRows, now_iso: &str) -> Option<String> {
    let rest: Vec<&str> = spec
        .columns
        .iter()
        .copied()
        .filter(|c| !spec.key.contains(c))
        .collect();
    if rest.is_empty() {
        return None;
    }
    let mut sets: Vec<String> = rest.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    if let Some(stamp) = spec.stamp {
        sets.push(format!("{stamp} = {}", stamp_literal(now_iso)));
    }
    let old: Vec<String> = rest.iter().map(|c| format!("{}.{c}", spec.table)).collect();
    let new: Vec<String> = rest.iter().map(|c| format!("excluded.{c}")).collect();
    Some(format!(
        "{} ON CONFLICT ({}) DO UPDATE SET {} WHERE ({}) IS NOT ({})",
        insert_rows(spec, rows, "INSERT", now_iso),
        spec.key.join(", "),
        sets.join(", "),
        old.join(", "),
        new.join(", ")
    ))
}

pub fn for_table(t: &TableRows, now_iso: &str) -> Result<Vec<Statement>, String> {
    let spec = t.spec;
    let mut out = Vec::new();
    let source = JsonRows::arrays(spec);
    for (chunk, json) in json_chunks(&t.rows)? {
        let rows = vec![Value::String(json)];
        out.push(Statement::new(
            insert_new(spec, &source, now_iso),
            rows.clone(),
        ));
        out.push(stats_statement(spec, chunk, now_iso));
        if let Some(sql) = update_changed(spec, &source, now_iso) {
            out.push(Statement::new(sql, rows));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chunks_keep_every_row_once_in_order_within_the_size() {
        let rows: Vec<Vec<Value>> = (0..30_000)
            .map(|i| {
                vec![
                    json!(format!("2026-01-01T00:{i:05}")),
                    json!(i),
                    json!("awake"),
                ]
            })
            .collect();
        let chunks = json_chunks(&rows).unwrap();
        assert!(chunks.len() > 1, "30,000 rows need more than one chunk");
        let mut back = Vec::new();
        for (chunk, text) in &chunks {
            assert!(text.len() <= MAX_ROWS_JSON_BYTES);
            let parsed: Vec<Vec<Value>> = serde_json::from_str(text).unwrap();
            assert_eq!(&parsed, chunk);
            back.extend(parsed);
        }
        assert_eq!(back, rows);
    }

    #[test]
    fn a_row_larger_than_a_chunk_goes_alone() {
        let big = vec![json!("x".repeat(MAX_ROWS_JSON_BYTES))];
        let rows = vec![vec![json!(1)], big.clone(), vec![json!(2)]];
        let sizes: Vec<usize> = json_chunks(&rows)
            .unwrap()
            .iter()
            .map(|(c, _)| c.len())
            .collect();
        assert_eq!(sizes, [1, 1, 1]);
        assert!(json_chunks(&[]).unwrap().is_empty());
    }
}
