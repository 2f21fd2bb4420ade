//! `/` and `/api/daily_summaries` (any token): daily rows for simple clients
//! (spec §4.9, §4.13; fix #15: bad numbers are a 400, not a silent default).

use crate::router::{ApiError, HandlerResult, Res};
use crate::services::platform::Statement;
use crate::state::{Ctx, RouteGroup};
use chrono::{DateTime, Duration, NaiveDate};
use serde_json::{json, Value};

const DEFAULT_DAYS: i64 = 90;
const MAX_DAYS: i64 = 3650;

pub fn routes() -> RouteGroup {
    RouteGroup::new("").get("/", "root", root).get(
        "/api/daily_summaries",
        "daily_summaries",
        daily_summaries,
    )
}

fn today(cx: &Ctx) -> Result<NaiveDate, ApiError> {
    DateTime::from_timestamp_millis(cx.platform().clock.now_ms() as i64)
        .map(|t| t.date_naive())
        .ok_or_else(|| ApiError::internal("clock out of range"))
}

fn date_param(cx: &Ctx, name: &str) -> Result<Option<String>, ApiError> {
    match cx.req.query_param(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .ok()
            .filter(|_| v.len() == 10)
            .map(|d| Some(d.to_string()))
            .ok_or_else(|| {
                ApiError::bad_request(format!("Invalid {name} date format (expected YYYY-MM-DD)"))
            }),
    }
}

async fn rows(cx: &Ctx, sql: &str, params: Vec<Value>) -> HandlerResult {
    let result = cx
        .platform()
        .db
        .query(&Statement::new(sql, params))
        .await
        .map_err(|e| ApiError::new(500, "D1 query failed").with_cause(e.to_string()))?;
    Ok(Res::json(200, &result.rows).with_header("cache-control", "private, max-age=300"))
}

async fn root(cx: &mut Ctx) -> HandlerResult {
    let days = match cx.req.query_param("days").filter(|v| !v.is_empty()) {
        None => DEFAULT_DAYS,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| {
                ApiError::bad_request(format!("days must be a whole number from 1 to {MAX_DAYS}"))
            })?,
    };
    let cutoff = (today(cx)? - Duration::days(days)).to_string();
    rows(
        cx,
        "SELECT * FROM daily_summaries WHERE day >= ?1 ORDER BY day ASC",
        vec![json!(cutoff)],
    )
    .await
}

async fn daily_summaries(cx: &mut Ctx) -> HandlerResult {
    let start = match date_param(cx, "start")? {
        Some(s) => s,
        None => (today(cx)? - Duration::days(DEFAULT_DAYS)).to_string(),
    };
    let end = date_param(cx, "end")?.unwrap_or_else(|| "9999-12-31".to_string());
    rows(
        cx,
        "SELECT * FROM daily_summaries WHERE day >= ?1 AND day <= ?2 ORDER BY day ASC LIMIT 50000",
        vec![json!(start), json!(end)],
    )
    .await
}
