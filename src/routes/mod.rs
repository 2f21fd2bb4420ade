//! Route modules, one per endpoint group. Adding a group is one file here
//! plus one line in `all`.

mod admin_config;
mod favicon;
mod health;
pub mod oura;

use crate::router::RouteGroup;

/// Every route group the worker serves.
pub fn all() -> Vec<RouteGroup> {
    vec![
        health::routes(),
        favicon::routes(),
        admin_config::routes(),
        oura::routes(),
    ]
}
