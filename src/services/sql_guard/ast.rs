//! The guard's syntax tree: only what its checks decide on. Relations,
//! function names, subqueries, join constraints, LIMIT and LIKE patterns
//! keep their shape; every other construct is an [`Expr::Other`] holding its
//! operands, so a walk still reaches every nested query and call.

/// A name as written, without its quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub value: String,
    /// `"…"`: SQLite reads it as a string when no column has that name.
    pub double_quoted: bool,
}

/// A `[schema.]name` of a table or table function.
pub(crate) type Path = Vec<Name>;

/// `[WITH …] core (op core)* [ORDER BY …] [LIMIT …]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub ctes: Vec<Cte>,
    /// The select cores in order; `ops[i]` joins `cores[i]` and `cores[i + 1]`.
    pub cores: Vec<Core>,
    pub ops: Vec<SetOp>,
    pub order_by: Vec<Expr>,
    pub limit: Option<Limit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOp {
    Union,
    UnionAll,
    Intersect,
    Except,
}

/// `LIMIT count [OFFSET offset]` or `LIMIT offset, count`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Limit {
    pub count: Expr,
    pub offset: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cte {
    pub name: Name,
    pub query: Query,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Core {
    Select(Box<Select>),
    Values(Vec<Vec<Expr>>),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Select {
    pub columns: Vec<Column>,
    pub from: Vec<FromItem>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    /// Every expression of the WINDOW clause's definitions.
    pub windows: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Column {
    /// `*`
    All,
    /// `t.*`
    AllOf(Name),
    Expr {
        expr: Expr,
        alias: Option<Name>,
    },
}

/// One relation of a FROM clause and how it joins what precedes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FromItem {
    pub join: JoinKind,
    pub source: Source,
    pub constraint: Constraint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinKind {
    /// The first relation of the list.
    First,
    /// `,`
    Comma,
    /// `[NATURAL] [LEFT|RIGHT|FULL [OUTER]|INNER|CROSS] JOIN`.
    Explicit { natural: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Constraint {
    None,
    On(Expr),
    Using(Vec<Name>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// A table, view or CTE; with `args`, a table function.
    Table {
        path: Path,
        args: Option<Vec<Expr>>,
        alias: Option<Name>,
    },
    Subquery {
        query: Box<Query>,
        alias: Option<Name>,
    },
    /// `( join-clause )`
    Nested(Vec<FromItem>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `column`, `table.column` or `schema.table.column`.
    Column(Vec<Name>),
    /// A numeric literal as written.
    Number(String),
    /// A string literal's value.
    Str(String),
    /// A blob, NULL, a parameter or another leaf without a name.
    Value,
    /// `( expr )`
    Nested(Box<Expr>),
    /// `a AND b AND …`, flattened.
    And(Vec<Expr>),
    /// `a = b` (or `==`) with nothing else at that level.
    Eq(Box<Expr>, Box<Expr>),
    /// `subject [NOT] LIKE pattern [ESCAPE escape]`.
    Like {
        subject: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<Box<Expr>>,
    },
    /// A call; `args` also holds FILTER, ORDER BY and OVER expressions.
    Function { name: Name, args: Vec<Expr> },
    /// `(SELECT …)`, `EXISTS (…)`, `IN (SELECT …)`.
    Subquery(Box<Query>),
    /// `subject [NOT] IN [schema.]table` or `IN table_function(args)`.
    InTable {
        subject: Box<Expr>,
        path: Path,
        args: Option<Vec<Expr>>,
    },
    /// Any other operator or construct, with its operands.
    Other(Vec<Expr>),
}

impl Query {
    /// Whether the last core is a SELECT (SQLite lets only those take a
    /// trailing LIMIT).
    pub fn ends_with_select(&self) -> bool {
        matches!(self.cores.last(), Some(Core::Select(_)))
    }
}

/// `a.b.c` for messages.
pub(crate) fn dotted(path: &[Name]) -> String {
    path.iter()
        .map(|n| n.value.as_str())
        .collect::<Vec<_>>()
        .join(".")
}
