//! Expressions, by SQLite's operator precedence (lowest first): OR, AND,
//! NOT, comparisons (`=`, IS, IN, LIKE, BETWEEN, …), `<` `>`, bit
//! operators, `+` `-`, `*` `/` `%`, `||` `->` `->>`, prefix `-` `+` `~`,
//! COLLATE. Chains of one level become one flat [`Expr::Other`] (or
//! [`Expr::And`]), so a long chain does not make a deep tree.

use super::{string_value, Parsed, Parser};
use crate::services::sql_guard::ast::{Expr, Name, Path};
use crate::services::sql_guard::lexer::Kind;

/// One expression, or `wrap` of several.
fn one_or(mut parts: Vec<Expr>, wrap: fn(Vec<Expr>) -> Expr) -> Expr {
    match parts.len() {
        1 => parts.pop().unwrap_or(Expr::Value),
        _ => wrap(parts),
    }
}

/// Words that may follow NOT inside a comparison (`x NOT IN …`).
const NEGATABLE: &[&str] = &["like", "glob", "regexp", "match", "between", "in", "null"];

impl Parser<'_, '_> {
    pub(super) fn expr(&mut self) -> Parsed<Expr> {
        self.nested(Self::or)
    }

    fn or(&mut self) -> Parsed<Expr> {
        let mut terms = vec![self.and()?];
        while self.eat_word("or") {
            terms.push(self.and()?);
        }
        Ok(one_or(terms, Expr::Other))
    }

    fn and(&mut self) -> Parsed<Expr> {
        let mut terms = vec![self.not()?];
        while self.eat_word("and") {
            terms.push(self.not()?);
        }
        Ok(one_or(terms, Expr::And))
    }

    fn not(&mut self) -> Parsed<Expr> {
        if self.eat_word("not") {
            return self.nested(Self::not).map(|e| Expr::Other(vec![e]));
        }
        self.comparison()
    }

    /// Left-associative comparisons; `=` keeps its operands apart for the
    /// join-key check, LIKE its pattern for the wildcard check.
    fn comparison(&mut self) -> Parsed<Expr> {
        let mut left = self.relational()?;
        loop {
            let negated = self.is_word("not") && NEGATABLE.iter().any(|w| self.word_at(1, w));
            if negated {
                self.pos += 1;
            }
            left = if self.eat_symbol("=") || self.eat_symbol("==") {
                Expr::Eq(Box::new(left), Box::new(self.relational()?))
            } else if self.eat_symbol("!=") || self.eat_symbol("<>") {
                Expr::Other(vec![left, self.relational()?])
            } else if self.eat_word("is") {
                self.eat_word("not");
                if self.eat_word("distinct") {
                    self.expect_word("from")?;
                }
                Expr::Other(vec![left, self.relational()?])
            } else if self.eat_word("like") {
                let pattern = Box::new(self.relational()?);
                Expr::Like {
                    subject: Box::new(left),
                    pattern,
                    escape: self.escape()?.map(Box::new),
                }
            } else if self.eat_word("glob") || self.eat_word("regexp") || self.eat_word("match") {
                let mut parts = vec![left, self.relational()?];
                parts.extend(self.escape()?);
                Expr::Other(parts)
            } else if self.eat_word("between") {
                let low = self.relational()?;
                self.expect_word("and")?;
                Expr::Other(vec![left, low, self.relational()?])
            } else if self.eat_word("in") {
                self.in_target(left)?
            } else if self.eat_word("isnull")
                || self.eat_word("notnull")
                || (negated && self.eat_word("null"))
            {
                Expr::Other(vec![left])
            } else {
                return Ok(left);
            };
        }
    }

    fn escape(&mut self) -> Parsed<Option<Expr>> {
        if self.eat_word("escape") {
            self.relational().map(Some)
        } else {
            Ok(None)
        }
    }

    /// After IN: `(SELECT …)`, `(list)`, `[schema.]table` or
    /// `table_function(args)`.
    fn in_target(&mut self, subject: Expr) -> Parsed<Expr> {
        if self.eat_open() {
            if self.query_at(0) {
                let query = self.query()?;
                self.expect_close()?;
                return Ok(Expr::Other(vec![subject, Expr::Subquery(Box::new(query))]));
            }
            let mut parts = vec![subject];
            parts.extend(self.call_args()?);
            return Ok(Expr::Other(parts));
        }
        let (path, args) = self.relation()?;
        Ok(Expr::InTable {
            subject: Box::new(subject),
            path,
            args,
        })
    }

    /// `[schema.]name [(args)]`: a table, or a table function's call.
    pub(super) fn relation(&mut self) -> Parsed<(Path, Option<Vec<Expr>>)> {
        let mut path = vec![self.name()?];
        if self.eat_symbol(".") {
            path.push(self.name()?);
        }
        let args = if self.eat_open() {
            Some(self.call_args()?)
        } else {
            None
        };
        Ok((path, args))
    }

    /// `expr, …)` or `)`, after an opening parenthesis.
    pub(super) fn call_args(&mut self) -> Parsed<Vec<Expr>> {
        let args = if self.is_kind(Kind::CloseParen, ")") {
            Vec::new()
        } else {
            self.comma_list(Self::expr)?
        };
        self.expect_close()?;
        Ok(args)
    }

    /// `operand (op operand)*` for one precedence level.
    fn chain(&mut self, ops: &[&str], operand: fn(&mut Self) -> Parsed<Expr>) -> Parsed<Expr> {
        let mut parts = vec![operand(self)?];
        while ops.iter().any(|op| self.is_kind(Kind::Operator, op)) {
            self.pos += 1;
            parts.push(operand(self)?);
        }
        Ok(one_or(parts, Expr::Other))
    }

    fn relational(&mut self) -> Parsed<Expr> {
        self.chain(&["<", "<=", ">", ">="], Self::bitwise)
    }

    fn bitwise(&mut self) -> Parsed<Expr> {
        self.chain(&["&", "|", "<<", ">>"], Self::additive)
    }

    fn additive(&mut self) -> Parsed<Expr> {
        self.chain(&["+", "-"], Self::multiplicative)
    }

    fn multiplicative(&mut self) -> Parsed<Expr> {
        self.chain(&["*", "/", "%"], Self::concat)
    }

    fn concat(&mut self) -> Parsed<Expr> {
        self.chain(&["||", "->", "->>"], Self::unary)
    }

    fn unary(&mut self) -> Parsed<Expr> {
        if ["-", "+", "~"]
            .iter()
            .any(|op| self.is_kind(Kind::Operator, op))
        {
            self.pos += 1;
            return self.nested(Self::unary).map(|e| Expr::Other(vec![e]));
        }
        let operand = self.primary()?;
        let mut collated = false;
        while self.eat_word("collate") {
            self.name()?;
            collated = true;
        }
        Ok(if collated {
            Expr::Other(vec![operand])
        } else {
            operand
        })
    }

    fn primary(&mut self) -> Parsed<Expr> {
        let Some(token) = self.peek().copied() else {
            return Err(self.expected("an expression"));
        };
        let dot_follows = self
            .peek_at(1)
            .is_some_and(|t| t.kind == Kind::Punct && t.text == ".");
        let leaf = match token.kind {
            Kind::Number => Expr::Number(token.text.to_string()),
            Kind::Blob | Kind::Variable => Expr::Value,
            Kind::Str if !dot_follows => Expr::Str(string_value(token.text)),
            Kind::OpenParen => {
                self.pos += 1;
                return self.parenthesised();
            }
            Kind::Word => return self.word_expression(token.text),
            Kind::QuotedIdent | Kind::Str => return self.reference(),
            _ => return Err(self.expected("an expression")),
        };
        self.pos += 1;
        Ok(leaf)
    }

    /// After `(`: a subquery, one expression or a row value.
    fn parenthesised(&mut self) -> Parsed<Expr> {
        if self.query_at(0) {
            let query = self.query()?;
            self.expect_close()?;
            return Ok(Expr::Subquery(Box::new(query)));
        }
        let mut items = self.comma_list(Self::expr)?;
        self.expect_close()?;
        Ok(match (items.pop(), items.is_empty()) {
            (Some(only), true) => Expr::Nested(Box::new(only)),
            (Some(last), false) => {
                items.push(last);
                Expr::Other(items)
            }
            (None, _) => Expr::Other(items),
        })
    }

    fn word_expression(&mut self, word: &str) -> Parsed<Expr> {
        let is = |w: &str| word.eq_ignore_ascii_case(w);
        if is("null") || is("current_date") || is("current_time") || is("current_timestamp") {
            self.pos += 1;
            return Ok(Expr::Value);
        }
        if is("case") {
            self.pos += 1;
            return self.case();
        }
        if is("exists") {
            self.pos += 1;
            self.expect_open()?;
            let query = self.query()?;
            self.expect_close()?;
            return Ok(Expr::Subquery(Box::new(query)));
        }
        if is("cast") && self.peek_at(1).is_some_and(|t| t.kind == Kind::OpenParen) {
            self.pos += 2;
            let value = self.expr()?;
            self.expect_word("as")?;
            self.type_name()?;
            self.expect_close()?;
            return Ok(Expr::Other(vec![value]));
        }
        self.reference()
    }

    /// A column reference `[[schema.]table.]column` or a function call.
    fn reference(&mut self) -> Parsed<Expr> {
        let first = self.name()?;
        if self.is_open() {
            return self.function(first);
        }
        let mut path = vec![first];
        while path.len() < 3 && self.eat_symbol(".") {
            path.push(self.name()?);
        }
        Ok(Expr::Column(path))
    }

    /// `name(args) [FILTER (WHERE …)] [OVER …]`; `count(*)` has no args.
    fn function(&mut self, name: Name) -> Parsed<Expr> {
        self.expect_open()?;
        let mut args = Vec::new();
        if self.eat_symbol("*") || self.is_kind(Kind::CloseParen, ")") {
            self.expect_close()?;
        } else {
            let _ = self.eat_word("distinct") || self.eat_word("all");
            args = self.comma_list(Self::expr)?;
            args.extend(self.order_by()?);
            self.expect_close()?;
        }
        if self.eat_word("filter") {
            self.expect_open()?;
            self.expect_word("where")?;
            args.push(self.expr()?);
            self.expect_close()?;
        }
        if self.eat_word("over") {
            if self.is_open() {
                args.extend(self.window_definition()?);
            } else {
                self.name()?;
            }
        }
        Ok(Expr::Function { name, args })
    }

    /// `( [base] [PARTITION BY …] [ORDER BY …] [frame] )`: its expressions.
    pub(super) fn window_definition(&mut self) -> Parsed<Vec<Expr>> {
        self.expect_open()?;
        let mut exprs = Vec::new();
        let frame_words = ["partition", "range", "rows", "groups"];
        if self.name_at(0).is_some() && !frame_words.iter().any(|w| self.is_word(w)) {
            self.pos += 1;
        }
        if self.eat_word("partition") {
            self.expect_word("by")?;
            exprs.extend(self.comma_list(Self::expr)?);
        }
        exprs.extend(self.order_by()?);
        if self.eat_word("range") || self.eat_word("rows") || self.eat_word("groups") {
            if self.eat_word("between") {
                exprs.extend(self.frame_bound()?);
                self.expect_word("and")?;
            }
            exprs.extend(self.frame_bound()?);
            if self.eat_word("exclude") {
                let known = (self.eat_word("no") && self.eat_word("others"))
                    || (self.eat_word("current") && self.eat_word("row"))
                    || self.eat_word("group")
                    || self.eat_word("ties");
                if !known {
                    return Err(self.expected("NO OTHERS, CURRENT ROW, GROUP or TIES"));
                }
            }
        }
        self.expect_close()?;
        Ok(exprs)
    }

    fn frame_bound(&mut self) -> Parsed<Option<Expr>> {
        if self.eat_word("current") {
            self.expect_word("row")?;
            return Ok(None);
        }
        let offset = if self.eat_word("unbounded") {
            None
        } else {
            Some(self.expr()?)
        };
        if self.eat_word("preceding") || self.eat_word("following") {
            Ok(offset)
        } else {
            Err(self.expected("PRECEDING or FOLLOWING"))
        }
    }

    /// After CASE: `[base] WHEN … THEN … [ELSE …] END`.
    fn case(&mut self) -> Parsed<Expr> {
        let mut parts = Vec::new();
        if !self.is_word("when") {
            parts.push(self.expr()?);
        }
        if !self.is_word("when") {
            return Err(self.expected("WHEN"));
        }
        while self.eat_word("when") {
            parts.push(self.expr()?);
            self.expect_word("then")?;
            parts.push(self.expr()?);
        }
        if self.eat_word("else") {
            parts.push(self.expr()?);
        }
        self.expect_word("end")?;
        Ok(Expr::Other(parts))
    }

    /// `INTEGER`, `VARCHAR(10)`, `DECIMAL(10, 2)`, `DOUBLE PRECISION`.
    fn type_name(&mut self) -> Parsed<()> {
        let is_type_word = |p: &Self| {
            p.peek()
                .is_some_and(|t| t.kind == Kind::Word && !super::is_reserved(t.text))
        };
        if !is_type_word(self) {
            return Err(self.expected("a type name"));
        }
        while is_type_word(self) {
            self.pos += 1;
        }
        if self.eat_open() {
            self.comma_list(Self::signed_number)?;
            self.expect_close()?;
        }
        Ok(())
    }

    fn signed_number(&mut self) -> Parsed<Expr> {
        let _ = self.eat_symbol("+") || self.eat_symbol("-");
        match self.peek() {
            Some(t) if t.kind == Kind::Number => {
                self.pos += 1;
                Ok(Expr::Value)
            }
            _ => Err(self.expected("a number")),
        }
    }
}
