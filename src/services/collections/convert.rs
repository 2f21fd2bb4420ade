//! Small conversions every collection uses when a document becomes rows,
//! and the shared table specs (raw documents, series, daily summaries).

use crate::services::writer::{Paging, RowSet, TableSpec};
use chrono::{DateTime, Duration, SecondsFormat};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// A whole number, rounded as the original did (half up); absent → NULL.
pub fn int(v: Option<f64>) -> Value {
    v.filter(|x| x.is_finite())
        .map_or(Value::Null, |x| Value::from((x + 0.5).floor() as i64))
}

pub fn real(v: Option<f64>) -> Value {
    v.filter(|x| x.is_finite()).map_or(Value::Null, Value::from)
}

pub fn text(v: &Option<String>) -> Value {
    v.clone().map_or(Value::Null, Value::String)
}

pub fn flag(v: Option<bool>) -> Value {
    v.map_or(Value::Null, |b| Value::from(i64::from(b)))
}

/// A JSON sub-value stored as text (`NULL` when absent).
pub fn json_text(v: &Option<Value>) -> Value {
    match v {
        None | Some(Value::Null) => Value::Null,
        Some(x) => Value::String(x.to_string()),
    }
}

/// Oura's sample object: `interval` seconds between `items`, from `timestamp`.
#[derive(Debug, Clone, Deserialize)]
pub struct Sample {
    pub interval: f64,
    #[serde(default)]
    pub items: Vec<Option<f64>>,
    pub timestamp: String,
}

/// An ISO datetime with any offset, as UTC `YYYY-MM-DDTHH:MM:SSZ`.
pub fn to_utc(ts: &str) -> Option<String> {
    let t = DateTime::parse_from_rfc3339(ts).ok()?;
    Some(t.to_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub static RAW_DOCUMENTS: TableSpec = TableSpec {
    table: "oura_documents",
    key: &["collection", "id"],
    columns: &["collection", "id", "day", "json"],
    stamp: Some("updated_at"),
    stats_day: Some("day"),
    paging: Paging {
        time: None,
        order: &[],
    },
};

pub static SERIES: TableSpec = TableSpec {
    table: "document_series",
    key: &["series", "timestamp", "document_id"],
    columns: &["series", "timestamp", "document_id", "value"],
    stamp: None,
    stats_day: Some("timestamp"),
    paging: Paging {
        time: Some("timestamp"),
        order: &["series", "timestamp", "document_id"],
    },
};

/// Stores the document as received, so nothing is ever discarded.
pub fn raw(
    out: &mut RowSet,
    collection: &str,
    id: &str,
    day: Option<&str>,
    doc: &RawValue,
) -> Result<(), String> {
    out.push(
        &RAW_DOCUMENTS,
        vec![
            Value::from(collection),
            Value::from(id),
            day.map_or(Value::Null, Value::from),
            Value::String(doc.get().to_string()),
        ],
    )
}

/// One row per non-null sample, timestamped in UTC.
pub fn series(
    out: &mut RowSet,
    name: &str,
    document_id: &str,
    sample: &Option<Sample>,
) -> Result<(), String> {
    let Some(s) = sample else { return Ok(()) };
    let Some(start) = DateTime::parse_from_rfc3339(&s.timestamp).ok() else {
        return Err(format!("{name}: bad sample timestamp {}", s.timestamp));
    };
    let step = Duration::milliseconds((s.interval * 1000.0) as i64);
    for (i, item) in s.items.iter().enumerate() {
        let Some(v) = item else { continue };
        let at = start.to_utc() + step * (i as i32);
        out.push(
            &SERIES,
            vec![
                Value::from(name),
                Value::from(at.to_rfc3339_opts(SecondsFormat::Secs, true)),
                Value::from(document_id),
                real(Some(*v)),
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_convert_like_the_original() {
        assert_eq!(int(Some(2.5)), Value::from(3));
        assert_eq!(int(Some(-2.5)), Value::from(-2));
        assert_eq!(int(None), Value::Null);
        assert_eq!(real(Some(f64::NAN)), Value::Null);
    }

    #[test]
    fn offsets_become_utc() {
        assert_eq!(
            to_utc("2026-01-14T23:30:00+01:00").as_deref(),
            Some("2026-01-14T22:30:00Z")
        );
        assert_eq!(to_utc("junk"), None);
    }
}
