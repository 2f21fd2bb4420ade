//! `/api/sql`'s share of the daily D1 read quota, in-process on metered
//! invocations: 200 under the share, 429 naming the reset once the rows it
//! read reach it (admin too), ingestion and `/status` unaffected, a new
//! share at 00:00 UTC, isolates sharing the count through `usage_daily`,
//! and the check costing no D1 call once an isolate knows today's row.

mod support;

use chrono::NaiveDate;
use oura_edge::router::{BoxFut, Method, Res};
use oura_edge::services::oura::COLLECTIONS_KV_KEY;
use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{Clock, Db, Kv, PResult, QueryResult, Statement};
use oura_edge::services::sql_cache::CACHE_MIN_ROWS_READ;
use oura_edge::services::try_block_on;
use oura_edge::services::usage::Meter;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use support::*;

const DAY_MS: f64 = 86_400_000.0;
const API: &str = "https://oura.test";
/// The test clock's next 00:00 UTC, 12 hours ahead.
const RESET: &str = "2026-01-16T00:00:00.000Z";
const RESET_MS: f64 = NOW_MS + DAY_MS / 2.0;

/// Metered, filled, `/api/sql` allowed `limit` rows a day (1 % of the quota).
fn app(limit: u64, flush_seconds: u64) -> TestApp {
    let mut t = TestApp::new().with_fixtures().metered();
    t.set_var("USAGE_QUOTA_D1_ROWS_READ", &(limit * 100).to_string());
    t.set_var("SQL_READ_SHARE_PERCENT", "1");
    t.set_var("USAGE_FLUSH_SECONDS", &flush_seconds.to_string());
    t
}

/// A query no earlier one matched (so never a cache hit) reading ~`n` rows.
fn query(t: &TestApp, token: &str, n: u64) -> Res {
    let sql = format!("SELECT timestamp, bpm FROM heart_rate_samples ORDER BY timestamp LIMIT {n}");
    t.send(
        req(Method::Post, "/api/sql")
            .with_header("authorization", &bearer(token))
            .with_body(json!({"sql": sql}).to_string()),
    )
}

fn rows_read(res: &Res) -> u64 {
    body_json(res)["meta"]["rows_read"].as_u64().unwrap_or(0)
}

/// Sends distinct queries until one is refused; returns the rows the
/// admitted ones read.
fn spend_until_refused(t: &TestApp, limit: u64) -> (u64, Res) {
    let mut read = 0;
    for n in 1..=limit + 1 {
        let res = query(t, GRAFANA, n);
        if res.status != 200 {
            return (read, res);
        }
        assert!(read < limit, "admitted at {read} of {limit}");
        read += rows_read(&res);
    }
    panic!("never refused after reading {read} of {limit}");
}

/// A 429 naming the next 00:00 UTC, with `Retry-After` the seconds until then.
fn assert_refusal(t: &TestApp, res: &Res) {
    assert_eq!(res.status, 429, "{}", String::from_utf8_lossy(&res.body));
    let body = body_json(res);
    let error = body["error"].as_str().unwrap_or("");
    let hint = body["hint"].as_str().unwrap_or("");
    assert!(error.contains(RESET), "{body}");
    assert!(hint.contains(RESET) && hint.contains("ingestion"), "{body}");
    let to_midnight = ((RESET_MS - t.native.clock.now_ms()) / 1000.0).ceil();
    assert_eq!(
        res.header("retry-after"),
        Some(to_midnight.to_string().as_str())
    );
}

#[test]
fn grafana_reads_its_share_then_gets_429_until_utc_midnight() {
    let t = app(40, 3600);
    let (read, refused) = spend_until_refused(&t, 40);
    assert!(read >= 40, "refused at {read} rows, under the share");
    assert_refusal(&t, &refused);
    // The admin token is limited by the same share.
    assert_refusal(&t, &query(&t, ADMIN, 3));
    // Refusals read nothing, so the count stays where it was.
    let info = body_json(
        &t.send(req(Method::Get, "/api/db/info").with_header("authorization", &bearer(GRAFANA))),
    );
    assert_eq!(info["usage"]["today"]["sql_rows_read"], read, "{info}");
    assert_eq!(info["usage"]["quotas"]["sql_rows_read"], 40);

    t.native.clock.advance(DAY_MS / 2.0);
    let next_day = query(&t, GRAFANA, 3);
    assert_eq!(next_day.status, 200, "a new share at 00:00 UTC");
    assert_eq!(
        body_json(&next_day)["results"].as_array().map(Vec::len),
        Some(3)
    );
}

#[test]
fn a_cached_result_is_still_served_after_the_share_is_used() {
    let mut t = app(1_000_000, 3600);
    let costly = json!({"sql": "SELECT timestamp, bpm FROM heart_rate_samples UNION ALL SELECT timestamp, bpm FROM heart_rate_samples"})
        .to_string();
    let send = |t: &TestApp| {
        t.send(
            req(Method::Post, "/api/sql")
                .with_header("authorization", &bearer(GRAFANA))
                .with_body(costly.clone()),
        )
    };
    // Two sightings store it; the first reads R rows, the share is R + 1.
    let first = send(&t);
    assert_eq!(first.status, 200);
    let r = rows_read(&first);
    assert!(r >= CACHE_MIN_ROWS_READ, "costly enough to be cached: {r}");
    t.set_var("USAGE_QUOTA_D1_ROWS_READ", &((r + 1) * 100).to_string());
    assert_eq!(send(&t).status, 200);
    assert_eq!(query(&t, GRAFANA, 1).status, 429);
    let hit = send(&t);
    assert_eq!(hit.status, 200);
    assert_eq!(hit.header("x-cache"), Some("HIT"));
}

fn connect(t: &mut TestApp) {
    for (k, v) in [
        ("OURA_API_BASE_URL", API),
        ("OURA_CLIENT_ID", "client-id"),
        ("OURA_CLIENT_SECRET", "client-secret"),
    ] {
        t.set_var(k, v);
    }
    let n = &t.native;
    store_tokens(n, NOW_MS + 400.0 * DAY_MS);
    let cached = json!({"collections": ["heartrate"], "unknown": []}).to_string();
    try_block_on(n.kv.put(COLLECTIONS_KV_KEY, &cached, None))
        .unwrap()
        .unwrap();
}

fn count(t: &TestApp, sql: &str) -> i64 {
    try_block_on(t.native.db.query(&Statement::new(sql, vec![])))
        .unwrap()
        .unwrap()
        .rows[0]["n"]
        .as_i64()
        .unwrap()
}

#[test]
fn ingestion_and_status_keep_working_after_the_share_is_used() {
    let mut t = app(40, 0);
    connect(&mut t);
    let (_, refused) = spend_until_refused(&t, 40);
    assert_refusal(&t, &refused);

    // A sync of a day not in the fixtures: Oura answers, rows are written.
    let day = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
    let samples: Vec<Value> = (0..48)
        .map(|i| json!({"bpm": 60 + i % 20, "source": "awake", "timestamp": format!("{day}T{:02}:{:02}:00+00:00", i / 2, (i % 2) * 30)}))
        .collect();
    t.native.http.on(
        &format!("{API}/v2/usercollection/heartrate"),
        200,
        &json!({"data": samples, "next_token": null}).to_string(),
    );
    let before = count(&t, "SELECT COUNT(*) AS n FROM heart_rate_samples");
    let synced = t.send(
        req(
            Method::Post,
            &format!("/api/admin/sync?start={day}&end={day}&collections=heartrate"),
        )
        .with_header("authorization", &bearer(ADMIN)),
    );
    assert_eq!(
        synced.status,
        200,
        "{}",
        String::from_utf8_lossy(&synced.body)
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) AS n FROM heart_rate_samples"),
        before + 48
    );

    let status = t.send(req(Method::Get, "/status").with_header("authorization", &bearer(GRAFANA)));
    assert_eq!(status.status, 200);
    assert!(String::from_utf8_lossy(&status.body).contains("sql_rows_read"));
    assert_eq!(query(&t, GRAFANA, 2).status, 429, "still refused");
}

/// A pass-through D1 that keeps every statement's text.
struct Recording {
    inner: Rc<SqliteDb>,
    seen: RefCell<Vec<String>>,
}

impl Recording {
    /// Statements since the last call that read `usage_daily` directly.
    fn usage_reads(&self) -> usize {
        self.seen
            .borrow_mut()
            .drain(..)
            .filter(|s| s.starts_with("SELECT") && s.contains("FROM usage_daily"))
            .count()
    }
}

impl Db for Recording {
    fn query<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<QueryResult>> {
        self.seen.borrow_mut().push(stmt.sql.clone());
        self.inner.query(stmt)
    }

    fn batch<'a>(&'a self, stmts: &'a [Statement]) -> BoxFut<'a, PResult<Vec<QueryResult>>> {
        self.seen
            .borrow_mut()
            .extend(stmts.iter().map(|s| s.sql.clone()));
        self.inner.batch(stmts)
    }
}

fn recorded(t: &mut TestApp) -> Rc<Recording> {
    let rec = Rc::new(Recording {
        inner: t.native.db.clone(),
        seen: RefCell::new(Vec::new()),
    });
    t.native.platform.db = rec.clone();
    rec
}

#[test]
fn the_check_reads_usage_daily_once_per_isolate_and_day() {
    let mut t = app(1_000_000, 3600);
    let rec = recorded(&mut t);
    assert_eq!(query(&t, GRAFANA, 1).status, 200);
    assert_eq!(
        rec.usage_reads(),
        1,
        "an isolate's first check loads today's row"
    );
    for n in 2..20 {
        assert_eq!(query(&t, GRAFANA, n).status, 200);
    }
    assert_eq!(
        rec.usage_reads(),
        0,
        "later checks use what the meter knows"
    );
    t.native.clock.advance(DAY_MS);
    assert_eq!(query(&t, GRAFANA, 1).status, 200);
    assert_eq!(rec.usage_reads(), 1, "a new day's row, once");
}

#[test]
fn isolates_share_the_count_through_the_meter_s_upserts() {
    // Every invocation flushes: what one isolate spent is persisted at once.
    let mut t = app(100, 0);
    let rec = recorded(&mut t);
    let a = Meter::new();
    t.meter = Some(a.clone());
    let first = query(&t, GRAFANA, 30);
    assert_eq!(first.status, 200);
    let a_read = rows_read(&first);
    assert!((30..100).contains(&a_read), "{a_read}");

    // Another isolate starts from the stored row and spends the rest: less
    // than the share, which it would have read alone.
    t.meter = Some(Meter::new());
    let (read, refused) = spend_until_refused(&t, 100);
    assert_refusal(&t, &refused);
    assert!(
        a_read + read >= 100 && read < 100,
        "the second isolate counted the first one's {a_read} rows: {read}"
    );

    // The first isolate learns it from its next upsert's RETURNING, not a read.
    t.meter = Some(a);
    let other =
        t.send(req(Method::Get, "/api/stats").with_header("authorization", &bearer(GRAFANA)));
    assert_eq!(other.status, 200);
    rec.usage_reads();
    assert_refusal(&t, &query(&t, GRAFANA, 2));
    assert_eq!(rec.usage_reads(), 0);
}
