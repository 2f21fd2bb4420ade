//! Queries: WITH, compound selects, SELECT cores, FROM and joins, ORDER BY,
//! LIMIT (SQLite's `select-stmt`).

use super::{Parsed, Parser};
use crate::services::sql_guard::ast::{
    Column, Constraint, Core, Cte, Expr, FromItem, JoinKind, Limit, Query, Select, SetOp, Source,
};
use crate::services::sql_guard::lexer::Kind;

impl Parser<'_, '_> {
    pub(super) fn query(&mut self) -> Parsed<Query> {
        self.nested(|p| {
            let ctes = if p.eat_word("with") {
                p.eat_word("recursive");
                p.comma_list(Self::cte)?
            } else {
                Vec::new()
            };
            let mut cores = vec![p.core()?];
            let mut ops = Vec::new();
            while let Some(op) = p.set_op() {
                ops.push(op);
                cores.push(p.core()?);
            }
            let order_by = p.order_by()?;
            let limit = p.limit()?;
            Ok(Query {
                ctes,
                cores,
                ops,
                order_by,
                limit,
            })
        })
    }

    /// `item (, item)*`
    pub(super) fn comma_list<T>(&mut self, item: fn(&mut Self) -> Parsed<T>) -> Parsed<Vec<T>> {
        let mut items = vec![item(self)?];
        while self.eat_symbol(",") {
            items.push(item(self)?);
        }
        Ok(items)
    }

    fn cte(&mut self) -> Parsed<Cte> {
        let name = self.name()?;
        if self.eat_open() {
            self.comma_list(Self::name)?;
            self.expect_close()?;
        }
        self.expect_word("as")?;
        if self.eat_word("not") {
            self.expect_word("materialized")?;
        } else {
            self.eat_word("materialized");
        }
        self.expect_open()?;
        let query = self.query()?;
        self.expect_close()?;
        Ok(Cte { name, query })
    }

    fn set_op(&mut self) -> Option<SetOp> {
        if self.eat_word("union") {
            Some(if self.eat_word("all") {
                SetOp::UnionAll
            } else {
                SetOp::Union
            })
        } else if self.eat_word("intersect") {
            Some(SetOp::Intersect)
        } else if self.eat_word("except") {
            Some(SetOp::Except)
        } else {
            None
        }
    }

    fn core(&mut self) -> Parsed<Core> {
        if self.eat_word("values") {
            return self.comma_list(Self::row).map(Core::Values);
        }
        if !self.eat_word("select") {
            return Err(self.expected("SELECT, WITH or VALUES"));
        }
        let _ = self.eat_word("distinct") || self.eat_word("all");
        let mut select = Select {
            columns: self.comma_list(Self::column)?,
            ..Select::default()
        };
        if self.eat_word("from") {
            select.from = self.relations()?;
        }
        if self.eat_word("where") {
            select.filter = Some(self.expr()?);
        }
        if self.eat_word("group") {
            self.expect_word("by")?;
            select.group_by = self.comma_list(Self::expr)?;
        }
        if self.eat_word("having") {
            select.having = Some(self.expr()?);
        }
        if self.eat_word("window") {
            for definition in self.comma_list(Self::named_window)? {
                select.windows.extend(definition);
            }
        }
        Ok(Core::Select(Box::new(select)))
    }

    /// `( expr, … )` of VALUES.
    fn row(&mut self) -> Parsed<Vec<Expr>> {
        self.expect_open()?;
        let row = self.comma_list(Self::expr)?;
        self.expect_close()?;
        Ok(row)
    }

    fn named_window(&mut self) -> Parsed<Vec<Expr>> {
        self.name()?;
        self.expect_word("as")?;
        self.window_definition()
    }

    fn column(&mut self) -> Parsed<Column> {
        if self.eat_symbol("*") {
            return Ok(Column::All);
        }
        let table_star = self.name_at(0).is_some()
            && self.peek_at(1).is_some_and(|t| t.text == ".")
            && self
                .peek_at(2)
                .is_some_and(|t| t.kind == Kind::Operator && t.text == "*");
        if table_star {
            let table = self.name()?;
            self.pos += 2;
            return Ok(Column::AllOf(table));
        }
        let expr = self.expr()?;
        let alias = self.alias()?;
        Ok(Column::Expr { expr, alias })
    }

    /// `ORDER BY term, …` (or nothing).
    pub(super) fn order_by(&mut self) -> Parsed<Vec<Expr>> {
        if !self.eat_word("order") {
            return Ok(Vec::new());
        }
        self.expect_word("by")?;
        self.comma_list(Self::ordering_term)
    }

    fn ordering_term(&mut self) -> Parsed<Expr> {
        let term = self.expr()?;
        let _ = self.eat_word("asc") || self.eat_word("desc");
        if self.eat_word("nulls") && !(self.eat_word("first") || self.eat_word("last")) {
            return Err(self.expected("FIRST or LAST"));
        }
        Ok(term)
    }

    fn limit(&mut self) -> Parsed<Option<Limit>> {
        if !self.eat_word("limit") {
            return Ok(None);
        }
        let first = self.expr()?;
        Ok(Some(if self.eat_word("offset") {
            Limit {
                count: first,
                offset: Some(self.expr()?),
            }
        } else if self.eat_symbol(",") {
            Limit {
                count: self.expr()?,
                offset: Some(first),
            }
        } else {
            Limit {
                count: first,
                offset: None,
            }
        }))
    }

    /// `source (join-op source constraint)*`
    fn relations(&mut self) -> Parsed<Vec<FromItem>> {
        let mut items = vec![FromItem {
            join: JoinKind::First,
            source: self.source()?,
            constraint: self.constraint()?,
        }];
        while let Some(join) = self.join_operator()? {
            items.push(FromItem {
                join,
                source: self.source()?,
                constraint: self.constraint()?,
            });
        }
        Ok(items)
    }

    fn join_operator(&mut self) -> Parsed<Option<JoinKind>> {
        if self.eat_symbol(",") {
            return Ok(Some(JoinKind::Comma));
        }
        let start = self.pos;
        let natural = self.eat_word("natural");
        if self.eat_word("left") || self.eat_word("right") || self.eat_word("full") {
            self.eat_word("outer");
        } else if !self.eat_word("cross") {
            self.eat_word("inner");
        }
        if self.eat_word("join") {
            Ok(Some(JoinKind::Explicit { natural }))
        } else if self.pos == start {
            Ok(None)
        } else {
            Err(self.expected("JOIN"))
        }
    }

    /// A table, table function, subquery or parenthesised join.
    fn source(&mut self) -> Parsed<Source> {
        if self.eat_open() {
            if self.query_at(0) {
                let query = Box::new(self.query()?);
                self.expect_close()?;
                let alias = self.alias()?;
                return Ok(Source::Subquery { query, alias });
            }
            let inner = self.nested(Self::relations)?;
            self.expect_close()?;
            self.alias()?;
            return Ok(Source::Nested(inner));
        }
        let (path, args) = self.relation()?;
        let alias = self.alias()?;
        if args.is_none() {
            if self.eat_word("indexed") {
                self.expect_word("by")?;
                self.name()?;
            } else if self.is_word("not") && self.word_at(1, "indexed") {
                self.pos += 2;
            }
        }
        Ok(Source::Table { path, args, alias })
    }

    fn constraint(&mut self) -> Parsed<Constraint> {
        if self.eat_word("on") {
            return self.expr().map(Constraint::On);
        }
        if self.eat_word("using") {
            self.expect_open()?;
            let columns = self.comma_list(Self::name)?;
            self.expect_close()?;
            return Ok(Constraint::Using(columns));
        }
        Ok(Constraint::None)
    }
}
