//! Bounded retries for transient failures: network errors, 429 and 5xx.
//! Everything else is the caller's to interpret.

use super::OuraError;
use crate::services::platform::{OutRequest, OutResponse, Platform};
use std::cell::Cell;

/// How many times a request may be repeated, and whether a network error
/// may be. Token calls must not repeat after a network error: the server
/// may have rotated the single-use refresh token before the line dropped,
/// and a blind retry would then burn the new one too.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_retries: u32,
    pub retry_network: bool,
}

/// Data calls: up to 3 retries (4 requests), as the original's fetchWithRetry.
pub const DATA: Policy = Policy {
    max_retries: 3,
    retry_network: true,
};

/// Token calls: 429/5xx are retried, network errors are not (see `Policy`).
pub const TOKEN: Policy = Policy {
    max_retries: 3,
    retry_network: false,
};

/// Longest `Retry-After` honoured; a Worker should not idle longer.
pub const MAX_RETRY_AFTER_MS: u64 = 60_000;
const BACKOFF_BASE_MS: u64 = 250;

pub fn is_transient_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// `Retry-After` in whole seconds (the form Oura sends), capped. The HTTP
/// date form is not used by Oura and falls back to backoff.
pub fn retry_after_ms(resp: &OutResponse) -> Option<u64> {
    let secs: u64 = resp.header("retry-after")?.trim().parse().ok()?;
    Some(secs.saturating_mul(1000).min(MAX_RETRY_AFTER_MS))
}

/// 250 ms · 2^n for the n-th retry (500, 1000, 2000 ms). No jitter: one
/// user's sync is the only caller, so there is no herd to spread.
pub fn backoff_ms(retry: u32) -> u64 {
    BACKOFF_BASE_MS.saturating_mul(1u64 << retry.min(16))
}

/// Sends `req`, repeating transient failures per `policy`, sleeping through
/// `platform.sleeper`. Returns the first non-transient response (2xx or a
/// 4xx other than 429); `Transient` once retries are exhausted. `sent`
/// counts every request actually sent.
pub async fn send(
    platform: &Platform,
    req: &OutRequest,
    policy: Policy,
    sent: &Cell<u32>,
) -> Result<OutResponse, OuraError> {
    let mut retry = 0u32;
    loop {
        sent.set(sent.get().saturating_add(1));
        let (problem, delay_ms) = match platform.http.send(req.clone()).await {
            Ok(resp) if !is_transient_status(resp.status) => return Ok(resp),
            Ok(resp) => (
                format!("status {}", resp.status),
                retry_after_ms(&resp).unwrap_or_else(|| backoff_ms(retry + 1)),
            ),
            Err(e) if policy.retry_network => {
                (format!("network error: {e}"), backoff_ms(retry + 1))
            }
            Err(e) => return Err(OuraError::Transient(format!("network error: {e}"))),
        };
        if retry >= policy.max_retries {
            return Err(OuraError::Transient(format!(
                "{problem} after {} attempts",
                retry + 1
            )));
        }
        retry += 1;
        tracing::warn!(%problem, retry, delay_ms, "Oura request failed; retrying");
        platform.sleeper.sleep(delay_ms).await;
    }
}
