//! Syncing a date range of Oura collections into D1: fetch each window,
//! turn documents into rows, write them through the one writer. A failing
//! collection is reported and the others still complete.

use crate::services::apart::Apart;
use crate::services::collections::Collection;
use crate::services::config::Config;
use crate::services::documents::write_fetched;
use crate::services::oura::{windows, OuraClient};
use crate::services::platform::Platform;
use crate::services::time::iso_timestamp;
use crate::services::writer::bulk::{write_pages, BulkRows};
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
        // Apart: a heart-rate step compiles only the bulk path, a daily
        // collection's link only the documents path.
        let window: Apart<Result<WindowDone, WindowFailed>> = match collection.bulk {
            Some(bulk) => Box::pin(bulk_window(
                client,
                platform,
                collection,
                bulk,
                (from, to),
                &fetched,
            )),
            None => Box::pin(documents_window(
                client,
                platform,
                collection,
                (from, to),
                &fetched,
            )),
        };
        let done = window.await;
        let (window, error) = match done {
            Ok(w) => (Some(w), None),
            // Fetched, then the write failed.
            Err((Some(w), e)) => (Some(w), Some(format!("writing: {e}"))),
            Err((None, e)) => (None, Some(e)),
        };
        if let Some(w) = window {
            report.windows += 1;
            report.documents += w.documents;
            report.rows += w.rows;
            report.rows_written += w.rows_written;
            report.rejected.extend(w.rejected);
        }
        if error.is_some() {
            report.error = error;
            return report;
        }
    }
    report
}

/// What one window added to a report.
#[derive(Default)]
struct WindowDone {
    documents: u64,
    rows: u64,
    rows_written: u64,
    rejected: Vec<String>,
}

/// A window's failure: what was fetched (when the write failed), and why.
type WindowFailed = (Option<WindowDone>, String);

/// A window fetched as documents and written through the writer.
async fn documents_window(
    client: &OuraClient<'_>,
    platform: &Platform,
    collection: &'static Collection,
    (from, to): (NaiveDate, NaiveDate),
    fetched: &str,
) -> Result<WindowDone, WindowFailed> {
    let docs = client
        .fetch_range(collection, from, to)
        .await
        .map_err(|e| (None, e.to_string()))?;
    let documents = docs.len() as u64;
    match write_fetched(platform.db.as_ref(), collection, &docs, fetched).await {
        Ok(w) => Ok(WindowDone {
            documents,
            rows: w.rows,
            rows_written: w.report.rows_written,
            rejected: w.rejected,
        }),
        Err(e) => Err((
            Some(WindowDone {
                documents,
                ..WindowDone::default()
            }),
            e.to_string(),
        )),
    }
}

/// A window fetched as page text and written in bulk (`writer::bulk`).
async fn bulk_window(
    client: &OuraClient<'_>,
    platform: &Platform,
    collection: &'static Collection,
    bulk: &BulkRows,
    (from, to): (NaiveDate, NaiveDate),
    fetched: &str,
) -> Result<WindowDone, WindowFailed> {
    let pages = client
        .fetch_pages(collection, from, to)
        .await
        .map_err(|e| (None, e.to_string()))?;
    // Samples up to the window's end bound (midnight after `to`).
    let last = to.succ_opt().unwrap_or(to);
    let w = write_pages(
        platform.db.as_ref(),
        collection.table,
        bulk,
        &pages,
        (from, last),
        fetched,
    )
    .await
    .map_err(|e| (Some(WindowDone::default()), e.to_string()))?;
    let rejected = (w.rejected > 0)
        .then(|| {
            format!(
                "{}: {} documents did not fit their type",
                collection.name, w.rejected
            )
        })
        .into_iter()
        .collect();
    Ok(WindowDone {
        documents: w.documents,
        rows: w.documents.saturating_sub(w.rejected),
        rows_written: w.report.rows_written,
        rejected,
    })
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
