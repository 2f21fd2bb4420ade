//! sqlparser with SQLite's dialect, a recursion limit (the crate's stack
//! protection is off on wasm32) and errors short enough for a panel. The
//! parser reads the very tokens that [`align`](super::align) compared with
//! SQLite's. Only a query is parsed, and nothing may follow it: the
//! parser's other statements stay out of the Worker's bundle (112 KB of
//! its gzip size; docs/decisions.md).

use super::align::same_tokens;
use super::errors::GuardError;
use super::lexer;
use super::limits::PARSER_RECURSION_LIMIT;
use sqlparser::ast::Statement;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token as SqlToken, TokenWithSpan, Tokenizer};

const MAX_REASON_CHARS: usize = 160;

/// Parses `sql` (already stripped of a trailing `;`) as exactly one query,
/// returned as `Statement::Query` for the checks that walk statements.
pub(crate) fn parse_one(sql: &str) -> Result<Statement, GuardError> {
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| GuardError::unparsable(&shorten(&e.to_string())))?;
    let sqlite = lexer::tokenize(sql).map_err(|_| GuardError::unparsable("Unreadable text"))?;
    same_tokens(sql, &sqlite, &tokens)?;
    if starts_another_statement(&tokens) {
        return Err(GuardError::not_read_only(
            "Only SELECT, WITH … SELECT and VALUES queries are allowed",
        ));
    }
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(PARSER_RECURSION_LIMIT)
        .with_tokens_with_locations(tokens);
    let query = parser.parse_query().map_err(|e| match e {
        ParserError::RecursionLimitExceeded => GuardError::too_complex(
            "The query nests expressions or subqueries too deeply".to_string(),
        ),
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => {
            GuardError::unparsable(&shorten(&m))
        }
    })?;
    match parser.peek_token().token {
        SqlToken::EOF => Ok(Statement::Query(query)),
        SqlToken::SemiColon => Err(GuardError::not_read_only("Only one statement is allowed")),
        other => Err(GuardError::unparsable(&shorten(&format!(
            "Expected end of query, found: {other}"
        )))),
    }
}

/// Whether the text opens a statement other than a query (`precheck`
/// refuses these first; this keeps `parse_one` whole on its own): they get
/// the read-only refusal they got when every statement was parsed, and any
/// other text the query parser's error.
fn starts_another_statement(tokens: &[TokenWithSpan]) -> bool {
    let first = tokens
        .iter()
        .find(|t| !matches!(t.token, SqlToken::Whitespace(_)));
    let Some(SqlToken::Word(w)) = first.map(|t| &t.token) else {
        return false;
    };
    matches!(
        w.keyword,
        Keyword::INSERT
            | Keyword::REPLACE
            | Keyword::UPDATE
            | Keyword::DELETE
            | Keyword::CREATE
            | Keyword::DROP
            | Keyword::ALTER
            | Keyword::PRAGMA
            | Keyword::ATTACH
            | Keyword::DETACH
            | Keyword::VACUUM
            | Keyword::REINDEX
            | Keyword::ANALYZE
            | Keyword::EXPLAIN
            | Keyword::BEGIN
            | Keyword::COMMIT
            | Keyword::END
            | Keyword::ROLLBACK
            | Keyword::SAVEPOINT
            | Keyword::RELEASE
    )
}

fn shorten(msg: &str) -> String {
    let msg = msg.trim();
    match msg.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", msg.get(..cut).unwrap_or(msg)),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::errors;
    use super::*;

    #[test]
    fn one_statement() {
        assert!(matches!(parse_one("SELECT 1"), Ok(Statement::Query(_))));
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
            "(SELECT 1)",
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
        assert!(!hint.contains("sql parser error"), "{hint}");
    }

    #[test]
    fn recursion_limit() {
        // Debug builds need far more stack per level than the Worker's
        // release build, so give the parser room.
        let n = PARSER_RECURSION_LIMIT + 5;
        let deep = format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n));
        let outcome = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || parse_one(&deep).map(|_| ()))
            .map(|h| h.join());
        assert!(
            matches!(&outcome, Ok(Ok(Err(e))) if e.message == "Query is too complex"),
            "{outcome:?}"
        );
    }

    #[test]
    fn shorten_cuts_on_char_boundary() {
        let long = "é".repeat(500);
        assert_eq!(shorten(&long).chars().count(), MAX_REASON_CHARS + 1);
    }
}
