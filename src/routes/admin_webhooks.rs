//! Oura webhook subscriptions (admin, spec §12.5): list, sync (create what is
//! missing) and renew (those expiring within `days`, default 7).

use crate::router::{ApiError, HandlerResult, Res};
use crate::services::webhooks::subscriptions::{
    renew_within, sync as sync_subscriptions, SubscriptionClient, SubscriptionError,
    RENEW_WITHIN_DAYS,
};
use crate::state::{Ctx, RouteGroup};
use serde_json::json;

pub fn routes() -> RouteGroup {
    RouteGroup::new("/api/admin/oura/webhooks")
        .admin_only()
        .get("", "admin_webhooks_list", list)
        .post("/sync", "admin_webhooks_sync", sync)
        .post("/renew", "admin_webhooks_renew", renew)
}

/// Missing settings are ours to fix (500); Oura's failures are a bad gateway.
fn failed(what: &str, e: SubscriptionError) -> HandlerResult {
    match e {
        SubscriptionError::Config(m) => Err(ApiError::new(500, m)),
        SubscriptionError::Upstream(m) => {
            tracing::warn!(error = %m, "{what}");
            Ok(Res::json(502, &json!({ "error": what, "details": m })))
        }
    }
}

async fn list(cx: &mut Ctx) -> HandlerResult {
    let client = match SubscriptionClient::new(cx.platform(), cx.config()) {
        Ok(c) => c,
        Err(e) => return failed("Failed to list Oura webhook subscriptions", e),
    };
    match client.list().await {
        Ok(subs) => Ok(Res::json(
            200,
            &json!({ "count": subs.len(), "subscriptions": subs }),
        )),
        Err(e) => failed("Failed to list Oura webhook subscriptions", e),
    }
}

async fn sync(cx: &mut Ctx) -> HandlerResult {
    match sync_subscriptions(cx.platform(), cx.config()).await {
        Ok(report) => Ok(Res::json(200, &report)),
        Err(e) => failed("Failed to sync Oura webhook subscriptions", e),
    }
}

/// `days`: a number, rounded and clamped to 1–365; absent or not a number → 7.
fn days(cx: &Ctx) -> i64 {
    match cx.req.query_param("days") {
        None => RENEW_WITHIN_DAYS,
        Some(v) => match v.trim().parse::<f64>() {
            Ok(d) if d.is_finite() => (d.round() as i64).clamp(1, 365),
            _ if v.trim().is_empty() => 1,
            _ => RENEW_WITHIN_DAYS,
        },
    }
}

async fn renew(cx: &mut Ctx) -> HandlerResult {
    let days = days(cx);
    match renew_within(cx.platform(), cx.config(), days).await {
        Ok(report) => Ok(Res::json(200, &report)),
        Err(e) => failed("Failed to renew Oura webhook subscriptions", e),
    }
}
