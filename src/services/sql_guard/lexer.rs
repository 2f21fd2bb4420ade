//! A small tokenizer that follows SQLite's own rules (tokenize.c). The
//! guard's prechecks and its parser both read these tokens, so the checked
//! tree is of the text SQLite will read (issue #13: a second tokenizer that
//! read `x'…\'` differently once hid a FROM clause from the checks).

/// What a token is, as far as the guard cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Bare identifier or keyword.
    Word,
    /// `"x"`, `` `x` `` or `[x]`.
    QuotedIdent,
    /// `'text'`.
    Str,
    /// `x'ab'`.
    Blob,
    Number,
    /// `?`, `?NNN`, `:name`.
    Variable,
    /// A binary/unary operator symbol (`+`, `||`, `->>`, `<=`, …).
    Operator,
    OpenParen,
    CloseParen,
    Semicolon,
    /// Any other punctuation (`,`, `.`, …).
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    /// The raw text of the token, quotes included.
    pub text: &'a str,
    /// Byte offset one past the token's last byte.
    pub end: usize,
}

impl Token<'_> {
    /// The identifier a Word or QuotedIdent names, without quotes or escapes.
    pub fn ident_value(&self) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text.to_string()),
            Kind::QuotedIdent => {
                let mut chars = self.text.chars();
                let open = chars.next()?;
                let inner = self.text.get(1..self.text.len().saturating_sub(1))?;
                Some(match open {
                    '"' => inner.replace("\"\"", "\""),
                    '`' => inner.replace("``", "`"),
                    _ => inner.to_string(),
                })
            }
            _ => None,
        }
    }
}

/// Why the text cannot be tokenized safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LexError {
    Unterminated(&'static str),
    /// A character outside quotes and comments that the guard does not
    /// read (control, non-ASCII, NUL).
    BadChar(char),
    /// `$x`, `@x`, `#x`, or `:x(…)` / `:x::y` (SQLite's Tcl-style variables).
    UnsupportedParameter(String),
}

fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Splits `sql` into tokens, dropping whitespace and comments.
pub(crate) fn tokenize(sql: &str) -> Result<Vec<Token<'_>>, LexError> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    let at = |k: usize| bytes.get(k).copied().unwrap_or(0);
    while i < bytes.len() {
        let c = at(i);
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                i += 1;
                continue;
            }
            b'-' if at(i + 1) == b'-' => {
                while i < bytes.len() && at(i) != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if at(i + 1) == b'*' => {
                i += 2;
                loop {
                    if i >= bytes.len() {
                        return Err(LexError::Unterminated("comment"));
                    }
                    if at(i) == b'*' && at(i + 1) == b'/' {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
                continue;
            }
            b'\'' => {
                i = scan_quoted(bytes, i, b'\'', true).ok_or(LexError::Unterminated("string"))?;
                Kind::Str
            }
            b'"' | b'`' => {
                i = scan_quoted(bytes, i, c, true).ok_or(LexError::Unterminated("identifier"))?;
                Kind::QuotedIdent
            }
            b'[' => {
                i = scan_quoted(bytes, i, b']', false)
                    .ok_or(LexError::Unterminated("identifier"))?;
                Kind::QuotedIdent
            }
            b'x' | b'X' if at(i + 1) == b'\'' => {
                i = scan_quoted(bytes, i + 1, b'\'', false)
                    .ok_or(LexError::Unterminated("blob"))?;
                Kind::Blob
            }
            b if is_id_start(b) => {
                while i < bytes.len() && is_id_char(at(i)) {
                    i += 1;
                }
                Kind::Word
            }
            b'0'..=b'9' => {
                i = scan_number(bytes, i);
                Kind::Number
            }
            b'.' if at(i + 1).is_ascii_digit() => {
                i = scan_number(bytes, i);
                Kind::Number
            }
            b'?' => {
                i += 1;
                while at(i).is_ascii_digit() {
                    i += 1;
                }
                Kind::Variable
            }
            b':' if is_id_char(at(i + 1)) => {
                i += 1;
                while is_id_char(at(i)) {
                    i += 1;
                }
                // SQLite folds `:a(…)` and `:a::b` into one variable token;
                // no dashboard needs them, so refuse them.
                if at(i) == b'(' || at(i) == b':' {
                    return Err(LexError::UnsupportedParameter(
                        sql.get(start..=i).unwrap_or(":").to_string(),
                    ));
                }
                Kind::Variable
            }
            b'$' | b'@' | b'#' => {
                let mut j = i + 1;
                while is_id_char(at(j)) {
                    j += 1;
                }
                return Err(LexError::UnsupportedParameter(
                    sql.get(start..j).unwrap_or("$").to_string(),
                ));
            }
            b';' => {
                i += 1;
                Kind::Semicolon
            }
            b'(' => {
                i += 1;
                Kind::OpenParen
            }
            b')' => {
                i += 1;
                Kind::CloseParen
            }
            b'|' | b'<' | b'>' | b'=' | b'!' | b'-' | b'+' | b'*' | b'/' | b'%' | b'&' | b'~' => {
                i += operator_len(bytes, i);
                Kind::Operator
            }
            b',' | b'.' => {
                i += 1;
                Kind::Punct
            }
            _ => {
                // Non-ASCII outside quotes, control characters, NUL, `\`, `{`…
                let ch = sql.get(i..).and_then(|s| s.chars().next()).unwrap_or('\0');
                return Err(LexError::BadChar(ch));
            }
        };
        out.push(Token {
            kind,
            text: sql.get(start..i).unwrap_or(""),
            end: i,
        });
    }
    Ok(out)
}

/// Index one past the closing quote. `doubled` means a doubled closing
/// quote is an escape (SQLite: yes for `'`, `"`, `` ` ``; no for `[…]`, `x'…'`).
fn scan_quoted(bytes: &[u8], open: usize, close: u8, doubled: bool) -> Option<usize> {
    let mut i = open + 1;
    loop {
        let b = *bytes.get(i)?;
        if b == 0 {
            // SQLite stops reading the statement at NUL.
            return None;
        }
        if b == close {
            if doubled && bytes.get(i + 1) == Some(&close) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
}

fn scan_number(bytes: &[u8], mut i: usize) -> usize {
    let at = |k: usize| bytes.get(k).copied().unwrap_or(0);
    while i < bytes.len() {
        let b = at(i);
        let exponent_sign =
            (b == b'+' || b == b'-') && matches!(at(i.wrapping_sub(1)), b'e' | b'E');
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn operator_len(bytes: &[u8], i: usize) -> usize {
    let two = bytes.get(i..i + 2).unwrap_or(&[]);
    if bytes.get(i..i + 3) == Some(b"->>") {
        return 3;
    }
    match two {
        b"||" | b"<<" | b">>" | b"<=" | b">=" | b"==" | b"!=" | b"<>" | b"->" => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<Kind> {
        tokenize(sql)
            .map(|t| t.iter().map(|t| t.kind).collect())
            .unwrap_or_default()
    }

    #[test]
    fn comments_and_strings_are_not_code() {
        assert_eq!(
            kinds("SELECT 'a;b' -- x;\n /* ; */ FROM [t;]"),
            vec![Kind::Word, Kind::Str, Kind::Word, Kind::QuotedIdent]
        );
    }

    #[test]
    fn doubled_quotes_escape() {
        let toks = tokenize(r#"SELECT "a""b", 'it''s'"#).unwrap_or_default();
        assert_eq!(toks.len(), 4);
        assert_eq!(
            toks.get(1).and_then(|t| t.ident_value()),
            Some("a\"b".into())
        );
    }

    #[test]
    fn tcl_variables_are_refused() {
        assert!(matches!(
            tokenize("SELECT $a(x'y)"),
            Err(LexError::UnsupportedParameter(_))
        ));
        assert!(matches!(
            tokenize("SELECT :a(x)"),
            Err(LexError::UnsupportedParameter(_))
        ));
        assert_eq!(kinds("LIMIT :n"), vec![Kind::Word, Kind::Variable]);
        assert_eq!(kinds("LIMIT ?12"), vec![Kind::Word, Kind::Variable]);
    }

    #[test]
    fn odd_characters_are_refused() {
        assert!(matches!(
            tokenize("SELECT 1\u{a0}"),
            Err(LexError::BadChar('\u{a0}'))
        ));
        assert!(matches!(
            tokenize("SELECT 1\0"),
            Err(LexError::BadChar('\0'))
        ));
        assert!(matches!(
            tokenize("SELECT '\0'"),
            Err(LexError::Unterminated(_))
        ));
        assert!(tokenize("SELECT 'é' /* ü */").is_ok());
    }

    #[test]
    fn unterminated_things_are_errors() {
        assert!(tokenize("SELECT 'x").is_err());
        assert!(tokenize("SELECT 1 /* x").is_err());
        assert!(tokenize("SELECT [x").is_err());
    }
}
