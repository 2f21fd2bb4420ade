//! The `/api/sql` guard: decides from a parsed query (fixes #7 and #8)
//! whether a Grafana query may run, and caps the rows it can return. D1 has
//! no read-only mode, so this is the only gate; it fails closed (anything it
//! cannot parse or does not know is refused).
//!
//! Pipeline (first failure wins, in the original's order, §5.2):
//! 1. empty / over 10 000 characters (UTF-16 units, like JS `length`);
//! 2. read-only checks:
//!    - [`precheck`] tokenizes with SQLite's own rules: exactly one statement
//!      (one trailing `;` allowed), first keyword SELECT/WITH/VALUES, no write
//!      keyword (INSERT, DELETE, PRAGMA, ATTACH, …) or forbidden name
//!      (`sqlite_*`, `pragma_*`, `_cf_*`, OAuth tables, `d1_migrations`)
//!      outside string literals, only `?`/`?NNN`/`:name` parameters, ASCII
//!      outside quotes, parentheses ≤ 10 deep, ≤ 256 operators, on SQLite's
//!      view of the text;
//!    - [`parse`]: the guard's own [`parser`] of SQLite's query grammar
//!      over those same SQLite tokens (so the tree is of the statement
//!      SQLite will run, issue #13), one query and then nothing but the
//!      end, nesting limit 48; anything it does not know is refused;
//!    - [`visitor`]: every relation (FROM, JOIN, `IN table`, in every nested
//!      query, walked by [`walk`]) is a CTE in scope or a readable table
//!      (`main.` allowed);
//!      table functions only `json_each`/`json_tree`; no dangerous
//!      functions; no LIKE pattern literal starting with `%` (as the original);
//!    - [`bounds`]: recursion and joins whose cost the guard can bound;
//! 3. at most 5 UNION ALL terms: like the original, every `UNION ALL` in the
//!    whole query counts (CTEs and subqueries too; plain UNION does not);
//!    terms = count + 1;
//! 4. at most 100 parameters, each null/string/number/boolean.
//!
//! The SQL that runs is the caller's text minus a trailing `;` and trailing
//! comments, with the row cap from [`row_cap`]. Re-serialising the AST was
//! rejected: SQLite names unaliased result columns after their source text
//! (`v+1` would become `v + 1`), which dashboards depend on.
//!
//! Row cap: [`GuardedQuery::sql`] returns at most `row_cap + 1` rows. A
//! result with more than `row_cap` rows was cut; the route answers it like
//! the original (400 "Query returned too many rows").
//!
//! Stack: deep input is refused before parsing because a stack overflow
//! would kill the Worker isolate. Debug builds use several times more stack
//! per nesting level than release builds.

mod ast;
mod bounds;
mod errors;
mod lexer;
mod limits;
mod names;
mod parse;
mod parser;
mod precheck;
mod row_cap;
mod visitor;
mod walk;

pub use bounds::MAX_RECURSIVE_ROWS;
pub use errors::GuardError;
pub use limits::{
    clamp_max_rows, DEFAULT_MAX_ROWS, MAX_OPERATORS, MAX_PARAMS, MAX_PAREN_DEPTH, MAX_ROWS_CEILING,
    MAX_SQL_CHARS,
};

use serde_json::Value;

/// What the app allows: the row cap, the tables `/api/sql` may read
/// (`crate::services::schema::READABLE_TABLES`) and their single-column keys
/// (`UNIQUE_KEYS`), the only columns a join may multiply rows through.
#[derive(Debug, Clone, Copy)]
pub struct GuardConfig<'a> {
    pub max_rows: u64,
    pub readable_tables: &'a [&'a str],
    pub unique_keys: &'a [(&'a str, &'a str)],
}

impl GuardConfig<'static> {
    /// The app's schema with a row cap.
    pub fn for_schema(max_rows: u64) -> Self {
        GuardConfig {
            max_rows,
            readable_tables: crate::services::schema::READABLE_TABLES.as_slice(),
            unique_keys: crate::services::schema::UNIQUE_KEYS.as_slice(),
        }
    }
}

/// An accepted query, ready to prepare and bind.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardedQuery {
    /// SQL to execute, with the row cap applied: it yields at most
    /// `row_cap + 1` rows (one extra to detect truncation).
    pub sql: String,
    pub params: Vec<Value>,
    /// Rows the caller may return; more than this means the result was cut.
    pub row_cap: u64,
}

/// Most UNION ALL terms a query may have (the original's limit).
const MAX_UNION_ALL_TERMS: usize = 5;

/// Checks one `/api/sql` request and returns the SQL to run.
pub fn guard(sql: &str, params: &[Value], cfg: &GuardConfig) -> Result<GuardedQuery, GuardError> {
    let sql = limits::check_size(sql)?;
    let code_len = precheck::precheck(sql)?;
    let code = sql.get(..code_len).unwrap_or(sql);
    let query = parse::parse_one(code)?;
    let union_all = visitor::check(&query, cfg.readable_tables)?;
    bounds::check(&query, cfg.unique_keys)?;
    if union_all > 0 && union_all + 1 > MAX_UNION_ALL_TERMS {
        return Err(GuardError::too_many_union_all());
    }
    limits::check_params(params)?;
    let row_cap = cfg.max_rows.clamp(1, MAX_ROWS_CEILING);
    Ok(GuardedQuery {
        sql: row_cap::apply(code, &query, row_cap),
        params: params.to_vec(),
        row_cap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CFG: GuardConfig = GuardConfig {
        max_rows: 10,
        readable_tables: &["daily_summaries"],
        unique_keys: &[("daily_summaries", "day")],
    };

    fn sql_of(sql: &str) -> Result<String, String> {
        guard(sql, &[], &CFG)
            .map(|g| g.sql)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn pipeline_order_matches_the_original() {
        assert!(matches!(guard("  ", &[], &CFG), Err(e) if e.message == "SQL query is required"));
        let five =
            "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5";
        assert!(guard(five, &[], &CFG).is_ok());
        let six = format!("{five} UNION ALL SELECT 6");
        assert!(matches!(guard(&six, &[], &CFG),
            Err(e) if e.message == "Query uses too many UNION ALL terms"));
        // read-only failures win over parameter failures
        assert!(
            matches!(guard("DELETE FROM daily_summaries", &[json!({})], &CFG),
            Err(e) if e.message == errors::READ_ONLY)
        );
        assert!(matches!(guard("SELECT ?", &[json!([1])], &CFG),
            Err(e) if e.message.starts_with("Invalid parameter type at index 0")));
    }

    #[test]
    fn row_cap_and_trailing_noise() {
        assert_eq!(
            sql_of("SELECT day FROM daily_summaries; -- done"),
            Ok("SELECT day FROM daily_summaries LIMIT 11".to_string())
        );
        assert_eq!(
            sql_of("SELECT day FROM daily_summaries LIMIT ? /* n */;"),
            Ok("SELECT * FROM (SELECT day FROM daily_summaries LIMIT ?) LIMIT 11".to_string())
        );
        assert!(
            matches!(guard("SELECT 1", &[], &GuardConfig { max_rows: 0, ..CFG }),
            Ok(g) if g.row_cap == 1 && g.sql == "SELECT 1 LIMIT 2")
        );
    }

    #[test]
    fn tokenizer_disagreements_are_refused() {
        // Issue #13: a second tokenizer once read `\'` inside x'…' as an escape, SQLite
        // does not, so the checked tree had no FROM at all.
        for sql in [
            "SELECT x'''\\' , user_id, access_token, refresh_token ' AS a --' FROM 'oura_oauth_tokens'",
            "SELECT X'''\\' , 1 ' AS a --' FROM 'secret'",
        ] {
            assert!(guard(sql, &[], &CFG).is_err(), "{sql}");
        }
        assert!(sql_of("SELECT day, :n, ?1 FROM daily_summaries WHERE day > ?").is_ok());
        // A hex integer is a number to SQLite: a value, never a name.
        assert!(sql_of("SELECT 0x1F, x'00' FROM daily_summaries").is_ok());
    }

    #[test]
    fn single_quoted_names_are_names() {
        for sql in [
            "SELECT * FROM 'oura_oauth_tokens'",
            "SELECT * FROM 'main'.'oura_oauth_tokens'",
            "SELECT * FROM 'secret'",
            "SELECT 1 IN 'secret'",
            "SELECT * FROM daily_summaries JOIN 'secret' ON 1",
        ] {
            assert!(sql_of(sql).is_err(), "{sql}");
        }
        assert!(sql_of("SELECT * FROM 'daily_summaries'").is_ok());
    }

    #[test]
    fn literals_are_not_keywords() {
        assert!(sql_of("SELECT 'delete; drop table x' AS note FROM daily_summaries").is_ok());
    }
}
