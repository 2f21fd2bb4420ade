//! Everything that is not HTTP: configuration, tokens, platform bindings.

pub mod access_jwt;
pub mod apart;
pub mod backfill;
pub mod collections;
pub mod config;
pub mod cron;
pub mod deadline;
pub mod documents;
pub mod export_page;
pub mod freshness;
pub mod oura;
pub mod pipeline;
pub mod platform;
pub mod schema;
pub mod sql_budget;
pub mod sql_cache;
pub mod sql_guard;
pub mod sql_log;
pub mod sync;
pub mod time;
pub mod tokens;
pub mod usage;
pub mod warm_up;
pub mod webhooks;
pub mod writer;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Drives a future to completion on the host. Every native platform part
/// resolves immediately, so tests and benchmarks need no async runtime.
/// Returns `None` if the future stays pending for a million polls (it is
/// waiting on something that will never come).
pub fn try_block_on<F: Future>(fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Some(v);
        }
    }
    None
}

/// Drives two futures to completion together, polling each in turn, so
/// tests can interleave two callers (single-flight refresh, cron locks).
/// `None` if either stays pending for a million rounds.
pub fn try_block_on_both<A: Future, B: Future>(a: A, b: B) -> Option<(A::Output, B::Output)> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(&mut cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(&mut cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            return ra.zip(rb);
        }
    }
    None
}
