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

use super::ast::{
    dotted, Constraint, Core, Cte, Expr, FromItem, JoinKind, Name, Query, Select, Source,
};
use super::errors::GuardError;
use super::walk::{self, Checked, Visitor};

/// Most rows a recursive CTE may produce.
pub const MAX_RECURSIVE_ROWS: u64 = 10_000;

/// Checks every query level of `query`; `keys` lists `(table, column)`
/// pairs whose column alone is unique in the table.
pub(crate) fn check(query: &Query, keys: &[(&str, &str)]) -> Result<(), GuardError> {
    let mut walk = Bounds {
        keys,
        scopes: Vec::new(),
    };
    walk::query(&mut walk, query)
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

fn refuse(reason: String) -> Checked {
    Err(GuardError::too_complex(reason))
}

fn single_name(path: &[Name]) -> Option<&str> {
    match path {
        [only] => Some(only.value.as_str()),
        _ => None,
    }
}

fn table_name(path: &[Name]) -> &str {
    path.last().map_or("", |n| n.value.as_str())
}

/// A plain non-negative integer literal.
pub(crate) fn literal_count(e: &Expr) -> Option<u64> {
    match e {
        Expr::Number(n) => n.parse().ok(),
        _ => None,
    }
}

/// `(qualifier, column)` of a plain column reference, lower-cased.
fn column_ref(e: &Expr) -> Option<(Option<String>, String)> {
    match e {
        Expr::Column(parts) => match parts.as_slice() {
            [c] => Some((None, c.value.to_ascii_lowercase())),
            [.., q, c] => Some((
                Some(q.value.to_ascii_lowercase()),
                c.value.to_ascii_lowercase(),
            )),
            [] => None,
        },
        Expr::Nested(inner) => column_ref(inner),
        _ => None,
    }
}

/// The `AND`-ed conditions of an ON clause.
fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::And(terms) => terms.iter().for_each(|t| conjuncts(t, out)),
        Expr::Nested(inner) => conjuncts(inner, out),
        other => out.push(other),
    }
}

/// Output columns of `select` that are plain references to one of `cols`.
fn projected(select: &Select, cols: &[String]) -> Vec<String> {
    use super::ast::Column;
    let mut out: Vec<String> = select
        .columns
        .iter()
        .filter_map(|column| match column {
            Column::Expr { expr, alias } => {
                let (_, c) = column_ref(expr).filter(|(_, c)| cols.contains(c))?;
                Some(alias.as_ref().map_or(c, |a| a.value.to_ascii_lowercase()))
            }
            _ => None,
        })
        .collect();
    if select.columns.iter().any(|c| matches!(c, Column::All)) {
        out.extend(cols.iter().cloned());
    }
    out
}

/// Every relation `q` (or one of its cores) reads, nested queries included.
#[derive(Default)]
struct Relations(Vec<Vec<Name>>);

impl Visitor for Relations {
    fn relation(&mut self, path: &[Name], _table_function: bool) -> Checked {
        self.0.push(path.to_vec());
        Ok(())
    }
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
        let [Core::Select(select)] = q.cores.as_slice() else {
            return Vec::new();
        };
        match select.group_by.as_slice() {
            [by] => match column_ref(by) {
                Some((_, col)) => projected(select, &[col]),
                None => Vec::new(),
            },
            [] => match select.from.as_slice() {
                [FromItem {
                    source:
                        Source::Table {
                            path, args: None, ..
                        },
                    ..
                }] if select.having.is_none() => {
                    let is_cte = single_name(path).is_some_and(|n| self.cte_unique(n).is_some());
                    if is_cte {
                        Vec::new()
                    } else {
                        projected(select, &self.table_keys(table_name(path)))
                    }
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn rel(&self, source: &Source) -> Rel {
        match source {
            Source::Table { path, args, alias } => {
                let base = table_name(path);
                let unique = match single_name(path).and_then(|n| self.cte_unique(n)) {
                    Some(u) => u.clone(),
                    None if args.is_none() => self.table_keys(base),
                    None => Vec::new(),
                };
                Rel {
                    alias: alias
                        .as_ref()
                        .map_or(base, |a| a.value.as_str())
                        .to_ascii_lowercase(),
                    unique,
                    lateral: args.is_some(),
                }
            }
            Source::Subquery { query, alias } => Rel {
                alias: alias
                    .as_ref()
                    .map(|a| a.value.to_ascii_lowercase())
                    .unwrap_or_default(),
                unique: self.unique_of(query),
                lateral: false,
            },
            Source::Nested(_) => Rel {
                alias: String::new(),
                unique: Vec::new(),
                lateral: false,
            },
        }
    }

    /// A recursive CTE: its own literal LIMIT, a step that reads only itself.
    fn check_recursion(&self, cte: &Cte) -> Checked {
        let name = cte.name.value.as_str();
        let is_self = |r: &[Name]| single_name(r).is_some_and(|n| n.eq_ignore_ascii_case(name));
        let mut all = Relations::default();
        walk::query(&mut all, &cte.query)?;
        if !all.0.iter().any(|r| is_self(r)) {
            return Ok(());
        }
        let hint = format!(
            "Recursive CTE {name} needs its own LIMIT of at most {MAX_RECURSIVE_ROWS}, e.g. \
             WITH RECURSIVE {name}(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM {name} LIMIT 1000)"
        );
        let limit = cte
            .query
            .limit
            .as_ref()
            .and_then(|l| literal_count(&l.count));
        if limit.is_none_or(|n| n > MAX_RECURSIVE_ROWS) {
            return refuse(hint);
        }
        for term in &cte.query.cores {
            let mut read = Relations::default();
            walk::core(&mut read, term)?;
            let reads_self = read.0.iter().any(|r| is_self(r));
            if let (true, Some(other)) = (reads_self, read.0.iter().find(|r| !is_self(r))) {
                return refuse(format!(
                    "The recursive step of {name} reads {}: each step may read only {name} itself",
                    dotted(other)
                ));
            }
        }
        Ok(())
    }

    /// Does `on` match a column of `right` with a column of `left`, unique
    /// on at least one side?
    fn keyed(left: &[Rel], right: &Rel, on: &Expr) -> bool {
        let mut conds = Vec::new();
        conjuncts(on, &mut conds);
        conds.into_iter().any(|c| {
            let Expr::Eq(a, b) = c else {
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

    fn check_join(&self, left: &[Rel], item: &FromItem, right: &Rel) -> Checked {
        if right.lateral {
            return Ok(());
        }
        let bounded = match (&item.join, &item.constraint) {
            (JoinKind::Explicit { natural: true, .. }, _) => false,
            (_, Constraint::On(on)) => Self::keyed(left, right, on),
            (_, Constraint::Using(cols)) => cols.iter().any(|c| {
                let c = c.value.to_ascii_lowercase();
                right.unique.contains(&c) || left.iter().any(|l| l.unique.contains(&c))
            }),
            (_, Constraint::None) => false,
        };
        if bounded {
            Ok(())
        } else {
            refuse(format!(
                "The join with {} is not on a key, so it could multiply rows: join ON a column \
                 that is unique on one side (e.g. ds.day = se.day with daily_summaries ds), or \
                 aggregate one side by that column first",
                source_name(&item.source)
            ))
        }
    }

    /// A comma starts a new left side (as SQLite's comma join has no
    /// constraint); only a table function may follow one.
    fn check_from(&self, from: &[FromItem]) -> Checked {
        let mut left: Vec<Rel> = Vec::new();
        for item in from {
            let rel = self.rel(&item.source);
            match item.join {
                JoinKind::First => {}
                JoinKind::Comma if rel.lateral => left.clear(),
                JoinKind::Comma => {
                    return refuse(format!(
                        "Comma joins multiply rows: write JOIN {} ON a key column instead",
                        source_name(&item.source)
                    ))
                }
                JoinKind::Explicit { .. } => self.check_join(&left, item, &rel)?,
            }
            if let Source::Nested(inner) = &item.source {
                self.check_from(inner)?;
            }
            left.push(rel);
        }
        Ok(())
    }
}

/// How a message names a FROM item.
fn source_name(source: &Source) -> String {
    match source {
        Source::Table { path, .. } => dotted(path),
        Source::Subquery { alias, .. } => alias
            .as_ref()
            .map_or("a subquery".to_string(), |a| a.value.clone()),
        Source::Nested(_) => "a parenthesised join".to_string(),
    }
}

impl Visitor for Bounds<'_> {
    fn enter_query(&mut self, query: &Query) -> Checked {
        for cte in &query.ctes {
            self.check_recursion(cte)?;
        }
        let scope = query
            .ctes
            .iter()
            .map(|cte| (cte.name.value.clone(), Vec::new()))
            .collect();
        self.scopes.push(scope);
        // Unique columns once every sibling is in scope (they may refer to
        // each other).
        let unique: Vec<Vec<String>> = query
            .ctes
            .iter()
            .map(|cte| self.unique_of(&cte.query))
            .collect();
        if let Some(scope) = self.scopes.last_mut() {
            for (entry, u) in scope.iter_mut().zip(unique) {
                entry.1 = u;
            }
        }
        Ok(())
    }

    fn leave_query(&mut self, _query: &Query) {
        self.scopes.pop();
    }

    fn select(&mut self, select: &Select) -> Checked {
        self.check_from(&select.from)
    }
}
