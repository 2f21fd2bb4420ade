//! `GET /api/export?table=&start=&end=&format=csv|ndjson` (any token): a
//! table's rows, streamed page by page (keyset pagination, 1,000 rows a
//! query), so a year of heart rate leaves without being held in memory and
//! without OFFSET scans that D1 would bill as rows read.

use super::params::date_param;
use crate::router::{ApiError, BodyStream, BoxFut, ChunkSource, HandlerResult, Res};
use crate::services::collections::tables::exportable_tables;
use crate::services::platform::{Db, Row, Statement};
use crate::services::writer::TableSpec;
use crate::state::{Ctx, RouteGroup};
use serde_json::{json, Value};
use std::rc::Rc;

const PAGE_ROWS: u32 = 1_000;
/// Pages double up to this size, so a long export stays well within the
/// D1 queries one invocation may make (50 on the free plan): a year of heart
/// rate is 9 pages, ten years 26.
const MAX_PAGE_ROWS: u32 = 50_000;

pub fn routes() -> RouteGroup {
    RouteGroup::new("/api").get("/export", "export", export)
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Ndjson,
}

struct ExportStream {
    db: Rc<dyn Db>,
    spec: &'static TableSpec,
    format: Format,
    start: String,
    end: String,
    after: Option<Vec<Value>>,
    columns: Option<Vec<String>>,
    done: bool,
    page_rows: u32,
}

fn csv_field(v: &Value) -> String {
    let text = match v {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

impl ExportStream {
    fn page_statement(&self) -> Statement {
        let key = self.spec.paging.order.join(", ");
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        if let Some(time) = self.spec.paging.time {
            clauses.push(format!("{time} >= ?{}", params.len() + 1));
            params.push(json!(self.start));
            clauses.push(format!("{time} < ?{}", params.len() + 1));
            params.push(json!(self.end));
        }
        if let Some(after) = &self.after {
            let marks: Vec<String> = (0..after.len())
                .map(|i| format!("?{}", params.len() + 1 + i))
                .collect();
            clauses.push(format!("({key}) > ({})", marks.join(", ")));
            params.extend(after.iter().cloned());
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        Statement::new(
            format!(
                "SELECT * FROM {}{filter} ORDER BY {key} LIMIT {}",
                self.spec.table, self.page_rows
            ),
            params,
        )
    }

    fn render(&mut self, rows: &[Row]) -> Vec<u8> {
        let mut out = String::new();
        if self.format == Format::Csv && self.columns.is_none() {
            let cols: Vec<String> = rows
                .first()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            out.push_str(&cols.join(","));
            out.push('\n');
            self.columns = Some(cols);
        }
        for row in rows {
            match self.format {
                Format::Ndjson => {
                    out.push_str(&Value::Object(row.clone()).to_string());
                    out.push('\n');
                }
                Format::Csv => {
                    let cols = self.columns.as_deref().unwrap_or_default();
                    let fields: Vec<String> = cols
                        .iter()
                        .map(|c| csv_field(row.get(c).unwrap_or(&Value::Null)))
                        .collect();
                    out.push_str(&fields.join(","));
                    out.push('\n');
                }
            }
        }
        out.into_bytes()
    }
}

impl ChunkSource for ExportStream {
    fn next_chunk(&mut self) -> BoxFut<'_, Result<Option<Vec<u8>>, String>> {
        Box::pin(async move {
            if self.done {
                return Ok(None);
            }
            let stmt = self.page_statement();
            let rows = self.db.query(&stmt).await.map_err(|e| e.to_string())?.rows;
            if rows.len() < self.page_rows as usize {
                self.done = true;
            }
            self.page_rows = self.page_rows.saturating_mul(2).min(MAX_PAGE_ROWS);
            if let Some(last) = rows.last() {
                self.after = Some(
                    self.spec
                        .key
                        .iter()
                        .map(|k| last.get(*k).cloned().unwrap_or(Value::Null))
                        .collect(),
                );
            }
            if rows.is_empty() {
                return Ok(None);
            }
            Ok(Some(self.render(&rows)))
        })
    }
}

async fn export(cx: &mut Ctx) -> HandlerResult {
    let exportable = exportable_tables();
    let names = || {
        exportable
            .iter()
            .map(|e| e.table)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let table = cx.req.query_param("table").unwrap_or_default();
    let spec = *exportable
        .iter()
        .find(|e| e.table == table)
        .ok_or_else(|| {
            ApiError::bad_request(format!("Unknown or non-exportable table '{table}'"))
                .with_hint(format!("one of: {}", names()))
        })?;
    let format = match cx.req.query_param("format").as_deref() {
        None | Some("") | Some("csv") => Format::Csv,
        Some("ndjson") => Format::Ndjson,
        Some(other) => {
            return Err(ApiError::bad_request(format!("Unknown format '{other}'"))
                .with_hint("csv or ndjson"))
        }
    };
    let start = date_param(cx, "start")?
        .map(|d| d.to_string())
        .unwrap_or_default();
    let end = date_param(cx, "end")?
        .and_then(|d| d.succ_opt())
        .map(|d| d.to_string())
        .unwrap_or_else(|| "9999-12-31".to_string());
    let (content_type, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let stream = ExportStream {
        db: cx.platform().db.clone(),
        spec,
        format,
        start,
        end,
        after: None,
        columns: None,
        done: false,
        page_rows: PAGE_ROWS,
    };
    Ok(Res::new(200)
        .with_header("content-type", content_type)
        .with_header(
            "content-disposition",
            format!("attachment; filename=\"{}.{ext}\"", spec.table),
        )
        .with_header("cache-control", "private, no-store")
        .with_stream(BodyStream::new(stream)))
}
