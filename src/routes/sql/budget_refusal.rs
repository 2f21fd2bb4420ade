//! The 429 `/api/sql` answers once its daily read share is used
//! (`services::sql_budget`): when it resets, and what the caller can do.

use crate::router::ApiError;
use crate::services::sql_budget::{reset_ms, ShareUsed};
use crate::services::time::iso_timestamp;

impl From<ShareUsed> for ApiError {
    fn from(e: ShareUsed) -> ApiError {
        refusal(e.used, e.limit, e.now_ms)
    }
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
