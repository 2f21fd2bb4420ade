//! Rate limits that a route declares for before auth (`/health`: 1 per
//! minute per IP; `/oauth/callback`: the unauthenticated tier), and
//! `charge`, which the auth layer uses for the per-caller tiers.
//! A limiter error fails open: it is logged and the request goes on.

use crate::router::{ApiError, HandlerResult, LimitPhase, Tier};
use crate::state::{Ctx, Next};

/// Charges one unit of `tier` under `key`; `Err(429)` when over the limit.
pub async fn charge(cx: &Ctx, tier: Tier, key: &str, message: &str) -> Result<(), ApiError> {
    match cx.platform().limiter.limit(tier.binding(), key).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::too_many_requests(message, Tier::PERIOD_SECONDS)),
        Err(e) => {
            tracing::warn!(tier = tier.binding(), error = %e, "rate limiter failed; allowing request");
            Ok(())
        }
    }
}

/// `<prefix>:<client ip>`
pub fn route_key(prefix: &str, cx: &Ctx) -> String {
    format!("{prefix}:{}", cx.req.client_ip())
}

pub async fn route_rate_limit(cx: &mut Ctx, next: Next<'_>) -> HandlerResult {
    if let Some(limit) = cx.route.limit.filter(|l| l.phase == LimitPhase::BeforeAuth) {
        let key = route_key(limit.key_prefix, cx);
        charge(cx, limit.tier, &key, limit.message).await?;
    }
    Ok(next.run(cx).await)
}
