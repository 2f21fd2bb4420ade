//! `POST /api/sql` (Grafana or admin token): read-only SQL for Grafana's
//! Infinity datasource (spec §5, fixes #7, #8, #13).
//!
//! The guard decides from the parsed query and sets the row cap; the query
//! races `QUERY_TIMEOUT_MS`; its rows go out as D1 serialised them
//! (`Db::query_json`). Results are cached in KV under the
//! current cache generation (a data write bumps it, orphaning old entries),
//! and only when the query was costly enough to be worth a KV write — the
//! free tier allows 1,000 KV writes a day — and this isolate has seen it
//! before: dashboard queries with time macros rarely repeat exactly, so a
//! query seen for the first time is neither looked up nor stored
//! (`sql_cache`). One HTTP `Cache-Control` for hits and misses.

use crate::router::{ApiError, HandlerResult, Res};
use crate::services::deadline::within;
use crate::services::platform::Statement;
use crate::services::sql_cache::{generation, record_computed, seen_costly, worth_caching};
use crate::services::sql_guard::{guard, GuardConfig};
use crate::services::sql_log::{self, QueryLog};
use crate::state::{Ctx, RouteGroup};

mod budget_refusal;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// KV lifetime of a cached result (6 h, as the original).
const CACHE_TTL_SECONDS: u64 = 21_600;
/// HTTP caching for hits and misses alike.
const CACHE_CONTROL: &str = "private, max-age=300";

pub fn routes() -> RouteGroup {
    RouteGroup::new("/api").post("/sql", "sql", handler)
}

/// The query's identity across generations (32 hex characters).
fn query_digest(sql: &str, params: &[Value]) -> String {
    let canonical = json!({"sql": sql, "params": params}).to_string();
    let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
    digest.get(..32).unwrap_or(&digest).to_string()
}

fn cache_key(generation: u64, digest: &str) -> String {
    format!("sql:{generation}:{digest}")
}

fn body_parts(cx: &Ctx) -> (String, Vec<Value>) {
    let body: Value = serde_json::from_slice(&cx.req.body).unwrap_or(Value::Null);
    let sql = body
        .get("sql")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    let params = body
        .get("params")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    (sql, params)
}

async fn handler(cx: &mut Ctx) -> HandlerResult {
    let started = cx.platform().clock.now_ms();
    let elapsed = |cx: &Ctx| cx.platform().clock.now_ms() - started;
    let (sql, params) = body_parts(cx);
    if sql.is_empty() {
        return Err(ApiError::bad_request("SQL query is required"));
    }
    let max_rows = cx.config().sql.max_rows;
    let config = GuardConfig::for_schema(max_rows);
    let guarded = match guard(&sql, &params, &config) {
        Ok(g) => g,
        Err(e) => {
            record(cx, &QueryLog::refused(&sql, elapsed(cx), &e.message));
            let mut err = ApiError::bad_request(e.message);
            if let Some(h) = e.hint {
                err = err.with_hint(h);
            }
            return Err(err);
        }
    };

    let kv = cx.platform().kv.clone();
    let digest = query_digest(&sql, &params);
    // Only a query this isolate found costly before can have an entry.
    let key = if seen_costly(&digest) {
        Some(cache_key(generation(kv.as_ref()).await, &digest))
    } else {
        None
    };
    if let Some(key) = &key {
        if let Ok(Some(hit)) = kv.get(key).await {
            let ms = elapsed(cx);
            record(
                cx,
                &QueryLog {
                    sql: &sql,
                    ms,
                    rows: None,
                    error: None,
                },
            );
            return Ok(Res::text(200, "application/json", hit)
                .with_header("cache-control", CACHE_CONTROL)
                .with_header("x-cache", "HIT")
                .with_header("x-query-time-ms", format!("{ms:.0}")));
        }
    }

    if let Err(used) = crate::services::sql_budget::check(cx.platform(), cx.config()).await {
        record(
            cx,
            &QueryLog::refused(&sql, elapsed(cx), "daily read share used"),
        );
        return Err(used.into());
    }
    let stmt = Statement::new(guarded.sql.clone(), guarded.params.clone());
    let timeout = cx.config().sql.timeout_ms;
    let db = cx.platform().db.clone();
    let sleeper = cx.platform().sleeper.clone();
    let result = match within(sleeper.as_ref(), timeout, db.query_json(&stmt)).await {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            record(
                cx,
                &QueryLog::refused(&sql, elapsed(cx), "execution failed"),
            );
            return Err(ApiError::new(500, "Query execution failed")
                .with_hint("Please check your SQL syntax and try again.")
                .with_cause(e.to_string()));
        }
        None => {
            record(cx, &QueryLog::refused(&sql, elapsed(cx), "timeout"));
            return Err(ApiError::new(408, "Query timeout").with_hint(
                "Your query took too long to execute. Try simplifying it or adding more specific filters.",
            ));
        }
    };
    crate::services::sql_budget::spend(cx.platform(), result.meta.rows_read);
    let rows = result.count;
    if rows as u64 > guarded.row_cap {
        let msg = format!("Too many rows returned: {rows}");
        record(
            cx,
            &QueryLog {
                sql: &sql,
                ms: elapsed(cx),
                rows: Some(rows),
                error: Some(&msg),
            },
        );
        return Err(
            ApiError::bad_request("Query returned too many rows").with_hint(format!(
                "Maximum {} rows allowed. Please add a LIMIT clause or use more specific filters.",
                guarded.row_cap
            )),
        );
    }
    let mut meta = Map::new();
    meta.insert("rows_read".into(), json!(result.meta.rows_read));
    meta.insert("rows_written".into(), json!(result.meta.rows_written));
    meta.insert("size_after".into(), json!(result.meta.size_after));
    // D1's rows go out as D1 serialised them: parsing and re-serialising
    // every row was most of a large result's CPU time.
    let body = format!(
        r#"{{"results":{},"meta":{}}}"#,
        result.json,
        Value::Object(meta)
    );
    let costly = worth_caching(result.meta.rows_read, body.len());
    // Stored on its second sighting: a query seen once may never repeat.
    if record_computed(&digest, costly) && costly {
        let key = match key {
            Some(k) => k,
            None => cache_key(generation(kv.as_ref()).await, &digest),
        };
        if let Err(e) = kv.put(&key, &body, Some(CACHE_TTL_SECONDS)).await {
            tracing::warn!(error = %e, "could not cache a query result");
        }
    }
    let ms = elapsed(cx);
    record(
        cx,
        &QueryLog {
            sql: &sql,
            ms,
            rows: Some(rows),
            error: None,
        },
    );
    Ok(Res::text(200, "application/json", body)
        .with_header("cache-control", CACHE_CONTROL)
        .with_header("x-cache", "MISS")
        .with_header("x-row-count", rows.to_string())
        .with_header("x-query-time-ms", format!("{ms:.0}")))
}

/// Logs the query with this request's client and config.
fn record(cx: &Ctx, q: &QueryLog<'_>) {
    sql_log::record(cx.platform(), cx.config(), cx.req.client_ip(), q);
}
