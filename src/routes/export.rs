//! `GET /api/export?table=&start=&end=&format=csv|ndjson[&after=]` (any
//! token): a table's rows one page a request (up to 50,000 rows or 750 KB
//! of text, built by SQLite: `services/export_page.rs`), so each request
//! stays within the Free plan's 10 ms of CPU. A page with more after it
//! carries `Link: <…&after=…>; rel="next"`; following the links until one
//! has none gives every row once, in key order (`scripts/export` does).

use super::params::date_param;
use crate::router::{ApiError, HandlerResult, Held, Res};
use crate::services::collections::tables::exportable_tables;
use crate::services::export_page::{self, Format, PageRequest, PAGE_BYTES, PAGE_ROWS};
use crate::services::writer::TableSpec;
use crate::state::{Ctx, RouteGroup};
use serde_json::Value;
use std::rc::Rc;

pub fn routes() -> RouteGroup {
    RouteGroup::new("/api").get("/export", "export", export)
}

/// `after=`: the previous page's last order key, a JSON array of scalars.
fn after_param(cx: &Ctx, spec: &TableSpec) -> Result<Option<Vec<Value>>, ApiError> {
    let Some(raw) = cx.req.query_param("after").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::bad_request("Invalid after cursor").with_hint(format!(
            "a JSON array of {} values, as the previous page's Link header gives",
            spec.paging.order.len()
        ))
    };
    let values: Vec<Value> = serde_json::from_str(&raw).map_err(|_| bad())?;
    let scalars = values.iter().all(|v| !v.is_array() && !v.is_object());
    if values.len() != spec.paging.order.len() || !scalars {
        return Err(bad());
    }
    Ok(Some(values))
}

/// This request's query with `after` set to `next`.
fn next_link(cx: &Ctx, next: &[Value]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(cx.req.query.as_bytes()) {
        if k != "after" {
            query.append_pair(&k, &v);
        }
    }
    query.append_pair("after", &Value::from(next.to_vec()).to_string());
    format!("<{}?{}>; rel=\"next\"", cx.req.path, query.finish())
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
    let platform = cx.platform();
    let db = platform.db.as_ref();
    let after = after_param(cx, spec)?;
    let columns = export_page::columns(db, spec).await?;
    let mut res = Res::new(200)
        .with_header("content-type", content_type)
        .with_header(
            "content-disposition",
            format!("attachment; filename=\"{}.{ext}\"", spec.table),
        )
        .with_header("cache-control", "private, no-store");
    if columns.is_empty() {
        return Ok(res);
    }
    let prefix = match format {
        Format::Csv if after.is_none() => export_page::csv_header(&columns),
        _ => String::new(),
    };
    let page = export_page::read(
        db,
        &PageRequest {
            spec,
            format,
            columns,
            start,
            end,
            after,
            prefix,
            max_rows: PAGE_ROWS,
            max_bytes: PAGE_BYTES,
        },
    )
    .await?;
    res = res.with_header("x-export-rows", page.rows.to_string());
    if let Some(next) = &page.next {
        res = res.with_header("link", next_link(cx, next));
    }
    Ok(match page.text {
        Some(text) => res.with_held(Held(Rc::new(text))),
        None => res,
    })
}
