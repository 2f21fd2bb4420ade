//! What can go wrong talking to Oura, sorted by what the caller should do.

use std::fmt;

/// Every variant's `Display` is safe to log: no tokens, bodies truncated.
#[derive(Debug, Clone, PartialEq)]
pub enum OuraError {
    /// No stored tokens, or the refresh was rejected: the user must
    /// authorise again (`/oauth/start`).
    NotAuthorized,
    /// Network error, 429 or 5xx that outlasted the retries, or a storage
    /// hiccup (D1/KV): trying again later may work.
    Transient(String),
    /// Any other non-success status (400, 403, 404 on a list, 422, 426, …).
    Http { status: u16, body: String },
    /// The circuit breaker is open: no request was sent.
    Breaker,
    /// A malformed answer (not JSON, wrong shape) or missing configuration.
    Invalid(String),
}

/// Error bodies are logged, so keep them short.
const BODY_LIMIT: usize = 300;

impl OuraError {
    /// An `Http` error with the body cut to a loggable length.
    pub fn http(status: u16, body: &[u8]) -> OuraError {
        let text = String::from_utf8_lossy(body);
        OuraError::Http {
            status,
            body: text.chars().take(BODY_LIMIT).collect(),
        }
    }

    /// Worth retrying later (the breaker counts these).
    pub fn is_transient(&self) -> bool {
        matches!(self, OuraError::Transient(_))
    }
}

impl fmt::Display for OuraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OuraError::NotAuthorized => {
                f.write_str("Oura authorisation missing or revoked; visit /oauth/start")
            }
            OuraError::Transient(m) => write!(f, "Oura temporarily unavailable: {m}"),
            OuraError::Http { status, body } => write!(f, "Oura API answered {status}: {body}"),
            OuraError::Breaker => {
                f.write_str("Oura circuit breaker is open after repeated failures; try later")
            }
            OuraError::Invalid(m) => write!(f, "invalid Oura response or setup: {m}"),
        }
    }
}

impl std::error::Error for OuraError {}
