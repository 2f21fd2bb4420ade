//! Shared test harness: the real app on native platform parts (SQLite,
//! in-memory KV, fixed clock), called in-process like Hono's `app.request()`.
#![allow(dead_code)]

use oura_edge::router::{Method, Req, Res};
use oura_edge::services::collections::{rows_for, Document, REGISTRY};
use oura_edge::services::config::Config;
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::try_block_on;
use oura_edge::services::usage::{self, Meter};
use oura_edge::services::writer::write;
use oura_edge::state::{App, AppState};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

pub const GRAFANA: &str = "grafana-test-token";
pub const ADMIN: &str = "admin-test-token";
pub const ORIGIN: &str = "https://grafana.example.com";
/// 2026-01-15T12:00:00Z: tests never depend on today's date.
pub const NOW_MS: f64 = 1_768_478_400_000.0;

pub struct TestApp {
    pub app: App,
    pub native: NativePlatform,
    pub vars: HashMap<String, String>,
    /// When set, every request is a metered invocation, as on the Worker.
    pub meter: Option<Rc<Meter>>,
}

pub fn migrations_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
}

impl TestApp {
    /// The production app (every route, the full stack) with test tokens.
    pub fn new() -> TestApp {
        TestApp::with_app(oura_edge::build_app().expect("app builds"))
    }

    pub fn with_app(app: App) -> TestApp {
        let vars = HashMap::from([
            ("GRAFANA_SECRET".to_string(), GRAFANA.to_string()),
            ("ADMIN_SECRET".to_string(), ADMIN.to_string()),
            ("ALLOWED_ORIGINS".to_string(), ORIGIN.to_string()),
        ]);
        TestApp {
            app,
            native: NativePlatform::new(migrations_dir(), NOW_MS).expect("native platform"),
            vars,
            meter: None,
        }
    }

    /// Meters every request with one isolate meter, as the Worker's entry does.
    pub fn metered(mut self) -> TestApp {
        self.meter = Some(Meter::new());
        self
    }

    pub fn set_var(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_string(), value.to_string());
    }

    pub fn config(&self) -> Config {
        let vars = self.vars.clone();
        Config::from_lookup(move |n| vars.get(n).cloned())
    }

    pub fn state(&self) -> Rc<AppState> {
        let config = self.config();
        let platform = match &self.meter {
            Some(meter) => usage::metered(&self.native.platform, meter, config.usage.flush_ms),
            None => self.native.platform.clone(),
        };
        Rc::new(AppState { platform, config })
    }

    pub fn send(&self, req: Req) -> Res {
        let state = self.state();
        let res =
            try_block_on(self.app.handle(req, state.clone())).expect("native futures complete");
        try_block_on(usage::finish(&state.platform)).expect("native futures complete");
        res
    }

    /// Fills the database with every collection's fixture (simulator
    /// output ending 2026-01-15, the test clock's day).
    pub fn with_fixtures(self) -> TestApp {
        for c in REGISTRY {
            let (rows, rejected) = rows_for(c, &fixture(c.name));
            assert!(rejected.is_empty(), "{}: {rejected:?}", c.name);
            try_block_on(write(
                self.native.db.as_ref(),
                &rows,
                "2026-01-15T12:00:00.000Z",
            ))
            .expect("native futures complete")
            .expect("fixture rows are written");
        }
        self
    }

    pub fn get(&self, path: &str) -> Res {
        self.send(req(Method::Get, path))
    }
}

/// A request from a fixed client address.
pub fn req(method: Method, path: &str) -> Req {
    Req::new(method, path).with_header("cf-connecting-ip", "203.0.113.7")
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn body_json(res: &Res) -> serde_json::Value {
    res.body_json().expect("JSON body")
}

/// The documents of one collection's fixture (`tests/fixtures/oura/<name>.json`),
/// as text, as a fetch keeps them.
pub fn fixture(name: &str) -> Vec<Document> {
    documents(&fixture_values(name))
}

/// Documents as a fetch keeps them (text), from trees a test built.
pub fn documents(values: &[serde_json::Value]) -> Vec<Document> {
    values
        .iter()
        .map(|v| serde_json::value::to_raw_value(v).expect("a document"))
        .collect()
}

/// The same fixture as trees, for a test to change.
pub fn fixture_values(name: &str) -> Vec<serde_json::Value> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/oura/{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing fixture {}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).expect("fixture JSON");
    match v.get("data") {
        Some(serde_json::Value::Array(docs)) => docs.clone(),
        _ => vec![v],
    }
}

/// Stores a valid Oura token pair issued at `NOW_MS` and expiring at
/// `expires_at_ms`, as after a completed OAuth flow.
pub fn store_tokens(n: &NativePlatform, expires_at_ms: f64) {
    let t = oura_edge::services::oura::TokenSet {
        access_token: "A".into(),
        refresh_token: "R".into(),
        expires_at_ms,
        issued_at_ms: Some(NOW_MS),
        scope: None,
        token_type: Some("bearer".into()),
    };
    try_block_on(oura_edge::services::oura::tokens::save(
        n.db.as_ref(),
        &t,
        NOW_MS,
    ))
    .unwrap()
    .unwrap();
}

/// A whole cron run: the scheduled invocation, then each link it queues,
/// taken from the recording queue in order. `invocation` gives each call
/// its platform (a fresh metered one, as on the Worker, or the same one).
/// Returns the last outcome and how many invocations the run took.
pub fn cron_to_end(
    n: &NativePlatform,
    config: &Config,
    invocation: impl Fn() -> oura_edge::services::platform::Platform,
) -> (oura_edge::services::cron::CronOutcome, usize) {
    use oura_edge::services::cron::{self, CronOutcome, Link};
    let mut seen = n.queue.sent().len();
    let p = invocation();
    let mut outcome = try_block_on(cron::run(&p, config, "0 */2 * * *")).expect("cron run");
    try_block_on(usage::finish(&p)).expect("usage finish");
    let mut calls = 1;
    while let CronOutcome::Continued { .. } = outcome {
        let sent = n.queue.sent();
        let link = sent[seen..]
            .iter()
            .find_map(Link::from_message)
            .expect("a continued run queued its next link");
        seen = sent.len();
        let p = invocation();
        outcome = try_block_on(cron::resume(&p, config, link)).expect("cron link");
        try_block_on(usage::finish(&p)).expect("usage finish");
        calls += 1;
        assert!(calls < 100, "a cron run that does not end");
    }
    (outcome, calls)
}
