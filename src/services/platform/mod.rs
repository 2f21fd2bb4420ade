//! What the Worker gets from Cloudflare, behind small object-safe traits.
//! `worker` adapters (wasm32) wrap the real bindings; `native` implementations
//! (host) are real too — SQLite, in-memory KV with TTLs — and back the tests.

use serde_json::{Map, Value};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod worker;

/// Bindings are single-threaded (one thread per isolate), so their futures
/// are boxed without `Send`.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A binding failed: the message is for logs, never for callers.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformError(pub String);

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlatformError {}

impl PlatformError {
    pub fn new(msg: impl Into<String>) -> PlatformError {
        PlatformError(msg.into())
    }
}

pub type PResult<T> = Result<T, PlatformError>;

/// One row as D1 returns it: column name → JSON value.
pub type Row = Map<String, Value>;

/// D1's per-statement `meta`: what a statement cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryMeta {
    pub rows_read: u64,
    pub rows_written: u64,
    pub changes: u64,
    pub last_row_id: Option<i64>,
    pub size_after: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    pub rows: Vec<Row>,
    pub meta: QueryMeta,
}

/// A statement with its bound parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Statement {
        Statement {
            sql: sql.into(),
            params,
        }
    }
}

/// D1. Parameters and values are JSON: D1 lives in JavaScript's number world
/// (integers are exact up to 2^53).
pub trait Db {
    fn query<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<QueryResult>>;
    /// Runs all statements atomically (D1 runs a batch as one transaction).
    fn batch<'a>(&'a self, stmts: &'a [Statement]) -> BoxFut<'a, PResult<Vec<QueryResult>>>;

    /// The first row with its column `column` (text or NULL) taken apart:
    /// for one large text SQLite built (an export page), which the Worker
    /// hands over as it is instead of through `query`'s JSON round trip of
    /// every row.
    fn query_text<'a>(
        &'a self,
        stmt: &'a Statement,
        column: &'a str,
    ) -> BoxFut<'a, PResult<TextResult>> {
        Box::pin(async move {
            let QueryResult { mut rows, meta } = self.query(stmt).await?;
            let mut row = (!rows.is_empty()).then(|| rows.swap_remove(0));
            let text = row
                .as_mut()
                .and_then(|r| r.remove(column))
                .and_then(|v| match v {
                    Value::String(s) => Some(Text::Owned(s)),
                    _ => None,
                });
            Ok(TextResult { text, row, meta })
        })
    }

    /// The rows as one JSON array, with their count: for rows handed on
    /// as they are (`/api/sql`), which the Worker takes from D1 with one
    /// `JSON.stringify` and never parses row by row.
    fn query_json<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<JsonRows>> {
        Box::pin(async move {
            let QueryResult { rows, meta } = self.query(stmt).await?;
            let json =
                serde_json::to_string(&rows).map_err(|e| PlatformError::new(e.to_string()))?;
            Ok(JsonRows {
                json,
                count: rows.len(),
                meta,
            })
        })
    }
}

/// `Db::query_json`'s answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonRows {
    /// A JSON array of row objects, columns in the query's order.
    pub json: String,
    pub count: usize,
    pub meta: QueryMeta,
}

/// `Db::query_text`'s answer.
#[derive(Debug, Clone)]
pub struct TextResult {
    pub text: Option<Text>,
    /// The rest of the first row; `None` without rows.
    pub row: Option<Row>,
    pub meta: QueryMeta,
}

/// Text where the platform holds it: on the Worker a JS string (an export
/// page D1 built), which a response can send without a copy through Rust.
#[derive(Debug, Clone)]
pub enum Text {
    Owned(String),
    #[cfg(target_arch = "wasm32")]
    Js(js_sys::JsString),
}

impl Text {
    /// The text in Rust (a copy, for the Worker's JS string).
    pub fn to_rust(&self) -> String {
        match self {
            Text::Owned(s) => s.clone(),
            #[cfg(target_arch = "wasm32")]
            Text::Js(s) => String::from(s),
        }
    }
}

/// Workers KV.
pub trait Kv {
    fn get<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<Option<String>>>;
    /// `ttl_seconds` below KV's minimum of 60 is raised to 60.
    fn put<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl_seconds: Option<u64>,
    ) -> BoxFut<'a, PResult<()>>;
    fn delete<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<()>>;
    fn list<'a>(&'a self, prefix: &'a str) -> BoxFut<'a, PResult<Vec<String>>>;
}

/// KV refuses TTLs under a minute; every implementation applies the same floor.
pub const KV_MIN_TTL_SECONDS: u64 = 60;

/// A Cloudflare Queue producer.
pub trait Queue {
    fn send<'a>(&'a self, message: &'a Value) -> BoxFut<'a, PResult<()>>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl OutRequest {
    pub fn get(url: impl Into<String>) -> OutRequest {
        OutRequest {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Outbound `fetch`.
pub trait HttpClient {
    fn send<'a>(&'a self, req: OutRequest) -> BoxFut<'a, PResult<OutResponse>>;
}

/// The `[[ratelimits]]` bindings, by binding name. `Ok(true)` means allowed.
pub trait RateLimiter {
    fn limit<'a>(&'a self, binding: &'a str, key: &'a str) -> BoxFut<'a, PResult<bool>>;
}

/// One Analytics Engine data point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataPoint {
    pub indexes: Vec<String>,
    pub doubles: Vec<f64>,
    pub blobs: Vec<String>,
}

/// Analytics Engine: fire and forget.
pub trait Analytics {
    fn write(&self, point: DataPoint) -> PResult<()>;
}

/// Cloudflare Workflows binding.
pub trait Workflows {
    /// Starts an instance (with `id` if given) and returns its id.
    fn create<'a>(&'a self, id: Option<&'a str>, params: &'a Value) -> BoxFut<'a, PResult<String>>;
    /// The instance's status object, or `None` for an unknown id.
    fn status<'a>(&'a self, id: &'a str) -> BoxFut<'a, PResult<Option<Value>>>;
}

pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
}

pub trait Sleeper {
    fn sleep(&self, ms: u64) -> BoxFut<'_, ()>;
}

/// Every binding a request may use. Cheap to clone.
#[derive(Clone)]
pub struct Platform {
    pub db: Rc<dyn Db>,
    pub kv: Rc<dyn Kv>,
    pub queue: Rc<dyn Queue>,
    pub http: Rc<dyn HttpClient>,
    pub limiter: Rc<dyn RateLimiter>,
    pub analytics: Rc<dyn Analytics>,
    pub workflows: Rc<dyn Workflows>,
    pub clock: Rc<dyn Clock>,
    pub sleeper: Rc<dyn Sleeper>,
    /// The usage meter of this invocation, when it is metered (the Worker's
    /// entry points meter every invocation; see `services::usage`).
    pub usage: Option<Rc<crate::services::usage::Invocation>>,
}
