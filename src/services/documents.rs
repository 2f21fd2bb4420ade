//! Writing fetched documents so that an older fetch never overwrites a newer
//! one, whatever order deliveries, retries and cron runs finish in.
//!
//! Each write is stamped with the time its fetch *began*: any fetch that
//! began later saw the same version or a newer one. Raw and typed rows of a
//! document go in one atomic batch, and D1 itself refuses the raw row when
//! a later-begun fetch is already stored, or the document was deleted after
//! this fetch began (triggers in migrations/0019_document_order.sql), which
//! aborts the whole batch. The stale documents are then looked up, dropped,
//! and the rest written again.

use crate::services::apart::Apart;
use crate::services::collections::{rows_for, Collection, Document};
use crate::services::platform::{Db, PlatformError, Statement};
use crate::services::writer::{write, RowSet, WriteReport};
use serde_json::Value;

/// The message of the triggers' abort.
pub const STALE: &str = "oura-edge: stale document";
const RAW_TABLE: &str = "oura_documents";
/// Each retry drops at least one document; more rounds mean documents keep
/// changing under us, and the next run will store them.
const MAX_ROUNDS: usize = 4;

/// What writing a fetch's documents did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Written {
    pub report: WriteReport,
    /// Rows built from the documents written.
    pub rows: u64,
    /// Documents that did not fit their type (stored nowhere).
    pub rejected: Vec<String>,
    /// Raw ids skipped because a newer fetch or a delete is already stored.
    pub stale: Vec<String>,
}

pub fn is_stale(e: &PlatformError) -> bool {
    e.to_string().contains(STALE)
}

/// The raw-document ids a row set writes.
fn raw_ids(rows: &RowSet) -> Vec<String> {
    rows.tables
        .iter()
        .filter(|t| t.spec.table == RAW_TABLE)
        .flat_map(|t| &t.rows)
        .filter_map(|r| r.get(1).and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// Of `ids`, those a fetch begun after `fetched_iso` stored, or deleted since.
async fn newer(
    db: &dyn Db,
    c: &Collection,
    ids: &[String],
    fetched_iso: &str,
) -> Result<Vec<String>, PlatformError> {
    let result = db
        .query(&Statement::new(
            "SELECT id FROM oura_documents WHERE collection = ?1 AND updated_at > ?2 \
             AND id IN (SELECT value FROM json_each(?3)) \
             UNION SELECT id FROM oura_deletions WHERE collection = ?1 AND deleted_at > ?2 \
             AND id IN (SELECT value FROM json_each(?3))",
            vec![
                Value::from(c.name),
                Value::from(fetched_iso),
                Value::from(serde_json::to_string(ids).unwrap_or_default()),
            ],
        ))
        .await?;
    Ok(result
        .rows
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_string))
        .collect())
}

/// Writes `docs` of `c` from a fetch that began at `fetched_iso` (ISO, as
/// `time::iso_timestamp`), skipping those a newer fetch or a delete beat.
pub async fn write_fetched(
    db: &dyn Db,
    c: &Collection,
    docs: &[Document],
    fetched_iso: &str,
) -> Result<Written, PlatformError> {
    // Copied only when a stale document has to be left out.
    let mut docs = std::borrow::Cow::Borrowed(docs);
    let mut stale: Vec<String> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let (rows, rejected) = rows_for(c, &docs);
        match write(db, &rows, fetched_iso).await {
            Ok(report) => {
                return Ok(Written {
                    report,
                    rows: rows.row_count() as u64,
                    rejected,
                    stale,
                })
            }
            Err(e) if is_stale(&e) => {
                // Apart: only a fetch that raced another compiles this.
                let ids = raw_ids(&rows);
                let newer: Apart<Result<Vec<String>, PlatformError>> =
                    Box::pin(newer(db, c, &ids, fetched_iso));
                let skip = newer.await?;
                if skip.is_empty() {
                    return Err(e); // refused, yet nothing newer found: do not loop
                }
                tracing::info!(collection = c.name, documents = ?skip, "skipping documents a newer fetch already stored");
                docs.to_mut().retain(|d| {
                    let (one, _) = rows_for(c, std::slice::from_ref(d));
                    !raw_ids(&one).iter().any(|id| skip.contains(id))
                });
                stale.extend(skip);
            }
            Err(e) => return Err(e),
        }
    }
    Err(PlatformError::new(format!(
        "{}: documents kept changing while being written",
        c.name
    )))
}
