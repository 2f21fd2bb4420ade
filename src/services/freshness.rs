//! How fresh an ingestion signal is (spec §14.1), with thresholds derived
//! from the configured cron schedule, so a healthy pipeline never reads
//! "stale" just because the next run is still due.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Freshness {
    pub timestamp: Option<String>,
    #[serde(rename = "ageMinutes")]
    pub age_minutes: Option<i64>,
    #[serde(rename = "thresholdMinutes")]
    pub threshold_minutes: i64,
    /// `fresh`, `stale` or `unknown`.
    pub state: &'static str,
    #[serde(rename = "isFresh")]
    pub is_fresh: bool,
}

/// Evaluates a signal's last time (ISO timestamp) against a threshold.
pub fn evaluate(timestamp: Option<&str>, now_ms: f64, threshold_minutes: i64) -> Freshness {
    let at = timestamp.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    match at {
        None => Freshness {
            timestamp: timestamp.map(str::to_string),
            age_minutes: None,
            threshold_minutes,
            state: "unknown",
            is_fresh: false,
        },
        Some(t) => {
            let age_ms = now_ms - t.timestamp_millis() as f64;
            let fresh = age_ms <= (threshold_minutes * 60_000) as f64;
            Freshness {
                timestamp: timestamp.map(str::to_string),
                age_minutes: Some((age_ms / 60_000.0).round().max(0.0) as i64),
                threshold_minutes,
                state: if fresh { "fresh" } else { "stale" },
                is_fresh: fresh,
            }
        }
    }
}

/// Minutes between runs of a cron expression's hour field (`*/2` → 120,
/// `*` → 60, `7,14` → the longest gap across midnight); 120 if unreadable.
pub fn cron_interval_minutes(cron: &str) -> i64 {
    let hours = cron.split_whitespace().nth(1).unwrap_or("*/2");
    if hours == "*" {
        return 60;
    }
    if let Some(step) = hours.strip_prefix("*/").and_then(|s| s.parse::<i64>().ok()) {
        return step.clamp(1, 24) * 60;
    }
    let mut list: Vec<i64> = hours.split(',').filter_map(|h| h.parse().ok()).collect();
    list.sort_unstable();
    match (list.first(), list.last()) {
        (Some(first), Some(last)) => {
            let mut gap = first + 24 - last;
            for pair in list.windows(2) {
                if let [a, b] = pair {
                    gap = gap.max(b - a);
                }
            }
            gap.max(1) * 60
        }
        _ => 120,
    }
}

/// A sync is stale after two missed runs plus a quarter hour.
pub fn sync_threshold_minutes(cron: &str) -> i64 {
    2 * cron_interval_minutes(cron) + 15
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_follow_the_schedule() {
        assert_eq!(cron_interval_minutes("0 */2 * * *"), 120);
        assert_eq!(cron_interval_minutes("0 * * * *"), 60);
        assert_eq!(cron_interval_minutes("0 7,14 * * *"), 17 * 60);
        assert_eq!(sync_threshold_minutes("0 */2 * * *"), 255);
    }

    #[test]
    fn signals_are_fresh_stale_or_unknown() {
        let now = 1_768_478_400_000.0; // 2026-01-15T12:00:00Z
        assert_eq!(
            evaluate(Some("2026-01-15T11:00:00.000Z"), now, 255).state,
            "fresh"
        );
        let stale = evaluate(Some("2026-01-15T06:00:00Z"), now, 255);
        assert_eq!((stale.state, stale.age_minutes), ("stale", Some(360)));
        assert_eq!(evaluate(None, now, 255).state, "unknown");
        assert_eq!(evaluate(Some("garbage"), now, 255).state, "unknown");
    }
}
