//! Per-day aggregates kept current on write, so long-range dashboard panels
//! read one row per day instead of every sample (two years of heart rate:
//! ~3,000 rows instead of ~200,000).
//!
//! After rows of a rolled-up table are written or deleted, the days they
//! touched are recomputed from the raw table in the same batch: an upsert
//! that writes only where the aggregate differs, and a prune of groups that
//! no longer have samples. Recomputing costs reads of the touched days'
//! samples (the free tier has 50× more reads than writes); an unchanged
//! re-sync writes nothing.

use super::RowSet;
use crate::services::platform::Statement;
use crate::services::time::parse_day;
use chrono::NaiveDate;
use serde_json::Value;

/// One aggregate table over one raw table. Its statements take
/// `?1` = first day (`YYYY-MM-DD`) and `?2` = that day's run end bound
/// (`<last day>~`, above every timestamp on the last day).
pub struct Rollup {
    /// The raw table whose writes it follows.
    pub source: &'static str,
    /// The raw column whose first 10 characters are the day.
    pub day_column: &'static str,
    /// Only rows whose column holds one of these values touch the rollup.
    pub only: Option<(&'static str, &'static [&'static str])>,
    /// Recomputes every group of the days in range; writes only changes.
    pub upsert: &'static str,
    /// Deletes groups of the days in range that have no samples left.
    pub prune: &'static str,
}

/// Daily heart rate per source (`heart_rate_daily`). A sample without a
/// source counts under `unknown` (the key cannot hold NULL).
pub static HEART_RATE_DAILY: Rollup = Rollup {
    source: "heart_rate_samples",
    day_column: "timestamp",
    only: None,
    upsert: "INSERT INTO heart_rate_daily (day, source, min_bpm, avg_bpm, max_bpm, samples) \
             SELECT substr(timestamp, 1, 10), COALESCE(source, 'unknown'), MIN(bpm), AVG(bpm), MAX(bpm), COUNT(*) \
             FROM heart_rate_samples WHERE timestamp >= ?1 AND timestamp < ?2 GROUP BY 1, 2 \
             ON CONFLICT (day, source) DO UPDATE SET min_bpm = excluded.min_bpm, \
             avg_bpm = excluded.avg_bpm, max_bpm = excluded.max_bpm, samples = excluded.samples \
             WHERE (heart_rate_daily.min_bpm, heart_rate_daily.avg_bpm, heart_rate_daily.max_bpm, heart_rate_daily.samples) \
             IS NOT (excluded.min_bpm, excluded.avg_bpm, excluded.max_bpm, excluded.samples)",
    prune: "DELETE FROM heart_rate_daily WHERE day >= ?1 AND day < ?2 \
            AND (day, source) NOT IN (SELECT substr(timestamp, 1, 10), COALESCE(source, 'unknown') \
            FROM heart_rate_samples WHERE timestamp >= ?1 AND timestamp < ?2)",
};

/// Every aggregate maintained on write.
pub static ROLLUPS: &[&Rollup] = &[
    &HEART_RATE_DAILY,
    &super::series_rollups::SLEEP_SERIES,
    &super::series_rollups::SESSION_SERIES,
    &super::series_rollups::RING_BATTERY_DAILY,
];

/// Days that follow each other form one run: one statement pair per run,
/// so a sync window costs two statements, not two per day.
fn runs(mut days: Vec<String>) -> Vec<(String, String)> {
    days.sort();
    days.dedup();
    let mut out: Vec<(String, String)> = Vec::new();
    for day in days {
        let follows = out.last().is_some_and(|(_, last)| {
            matches!((parse_day(last), parse_day(&day)), (Some(a), Some(b)) if a.succ_opt() == Some(b))
        });
        match out.last_mut() {
            Some(run) if follows => run.1 = day,
            _ => out.push((day.clone(), day)),
        }
    }
    out
}

/// The days a set's rows of `rollup.source` fall on.
fn touched_days(rollup: &Rollup, set: &RowSet) -> Vec<String> {
    set.tables
        .iter()
        .filter(|t| t.spec.table == rollup.source)
        .flat_map(|t| {
            let i = t.spec.columns.iter().position(|c| *c == rollup.day_column);
            let only = rollup
                .only
                .map(|(column, values)| (t.spec.columns.iter().position(|c| *c == column), values));
            t.rows.iter().filter_map(move |row| {
                if let Some((at, values)) = only {
                    let v = row.get(at?)?.as_str()?;
                    if !values.contains(&v) {
                        return None;
                    }
                }
                let v = row.get(i?)?.as_str()?;
                Some(v.chars().take(10).collect::<String>())
            })
        })
        .collect()
}

/// The pair of statements that recompute `rollup` over the days `[first, last]`.
fn recompute(rollup: &Rollup, first: String, last: &str) -> [Statement; 2] {
    let params = vec![Value::from(first), Value::from(format!("{last}~"))];
    [
        Statement::new(rollup.prune, params.clone()),
        Statement::new(rollup.upsert, params),
    ]
}

/// Statements that bring every aggregate up to date with the days `set`
/// touched (empty when it touched none). Run them after the set's own
/// writes or deletes, in the same batch.
pub fn refresh(set: &RowSet) -> Vec<Statement> {
    let mut out = Vec::new();
    for rollup in ROLLUPS {
        for (first, last) in runs(touched_days(rollup, set)) {
            out.extend(recompute(rollup, first, &last));
        }
    }
    out
}

/// Statements that recompute every aggregate of `table` over the days
/// `[first, last]`: for a bulk write, whose rows Rust never sees.
pub fn refresh_days(table: &str, first: NaiveDate, last: NaiveDate) -> Vec<Statement> {
    ROLLUPS
        .iter()
        .filter(|r| r.source == table)
        .flat_map(|r| recompute(r, first.to_string(), &last.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn consecutive_days_share_one_run() {
        let r = runs(days(&[
            "2026-01-03",
            "2026-01-01",
            "2026-01-02",
            "2026-01-02",
            "2026-02-01",
            "junk",
        ]));
        assert_eq!(
            r,
            vec![
                ("2026-01-01".to_string(), "2026-01-03".to_string()),
                ("2026-02-01".to_string(), "2026-02-01".to_string()),
                ("junk".to_string(), "junk".to_string()),
            ]
        );
    }

    #[test]
    fn month_ends_and_leap_days_follow() {
        let r = runs(days(&["2024-02-28", "2024-02-29", "2024-03-01"]));
        assert_eq!(
            r,
            vec![("2024-02-28".to_string(), "2024-03-01".to_string())]
        );
    }
}
