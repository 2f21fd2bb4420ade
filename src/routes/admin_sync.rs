//! `POST /api/admin/sync?days=&collections=` (admin): sync the last `days`
//! days (1–30, default 3) of every collection, or of the listed ones, now.
//! For longer ranges use the backfill.

use crate::router::{ApiError, BoxFut, Ctx, HandlerResult, Res, RouteGroup};
use crate::routes::oura::{find, REGISTRY};
use crate::services::sync::sync_range;
use chrono::{DateTime, Duration};

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

fn sync(cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async move {
        let days = days(cx)?;
        let collections = match cx.req.query_param("collections").filter(|v| !v.is_empty()) {
            None => REGISTRY.to_vec(),
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
        let start = today - Duration::days(days - 1);
        let report = sync_range(cx.platform(), cx.config(), &collections, start, today).await;
        let status = if report.failed().is_empty() { 200 } else { 207 };
        Ok(Res::json(status, &report))
    })
}
