//! CORS. An allowed `Origin` (exactly one of `ALLOWED_ORIGINS`) is reflected;
//! any other origin gets no allow-origin header at all (fix #5: the original
//! sent the first allowed origin, or the text `undefined`). Preflight
//! `OPTIONS` on any path answers 204 here, before body limit and auth:
//! browsers send preflights without credentials.

use crate::router::{HandlerResult, Method, Res};
use crate::state::{Ctx, Next};

const ALLOW_METHODS: &str = "GET,POST,OPTIONS";
const ALLOW_HEADERS: &str = "Authorization,Content-Type";

pub async fn cors(cx: &mut Ctx, next: Next<'_>) -> HandlerResult {
    let allowed_origin = cx
        .req
        .header("origin")
        .filter(|o| cx.config().allowed_origins.iter().any(|a| a == o))
        .map(str::to_string);
    let mut res = if cx.req.method == Method::Options {
        Res::empty(204)
    } else {
        next.run(cx).await
    };
    if let Some(origin) = allowed_origin {
        res.headers.set("access-control-allow-origin", origin);
    }
    res.headers
        .set("access-control-allow-methods", ALLOW_METHODS);
    res.headers
        .set("access-control-allow-headers", ALLOW_HEADERS);
    res.headers.set("vary", "Origin");
    Ok(res)
}
