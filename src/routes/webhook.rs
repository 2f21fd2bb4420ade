//! `/webhook/oura` (public, Access-exempt: Oura calls it): `GET` answers the
//! subscription challenge, `POST` takes signed deliveries (spec §12.2–12.3).

use crate::router::{ApiError, HandlerResult, Res};
use crate::services::tokens::digest;
use crate::services::webhooks::delivery::receive;
use crate::state::{Ctx, RouteGroup};
use subtle::ConstantTimeEq;

pub fn routes() -> RouteGroup {
    RouteGroup::new("/webhook")
        .get("/oura", "webhook_challenge", challenge)
        .public()
        .post("/oura", "webhook_delivery", delivery)
        .public()
}

async fn challenge(cx: &mut Ctx) -> HandlerResult {
    let challenge = cx
        .req
        .query_param("challenge")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("Missing challenge parameter"))?;
    let expected = cx
        .config()
        .webhooks
        .verification_token
        .as_deref()
        .ok_or_else(|| ApiError::new(500, "Missing OURA_WEBHOOK_VERIFICATION_TOKEN secret"))?;
    let given = cx.req.query_param("verification_token").unwrap_or_default();
    // Digests first, so the comparison time does not depend on lengths either.
    let ok: bool = digest(&given).ct_eq(&digest(expected)).into();
    if !ok {
        return Err(ApiError::new(401, "Invalid verification token"));
    }
    Ok(Res::json(
        200,
        &serde_json::json!({ "challenge": challenge }),
    ))
}

async fn delivery(cx: &mut Ctx) -> HandlerResult {
    let outcome = receive(
        cx.platform(),
        cx.config(),
        cx.req.header("x-oura-timestamp"),
        cx.req.header("x-oura-signature"),
        &cx.req.body,
    )
    .await
    .map_err(|r| ApiError::new(r.status, r.message))?;
    Ok(Res::json(202, &outcome))
}
