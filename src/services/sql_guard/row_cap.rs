//! The row cap (fix #7), decided from the parsed top-level query and applied
//! to the caller's own text (stripped of a trailing `;` and comments), so
//! column names, which SQLite takes from the source text, stay as written.
//!
//! - no LIMIT, last select-core a SELECT → append `LIMIT cap+1`;
//! - `LIMIT n` / `LIMIT n OFFSET m` / `LIMIT m, n` with a literal n ≤ cap →
//!   unchanged (it can never return more than the cap);
//! - anything else (`LIMIT ?`, `?NNN`, `:name`, n > cap, `-1`, expressions,
//!   a trailing VALUES that SQLite will not let take a LIMIT) → wrap:
//!   `SELECT * FROM (<query>) LIMIT cap+1`. Parameters keep their positions.
//!   SQLite keeps the inner ORDER BY's order; only duplicate column names
//!   change (SQLite names the second `day` `day:1` in a subquery).

use super::ast::Query;
use super::bounds::literal_count;

/// The SQL to run: at most `cap + 1` rows, so the caller can tell a result
/// that was cut (cap + 1 rows) from one that fits.
pub(crate) fn apply(sql: &str, query: &Query, cap: u64) -> String {
    let fetch = cap.saturating_add(1);
    match &query.limit {
        None if query.ends_with_select() => format!("{sql} LIMIT {fetch}"),
        Some(limit) if literal_count(&limit.count).is_some_and(|n| n <= cap) => sql.to_string(),
        _ => format!("SELECT * FROM ({sql}) LIMIT {fetch}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::sql_guard::parse::parse_one;

    fn capped(sql: &str) -> String {
        match parse_one(sql) {
            Ok(q) => apply(sql, &q, 100),
            Err(e) => format!("not a query: {e}"),
        }
    }

    #[test]
    fn every_limit_form() {
        assert_eq!(capped("SELECT 1"), "SELECT 1 LIMIT 101");
        assert_eq!(capped("SELECT 1 LIMIT 5"), "SELECT 1 LIMIT 5");
        assert_eq!(
            capped("SELECT 1 LIMIT 100 OFFSET 7"),
            "SELECT 1 LIMIT 100 OFFSET 7"
        );
        assert_eq!(capped("SELECT 1 LIMIT 7, 100"), "SELECT 1 LIMIT 7, 100");
        for wrapped in [
            "SELECT 1 LIMIT 101",
            "SELECT 1 LIMIT ?",
            "SELECT 1 LIMIT ?2",
            "SELECT 1 LIMIT :n",
            "SELECT 1 LIMIT -1",
            "SELECT 1 LIMIT 5 + 5",
            "SELECT 1 LIMIT 0, 1000",
            "SELECT 1 LIMIT 1000 OFFSET 5",
            "VALUES (1), (2)",
            "SELECT 1 UNION ALL VALUES (2)",
        ] {
            assert_eq!(
                capped(wrapped),
                format!("SELECT * FROM ({wrapped}) LIMIT 101")
            );
        }
        assert_eq!(
            capped("VALUES (1) UNION SELECT 2"),
            "VALUES (1) UNION SELECT 2 LIMIT 101"
        );
    }
}
