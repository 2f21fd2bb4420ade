//! Handlers, middleware and `Next`, the onion's moving parts.
//!
//! Everything is single-threaded (Workers run one thread per isolate), so
//! futures are boxed without `Send`. `S` is the application's state: the
//! router carries it to handlers and never looks inside.

use super::context::Ctx;
use super::error::ApiError;
use super::http::Res;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;
pub type HandlerResult = Result<Res, ApiError>;

/// An endpoint. Implemented for every `async fn(&mut Ctx<S>) -> HandlerResult`
/// (and every `fn(&mut Ctx<S>) -> BoxFut<'_, HandlerResult>`).
pub trait Handler<S> {
    fn call<'a>(&'a self, cx: &'a mut Ctx<S>) -> BoxFut<'a, HandlerResult>;
}

/// `Fn(&'a mut Ctx<S>) -> impl Future + 'a` for one `'a`: naming the future's
/// type lets `Handler` be implemented for async fns, whose future borrows `cx`.
pub trait HandlerFn<'a, S: 'a>: Fn(&'a mut Ctx<S>) -> Self::Fut {
    type Fut: Future<Output = HandlerResult> + 'a;
}

impl<'a, S: 'a, F, Fut> HandlerFn<'a, S> for F
where
    F: Fn(&'a mut Ctx<S>) -> Fut,
    Fut: Future<Output = HandlerResult> + 'a,
{
    type Fut = Fut;
}

impl<S, F> Handler<S> for F
where
    F: for<'a> HandlerFn<'a, S>,
{
    fn call<'a>(&'a self, cx: &'a mut Ctx<S>) -> BoxFut<'a, HandlerResult> {
        Box::pin(self(cx))
    }
}

/// A layer of the onion. It may answer by itself or call `next.run(cx)`
/// and post-process what the inner layers answered. Implemented for every
/// `async fn(&mut Ctx<S>, Next<'_, S>) -> HandlerResult`; a layer with
/// settings implements it on its own type.
pub trait Middleware<S> {
    fn handle<'a>(&'a self, cx: &'a mut Ctx<S>, next: Next<'a, S>) -> BoxFut<'a, HandlerResult>;
}

/// The middleware counterpart of [`HandlerFn`].
pub trait MiddlewareFn<'a, S: 'a>: Fn(&'a mut Ctx<S>, Next<'a, S>) -> Self::Fut {
    type Fut: Future<Output = HandlerResult> + 'a;
}

impl<'a, S: 'a, F, Fut> MiddlewareFn<'a, S> for F
where
    F: Fn(&'a mut Ctx<S>, Next<'a, S>) -> Fut,
    Fut: Future<Output = HandlerResult> + 'a,
{
    type Fut = Fut;
}

impl<S, F> Middleware<S> for F
where
    F: for<'a> MiddlewareFn<'a, S>,
{
    fn handle<'a>(&'a self, cx: &'a mut Ctx<S>, next: Next<'a, S>) -> BoxFut<'a, HandlerResult> {
        Box::pin(self(cx, next))
    }
}

/// The rest of the chain. Not `Clone`/`Copy`, and `run` takes `self`, so the
/// rest of the chain can be run at most once: a second call does not compile.
///
/// ```compile_fail
/// use oura_edge::router::{Ctx, HandlerResult, Next};
/// async fn twice(cx: &mut Ctx<()>, next: Next<'_, ()>) -> HandlerResult {
///     let _ = next.run(cx).await;
///     Ok(next.run(cx).await) // error: use of moved value `next`
/// }
/// ```
pub struct Next<'a, S> {
    chain: &'a [Rc<dyn Middleware<S>>],
    endpoint: &'a dyn Handler<S>,
}

impl<'a, S> Next<'a, S> {
    pub fn new(chain: &'a [Rc<dyn Middleware<S>>], endpoint: &'a dyn Handler<S>) -> Next<'a, S> {
        Next { chain, endpoint }
    }

    /// Runs the next layer (or the endpoint). Any error from below becomes a
    /// response right here, so every outer layer decorates a real response.
    pub fn run<'c>(self, cx: &'c mut Ctx<S>) -> BoxFut<'c, Res>
    where
        'a: 'c,
    {
        Box::pin(async move {
            let result = match self.chain.split_first() {
                Some((head, rest)) => head.handle(cx, Next::new(rest, self.endpoint)).await,
                None => self.endpoint.call(cx).await,
            };
            result.unwrap_or_else(ApiError::into_res)
        })
    }
}
