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

pub use access::cf_access;
pub use auth::bearer_auth;
pub use bearer_role::resolve_role;
pub use body_limit::BodyLimit;
pub use cors::cors;
pub use rate_limit::{charge, route_rate_limit};
pub use request_id::request_id;
pub use security_headers::SecurityHeaders;

use crate::state::AppBuilder;

/// Adds the full stack to an app, outermost first:
/// request id → security headers → CORS → body limit → rate limit → auth → Access.
pub fn standard_stack(app: AppBuilder) -> AppBuilder {
    app.middleware(request_id)
        .middleware(SecurityHeaders::default())
        .middleware(cors)
        .middleware(BodyLimit::default())
        .middleware(route_rate_limit)
        .middleware(bearer_auth)
        .middleware(cf_access)
}
