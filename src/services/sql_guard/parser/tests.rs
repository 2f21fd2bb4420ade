use super::parse_query;
use crate::services::sql_guard::ast::{
    Column, Constraint, Core, Expr, FromItem, JoinKind, Name, Query, Source,
};
use crate::services::sql_guard::lexer::tokenize;

fn parse(sql: &str) -> Result<Query, String> {
    let tokens = tokenize(sql).map_err(|e| format!("{e:?}"))?;
    parse_query(&tokens).map_err(|e| e.hint.unwrap_or(e.message))
}

fn parsed(sql: &str) -> Query {
    match parse(sql) {
        Ok(q) => q,
        Err(e) => unreachable!("{sql}: {e}"),
    }
}

fn only_select(q: &Query) -> &crate::services::sql_guard::ast::Select {
    match q.cores.as_slice() {
        [Core::Select(s)] => s,
        other => unreachable!("not one SELECT: {other:?}"),
    }
}

fn col(parts: &[&str]) -> Expr {
    Expr::Column(
        parts
            .iter()
            .map(|p| Name {
                value: p.to_string(),
                double_quoted: false,
            })
            .collect(),
    )
}

fn eq(a: Expr, b: Expr) -> Expr {
    Expr::Eq(Box::new(a), Box::new(b))
}

#[test]
fn and_binds_tighter_than_or_and_equality_keeps_its_sides() {
    let q = parsed("SELECT 1 FROM a JOIN b ON a.k = b.k AND x OR y");
    let s = only_select(&q);
    let Some(FromItem {
        constraint: Constraint::On(on),
        ..
    }) = s.from.get(1)
    else {
        unreachable!("no ON: {s:?}")
    };
    assert_eq!(
        on,
        &Expr::Other(vec![
            Expr::And(vec![eq(col(&["a", "k"]), col(&["b", "k"])), col(&["x"])]),
            col(&["y"]),
        ])
    );
    // NOT covers the whole comparison; `=` chains nest left.
    let q = parsed("SELECT NOT a = b, a = b = c");
    let s = only_select(&q);
    let exprs: Vec<&Expr> = s
        .columns
        .iter()
        .filter_map(|c| match c {
            Column::Expr { expr, .. } => Some(expr),
            _ => None,
        })
        .collect();
    assert_eq!(
        exprs,
        vec![
            &Expr::Other(vec![eq(col(&["a"]), col(&["b"]))]),
            &eq(eq(col(&["a"]), col(&["b"])), col(&["c"])),
        ]
    );
}

#[test]
fn like_keeps_its_pattern() {
    let q = parsed(r"SELECT 1 WHERE x NOT LIKE ('%a' || y) ESCAPE '\'");
    let filter = only_select(&q).filter.clone();
    let Some(Expr::Like {
        subject,
        pattern,
        escape,
    }) = filter
    else {
        unreachable!("{filter:?}")
    };
    assert_eq!(*subject, col(&["x"]));
    assert!(matches!(*pattern, Expr::Nested(_)));
    assert_eq!(escape.map(|e| *e), Some(Expr::Str("\\".into())));
}

#[test]
fn every_in_target() {
    for (sql, table) in [
        ("SELECT 1 IN t", Some(("t", false))),
        ("SELECT 1 NOT IN main.t", Some(("t", false))),
        ("SELECT 1 IN 'secret'", Some(("secret", false))),
        ("SELECT 1 IN json_each('[1]')", Some(("json_each", true))),
        ("SELECT 1 IN (1, 2)", None),
        ("SELECT 1 IN ()", None),
        ("SELECT 1 IN (SELECT 1)", None),
    ] {
        let q = parsed(sql);
        let found = match only_select(&q).columns.first() {
            Some(Column::Expr {
                expr: Expr::InTable { path, args, .. },
                ..
            }) => path.last().map(|n| (n.value.as_str(), args.is_some())),
            _ => None,
        };
        assert_eq!(found, table, "{sql}");
    }
}

#[test]
fn joins_and_sources() {
    let q = parsed(
        "SELECT * FROM a AS x LEFT OUTER JOIN b USING (day) NATURAL JOIN c \
         CROSS JOIN (SELECT 1) s, json_each(x.v) j INNER JOIN (d JOIN e ON d.k = e.k) \
         ON 1 JOIN main.f NOT INDEXED ON 1 JOIN g INDEXED BY g_day ON 1",
    );
    let joins: Vec<JoinKind> = only_select(&q).from.iter().map(|f| f.join).collect();
    let join = JoinKind::Explicit { natural: false };
    assert_eq!(
        joins,
        vec![
            JoinKind::First,
            join,
            JoinKind::Explicit { natural: true },
            join,
            JoinKind::Comma,
            join,
            join,
            join,
        ]
    );
    let from = &only_select(&q).from;
    assert!(matches!(&from[1].constraint, Constraint::Using(c) if c.len() == 1));
    assert!(matches!(&from[3].source, Source::Subquery { alias: Some(a), .. } if a.value == "s"));
    assert!(matches!(
        &from[4].source,
        Source::Table { args: Some(_), .. }
    ));
    assert!(matches!(&from[5].source, Source::Nested(inner) if inner.len() == 2));
    assert!(matches!(&from[6].source, Source::Table { path, .. } if path.len() == 2));
}

#[test]
fn what_dashboards_write() {
    for sql in [
        "SELECT day, avg(bpm) OVER (PARTITION BY day ORDER BY ts ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) FROM t",
        "SELECT count(*) FILTER (WHERE bpm > 100), count(DISTINCT day) FROM t",
        "SELECT group_concat(day, ',' ORDER BY day DESC) FROM t",
        "SELECT sum(x) OVER w FROM t WINDOW w AS (ORDER BY day RANGE UNBOUNDED PRECEDING)",
        "SELECT CAST(x AS REAL), CAST(y AS VARCHAR(10)), CAST(z AS DECIMAL(10, -2)) FROM t",
        "SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE a WHEN 1 THEN 'x' END FROM t",
        "SELECT data ->> '$.score', data -> 'a', day COLLATE NOCASE FROM t ORDER BY 1 DESC NULLS LAST",
        "SELECT 1 WHERE a BETWEEN 1 AND 2 AND b IS NOT DISTINCT FROM c AND d ISNULL AND e NOT NULL",
        "SELECT 1 WHERE a IS NOT NULL AND NOT EXISTS (SELECT 1) AND x GLOB 'a*' AND -x < ~y",
        "SELECT strftime('%Y-%m', day) AS month, \"Resting HR\" 'label', [bracket] FROM t",
        "SELECT x'00', ?, ?2, :name, 1e3, .5, 0x1F, CURRENT_TIMESTAMP, 'a''b'",
        "SELECT 1 UNION ALL SELECT 2 EXCEPT VALUES (3), (4) INTERSECT SELECT 5 ORDER BY 1 LIMIT 2",
        "WITH RECURSIVE c(x) AS NOT MATERIALIZED (SELECT 1), d AS MATERIALIZED (SELECT 2) SELECT * FROM c, d",
        "SELECT t.*, 's'.c FROM t",
        "SELECT DISTINCT day FROM t GROUP BY day HAVING count(*) > 1",
    ] {
        assert!(parse(sql).is_ok(), "{sql}: {:?}", parse(sql).err());
    }
}

#[test]
fn limit_forms() {
    let count = |sql: &str| parsed(sql).limit.map(|l| (l.count, l.offset.is_some()));
    assert_eq!(count("SELECT 1"), None);
    assert_eq!(
        count("SELECT 1 LIMIT 5"),
        Some((Expr::Number("5".into()), false))
    );
    assert_eq!(
        count("SELECT 1 LIMIT 5 OFFSET 2"),
        Some((Expr::Number("5".into()), true))
    );
    // `LIMIT offset, count`
    assert_eq!(
        count("SELECT 1 LIMIT 2, 5"),
        Some((Expr::Number("5".into()), true))
    );
}

#[test]
fn chains_stay_flat() {
    let sql = format!("SELECT {}1", "1 + ".repeat(200));
    let q = parsed(&sql);
    assert!(matches!(
        only_select(&q).columns.first(),
        Some(Column::Expr { expr: Expr::Other(parts), .. }) if parts.len() == 201
    ));
}

#[test]
fn what_sqlite_refuses_is_refused() {
    for sql in [
        "SELECT",
        "SELECT 1 FROM",
        "SELECT * FROM t JOIN",
        "SELECT * FROM t LEFT u",
        "SELECT (1",
        "SELECT 1)",
        "SELECT CASE END",
        "SELECT CASE x ELSE 1 END",
        "(SELECT 1) UNION SELECT 2",
        "SELECT 1 UNION (SELECT 2)",
        "SELECT 1 ORDER BY 1 UNION SELECT 2",
        "SELECT 1 LIMIT 1 UNION SELECT 2",
        "SELECT 1 AS from",
        "SELECT a FROM t WHERE",
        "SELECT a b c",
        "SELECT * INTO x FROM t",
        "SELECT TOP 5 * FROM t",
        "SELECT * FROM t FOR UPDATE",
        "SELECT count(*) OVER (ROWS 1) FROM t",
        "SELECT 1 NOT",
        "SELECT f(x) FILTER (x)",
        "WITH a AS SELECT 1 SELECT 2",
        "VALUES 1",
        "SELECT 1 2",
    ] {
        assert!(parse(sql).is_err(), "{sql}");
    }
}
