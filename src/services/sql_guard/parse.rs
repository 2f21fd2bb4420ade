//! The query the guard checks, parsed from SQLite's own tokens by
//! [`parser`](super::parser), so what is checked is what SQLite reads.
//! Only a query is parsed, and nothing may follow it.

use super::ast::Query;
use super::errors::GuardError;
use super::lexer::{self, Kind, Token};
use super::parser;

/// First words of statements that are not queries.
const OTHER_STATEMENTS: &[&str] = &[
    "insert",
    "replace",
    "update",
    "delete",
    "create",
    "drop",
    "alter",
    "pragma",
    "attach",
    "detach",
    "vacuum",
    "reindex",
    "analyze",
    "explain",
    "begin",
    "commit",
    "end",
    "rollback",
    "savepoint",
    "release",
];

/// Parses `sql` (already stripped of a trailing `;`) as exactly one query.
pub(crate) fn parse_one(sql: &str) -> Result<Query, GuardError> {
    let tokens = lexer::tokenize(sql).map_err(|_| GuardError::unparsable("Unreadable text"))?;
    if starts_another_statement(&tokens) {
        return Err(GuardError::not_read_only(
            "Only SELECT, WITH … SELECT and VALUES queries are allowed",
        ));
    }
    parser::parse_query(&tokens)
}

/// Whether the text opens a statement other than a query (`precheck`
/// refuses these first; this keeps `parse_one` whole on its own): they get
/// the read-only refusal, any other text the parser's error.
fn starts_another_statement(tokens: &[Token<'_>]) -> bool {
    tokens.first().is_some_and(|t| {
        t.kind == Kind::Word
            && OTHER_STATEMENTS
                .iter()
                .any(|w| w.eq_ignore_ascii_case(t.text))
    })
}

#[cfg(test)]
mod tests {
    use super::super::errors;
    use super::super::limits::PARSER_RECURSION_LIMIT;
    use super::*;

    #[test]
    fn one_statement() {
        assert!(parse_one("SELECT 1").is_ok());
        assert!(matches!(parse_one("SELECT 1; SELECT 2"), Err(e) if e.hint.is_some()));
    }

    #[test]
    fn only_queries_and_nothing_after_them() {
        let refused = |sql: &str| parse_one(sql).err().map(|e| e.message);
        // Text after a whole query is refused, not left for SQLite to run.
        assert_eq!(
            refused("SELECT 1 2").as_deref(),
            Some("SQL could not be parsed")
        );
        assert_eq!(
            refused("SELECT 1) DELETE FROM t").as_deref(),
            Some("SQL could not be parsed")
        );
        // SQLite cannot run a parenthesised statement either.
        assert_eq!(
            refused("(SELECT 1)").as_deref(),
            Some("SQL could not be parsed")
        );
        for other in [
            "DELETE FROM t",
            "PRAGMA table_info(t)",
            "EXPLAIN SELECT 1",
            "ATTACH 'x' AS y",
            "SELECT 1; DELETE FROM t",
        ] {
            assert_eq!(
                refused(other).as_deref(),
                Some(errors::READ_ONLY),
                "{other}"
            );
        }
        for query in [
            "SELECT 1",
            "VALUES (1)",
            "WITH a AS (SELECT 1) SELECT * FROM a",
        ] {
            assert!(parse_one(query).is_ok(), "{query}");
        }
    }

    #[test]
    fn readable_errors() {
        let Err(e) = parse_one("SELEC 1") else {
            unreachable!("must fail")
        };
        assert_eq!(e.message, "SQL could not be parsed");
        let hint = e.hint.unwrap_or_default();
        assert!(hint.contains("SELEC"), "{hint}");
    }

    #[test]
    fn recursion_limit() {
        // Debug builds need far more stack per level than the Worker's
        // release build, so give the parser room.
        let n = PARSER_RECURSION_LIMIT + 5;
        let deep = format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n));
        let minus = format!("SELECT {}1", "- ".repeat(n));
        let outcome = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || (parse_one(&deep).map(|_| ()), parse_one(&minus).map(|_| ())))
            .map(|h| h.join());
        let Ok(Ok((deep, minus))) = outcome else {
            unreachable!("the parser thread failed")
        };
        for outcome in [deep, minus] {
            assert!(
                matches!(&outcome, Err(e) if e.message == "Query is too complex"),
                "{outcome:?}"
            );
        }
    }
}
