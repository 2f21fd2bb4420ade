//! `/favicon.ico` and `/favicon.svg`: a small ring, cached for a year.

use crate::router::{HandlerResult, Method, Res};
use crate::state::{Ctx, RouteGroup};

const ICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="22" fill="none" stroke="#6b7cff" stroke-width="10"/><circle cx="32" cy="10" r="5" fill="#c9d1ff"/></svg>"##;

pub fn routes() -> RouteGroup {
    RouteGroup::new("")
        .route(&[Method::Get], "/favicon.ico", "favicon", favicon)
        .public()
        .route(&[Method::Get], "/favicon.svg", "favicon", favicon)
        .public()
}

async fn favicon(_cx: &mut Ctx) -> HandlerResult {
    Ok(Res::text(200, "image/svg+xml", ICON)
        .with_header("cache-control", "public, max-age=31536000, immutable"))
}
