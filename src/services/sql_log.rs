//! What each `/api/sql` query leaves behind (spec §3.4): a log line and an
//! Analytics Engine point — `indexes ["sql_query"]`,
//! `doubles [ms, rows, sql length, error]`, `blobs [preview, ip hash, cache, error]`.

use crate::services::config::Config;
use crate::services::platform::{DataPoint, Platform};
use crate::services::tokens::ip_hash;

/// The SQL with literals and long numbers masked, whitespace folded, 120 chars at most.
pub fn preview(sql: &str, enabled: bool) -> String {
    if !enabled {
        return "[disabled]".to_string();
    }
    let mut out = String::with_capacity(sql.len().min(200));
    let mut chars = sql.chars().peekable();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 4 {
            out.push('?');
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        flush(&mut digits, &mut out);
        match c {
            '\'' | '"' => {
                // Skip to the closing quote (a doubled quote is an escape).
                while let Some(d) = chars.next() {
                    if d == c {
                        if chars.peek() == Some(&c) {
                            chars.next();
                            continue;
                        }
                        break;
                    }
                }
                out.push(c);
                out.push('?');
                out.push(c);
            }
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    flush(&mut digits, &mut out);
    out.trim().chars().take(120).collect()
}

pub struct QueryLog<'a> {
    pub sql: &'a str,
    pub ms: f64,
    /// Rows returned; `None` for a cache hit.
    pub rows: Option<usize>,
    pub error: Option<&'a str>,
}

impl<'a> QueryLog<'a> {
    /// A query refused or failed before it returned rows.
    pub fn refused(sql: &'a str, ms: f64, error: &'a str) -> Self {
        QueryLog {
            sql,
            ms,
            rows: Some(0),
            error: Some(error),
        }
    }
}

/// Logs one query and writes its data point; `client_ip` is hashed.
pub fn record(platform: &Platform, config: &Config, client_ip: &str, q: &QueryLog<'_>) {
    let enabled = config.sql.log_preview;
    let preview = preview(q.sql, enabled);
    let ip = ip_hash(client_ip);
    let cache = if q.rows.is_none() {
        "cache_hit"
    } else {
        "cache_miss"
    };
    let rows = q.rows.map_or(-1.0, |r| r as f64);
    tracing::debug!(r#type = "sql_query", ip_hash = %ip, sql_preview = %preview, ms = q.ms, rows, cache, error = q.error.unwrap_or(""));
    let point = DataPoint {
        indexes: vec!["sql_query".into()],
        doubles: vec![
            q.ms,
            rows,
            q.sql.len() as f64,
            if q.error.is_some() { 1.0 } else { 0.0 },
        ],
        blobs: vec![preview, ip, cache.into(), q.error.unwrap_or("").to_string()],
    };
    if let Err(e) = platform.analytics.write(point) {
        tracing::warn!(error = %e, "analytics write failed");
    }
}

#[cfg(test)]
mod tests {
    use super::preview;

    #[test]
    fn previews_hide_literals_and_long_numbers() {
        assert_eq!(
            preview(
                "SELECT *\n  FROM t WHERE name = 'it''s' AND id = 12345 AND n = 12",
                true
            ),
            "SELECT * FROM t WHERE name = '?' AND id = ? AND n = 12"
        );
        assert_eq!(preview("SELECT 1", false), "[disabled]");
        assert_eq!(preview(&"x".repeat(500), true).len(), 120);
    }
}
