//! Route modules, one per endpoint group. Adding a group is one file here
//! plus one line in `all`.

mod admin_config;
mod admin_sync;
mod admin_webhooks;
mod backfill;
mod export;
mod favicon;
mod health;
mod html;
mod oauth;
mod oura;
mod params;
mod sql;
mod stats;
mod status;
mod summaries;
mod webhook;

use crate::state::RouteGroup;

/// Every route group the worker serves.
pub fn all() -> Vec<RouteGroup> {
    vec![
        health::routes(),
        favicon::routes(),
        export::routes(),
        admin_config::routes(),
        admin_sync::routes(),
        backfill::routes(),
        oura::routes(),
        oauth::routes(),
        webhook::routes(),
        admin_webhooks::routes(),
        sql::routes(),
        stats::routes(),
        status::routes(),
        summaries::routes(),
    ]
}
