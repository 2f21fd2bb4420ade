use crate::services::platform::BoxFut;
use crate::services::platform::{PResult, PlatformError, Queue};
use serde_json::Value;
use std::cell::{Cell, RefCell};

/// Keeps sent messages; can be told to fail, to test what a failed send does.
#[derive(Default)]
pub struct RecordingQueue {
    sent: RefCell<Vec<Value>>,
    failing: Cell<bool>,
}

impl RecordingQueue {
    pub fn sent(&self) -> Vec<Value> {
        self.sent.borrow().clone()
    }
    pub fn set_failing(&self, failing: bool) {
        self.failing.set(failing);
    }
}

impl Queue for RecordingQueue {
    fn send<'a>(&'a self, message: &'a Value) -> BoxFut<'a, PResult<()>> {
        Box::pin(async move {
            if self.failing.get() {
                return Err(PlatformError::new("queue send failed (scripted)"));
            }
            self.sent.borrow_mut().push(message.clone());
            Ok(())
        })
    }
}
