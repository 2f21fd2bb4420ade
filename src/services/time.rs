//! Time formatting shared by every route (the runtime has no wall clock of
//! its own in wasm32; times come from the platform `Clock` as epoch ms),
//! and reading back the days the sync paths wrote.

/// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (JavaScript's `toISOString`).
pub fn iso_timestamp(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// A day as this worker writes it (`YYYY-MM-DD`, as `NaiveDate` displays
/// it), read without chrono's format parser: on the sync paths that parser
/// was the largest code a first invocation compiled for one date.
pub fn parse_day(s: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let dash = |i: usize| b.get(i) == Some(&b'-');
    if b.len() != 10 || !dash(4) || !dash(7) {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_read_as_chrono_reads_them() {
        use chrono::NaiveDate;
        for s in ["2026-01-31", "2024-02-29", "0001-01-01", "9999-12-31"] {
            assert_eq!(
                super::parse_day(s),
                NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
                "{s}"
            );
        }
        for bad in [
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-05",
            "2026/01/05",
            "2026-01-05T00",
            "20260105",
            "",
            "+202-01-05",
            "2026-01-0x",
        ] {
            assert_eq!(super::parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_are_iso_utc_with_millis() {
        assert_eq!(
            super::iso_timestamp(1_700_000_000_123.0),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(super::iso_timestamp(0.0), "1970-01-01T00:00:00.000Z");
    }
}
