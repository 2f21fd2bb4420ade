//! Refuses request bodies over 1 MiB with 413 (spec §3 step 2): by the
//! declared `Content-Length` and by the bytes actually received.

use crate::router::{ApiError, BoxFut, HandlerResult, Method, Middleware};
use crate::state::{AppState, Ctx, Next};

pub struct BodyLimit {
    pub max_bytes: usize,
}

impl Default for BodyLimit {
    fn default() -> Self {
        BodyLimit {
            max_bytes: 1024 * 1024,
        }
    }
}

impl Middleware<AppState> for BodyLimit {
    fn handle<'a>(&'a self, cx: &'a mut Ctx, next: Next<'a>) -> BoxFut<'a, HandlerResult> {
        Box::pin(async move {
            let declared = cx
                .req
                .header("content-length")
                .and_then(|v| v.trim().parse::<u64>().ok());
            let too_large = declared.is_some_and(|n| n > self.max_bytes as u64)
                || cx.req.body.len() > self.max_bytes;
            let checks_body = matches!(cx.req.method, Method::Post | Method::Put | Method::Patch);
            if checks_body && too_large {
                return Err(ApiError::payload_too_large(
                    "Request body too large (max 1MB)",
                ));
            }
            Ok(next.run(cx).await)
        })
    }
}
