//! `GET /api/oura/{collection}`: stored documents for clients that are not
//! Grafana, oldest first, paginated by an opaque cursor.

use super::params::date_param;
use crate::router::{ApiError, HandlerResult, Res};
use crate::services::collections::{find, ReadSource, REGISTRY};
use crate::services::platform::Statement;
use crate::state::{Ctx, RouteGroup};
use serde_json::{json, Value};

pub fn routes() -> RouteGroup {
    RouteGroup::new("/api/oura").get("/{collection}", "oura_read", handler)
}

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

fn limit_param(cx: &Ctx) -> Result<u32, ApiError> {
    match cx.req.query_param("limit").filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                ))
            }),
    }
}

/// The cursor is the sort key of the last row sent, hex-encoded.
fn decode_cursor(cx: &Ctx) -> Result<Option<(String, String)>, ApiError> {
    let Some(c) = cx.req.query_param("cursor").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || ApiError::bad_request("cursor is not one this server issued");
    let bytes = hex::decode(c).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (a, b) = text.split_once('\n').ok_or_else(bad)?;
    Ok(Some((a.to_string(), b.to_string())))
}

fn encode_cursor(a: &str, b: &str) -> String {
    hex::encode(format!("{a}\n{b}"))
}

async fn handler(cx: &mut Ctx) -> HandlerResult {
    let name = cx.param("collection").unwrap_or_default().to_string();
    let Some(collection) = find(&name) else {
        let names: Vec<&str> = REGISTRY.iter().map(|c| c.name).collect();
        return Err(
            ApiError::not_found_named(format!("Unknown collection '{name}'"))
                .with_hint(format!("one of: {}", names.join(", "))),
        );
    };
    let start = date_param(cx, "start")?;
    let end = date_param(cx, "end")?;
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(ApiError::bad_request("start must not be after end"));
        }
    }
    let limit = limit_param(cx)?;
    let cursor = decode_cursor(cx)?;
    let start_s = start.map(|d| d.to_string()).unwrap_or_default();
    // Inclusive end day: everything before the next day.
    let end_s = end
        .and_then(|d| d.succ_opt())
        .map(|d| d.to_string())
        .unwrap_or_else(|| "9999-12-31".to_string());
    let (after_a, after_b) = cursor.unwrap_or_default();
    let stmt = match collection.read {
        ReadSource::Documents => Statement::new(
            "SELECT COALESCE(day, '') AS k, id, json FROM oura_documents \
             WHERE collection = ?1 AND COALESCE(day, '') >= ?2 AND COALESCE(day, '') < ?3 \
             AND (COALESCE(day, ''), id) > (?4, ?5) ORDER BY COALESCE(day, ''), id LIMIT ?6",
            vec![
                json!(collection.name),
                json!(start_s),
                json!(end_s),
                json!(after_a),
                json!(after_b),
                json!(limit + 1),
            ],
        ),
        ReadSource::Table { table, time_column } => Statement::new(
            format!(
                "SELECT * FROM {table} WHERE {time_column} >= ?1 AND {time_column} < ?2 \
                 AND {time_column} > ?3 ORDER BY {time_column} LIMIT ?4"
            ),
            vec![
                json!(start_s),
                json!(end_s),
                json!(after_a),
                json!(limit + 1),
            ],
        ),
    };
    let result = cx
        .platform()
        .db
        .query(&stmt)
        .await
        .map_err(|e| ApiError::new(500, "D1 query failed").with_cause(e.to_string()))?;
    let mut rows = result.rows;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let (data, next): (Vec<Value>, Option<String>) = match collection.read {
        ReadSource::Documents => {
            let next = more
                .then(|| rows.last())
                .flatten()
                .map(|r| encode_cursor(str_of(r.get("k")), str_of(r.get("id"))));
            let docs = rows
                .iter()
                .map(|r| serde_json::from_str(str_of(r.get("json"))).unwrap_or(Value::Null))
                .collect();
            (docs, next)
        }
        ReadSource::Table { time_column, .. } => {
            let next = more
                .then(|| rows.last())
                .flatten()
                .map(|r| encode_cursor(str_of(r.get(time_column)), ""));
            (rows.into_iter().map(Value::Object).collect(), next)
        }
    };
    Ok(Res::json(
        200,
        &json!({"collection": collection.name, "data": data, "next_cursor": next}),
    )
    .with_header("cache-control", "private, max-age=60"))
}

fn str_of(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or("")
}
