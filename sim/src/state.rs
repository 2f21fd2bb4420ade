//! Shared simulator state behind one mutex. Handlers lock briefly and never hold the lock across network I/O
//! (webhook handshakes and deliveries) or fault delays.

use crate::faults::Faults;
use crate::oauth::OAuth;
use crate::reqlog::RequestLog;
use crate::rng::Rng;
use crate::store::Store;
use crate::webhooks::Subscriptions;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Settings from the CLI; `page_size`, `series_page_size` and `access_token_ttl` can change at runtime.
#[derive(Clone, Debug)]
pub struct Settings {
    pub client_id: String,
    pub client_secret: String,
    pub static_token: Option<String>,
    pub page_size: usize,
    pub series_page_size: usize,
    pub access_token_ttl: i64,
}

pub struct State {
    pub settings: Settings,
    pub store: Store,
    pub oauth: OAuth,
    pub subs: Subscriptions,
    pub faults: Faults,
    pub log: RequestLog,
    /// Seconds added to the wall clock (`POST /_sim/clock`), to test expiry without waiting.
    pub clock_offset: i64,
    /// End of the generated data (local midnight after `--end-date`): "now" for default time-series windows.
    pub data_now: i64,
    /// Source of tokens, codes and challenges (seeded from the start time: these need not be reproducible).
    pub rng: Rng,
}

impl State {
    /// Simulator clock in epoch seconds: wall clock plus the test offset. Tokens, codes, webhook expiry and
    /// delivery timestamps use it (real wall time so receivers' replay windows accept deliveries).
    pub fn now(&self) -> i64 {
        wall_clock() + self.clock_offset
    }
}

pub fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub struct App {
    state: Mutex<State>,
}

impl App {
    pub fn new(state: State) -> Self {
        App {
            state: Mutex::new(state),
        }
    }

    /// Locks the state; a poisoned lock (a panicking thread) is recovered rather than propagated.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
