//! Cost bounds the guard can prove (issue #13). D1 bills every row a query
//! reads and its quotas are account-wide, so one Grafana query must not be
//! able to read millions of rows whatever the tables hold. Two shapes can:
//!
//! - **Recursion.** A recursive CTE must carry its own `LIMIT n` with a
//!   literal `n ≤ MAX_RECURSIVE_ROWS` (SQLite stops adding rows there), and
//!   its recursive step may read nothing but the CTE itself, so each step
//!   costs one row.
//! - **Products.** Every join must match on a column that is unique on one
//!   side — a table's single-column key (`UNIQUE_KEYS`), a CTE or subquery's
//!   only `GROUP BY` column, or a key column it selects from one table — so
//!   the result is never larger than the other side. Comma, `CROSS` and
//!   `NATURAL` joins of two relations are refused; `json_each`/`json_tree`
//!   expand the current row and are exempt.
//!
//! What stays (one scan of the largest table, a correlated subquery) is
//! bounded by the row cap, the timeout and `/api/sql`'s daily read share.

use super::errors::GuardError;
use sqlparser::ast::{
    visit_relations, BinaryOperator, Cte, Expr, GroupByExpr, Join, JoinConstraint, JoinOperator,
    LimitClause, ObjectName, ObjectNamePart, Query, Select, SelectItem, SetExpr, Statement,
    TableFactor, TableWithJoins, Value, Visit, Visitor,
};
use std::ops::ControlFlow;

/// Most rows a recursive CTE may produce.
pub const MAX_RECURSIVE_ROWS: u64 = 10_000;

/// Checks every query level of `stmt`; `keys` lists `(table, column)` pairs
/// whose column alone is unique in the table.
pub(crate) fn check(stmt: &Statement, keys: &[(&str, &str)]) -> Result<(), GuardError> {
    let mut walk = Bounds {
        keys,
        scopes: Vec::new(),
    };
    match stmt.visit(&mut walk) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// One relation of a FROM clause as the bound sees it.
struct Rel {
    /// Lower-cased alias or table name the ON clause refers to it by.
    alias: String,
    /// Lower-cased columns whose values are unique in this relation.
    unique: Vec<String>,
    /// A table function over the current row (`json_each(x)`).
    lateral: bool,
}

struct Bounds<'k> {
    keys: &'k [(&'k str, &'k str)],
    /// CTEs in scope with their unique columns, innermost query last.
    scopes: Vec<Vec<(String, Vec<String>)>>,
}

type Flow = ControlFlow<GuardError>;

fn refuse(reason: String) -> Flow {
    ControlFlow::Break(GuardError::too_complex(reason))
}

fn single_name(name: &ObjectName) -> Option<&str> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] => Some(id.value.as_str()),
        _ => None,
    }
}

fn table_name(name: &ObjectName) -> Option<&str> {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(id)) => Some(id.value.as_str()),
        _ => None,
    }
}

fn literal_limit(q: &Query) -> Option<u64> {
    let limit = match &q.limit_clause {
        Some(LimitClause::LimitOffset { limit: Some(l), .. })
        | Some(LimitClause::OffsetCommaLimit { limit: l, .. }) => l,
        _ => return None,
    };
    match limit {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// `(qualifier, column)` of a plain column reference, lower-cased.
fn column_ref(e: &Expr) -> Option<(Option<String>, String)> {
    match e {
        Expr::Identifier(c) => Some((None, c.value.to_ascii_lowercase())),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [.., q, c] => Some((
                Some(q.value.to_ascii_lowercase()),
                c.value.to_ascii_lowercase(),
            )),
            _ => None,
        },
        Expr::Nested(inner) => column_ref(inner),
        _ => None,
    }
}

/// The `AND`-ed conditions of an ON clause.
fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        Expr::Nested(inner) => conjuncts(inner, out),
        other => out.push(other),
    }
}

/// Output columns of `select` that are plain references to one of `cols`.
fn projected(select: &Select, cols: &[String]) -> Vec<String> {
    select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::UnnamedExpr(e) => {
                column_ref(e).map(|(_, c)| c).filter(|c| cols.contains(c))
            }
            SelectItem::ExprWithAlias { expr, alias } => column_ref(expr)
                .filter(|(_, c)| cols.contains(c))
                .map(|_| alias.value.to_ascii_lowercase()),
            _ => None,
        })
        .chain(
            select
                .projection
                .iter()
                .any(|i| matches!(i, SelectItem::Wildcard(_)))
                .then(|| cols.to_vec())
                .into_iter()
                .flatten(),
        )
        .collect()
}

impl Bounds<'_> {
    fn cte_unique(&self, name: &str) -> Option<&Vec<String>> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter())
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, u)| u)
    }

    fn table_keys(&self, table: &str) -> Vec<String> {
        self.keys
            .iter()
            .filter(|(t, _)| t.eq_ignore_ascii_case(table))
            .map(|(_, c)| c.to_ascii_lowercase())
            .collect()
    }

    /// Columns unique in the result of `q`: its single GROUP BY column, or
    /// key columns selected from one table without joins or grouping.
    fn unique_of(&self, q: &Query) -> Vec<String> {
        let SetExpr::Select(select) = q.body.as_ref() else {
            return Vec::new();
        };
        match &select.group_by {
            GroupByExpr::Expressions(exprs, _) if exprs.len() == 1 => {
                let Some((_, col)) = exprs.first().and_then(column_ref) else {
                    return Vec::new();
                };
                projected(select, &[col])
            }
            GroupByExpr::Expressions(exprs, _) if exprs.is_empty() => {
                match select.from.as_slice() {
                    [TableWithJoins {
                        relation:
                            TableFactor::Table {
                                name, args: None, ..
                            },
                        joins,
                    }] if joins.is_empty() && select.having.is_none() => {
                        let is_cte =
                            single_name(name).is_some_and(|n| self.cte_unique(n).is_some());
                        match table_name(name) {
                            Some(t) if !is_cte => projected(select, &self.table_keys(t)),
                            _ => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    fn rel(&self, factor: &TableFactor) -> Rel {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let base = table_name(name).unwrap_or_default();
                let unique = match single_name(name).and_then(|n| self.cte_unique(n)) {
                    Some(u) => u.clone(),
                    None if args.is_none() => self.table_keys(base),
                    None => Vec::new(),
                };
                Rel {
                    alias: alias
                        .as_ref()
                        .map_or(base, |a| a.name.value.as_str())
                        .to_ascii_lowercase(),
                    unique,
                    lateral: args.is_some(),
                }
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => Rel {
                alias: alias
                    .as_ref()
                    .map(|a| a.name.value.to_ascii_lowercase())
                    .unwrap_or_default(),
                unique: self.unique_of(subquery),
                lateral: false,
            },
            _ => Rel {
                alias: String::new(),
                unique: Vec::new(),
                lateral: false,
            },
        }
    }

    /// A recursive CTE: its own literal LIMIT, a step that reads only itself.
    fn check_recursion(&self, cte: &Cte) -> Flow {
        let name = cte.alias.name.value.as_str();
        let is_self = |r: &ObjectName| single_name(r).is_some_and(|n| n.eq_ignore_ascii_case(name));
        let refers_to_self = visit_relations(cte.query.as_ref(), |r| {
            if is_self(r) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .is_break();
        if !refers_to_self {
            return ControlFlow::Continue(());
        }
        let hint = format!(
            "Recursive CTE {name} needs its own LIMIT of at most {MAX_RECURSIVE_ROWS}, e.g. \
             WITH RECURSIVE {name}(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM {name} LIMIT 1000)"
        );
        if literal_limit(&cte.query).is_none_or(|n| n > MAX_RECURSIVE_ROWS) {
            return refuse(hint);
        }
        let mut terms = vec![cte.query.body.as_ref()];
        while let Some(term) = terms.pop() {
            if let SetExpr::SetOperation { left, right, .. } = term {
                terms.push(left);
                terms.push(right);
                continue;
            }
            let mut self_ref = false;
            let mut other = None;
            let _ = visit_relations(term, |r| {
                if is_self(r) {
                    self_ref = true;
                } else {
                    other = Some(r.to_string());
                }
                ControlFlow::<()>::Continue(())
            });
            if let (true, Some(t)) = (self_ref, other) {
                return refuse(format!(
                    "The recursive step of {name} reads {t}: each step may read only {name} itself"
                ));
            }
        }
        ControlFlow::Continue(())
    }

    /// Does `on` match a column of `right` with a column of `left`, unique
    /// on at least one side?
    fn keyed(left: &[Rel], right: &Rel, on: &Expr) -> bool {
        let mut conds = Vec::new();
        conjuncts(on, &mut conds);
        conds.into_iter().any(|c| {
            let Expr::BinaryOp {
                left: a,
                op: BinaryOperator::Eq,
                right: b,
            } = c
            else {
                return false;
            };
            let (Some(a), Some(b)) = (column_ref(a), column_ref(b)) else {
                return false;
            };
            let pair = |r: &(Option<String>, String), l: &(Option<String>, String)| {
                r.0.as_deref() == Some(right.alias.as_str())
                    && left
                        .iter()
                        .find(|rel| l.0.as_deref() == Some(rel.alias.as_str()))
                        .is_some_and(|rel| right.unique.contains(&r.1) || rel.unique.contains(&l.1))
            };
            pair(&a, &b) || pair(&b, &a)
        })
    }

    fn check_join(&self, left: &[Rel], join: &Join) -> Flow {
        let right = self.rel(&join.relation);
        if right.lateral {
            return ControlFlow::Continue(());
        }
        let constraint = match &join.join_operator {
            JoinOperator::Join(c)
            | JoinOperator::Inner(c)
            | JoinOperator::Left(c)
            | JoinOperator::LeftOuter(c)
            | JoinOperator::Right(c)
            | JoinOperator::RightOuter(c)
            | JoinOperator::FullOuter(c) => c,
            _ => &JoinConstraint::None,
        };
        let bounded = match constraint {
            JoinConstraint::On(on) => Self::keyed(left, &right, on),
            JoinConstraint::Using(cols) => cols.iter().any(|c| {
                table_name(c).is_some_and(|c| {
                    let c = c.to_ascii_lowercase();
                    right.unique.contains(&c) || left.iter().any(|l| l.unique.contains(&c))
                })
            }),
            _ => false,
        };
        if bounded {
            ControlFlow::Continue(())
        } else {
            refuse(format!(
                "The join with {} is not on a key, so it could multiply rows: join ON a column \
                 that is unique on one side (e.g. ds.day = se.day with daily_summaries ds), or \
                 aggregate one side by that column first",
                join.relation
            ))
        }
    }

    fn check_from(&self, from: &[TableWithJoins]) -> Flow {
        for (i, item) in from.iter().enumerate() {
            let first = self.rel(&item.relation);
            if i > 0 && !first.lateral {
                return refuse(format!(
                    "Comma joins multiply rows: write JOIN {} ON a key column instead",
                    item.relation
                ));
            }
            if let TableFactor::NestedJoin {
                table_with_joins, ..
            } = &item.relation
            {
                self.check_from(std::slice::from_ref(table_with_joins))?;
            }
            let mut left = vec![first];
            for join in &item.joins {
                self.check_join(&left, join)?;
                left.push(self.rel(&join.relation));
            }
        }
        ControlFlow::Continue(())
    }
}

impl Visitor for Bounds<'_> {
    type Break = GuardError;

    fn pre_visit_query(&mut self, query: &Query) -> Flow {
        let mut scope = Vec::new();
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.check_recursion(cte)?;
                scope.push((cte.alias.name.value.clone(), Vec::new()));
            }
            self.scopes.push(scope);
            // Unique columns once every sibling is in scope (they may refer
            // to each other).
            let unique: Vec<Vec<String>> = with
                .cte_tables
                .iter()
                .map(|cte| self.unique_of(&cte.query))
                .collect();
            if let Some(scope) = self.scopes.last_mut() {
                for (entry, u) in scope.iter_mut().zip(unique) {
                    entry.1 = u;
                }
            }
        } else {
            self.scopes.push(scope);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> Flow {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> Flow {
        self.check_from(&select.from)
    }
}
