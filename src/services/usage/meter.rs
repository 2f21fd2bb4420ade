//! Counting: the platform's D1, KV, Queue and Analytics Engine wrapped so every call
//! is counted, per invocation and per isolate. Counts go straight into the
//! isolate's unflushed total (per UTC day) and are persisted together:
//!
//! - appended to the first write batch an invocation sends anyway (no extra
//!   D1 call; one written row), or
//! - at the end of an invocation once `USAGE_FLUSH_SECONDS` have passed
//!   since the isolate last persisted (0: at every invocation).
//!
//! So read-only traffic (Grafana refreshing panels) costs one upsert per
//! interval, not one per request. The meter's own statements are counted
//! like any other, at the next flush. What an isolate still holds when it is
//! evicted is lost: at most one interval of read-only traffic.

use super::counts::Usage;
use super::queue_ops::MeteredQueue;
use super::store;
use crate::services::platform::BoxFut;
use crate::services::platform::{
    Analytics, Clock, DataPoint, Db, JsonRows, Kv, PResult, Platform, QueryResult, Statement,
    TextResult,
};
use crate::services::time::iso_timestamp;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

/// KV returns at most this many keys per list call.
const KV_LIST_PAGE: u64 = 1_000;

/// Counts of one isolate not yet persisted.
#[derive(Default)]
pub struct Meter {
    pending: RefCell<BTreeMap<String, Usage>>,
    last_flush_ms: Cell<Option<f64>>,
    /// Set when a batch failed only because of the appended usage upsert
    /// (e.g. migration 0017 not applied yet): later flushes go alone.
    append_broken: Cell<bool>,
    /// The latest day's persisted row as this isolate last saw it: each
    /// upsert returns it, so per-request checks need no D1 read.
    stored: RefCell<Option<(String, Usage)>>,
}

impl Meter {
    pub fn new() -> Rc<Meter> {
        Rc::new(Meter::default())
    }

    /// This isolate's unflushed counts for `day`.
    pub fn pending(&self, day: &str) -> Usage {
        self.pending.borrow().get(day).copied().unwrap_or_default()
    }

    /// `day`'s persisted row as last seen, if this isolate has seen it.
    pub fn stored(&self, day: &str) -> Option<Usage> {
        match &*self.stored.borrow() {
            Some((d, u)) if d == day => Some(*u),
            _ => None,
        }
    }

    /// Keeps a persisted row seen for `day`; an earlier day's is dropped.
    pub fn remember(&self, day: &str, seen: &Usage) {
        let mut stored = self.stored.borrow_mut();
        match &mut *stored {
            // Reads and upserts may finish out of order: keep the larger.
            Some((d, u)) if d == day => u.max_with(seen),
            Some((d, _)) if d.as_str() > day => {}
            _ => *stored = Some((day.to_string(), *seen)),
        }
    }

    /// Keeps the rows the meter's upserts returned.
    fn remember_returned(&self, results: &[QueryResult]) {
        for row in results.iter().flat_map(|r| &r.rows) {
            if let Some(day) = row.get("day").and_then(|d| d.as_str()) {
                self.remember(day, &Usage::from_row(row));
            }
        }
    }

    fn add(&self, day: String, f: impl FnOnce(&mut Usage)) {
        f(self.pending.borrow_mut().entry(day).or_default());
    }

    fn take(&self) -> BTreeMap<String, Usage> {
        std::mem::take(&mut *self.pending.borrow_mut())
    }

    /// Puts back counts whose flush failed.
    fn restore(&self, taken: BTreeMap<String, Usage>) {
        let mut pending = self.pending.borrow_mut();
        for (day, u) in taken {
            pending.entry(day).or_default().merge(&u);
        }
    }
}

/// The UTC day of an instant, `YYYY-MM-DD`.
pub fn day_of(ms: f64) -> String {
    iso_timestamp(ms).chars().take(10).collect()
}

/// One invocation: its own counts, and the isolate meter they also go to.
pub struct Invocation {
    /// The bindings before metering (for the invocations of Workflow steps).
    inner: Platform,
    meter: Rc<Meter>,
    clock: Rc<dyn Clock>,
    flush_ms: f64,
    own: RefCell<Usage>,
    flushed: Cell<bool>,
}

impl Invocation {
    fn count(&self, f: impl Fn(&mut Usage)) {
        f(&mut self.own.borrow_mut());
        self.meter.add(day_of(self.clock.now_ms()), f);
    }

    fn count_query(&self) {
        let n = {
            let mut own = self.own.borrow_mut();
            own.d1_queries += 1;
            own.d1_max_queries_per_invocation = own.d1_queries;
            own.d1_queries
        };
        self.meter.add(day_of(self.clock.now_ms()), |u| {
            u.d1_queries += 1;
            u.d1_max_queries_per_invocation = u.d1_max_queries_per_invocation.max(n);
        });
    }

    fn count_meta(&self, results: &[QueryResult]) {
        let read: u64 = results.iter().map(|r| r.meta.rows_read).sum();
        let written: u64 = results.iter().map(|r| r.meta.rows_written).sum();
        self.count(|u| {
            u.d1_rows_read += read;
            u.d1_rows_written += written;
        });
    }

    /// Rows an `/api/sql` query read (also counted in `d1_rows_read`).
    pub fn count_sql_rows_read(&self, rows: u64) {
        self.count(|u| u.sql_rows_read += rows);
    }

    /// Queues operations (`queue_ops`): sends, deliveries, acknowledgements.
    pub fn count_queue_operations(&self, n: u64) {
        self.count(|u| u.queue_operations += n);
    }

    /// What this invocation has used so far.
    pub fn used(&self) -> Usage {
        *self.own.borrow()
    }

    pub fn meter(&self) -> &Rc<Meter> {
        &self.meter
    }

    /// D1 calls this invocation may still make under `limit`.
    pub fn queries_left(&self, limit: u64) -> u64 {
        limit.saturating_sub(self.own.borrow().d1_queries)
    }

    /// The pending counts to append to a write batch: once per invocation.
    fn take_for_append(&self) -> Option<BTreeMap<String, Usage>> {
        if self.flushed.get() || self.meter.append_broken.get() {
            return None;
        }
        let taken = self.meter.take();
        if taken.values().all(Usage::is_empty) {
            self.meter.restore(taken);
            return None;
        }
        Some(taken)
    }

    fn flushed_now(&self) {
        self.flushed.set(true);
        self.meter.last_flush_ms.set(Some(self.clock.now_ms()));
    }

    /// Ends the invocation: persists the isolate's counts if this
    /// invocation did not already and the flush interval has passed.
    pub async fn finish(&self, db: &dyn Db) {
        let now = self.clock.now_ms();
        let last = self.meter.last_flush_ms.get().unwrap_or(now);
        if self.meter.last_flush_ms.get().is_none() {
            self.meter.last_flush_ms.set(Some(now));
        }
        if self.flushed.get() || (self.flush_ms > 0.0 && now - last < self.flush_ms) {
            return;
        }
        let taken = self.meter.take();
        let stmts = store::upserts(&taken);
        if stmts.is_empty() {
            return;
        }
        self.flushed.set(true);
        match db.batch(&stmts).await {
            Ok(results) => {
                self.meter.remember_returned(&results);
                self.flushed_now();
            }
            Err(e) => {
                tracing::warn!(error = %e, "usage: persisting the meter failed; kept for later");
                self.meter.restore(taken);
            }
        }
    }
}

/// The platform with D1, KV and Analytics Engine counted for one invocation
/// (which is counted as one request).
pub fn metered(platform: &Platform, meter: &Rc<Meter>, flush_ms: f64) -> Platform {
    let p = wrap(platform, meter, flush_ms);
    if let Some(inv) = &p.usage {
        inv.count(|u| u.requests += 1);
    }
    p
}

/// A new invocation for one Workflow step: the engine runs each step body
/// as its own invocation, with its own D1 calls. Counts go to the same
/// isolate meter; a step is not a request. Unmetered platforms stay so.
pub fn step_scope(platform: &Platform) -> Platform {
    match &platform.usage {
        Some(inv) => wrap(&inv.inner, &inv.meter, inv.flush_ms),
        None => platform.clone(),
    }
}

fn wrap(platform: &Platform, meter: &Rc<Meter>, flush_ms: f64) -> Platform {
    let inv = Rc::new(Invocation {
        inner: platform.clone(),
        meter: meter.clone(),
        clock: platform.clock.clone(),
        flush_ms,
        own: RefCell::new(Usage::default()),
        flushed: Cell::new(false),
    });
    Platform {
        db: Rc::new(MeteredDb {
            inner: platform.db.clone(),
            inv: inv.clone(),
        }),
        kv: Rc::new(MeteredKv {
            inner: platform.kv.clone(),
            inv: inv.clone(),
        }),
        queue: Rc::new(MeteredQueue {
            inner: platform.queue.clone(),
            inv: inv.clone(),
        }),
        analytics: Rc::new(MeteredAnalytics {
            inner: platform.analytics.clone(),
            inv: inv.clone(),
        }),
        usage: Some(inv),
        ..platform.clone()
    }
}

struct MeteredDb {
    inner: Rc<dyn Db>,
    inv: Rc<Invocation>,
}

fn is_write(stmt: &Statement) -> bool {
    let head: String = stmt
        .sql
        .trim_start()
        .chars()
        .take(7)
        .collect::<String>()
        .to_ascii_uppercase();
    ["INSERT", "UPDATE", "DELETE", "REPLACE"]
        .iter()
        .any(|w| head.starts_with(w))
}

impl MeteredDb {
    async fn plain_batch(&self, stmts: &[Statement]) -> PResult<Vec<QueryResult>> {
        self.inv.count_query();
        let results = self.inner.batch(stmts).await?;
        self.inv.count_meta(&results);
        Ok(results)
    }
}

impl Db for MeteredDb {
    fn query<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<QueryResult>> {
        Box::pin(async move {
            self.inv.count_query();
            let r = self.inner.query(stmt).await?;
            self.inv.count_meta(std::slice::from_ref(&r));
            Ok(r)
        })
    }

    fn query_text<'a>(
        &'a self,
        stmt: &'a Statement,
        column: &'a str,
    ) -> BoxFut<'a, PResult<TextResult>> {
        Box::pin(async move {
            self.inv.count_query();
            let r = self.inner.query_text(stmt, column).await?;
            self.inv.count_meta(&[QueryResult {
                rows: Vec::new(),
                meta: r.meta.clone(),
            }]);
            Ok(r)
        })
    }

    fn query_json<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<JsonRows>> {
        Box::pin(async move {
            self.inv.count_query();
            let r = self.inner.query_json(stmt).await?;
            self.inv.count_meta(&[QueryResult {
                rows: Vec::new(),
                meta: r.meta.clone(),
            }]);
            Ok(r)
        })
    }

    fn batch<'a>(&'a self, stmts: &'a [Statement]) -> BoxFut<'a, PResult<Vec<QueryResult>>> {
        Box::pin(async move {
            let taken = if stmts.iter().any(is_write) {
                self.inv.take_for_append()
            } else {
                None
            };
            let Some(taken) = taken else {
                return self.plain_batch(stmts).await;
            };
            let mut all = stmts.to_vec();
            all.extend(store::upserts(&taken));
            self.inv.count_query();
            match self.inner.batch(&all).await {
                Ok(mut results) => {
                    self.inv.count_meta(&results);
                    self.inv
                        .meter
                        .remember_returned(results.get(stmts.len()..).unwrap_or(&[]));
                    self.inv.flushed_now();
                    results.truncate(stmts.len());
                    Ok(results)
                }
                Err(e) => {
                    // Ours or theirs? Retry without the usage upsert.
                    self.inv.meter.restore(taken);
                    let retried = self.plain_batch(stmts).await;
                    if retried.is_ok() {
                        tracing::warn!(error = %e, "usage: appending to a batch failed; flushing alone from now on");
                        self.inv.meter.append_broken.set(true);
                    }
                    retried
                }
            }
        })
    }
}

struct MeteredKv {
    inner: Rc<dyn Kv>,
    inv: Rc<Invocation>,
}

impl Kv for MeteredKv {
    fn get<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<Option<String>>> {
        self.inv.count(|u| u.kv_reads += 1);
        self.inner.get(key)
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl_seconds: Option<u64>,
    ) -> BoxFut<'a, PResult<()>> {
        self.inv.count(|u| u.kv_writes += 1);
        self.inner.put(key, value, ttl_seconds)
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<()>> {
        self.inv.count(|u| u.kv_deletes += 1);
        self.inner.delete(key)
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFut<'a, PResult<Vec<String>>> {
        Box::pin(async move {
            let r = self.inner.list(prefix).await;
            // One list operation per page of up to 1,000 keys.
            let keys = r.as_ref().map_or(0, |k| k.len() as u64);
            let pages = keys.div_ceil(KV_LIST_PAGE).max(1);
            self.inv.count(|u| u.kv_lists += pages);
            r
        })
    }
}

struct MeteredAnalytics {
    inner: Rc<dyn Analytics>,
    inv: Rc<Invocation>,
}

impl Analytics for MeteredAnalytics {
    fn write(&self, point: DataPoint) -> PResult<()> {
        self.inv.count(|u| u.analytics_points += 1);
        self.inner.write(point)
    }
}
