//! One page of a table's rows as CSV or NDJSON text, built by SQLite.
//!
//! The Worker gets a page as one JS string (`Db::query_text`) and sends it
//! as it is: rows passing through Rust one value at a time cost about 3 µs
//! each, so a 50,000-row page took 150+ ms of CPU against the Free plan's
//! 10 ms. What is left grows with the page's bytes (D1's binding decodes
//! its answer: ~5 ms a megabyte of NDJSON), so a page ends at `PAGE_ROWS`
//! rows or `PAGE_BYTES` of text, whichever comes first (D1 also refuses a
//! value over 2,000,000 bytes). It names the order key of its last row: the
//! next page starts after it (keyset pagination, no OFFSET rows billed as
//! read).

use crate::services::platform::{Db, PResult, PlatformError, Row, Statement, Text};
use crate::services::writer::TableSpec;
use serde_json::Value;

/// Rows a page holds at most.
pub const PAGE_ROWS: u32 = 50_000;
/// Bytes of text a page holds at most (a first row larger than this still
/// comes, alone).
pub const PAGE_BYTES: u64 = 750_000;
/// `json_object` takes at most 127 arguments in SQLite's default build: a
/// wide row (`daily_summaries` has 71 columns) is built in parts.
const COLUMNS_PER_OBJECT: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

/// Which rows a page holds.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub spec: &'static TableSpec,
    pub format: Format,
    /// The table's columns in order (`columns`).
    pub columns: Vec<String>,
    /// Inclusive start and exclusive end of `spec.paging.time`.
    pub start: String,
    pub end: String,
    /// The order key of the previous page's last row.
    pub after: Option<Vec<Value>>,
    /// Text before the first row (the CSV header, on the first page).
    pub prefix: String,
    pub max_rows: u32,
    pub max_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct Page {
    /// The prefix, then one line per row, each ending in a newline; `None`
    /// when no row is left.
    pub text: Option<Text>,
    pub rows: u64,
    /// Where the next page starts; `None` when this was the last.
    pub next: Option<Vec<Value>>,
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The table's columns in order, from one row (an empty table has none and
/// nothing to export): D1 gives no column names for an empty result.
pub async fn columns(db: &dyn Db, spec: &TableSpec) -> PResult<Vec<String>> {
    let stmt = Statement::new(format!("SELECT * FROM {} LIMIT 1", spec.table), vec![]);
    let rows = db.query(&stmt).await?.rows;
    Ok(rows
        .first()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default())
}

/// A CSV field: empty for NULL, quoted when it holds a comma, quote or line
/// break.
fn csv_field(column: &str) -> String {
    let c = ident(column);
    format!(
        "CASE WHEN {c} IS NULL THEN '' WHEN typeof({c}) <> 'text' THEN CAST({c} AS TEXT) \
         WHEN instr({c}, ',') OR instr({c}, '\"') OR instr({c}, char(10)) OR instr({c}, char(13)) \
         THEN '\"' || replace({c}, '\"', '\"\"') || '\"' ELSE {c} END"
    )
}

/// One JSON object per row; parts of `COLUMNS_PER_OBJECT` are joined by
/// trimming their braces (a part's last value never ends in `}`: values are
/// scalars or strings).
fn json_line(columns: &[String]) -> String {
    let parts: Vec<String> = columns
        .chunks(COLUMNS_PER_OBJECT)
        .map(|part| {
            let pairs: Vec<String> = part
                .iter()
                .map(|c| format!("{}, {}", literal(c), ident(c)))
                .collect();
            format!("json_object({})", pairs.join(", "))
        })
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        _ => {
            let inner: Vec<String> = parts
                .iter()
                .map(|p| format!("rtrim(ltrim({p}, '{{'), '}}')"))
                .collect();
            format!("'{{' || {} || '}}'", inner.join(" || ',' || "))
        }
    }
}

fn line_expression(format: Format, columns: &[String]) -> String {
    match format {
        Format::Ndjson => json_line(columns),
        Format::Csv => columns
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(" || ',' || "),
    }
}

/// The CSV header line (on the first page only).
pub fn csv_header(columns: &[String]) -> String {
    format!("{}\n", columns.join(","))
}

/// One statement: the page's rows in key order, their text joined after
/// the prefix, and the last row's key (a bare column beside `max(_upto)`, which SQLite takes
/// from the row holding the maximum).
fn page_statement(req: &PageRequest) -> Result<Statement, PlatformError> {
    let order = req.spec.paging.order;
    if order.is_empty() || req.columns.is_empty() {
        return Err(PlatformError::new(format!(
            "{} has no page order or no columns",
            req.spec.table
        )));
    }
    let keys = order
        .iter()
        .map(|k| ident(k))
        .collect::<Vec<_>>()
        .join(", ");
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(time) = req.spec.paging.time {
        params.push(Value::from(req.start.clone()));
        clauses.push(format!("{} >= ?{}", ident(time), params.len()));
        params.push(Value::from(req.end.clone()));
        clauses.push(format!("{} < ?{}", ident(time), params.len()));
    }
    if let Some(after) = &req.after {
        let first = params.len() + 1;
        params.extend(after.iter().cloned());
        let marks: Vec<String> = (first..first + after.len())
            .map(|i| format!("?{i}"))
            .collect();
        clauses.push(format!("({keys}) > ({})", marks.join(", ")));
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    params.push(Value::from(req.prefix.clone()));
    let prefix = params.len();
    let line = line_expression(req.format, &req.columns);
    let size = "length(CAST(_line AS BLOB)) + 1";
    let sql = format!(
        "SELECT count(*) AS _rows, max(_upto) AS _bytes, _fetched, {keys}, \
         ?{prefix} || group_concat(_line || char(10), '' ORDER BY _upto) AS _text FROM (\
         SELECT {keys}, _line, sum({size}) OVER (ORDER BY {keys} ROWS UNBOUNDED PRECEDING) AS _upto, \
         count(*) OVER () AS _fetched FROM (\
         SELECT {keys}, {line} AS _line FROM {table}{filter} ORDER BY {keys} LIMIT {limit})) \
         WHERE _upto <= {max_bytes} OR _upto = {size}",
        table = req.spec.table,
        limit = req.max_rows,
        max_bytes = req.max_bytes,
    );
    Ok(Statement::new(sql, params))
}

fn count(row: &Row, name: &str) -> u64 {
    row.get(name).and_then(Value::as_u64).unwrap_or(0)
}

/// One page. More follow when it was cut by size or came back full.
pub async fn read(db: &dyn Db, req: &PageRequest) -> PResult<Page> {
    let stmt = page_statement(req)?;
    let answer = db.query_text(&stmt, "_text").await?;
    let (Some(text), Some(row)) = (answer.text, answer.row) else {
        return Ok(Page {
            text: None,
            rows: 0,
            next: None,
        });
    };
    let rows = count(&row, "_rows");
    let fetched = count(&row, "_fetched");
    let more = rows > 0 && (rows < fetched || fetched >= u64::from(req.max_rows));
    let next = more.then(|| {
        req.spec
            .paging
            .order
            .iter()
            .map(|k| row.get(*k).cloned().unwrap_or(Value::Null))
            .collect()
    });
    Ok(Page {
        text: Some(text),
        rows,
        next,
    })
}
