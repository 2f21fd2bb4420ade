//! The AST walk: a read-only query shape, relations that are CTEs in scope or
//! readable tables, allowed table functions and functions, no leading-wildcard
//! LIKE; it also counts UNION ALL operators. The derived visitor reaches every
//! nested query (CTE bodies, FROM subqueries, scalar/EXISTS/IN subqueries).

use super::errors::GuardError;
use super::names;
use sqlparser::ast::{
    Expr, InTarget, LimitClause, ObjectName, ObjectNamePart, Query, Select, SetExpr, SetOperator,
    SetQuantifier, Statement, TableFactor, Value, Visit, Visitor,
};
use std::ops::ControlFlow;

/// Walks one statement; on success returns how many `UNION ALL` operators it
/// contains (every level, like the original's text count).
pub(crate) fn check(stmt: &Statement, readable: &[&str]) -> Result<usize, GuardError> {
    let mut walk = Walk {
        readable,
        cte_scopes: Vec::new(),
        statements: 0,
        table_functions: Vec::new(),
        union_all: 0,
    };
    match stmt.visit(&mut walk) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(walk.union_all),
    }
}

struct Walk<'r> {
    readable: &'r [&'r str],
    /// CTE names per enclosing query, innermost last. SQLite lets every CTE
    /// of a WITH clause see all its siblings (and itself), so one scope per
    /// query matches its name resolution.
    cte_scopes: Vec<Vec<String>>,
    statements: usize,
    /// Names already approved as `json_each`/`json_tree`, so the relation
    /// hook that follows does not treat them as tables. Compared by address.
    table_functions: Vec<*const ObjectName>,
    union_all: usize,
}

type Flow = ControlFlow<GuardError>;

fn deny(reason: impl Into<String>) -> Flow {
    ControlFlow::Break(GuardError::not_read_only(reason))
}

fn idents(name: &ObjectName) -> Option<Vec<&str>> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => Some(id.value.as_str()),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

impl Walk<'_> {
    fn in_cte_scope(&self, name: &str) -> bool {
        self.cte_scopes
            .iter()
            .any(|scope| scope.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }

    fn approve_table_function(&mut self, name: &ObjectName) -> Flow {
        match idents(name).as_deref() {
            Some([f]) if names::is_allowed_table_function(f) => {
                self.table_functions.push(name as *const ObjectName);
                ControlFlow::Continue(())
            }
            _ => deny(format!(
                "Table function {name} is not allowed (only json_each and json_tree)"
            )),
        }
    }

    fn check_relation(&self, name: &ObjectName) -> Flow {
        let not_readable = || {
            deny(format!(
                "Table {name} is not readable. Readable tables: {}",
                self.readable.join(", ")
            ))
        };
        match idents(name).as_deref() {
            Some([table]) if names::is_denied_name(table) => not_readable(),
            Some([table]) if self.in_cte_scope(table) => ControlFlow::Continue(()),
            Some([table]) if names::is_readable(table, self.readable) => ControlFlow::Continue(()),
            // A schema-qualified name is always a real table, never a CTE.
            Some([schema, table])
                if schema.eq_ignore_ascii_case("main")
                    && names::is_readable(table, self.readable) =>
            {
                ControlFlow::Continue(())
            }
            Some([_, _]) => deny(format!(
                "Table {name} is not readable: only tables of the main schema can be read"
            )),
            _ => not_readable(),
        }
    }

    /// Shape checks for one query level; counts its UNION ALL operators.
    fn check_query_shape(&mut self, q: &Query) -> Flow {
        if !q.locks.is_empty() {
            return deny("Row locks (FOR UPDATE / FOR SHARE) are not allowed");
        }
        if q.fetch.is_some()
            || q.for_clause.is_some()
            || q.settings.is_some()
            || q.format_clause.is_some()
            || !q.pipe_operators.is_empty()
            || matches!(&q.limit_clause, Some(LimitClause::LimitOffset { limit_by, .. }) if !limit_by.is_empty())
        {
            return deny("The query uses a clause SQLite does not support (use LIMIT/OFFSET)");
        }
        // Set operations nest left-deep; walk them with a stack, not recursion.
        let mut pending: Vec<&SetExpr> = vec![&q.body];
        while let Some(body) = pending.pop() {
            match body {
                SetExpr::Select(_) | SetExpr::Values(_) | SetExpr::Query(_) => {}
                SetExpr::SetOperation {
                    left,
                    op,
                    set_quantifier,
                    right,
                } => {
                    if *op == SetOperator::Union && *set_quantifier == SetQuantifier::All {
                        self.union_all += 1;
                    }
                    pending.push(left);
                    pending.push(right);
                }
                SetExpr::Insert(_)
                | SetExpr::Update(_)
                | SetExpr::Delete(_)
                | SetExpr::Merge(_) => {
                    return deny("Data-modifying statements are not allowed");
                }
                SetExpr::Table(_) => return deny("TABLE statements are not supported; use SELECT"),
            }
        }
        ControlFlow::Continue(())
    }
}

/// `'%…'` (or SQLite's `"%…"` string fallback), possibly parenthesised.
fn leading_wildcard(pattern: &Expr) -> bool {
    match pattern {
        Expr::Nested(inner) => leading_wildcard(inner),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.starts_with('%'),
            _ => false,
        },
        Expr::Identifier(id) => id.quote_style == Some('"') && id.value.starts_with('%'),
        _ => false,
    }
}

impl Visitor for Walk<'_> {
    type Break = GuardError;

    fn pre_visit_statement(&mut self, statement: &Statement) -> Flow {
        self.statements += 1;
        if self.statements > 1 {
            return deny("Data-modifying statements are not allowed inside a query");
        }
        match statement {
            Statement::Query(_) => ControlFlow::Continue(()),
            _ => deny("Only SELECT, WITH … SELECT and VALUES queries are allowed"),
        }
    }

    fn pre_visit_query(&mut self, query: &Query) -> Flow {
        self.check_query_shape(query)?;
        let mut scope = Vec::new();
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let name = &cte.alias.name.value;
                if names::is_denied_name(name) {
                    return deny(format!("A CTE may not be named {name}"));
                }
                scope.push(name.clone());
            }
        }
        self.cte_scopes.push(scope);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> Flow {
        self.cte_scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> Flow {
        if select.into.is_some() {
            return deny("SELECT … INTO is not allowed");
        }
        if select.top.is_some() {
            return deny("TOP is not SQLite syntax; use LIMIT");
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> Flow {
        match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => self.approve_table_function(name),
            TableFactor::Table { .. }
            | TableFactor::Derived { .. }
            | TableFactor::NestedJoin { .. } => ControlFlow::Continue(()),
            _ => deny("Only tables, subqueries, json_each and json_tree may appear in FROM"),
        }
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> Flow {
        let ptr = relation as *const ObjectName;
        if self.table_functions.iter().any(|p| std::ptr::eq(*p, ptr)) {
            return ControlFlow::Continue(());
        }
        self.check_relation(relation)
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> Flow {
        match expr {
            Expr::Function(f) => match idents(&f.name).as_deref() {
                Some([name]) if names::is_denied_function(name) => {
                    deny(format!("Function {name} is not allowed"))
                }
                Some([_]) => ControlFlow::Continue(()),
                _ => deny(format!("Function {} is not allowed", f.name)),
            },
            Expr::In {
                target: InTarget::Table {
                    name,
                    args: Some(_),
                },
                ..
            } => self.approve_table_function(name),
            Expr::In {
                target: InTarget::Unnest(_),
                ..
            } => deny("UNNEST is not SQLite syntax"),
            Expr::Like { pattern, .. } | Expr::ILike { pattern, .. }
                if leading_wildcard(pattern) =>
            {
                deny("LIKE patterns that start with '%' are not allowed: they scan the whole table. Filter on a prefix or another column")
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::sql_guard::parse::parse_one;

    const TABLES: &[&str] = &["daily_summaries", "sleep_episodes"];

    fn run(sql: &str) -> Result<usize, String> {
        let stmt = parse_one(sql).map_err(|e| e.to_string())?;
        check(&stmt, TABLES).map_err(|e| e.hint.unwrap_or(e.message))
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
