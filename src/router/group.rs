//! `RouteGroup`: what a route module hands the app. Policy is declared
//! fluently next to each route: `.get("/health", health).public().limit(…)`.

use super::handler::Handler;
use super::http::Method;
use super::meta::{AccessPolicy, LimitPhase, Role, RouteLimit, RouteMeta, Tier};
use std::rc::Rc;

pub struct RouteDef {
    pub path: String,
    pub methods: Vec<Method>,
    pub handler: Rc<dyn Handler>,
    pub meta: RouteMeta,
}

#[derive(Default)]
pub struct RouteGroup {
    prefix: String,
    pub(crate) routes: Vec<RouteDef>,
}

impl RouteGroup {
    /// A group whose paths start with `prefix` (use `""` for none).
    pub fn new(prefix: &str) -> RouteGroup {
        RouteGroup {
            prefix: prefix.trim_end_matches('/').to_string(),
            routes: Vec::new(),
        }
    }

    /// Adds a route for the given methods. The route starts as a Grafana-or-admin
    /// route behind Access; chain `.public()`, `.admin()`, `.limit(…)` to change it.
    pub fn route(
        mut self,
        methods: &[Method],
        path: &str,
        name: &'static str,
        handler: impl Handler + 'static,
    ) -> RouteGroup {
        self.routes.push(RouteDef {
            path: format!("{}{}", self.prefix, path),
            methods: methods.to_vec(),
            handler: Rc::new(handler),
            meta: RouteMeta::new(name),
        });
        self
    }

    pub fn get(self, path: &str, name: &'static str, h: impl Handler + 'static) -> RouteGroup {
        self.route(&[Method::Get], path, name, h)
    }

    pub fn post(self, path: &str, name: &'static str, h: impl Handler + 'static) -> RouteGroup {
        self.route(&[Method::Post], path, name, h)
    }

    /// Every method (the original's routes mostly ignore the method).
    pub fn any(self, path: &str, name: &'static str, h: impl Handler + 'static) -> RouteGroup {
        self.route(&Method::ALL, path, name, h)
    }

    fn last(&mut self) -> Option<&mut RouteMeta> {
        self.routes.last_mut().map(|r| &mut r.meta)
    }

    /// No token needed, and Access cannot front it (machines call it).
    pub fn public(mut self) -> RouteGroup {
        if let Some(m) = self.last() {
            m.role = Role::Public;
            m.access = AccessPolicy::Exempt;
        }
        self
    }

    pub fn admin(mut self) -> RouteGroup {
        if let Some(m) = self.last() {
            m.role = Role::Admin;
        }
        self
    }

    pub fn access(mut self, policy: AccessPolicy) -> RouteGroup {
        if let Some(m) = self.last() {
            m.access = policy;
        }
        self
    }

    pub fn limit(
        mut self,
        tier: Tier,
        key_prefix: &'static str,
        phase: LimitPhase,
        message: &'static str,
    ) -> RouteGroup {
        if let Some(m) = self.last() {
            m.limit = Some(RouteLimit {
                tier,
                key_prefix,
                phase,
                message,
            });
        }
        self
    }

    /// Appends another group's routes (used by `routes::all`).
    pub fn merge(mut self, other: RouteGroup) -> RouteGroup {
        self.routes.extend(other.routes);
        self
    }
}
