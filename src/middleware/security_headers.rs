//! Security headers on every response (spec §3.1), errors included. A header
//! a handler set itself wins, so a page such as `/status` can carry its own
//! Content-Security-Policy (fix #6) instead of being styled out by this one.

use crate::router::{BoxFut, HandlerResult, Middleware};
use crate::state::{AppState, Ctx, Next};

pub struct SecurityHeaders {
    headers: Vec<(&'static str, &'static str)>,
}

impl Default for SecurityHeaders {
    fn default() -> Self {
        SecurityHeaders {
            headers: vec![
                ("x-content-type-options", "nosniff"),
                ("x-frame-options", "DENY"),
                ("x-xss-protection", "1; mode=block"),
                ("referrer-policy", "strict-origin-when-cross-origin"),
                (
                    "content-security-policy",
                    "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none';",
                ),
            ],
        }
    }
}

impl Middleware<AppState> for SecurityHeaders {
    fn handle<'a>(&'a self, cx: &'a mut Ctx, next: Next<'a>) -> BoxFut<'a, HandlerResult> {
        Box::pin(async move {
            let mut res = next.run(cx).await;
            for (name, value) in &self.headers {
                res.headers.set_if_absent(name, *value);
            }
            Ok(res)
        })
    }
}
