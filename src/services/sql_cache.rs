//! Invalidation of cached `/api/sql` results. Cached entries are keyed by a
//! generation number; a write bumps the number, which orphans every older
//! entry at once (they expire by TTL) — one KV write instead of listing and
//! deleting every key, as the original did.

use crate::services::platform::{Kv, PResult};

pub const GENERATION_KEY: &str = "sql:generation";

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
