//! `/api/sql`'s share of the daily D1 read quota (issue #13). D1's quotas
//! are account-wide: past the day's read quota every query fails, ingestion
//! included. So `/api/sql` may read `SQL_READ_SHARE_PERCENT` (default 70) of
//! `USAGE_QUOTA_D1_ROWS_READ` per UTC day, counted in rows it read itself
//! (`usage.sql_rows_read`), then answers 429 until 00:00 UTC.
//!
//! The check runs before each D1 query of the route (cache hits cost no
//! reads and are still served) on what the isolate's meter already knows,
//! so it adds no D1 call per request. It is approximate by design: other
//! isolates' unflushed counts (one `USAGE_FLUSH_SECONDS` each) are not seen,
//! a query admitted under the share may end above it, and a query that
//! times out is billed by D1 but never reported to us.

use crate::services::config::Config;
use crate::services::platform::Platform;
use crate::services::usage::{self};

const DAY_MS: f64 = 86_400_000.0;

/// Today's share is read: `/api/sql` refuses until `reset_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareUsed {
    pub used: u64,
    pub limit: u64,
    pub now_ms: f64,
}

/// Refuses once today's share is read. Unmetered invocations (tests,
/// benches) and plans without a read quota are not limited.
pub async fn check(platform: &Platform, config: &Config) -> Result<(), ShareUsed> {
    let Some(limit) = config.usage.sql_rows_read_limit() else {
        return Ok(());
    };
    let Some(today) = usage::today_known(platform).await else {
        return Ok(());
    };
    if today.sql_rows_read < limit {
        return Ok(());
    }
    Err(ShareUsed {
        used: today.sql_rows_read,
        limit,
        now_ms: platform.clock.now_ms(),
    })
}

/// Counts the rows one `/api/sql` query read.
pub fn spend(platform: &Platform, rows_read: u64) {
    if let Some(inv) = &platform.usage {
        inv.count_sql_rows_read(rows_read);
    }
}

/// The next 00:00 UTC after `now_ms`.
pub fn reset_ms(now_ms: f64) -> f64 {
    ((now_ms / DAY_MS).floor() + 1.0) * DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::time::iso_timestamp;

    #[test]
    fn the_reset_is_the_next_utc_midnight() {
        // 2026-01-15T12:00:00Z and the day's first millisecond.
        assert_eq!(
            iso_timestamp(reset_ms(1_768_478_400_000.0)),
            "2026-01-16T00:00:00.000Z"
        );
        assert_eq!(
            iso_timestamp(reset_ms(1_768_435_200_000.0)),
            "2026-01-16T00:00:00.000Z"
        );
    }
}
