//! `POST /api/admin/sync?days=&collections=` (admin): sync the last `days`
//! days (1–30, default 3) of every collection, or of the listed ones, now.
//! `start=&end=` (YYYY-MM-DD, at most 30 days apart) sync that range instead.
//! For longer ranges use the backfill.

use super::params::date_param;
use crate::router::{ApiError, HandlerResult, Res};
use crate::services::collections::find;
use crate::services::oura::discover;
use crate::services::sync::sync_range;
use crate::state::{Ctx, RouteGroup};
use chrono::{DateTime, Duration, NaiveDate};

const MAX_DAYS: i64 = 30;

pub fn routes() -> RouteGroup {
    RouteGroup::new("/api/admin")
        .post("/sync", "admin_sync", sync)
        .admin()
}

fn days(cx: &Ctx) -> Result<i64, ApiError> {
    match cx.req.query_param("days").filter(|v| !v.is_empty()) {
        None => Ok(3),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| {
                ApiError::bad_request(format!("days must be a whole number from 1 to {MAX_DAYS}"))
                    .with_hint("use /backfill for longer ranges")
            }),
    }
}

/// The explicit range, if both ends are given and sane.
fn explicit_range(cx: &Ctx) -> Result<Option<(NaiveDate, NaiveDate)>, ApiError> {
    match (date_param(cx, "start")?, date_param(cx, "end")?) {
        (None, None) => Ok(None),
        (Some(s), Some(e)) if s <= e && (e - s).num_days() < MAX_DAYS => Ok(Some((s, e))),
        (Some(_), Some(_)) => Err(ApiError::bad_request(format!(
            "start must not be after end, and the range may span at most {MAX_DAYS} days"
        ))),
        _ => Err(ApiError::bad_request("give both start and end, or neither")),
    }
}

async fn sync(cx: &mut Ctx) -> HandlerResult {
    let days = days(cx)?;
    let range = explicit_range(cx)?;
    let collections = match cx.req.query_param("collections").filter(|v| !v.is_empty()) {
        // What Oura's spec lists (falls back to the built-in registry).
        None => discover(cx.platform(), cx.config()).await.collections,
        Some(list) => list
            .split(',')
            .map(|n| {
                find(n.trim()).ok_or_else(|| {
                    ApiError::bad_request(format!("Unknown collection '{}'", n.trim()))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let now = cx.platform().clock.now_ms();
    let today = DateTime::from_timestamp_millis(now as i64)
        .map(|t| t.date_naive())
        .ok_or_else(|| ApiError::internal("clock out of range"))?;
    let (start, end) = range.unwrap_or((today - Duration::days(days - 1), today));
    let report = sync_range(cx.platform(), cx.config(), &collections, start, end).await;
    let status = if report.failed().is_empty() { 200 } else { 207 };
    Ok(Res::json(status, &report))
}
