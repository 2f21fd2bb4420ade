//! `RouteGroup`: what a route module hands the app. Policy is declared
//! fluently next to each route: `.get("/health", "health", health).public()`,
//! or once for the whole group: `RouteGroup::new("/api/admin").admin_only()`.

use super::handler::Handler;
use super::http::Method;
use super::meta::{AccessPolicy, LimitPhase, Role, RouteLimit, RouteMeta, Tier};
use std::rc::Rc;

pub struct RouteDef<S> {
    pub path: String,
    pub methods: Vec<Method>,
    pub handler: Rc<dyn Handler<S>>,
    pub meta: RouteMeta,
}

pub struct RouteGroup<S> {
    prefix: String,
    pub(crate) routes: Vec<RouteDef<S>>,
    /// What every route added from now on starts as.
    defaults: RouteMeta,
    /// A declaration that cannot mean anything; `AppBuilder::build` refuses it.
    pub(crate) error: Option<String>,
}

impl<S> RouteGroup<S> {
    /// A group whose paths start with `prefix` (use `""` for none). Its routes
    /// start as Grafana-or-admin routes behind Access.
    pub fn new(prefix: &str) -> RouteGroup<S> {
        RouteGroup {
            prefix: prefix.trim_end_matches('/').to_string(),
            routes: Vec::new(),
            defaults: RouteMeta::new(""),
            error: None,
        }
    }

    /// Every route added after this needs the admin token.
    pub fn admin_only(mut self) -> RouteGroup<S> {
        self.defaults.role = Role::Admin;
        self
    }

    /// Adds a route for the given methods, starting from the group's
    /// defaults; chain `.public()`, `.admin()`, `.limit(…)` to change it.
    pub fn route(
        mut self,
        methods: &[Method],
        path: &str,
        name: &'static str,
        handler: impl Handler<S> + 'static,
    ) -> RouteGroup<S> {
        self.routes.push(RouteDef {
            path: format!("{}{}", self.prefix, path),
            methods: methods.to_vec(),
            handler: Rc::new(handler),
            meta: RouteMeta {
                name,
                ..self.defaults
            },
        });
        self
    }

    pub fn get(
        self,
        path: &str,
        name: &'static str,
        h: impl Handler<S> + 'static,
    ) -> RouteGroup<S> {
        self.route(&[Method::Get], path, name, h)
    }

    pub fn post(
        self,
        path: &str,
        name: &'static str,
        h: impl Handler<S> + 'static,
    ) -> RouteGroup<S> {
        self.route(&[Method::Post], path, name, h)
    }

    /// Every method (the original's routes mostly ignore the method).
    pub fn any(
        self,
        path: &str,
        name: &'static str,
        h: impl Handler<S> + 'static,
    ) -> RouteGroup<S> {
        self.route(&Method::ALL, path, name, h)
    }

    /// Applies `change` to the route added last; with no route yet, records
    /// an error instead of silently doing nothing.
    fn modify_last(mut self, modifier: &str, change: impl FnOnce(&mut RouteMeta)) -> RouteGroup<S> {
        match self.routes.last_mut() {
            Some(route) => change(&mut route.meta),
            None => {
                let group = if self.prefix.is_empty() {
                    "/"
                } else {
                    &self.prefix
                };
                self.error.get_or_insert(format!(
                    "route group '{group}': .{modifier}() comes before any route it could apply to"
                ));
            }
        }
        self
    }

    /// No token needed, and Access cannot front it (machines call it).
    pub fn public(self) -> RouteGroup<S> {
        self.modify_last("public", |m| {
            m.role = Role::Public;
            m.access = AccessPolicy::Exempt;
        })
    }

    pub fn admin(self) -> RouteGroup<S> {
        self.modify_last("admin", |m| m.role = Role::Admin)
    }

    pub fn access(self, policy: AccessPolicy) -> RouteGroup<S> {
        self.modify_last("access", |m| m.access = policy)
    }

    pub fn limit(
        self,
        tier: Tier,
        key_prefix: &'static str,
        phase: LimitPhase,
        message: &'static str,
    ) -> RouteGroup<S> {
        self.modify_last("limit", |m| {
            m.limit = Some(RouteLimit {
                tier,
                key_prefix,
                phase,
                message,
            })
        })
    }
}
