//! The read-only walk: relations that are CTEs in scope or readable tables,
//! allowed table functions and functions, no leading-wildcard LIKE; it also
//! counts UNION ALL operators. [`walk`] reaches every nested query (CTE
//! bodies, FROM subqueries, scalar/EXISTS/IN subqueries). Shapes SQLite
//! does not run (INTO, TOP, FOR UPDATE, data-modifying bodies) never parse.

use super::ast::{dotted, Expr, Name, Query, SetOp};
use super::errors::GuardError;
use super::names;
use super::walk::{self, Checked, Visitor};

/// Walks one query; on success returns how many `UNION ALL` operators it
/// contains (every level, like the original's text count).
pub(crate) fn check(query: &Query, readable: &[&str]) -> Result<usize, GuardError> {
    let mut walk = Walk {
        readable,
        cte_scopes: Vec::new(),
        union_all: 0,
    };
    walk::query(&mut walk, query)?;
    Ok(walk.union_all)
}

struct Walk<'r> {
    readable: &'r [&'r str],
    /// CTE names per enclosing query, innermost last. SQLite lets every CTE
    /// of a WITH clause see all its siblings (and itself), so one scope per
    /// query matches its name resolution.
    cte_scopes: Vec<Vec<String>>,
    union_all: usize,
}

fn deny(reason: impl Into<String>) -> Checked {
    Err(GuardError::not_read_only(reason))
}

impl Walk<'_> {
    fn in_cte_scope(&self, name: &str) -> bool {
        self.cte_scopes
            .iter()
            .any(|scope| scope.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }

    fn check_table_function(path: &[Name]) -> Checked {
        match path {
            [f] if names::is_allowed_table_function(&f.value) => Ok(()),
            _ => deny(format!(
                "Table function {} is not allowed (only json_each and json_tree)",
                dotted(path)
            )),
        }
    }

    fn check_table(&self, path: &[Name]) -> Checked {
        let name = dotted(path);
        let not_readable = || {
            deny(format!(
                "Table {name} is not readable. Readable tables: {}",
                self.readable.join(", ")
            ))
        };
        match path {
            [table] if names::is_denied_name(&table.value) => not_readable(),
            [table] if self.in_cte_scope(&table.value) => Ok(()),
            [table] if names::is_readable(&table.value, self.readable) => Ok(()),
            // A schema-qualified name is always a real table, never a CTE.
            [schema, table]
                if schema.value.eq_ignore_ascii_case("main")
                    && names::is_readable(&table.value, self.readable) =>
            {
                Ok(())
            }
            [_, _] => deny(format!(
                "Table {name} is not readable: only tables of the main schema can be read"
            )),
            _ => not_readable(),
        }
    }
}

/// `'%…'` (or SQLite's `"%…"` string fallback), possibly parenthesised.
fn leading_wildcard(pattern: &Expr) -> bool {
    match pattern {
        Expr::Nested(inner) => leading_wildcard(inner),
        Expr::Str(s) => s.starts_with('%'),
        Expr::Column(path) => {
            matches!(path.as_slice(), [id] if id.double_quoted && id.value.starts_with('%'))
        }
        _ => false,
    }
}

impl Visitor for Walk<'_> {
    fn enter_query(&mut self, query: &Query) -> Checked {
        self.union_all += query
            .ops
            .iter()
            .filter(|op| **op == SetOp::UnionAll)
            .count();
        let mut scope = Vec::new();
        for cte in &query.ctes {
            let name = &cte.name.value;
            if names::is_denied_name(name) {
                return deny(format!("A CTE may not be named {name}"));
            }
            scope.push(name.clone());
        }
        self.cte_scopes.push(scope);
        Ok(())
    }

    fn leave_query(&mut self, _query: &Query) {
        self.cte_scopes.pop();
    }

    fn relation(&mut self, path: &[Name], table_function: bool) -> Checked {
        if table_function {
            Self::check_table_function(path)
        } else {
            self.check_table(path)
        }
    }

    fn expr(&mut self, expr: &Expr) -> Checked {
        match expr {
            Expr::Function { name, .. } if names::is_denied_function(&name.value) => {
                deny(format!("Function {} is not allowed", name.value))
            }
            Expr::Like { pattern, .. } if leading_wildcard(pattern) => {
                deny("LIKE patterns that start with '%' are not allowed: they scan the whole table. Filter on a prefix or another column")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::sql_guard::parse::parse_one;

    const TABLES: &[&str] = &["daily_summaries", "sleep_episodes"];

    fn run(sql: &str) -> Result<usize, String> {
        let query = parse_one(sql).map_err(|e| e.to_string())?;
        check(&query, TABLES).map_err(|e| e.hint.unwrap_or(e.message))
    }

    #[test]
    fn relations_and_cte_scope() {
        assert_eq!(run("SELECT * FROM Daily_Summaries"), Ok(0));
        assert_eq!(run("SELECT * FROM main.daily_summaries"), Ok(0));
        assert!(run("SELECT * FROM temp.daily_summaries").is_err());
        assert!(run("SELECT * FROM secrets").is_err());
        assert_eq!(run("WITH x AS (SELECT 1) SELECT * FROM x"), Ok(0));
        // SQLite resolves a later sibling CTE too.
        assert_eq!(
            run("WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a"),
            Ok(0)
        );
        // A CTE scoped to a subquery does not leak to the outer query.
        assert!(run("SELECT * FROM (WITH s AS (SELECT 1) SELECT * FROM s), s").is_err());
        // main.x is a real table even when a CTE x exists.
        assert!(run("WITH s AS (SELECT 1) SELECT * FROM main.s").is_err());
    }

    #[test]
    fn nested_queries_are_walked() {
        assert!(run("SELECT (SELECT 1 FROM secrets)").is_err());
        assert!(run("SELECT 1 WHERE EXISTS (SELECT 1 FROM secrets)").is_err());
        assert!(run("SELECT 1 WHERE 1 IN (SELECT a FROM secrets)").is_err());
        assert!(run("SELECT 1 WHERE 1 IN secrets").is_err());
        assert!(run("SELECT * FROM json_each((SELECT a FROM secrets))").is_err());
        assert_eq!(run("SELECT j.value FROM json_each('[1]') j"), Ok(0));
        assert!(run("SELECT * FROM generate_series(1, 5)").is_err());
    }

    #[test]
    fn union_all_is_counted_everywhere() {
        assert_eq!(
            run("SELECT 1 UNION ALL SELECT 2 UNION SELECT 3 UNION ALL SELECT (SELECT 4 UNION ALL SELECT 5)"),
            Ok(3)
        );
    }

    #[test]
    fn shapes_and_functions() {
        assert!(run("SELECT * INTO x FROM daily_summaries").is_err());
        assert!(run("SELECT * FROM daily_summaries FOR UPDATE").is_err());
        assert!(run("SELECT load_extension('x')").is_err());
        assert!(run("SELECT sqlite_version()").is_err());
        assert!(run("SELECT randomblob(10)").is_err());
        assert!(run("SELECT day FROM daily_summaries WHERE day LIKE '%5'").is_err());
        assert!(run("SELECT day FROM daily_summaries WHERE day NOT LIKE ('%5')").is_err());
        assert_eq!(
            run("SELECT day FROM daily_summaries WHERE day LIKE '2026%' AND day LIKE ?"),
            Ok(0)
        );
        assert!(run("INSERT INTO daily_summaries (day) SELECT 1").is_err());
    }
}
