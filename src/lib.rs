//! oura-edge: keep your Oura Ring data in D1 and serve it to Grafana.
//!
//! Layers: entry (wasm32 only) → [`router`] → [`middleware`] → [`routes`] →
//! [`services`] → [`services::platform`].

// A panic kills the Worker isolate: request paths return errors instead.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod middleware;
pub mod router;
pub mod routes;
pub mod services;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod entry;

use state::App;

/// The application with the full middleware stack and every route module.
/// Fails (never panics) on conflicting routes or inconsistent policies.
pub fn build_app() -> Result<App, String> {
    routes::all()
        .into_iter()
        .fold(middleware::standard_stack(App::builder()), |app, group| {
            app.routes(group)
        })
        .build()
}
