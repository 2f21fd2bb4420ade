//! Time formatting shared by every route (the runtime has no wall clock of
//! its own in wasm32; times come from the platform `Clock` as epoch ms).

/// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (JavaScript's `toISOString`).
pub fn iso_timestamp(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_iso_utc_with_millis() {
        assert_eq!(
            super::iso_timestamp(1_700_000_000_123.0),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(super::iso_timestamp(0.0), "1970-01-01T00:00:00.000Z");
    }
}
