//! Facts about the database schema that code outside `migrations/` needs,
//! derived from the collection registry (`collections::tables`).

use crate::services::collections::tables;
use std::sync::LazyLock;

/// Tables Grafana (`/api/sql`) and the read routes may read. The OAuth
/// tables, `d1_migrations`, `sqlite_*` and `_cf_*` are deliberately absent.
pub static READABLE_TABLES: LazyLock<Vec<&'static str>> = LazyLock::new(tables::readable_tables);

/// `(table, column)`: readable tables whose column alone is unique (a
/// single-column primary key). The SQL guard lets a join multiply rows only
/// through such a key; `tests/sql_guard.rs` checks the list against the schema.
pub static UNIQUE_KEYS: LazyLock<Vec<(&'static str, &'static str)>> =
    LazyLock::new(tables::unique_keys);
