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

use crate::router::ApiError;
use crate::services::config::Config;
use crate::services::platform::Platform;
use crate::services::time::iso_timestamp;
use crate::services::usage::{self, Settings};

const DAY_MS: f64 = 86_400_000.0;

/// Refuses with 429 once today's share is read. Unmetered invocations
/// (tests, benches) and plans without a read quota are not limited.
pub async fn check(platform: &Platform, config: &Config) -> Result<(), ApiError> {
    let Some(limit) = Settings::from_config(config).sql_rows_read_limit() else {
        return Ok(());
    };
    let Some(today) = usage::today_known(platform).await else {
        return Ok(());
    };
    if today.sql_rows_read < limit {
        return Ok(());
    }
    Err(refusal(today.sql_rows_read, limit, platform.clock.now_ms()))
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

fn refusal(used: u64, limit: u64, now_ms: f64) -> ApiError {
    let reset_ms = reset_ms(now_ms);
    let reset = iso_timestamp(reset_ms);
    let retry_after = ((reset_ms - now_ms) / 1000.0).ceil().max(1.0) as u32;
    ApiError::too_many_requests(
        format!(
            "Daily SQL read budget used: /api/sql read {used} of its {limit} D1 rows today; it resets at {reset}"
        ),
        retry_after,
    )
    .with_hint(format!(
        "The rest of the day's D1 read quota is kept for ingestion and /status. Cached panels still load. \
         Retry after {reset} (00:00 UTC), narrow the dashboard's time range, or raise SQL_READ_SHARE_PERCENT."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_refusal_names_the_reset_and_retry_after() {
        let e = refusal(3_500_100, 3_500_000, 1_768_478_400_000.0);
        assert_eq!(e.status, 429);
        assert_eq!(e.retry_after, Some(43_200));
        assert!(
            e.message.contains("2026-01-16T00:00:00.000Z"),
            "{}",
            e.message
        );
        assert!(e
            .hint
            .is_some_and(|h| h.contains("2026-01-16T00:00:00.000Z")));
    }
}
