//! The platform traits over the real Cloudflare bindings (wasm32 only).
//! This file and `entry.rs` are the only places that touch `worker` types.

use super::{
    Analytics, BoxFut, Clock, DataPoint, Db, HttpClient, JsonRows, Kv, OutRequest, OutResponse,
    PResult, Platform, PlatformError, QueryMeta, QueryResult, Queue, RateLimiter, Row, Sleeper,
    Statement, Text, TextResult, Workflows, KV_MIN_TTL_SECONDS,
};
use js_sys::{Object, Reflect};
use serde_json::Value;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{web_sys, D1Database, Env};

/// Binding names, as in `wrangler.toml` (the original's names, kept for drop-in upgrades).
pub const DB_BINDING: &str = "oura_db";
pub const KV_BINDING: &str = "OURA_CACHE";
pub const QUEUE_BINDING: &str = "OURA_WEBHOOK_QUEUE";
pub const WORKFLOW_BINDING: &str = "BACKFILL_WORKFLOW";
pub const ANALYTICS_BINDING: &str = "OURA_ANALYTICS";

fn perr(e: impl std::fmt::Display) -> PlatformError {
    PlatformError::new(e.to_string())
}

fn js_err(v: JsValue) -> PlatformError {
    PlatformError::new(
        v.dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| v.as_string())
            .unwrap_or_else(|| format!("{v:?}")),
    )
}

/// Builds the platform from the Worker environment. A missing binding is not
/// an error here: the first call that needs it fails with a clear message.
pub fn platform(env: &Env) -> Platform {
    Platform {
        db: Rc::new(WorkerDb(env.d1(DB_BINDING).map_err(perr))),
        kv: Rc::new(WorkerKv(env.kv(KV_BINDING).map_err(perr))),
        queue: Rc::new(WorkerQueue(env.queue(QUEUE_BINDING).map_err(perr))),
        http: Rc::new(WorkerHttp),
        limiter: Rc::new(WorkerLimiter(env.clone())),
        analytics: Rc::new(WorkerAnalytics(
            env.analytics_engine(ANALYTICS_BINDING).ok(),
        )),
        workflows: Rc::new(WorkerWorkflows(env.clone())),
        clock: Rc::new(WorkerClock),
        sleeper: Rc::new(WorkerSleeper),
        usage: None,
    }
}

fn binding<'a, T>(b: &'a Result<T, PlatformError>, name: &str) -> PResult<&'a T> {
    b.as_ref()
        .map_err(|e| PlatformError::new(format!("binding {name} missing or misconfigured: {e}")))
}

struct WorkerDb(Result<D1Database, PlatformError>);

fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => JsValue::from_str(s),
        other => JsValue::from_str(&other.to_string()),
    }
}

fn prepare(db: &D1Database, stmt: &Statement) -> PResult<worker::D1PreparedStatement> {
    let args: Vec<JsValue> = stmt.params.iter().map(to_js).collect();
    db.prepare(stmt.sql.as_str()).bind(&args).map_err(perr)
}

/// D1 batch results given as JSON text, read as `batch` reads the runtime's
/// (for tests: `tests/wasm.rs`; `Err` if the text is not JSON).
pub fn results_from_json(text: &str) -> PResult<Vec<QueryResult>> {
    results_from_js(&js_sys::JSON::parse(text).map_err(js_err)?)
}

/// A row as D1 returned it, still in JS.
#[derive(serde::Deserialize)]
struct JsRow(#[serde(with = "serde_wasm_bindgen::preserve")] JsValue);

/// Largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Rows into Rust with one `JSON.stringify` and one parse: converting value
/// by value costs a JS call per column and was most of a large result's
/// CPU time.
fn rows_from_js(rows: Vec<JsRow>) -> PResult<Vec<Row>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let array: js_sys::Array = rows.into_iter().map(|r| r.0).collect();
    let mut rows: Vec<Row> = from_js_json(&array)?;
    as_js_numbers(&mut rows);
    Ok(rows)
}

/// A JS value into Rust through `JSON.stringify` and serde.
fn from_js_json<T: serde::de::DeserializeOwned>(v: &JsValue) -> PResult<T> {
    let text = String::from(js_sys::JSON::stringify(v).map_err(js_err)?);
    serde_json::from_str(&text).map_err(perr)
}

/// Integers past 2^53 stay floats, as a JS number is.
fn as_js_numbers(rows: &mut [Row]) {
    for v in rows.iter_mut().flat_map(|r| r.values_mut()) {
        if let Value::Number(n) = v {
            if n.as_f64().is_some_and(|f| f.abs() > MAX_SAFE_INTEGER) && !n.is_f64() {
                *v = n.as_f64().map_or(Value::Null, Value::from);
            }
        }
    }
}

/// One D1 result object as JSON gives it (`success` and the rest ignored).
#[derive(serde::Deserialize)]
struct RawResult {
    #[serde(default)]
    results: Option<Vec<Row>>,
    #[serde(default)]
    meta: Option<RawMeta>,
}

impl From<RawResult> for QueryResult {
    fn from(r: RawResult) -> QueryResult {
        let mut rows = r.results.unwrap_or_default();
        as_js_numbers(&mut rows);
        QueryResult {
            rows,
            meta: r.meta.unwrap_or_default().into(),
        }
    }
}

/// A `batch`'s array of D1 results, all in one `JSON.stringify` and one
/// parse: through workers-rs each result's rows and `meta` took JS calls
/// field by field.
fn results_from_js(results: &JsValue) -> PResult<Vec<QueryResult>> {
    let raw: Vec<RawResult> = from_js_json(results)?;
    Ok(raw.into_iter().map(QueryResult::from).collect())
}

fn meta_of(r: &worker::D1Result) -> PResult<QueryMeta> {
    let meta = r.meta().map_err(perr)?.map(|m| QueryMeta {
        rows_read: m.rows_read.unwrap_or(0) as u64,
        rows_written: m.rows_written.unwrap_or(0) as u64,
        changes: m.changes.unwrap_or(0) as u64,
        last_row_id: m.last_row_id,
        size_after: m.size_after.map(|s| s as u64),
    });
    Ok(meta.unwrap_or_default())
}

/// D1's `meta`, read from the raw result object.
#[derive(serde::Deserialize, Default)]
struct RawMeta {
    rows_read: Option<f64>,
    rows_written: Option<f64>,
    changes: Option<f64>,
    last_row_id: Option<f64>,
    size_after: Option<f64>,
}

impl From<RawMeta> for QueryMeta {
    fn from(m: RawMeta) -> QueryMeta {
        let count = |v: Option<f64>| v.unwrap_or(0.0).max(0.0) as u64;
        QueryMeta {
            rows_read: count(m.rows_read),
            rows_written: count(m.rows_written),
            changes: count(m.changes),
            last_row_id: m.last_row_id.map(|v| v as i64),
            size_after: m.size_after.map(|v| v.max(0.0) as u64),
        }
    }
}

fn raw_meta(result: &JsValue) -> PResult<QueryMeta> {
    let meta = Reflect::get(result, &JsValue::from_str("meta")).map_err(js_err)?;
    let m: RawMeta = if meta.is_object() {
        from_js_json(&meta)?
    } else {
        RawMeta::default()
    };
    Ok(m.into())
}

impl Db for WorkerDb {
    fn query<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<QueryResult>> {
        Box::pin(async move {
            let db = binding(&self.0, DB_BINDING)?;
            let pending = prepare(db, stmt)?.inner().all().map_err(js_err)?;
            let result = JsFuture::from(pending).await.map_err(js_err)?;
            let raw: RawResult = from_js_json(&result)?;
            Ok(raw.into())
        })
    }

    fn query_text<'a>(
        &'a self,
        stmt: &'a Statement,
        column: &'a str,
    ) -> BoxFut<'a, PResult<TextResult>> {
        Box::pin(async move {
            let db = binding(&self.0, DB_BINDING)?;
            let r = prepare(db, stmt)?.all().await.map_err(perr)?;
            let meta = meta_of(&r)?;
            let Some(first) = r.results::<JsRow>().map_err(perr)?.into_iter().next() else {
                return Ok(TextResult {
                    text: None,
                    row: None,
                    meta,
                });
            };
            // The text stays a JS string; the rest of the row is small.
            let (mut text, rest) = (None, Object::new());
            for entry in Object::entries(first.0.unchecked_ref()).iter() {
                let pair: js_sys::Array = entry.unchecked_into();
                let (key, value) = (pair.get(0), pair.get(1));
                if key.as_string().as_deref() == Some(column) {
                    text = value.dyn_into::<js_sys::JsString>().ok().map(Text::Js);
                } else {
                    Reflect::set(&rest, &key, &value).map_err(js_err)?;
                }
            }
            let row = rows_from_js(vec![JsRow(rest.into())])?.into_iter().next();
            Ok(TextResult { text, row, meta })
        })
    }

    fn query_json<'a>(&'a self, stmt: &'a Statement) -> BoxFut<'a, PResult<JsonRows>> {
        Box::pin(async move {
            let db = binding(&self.0, DB_BINDING)?;
            let prepared = prepare(db, stmt)?;
            let pending = prepared.inner().all().map_err(js_err)?;
            let result = JsFuture::from(pending).await.map_err(js_err)?;
            let rows = Reflect::get(&result, &JsValue::from_str("results")).map_err(js_err)?;
            let rows: js_sys::Array = rows.dyn_into().unwrap_or_default();
            Ok(JsonRows {
                json: String::from(js_sys::JSON::stringify(&rows).map_err(js_err)?),
                count: rows.length() as usize,
                meta: raw_meta(&result)?,
            })
        })
    }

    fn batch<'a>(&'a self, stmts: &'a [Statement]) -> BoxFut<'a, PResult<Vec<QueryResult>>> {
        Box::pin(async move {
            let db = binding(&self.0, DB_BINDING)?;
            let prepared = stmts
                .iter()
                .map(|s| prepare(db, s))
                .collect::<PResult<Vec<_>>>()?;
            let statements: js_sys::Array = prepared.iter().map(|p| p.inner()).collect();
            let results = call(db.as_ref(), "batch", &[statements.into()]).await?;
            results_from_js(&results)
        })
    }
}

struct WorkerKv(Result<worker::kv::KvStore, PlatformError>);

impl Kv for WorkerKv {
    fn get<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<Option<String>>> {
        Box::pin(async move {
            let kv = binding(&self.0, KV_BINDING)?;
            kv.get(key).text().await.map_err(perr)
        })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl_seconds: Option<u64>,
    ) -> BoxFut<'a, PResult<()>> {
        Box::pin(async move {
            let kv = binding(&self.0, KV_BINDING)?;
            let mut put = kv.put(key, value).map_err(perr)?;
            if let Some(ttl) = ttl_seconds {
                put = put.expiration_ttl(ttl.max(KV_MIN_TTL_SECONDS));
            }
            put.execute().await.map_err(perr)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<()>> {
        Box::pin(async move {
            let kv = binding(&self.0, KV_BINDING)?;
            kv.delete(key).await.map_err(perr)
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFut<'a, PResult<Vec<String>>> {
        Box::pin(async move {
            let kv = binding(&self.0, KV_BINDING)?;
            let mut names = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut list = kv.list().prefix(prefix.to_string());
                if let Some(c) = cursor.take() {
                    list = list.cursor(c);
                }
                let page = list.execute().await.map_err(perr)?;
                names.extend(page.keys.into_iter().map(|k| k.name));
                match page.cursor {
                    Some(c) if !page.list_complete && !c.is_empty() => cursor = Some(c),
                    _ => return Ok(names),
                }
            }
        })
    }
}

struct WorkerQueue(Result<worker::Queue, PlatformError>);

impl Queue for WorkerQueue {
    fn send<'a>(&'a self, message: &'a Value) -> BoxFut<'a, PResult<()>> {
        Box::pin(async move {
            let q = binding(&self.0, QUEUE_BINDING)?;
            q.send(message.clone()).await.map_err(perr)
        })
    }
}

struct WorkerHttp;

impl HttpClient for WorkerHttp {
    fn send<'a>(&'a self, req: OutRequest) -> BoxFut<'a, PResult<OutResponse>> {
        Box::pin(async move {
            let headers = worker::Headers::new();
            for (k, v) in &req.headers {
                headers.append(k, v).map_err(perr)?;
            }
            let mut init = worker::RequestInit::new();
            init.with_method(worker::Method::from(req.method.clone()))
                .with_headers(headers);
            if let Some(body) = &req.body {
                init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
            }
            let request = worker::Request::new_with_init(&req.url, &init).map_err(perr)?;
            let res = fetch(request.inner()).await?;
            Ok(OutResponse {
                status: res.status(),
                headers: worker::Headers(res.headers()).entries().collect(),
                body: whole_body(&res).await?,
            })
        })
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `fetch`, a throw caught as an error: it throws, rather
    /// than rejects, where it may not run (the global scope).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(request: &web_sys::Request) -> Result<js_sys::Promise, JsValue>;
}

/// The global `fetch`, keeping the runtime's own `Response`: workers-rs's
/// `Fetch::send` wraps it in a type whose body can only be read as a stream.
async fn fetch(request: &web_sys::Request) -> PResult<web_sys::Response> {
    let pending = global_fetch(request).map_err(js_err)?;
    let res = JsFuture::from(pending).await.map_err(js_err)?;
    res.dyn_into()
        .map_err(|_| PlatformError::new("fetch did not return a Response"))
}

/// The body in one piece: `arrayBuffer()` is one promise and one copy,
/// where reading the stream costs a promise, a closure and a copy a chunk
/// (heart rate's two pages of a 5-day window: 2.1 → 0.6 ms of CPU).
async fn whole_body(res: &web_sys::Response) -> PResult<Vec<u8>> {
    let pending = res.array_buffer().map_err(js_err)?;
    let buf = JsFuture::from(pending).await.map_err(js_err)?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

struct WorkerLimiter(Env);

impl RateLimiter for WorkerLimiter {
    fn limit<'a>(&'a self, binding: &'a str, key: &'a str) -> BoxFut<'a, PResult<bool>> {
        Box::pin(async move {
            let limiter = self.0.rate_limiter(binding).map_err(perr)?;
            let outcome = limiter.limit(key.to_string()).await.map_err(perr)?;
            Ok(outcome.success)
        })
    }
}

/// Analytics Engine is optional: without the binding, points are dropped.
struct WorkerAnalytics(Option<worker::AnalyticsEngineDataset>);

impl Analytics for WorkerAnalytics {
    fn write(&self, point: DataPoint) -> PResult<()> {
        let Some(ds) = &self.0 else { return Ok(()) };
        let indexes: Vec<&str> = point.indexes.iter().map(String::as_str).collect();
        worker::AnalyticsEngineDataPointBuilder::new()
            .indexes(indexes)
            .doubles(point.doubles)
            .blobs(point.blobs)
            .write_to(ds)
            .map_err(perr)
    }
}

/// The Workflow binding has no workers-rs wrapper: call its methods through
/// `Reflect` and await the promises (they are RPC promises, so resolve them).
struct WorkerWorkflows(Env);

async fn call(target: &JsValue, method: &str, args: &[JsValue]) -> PResult<JsValue> {
    let f: js_sys::Function = Reflect::get(target, &JsValue::from_str(method))
        .map_err(js_err)?
        .dyn_into()
        .map_err(|_| PlatformError::new(format!("{method} is not a function")))?;
    let arr: js_sys::Array = args.iter().collect();
    let out = f.apply(target, &arr).map_err(js_err)?;
    JsFuture::from(js_sys::Promise::resolve(&out))
        .await
        .map_err(js_err)
}

impl WorkerWorkflows {
    fn binding(&self) -> PResult<JsValue> {
        let env: &JsValue = self.0.as_ref();
        let wf = Reflect::get(env, &JsValue::from_str(WORKFLOW_BINDING)).map_err(js_err)?;
        if wf.is_undefined() {
            return Err(PlatformError::new(format!(
                "binding {WORKFLOW_BINDING} missing"
            )));
        }
        Ok(wf)
    }
}

impl Workflows for WorkerWorkflows {
    fn create<'a>(&'a self, id: Option<&'a str>, params: &'a Value) -> BoxFut<'a, PResult<String>> {
        Box::pin(async move {
            let wf = self.binding()?;
            let opts = Object::new();
            if let Some(id) = id {
                Reflect::set(&opts, &"id".into(), &id.into()).map_err(js_err)?;
            }
            let params = serde_wasm_bindgen::to_value(params).map_err(perr)?;
            Reflect::set(&opts, &"params".into(), &params).map_err(js_err)?;
            let instance = call(&wf, "create", &[opts.into()]).await?;
            Reflect::get(&instance, &"id".into())
                .map_err(js_err)?
                .as_string()
                .ok_or_else(|| PlatformError::new("workflow instance has no id"))
        })
    }

    fn status<'a>(&'a self, id: &'a str) -> BoxFut<'a, PResult<Option<Value>>> {
        Box::pin(async move {
            let wf = self.binding()?;
            // An unknown id rejects; the runtimes word that differently, so
            // any rejection of `get` counts as "no such instance".
            let Ok(instance) = call(&wf, "get", &[id.into()]).await else {
                return Ok(None);
            };
            let status = call(&instance, "status", &[]).await?;
            serde_wasm_bindgen::from_value(status)
                .map(Some)
                .map_err(perr)
        })
    }
}

struct WorkerClock;

impl Clock for WorkerClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}

struct WorkerSleeper;

impl Sleeper for WorkerSleeper {
    fn sleep(&self, ms: u64) -> BoxFut<'_, ()> {
        Box::pin(worker::Delay::from(std::time::Duration::from_millis(ms)))
    }
}
