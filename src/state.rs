//! What every handler and middleware sees: the router's context over this
//! application's state (platform bindings and configuration). The router is
//! generic over the state, so it knows no service type; this is the one
//! place the two meet.

use crate::router::{ApiError, HeldBody};
use crate::services::config::Config;
use crate::services::platform::{Platform, PlatformError, Text};
use std::any::Any;

/// What bindings and configuration a request sees. Built per request from the
/// Worker `Env` at the edge, or from native implementations in tests.
pub struct AppState {
    pub platform: Platform,
    pub config: Config,
}

pub type Ctx = crate::router::Ctx<AppState>;
pub type Next<'a> = crate::router::Next<'a, AppState>;
pub type RouteGroup = crate::router::RouteGroup<AppState>;
pub type App = crate::router::App<AppState>;
pub type AppBuilder = crate::router::AppBuilder<AppState>;

impl Ctx {
    pub fn platform(&self) -> &Platform {
        &self.state.platform
    }

    pub fn config(&self) -> &Config {
        &self.state.config
    }
}

/// A binding failure is ours, never the caller's: 500 without details.
impl From<PlatformError> for ApiError {
    fn from(e: PlatformError) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

/// Platform text as a response body: the Worker's entry sends a JS string
/// as it is.
impl HeldBody for Text {
    fn bytes(&self) -> Vec<u8> {
        self.to_rust().into_bytes()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
