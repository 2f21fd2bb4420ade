//! The Oura collections, one module each, and what is written once: the
//! registry that cron, backfill, the webhook consumer and the read route
//! iterate, and the document → rows step. Lists other parts need (readable
//! and exportable tables, join keys, default webhook types) are derived from
//! the registry in `tables` and `default_data_types`.
//!
//! Adding a collection:
//! 1. one file here: document type, its `TableSpec` (with `paging`), `rows`,
//!    and a `COLLECTION` that names its table;
//! 2. one line in `REGISTRY`;
//! 3. a fixture in `tests/fixtures/oura/<name>.json` (the generic tests in
//!    `tests/collections.rs` then cover it);
//! 4. a migration in `migrations/` if it needs a new table.

mod convert;
pub mod tables;

mod daily_activity;
mod daily_cardiovascular_age;
mod daily_readiness;
mod daily_resilience;
mod daily_sleep;
mod daily_spo2;
mod daily_stress;
mod enhanced_tag;
mod heartrate;
mod personal_info;
mod rest_mode_period;
mod ring_battery_level;
mod ring_configuration;
mod session;
mod sleep;
mod sleep_time;
mod tag;
mod vo2_max;
mod workout;

pub use convert::to_utc;

use crate::services::writer::bulk::BulkRows;
use crate::services::writer::{RowSet, TableSpec};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// How a collection's list endpoint is queried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryMode {
    /// `start_date`/`end_date`; some collections treat `end_date` as exclusive.
    Dates { end_exclusive: bool },
    /// `start_datetime`/`end_datetime`, at most 30 days per request.
    DateTimes,
    /// No range: `next_token` only.
    NextTokenOnly,
    /// A single object, not a list.
    Single,
}

/// Where the read route finds a collection's stored documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadSource {
    /// The raw document store (`oura_documents`).
    Documents,
    /// A table whose rows are the samples themselves.
    Table {
        table: &'static str,
        time_column: &'static str,
    },
}

pub struct Collection {
    /// Canonical name (also the webhook `data_type` and `oura_documents.collection`).
    pub name: &'static str,
    /// Path segment under `/v2/usercollection/` (`vO2_max`).
    pub api_path: &'static str,
    /// Other names that mean this collection.
    pub aliases: &'static [&'static str],
    pub query: QueryMode,
    /// Oura sends webhooks for it and serves single documents by id.
    pub webhook: bool,
    /// Subscribed to when `OURA_WEBHOOK_DATA_TYPES` names none (spec §12.1:
    /// every webhook type but `tag` and `ring_configuration`).
    pub subscribed: bool,
    /// The typed table its documents become rows of (besides the raw store).
    pub table: &'static TableSpec,
    /// One document → rows (typed tables, series, raw store).
    pub rows: RowsFn,
    /// The same in SQL, for a collection of many small documents with
    /// only a typed table: a synced window's pages are then written as
    /// they came (`writer::bulk`), without a document tree in Rust.
    pub bulk: Option<&'static BulkRows>,
    /// Days per request window, when fewer than the API allows: what one
    /// backfill step can write within the Free plan's 10 ms of CPU.
    pub window_days: Option<u64>,
    /// Its share of a cron link's CPU (`cron::UNITS_PER_LINK`): 1 for a
    /// few documents a day; 2 for many samples or series a day, which the
    /// cron then syncs a day a link.
    pub cron_units: u32,
    pub read: ReadSource,
}

/// One document → rows.
pub type RowsFn = fn(&RawValue, &mut RowSet) -> Result<(), String>;

/// A document as Oura sent it, kept as text: its typed fields are read
/// from the text and the raw store gets the text itself. A tree of it cost
/// each of a daily activity's 1,440 MET floats a parse and a format.
pub type Document = Box<RawValue>;

impl Collection {
    /// The common shape: listed by date, webhooks and single documents,
    /// read back from the raw document store.
    pub const fn dated(
        name: &'static str,
        end_exclusive: bool,
        table: &'static TableSpec,
        rows: RowsFn,
    ) -> Collection {
        Collection {
            name,
            api_path: name,
            aliases: &[],
            query: QueryMode::Dates { end_exclusive },
            webhook: true,
            subscribed: true,
            table,
            rows,
            bulk: None,
            window_days: None,
            cron_units: 1,
            read: ReadSource::Documents,
        }
    }

    /// The same with a larger share of a cron link (see `cron_units`).
    pub const fn with_cron_units(self, cron_units: u32) -> Collection {
        Collection { cron_units, ..self }
    }
}

impl std::fmt::Debug for Collection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every collection oura-edge stores.
pub static REGISTRY: &[&Collection] = &[
    &daily_activity::COLLECTION,
    &daily_cardiovascular_age::COLLECTION,
    &daily_readiness::COLLECTION,
    &daily_resilience::COLLECTION,
    &daily_sleep::COLLECTION,
    &daily_spo2::COLLECTION,
    &daily_stress::COLLECTION,
    &enhanced_tag::COLLECTION,
    &heartrate::COLLECTION,
    &personal_info::COLLECTION,
    &rest_mode_period::COLLECTION,
    &ring_battery_level::COLLECTION,
    &ring_configuration::COLLECTION,
    &session::COLLECTION,
    &sleep::COLLECTION,
    &sleep_time::COLLECTION,
    &tag::COLLECTION,
    &vo2_max::COLLECTION,
    &workout::COLLECTION,
];

/// Webhook data types subscribed to when none are configured.
pub fn default_data_types() -> Vec<&'static str> {
    REGISTRY
        .iter()
        .filter(|c| c.webhook && c.subscribed)
        .map(|c| c.name)
        .collect()
}

/// Finds a collection by name, API path or alias.
pub fn find(name: &str) -> Option<&'static Collection> {
    REGISTRY
        .iter()
        .copied()
        .find(|c| c.name == name || c.api_path == name || c.aliases.contains(&name))
}

/// Deserialises a document into a collection's type, naming what is wrong.
/// Fields the type does not name are skipped, not parsed.
pub(crate) fn parse<T: DeserializeOwned>(doc: &RawValue) -> Result<T, String> {
    serde_json::from_str(doc.get()).map_err(|e| format!("unexpected document shape: {e}"))
}

/// Rows for a page of documents. A document that does not fit its type is
/// reported with its position; the others still become rows.
pub fn rows_for(collection: &Collection, docs: &[Document]) -> (RowSet, Vec<String>) {
    let mut set = RowSet::default();
    let mut errors = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if let Err(e) = (collection.rows)(doc, &mut set) {
            errors.push(format!("{} document {i}: {e}", collection.name));
        }
    }
    (set, errors)
}
