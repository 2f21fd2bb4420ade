//! Outermost layer: gives every request an id (Cloudflare's `cf-ray` when
//! present), runs the rest inside a tracing span, logs one line per request
//! and returns the id as `X-Request-Id`.

use crate::router::HandlerResult;
use crate::state::{Ctx, Next};
use tracing::Instrument;

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    // A failed random read still yields a usable (if constant) id.
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}

pub async fn request_id(cx: &mut Ctx, next: Next<'_>) -> HandlerResult {
    let id = cx
        .req
        .header("cf-ray")
        .filter(|v| v.len() <= 64)
        .map(str::to_string)
        .unwrap_or_else(new_id);
    cx.vars.request_id = id.clone();
    cx.vars.started_ms = cx.platform().clock.now_ms();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = cx.req.method.as_str(),
        path = %cx.req.path,
        route = cx.route.name
    );
    let mut res = next.run(cx).instrument(span).await;
    let elapsed = cx.platform().clock.now_ms() - cx.vars.started_ms;
    tracing::debug!(request_id = %id, route = cx.route.name, status = res.status, ms = elapsed, "request");
    res.headers.set("x-request-id", id);
    Ok(res)
}
