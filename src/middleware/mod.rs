//! The middleware stack, one file each. `standard_stack` lists them
//! outermost first; the order is part of the contract (README, "Architecture").

mod access;
mod auth;
mod auth_log;
mod bearer_role;
mod body_limit;
mod cors;
mod rate_limit;
mod request_id;
mod security_headers;

pub use access::CfAccess;
pub use auth::BearerAuth;
pub use body_limit::BodyLimit;
pub use cors::Cors;
pub use rate_limit::{charge, RouteRateLimit};
pub use request_id::RequestId;
pub use security_headers::SecurityHeaders;

use crate::state::AppBuilder;

/// Adds the full stack to an app, outermost first:
/// request id → security headers → CORS → body limit → rate limit → auth → Access.
pub fn standard_stack(app: AppBuilder) -> AppBuilder {
    app.middleware(RequestId)
        .middleware(SecurityHeaders::default())
        .middleware(Cors)
        .middleware(BodyLimit::default())
        .middleware(RouteRateLimit)
        .middleware(BearerAuth)
        .middleware(CfAccess)
}
