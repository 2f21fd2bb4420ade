//! Bearer auth (spec §3.3) and the per-caller rate-limit tiers (§3.2).
//!
//! Public routes pass, with the caller's role resolved if a valid token was
//! sent (`/health` shows more to a known caller). Every other route, and every
//! unknown path: a missing or wrong token charges the unauthenticated tier
//! (429 when over it, else 401); a valid one charges the authenticated tier
//! (429), then the route's role is enforced (403), then the route's own
//! after-auth limit is charged (`/backfill`).

use super::auth_log::record_auth_attempt;
use super::bearer_role::resolve_role;
use super::rate_limit::{charge, route_key};
use crate::router::{ApiError, HandlerResult, LimitPhase, Role, Tier};
use crate::services::tokens::token_key;
use crate::state::{Ctx, Next};

const UNAUTH_LIMITED: &str = "Rate limit exceeded. Please wait before retrying.";
const AUTH_LIMITED: &str = "Rate limit exceeded. Maximum 3000 requests per minute.";

pub async fn bearer_auth(cx: &mut Ctx, next: Next<'_>) -> HandlerResult {
    let header = cx.req.header("authorization");
    let role = resolve_role(header, cx.config());
    cx.vars.role = role;
    if cx.route.role == Role::Public {
        return Ok(next.run(cx).await);
    }
    let Some(role) = role else {
        let key = format!("unauth:{}", cx.req.client_ip());
        if let Err(limited) = charge(cx, Tier::Unauth, &key, UNAUTH_LIMITED).await {
            record_auth_attempt(cx, false, "Rate limit exceeded (unauthenticated)");
            return Err(limited);
        }
        record_auth_attempt(cx, false, "Invalid or missing token");
        return Err(ApiError::unauthorized());
    };
    record_auth_attempt(cx, true, "");
    let key = format!("auth:{}:{}", cx.req.client_ip(), token_key(header));
    charge(cx, Tier::Auth, &key, AUTH_LIMITED).await?;
    if role < cx.route.role {
        return Err(ApiError::forbidden("Forbidden: admin token required"));
    }
    if let Some(limit) = cx.route.limit.filter(|l| l.phase == LimitPhase::AfterAuth) {
        let key = route_key(limit.key_prefix, cx);
        charge(cx, limit.tier, &key, limit.message).await?;
    }
    Ok(next.run(cx).await)
}
