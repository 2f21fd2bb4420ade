//! Database statistics: `/api/stats` and `/api/db/info` (any token),
//! `/api/admin/db/stats` (admin). `table_stats` is exact and current after
//! every write, so these read it instead of counting tables.

use crate::router::{ApiError, HandlerResult, Res};
use crate::services::platform::Statement;
use crate::services::usage;
use crate::state::{Ctx, RouteGroup};
use serde_json::{json, Map, Value};

/// Daily database sizes kept in KV for the growth figure (one write a day).
const SIZE_HISTORY_KEY: &str = "db:size_history";
const SIZE_HISTORY_DAYS: usize = 8;

pub fn routes() -> RouteGroup {
    RouteGroup::new("/api")
        .get("/stats", "stats", stats)
        .get("/db/info", "db_info", db_info)
        .get("/admin/db/stats", "admin_db_stats", admin_db_stats)
        .admin()
}

async fn query(
    cx: &Ctx,
    sql: &str,
    failure: &'static str,
) -> Result<crate::services::platform::QueryResult, ApiError> {
    cx.platform()
        .db
        .query(&Statement::new(sql, vec![]))
        .await
        .map_err(|e| ApiError::new(500, failure).with_cause(e.to_string()))
}

fn mb(bytes: Option<u64>) -> Value {
    bytes.map_or(Value::Null, |b| {
        json!((b as f64 / 1_048_576.0 * 100.0).round() / 100.0)
    })
}

async fn stats(cx: &mut Ctx) -> HandlerResult {
    let r = query(
        cx,
        "SELECT resource, min_day, max_day, record_count, updated_at FROM table_stats ORDER BY resource",
        "Failed to fetch table stats",
    )
    .await?;
    Ok(Res::json(200, &r.rows).with_header("cache-control", "private, max-age=60"))
}

/// Records today's size (once a day) and returns bytes per day over the kept history.
async fn growth_per_day(cx: &Ctx, today: &str, size: u64) -> Value {
    let kv = &cx.platform().kv;
    let mut history: Map<String, Value> = match kv.get(SIZE_HISTORY_KEY).await {
        Ok(Some(text)) => serde_json::from_str(&text).unwrap_or_default(),
        _ => Map::new(),
    };
    if !history.contains_key(today) {
        history.insert(today.to_string(), json!(size));
        while history.len() > SIZE_HISTORY_DAYS {
            let oldest = history.keys().next().cloned();
            if let Some(k) = oldest {
                history.remove(&k);
            }
        }
        if let Err(e) = kv
            .put(
                SIZE_HISTORY_KEY,
                &Value::Object(history.clone()).to_string(),
                None,
            )
            .await
        {
            tracing::warn!(error = %e, "could not record the database size");
        }
    }
    let first = history.iter().next();
    match first {
        Some((day, old)) if day.as_str() < today => {
            let days = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d")
                .ok()
                .zip(chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
                .map(|(a, b)| (a - b).num_days())
                .unwrap_or(0);
            let old = old.as_f64().unwrap_or(size as f64);
            if days > 0 {
                json!(((size as f64 - old) / days as f64).round())
            } else {
                Value::Null
            }
        }
        _ => Value::Null,
    }
}

async fn db_info(cx: &mut Ctx) -> HandlerResult {
    let r = query(
        cx,
        "SELECT SUM(record_count) AS total_records FROM table_stats",
        "Failed to fetch DB info",
    )
    .await?;
    let size = r.meta.size_after;
    let total = r
        .rows
        .first()
        .and_then(|row| row.get("total_records"))
        .cloned()
        .unwrap_or(Value::Null);
    let today = crate::services::time::iso_timestamp(cx.platform().clock.now_ms());
    let growth = match size {
        Some(s) => growth_per_day(cx, today.get(..10).unwrap_or(""), s).await,
        None => Value::Null,
    };
    Ok(Res::json(
        200,
        &json!({
            "file_size_bytes": size,
            "file_size_mb": mb(size),
            "total_records": total,
            "growth_bytes_per_day": growth,
            "usage": usage_json(cx).await,
        }),
    )
    .with_header("cache-control", "private, max-age=60"))
}

/// The usage meter beside its quotas (`null` when it cannot be read).
pub async fn usage_json(cx: &Ctx) -> Value {
    let settings = &cx.config().usage;
    match usage::recent(cx.platform()).await {
        Ok((today, yesterday)) => usage::to_json(settings, &today, &yesterday),
        Err(e) => {
            tracing::warn!(error = %e, "usage meter unavailable");
            Value::Null
        }
    }
}

async fn admin_db_stats(cx: &mut Ctx) -> HandlerResult {
    let tables = query(
        cx,
        "SELECT resource, record_count, min_day, max_day, updated_at FROM table_stats ORDER BY resource",
        "Failed to fetch DB stats",
    )
    .await?;
    // sqlite_stat1 exists only after ANALYZE / PRAGMA optimize: absent is not an error.
    let indexes = cx
        .platform()
        .db
        .query(&Statement::new(
            "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl NOT LIKE '_cf_%' ORDER BY tbl, idx",
            vec![],
        ))
        .await
        .map(|r| r.rows)
        .unwrap_or_default();
    let size = tables.meta.size_after;
    Ok(Res::json(
        200,
        &json!({
            "database": {"file_size_bytes": size, "file_size_mb": mb(size)},
            "tables": tables.rows,
            "indexes": indexes,
        }),
    ))
}
