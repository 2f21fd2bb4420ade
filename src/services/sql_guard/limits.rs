//! Size, complexity and parameter limits, checked before any parsing.

use super::errors::GuardError;
use serde_json::Value;

/// The original's cap, counted like JavaScript's `String.length` (UTF-16
/// code units) so the same queries pass.
pub const MAX_SQL_CHARS: usize = 10_000;
pub const MAX_PARAMS: usize = 100;

/// Deepest parenthesis nesting. Recursive descent costs stack per nested
/// expression or subquery and the Worker has about 1 MiB, so this stays
/// small; the dashboards need 4.
pub const MAX_PAREN_DEPTH: usize = 10;

/// Most operator tokens (`+`, `AND`, `UNION`, `COLLATE`, `CASE`, …) in one
/// query. The parser keeps most chains flat, but `=` chains nest, and the
/// walk over them is recursive, so their length is bounded here too.
pub const MAX_OPERATORS: usize = 256;

/// The parser's nesting counter (queries, expressions, prefix operators),
/// a second line behind MAX_PAREN_DEPTH.
pub const PARSER_RECURSION_LIMIT: usize = 48;

pub const DEFAULT_MAX_ROWS: u64 = 50_000;
pub const MAX_ROWS_CEILING: u64 = 100_000;

/// Rejects empty and oversized SQL; returns the trimmed text.
pub(crate) fn check_size(sql: &str) -> Result<&str, GuardError> {
    // JavaScript's trim() also drops U+FEFF (a BOM pasted with the query).
    let sql = sql.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if sql.is_empty() {
        return Err(GuardError::empty());
    }
    // Each UTF-16 unit takes at least one byte, so short input skips counting.
    if sql.len() > MAX_SQL_CHARS && sql.encode_utf16().count() > MAX_SQL_CHARS {
        return Err(GuardError::too_large(MAX_SQL_CHARS));
    }
    Ok(sql)
}

/// At most MAX_PARAMS values, each null, string, number or boolean.
pub(crate) fn check_params(params: &[Value]) -> Result<(), GuardError> {
    if params.len() > MAX_PARAMS {
        return Err(GuardError::too_many_params(MAX_PARAMS));
    }
    match params
        .iter()
        .position(|p| matches!(p, Value::Array(_) | Value::Object(_)))
    {
        Some(i) => Err(GuardError::bad_param(i)),
        None => Ok(()),
    }
}

/// `MAX_QUERY_ROWS` as configured: the original's `parseInt` reading (leading
/// digits count, `"200abc"` is 200), then clamped to 1..=100 000 so a typo
/// cannot disable the cap. Unset or unreadable → 50 000.
pub fn clamp_max_rows(configured: Option<&str>) -> u64 {
    let Some(raw) = configured else {
        return DEFAULT_MAX_ROWS;
    };
    let raw = raw.trim_start();
    let (negative, digits) = match raw.as_bytes().first() {
        Some(b'-') => (true, raw.get(1..).unwrap_or("")),
        Some(b'+') => (false, raw.get(1..).unwrap_or("")),
        _ => (false, raw),
    };
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    let Some(number) = digits.get(..len).filter(|d| !d.is_empty()) else {
        return DEFAULT_MAX_ROWS;
    };
    if negative {
        return 1;
    }
    // Too many digits to fit: certainly above the ceiling.
    number
        .parse::<u64>()
        .unwrap_or(MAX_ROWS_CEILING)
        .clamp(1, MAX_ROWS_CEILING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn size_counts_utf16_units_after_trim() {
        assert!(matches!(check_size("  \n "), Err(e) if e.message == "SQL query is required"));
        let ok = format!("  {}  ", "x".repeat(MAX_SQL_CHARS));
        assert_eq!(check_size(&ok).map(str::len), Ok(MAX_SQL_CHARS));
        assert!(check_size(&"x".repeat(MAX_SQL_CHARS + 1)).is_err());
        // 3 bytes but one UTF-16 unit each: 10 000 of them still fit.
        assert!(check_size(&"€".repeat(MAX_SQL_CHARS)).is_ok());
        // Outside the BMP: two units each.
        assert!(check_size(&"😀".repeat(MAX_SQL_CHARS / 2 + 1)).is_err());
    }

    #[test]
    fn params() {
        assert_eq!(
            check_params(&[json!(null), json!("a"), json!(1.5), json!(true)]),
            Ok(())
        );
        assert!(
            matches!(check_params(&[json!(1), json!({})]), Err(e) if e.message.contains("index 1"))
        );
        assert!(matches!(check_params(&[json!([1])]), Err(e) if e.message.contains("index 0")));
        assert!(check_params(&vec![json!(1); MAX_PARAMS]).is_ok());
        assert!(matches!(check_params(&vec![json!(1); MAX_PARAMS + 1]),
            Err(e) if e.message == "Too many parameters (max 100)"));
    }

    #[test]
    fn max_rows() {
        assert_eq!(clamp_max_rows(None), 50_000);
        assert_eq!(clamp_max_rows(Some("")), 50_000);
        assert_eq!(clamp_max_rows(Some("abc")), 50_000);
        assert_eq!(clamp_max_rows(Some(" 200")), 200);
        assert_eq!(clamp_max_rows(Some("200abc")), 200);
        assert_eq!(clamp_max_rows(Some("0")), 1);
        assert_eq!(clamp_max_rows(Some("-5")), 1);
        assert_eq!(clamp_max_rows(Some("1e9")), 1);
        assert_eq!(clamp_max_rows(Some("100001")), 100_000);
        assert_eq!(clamp_max_rows(Some("99999999999999999999999")), 100_000);
    }
}
