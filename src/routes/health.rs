//! `/health`: public liveness, 1 request per minute per IP (spec §4.1).
//! A valid token adds the pipeline's state; the admin token adds the request
//! as the worker saw it, with credentials and Access headers redacted.

use crate::router::{HandlerResult, LimitPhase, Res, Role, Tier};
use crate::services::pipeline::Pipeline;
use crate::services::time::iso_timestamp;
use crate::state::{Ctx, RouteGroup};
use serde_json::json;

pub fn routes() -> RouteGroup {
    RouteGroup::new("")
        .any("/health", "health", health)
        .public()
        .limit(
            Tier::Strict,
            "health",
            LimitPhase::BeforeAuth,
            "Rate limit exceeded. Max 1 request per 60 seconds.",
        )
}

/// Headers never echoed back, even to the admin.
const REDACTED: &[&str] = &[
    "authorization",
    "cookie",
    "cf-access-client-id",
    "cf-access-client-secret",
    "cf-access-jwt-assertion",
];

async fn health(cx: &mut Ctx) -> HandlerResult {
    let now = cx.platform().clock.now_ms();
    let mut body = json!({
        "status": "ok",
        "timestamp": iso_timestamp(now),
        "version": cx.config().version,
    });
    if cx.vars.role.is_some() {
        let pipeline = Pipeline::read(cx.platform(), cx.config()).await;
        body["lastSync"] = pipeline.last_sync.clone();
        body["pipeline"] = pipeline.to_json();
    }
    if cx.vars.role == Some(Role::Admin) {
        let headers: serde_json::Map<String, serde_json::Value> = cx
            .req
            .headers
            .iter()
            .filter(|(k, _)| !REDACTED.contains(k))
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        body["usage"] = crate::routes::stats::usage_json(cx).await;
        body["request"] = json!({
            "headers": headers,
            "method": cx.req.method.as_str(),
            "url": format!("{}{}", cx.req.origin, cx.req.path),
        });
    }
    Ok(Res::json(200, &body))
}
