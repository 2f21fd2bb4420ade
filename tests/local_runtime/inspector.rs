//! The worker isolate's own CPU time, from V8's sampling profiler reached
//! through `wrangler dev`'s inspector (Chrome DevTools Protocol over a
//! loopback websocket).
//!
//! Why samples measure CPU: V8 takes a tick only while workerd holds the
//! isolate's lock, i.e. while this worker's JavaScript or wasm runs (or V8
//! works for it: GC, compilation). Waiting on D1, KV or a fetch takes no
//! ticks, and D1's SQLite runs in another isolate. So the active samples of
//! a window, each weighed by the sampler's tick period, are the CPU time the
//! platform bills to the invocation.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

/// Requested sampling period (µs). Under load V8 ticks less often; the
/// measured period is used instead (see `Profile::tick_us`).
pub const INTERVAL_US: u64 = 100;

pub struct Inspector {
    ws: WebSocket<TcpStream>,
    next_id: u64,
}

impl Inspector {
    /// Connects to the inspector proxy on `port` and enables the profiler.
    pub fn connect(port: u16) -> Inspector {
        let deadline = Instant::now() + Duration::from_secs(60);
        let ws = loop {
            match Self::open(port) {
                Ok(ws) => break ws,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("inspector not ready ({e}); retrying");
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => panic!("inspector on port {port}: {e}"),
            }
        };
        let mut i = Inspector { ws, next_id: 0 };
        i.call("Profiler.enable", json!({}));
        i.call(
            "Profiler.setSamplingInterval",
            json!({ "interval": INTERVAL_US }),
        );
        i
    }

    fn open(port: u16) -> Result<WebSocket<TcpStream>, String> {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        let mut req = format!("ws://127.0.0.1:{port}/ws")
            .into_client_request()
            .map_err(|e| e.to_string())?;
        // wrangler's proxy only accepts local DevTools origins.
        req.headers_mut().insert(
            "origin",
            "http://localhost".parse().map_err(|_| "origin header")?,
        );
        let (ws, _) = tungstenite::client(req, stream).map_err(|e| e.to_string())?;
        Ok(ws)
    }

    /// Sends one command and returns its reply (events in between are dropped).
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({ "id": id, "method": method, "params": params }).to_string();
        self.ws
            .send(Message::text(msg))
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        loop {
            let m = self.ws.read().unwrap_or_else(|e| panic!("{method}: {e}"));
            let Message::Text(text) = m else { continue };
            let v: Value = serde_json::from_str(text.as_str()).expect("CDP JSON");
            if v["id"].as_u64() == Some(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v;
            }
        }
    }

    pub fn start(&mut self) {
        self.call("Profiler.start", json!({}));
    }

    pub fn stop(&mut self) -> Profile {
        let v = self.call("Profiler.stop", json!({}));
        Profile::parse(&v["result"]["profile"])
    }

    /// CPU (ms) of what `run` makes the isolate do: a profile from before
    /// `run` until `settle` after it returns (work left to `waitUntil`).
    pub fn measure(&mut self, settle: Duration, run: impl FnOnce()) -> Profile {
        self.start();
        run();
        std::thread::sleep(settle);
        self.stop()
    }
}

/// One profile: per sample, its time since the previous one and the names
/// of the functions on its stack.
pub struct Profile {
    samples: Vec<(u64, usize)>,
    stacks: HashMap<usize, Vec<String>>,
}

impl Profile {
    fn parse(p: &Value) -> Profile {
        let empty = Vec::new();
        let nodes = p["nodes"].as_array().unwrap_or(&empty);
        let mut name = HashMap::new();
        let mut parent = HashMap::new();
        for n in nodes {
            let id = n["id"].as_u64().unwrap_or(0) as usize;
            let frame = &n["callFrame"];
            let f = frame["functionName"].as_str().unwrap_or("");
            // An anonymous function is named by where it lives, so a profile
            // says whose code it is (the worker's glue, wrangler's wrappers).
            let f = match (f, frame["url"].as_str()) {
                ("", Some(url)) if !url.is_empty() => {
                    let file = url.rsplit('/').next().unwrap_or(url);
                    let line = frame["lineNumber"].as_i64().unwrap_or(-1) + 1;
                    format!("(anonymous {file}:{line})")
                }
                (f, _) => f.to_string(),
            };
            name.insert(id, f);
            for c in n["children"].as_array().unwrap_or(&empty) {
                parent.insert(c.as_u64().unwrap_or(0) as usize, id);
            }
        }
        let stacks = name
            .keys()
            .map(|&id| {
                let mut stack = Vec::new();
                let mut at = Some(id);
                while let Some(n) = at {
                    stack.push(name.get(&n).cloned().unwrap_or_default());
                    at = parent.get(&n).copied();
                }
                (id, stack)
            })
            .collect();
        let ids = p["samples"].as_array().unwrap_or(&empty);
        let deltas = p["timeDeltas"].as_array().unwrap_or(&empty);
        let samples = ids
            .iter()
            .zip(deltas)
            .map(|(s, d)| {
                (
                    d.as_i64().unwrap_or(0).max(0) as u64,
                    s.as_u64().unwrap_or(0) as usize,
                )
            })
            .collect();
        Profile { samples, stacks }
    }

    /// The sampler's actual tick period: the median gap between samples
    /// (most gaps are between ticks of one busy stretch), kept between the
    /// requested period and ten times it.
    fn tick_us(&self) -> u64 {
        let mut gaps: Vec<u64> = self.samples.iter().skip(1).map(|(d, _)| *d).collect();
        gaps.sort_unstable();
        let median = gaps.get(gaps.len() / 2).copied().unwrap_or(INTERVAL_US);
        median.clamp(INTERVAL_US, 10 * INTERVAL_US)
    }

    fn active(&self, id: usize) -> bool {
        let leaf = self.stacks.get(&id).and_then(|s| s.first());
        !matches!(leaf.map(String::as_str), Some("(idle)") | Some("(root)"))
    }

    /// CPU ms of the active samples whose stack has a frame containing
    /// `frame` (every active sample when `None`).
    pub fn cpu_ms(&self, frame: Option<&str>) -> f64 {
        self.sum(|stack| frame.is_none_or(|f| stack.iter().any(|n| n.contains(f))))
    }

    /// CPU ms of the invocations with no frame containing `frame`. A sample
    /// of JS glue alone (no `oura_edge` frame) goes with the nearest sample
    /// in time that has one: glue runs between the wasm calls it serves.
    pub fn cpu_ms_excluding(&self, frame: &str) -> f64 {
        self.cpu_ms_attributed(|stack| !stack.iter().any(|n| n.contains(frame)))
    }

    /// CPU ms of the work whose Rust frames pass `keep`: each sample of JS
    /// alone goes with the nearest sample in time that has an `oura_edge`
    /// frame (a Workflow step's future is on the stack while it is polled).
    pub fn cpu_ms_attributed(&self, keep: impl Fn(&[String]) -> bool) -> f64 {
        let tick = self.tick_us();
        let kept = self.attributed(keep);
        let us: u64 = self
            .samples
            .iter()
            .zip(kept)
            .filter(|((_, id), k)| *k && self.active(*id))
            .map(|((d, _), _)| (*d).min(tick))
            .sum();
        us as f64 / 1000.0
    }

    /// Self time of the samples `cpu_ms_attributed` counts, by leaf
    /// function, or with `by_caller` by the innermost Rust function on the
    /// stack (the one whose call into the runtime is running), `js: <leaf>`
    /// for a sample of JS alone (a microtask, the runtime's own work).
    pub fn add_self_ms_attributed(
        &self,
        keep: impl Fn(&[String]) -> bool,
        by_caller: bool,
        into: &mut HashMap<String, f64>,
    ) {
        let tick = self.tick_us();
        for ((d, id), k) in self.samples.iter().zip(self.attributed(keep)) {
            if k && self.active(*id) {
                let stack = self.stacks.get(id).map(Vec::as_slice).unwrap_or(&[]);
                let leaf = stack.first().map_or("?", String::as_str);
                let name = match stack.iter().find(|n| n.contains("oura_edge::")) {
                    Some(caller) if by_caller => caller.clone(),
                    None if by_caller => format!("js: {leaf}"),
                    _ => leaf.to_string(),
                };
                *into.entry(name).or_default() += (*d).min(tick) as f64 / 1000.0;
            }
        }
    }

    /// Per sample: whether the nearest sample with an `oura_edge` frame
    /// passes `keep`.
    fn attributed(&self, keep: impl Fn(&[String]) -> bool) -> Vec<bool> {
        let mut at = 0u64;
        let mut marks = Vec::new(); // (time, whether its stack is kept)
        let mut times = Vec::new();
        for (d, id) in &self.samples {
            at += d;
            times.push(at);
            let stack = self.stacks.get(id).map(Vec::as_slice).unwrap_or(&[]);
            if stack.iter().any(|n| n.contains("oura_edge::")) {
                marks.push((at, keep(stack)));
            }
        }
        let nearest_kept = |t: u64| {
            let i = marks.partition_point(|(m, _)| *m < t);
            let before = i.checked_sub(1).and_then(|j| marks.get(j));
            match (before, marks.get(i)) {
                (Some(b), Some(a)) => {
                    if t - b.0 <= a.0 - t {
                        b.1
                    } else {
                        a.1
                    }
                }
                (Some(m), None) | (None, Some(m)) => m.1,
                (None, None) => false,
            }
        };
        times.into_iter().map(nearest_kept).collect()
    }

    /// CPU ms of each stretch of activity set apart from the next by more
    /// than `gap` without an active sample: separate invocations, such as
    /// a cron run's links, each after the queue consumer's batch wait.
    pub fn bursts_ms(&self, gap: std::time::Duration) -> Vec<f64> {
        self.bursts(gap).iter().map(|b| b.values().sum()).collect()
    }

    /// Per burst (as `bursts_ms`), self ms by leaf function name.
    pub fn bursts(&self, gap: std::time::Duration) -> Vec<HashMap<String, f64>> {
        let tick = self.tick_us();
        let gap_us = gap.as_micros() as u64;
        let (mut at, mut last_active) = (0u64, None::<u64>);
        let mut bursts: Vec<HashMap<String, f64>> = Vec::new();
        for (d, id) in &self.samples {
            at += d;
            if !self.active(*id) {
                continue;
            }
            if last_active.is_none_or(|t| at - t > gap_us) || bursts.is_empty() {
                bursts.push(HashMap::new());
            }
            let leaf = self.stacks.get(id).and_then(|s| s.first());
            let name = leaf.map_or("?", String::as_str).to_string();
            if let Some(b) = bursts.last_mut() {
                *b.entry(name).or_default() += (*d).min(tick) as f64 / 1000.0;
            }
            last_active = Some(at);
        }
        bursts
    }

    /// Adds each active sample's weight to its leaf function's self time.
    pub fn add_self_ms(&self, into: &mut HashMap<String, f64>) {
        let tick = self.tick_us();
        for (d, id) in &self.samples {
            if self.active(*id) {
                let leaf = self.stacks.get(id).and_then(|s| s.first());
                let name = leaf.map_or("?", String::as_str);
                *into.entry(name.to_string()).or_default() += (*d).min(tick) as f64 / 1000.0;
            }
        }
    }

    /// Each active sample weighs the time since the sample before, at most
    /// one tick: a longer gap is time the isolate did not run.
    fn sum(&self, keep: impl Fn(&[String]) -> bool) -> f64 {
        let tick = self.tick_us();
        let us: u64 = self
            .samples
            .iter()
            .filter(|(_, id)| self.active(*id))
            .filter(|(_, id)| self.stacks.get(id).is_some_and(|s| keep(s)))
            .map(|(d, _)| (*d).min(tick))
            .sum();
        us as f64 / 1000.0
    }
}
