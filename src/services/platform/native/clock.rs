use crate::services::platform::BoxFut;
use crate::services::platform::{Clock, Sleeper};
use std::cell::Cell;
use std::rc::Rc;

/// A clock that only moves when told to, so tests never depend on today's date.
pub struct ManualClock(Cell<f64>);

impl ManualClock {
    pub fn new(now_ms: f64) -> ManualClock {
        ManualClock(Cell::new(now_ms))
    }
    pub fn set(&self, now_ms: f64) {
        self.0.set(now_ms);
    }
    pub fn advance(&self, ms: f64) {
        self.0.set(self.0.get() + ms);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> f64 {
        self.0.get()
    }
}

/// Sleeping advances the manual clock instead of waiting, so backoff is instant.
pub struct ManualSleeper(Rc<ManualClock>);

impl ManualSleeper {
    pub fn new(clock: Rc<ManualClock>) -> ManualSleeper {
        ManualSleeper(clock)
    }
}

impl Sleeper for ManualSleeper {
    fn sleep(&self, ms: u64) -> BoxFut<'_, ()> {
        self.0.advance(ms as f64);
        Box::pin(async {})
    }
}
