//! CORS. An allowed `Origin` (exactly one of `ALLOWED_ORIGINS`) is reflected;
//! any other origin gets no allow-origin header at all (fix #5: the original
//! sent the first allowed origin, or the text `undefined`). Preflight
//! `OPTIONS` on any path answers 204 here, before body limit and auth:
//! browsers send preflights without credentials.

use crate::router::{BoxFut, HandlerResult, Method, Middleware, Res};
use crate::state::{AppState, Ctx, Next};

pub struct Cors;

const ALLOW_METHODS: &str = "GET,POST,OPTIONS";
const ALLOW_HEADERS: &str = "Authorization,Content-Type";

impl Middleware<AppState> for Cors {
    fn handle<'a>(&'a self, cx: &'a mut Ctx, next: Next<'a>) -> BoxFut<'a, HandlerResult> {
        Box::pin(async move {
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
        })
    }
}
