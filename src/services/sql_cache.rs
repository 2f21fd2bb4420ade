//! The `/api/sql` result cache's rules: what is worth a KV write, and
//! invalidation. Cached entries are keyed by a generation number; a write
//! bumps the number, which orphans every older entry at once (they expire by
//! TTL) — one KV write instead of listing and deleting every key, as the
//! original did.

use crate::services::platform::{Kv, PResult};

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
}
