//! One traversal of the guard's tree for every check: it reaches each
//! nested query (CTE bodies, FROM subqueries, scalar / EXISTS / IN
//! subqueries), each relation and each expression, and calls the hooks a
//! check cares about. The first error stops the walk.

use super::ast::{Constraint, Core, Expr, FromItem, Name, Query, Select, Source};
use super::errors::GuardError;

pub(crate) type Checked = Result<(), GuardError>;

pub(crate) trait Visitor {
    /// Before a query's CTEs and cores.
    fn enter_query(&mut self, _query: &Query) -> Checked {
        Ok(())
    }
    /// After a query and everything in it.
    fn leave_query(&mut self, _query: &Query) {}
    /// Before a SELECT core's parts.
    fn select(&mut self, _select: &Select) -> Checked {
        Ok(())
    }
    /// A table, view or CTE read in FROM or by `IN name`; with
    /// `table_function`, the name of a call such as `json_each(…)`.
    fn relation(&mut self, _path: &[Name], _table_function: bool) -> Checked {
        Ok(())
    }
    /// Every expression, before its operands.
    fn expr(&mut self, _expr: &Expr) -> Checked {
        Ok(())
    }
}

pub(crate) fn query(v: &mut dyn Visitor, q: &Query) -> Checked {
    v.enter_query(q)?;
    for cte in &q.ctes {
        query(v, &cte.query)?;
    }
    for c in &q.cores {
        core(v, c)?;
    }
    exprs(v, &q.order_by)?;
    if let Some(limit) = &q.limit {
        expr(v, &limit.count)?;
        if let Some(offset) = &limit.offset {
            expr(v, offset)?;
        }
    }
    v.leave_query(q);
    Ok(())
}

pub(crate) fn core(v: &mut dyn Visitor, c: &Core) -> Checked {
    match c {
        Core::Values(rows) => rows.iter().try_for_each(|row| exprs(v, row)),
        Core::Select(s) => {
            v.select(s)?;
            for column in &s.columns {
                if let super::ast::Column::Expr { expr: e, .. } = column {
                    expr(v, e)?;
                }
            }
            from(v, &s.from)?;
            if let Some(e) = &s.filter {
                expr(v, e)?;
            }
            exprs(v, &s.group_by)?;
            if let Some(e) = &s.having {
                expr(v, e)?;
            }
            exprs(v, &s.windows)
        }
    }
}

fn from(v: &mut dyn Visitor, items: &[FromItem]) -> Checked {
    for item in items {
        match &item.source {
            Source::Table { path, args, .. } => {
                v.relation(path, args.is_some())?;
                if let Some(args) = args {
                    exprs(v, args)?;
                }
            }
            Source::Subquery { query: q, .. } => query(v, q)?,
            Source::Nested(inner) => from(v, inner)?,
        }
        if let Constraint::On(on) = &item.constraint {
            expr(v, on)?;
        }
    }
    Ok(())
}

fn exprs(v: &mut dyn Visitor, list: &[Expr]) -> Checked {
    list.iter().try_for_each(|e| expr(v, e))
}

pub(crate) fn expr(v: &mut dyn Visitor, e: &Expr) -> Checked {
    v.expr(e)?;
    match e {
        Expr::Column(_) | Expr::Number(_) | Expr::Str(_) | Expr::Value => Ok(()),
        Expr::Nested(inner) => expr(v, inner),
        Expr::And(list) | Expr::Other(list) | Expr::Function { args: list, .. } => exprs(v, list),
        Expr::Eq(a, b) => {
            expr(v, a)?;
            expr(v, b)
        }
        Expr::Like {
            subject,
            pattern,
            escape,
        } => {
            expr(v, subject)?;
            expr(v, pattern)?;
            match escape {
                Some(e) => expr(v, e),
                None => Ok(()),
            }
        }
        Expr::Subquery(q) => query(v, q),
        Expr::InTable {
            subject,
            path,
            args,
        } => {
            expr(v, subject)?;
            v.relation(path, args.is_some())?;
            match args {
                Some(args) => exprs(v, args),
                None => Ok(()),
            }
        }
    }
}
