//! A platform that answers from memory, for rehearsing real code paths at
//! startup: nothing it does leaves the isolate. D1 runs no SQL: it knows
//! one OAuth token, returns no other rows and says each write changed a
//! row; KV is a map holding the collections discovery cached; Oura answers
//! heart rate with one page of made-up samples and any other collection
//! with one bare daily document.

use crate::services::collections::REGISTRY;
use crate::services::oura::COLLECTIONS_KV_KEY;
use crate::services::platform::{
    Analytics, BoxFut, Clock, DataPoint, Db, HttpClient, Kv, OutRequest, OutResponse, PResult,
    Platform, QueryMeta, QueryResult, Queue, RateLimiter, Row, Sleeper, Statement, Workflows,
};
use crate::services::time::iso_timestamp;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// 2026-01-01T00:00:00Z: the stage's fixed "now".
const NOW_MS: f64 = 1_767_225_600_000.0;
/// The first day of the window a rehearsal syncs (`warm_up`'s `Params`).
const WINDOW_START_MS: f64 = NOW_MS - 5.0 * 86_400_000.0;
/// Samples in the made-up page. A window's write is built from the page as
/// a whole, so a few reach the same code as 1,440, and cost startup less.
const SAMPLES: usize = 48;

/// The stage's platform, and what is sent on its queue.
pub fn platform() -> (Platform, Rc<Queued>) {
    let queued = Rc::new(Queued::default());
    let platform = Platform {
        db: Rc::new(StageDb),
        kv: Rc::new(StageKv::with_discovery()),
        queue: queued.clone(),
        http: Rc::new(StageOura),
        limiter: Rc::new(Nothing),
        analytics: Rc::new(Nothing),
        workflows: Rc::new(Nothing),
        clock: Rc::new(Nothing),
        sleeper: Rc::new(Nothing),
        usage: None,
    };
    (platform, queued)
}

/// The queue: it keeps each message, for the rehearsal to deliver.
#[derive(Default)]
pub struct Queued(RefCell<Vec<Value>>);

impl Queued {
    pub fn last(&self) -> Option<Value> {
        self.0.borrow().last().cloned()
    }
}

impl Queue for Queued {
    fn send<'a>(&'a self, message: &'a Value) -> BoxFut<'a, PResult<()>> {
        self.0.borrow_mut().push(message.clone());
        Box::pin(async { Ok(()) })
    }
}

struct StageDb;

/// A token for `tokens::load`, nothing for any other read; a write changes
/// one row.
fn answer(stmt: &Statement) -> QueryResult {
    if stmt.sql.contains("FROM oura_oauth_tokens") {
        let token = json!({
            "access_token": "stage",
            "refresh_token": "stage",
            "expires_at": NOW_MS + 86_400_000.0,
            "scope": "heartrate",
            "token_type": "Bearer",
            "updated_at": "2026-01-01T00:00:00Z",
        });
        let row: Row = token.as_object().cloned().unwrap_or_default();
        return QueryResult {
            rows: vec![row],
            meta: QueryMeta::default(),
        };
    }
    let writes = !stmt
        .sql
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("SELECT");
    QueryResult {
        rows: Vec::new(),
        meta: QueryMeta {
            rows_written: u64::from(writes),
            changes: u64::from(writes),
            ..QueryMeta::default()
        },
    }
}

impl Db for StageDb {
    fn query<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<QueryResult>> {
        Box::pin(async move { Ok(answer(stmt)) })
    }

    fn batch<'a>(&'a self, stmts: &'a [Statement]) -> BoxFut<'a, PResult<Vec<QueryResult>>> {
        Box::pin(async move { Ok(stmts.iter().map(answer).collect()) })
    }
}

struct StageKv(RefCell<BTreeMap<String, String>>);

impl StageKv {
    /// Holds what discovery caches for a day (so a cron run reads it, as
    /// most runs do): every collection of the registry.
    fn with_discovery() -> StageKv {
        let names: Vec<&str> = REGISTRY.iter().map(|c| c.name).collect();
        let cached = json!({"collections": names, "unknown": []}).to_string();
        StageKv(RefCell::new(BTreeMap::from([(
            COLLECTIONS_KV_KEY.to_string(),
            cached,
        )])))
    }
}

impl Kv for StageKv {
    fn get<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<Option<String>>> {
        Box::pin(async move { Ok(self.0.borrow().get(key).cloned()) })
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a str, _: Option<u64>) -> BoxFut<'a, PResult<()>> {
        self.0.borrow_mut().insert(key.into(), value.into());
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<()>> {
        self.0.borrow_mut().remove(key);
        Box::pin(async { Ok(()) })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFut<'a, PResult<Vec<String>>> {
        let keys = self
            .0
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        Box::pin(async move { Ok(keys) })
    }
}

/// Oura: heart rate gets a page of `SAMPLES` samples, the rest one bare
/// daily document.
struct StageOura;

fn heart_rate_page() -> String {
    let data: Vec<Value> = (0..SAMPLES)
        .map(|i| {
            let at = iso_timestamp(WINDOW_START_MS + i as f64 * 300_000.0);
            json!({"bpm": 60 + i % 20, "source": "awake", "timestamp": at})
        })
        .collect();
    json!({"data": data, "next_token": null}).to_string()
}

/// One document with only what every daily collection's has: enough for
/// the first collection a cron run syncs (daily activity) to be written.
fn daily_page() -> String {
    let doc = json!({"id": "stage", "day": iso_timestamp(NOW_MS).get(..10)});
    json!({"data": [doc], "next_token": null}).to_string()
}

impl HttpClient for StageOura {
    fn send<'a>(&'a self, req: OutRequest) -> BoxFut<'a, PResult<OutResponse>> {
        Box::pin(async move {
            let page = if req.url.contains("/usercollection/heartrate") {
                heart_rate_page()
            } else {
                daily_page()
            };
            Ok(OutResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: page.into_bytes(),
            })
        })
    }
}

/// Every binding the rehearsed paths touch only in passing.
struct Nothing;

impl RateLimiter for Nothing {
    fn limit<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFut<'a, PResult<bool>> {
        Box::pin(async { Ok(true) })
    }
}

impl Analytics for Nothing {
    fn write(&self, _: DataPoint) -> PResult<()> {
        Ok(())
    }
}

impl Workflows for Nothing {
    fn create<'a>(&'a self, _: Option<&'a str>, _: &'a Value) -> BoxFut<'a, PResult<String>> {
        Box::pin(async { Ok("stage".to_string()) })
    }

    fn status<'a>(&'a self, _: &'a str) -> BoxFut<'a, PResult<Option<Value>>> {
        Box::pin(async { Ok(None) })
    }
}

impl Clock for Nothing {
    fn now_ms(&self) -> f64 {
        NOW_MS
    }
}

impl Sleeper for Nothing {
    fn sleep(&self, _: u64) -> BoxFut<'_, ()> {
        Box::pin(async {})
    }
}
