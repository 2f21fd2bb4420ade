//! What the worker spends, in the units Cloudflare bills and limits: one
//! record per invocation, per isolate's unflushed total, per UTC day.

use serde_json::{Map, Value};

/// The counted quantities. Field names are the `/api/db/info` contract
/// (`usage.today`, `usage.yesterday`, `usage.quotas`) and the columns of
/// `usage_daily`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub d1_rows_read: u64,
    pub d1_rows_written: u64,
    /// Calls to D1: a `query`, or a `batch` (one call to the database,
    /// however many statements it carries).
    pub d1_queries: u64,
    /// The most D1 calls any one invocation made.
    pub d1_max_queries_per_invocation: u64,
    pub kv_reads: u64,
    pub kv_writes: u64,
    pub kv_deletes: u64,
    /// List operations: one per page of up to 1,000 keys.
    pub kv_lists: u64,
    /// Invocations: fetch requests, cron runs, queue batches, workflow runs.
    pub requests: u64,
    pub analytics_points: u64,
    /// The part of `d1_rows_read` that `/api/sql` queries read: its share
    /// of the daily read quota is enforced on this (`services::sql_budget`).
    pub sql_rows_read: u64,
    /// Cloudflare Queues operations: one per 64 KB chunk of a message
    /// written (sent), read (each delivery, retries too) or deleted (acked).
    pub queue_operations: u64,
}

/// Every field name, in contract order.
pub const FIELDS: [&str; N] = [
    "d1_rows_read",
    "d1_rows_written",
    "d1_queries",
    "d1_max_queries_per_invocation",
    "kv_reads",
    "kv_writes",
    "kv_deletes",
    "kv_lists",
    "requests",
    "analytics_points",
    "sql_rows_read",
    "queue_operations",
];

/// How many quantities are counted.
pub const N: usize = 12;

/// The one field that is a maximum, not a sum.
pub const MAX_FIELD: &str = "d1_max_queries_per_invocation";

impl Usage {
    /// Values in `FIELDS` order.
    pub fn values(&self) -> [u64; N] {
        [
            self.d1_rows_read,
            self.d1_rows_written,
            self.d1_queries,
            self.d1_max_queries_per_invocation,
            self.kv_reads,
            self.kv_writes,
            self.kv_deletes,
            self.kv_lists,
            self.requests,
            self.analytics_points,
            self.sql_rows_read,
            self.queue_operations,
        ]
    }

    pub fn from_values(v: [u64; N]) -> Usage {
        let [d1_rows_read, d1_rows_written, d1_queries, d1_max_queries_per_invocation, kv_reads, kv_writes, kv_deletes, kv_lists, requests, analytics_points, sql_rows_read, queue_operations] =
            v;
        Usage {
            d1_rows_read,
            d1_rows_written,
            d1_queries,
            d1_max_queries_per_invocation,
            kv_reads,
            kv_writes,
            kv_deletes,
            kv_lists,
            requests,
            analytics_points,
            sql_rows_read,
            queue_operations,
        }
    }

    /// Sums every field but the maximum, which takes the larger value.
    pub fn merge(&mut self, other: &Usage) {
        let mut out = self.values();
        for ((slot, add), name) in out.iter_mut().zip(other.values()).zip(FIELDS) {
            *slot = if name == MAX_FIELD {
                (*slot).max(add)
            } else {
                slot.saturating_add(add)
            };
        }
        *self = Usage::from_values(out);
    }

    /// The larger of each field: stored totals only grow within a day, so
    /// of two snapshots of one day's row the larger is the later.
    pub fn max_with(&mut self, other: &Usage) {
        let mut out = self.values();
        for (slot, other) in out.iter_mut().zip(other.values()) {
            *slot = (*slot).max(other);
        }
        *self = Usage::from_values(out);
    }

    pub fn is_empty(&self) -> bool {
        *self == Usage::default()
    }

    /// The `usage_daily` row (or any object with these fields); absent or
    /// non-integer fields read as 0.
    pub fn from_row(row: &Map<String, Value>) -> Usage {
        let mut v = [0u64; N];
        for (slot, name) in v.iter_mut().zip(FIELDS) {
            *slot = row.get(name).and_then(Value::as_u64).unwrap_or(0);
        }
        Usage::from_values(v)
    }

    /// A JSON object with every field, as integers.
    pub fn to_json(&self) -> Value {
        Value::Object(
            FIELDS
                .iter()
                .zip(self.values())
                .map(|(k, v)| (k.to_string(), Value::from(v)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sums_and_keeps_the_larger_maximum() {
        let mut a = Usage {
            d1_queries: 3,
            d1_max_queries_per_invocation: 3,
            kv_reads: 1,
            ..Usage::default()
        };
        a.merge(&Usage {
            d1_queries: 2,
            d1_max_queries_per_invocation: 2,
            kv_reads: 4,
            ..Usage::default()
        });
        assert_eq!(a.d1_queries, 5);
        assert_eq!(a.d1_max_queries_per_invocation, 3);
        assert_eq!(a.kv_reads, 5);
    }

    #[test]
    fn json_round_trips_through_a_row() {
        let u = Usage::from_values([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let json = u.to_json();
        let row = json.as_object().cloned().unwrap_or_default();
        assert_eq!(Usage::from_row(&row), u);
        assert_eq!(row.keys().cloned().collect::<Vec<_>>(), FIELDS.to_vec());
    }
}
