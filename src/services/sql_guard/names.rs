//! Which names the guard refuses or admits. SQLite folds identifier case for
//! ASCII only, so every comparison here is ASCII case-insensitive.

/// Tables that hold secrets or engine state: refused even when a CTE of the
/// same name would shadow them, in any quoting.
const DENIED_TABLES: &[&str] = &["oura_oauth_tokens", "oura_oauth_states", "d1_migrations"];

/// Prefixes of engine/platform objects (`sqlite_master`, `pragma_table_info`,
/// Cloudflare's `_cf_KV`).
const DENIED_PREFIXES: &[&str] = &["sqlite_", "pragma_", "_cf_"];

/// Functions that touch files, extensions or allocate at will.
const DENIED_FUNCTIONS: &[&str] = &[
    "load_extension",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
    "randomblob",
    "zeroblob",
];

/// Table-valued functions a query may call in FROM / IN.
const ALLOWED_TABLE_FUNCTIONS: &[&str] = &["json_each", "json_tree"];

/// Bare keywords that only appear in writing or admin statements. Checked on
/// SQLite's own tokens, outside string literals (`'delete'` is fine).
const WRITE_KEYWORDS: &[&str] = &[
    "insert", "update", "delete", "drop", "alter", "create", "attach", "detach", "pragma",
    "vacuum", "reindex", "analyze",
];

fn has_prefix_ci(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// A name no query may mention as a table or identifier.
pub(crate) fn is_denied_name(name: &str) -> bool {
    DENIED_TABLES.iter().any(|t| t.eq_ignore_ascii_case(name))
        || DENIED_PREFIXES.iter().any(|p| has_prefix_ci(name, p))
}

/// A function no query may call (also every `sqlite_*` / `pragma_*` one).
pub(crate) fn is_denied_function(name: &str) -> bool {
    DENIED_FUNCTIONS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
        || is_denied_name(name)
}

/// Function names worth refusing even when they only show up as a bare
/// token (defence in depth against a tokenizer mismatch).
pub(crate) fn is_denied_token_function(name: &str) -> bool {
    ["load_extension", "readfile", "writefile", "fts3_tokenizer"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
}

pub(crate) fn is_allowed_table_function(name: &str) -> bool {
    ALLOWED_TABLE_FUNCTIONS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
}

pub(crate) fn is_write_keyword(word: &str) -> bool {
    WRITE_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

pub(crate) fn is_readable(name: &str, readable: &[&str]) -> bool {
    !is_denied_name(name) && readable.iter().any(|t| t.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denied_names_any_case() {
        for n in [
            "sqlite_master",
            "SQLITE_SCHEMA",
            "Sqlite_Temp_Master",
            "pragma_table_info",
            "_cf_KV",
            "OURA_OAUTH_TOKENS",
            "oura_oauth_states",
            "d1_migrations",
        ] {
            assert!(is_denied_name(n), "{n}");
        }
        for n in ["daily_summaries", "sqlite", "pragma", "oura_oauth", "é"] {
            assert!(!is_denied_name(n), "{n}");
        }
    }

    #[test]
    fn readable_is_case_insensitive_and_never_denied() {
        assert!(is_readable("Daily_Summaries", &["daily_summaries"]));
        assert!(!is_readable("sqlite_master", &["sqlite_master"]));
        assert!(!is_readable("daily", &["daily_summaries"]));
    }

    #[test]
    fn functions() {
        assert!(is_denied_function("LOAD_EXTENSION"));
        assert!(is_denied_function("sqlite_version"));
        assert!(is_denied_function("zeroblob"));
        assert!(!is_denied_function("replace"));
        assert!(is_allowed_table_function("JSON_EACH"));
        assert!(!is_allowed_table_function("pragma_table_info"));
    }
}
