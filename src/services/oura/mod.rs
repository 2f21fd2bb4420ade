//! The Oura API v2 client: OAuth tokens in D1 with single-flight refresh,
//! retries for transient failures, a KV-persisted circuit breaker, paging,
//! query windows, and collection discovery from Oura's OpenAPI spec.
//!
//! Upstream URLs come from configuration (`OURA_API_BASE_URL`,
//! `OURA_TOKEN_URL`, `OURA_DOCS_URL`) so tests and the demo can point the
//! worker at a simulator. Time comes from `platform.clock` and waiting from
//! `platform.sleeper`: the same code runs on wasm32 and in native tests.

mod breaker;
mod client;
mod discovery;
mod error;
mod pagination;
mod refresh;
mod retry;
pub mod tokens;
pub mod url;
mod windows;

pub use breaker::{BreakerState, COOL_DOWN_MS as BREAKER_COOL_DOWN_MS, KV_KEY as BREAKER_KV_KEY};
pub use client::OuraClient;
pub use discovery::{discover, Discovery, KV_KEY as COLLECTIONS_KV_KEY};
pub use error::OuraError;
pub use pagination::MAX_PAGES;
pub use refresh::{exchange_code, refresh_margin_ms, REFRESH_MARGIN_MS, REFRESH_MARGIN_SHARE};
pub use windows::{windows, DATETIME_WINDOW_DAYS, DATE_WINDOW_DAYS};

use std::fmt;

/// An OAuth token pair as stored in `oura_oauth_tokens`.
#[derive(Clone, PartialEq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    /// Epoch ms; `f64::INFINITY` when Oura gave no lifetime (stored NULL).
    pub expires_at_ms: f64,
    /// Epoch ms the pair was issued (saved), when known: with the expiry it
    /// gives the lifetime, which scales the refresh margin.
    pub issued_at_ms: Option<f64>,
    pub scope: Option<String>,
    pub token_type: Option<String>,
}

/// Tokens never reach logs, even through `{:?}`.
impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("issued_at_ms", &self.issued_at_ms)
            .field("scope", &self.scope)
            .field("token_type", &self.token_type)
            .finish()
    }
}
