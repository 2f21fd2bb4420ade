//! Query windows: how a date range is cut into requests a collection
//! accepts, and the range parameters of one request.

use super::OuraError;
use crate::services::collections::{Collection, QueryMode};
use chrono::{Days, NaiveDate};

/// Days per `start_datetime`/`end_datetime` request. Oura refuses more than
/// 30 days; 29 inclusive days (29 × 24 h once the end is pushed to the next
/// midnight) leave a day's margin for how Oura counts the span.
pub const DATETIME_WINDOW_DAYS: u64 = 29;
/// Days per `start_date`/`end_date` request (the original's chunk size).
pub const DATE_WINDOW_DAYS: u64 = 90;

/// Splits [start, end] (inclusive) into windows a collection accepts, oldest
/// first: ≤ 29 days for DateTimes, ≤ 90 days for Dates (or the
/// collection's `window_days`, when fewer), a single window for
/// NextTokenOnly/Single (their requests ignore dates). An empty range
/// (start > end) gives no windows, except for those two modes.
pub fn windows(c: &Collection, start: NaiveDate, end: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let allowed = match c.query {
        QueryMode::NextTokenOnly | QueryMode::Single => return vec![(start, end)],
        QueryMode::DateTimes => DATETIME_WINDOW_DAYS,
        QueryMode::Dates { .. } => DATE_WINDOW_DAYS,
    };
    let size = c.window_days.map_or(allowed, |d| d.clamp(1, allowed));
    let mut out = Vec::new();
    let mut from = start;
    while from <= end {
        let to = from
            .checked_add_days(Days::new(size - 1))
            .map_or(end, |d| d.min(end));
        out.push((from, to));
        match to.checked_add_days(Days::new(1)) {
            Some(next) => from = next,
            None => break,
        }
    }
    out
}

fn next_day(d: NaiveDate) -> Result<NaiveDate, OuraError> {
    d.checked_add_days(Days::new(1))
        .ok_or_else(|| OuraError::Invalid(format!("no day after {d}")))
}

/// Range parameters for one window of inclusive days `[start, end]`.
pub fn range_params(
    c: &Collection,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<(&'static str, String)>, OuraError> {
    Ok(match c.query {
        QueryMode::Dates { end_exclusive } => {
            // Where Oura treats end_date as exclusive, ask for the day after
            // so the caller's last day is included.
            let end = if end_exclusive { next_day(end)? } else { end };
            vec![
                ("start_date", start.to_string()),
                ("end_date", end.to_string()),
            ]
        }
        QueryMode::DateTimes => vec![
            ("start_datetime", format!("{start}T00:00:00Z")),
            ("end_datetime", format!("{}T00:00:00Z", next_day(end)?)),
        ],
        QueryMode::NextTokenOnly | QueryMode::Single => Vec::new(),
    })
}
