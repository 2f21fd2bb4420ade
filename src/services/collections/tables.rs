//! What other parts need to know about the collections' tables, derived
//! from the registry so that adding a collection updates every list.

use super::convert::{RAW_DOCUMENTS, SERIES};
use super::REGISTRY;
use crate::services::writer::TableSpec;

/// Readable tables and views that no collection writes row by row: the
/// writer's per-table counts, its rollups and aggregates, and two views over
/// documents.
const DERIVED_READABLE: &[&str] = &[
    "table_stats",
    "activity_met",
    "heart_rate_daily",
    "session_series",
    // Per-night, per-session and per-day aggregates (migration 0021).
    "series_summaries",
    "ring_battery_daily",
];

/// Single-column keys of the tables above (the collections' come from
/// their `TableSpec`s).
const DERIVED_UNIQUE_KEYS: &[(&str, &str)] =
    &[("table_stats", "resource"), ("ring_battery_daily", "day")];

/// Every typed table, once, in registry order (several daily collections
/// share `daily_summaries`).
pub fn typed_tables() -> Vec<&'static TableSpec> {
    let mut out: Vec<&'static TableSpec> = Vec::new();
    for c in REGISTRY {
        if !out.iter().any(|t| t.table == c.table.table) {
            out.push(c.table);
        }
    }
    out
}

/// Tables `/api/export` pages through: the typed tables and the series.
pub fn exportable_tables() -> Vec<&'static TableSpec> {
    let mut out = typed_tables();
    out.push(&SERIES);
    out
}

/// Tables Grafana (`/api/sql`) and the read routes may read. The OAuth
/// tables, `d1_migrations`, `sqlite_*` and `_cf_*` are never among them.
pub fn readable_tables() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = typed_tables().iter().map(|t| t.table).collect();
    out.extend([RAW_DOCUMENTS.table, SERIES.table]);
    out.extend(DERIVED_READABLE);
    out
}

/// `(table, column)`: readable tables whose column alone is unique (a
/// single-column primary key).
pub fn unique_keys() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = typed_tables()
        .iter()
        .filter_map(|t| match t.key {
            [only] => Some((t.table, *only)),
            _ => None,
        })
        .collect();
    out.extend(DERIVED_UNIQUE_KEYS);
    out
}
