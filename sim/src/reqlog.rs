//! Log of recent non-control requests (`GET /_sim/requests`), so tests can assert what a client fetched.

use serde::Serialize;
use std::collections::VecDeque;

const CAPACITY: usize = 5000;

#[derive(Serialize, Clone)]
pub struct Entry {
    pub seq: u64,
    pub time: i64,
    pub method: String,
    /// Path plus query string, as received.
    pub path: String,
    pub status: u16,
    /// Which fault (kind) shaped the response, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

#[derive(Default)]
pub struct RequestLog {
    entries: VecDeque<Entry>,
    seq: u64,
}

impl RequestLog {
    pub fn push(&mut self, mut e: Entry) {
        self.seq += 1;
        e.seq = self.seq;
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(e);
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.entries.iter().cloned().collect()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
