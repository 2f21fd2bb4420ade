//! Queues operations as Cloudflare bills them
//! (<https://developers.cloudflare.com/queues/pricing/>): one operation per
//! 64 KB (1 KB = 1,000 bytes) of a message written, read or deleted, each
//! message carrying about 100 bytes of metadata. Delivering one message
//! costs three: a write when sent, a read when delivered (every retry is
//! another read) and a delete when acknowledged.

use super::meter::Invocation;
use crate::services::platform::BoxFut;
use crate::services::platform::{PResult, Queue};
use serde_json::Value;
use std::rc::Rc;

const CHUNK_BYTES: u64 = 64_000;
const METADATA_BYTES: u64 = 100;

/// Operations one write, read or delete of `message` costs.
pub fn operations(message: &Value) -> u64 {
    let bytes = serde_json::to_string(message).map_or(0, |s| s.len() as u64);
    (bytes + METADATA_BYTES).div_ceil(CHUNK_BYTES).max(1)
}

/// The producer binding, counting one write per chunk of each sent message.
pub struct MeteredQueue {
    pub inner: Rc<dyn Queue>,
    pub inv: Rc<Invocation>,
}

impl Queue for MeteredQueue {
    fn send<'a>(&'a self, message: &'a Value) -> BoxFut<'a, PResult<()>> {
        Box::pin(async move {
            self.inner.send(message).await?;
            // A send that failed wrote nothing.
            self.inv.count_queue_operations(operations(message));
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_operation_per_started_64_kb_with_metadata() {
        assert_eq!(operations(&Value::from("event")), 1);
        // 63,898 bytes + 2 quotes + 100 metadata = 64,000: one chunk.
        assert_eq!(operations(&Value::from("x".repeat(63_898))), 1);
        assert_eq!(operations(&Value::from("x".repeat(63_899))), 2);
    }
}
