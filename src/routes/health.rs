//! `/health`: public liveness, 1 request per minute per IP (spec §4.1).

use crate::router::{BoxFut, Ctx, HandlerResult, LimitPhase, Res, RouteGroup, Tier};
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

/// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso_timestamp(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_iso_utc_with_millis() {
        assert_eq!(
            super::iso_timestamp(1_700_000_000_123.0),
            "2023-11-14T22:13:20.123Z"
        );
    }
}
