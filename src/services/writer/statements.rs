//! SQL for one table's rows: insert-new, count-new, update-changed, in
//! chunks that stay within D1's bound-parameter limit.

use super::{TableRows, TableSpec, MAX_BOUND_PARAMS};
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

fn insert_head(spec: &TableSpec, verb: &str) -> String {
    let mut cols: Vec<&str> = spec.columns.to_vec();
    if let Some(stamp) = spec.stamp {
        cols.push(stamp);
    }
    format!("{verb} INTO {} ({}) VALUES ", spec.table, cols.join(", "))
}

fn values_clause(spec: &TableSpec, rows: usize, now_iso: &str) -> String {
    let mut one = vec!["?"; spec.columns.len()].join(", ");
    if spec.stamp.is_some() {
        one = format!("{one}, {}", stamp_literal(now_iso));
    }
    vec![format!("({one})"); rows].join(", ")
}

/// `UPDATE table_stats …` by the rows the previous statement inserted; writes
/// nothing when it inserted none.
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
        format!(
            "UPDATE table_stats SET record_count = COALESCE(record_count, 0) + changes(), \
             min_day = CASE WHEN ?1 IS NOT NULL AND (min_day IS NULL OR ?1 < min_day) THEN ?1 ELSE min_day END, \
             max_day = CASE WHEN ?2 IS NOT NULL AND (max_day IS NULL OR ?2 > max_day) THEN ?2 ELSE max_day END, \
             updated_at = {} WHERE resource = ?3 AND changes() > 0",
            stamp_literal(now_iso)
        ),
        vec![min, max, Value::String(spec.table.to_string())],
    )
}

/// `INSERT … ON CONFLICT DO UPDATE … WHERE` some non-key value differs.
fn update_changed(spec: &TableSpec, rows: usize, now_iso: &str) -> Option<String> {
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
        "{}{} ON CONFLICT ({}) DO UPDATE SET {} WHERE ({}) IS NOT ({})",
        insert_head(spec, "INSERT"),
        values_clause(spec, rows, now_iso),
        spec.key.join(", "),
        sets.join(", "),
        old.join(", "),
        new.join(", ")
    ))
}

/// Rows per statement so that no statement binds more than the limit.
pub fn rows_per_statement(spec: &TableSpec) -> usize {
    (MAX_BOUND_PARAMS / spec.columns.len().max(1)).max(1)
}

pub fn for_table(t: &TableRows, now_iso: &str) -> Vec<Statement> {
    let spec = t.spec;
    let mut out = Vec::new();
    for chunk in t.rows.chunks(rows_per_statement(spec)) {
        let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
        out.push(Statement::new(
            format!(
                "{}{}",
                insert_head(spec, "INSERT OR IGNORE"),
                values_clause(spec, chunk.len(), now_iso)
            ),
            params.clone(),
        ));
        out.push(stats_statement(spec, chunk, now_iso));
        if let Some(sql) = update_changed(spec, chunk.len(), now_iso) {
            out.push(Statement::new(sql, params));
        }
    }
    out
}
