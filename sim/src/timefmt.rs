//! Time formatting and lenient parsing in the shapes the Oura API uses.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// `2026-01-14T23:10:30.000-05:00`: local datetimes with the user's offset (sleep, workout, daily timestamps).
pub fn local(dt: NaiveDateTime, tz: FixedOffset) -> String {
    match tz.from_local_datetime(&dt).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        None => dt.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
    }
}

/// `2026-01-14T21:30:00`: offset-less local datetimes (tag.timestamp, enhanced_tag.start_time).
pub fn naive(dt: NaiveDateTime) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `2026-01-14T10:05:00+00:00`: UTC timestamps of the time series.
pub fn utc(epoch: i64) -> String {
    match Utc.timestamp_opt(epoch, 0).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        None => String::new(),
    }
}

/// UTC with milliseconds, for webhook expiration and event times.
pub fn utc_millis(epoch: i64) -> String {
    match Utc.timestamp_opt(epoch, 0).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string(),
        None => String::new(),
    }
}

/// Epoch seconds of a local wall-clock time at offset `tz`.
pub fn epoch_local(dt: NaiveDateTime, tz: FixedOffset) -> i64 {
    dt.and_utc().timestamp() - i64::from(tz.local_minus_utc())
}

/// Parses RFC 3339 / ISO 8601 with offset or `Z`; offset-less datetimes and bare dates are taken as UTC.
pub fn parse_epoch(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::<FixedOffset>::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.timestamp());
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp());
        }
    }
    parse_date(s)
        .filter(|_| s.len() == 10)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// Parses `YYYY-MM-DD`, or the date part of a datetime (the API accepts both for `start_date`/`end_date`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let head = s.trim().get(0..10)?;
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

/// Parses `+01:00` / `-05:00` / `Z`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    if s == "Z" || s == "z" {
        return FixedOffset::east_opt(0);
    }
    let sign = match s.get(0..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let (h, m) = s.get(1..)?.split_once(':')?;
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

/// The UTC calendar date of an epoch.
pub fn utc_date(epoch: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp(epoch, 0).map(|t| t.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_shapes() {
        let a = parse_epoch("2026-01-14T10:05:00+00:00");
        assert_eq!(a, parse_epoch("2026-01-14T05:05:00-05:00"));
        assert_eq!(a, parse_epoch("2026-01-14T10:05:00Z"));
        assert_eq!(a, parse_epoch("2026-01-14T10:05:00"));
        assert_eq!(
            parse_epoch("2026-01-14"),
            parse_epoch("2026-01-14T00:00:00Z")
        );
        assert_eq!(parse_epoch("2026-01-14T10:05:00 01:00"), None);
        assert_eq!(utc(a.unwrap_or_default()), "2026-01-14T10:05:00+00:00");
        assert_eq!(
            parse_offset("-05:00").map(|o| o.local_minus_utc()),
            Some(-18000)
        );
    }
}
