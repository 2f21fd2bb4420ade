//! Work done once at isolate startup so that no invocation pays for it.
//!
//! The global scope has its own limit (1 s on every plan), apart from an
//! invocation's CPU (10 ms on the Free plan). A first call is the dearest:
//! the first console line sets up the runtime's formatter (4-6 ms under
//! `wrangler dev`), and code run for the first time costs several times
//! its later runs (docs/decisions.md, #16's fifth session). The Worker's
//! start event calls this, so those costs land in startup instead of on
//! whichever request comes first.

use crate::services::sql_guard::{guard, GuardConfig};

/// The Resting HR panel's query: it runs the guard's lexer, parser, walk
/// and row cap once.
const PANEL_QUERY: &str = "SELECT heart_rate_lowest AS value FROM sleep_episodes \
    WHERE heart_rate_lowest IS NOT NULL ORDER BY day DESC LIMIT 1";

/// Runs the code every request or `/api/sql` call starts with; `true` when
/// the panel query was accepted (it always is: a test holds it to that).
pub fn at_startup() -> bool {
    // One line per isolate: it also shows in the logs when an isolate started.
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "isolate started");
    guard(PANEL_QUERY, &[], &GuardConfig::for_schema(100)).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_warm_up_query_goes_all_the_way_through_the_guard() {
        assert!(super::at_startup());
    }
}
