//! The application: a matchit router whose values carry per-method handlers
//! and policy, plus the global middleware chain. Built once per isolate;
//! `handle` is what the fetch entry and the tests call.

use super::context::{Ctx, Vars};
use super::error::ApiError;
use super::group::RouteGroup;
use super::handler::{Handler, HandlerResult, Middleware, Next};
use super::http::{Method, Req, Res};
use super::meta::{AccessPolicy, RouteMeta};
use std::collections::HashMap;
use std::rc::Rc;

struct Endpoint<S> {
    handler: Rc<dyn Handler<S>>,
    meta: RouteMeta,
}

/// Everything registered under one path pattern.
struct PathEntry<S> {
    methods: Vec<(Method, Endpoint<S>)>,
    /// Policy for a wrong method: the most permissive of the path's routes,
    /// so a public path answers 405 to anyone and a gated one only after auth.
    method_fallback: RouteMeta,
    allow: String,
}

impl<S> PathEntry<S> {
    fn find(&self, method: Method) -> Option<&Endpoint<S>> {
        self.methods
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(_, e)| e)
    }
}

/// The application over state `S` (what handlers get in `cx.state`).
pub struct App<S> {
    router: matchit::Router<usize>,
    entries: Vec<PathEntry<S>>,
    middleware: Vec<Rc<dyn Middleware<S>>>,
}

pub struct AppBuilder<S> {
    middleware: Vec<Rc<dyn Middleware<S>>>,
    groups: Vec<RouteGroup<S>>,
}

impl<S: 'static> AppBuilder<S> {
    /// Adds a middleware; the first added is the outermost.
    pub fn middleware(mut self, mw: impl Middleware<S> + 'static) -> AppBuilder<S> {
        self.middleware.push(Rc::new(mw));
        self
    }

    pub fn routes(mut self, group: RouteGroup<S>) -> AppBuilder<S> {
        self.groups.push(group);
        self
    }

    /// Refuses conflicting routes and inconsistent policies with an error.
    pub fn build(self) -> Result<App<S>, String> {
        let mut router = matchit::Router::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut entries: Vec<PathEntry<S>> = Vec::new();
        if let Some(error) = self.groups.iter().find_map(|g| g.error.clone()) {
            return Err(error);
        }
        for def in self.groups.into_iter().flat_map(|g| g.routes) {
            def.meta.check()?;
            if def.methods.is_empty() {
                return Err(format!(
                    "route '{}' ({}) has no methods",
                    def.meta.name, def.path
                ));
            }
            let slot = match index.get(&def.path) {
                Some(&i) => i,
                None => {
                    router
                        .insert(def.path.clone(), entries.len())
                        .map_err(|e| format!("route '{}' ({}): {e}", def.meta.name, def.path))?;
                    index.insert(def.path.clone(), entries.len());
                    entries.push(PathEntry {
                        methods: Vec::new(),
                        method_fallback: def.meta,
                        allow: String::new(),
                    });
                    entries.len() - 1
                }
            };
            let entry = entries
                .get_mut(slot)
                .ok_or_else(|| format!("route index {slot} out of range"))?;
            for method in def.methods {
                if entry.find(method).is_some() {
                    return Err(format!(
                        "route '{}': {} {} is registered twice",
                        def.meta.name,
                        method.as_str(),
                        def.path
                    ));
                }
                entry.methods.push((
                    method,
                    Endpoint {
                        handler: def.handler.clone(),
                        meta: def.meta,
                    },
                ));
            }
        }
        for entry in &mut entries {
            finish_entry(entry);
        }
        Ok(App {
            router,
            entries,
            middleware: self.middleware,
        })
    }
}

fn finish_entry<S>(entry: &mut PathEntry<S>) {
    let mut fallback = RouteMeta {
        name: "method_not_allowed",
        limit: None,
        ..entry.method_fallback
    };
    for (_, ep) in &entry.methods {
        fallback.role = fallback.role.min(ep.meta.role);
        if ep.meta.access == AccessPolicy::Exempt {
            fallback.access = AccessPolicy::Exempt;
        }
    }
    entry.method_fallback = fallback;
    let mut allowed: Vec<Method> = entry.methods.iter().map(|(m, _)| *m).collect();
    if allowed.contains(&Method::Get) && !allowed.contains(&Method::Head) {
        allowed.push(Method::Head);
    }
    allowed.sort();
    entry.allow = allowed
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ");
}

async fn not_found<S>(_cx: &mut Ctx<S>) -> HandlerResult {
    Err(ApiError::not_found())
}

impl<S: 'static> App<S> {
    pub fn builder() -> AppBuilder<S> {
        AppBuilder {
            middleware: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Serves one request: match, then run the middleware onion around the endpoint.
    pub async fn handle(&self, req: Req, state: Rc<S>) -> Res {
        let is_head = req.method == Method::Head;
        let matched = self.router.at(&req.path).ok();
        let params: Vec<(String, String)> = matched
            .as_ref()
            .map(|m| {
                m.params
                    .iter()
                    .map(|(k, v)| (k.to_string(), super::http::decode_path_segment(v)))
                    .collect()
            })
            .unwrap_or_default();
        let entry = matched.and_then(|m| self.entries.get(*m.value));
        let not_found = not_found::<S>;
        let method_not_allowed;
        let (handler, meta): (&dyn Handler<S>, RouteMeta) = match entry {
            None => (&not_found as &dyn Handler<S>, RouteMeta::FALLBACK),
            Some(entry) => {
                let found = entry.find(req.method).or_else(|| {
                    // HEAD is GET without a body.
                    is_head.then(|| entry.find(Method::Get)).flatten()
                });
                match found {
                    Some(ep) => (ep.handler.as_ref(), ep.meta),
                    None => {
                        let allow = entry.allow.clone();
                        method_not_allowed = move |_cx: &mut Ctx<S>| {
                            let allow = allow.clone();
                            async move { Err(ApiError::method_not_allowed(&allow)) }
                        };
                        (
                            &method_not_allowed as &dyn Handler<S>,
                            entry.method_fallback,
                        )
                    }
                }
            }
        };
        let mut cx = Ctx {
            req,
            params,
            route: meta,
            vars: Vars::default(),
            state,
        };
        let mut res = Next::new(&self.middleware, handler).run(&mut cx).await;
        if is_head {
            res.headers
                .set_if_absent("content-length", res.body_bytes().len().to_string());
            res.body.clear();
            res.stream = None;
            res.held = None;
        }
        res
    }
}
