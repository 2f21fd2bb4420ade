//! The usage meter on native parts: its counts equal the sums of D1's own
//! `meta`, re-syncing unchanged data writes nothing, read-only requests
//! defer persisting, `/api/db/info`'s contract, and the quota-aware
//! backfill pausing until the next UTC day.

mod support;

use oura_edge::router::{BoxFut, Method, Res};
use oura_edge::services::collections::{rows_for, REGISTRY};
use oura_edge::services::platform::native::SqliteDb;
use oura_edge::services::platform::{DataPoint, Db, PResult, Platform, QueryResult, Statement};
use oura_edge::services::try_block_on;
use oura_edge::services::usage::{self, metered, Meter, Usage, FIELDS};
use oura_edge::services::writer::write;
use serde_json::json;
use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use support::{bearer, body_json, fixture, req, TestApp, ADMIN, GRAFANA};

const TODAY: &str = "2026-01-15";
const DAY_MS: f64 = 86_400_000.0;

fn run<F: Future>(f: F) -> F::Output {
    try_block_on(f).expect("native futures complete")
}

/// A pass-through D1 that sums what D1 itself reports, independently of the meter.
struct MetaSums {
    inner: Rc<SqliteDb>,
    calls: Cell<u64>,
    read: Cell<u64>,
    written: Cell<u64>,
}

impl MetaSums {
    fn add(&self, results: &[QueryResult]) {
        for r in results {
            self.read.set(self.read.get() + r.meta.rows_read);
            self.written.set(self.written.get() + r.meta.rows_written);
        }
    }
}

impl Db for MetaSums {
    fn query<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<QueryResult>> {
        Box::pin(async move {
            self.calls.set(self.calls.get() + 1);
            let r = self.inner.query(stmt).await?;
            self.add(std::slice::from_ref(&r));
            Ok(r)
        })
    }

    fn batch<'a>(&'a self, stmts: &'a [Statement]) -> BoxFut<'a, PResult<Vec<QueryResult>>> {
        Box::pin(async move {
            self.calls.set(self.calls.get() + 1);
            let r = self.inner.batch(stmts).await?;
            self.add(&r);
            Ok(r)
        })
    }
}

/// What `usage_daily` holds for `day`, read past the meter.
fn stored(db: &SqliteDb, day: &str) -> Usage {
    run(db.query(&Statement::new(
        "SELECT * FROM usage_daily WHERE day = ?1",
        vec![json!(day)],
    )))
    .unwrap()
    .rows
    .first()
    .map(Usage::from_row)
    .unwrap_or_default()
}

fn stored_days(db: &SqliteDb) -> usize {
    run(db.query(&Statement::new("SELECT day FROM usage_daily", vec![])))
        .unwrap()
        .rows
        .len()
}

#[test]
fn the_meter_matches_the_sums_of_d1_meta() {
    let app = TestApp::new();
    let n = &app.native;
    let sums = Rc::new(MetaSums {
        inner: n.db.clone(),
        calls: Cell::new(0),
        read: Cell::new(0),
        written: Cell::new(0),
    });
    let base = Platform {
        db: sums.clone(),
        ..n.platform.clone()
    };
    let meter = Meter::new();
    // Known work: one invocation per collection writing its fixture (and a
    // KV read and write), then one reading back, listing and logging.
    let mut data_rows = 0;
    for c in REGISTRY {
        let p = metered(&base, &meter, 0.0);
        let (rows, _) = rows_for(c, &fixture(c.name));
        let report = run(write(p.db.as_ref(), &rows, "2026-01-15T12:00:00.000Z")).unwrap();
        data_rows += rows.row_count() as u64;
        assert!(report.rows_written > 0, "{}", c.name);
        run(p.kv.get("some-key")).unwrap();
        run(p.kv.put("some-key", "v", None)).unwrap();
        run(usage::finish(&p));
    }
    let p = metered(&base, &meter, 0.0);
    run(p.db.query(&Statement::new(
        "SELECT COUNT(*) AS n FROM heart_rate_samples",
        vec![],
    )))
    .unwrap();
    run(p.kv.list("some")).unwrap();
    run(p.kv.delete("some-key")).unwrap();
    p.analytics.write(DataPoint::default()).unwrap();
    run(usage::finish(&p));

    let mut total = stored(&n.db, TODAY);
    total.merge(&meter.pending(TODAY));
    assert_eq!(total.d1_queries, sums.calls.get());
    assert_eq!(total.d1_rows_read, sums.read.get());
    assert_eq!(total.d1_rows_written, sums.written.get());
    // Index entries count as written rows, as on D1.
    assert!(total.d1_rows_written > data_rows, "{total:?}");
    let invocations = REGISTRY.len() as u64 + 1;
    assert_eq!(total.requests, invocations);
    assert_eq!(
        (
            total.kv_reads,
            total.kv_writes,
            total.kv_lists,
            total.kv_deletes
        ),
        (REGISTRY.len() as u64, REGISTRY.len() as u64, 1, 1)
    );
    assert_eq!(total.analytics_points, 1);
    // A writing invocation carries the flush in its batch (one call); the
    // reading one makes its query plus the flush.
    assert_eq!(total.d1_max_queries_per_invocation, 2);
    assert_eq!(stored_days(&n.db), 1);
}

#[test]
fn re_syncing_unchanged_data_writes_no_rows() {
    let app = TestApp::new();
    let meter = Meter::new();
    let mut meter_rows = Vec::new();
    let mut data_written = Vec::new();
    for _ in 0..2 {
        let p = metered(&app.native.platform, &meter, 3_600_000.0);
        let mut written = 0;
        for c in REGISTRY {
            let (rows, _) = rows_for(c, &fixture(c.name));
            written += run(write(p.db.as_ref(), &rows, "2026-01-15T12:00:00.000Z"))
                .unwrap()
                .rows_written;
        }
        data_written.push(written);
        meter_rows.push(p.usage.as_ref().unwrap().used().d1_rows_written - written);
        run(usage::finish(&p));
    }
    assert!(data_written[0] > 0);
    assert_eq!(data_written[1], 0, "from D1's meta: nothing changed");
    // The only row the re-sync wrote is the meter's own (its upsert rode
    // in the first write batch).
    assert_eq!(meter_rows, vec![1, 1]);
}

fn get(app: &TestApp, path: &str, token: &str) -> Res {
    app.send(req(Method::Get, path).with_header("authorization", &bearer(token)))
}

#[test]
fn db_info_reports_today_and_yesterday_beside_the_quotas() {
    let mut app = TestApp::new().metered();
    app.set_var("USAGE_FLUSH_SECONDS", "0");
    for _ in 0..3 {
        assert_eq!(get(&app, "/api/stats", GRAFANA).status, 200);
    }
    let info = body_json(&get(&app, "/api/db/info", GRAFANA));
    let u = &info["usage"];
    for f in FIELDS {
        assert!(u["today"][f].is_u64(), "today.{f}: {u}");
        assert_eq!(u["yesterday"][f], 0, "yesterday.{f}");
        assert!(
            u["quotas"][f].is_u64() || f == "d1_queries",
            "quotas.{f}: {u}"
        );
    }
    assert!(u["quotas"]["d1_queries"].is_null(), "no daily query quota");
    assert_eq!(u["quotas"]["d1_rows_written"], 100_000);
    assert_eq!(u["quotas"]["d1_rows_read"], 5_000_000);
    assert_eq!(u["quotas"]["kv_writes"], 1_000);
    assert_eq!(u["quotas"]["d1_max_queries_per_invocation"], 50);
    // Three reads and this one.
    assert_eq!(u["today"]["requests"], 4);
    assert!(u["today"]["d1_queries"].as_u64().unwrap() >= 4);
    assert!(u["today"]["d1_rows_read"].as_u64().unwrap() > 0);

    // The next UTC day: what was today is yesterday.
    app.native.clock.advance(DAY_MS);
    let next = body_json(&get(&app, "/api/db/info", GRAFANA));
    assert_eq!(next["usage"]["yesterday"]["requests"], 4);
    assert_eq!(next["usage"]["today"]["requests"], 1);
    assert_eq!(next["usage"]["days"]["today"], "2026-01-16");

    // A paid plan's quotas come from vars.
    app.set_var("D1_QUERIES_PER_INVOCATION", "1000");
    app.set_var("USAGE_QUOTA_D1_ROWS_WRITTEN", "50000000");
    let paid = body_json(&get(&app, "/api/db/info", GRAFANA));
    assert_eq!(
        paid["usage"]["quotas"]["d1_max_queries_per_invocation"],
        1000
    );
    assert_eq!(paid["usage"]["quotas"]["d1_rows_written"], 50_000_000);
}

#[test]
fn read_only_requests_persist_once_per_flush_interval() {
    let app = TestApp::new().metered();
    for _ in 0..10 {
        get(&app, "/api/stats", GRAFANA);
    }
    assert_eq!(stored_days(&app.native.db), 0, "nothing persisted yet");
    // Yet the isolate's counts are visible.
    let info = body_json(&get(&app, "/api/db/info", GRAFANA));
    assert_eq!(info["usage"]["today"]["requests"], 11);

    app.native.clock.advance(61_000.0);
    get(&app, "/api/stats", GRAFANA);
    let first = stored(&app.native.db, TODAY);
    assert_eq!(first.requests, 12, "one upsert carried all twelve");
    for _ in 0..5 {
        get(&app, "/api/stats", GRAFANA);
    }
    assert_eq!(
        stored(&app.native.db, TODAY),
        first,
        "no write within the interval"
    );
    let info = body_json(&get(&app, "/api/db/info", GRAFANA));
    assert_eq!(info["usage"]["today"]["requests"], 18);
    // The meter's own upsert is counted like any write.
    assert!(info["usage"]["today"]["d1_rows_written"].as_u64().unwrap() >= 1);
}

#[test]
fn admins_see_usage_on_health_and_token_holders_on_status() {
    let app = TestApp::new().metered();
    let admin = body_json(
        &app.send(req(Method::Get, "/health").with_header("authorization", &bearer(ADMIN))),
    );
    assert!(
        admin["usage"]["today"]["requests"].as_u64().unwrap() >= 1,
        "{admin}"
    );
    assert_eq!(admin["usage"]["quotas"]["kv_lists"], 1_000);
    let grafana = body_json(
        &app.send(
            req(Method::Get, "/health")
                .with_header("authorization", &bearer(GRAFANA))
                .with_header("cf-connecting-ip", "203.0.113.99"),
        ),
    );
    assert!(grafana.get("usage").is_none(), "{grafana}");
    let page = get(&app, "/status", GRAFANA);
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(html.contains("Usage today (UTC)"), "{html}");
    assert!(html.contains("d1_rows_written"));
    assert!(html.contains("100000"));
}

/// Analytics points are counted where they are written (auth attempts).
#[test]
fn analytics_points_are_counted() {
    let app = TestApp::new().metered();
    get(&app, "/api/stats", GRAFANA);
    let points = app.native.analytics.points().len() as u64;
    assert!(points > 0);
    let info = body_json(&get(&app, "/api/db/info", GRAFANA));
    assert_eq!(
        info["usage"]["today"]["analytics_points"].as_u64().unwrap(),
        app.native.analytics.points().len() as u64
    );
}

/// The writer's batches are a write: the meter must never break them, even
/// where `usage_daily` is missing (a database not yet migrated to 0017).
#[test]
fn writes_go_through_when_the_usage_table_is_missing() {
    let app = TestApp::new();
    app.native.db.exec_script("DROP TABLE usage_daily").unwrap();
    let meter = Meter::new();
    for _ in 0..2 {
        let p = metered(&app.native.platform, &meter, 0.0);
        let c = &REGISTRY[0];
        let (rows, _) = rows_for(c, &fixture(c.name));
        run(write(p.db.as_ref(), &rows, "2026-01-15T12:00:00.000Z")).unwrap();
        run(usage::finish(&p));
    }
    assert!(meter.pending(TODAY).requests >= 2, "kept for later");
}
