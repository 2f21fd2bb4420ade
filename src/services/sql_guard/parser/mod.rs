//! A recursive-descent parser of the SQLite query grammar (`lang_select`,
//! `lang_expr`) over the guard's own SQLite tokens, so the tree the checks
//! walk is built from exactly the tokens SQLite will read. It knows what
//! dashboards write — WITH [RECURSIVE], compound selects, joins, table
//! functions, window functions, CASE, CAST, IN, LIKE … ESCAPE, COLLATE,
//! `->`/`->>` — and fails closed on anything else. It replaced sqlparser,
//! whose every dialect and derive made up a third of the Worker's bundle
//! (docs/decisions.md).
//!
//! Depth: every nested query, expression, prefix operator and
//! parenthesised join counts against `PARSER_RECURSION_LIMIT`, so deep
//! input is refused before it can exhaust the Worker's stack.

mod expr;
mod query;

use super::ast::{Name, Query};
use super::errors::GuardError;
use super::lexer::{Kind, Token};
use super::limits::PARSER_RECURSION_LIMIT;

pub(crate) type Parsed<T> = Result<T, GuardError>;

/// Words that end or shape a clause, so never a bare name or alias here.
/// (SQLite lets a few of them be names; refusing those is fail-closed.)
const RESERVED: &[&str] = &[
    "all",
    "and",
    "as",
    "between",
    "by",
    "case",
    "collate",
    "cross",
    "distinct",
    "else",
    "end",
    "escape",
    "except",
    "exists",
    "from",
    "full",
    "glob",
    "group",
    "having",
    "in",
    "indexed",
    "inner",
    "intersect",
    "is",
    "isnull",
    "join",
    "left",
    "like",
    "limit",
    "match",
    "natural",
    "not",
    "notnull",
    "null",
    "on",
    "or",
    "order",
    "outer",
    "regexp",
    "right",
    "select",
    "then",
    "union",
    "using",
    "values",
    "when",
    "where",
    "window",
    "with",
];

/// Parses the whole token list as one query; text after it is an error.
pub(crate) fn parse_query(tokens: &[Token<'_>]) -> Parsed<Query> {
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let query = parser.query()?;
    match parser.peek() {
        None => Ok(query),
        Some(t) if t.kind == Kind::Semicolon => {
            Err(GuardError::not_read_only("Only one statement is allowed"))
        }
        Some(_) => Err(parser.expected("the end of the query")),
    }
}

pub(crate) struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'_, 'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token<'a>> {
        self.tokens.get(self.pos + ahead)
    }

    /// Whether the token `ahead` of the cursor is the keyword `word`.
    fn word_at(&self, ahead: usize, word: &str) -> bool {
        self.peek_at(ahead)
            .is_some_and(|t| t.kind == Kind::Word && t.text.eq_ignore_ascii_case(word))
    }

    fn is_word(&self, word: &str) -> bool {
        self.word_at(0, word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.is_word(word);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_word(&mut self, word: &str) -> Parsed<()> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(self.expected(&word.to_ascii_uppercase()))
        }
    }

    fn is_kind(&self, kind: Kind, text: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == kind && t.text == text)
    }

    /// Eats the punctuation or operator `text` (`,`, `.`, `*`, `=`, …).
    fn eat_symbol(&mut self, text: &str) -> bool {
        let found = self.is_kind(Kind::Punct, text) || self.is_kind(Kind::Operator, text);
        if found {
            self.pos += 1;
        }
        found
    }

    fn is_open(&self) -> bool {
        self.peek().is_some_and(|t| t.kind == Kind::OpenParen)
    }

    fn eat_open(&mut self) -> bool {
        let found = self.is_open();
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_open(&mut self) -> Parsed<()> {
        if self.eat_open() {
            Ok(())
        } else {
            Err(self.expected("'('"))
        }
    }

    fn expect_close(&mut self) -> Parsed<()> {
        if self.peek().is_some_and(|t| t.kind == Kind::CloseParen) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected("')'"))
        }
    }

    /// Whether a query starts `ahead` of the cursor.
    fn query_at(&self, ahead: usize) -> bool {
        ["select", "with", "values"]
            .iter()
            .any(|w| self.word_at(ahead, w))
    }

    /// A name where SQLite reads one: a non-reserved word, a quoted
    /// identifier or a string (SQLite's `nm` accepts `'name'` too).
    fn name_at(&self, ahead: usize) -> Option<Name> {
        let t = self.peek_at(ahead)?;
        match t.kind {
            Kind::Word if !is_reserved(t.text) => Some(Name {
                value: t.text.to_string(),
                double_quoted: false,
            }),
            Kind::QuotedIdent => Some(Name {
                value: t.ident_value()?,
                double_quoted: t.text.starts_with('"'),
            }),
            Kind::Str => Some(Name {
                value: string_value(t.text),
                double_quoted: false,
            }),
            _ => None,
        }
    }

    fn name(&mut self) -> Parsed<Name> {
        let name = self.name_at(0).ok_or_else(|| self.expected("a name"))?;
        self.pos += 1;
        Ok(name)
    }

    /// `[AS] alias`; a string or quoted name after AS too.
    fn alias(&mut self) -> Parsed<Option<Name>> {
        if self.eat_word("as") {
            return self.name().map(Some);
        }
        let implicit = self.name_at(0);
        if implicit.is_some() {
            self.pos += 1;
        }
        Ok(implicit)
    }

    /// Runs `f` one level deeper, refusing input nested past the limit.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Parsed<T>) -> Parsed<T> {
        if self.depth >= PARSER_RECURSION_LIMIT {
            return Err(GuardError::too_complex(
                "The query nests expressions or subqueries too deeply".to_string(),
            ));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn expected(&self, what: &str) -> GuardError {
        let found = match self.peek() {
            Some(t) => format!("{} at byte {}", t.text, t.end.saturating_sub(t.text.len())),
            None => "the end of the query".to_string(),
        };
        GuardError::unparsable(&shorten(&format!("Expected {what}, found {found}")))
    }
}

fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// The value of a `'…'` literal.
fn string_value(text: &str) -> String {
    text.get(1..text.len().saturating_sub(1))
        .unwrap_or("")
        .replace("''", "'")
}

const MAX_REASON_CHARS: usize = 160;

fn shorten(msg: &str) -> String {
    match msg.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", msg.get(..cut).unwrap_or(msg)),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests;
