//! The `/api/sql` result cache's rules: what is worth a KV write, and
//! invalidation. Cached entries are keyed by a generation number; a write
//! bumps the number, which orphans every older entry at once (they expire by
//! TTL) — one KV write instead of listing and deleting every key, as the
//! original did.
//!
//! Grafana's time macros put the instant of each refresh into the SQL, so a
//! dashboard on `now-90d`…`now` never sends the same query twice: storing
//! its costly results would spend KV writes on entries no one reads, and
//! looking each query up would spend two KV reads on misses. So the cache is
//! used only for queries this isolate has already seen: a costly result is
//! stored on its second sighting and looked up from then on.

use crate::services::platform::{Kv, PResult};
use std::cell::RefCell;
use std::collections::VecDeque;

pub const GENERATION_KEY: &str = "sql:generation";

/// The free tier's daily D1 rows read and KV writes: one KV write is worth
/// 5,000 rows read, so a result is stored only when recomputing it would
/// read at least that many (a stored result pays off on its first hit).
/// Cheap results — most panels once long ranges read `heart_rate_daily` —
/// are recomputed instead. Empty results count by their cost like any other.
pub const CACHE_MIN_ROWS_READ: u64 = 5_000_000 / 1_000;
/// KV refuses values over 25 MiB: don't spend a write on a put that fails.
pub const CACHE_MAX_BYTES: usize = 25 * 1024 * 1024;

/// Whether a result that read `rows_read` rows and renders to `bytes` is
/// worth one of the day's KV writes.
pub fn worth_caching(rows_read: u64, bytes: usize) -> bool {
    rows_read >= CACHE_MIN_ROWS_READ && bytes <= CACHE_MAX_BYTES
}

/// How many recent queries an isolate remembers (32-character digests).
const SEEN_CAPACITY: usize = 512;

thread_local! {
    /// Recent queries of this isolate: (digest, worth caching).
    static SEEN: RefCell<VecDeque<(String, bool)>> = const { RefCell::new(VecDeque::new()) };
}

/// Whether this isolate answered `digest` before and found it worth caching:
/// only then can a stored entry exist worth a KV lookup.
pub fn seen_costly(digest: &str) -> bool {
    SEEN.with(|s| s.borrow().iter().any(|(d, costly)| d == digest && *costly))
}

/// Records that `digest` was computed (`costly`: worth caching); returns
/// whether it had been seen before — only then is storing it worth a write.
pub fn record_computed(digest: &str, costly: bool) -> bool {
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        let before = s.iter().position(|(d, _)| d == digest);
        if let Some(i) = before {
            s.remove(i);
        } else if s.len() >= SEEN_CAPACITY {
            s.pop_front();
        }
        s.push_back((digest.to_string(), costly));
        before.is_some()
    })
}

/// The current generation (0 when never bumped or unreadable).
pub async fn generation(kv: &dyn Kv) -> u64 {
    match kv.get(GENERATION_KEY).await {
        Ok(Some(v)) => v.trim().parse().unwrap_or(0),
        Ok(None) => 0,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the SQL cache generation");
            0
        }
    }
}

/// Call after any write that changed rows (skip it when nothing changed:
/// every call costs one KV write of the free tier's 1,000 a day).
pub async fn invalidate(kv: &dyn Kv) -> PResult<u64> {
    let next = generation(kv).await + 1;
    kv.put(GENERATION_KEY, &next.to_string(), None).await?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_costly_results_that_fit_in_kv_are_stored() {
        assert!(!worth_caching(0, 10));
        assert!(!worth_caching(4_999, 10));
        assert!(worth_caching(5_000, 2));
        assert!(worth_caching(200_000, CACHE_MAX_BYTES));
        assert!(!worth_caching(200_000, CACHE_MAX_BYTES + 1));
    }

    #[test]
    fn queries_are_remembered_with_their_cost_up_to_a_bound() {
        assert!(!seen_costly("a"));
        assert!(!record_computed("a", true), "first sighting");
        assert!(seen_costly("a"));
        assert!(record_computed("a", true), "second sighting");
        assert!(!record_computed("cheap", false));
        assert!(!seen_costly("cheap"));
        for i in 0..SEEN_CAPACITY {
            record_computed(&format!("q{i}"), true);
        }
        assert!(!seen_costly("a"), "the oldest is forgotten");
        assert!(seen_costly(&format!("q{}", SEEN_CAPACITY - 1)));
    }
}
