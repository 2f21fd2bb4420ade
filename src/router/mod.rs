//! The framework: a Hono-style middleware router on matchit.
//!
//! Match first, then run the onion: the router finds the endpoint and its
//! [`RouteMeta`]; every middleware can read the policy from `cx.route`.

mod app;
mod context;
mod error;
mod group;
mod handler;
mod http;
mod meta;
mod stream;

pub use app::{App, AppBuilder};
pub use context::{Ctx, Vars};
pub use error::ApiError;
pub use group::RouteGroup;
pub use handler::{BoxFut, Handler, HandlerFn, HandlerResult, Middleware, MiddlewareFn, Next};
pub use http::{decode_path_segment, percent_decode, Headers, Method, Req, Res};
pub use meta::{AccessPolicy, LimitPhase, Role, RouteLimit, RouteMeta, Tier};
pub use stream::{drain, BodyStream, ChunkSource, Held, HeldBody};
