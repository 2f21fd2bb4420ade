//! Query windows and the per-collection filter rules (api.md §3): date collections compare local days with an
//! inclusive or exclusive `end_date`; time series compare instants with `[start_datetime, end_datetime)`.

use crate::catalog::{Collection, Family};
use crate::store::{day_num, Doc};
use crate::timefmt;
use serde::{Deserialize, Serialize};

/// `lo`/`hi` are day numbers (dated) or epoch seconds (series); `None` = unbounded.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Window {
    pub lo: Option<i64>,
    pub hi: Option<i64>,
    /// The real API answers junk dates (`start_date=1`) with 200 and no data.
    #[serde(default)]
    pub empty: bool,
}

/// Client errors while reading a window, mapped to HTTP statuses by the caller.
#[derive(Debug, PartialEq)]
pub enum WindowError {
    BadRequest(String),
    Unprocessable(String),
}

pub const MAX_SERIES_SECS: i64 = 30 * 86_400;
pub const START_AFTER_END: &str = "Start date must be before end date";

impl Window {
    pub fn matches(&self, coll: &Collection, doc: &Doc) -> bool {
        if self.empty {
            return false;
        }
        let Some(pos) = doc.pos else {
            // Undated documents (ring_configuration) are always listed.
            return self.lo.is_none() && self.hi.is_none();
        };
        let exclusive = coll.family == Family::Series || coll.end_exclusive;
        self.lo.is_none_or(|lo| pos >= lo)
            && self
                .hi
                .is_none_or(|hi| if exclusive { pos < hi } else { pos <= hi })
    }
}

/// `start_date` / `end_date`; missing bounds are open.
pub fn dated(start: Option<&str>, end: Option<&str>) -> Result<Window, WindowError> {
    let parse = |s: Option<&str>| {
        s.filter(|s| !s.is_empty())
            .map(|s| timefmt::parse_date(s).map(day_num))
    };
    let (lo, hi) = (parse(start), parse(end));
    if matches!(lo, Some(None)) || matches!(hi, Some(None)) {
        return Ok(Window {
            empty: true,
            ..Window::default()
        });
    }
    let (lo, hi) = (lo.flatten(), hi.flatten());
    if let (Some(a), Some(b)) = (lo, hi) {
        if a > b {
            return Err(WindowError::Unprocessable(START_AFTER_END.into()));
        }
    }
    Ok(Window {
        lo,
        hi,
        empty: false,
    })
}

/// `start_datetime` / `end_datetime`; defaults: end = `now`, start = end − 1 day. At most 30 days.
pub fn series(start: Option<&str>, end: Option<&str>, now: i64) -> Result<Window, WindowError> {
    let parse = |name: &str, s: Option<&str>| -> Result<Option<i64>, WindowError> {
        match s.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => timefmt::parse_epoch(s).map(Some).ok_or_else(|| {
                WindowError::BadRequest(format!(
                    "Invalid {name} {s:?}: expected ISO 8601 (encode '+' in offsets as %2B)"
                ))
            }),
        }
    };
    let hi = parse("end_datetime", end)?.unwrap_or(now);
    let lo = parse("start_datetime", start)?.unwrap_or(hi - 86_400);
    if lo > hi {
        return Err(WindowError::Unprocessable(START_AFTER_END.into()));
    }
    if hi - lo > MAX_SERIES_SECS {
        return Err(WindowError::BadRequest(
            "Maximum time range is 30 days (start_datetime to end_datetime)".into(),
        ));
    }
    Ok(Window {
        lo: Some(lo),
        hi: Some(hi),
        empty: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_rules() {
        assert!(dated(Some("2026-01-02"), Some("2026-01-01")).is_err());
        assert!(dated(Some("1"), None).map(|w| w.empty).unwrap_or(false));
        assert!(dated(Some("2026-01-01T10:00:00+01:00"), Some("2026-01-01")).is_ok());
    }

    #[test]
    fn series_rules() {
        let ok = series(
            Some("2026-01-01T00:00:00+00:00"),
            Some("2026-01-31T00:00:00+00:00"),
            0,
        );
        assert!(ok.is_ok());
        let long = series(
            Some("2026-01-01T00:00:00+00:00"),
            Some("2026-01-31T00:00:01+00:00"),
            0,
        );
        assert!(matches!(long, Err(WindowError::BadRequest(_))));
        let plus = series(Some("2026-01-01T00:00:00 01:00"), None, 0);
        assert!(matches!(plus, Err(WindowError::BadRequest(_))));
    }
}
