use crate::services::platform::{BoxFut, Clock, PResult, PlatformError, RateLimiter};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Every binding's window (`period` in `wrangler.toml`).
const PERIOD_SECONDS: u32 = 60;

/// Fixed-window counters per (binding, key), with the limits of `wrangler.toml`.
/// Can be told to fail, to test that a limiter error fails open.
pub struct WindowLimiter {
    clock: Rc<dyn Clock>,
    limits: HashMap<&'static str, u32>,
    counts: RefCell<HashMap<(String, String), (i64, u32)>>,
    failing: Cell<bool>,
}

impl WindowLimiter {
    /// 1, 10 and 3000 per 60 s, as the original's bindings (spec §2.2).
    pub fn with_spec_limits(clock: Rc<dyn Clock>) -> WindowLimiter {
        let limits = HashMap::from([
            ("RATE_LIMITER", 1),
            ("UNAUTH_RATE_LIMITER", 10),
            ("AUTH_RATE_LIMITER", 3000),
        ]);
        WindowLimiter {
            clock,
            limits,
            counts: RefCell::new(HashMap::new()),
            failing: Cell::new(false),
        }
    }

    pub fn set_failing(&self, failing: bool) {
        self.failing.set(failing);
    }

    /// Forgets all counts (a new window for every key).
    pub fn reset(&self) {
        self.counts.borrow_mut().clear();
    }
}

impl RateLimiter for WindowLimiter {
    fn limit<'a>(&'a self, binding: &'a str, key: &'a str) -> BoxFut<'a, PResult<bool>> {
        Box::pin(async move {
            if self.failing.get() {
                return Err(PlatformError::new("rate limiter unavailable (scripted)"));
            }
            let window = (self.clock.now_ms() / (f64::from(PERIOD_SECONDS) * 1000.0)) as i64;
            // Cloudflare refuses to deploy an unknown binding; here it is an error.
            let limit = self.limits.get(binding).copied().ok_or_else(|| {
                PlatformError::new(format!("no rate limiter binding '{binding}'"))
            })?;
            let mut counts = self.counts.borrow_mut();
            let slot = counts
                .entry((binding.to_string(), key.to_string()))
                .or_insert((window, 0));
            if slot.0 != window {
                *slot = (window, 0);
            }
            slot.1 += 1;
            Ok(slot.1 <= limit)
        })
    }
}
