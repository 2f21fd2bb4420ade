//! `/health`: public liveness, 1 request per minute per IP (spec §4.1).

use crate::router::{BoxFut, Ctx, HandlerResult, LimitPhase, Res, RouteGroup, Tier};
use crate::services::time::iso_timestamp;
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

fn health(cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async move {
        let now = cx.platform().clock.now_ms();
        Ok(Res::json(
            200,
            &json!({
                "status": "ok",
                "timestamp": iso_timestamp(now),
                "version": cx.config().version,
            }),
        ))
    })
}
