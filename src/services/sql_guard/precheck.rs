//! Checks on SQLite's view of the tokens, before the parser sees them:
//! one statement, a read-only first keyword, no write keywords or forbidden
//! names outside literals, bounded nesting. Some repeat tree checks on
//! purpose (defence in depth).

use super::errors::GuardError;
use super::lexer::{tokenize, Kind, LexError, Token};
use super::limits::{MAX_OPERATORS, MAX_PAREN_DEPTH};
use super::names;

/// Keywords that build operator chains (see `MAX_OPERATORS`).
const OPERATOR_WORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "is",
    "in",
    "like",
    "glob",
    "regexp",
    "match",
    "between",
    "collate",
    "escape",
    "isnull",
    "notnull",
    "union",
    "intersect",
    "except",
    "case",
    "when",
];

/// Byte length of the executable part of `sql`: without a trailing `;` and
/// without comments or whitespace after the last token.
pub(crate) fn precheck(sql: &str) -> Result<usize, GuardError> {
    let tokens = tokenize(sql).map_err(|e| match e {
        LexError::Unterminated(what) => GuardError::unparsable(&format!("Unterminated {what}")),
        LexError::BadChar(c) => GuardError::unparsable(&format!(
            "Unexpected character {c:?}: outside quotes only ASCII is accepted"
        )),
        LexError::UnsupportedParameter(p) => {
            GuardError::unparsable(&format!("Unsupported parameter {p}: use ?, ?NNN or :name"))
        }
    })?;

    let code: &[Token] = match tokens.split_last() {
        Some((last, rest)) if last.kind == Kind::Semicolon => rest,
        _ => &tokens,
    };
    if code.iter().any(|t| t.kind == Kind::Semicolon) {
        return Err(GuardError::not_read_only(
            "Only one statement is allowed (a ';' may only end the query)",
        ));
    }
    let Some(first) = code.first() else {
        return Err(GuardError::not_read_only("The query has no statement"));
    };
    let starts_ok = first.kind == Kind::Word
        && ["select", "with", "values"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(first.text));
    if !starts_ok {
        return Err(GuardError::not_read_only(format!(
            "Queries must start with SELECT, WITH or VALUES, not {}",
            first.text.to_ascii_uppercase()
        )));
    }

    let mut depth = 0usize;
    let mut operators = 0usize;
    for (i, tok) in code.iter().enumerate() {
        match tok.kind {
            Kind::OpenParen => {
                depth += 1;
                if depth > MAX_PAREN_DEPTH {
                    return Err(GuardError::too_complex(format!(
                        "Parentheses are nested more than {MAX_PAREN_DEPTH} levels deep"
                    )));
                }
            }
            Kind::CloseParen => depth = depth.saturating_sub(1),
            Kind::Operator => operators += 1,
            Kind::Word => {
                if OPERATOR_WORDS
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(tok.text))
                {
                    operators += 1;
                }
                let next_is_into = code
                    .get(i + 1)
                    .is_some_and(|n| n.kind == Kind::Word && n.text.eq_ignore_ascii_case("into"));
                if names::is_write_keyword(tok.text)
                    || (tok.text.eq_ignore_ascii_case("replace") && next_is_into)
                {
                    return Err(GuardError::not_read_only(format!(
                        "{} is not allowed: only read-only queries can run here",
                        tok.text.to_ascii_uppercase()
                    )));
                }
            }
            _ => {}
        }
        if let Some(name) = tok.ident_value() {
            if names::is_denied_name(&name) {
                return Err(GuardError::not_read_only(format!(
                    "'{name}' is not readable"
                )));
            }
            if names::is_denied_token_function(&name) {
                return Err(GuardError::not_read_only(format!(
                    "Function {name} is not allowed"
                )));
            }
        }
        if operators > MAX_OPERATORS {
            return Err(GuardError::too_complex(format!(
                "More than {MAX_OPERATORS} operators in one query"
            )));
        }
    }
    Ok(code.last().map_or(0, |t| t.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(sql: &str) -> String {
        match precheck(sql) {
            Ok(_) => String::from("ok"),
            Err(e) => e.hint.unwrap_or(e.message),
        }
    }

    #[test]
    fn strips_one_trailing_semicolon_and_comments() {
        let sql = "SELECT 1 ; -- bye\n/* ; */";
        assert_eq!(precheck(sql).map(|n| sql.get(..n)), Ok(Some("SELECT 1")));
        assert!(hint("SELECT 1;;").contains("one statement"));
        assert!(hint("SELECT 1; SELECT 2").contains("one statement"));
        assert_eq!(hint("SELECT ';' /* ; */ -- ;"), "ok");
    }

    #[test]
    fn first_keyword() {
        assert!(hint("/* hi */ DROP TABLE x").contains("DROP"));
        assert!(hint("(SELECT 1)").contains("start with"));
        assert!(hint("EXPLAIN SELECT 1").contains("EXPLAIN"));
        assert_eq!(hint("values (1)"), "ok");
        assert!(hint("-- only a comment").contains("no statement"));
    }

    #[test]
    fn words_outside_literals() {
        assert!(hint("WITH x AS (SELECT 1) DELETE FROM t").contains("DELETE"));
        assert!(hint("WITH x AS (SELECT 1) REPLACE INTO t SELECT 1").contains("REPLACE"));
        assert_eq!(hint("SELECT 'delete', replace(day, '-', '/') FROM t"), "ok");
        assert!(hint("SELECT * FROM [SQLite_Master]").contains("not readable"));
        assert!(hint("SELECT * FROM `oura_oauth_tokens`").contains("not readable"));
        assert!(hint("SELECT load_extension('x')").contains("load_extension"));
        assert_eq!(hint("SELECT 'sqlite_master', updated_at FROM t"), "ok");
    }

    #[test]
    fn nesting_and_operators() {
        let deep = format!("SELECT {}1{}", "(".repeat(11), ")".repeat(11));
        assert!(hint(&deep).contains("nested"));
        let ok = format!("SELECT {}1{}", "(".repeat(10), ")".repeat(10));
        assert_eq!(hint(&ok), "ok");
        let long = format!("SELECT 1{}", "+1".repeat(MAX_OPERATORS + 1));
        assert!(hint(&long).contains("operators"));
    }
}
