//! Syncing a date range of Oura collections into D1: fetch each window,
//! turn documents into rows, write them through the one writer. A failing
//! collection is reported and the others still complete.

use crate::services::collections::Collection;
use crate::services::config::Config;
use crate::services::documents::write_fetched;
use crate::services::oura::{windows, OuraClient};
use crate::services::platform::Platform;
use crate::services::time::iso_timestamp;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Default, Serialize, Clone, PartialEq)]
pub struct CollectionReport {
    pub collection: &'static str,
    pub windows: u32,
    pub documents: u64,
    pub rows: u64,
    pub rows_written: u64,
    /// Documents that did not fit their type (stored nowhere but reported).
    pub rejected: Vec<String>,
    /// Set when the collection could not be synced completely.
    pub error: Option<String>,
}

#[derive(Debug, Default, Serialize, Clone, PartialEq)]
pub struct SyncReport {
    pub start: String,
    pub end: String,
    pub requests: u32,
    pub collections: Vec<CollectionReport>,
}

impl SyncReport {
    pub fn failed(&self) -> Vec<&'static str> {
        self.collections
            .iter()
            .filter(|c| c.error.is_some())
            .map(|c| c.collection)
            .collect()
    }
}

/// Syncs one collection over `[start, end]` (inclusive days), window by window.
pub async fn sync_collection(
    client: &OuraClient<'_>,
    platform: &Platform,
    collection: &'static Collection,
    start: NaiveDate,
    end: NaiveDate,
) -> CollectionReport {
    let mut report = CollectionReport {
        collection: collection.name,
        ..CollectionReport::default()
    };
    for (from, to) in windows(collection, start, end) {
        // Taken before the fetch: what it returns is at least this new.
        let fetched = iso_timestamp(platform.clock.now_ms());
        let docs = match client.fetch_range(collection, from, to).await {
            Ok(d) => d,
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        };
        report.windows += 1;
        report.documents += docs.len() as u64;
        match write_fetched(platform.db.as_ref(), collection, &docs, &fetched).await {
            Ok(w) => {
                report.rows += w.rows;
                report.rows_written += w.report.rows_written;
                report.rejected.extend(w.rejected);
            }
            Err(e) => {
                report.error = Some(format!("writing: {e}"));
                return report;
            }
        }
    }
    report
}

/// Syncs every given collection over `[start, end]`, one after another.
pub async fn sync_range(
    platform: &Platform,
    config: &Config,
    collections: &[&'static Collection],
    start: NaiveDate,
    end: NaiveDate,
) -> SyncReport {
    let client = OuraClient::new(platform, config);
    let mut report = SyncReport {
        start: start.to_string(),
        end: end.to_string(),
        ..SyncReport::default()
    };
    for c in collections {
        let r = sync_collection(&client, platform, c, start, end).await;
        if let Some(e) = &r.error {
            tracing::warn!(collection = c.name, error = %e, "collection sync failed");
        }
        report.collections.push(r);
    }
    report.requests = client.request_count();
    report
}
