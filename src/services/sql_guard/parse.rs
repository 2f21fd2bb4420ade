//! sqlparser with SQLite's dialect, a recursion limit (the crate's stack
//! protection is off on wasm32) and errors short enough for a panel. The
//! parser reads the very tokens that [`align`](super::align) compared with
//! SQLite's.

use super::align::same_tokens;
use super::errors::GuardError;
use super::lexer;
use super::limits::PARSER_RECURSION_LIMIT;
use sqlparser::ast::Statement;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Tokenizer;

const MAX_REASON_CHARS: usize = 160;

/// Parses `sql` (already stripped of a trailing `;`) into exactly one statement.
pub(crate) fn parse_one(sql: &str) -> Result<Statement, GuardError> {
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| GuardError::unparsable(&shorten(&e.to_string())))?;
    let sqlite = lexer::tokenize(sql).map_err(|_| GuardError::unparsable("Unreadable text"))?;
    same_tokens(sql, &sqlite, &tokens)?;
    let statements = Parser::new(&dialect)
        .with_recursion_limit(PARSER_RECURSION_LIMIT)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| match e {
            ParserError::RecursionLimitExceeded => GuardError::too_complex(
                "The query nests expressions or subqueries too deeply".to_string(),
            ),
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => {
                GuardError::unparsable(&shorten(&m))
            }
        })?;
    let mut it = statements.into_iter();
    match (it.next(), it.next()) {
        (Some(stmt), None) => Ok(stmt),
        (None, _) => Err(GuardError::not_read_only("The query has no statement")),
        (Some(_), Some(_)) => Err(GuardError::not_read_only("Only one statement is allowed")),
    }
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
    use super::*;

    #[test]
    fn one_statement() {
        assert!(matches!(parse_one("SELECT 1"), Ok(Statement::Query(_))));
        assert!(matches!(parse_one("SELECT 1; SELECT 2"), Err(e) if e.hint.is_some()));
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
