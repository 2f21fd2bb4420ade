//! Circuit breaker for Oura data calls (decisions.md fix #9): opens after
//! `THRESHOLD` consecutive transient failures, rejects calls for
//! `COOL_DOWN_MS`, then lets one probe through (half-open); any answer that
//! is not transient closes it again.
//!
//! Counting: one failure per *request* whose retries are exhausted (a
//! request that eventually succeeds after a 503 is not a failure), so the
//! breaker opens after 5 requests × 4 attempts have all failed.
//!
//! State lives in KV so it outlives the isolate, but KV's free tier allows
//! 1,000 writes a day: it is read once per client and written only when it
//! changes — a failure, an open, a reset after failures — never on a plain
//! success.

use super::OuraError;
use crate::services::apart::Apart;
use crate::services::platform::Platform;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};

pub const KV_KEY: &str = "oura:breaker";
pub const THRESHOLD: u32 = 5;
pub const COOL_DOWN_MS: f64 = 300_000.0;
/// Long enough to cover any cool-down; stale failure counts then expire.
const KV_TTL_SECONDS: u64 = 86_400;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BreakerState {
    /// Consecutive transient failures.
    pub failures: u32,
    /// While `failures >= THRESHOLD`: calls are refused until this instant.
    pub opened_until_ms: f64,
}

/// What a call was admitted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Closed,
    /// The single half-open probe.
    Probe,
}

/// How a call ended, as far as the breaker cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Oura answered (any status that is not 429/5xx).
    Answered,
    /// Network error, 429 or 5xx after retries.
    Transient,
    /// Ended before reaching Oura's verdict (no tokens, bad JSON, …).
    Neutral,
}

impl Outcome {
    pub fn of<T>(result: &Result<T, OuraError>) -> Outcome {
        match result {
            Ok(_) | Err(OuraError::Http { .. }) => Outcome::Answered,
            Err(OuraError::Transient(_)) => Outcome::Transient,
            Err(_) => Outcome::Neutral,
        }
    }
}

#[derive(Default)]
pub struct Breaker {
    /// Loaded from KV on first use.
    state: RefCell<Option<BreakerState>>,
    probing: Cell<bool>,
}

impl Breaker {
    async fn current(&self, platform: &Platform) -> BreakerState {
        if let Some(s) = *self.state.borrow() {
            return s;
        }
        // An unreadable state fails open: the breaker protects Oura from
        // us, it must not stop syncing because KV hiccupped.
        let loaded = match platform.kv.get(KV_KEY).await {
            Ok(Some(text)) => serde_json::from_str(&text).unwrap_or_default(),
            Ok(None) => BreakerState::default(),
            Err(e) => {
                tracing::warn!(error = %e, "reading breaker state failed; assuming closed");
                BreakerState::default()
            }
        };
        // Another call may have loaded it meanwhile; keep the first copy.
        *self.state.borrow_mut().get_or_insert(loaded)
    }

    /// Admits a call, or refuses it with `OuraError::Breaker`.
    pub async fn admit(&self, platform: &Platform) -> Result<Admission, OuraError> {
        let state = self.current(platform).await;
        if state.failures < THRESHOLD {
            return Ok(Admission::Closed);
        }
        if platform.clock.now_ms() < state.opened_until_ms || self.probing.get() {
            return Err(OuraError::Breaker);
        }
        self.probing.set(true);
        tracing::info!("Oura circuit breaker half-open; probing");
        Ok(Admission::Probe)
    }

    /// Records how an admitted call ended, writing KV only on a change.
    pub async fn record(&self, platform: &Platform, admission: Admission, outcome: Outcome) {
        if admission == Admission::Probe {
            self.probing.set(false);
        }
        let before = self.current(platform).await;
        let after = match outcome {
            Outcome::Neutral => return,
            Outcome::Answered => BreakerState::default(),
            Outcome::Transient => {
                let failures = before.failures.saturating_add(1);
                let opened_until_ms = if failures >= THRESHOLD {
                    platform.clock.now_ms() + COOL_DOWN_MS
                } else {
                    0.0
                };
                BreakerState {
                    failures,
                    opened_until_ms,
                }
            }
        };
        if after == before {
            return;
        }
        *self.state.borrow_mut() = Some(after);
        // Apart: a change is rare, and only then is its write compiled.
        let save: Apart<()> = Box::pin(save(platform, after));
        save.await;
    }
}

/// Keeps a changed state in KV for the other isolates.
async fn save(platform: &Platform, after: BreakerState) {
    let write = if after == BreakerState::default() {
        tracing::info!("Oura circuit breaker closed");
        platform.kv.delete(KV_KEY).await
    } else {
        if after.failures >= THRESHOLD {
            tracing::warn!(failures = after.failures, "Oura circuit breaker open");
        }
        match serde_json::to_string(&after) {
            Ok(text) => platform.kv.put(KV_KEY, &text, Some(KV_TTL_SECONDS)).await,
            Err(e) => {
                tracing::warn!(error = %e, "serialising breaker state failed");
                return;
            }
        }
    };
    if let Err(e) = write {
        tracing::warn!(error = %e, "saving breaker state failed");
    }
}
