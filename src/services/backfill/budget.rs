//! The backfill's daily write budget (`D1_DAILY_WRITE_BUDGET`): D1 rows the
//! day may reach before the backfill sleeps until the next UTC day, so a
//! long backfill spreads over days instead of spending the free tier's
//! 100,000 written rows (and failing every write after them).

use crate::services::config::Config;
use crate::services::platform::Platform;
use crate::services::usage::{self};

/// Resume a little after midnight UTC, once the new day's quota applies.
pub const RESUME_AFTER_MIDNIGHT_MS: f64 = 5.0 * 60_000.0;
const DAY_MS: f64 = 86_400_000.0;

/// What one step may still write today.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub limit: u64,
    /// Rows written today before this step (from the usage meter).
    pub spent_before: u64,
}

impl Budget {
    /// Today's written rows as the isolate's meter knows them (each write
    /// batch's usage upsert returns the stored row, so consecutive steps
    /// read no D1), else read from D1. Unreadable usage counts as nothing
    /// spent: the budget is a courtesy, and the step's own writes still count.
    pub async fn today(platform: &Platform, config: &Config) -> Budget {
        let limit = config.usage.daily_write_budget;
        let known = usage::today_known(platform).await;
        let spent = match known {
            Some(u) => Ok(u),
            None => usage::today(platform).await,
        };
        let spent_before = match spent {
            Ok(u) => u.d1_rows_written,
            Err(e) => {
                tracing::warn!(error = %e, "backfill: usage unreadable; budget starts at zero");
                0
            }
        };
        Budget {
            limit,
            spent_before,
        }
    }

    /// Whether a window expected to write `estimate` rows still fits after
    /// this step wrote `spent_here`.
    pub fn allows(&self, spent_here: u64, estimate: u64) -> bool {
        let spent = self.spent_before.saturating_add(spent_here);
        spent < self.limit && spent.saturating_add(estimate) <= self.limit
    }
}

/// When a paused backfill resumes: just after the next UTC midnight.
pub fn resume_at_ms(now_ms: f64) -> f64 {
    ((now_ms / DAY_MS).floor() + 1.0) * DAY_MS + RESUME_AFTER_MIDNIGHT_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_holds_the_estimate_back() {
        let b = Budget {
            limit: 100,
            spent_before: 60,
        };
        assert!(b.allows(0, 40));
        assert!(!b.allows(0, 41));
        assert!(!b.allows(40, 0), "spent it all");
        assert!(
            b.allows(39, 0),
            "an unknown window runs while anything is left"
        );
    }

    #[test]
    fn resumes_after_the_next_midnight() {
        // 2026-01-15T12:00:00Z → 2026-01-16T00:05:00Z
        assert_eq!(resume_at_ms(1_768_478_400_000.0), 1_768_521_900_000.0);
    }
}
