//! The per-request context handed down the middleware chain: the request,
//! the matched route's params and policy, typed per-request vars and the
//! application's state `S`, which the router only carries.

use super::http::Req;
use super::meta::{Role, RouteMeta};
use std::rc::Rc;

/// Typed per-request values set by middleware (one place to look, checked by the compiler).
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub request_id: String,
    pub started_ms: f64,
    /// Role proven by a bearer token, if any.
    pub role: Option<Role>,
    /// Email from a verified Cloudflare Access JWT.
    pub access_email: Option<String>,
}

pub struct Ctx<S> {
    pub req: Req,
    /// Path parameters, in the order the route pattern names them.
    pub params: Vec<(String, String)>,
    pub route: RouteMeta,
    pub vars: Vars,
    pub state: Rc<S>,
}

impl<S> Ctx<S> {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
