//! Handlers, middleware and `Next`, the onion's moving parts.
//!
//! Everything is single-threaded (Workers run one thread per isolate), so
//! futures are boxed without `Send`.

use super::context::Ctx;
use super::error::ApiError;
use super::http::Res;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;
pub type HandlerResult = Result<Res, ApiError>;

/// An endpoint. Implemented for every `fn(&mut Ctx) -> BoxFut<HandlerResult>`,
/// which is what `handler!`-free route code writes as
/// `fn health(cx: &mut Ctx) -> BoxFut<'_, HandlerResult> { Box::pin(async move { … }) }`.
pub trait Handler {
    fn call<'a>(&'a self, cx: &'a mut Ctx) -> BoxFut<'a, HandlerResult>;
}

impl<F> Handler for F
where
    F: for<'a> Fn(&'a mut Ctx) -> BoxFut<'a, HandlerResult>,
{
    fn call<'a>(&'a self, cx: &'a mut Ctx) -> BoxFut<'a, HandlerResult> {
        self(cx)
    }
}

/// A layer of the onion. It may answer by itself or call `next.run(cx)`
/// and post-process what the inner layers answered.
pub trait Middleware {
    fn handle<'a>(&'a self, cx: &'a mut Ctx, next: Next<'a>) -> BoxFut<'a, HandlerResult>;
}

/// The rest of the chain. Not `Clone`/`Copy`, and `run` takes `self`, so the
/// rest of the chain can be run at most once: a second call does not compile.
///
/// ```compile_fail
/// use oura_edge::router::{BoxFut, Ctx, HandlerResult, Middleware, Next};
/// struct Twice;
/// impl Middleware for Twice {
///     fn handle<'a>(&'a self, cx: &'a mut Ctx, next: Next<'a>) -> BoxFut<'a, HandlerResult> {
///         Box::pin(async move {
///             let _ = next.run(cx).await;
///             Ok(next.run(cx).await) // error: use of moved value `next`
///         })
///     }
/// }
/// ```
pub struct Next<'a> {
    chain: &'a [Rc<dyn Middleware>],
    endpoint: &'a dyn Handler,
}

impl<'a> Next<'a> {
    pub fn new(chain: &'a [Rc<dyn Middleware>], endpoint: &'a dyn Handler) -> Next<'a> {
        Next { chain, endpoint }
    }

    /// Runs the next layer (or the endpoint). Any error from below becomes a
    /// response right here, so every outer layer decorates a real response.
    pub fn run<'c>(self, cx: &'c mut Ctx) -> BoxFut<'c, Res>
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
