//! `PublicSample`: `{interval, items, timestamp}` used by MET, sleep HR/HRV and session series.

use serde_json::{json, Value};

pub fn sample(interval: f64, items: Vec<Option<f64>>, timestamp: &str) -> Value {
    json!({ "interval": interval, "items": items, "timestamp": timestamp })
}

/// Mean of the non-null items (None when all are null).
pub fn mean(items: &[Option<f64>]) -> Option<f64> {
    let vals: Vec<f64> = items.iter().flatten().copied().collect();
    if vals.is_empty() {
        None
    } else {
        Some(vals.iter().sum::<f64>() / vals.len() as f64)
    }
}
