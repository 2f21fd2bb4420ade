//! What is checked is what runs: sqlparser's tokens must be SQLite's tokens.
//!
//! The AST checks are only as good as the tokens the AST was built from. If
//! sqlparser's tokenizer splits the text differently from SQLite's
//! (tokenize.c) — a backslash it treats as an escape inside `x'…'`, a
//! comment it ends elsewhere, a number it reads as a blob — the checked tree
//! describes a different statement from the one SQLite runs (issue #13:
//! `SELECT x'''\' … --' FROM 'oura_oauth_tokens'`). So the guard refuses any
//! query whose two token streams differ in a single boundary or kind, and the
//! parser is then fed exactly the tokens that were compared.

use super::errors::GuardError;
use super::lexer::{Kind, Token};
use sqlparser::tokenizer::{Location, Token as SqlToken, TokenWithSpan};

/// The lexer's kind that a sqlparser token must match.
fn kind_of(token: &SqlToken) -> Option<Kind> {
    Some(match token {
        SqlToken::Word(w) => match w.quote_style {
            None => Kind::Word,
            Some('"' | '`' | '[') => Kind::QuotedIdent,
            Some(_) => return None,
        },
        SqlToken::SingleQuotedString(_) => Kind::Str,
        SqlToken::HexStringLiteral(_) => Kind::Blob,
        SqlToken::Number(..) => Kind::Number,
        SqlToken::Placeholder(p) if p.starts_with('?') => Kind::Variable,
        SqlToken::LParen => Kind::OpenParen,
        SqlToken::RParen => Kind::CloseParen,
        SqlToken::SemiColon => Kind::Semicolon,
        SqlToken::Comma | SqlToken::Period => Kind::Punct,
        SqlToken::Eq
        | SqlToken::DoubleEq
        | SqlToken::Neq
        | SqlToken::Lt
        | SqlToken::Gt
        | SqlToken::LtEq
        | SqlToken::GtEq
        | SqlToken::Plus
        | SqlToken::Minus
        | SqlToken::Mul
        | SqlToken::Div
        | SqlToken::Mod
        | SqlToken::StringConcat
        | SqlToken::Ampersand
        | SqlToken::Pipe
        | SqlToken::Tilde
        | SqlToken::ShiftLeft
        | SqlToken::ShiftRight
        | SqlToken::Arrow
        | SqlToken::LongArrow
        | SqlToken::ExclamationMark => Kind::Operator,
        _ => return None,
    })
}

/// Converts sqlparser's (line, column-in-characters) locations to byte
/// offsets. Locations arrive in increasing order, so one forward walk serves
/// the whole token stream.
struct Offsets<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    line: u64,
    column: u64,
    len: usize,
}

impl<'a> Offsets<'a> {
    fn new(sql: &'a str) -> Self {
        Offsets {
            chars: sql.char_indices().peekable(),
            line: 1,
            column: 1,
            len: sql.len(),
        }
    }

    fn byte_at(&mut self, at: Location) -> Option<usize> {
        while (self.line, self.column) < (at.line, at.column) {
            let (_, c) = self.chars.next()?;
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        if (self.line, self.column) != (at.line, at.column) {
            return None;
        }
        Some(self.chars.peek().map_or(self.len, |(i, _)| *i))
    }
}

/// A sqlparser token reduced to what is compared.
struct Seen {
    kind: Option<Kind>,
    start: usize,
    end: usize,
}

/// sqlparser's code tokens (no whitespace or comments) with byte spans;
/// `:name` arrives as `:` + word and becomes one variable, as in SQLite.
fn seen(sql: &str, tokens: &[TokenWithSpan]) -> Option<Vec<Seen>> {
    let mut offsets = Offsets::new(sql);
    let mut out: Vec<Seen> = Vec::with_capacity(tokens.len());
    let mut after_colon = false;
    for t in tokens {
        if matches!(t.token, SqlToken::Whitespace(_) | SqlToken::EOF) {
            after_colon = false;
            continue;
        }
        let start = offsets.byte_at(t.span.start)?;
        let end = offsets.byte_at(t.span.end)?;
        let joins_colon = after_colon
            && matches!(&t.token, SqlToken::Word(w) if w.quote_style.is_none())
            && out.last().is_some_and(|c| c.end == start);
        after_colon = t.token == SqlToken::Colon;
        match out.last_mut() {
            Some(colon) if joins_colon => {
                colon.kind = Some(Kind::Variable);
                colon.end = end;
            }
            _ => out.push(Seen {
                kind: if after_colon { None } else { kind_of(&t.token) },
                start,
                end,
            }),
        }
    }
    Some(out)
}

fn is_hex_integer(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(
        (bytes.next(), bytes.next()),
        (Some(b'0'), Some(b'x' | b'X'))
    ) && text.len() > 2
        && bytes.all(|b| b.is_ascii_hexdigit())
}

fn mismatch(at: usize) -> GuardError {
    GuardError::unparsable(&format!(
        "The text near byte {at} can be read in two ways (quotes, escapes, comments or number forms that SQLite and the checker tokenize differently); write it plainly"
    ))
}

/// Refuses `sql` unless sqlparser's `tokens` and SQLite's `sqlite` tokens
/// have the same boundaries and kinds, one for one.
pub(crate) fn same_tokens(
    sql: &str,
    sqlite: &[Token],
    tokens: &[TokenWithSpan],
) -> Result<(), GuardError> {
    let Some(parsed) = seen(sql, tokens) else {
        return Err(mismatch(0));
    };
    for (i, ours) in sqlite.iter().enumerate() {
        let start = ours.end.saturating_sub(ours.text.len());
        match parsed.get(i) {
            Some(p) if p.start == start && p.end == ours.end && p.kind == Some(ours.kind) => {}
            // sqlparser reads SQLite's hex integer `0x10` as a blob literal:
            // a value either way, never a name.
            Some(p)
                if p.start == start
                    && p.end == ours.end
                    && ours.kind == Kind::Number
                    && p.kind == Some(Kind::Blob)
                    && is_hex_integer(ours.text) => {}
            _ => return Err(mismatch(start)),
        }
    }
    if let Some(extra) = parsed.get(sqlite.len()) {
        return Err(mismatch(extra.start));
    }
    Ok(())
}
