//! CPU time per invocation against the Free plan's 10 ms, measured on the
//! worker under `wrangler dev` (the `make build-named` build: the release
//! build, wasm-opt included, with the function names this bench needs;
//! `make build-fast` works too, 12-20 % slower without wasm-opt).
//!
//! Method (tests/local_runtime/inspector.rs): V8's sampling profiler through
//! wrangler's inspector. V8 ticks only while workerd runs this isolate, so
//! active samples (not `(idle)`) are the isolate's CPU: waiting on D1, KV or
//! fetch costs none and D1's SQLite runs elsewhere. HTTP cases are profiled
//! one request at a time (start → request → 50 ms for `waitUntil` → stop);
//! a queue batch or a Workflow step, whose windows hold the requests that
//! drive them too, counts the samples with no frame of the router (see
//! `ROUTER`). Prints p50/p99 per case beside the limit. `make bench`.

#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use local_runtime::inspector::{Inspector, Profile};
use local_runtime::webhooks::{creates, Rig, ADMIN, GRAFANA};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const LIMIT_MS: f64 = 10.0;
const RUNS: usize = 20;
/// Heart rate's largest window (`window_days`): 5 days, 1,440 samples at
/// one per 5 minutes, one `sync:` step (`DOCUMENTS_PER_STEP`).
const STEP_DAYS: u32 = 5;
const STEPS: u32 = 6;
/// Days the simulator serves (the `/api/sql` cases read 90 of them).
const SIM_DAYS: u32 = 97;
/// Seeded heart-rate rows: two full 50,000-row pages and a part.
const EXPORT_ROWS: u32 = 113_000;
const SETTLE: Duration = Duration::from_millis(50);
/// Every request's samples have a frame of the router's middleware chain
/// (the entry `fetch` future itself is inlined away), so what has none, in
/// a window, is the other invocation: the queue batch or the Workflow's
/// steps (see `Profile::cpu_ms_excluding` for samples of JS glue alone).
const ROUTER: &str = "oura_edge::router::";
const BACKFILL: &str = "backfill run, every step and replay summed";
/// A run's `sync:` step alone: samples nearest a frame of its future.
const BACKFILL_SYNC: &str = "backfill sync: step, heart rate, 5-day window";
/// The same step as the first one in a fresh isolate (first run of each
/// rig), in the two states its code can be in (see `fresh_rig`): flushed,
/// so V8 compiles every wasm function the step is the first to call
/// (docs/decisions.md, #16's sixth and eighth sessions), or kept as the
/// start event's rehearsals compiled it.
const BACKFILL_FRESH: &str = "backfill sync: step, fresh isolate, code flushed";
const BACKFILL_FRESH_KEPT: &str = "backfill sync: step, fresh isolate, code kept";
/// A fresh isolate's first cron run: its scheduled event and first link.
const CRON_FRESH: [&str; 2] = [
    "cron scheduled event, fresh isolate, code flushed",
    "cron first link, fresh isolate, code flushed",
];
const CRON_FRESH_KEPT: [&str; 2] = [
    "cron scheduled event, fresh isolate, code kept",
    "cron first link, fresh isolate, code kept",
];
/// Fresh isolates each fresh case is measured in (`CPU_FRESH`), a new rig
/// each (the backfill's flushed case counts the main rig's first).
const FRESH_ISOLATES: usize = 3;
/// workerd's V8 flags, as `wrangler dev` passes them on.
const V8_FLAGS: &str = "MINIFLARE_WORKERD_V8_FLAGS";
/// Keeps the wasm code compiled at startup. workerd signals memory pressure
/// to each isolate it builds, and V8 then drops the Liftoff code of every
/// wasm module in the process: miniflare builds its own isolates after the
/// worker's, which undoes the start event's rehearsals before the first
/// invocation. Deployed, that happens whenever another isolate is built in
/// the same process, so the two states bound what an invocation pays.
const KEEP_CODE: &str = "--no-flush-liftoff-code";
/// `sync_step` is inlined into the future of its step body.
const SYNC_STEP: &str = "backfill::sync_body";
/// A run's `discover` step alone.
const BACKFILL_DISCOVER: &str = "backfill discover step";
const DISCOVER_STEP: &str = "backfill::discover_body";
const QUEUE: &str = "queue batch, max_batch_size";
/// Idle time that sets two invocations apart: one invocation waits on D1
/// or fetch for a few ms at a time; the queue waits 1 s to fill a batch.
const LINK_GAP: Duration = Duration::from_millis(400);

struct Bench {
    rig: Rig,
    cdp: Inspector,
    /// Whether this rig's V8 keeps the code compiled at startup.
    keeps_code: bool,
    next_ip: u32,
    rows: Vec<(String, Vec<f64>)>,
    /// Self time by function, summed over every profile of a case.
    hot: HashMap<String, HashMap<String, f64>>,
}

impl Bench {
    /// A fresh client address per request: the per-IP limits stay out of it.
    fn ip(&mut self) -> String {
        self.next_ip += 1;
        format!("198.51.{}.{}", self.next_ip / 250, self.next_ip % 250 + 1)
    }

    fn send(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<&[u8]>) -> u16 {
        let ip = self.ip();
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("cf-connecting-ip", ip.as_str())];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
            headers.push(("content-type", "application/json"));
        }
        self.rig.w.send(method, path, &headers, body).status
    }

    /// `RUNS` requests, each profiled alone; `expect` is the status each must get.
    fn http(&mut self, case: &str, expect: u16, req: impl FnMut(&mut Bench, usize) -> u16) {
        self.http_n(case, RUNS, expect, req)
    }

    fn http_n(
        &mut self,
        case: &str,
        runs: usize,
        expect: u16,
        mut req: impl FnMut(&mut Bench, usize) -> u16,
    ) {
        let mut ms = Vec::new();
        for i in 0..runs {
            self.cdp.start();
            let status = req(self, i);
            std::thread::sleep(SETTLE);
            let p = self.cdp.stop();
            assert_eq!(status, expect, "{case}: run {i}");
            let run_ms = p.cpu_ms(None);
            ms.push(run_ms);
            self.profiled(case, &p);
            print_outlier(case, i, run_ms, &p);
        }
        self.rows.push((case.to_string(), ms));
    }

    fn sql(&mut self, sql: &str) -> u16 {
        let body = serde_json::json!({ "sql": sql, "params": [] }).to_string();
        self.send("POST", "/api/sql", Some(GRAFANA), Some(body.as_bytes()))
    }

    fn profiled(&mut self, case: &str, p: &Profile) {
        p.add_self_ms(self.hot.entry(case.to_string()).or_default());
    }

    fn record(&mut self, case: &str, ms: Vec<f64>) {
        self.rows.push((case.to_string(), ms));
    }

    /// Profiles `rig` from now on (the previous one stops).
    fn use_rig(&mut self, (rig, keeps_code): (Rig, bool)) {
        self.cdp = Inspector::connect(rig.w.inspector_port);
        self.rig = rig;
        self.keeps_code = keeps_code;
    }
}

fn fresh_isolates() -> usize {
    std::env::var("CPU_FRESH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FRESH_ISOLATES)
}

/// A new rig, so a fresh isolate; with `keep`, its V8 keeps the code the
/// start event compiled (`KEEP_CODE`). The flags are read as wrangler
/// starts, and the bench runs one thing at a time, so setting them around
/// the start is enough; flags given from outside stay.
fn fresh_rig(keep: bool) -> (Rig, bool) {
    let outside = std::env::var(V8_FLAGS).ok();
    let keeps = keep || outside.as_deref().is_some_and(|f| f.contains(KEEP_CODE));
    if keep {
        let flags = outside
            .clone()
            .map_or(KEEP_CODE.to_string(), |f| format!("{f} {KEEP_CODE}"));
        std::env::set_var(V8_FLAGS, flags);
    }
    let rig = Rig::start(SIM_DAYS, "workout", &[]);
    match outside {
        Some(f) => std::env::set_var(V8_FLAGS, f),
        None => std::env::remove_var(V8_FLAGS),
    }
    (rig, keeps)
}

/// Lines of top functions printed per case: `CPU_TOP=n` (8 when not a number).
fn top_n() -> usize {
    std::env::var("CPU_TOP")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 1)
        .unwrap_or(8)
}

/// `CPU_OUTLIER_MS=n`: runs over n ms print their own top functions.
fn outlier_limit() -> Option<f64> {
    std::env::var("CPU_OUTLIER_MS").ok()?.parse().ok()
}

/// With `CPU_OUTLIER_MS=n`, a run over n ms prints its own top functions:
/// the cases' sums hide which frames one slow run spent its time in.
fn print_outlier(case: &str, run: usize, ms: f64, p: &Profile) {
    if outlier_limit().is_some_and(|limit| ms > limit) {
        let mut own = HashMap::new();
        p.add_self_ms(&mut own);
        print_top(case, run, ms, own);
    }
}

/// The same for one step of a Workflow run, by calling Rust function
/// (`Profile::add_self_ms_attributed`).
fn print_outlier_step(
    case: &str,
    run: usize,
    ms: f64,
    p: &Profile,
    keep: impl Fn(&[String]) -> bool,
) {
    if outlier_limit().is_some_and(|limit| ms > limit) {
        let mut own = HashMap::new();
        p.add_self_ms_attributed(keep, true, &mut own);
        print_top(case, run, ms, own);
    }
}

fn print_top(case: &str, run: usize, ms: f64, own: HashMap<String, f64>) {
    let mut fns: Vec<(String, f64)> = own.into_iter().collect();
    fns.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("outlier {case}, run {run}: {ms:.2} ms");
    for (name, f_ms) in fns.iter().take(top_n()) {
        println!(
            "  {f_ms:>7.2} ms  {}",
            name.chars().take(110).collect::<String>()
        );
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not done after {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Backfill runs of heart rate, `STEPS` of them over `STEP_DAYS` (or
/// `CPU_STEP_DAYS`), each run on days not synced before. Judges the
/// `sync:` and `discover` steps, each one invocation; the first `sync:`
/// step of an isolate is its own case, measured in `CPU_FRESH` isolates
/// (new rigs after this one's runs). Prints what is not a request summed:
/// those steps, `invalidate-cache` and the run's replays (an upper bound
/// for the run).
fn backfill_steps(b: &mut Bench) {
    let (mut sums, mut warm, mut discover) = (Vec::new(), Vec::new(), Vec::new());
    // First steps by whether their rig kept startup's code.
    let (mut fresh, mut kept) = (Vec::new(), Vec::new());
    for run in 0..STEPS {
        let (sum, sync_ms, discover_ms) = backfill_run(b, run);
        sums.push(sum);
        match (run, b.keeps_code) {
            (0, false) => fresh.push(sync_ms),
            (0, true) => kept.push(sync_ms),
            _ => warm.push(sync_ms),
        }
        discover.push(discover_ms);
    }
    // Kept first, so the cases after these run on a rig as `wrangler dev`
    // starts it; the main rig's first step was one of the flushed.
    let n = fresh_isolates();
    for keep in (0..n).map(|_| true).chain((1..n).map(|_| false)) {
        b.use_rig(fresh_rig(keep));
        let sync_ms = backfill_run(b, 0).1;
        if b.keeps_code { &mut kept } else { &mut fresh }.push(sync_ms);
    }
    b.record(BACKFILL_SYNC, warm);
    b.record(BACKFILL_FRESH, fresh);
    b.record(BACKFILL_FRESH_KEPT, kept);
    b.record(BACKFILL_DISCOVER, discover);
    // Not one invocation, so not judged against the limit.
    eprintln!("{BACKFILL} (ms): {sums:.2?}");
}

/// One backfill run (the `run`th, on days not synced before): every step
/// summed, its `sync:` step, its `discover` step (ms).
fn backfill_run(b: &mut Bench, run: u32) -> (f64, f64, f64) {
    // `CPU_STEP_DAYS=1` measures a step's fixed cost (288 samples).
    let step_days: u32 = std::env::var("CPU_STEP_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(STEP_DAYS);
    let offset = 1 + run * step_days;
    let query = format!("days={step_days}&offset_days={offset}&resources=heartrate");
    b.cdp.start();
    let ip = b.ip();
    let auth = format!("Bearer {ADMIN}");
    let headers = [
        ("authorization", auth.as_str()),
        ("cf-connecting-ip", ip.as_str()),
    ];
    let poll = Duration::from_millis(100);
    let last = b
        .rig
        .w
        .backfill(&query, &headers, poll, Duration::from_secs(600));
    let p = b.cdp.stop();
    assert_eq!(last["status"], "complete", "{last}");
    eprintln!("backfill run {run}: {}", last["output"]);
    let step = |frame: &'static str| {
        move |stack: &[String]| {
            let has = |f: &str| stack.iter().any(|n| n.contains(f));
            has(frame) && !has(ROUTER)
        }
    };
    let sync_step = step(SYNC_STEP);
    let sync_ms = p.cpu_ms_attributed(sync_step);
    let case = match (run, b.keeps_code) {
        (0, false) => BACKFILL_FRESH,
        (0, true) => BACKFILL_FRESH_KEPT,
        _ => BACKFILL_SYNC,
    };
    print_outlier_step(case, run as usize, sync_ms, &p, sync_step);
    let by_caller = std::env::var_os("CPU_BY_CALLER").is_some();
    let hot = b.hot.entry(case.into()).or_default();
    p.add_self_ms_attributed(sync_step, by_caller, hot);
    let discover_ms = p.cpu_ms_attributed(step(DISCOVER_STEP));
    (p.cpu_ms_excluding(ROUTER), sync_ms, discover_ms)
}

/// wrangler.toml's `max_batch_size`: what one consumer invocation gets.
fn batch_size() -> usize {
    std::fs::read_to_string(local_runtime::root().join("wrangler.toml"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("max_batch_size = "))
        .and_then(|n| n.trim().parse().ok())
        .expect("wrangler.toml sets max_batch_size")
}

/// Each round one full batch: `batch_size()` deliveries, one invocation.
fn queue_batches(b: &mut Bench) {
    let mut ms = Vec::new();
    let day = local_runtime::webhooks::yesterday();
    let size = batch_size();
    for _ in 0..5 {
        let ids = b.rig.new_workouts(size, &day);
        let bodies = creates(&b.rig, &ids);
        let before = queue_lines(&b.rig.w.log());
        b.cdp.start();
        for body in &bodies {
            assert_eq!(b.rig.deliver(body).status, 202);
        }
        wait_for("queue batch", Duration::from_secs(120), || {
            let stored = b.rig.stored_ids("workout", &day);
            ids.iter().all(|id| stored.contains(id))
        });
        std::thread::sleep(SETTLE);
        let p = b.cdp.stop();
        let batches = &queue_lines(&b.rig.w.log())[before.len()..];
        eprintln!("queue: {batches:?}");
        ms.push(p.cpu_ms_excluding(ROUTER));
        b.profiled(&format!("{QUEUE} ({size} deliveries)"), &p);
    }
    b.record(&format!("{QUEUE} ({size} deliveries)"), ms);
}

fn queue_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("QUEUE") && l.contains("oura-webhook-events"))
        .map(local_runtime::webhooks::strip_ansi)
        .collect()
}

fn webhook_intake(b: &mut Bench) {
    // Rounds below the batch size, done well within the consumer's 1 s
    // batch timeout, so no batch runs inside a window.
    let mut ms = Vec::new();
    let day = local_runtime::webhooks::yesterday();
    let round = batch_size().saturating_sub(1).clamp(1, 3);
    for _ in 0..27 / round {
        let ids = b.rig.new_workouts(round, &day);
        for body in creates(&b.rig, &ids) {
            let p: Profile = {
                let rig = &b.rig;
                b.cdp
                    .measure(SETTLE, || assert_eq!(rig.deliver(&body).status, 202))
            };
            ms.push(p.cpu_ms(None));
        }
        wait_for("intake drained", Duration::from_secs(120), || {
            let stored = b.rig.stored_ids("workout", &day);
            ids.iter().all(|id| stored.contains(id))
        });
    }
    b.record("webhook intake", ms);
}

/// Every page of the seeded rows, one profiled request each, following
/// the `Link` headers: pages end at 750 KB (NDJSON ~11,000 rows, CSV
/// ~21,000).
fn export_pages(b: &mut Bench, format: &str) {
    let mut target = Some(format!(
        "/api/export?table=heart_rate_samples&format={format}&end=2021-01-31"
    ));
    let case = format!("export page, {format} (<= 50,000 rows, 750 KB)");
    let (mut ms, mut rows) = (Vec::new(), Vec::new());
    while let Some(path) = target.take() {
        b.cdp.start();
        let ip = b.ip();
        let auth = format!("Bearer {GRAFANA}");
        let headers = [
            ("authorization", auth.as_str()),
            ("cf-connecting-ip", ip.as_str()),
        ];
        let r = b.rig.w.send("GET", &path, &headers, None);
        std::thread::sleep(SETTLE);
        let p = b.cdp.stop();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        ms.push(p.cpu_ms(None));
        rows.push(r.header("x-export-rows").unwrap_or("?").to_string());
        target = r
            .header("link")
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split_once('>'))
            .map(|(t, _)| t.to_string());
        b.profiled(&case, &p);
    }
    eprintln!("export {format}: rows per page {rows:?}");
    b.record(&case, ms);
}

/// A cron run is a chain of invocations (the scheduled one, then links
/// through the queue, each after its 1 s batch wait): each is a case
/// sample of its own, told apart by the idle time between them.
/// The warm runs come after one unprofiled run (a fresh isolate's first
/// run is measured apart, in `CPU_FRESH` new rigs each way).
fn cron_runs(b: &mut Bench) {
    let (mut ms, mut totals) = (Vec::new(), Vec::<f64>::new());
    cron_run(b);
    for _ in 0..3 {
        let p = cron_run(b);
        let links = p.bursts_ms(LINK_GAP);
        eprintln!("cron run: {} invocations, ms {links:.2?}", links.len());
        if std::env::var("CPU_LINK_TOP").is_ok() {
            for (i, b) in p.bursts(LINK_GAP).iter().enumerate() {
                let mut top: Vec<_> = b.iter().collect();
                top.sort_by(|a, b| b.1.total_cmp(a.1));
                eprintln!("  link {i}: {:.2?}", &top[..top.len().min(12)]);
            }
        }
        totals.push(links.iter().sum());
        ms.extend(links);
        b.profiled("cron run, one invocation (link)", &p);
    }
    b.record("cron run, one invocation (link)", ms);
    // Not one invocation, so not judged against the limit.
    eprintln!("cron run, every link summed (ms): {totals:.2?}");
    let mut firsts: HashMap<&str, Vec<f64>> = HashMap::new();
    for keep in [true, false] {
        for _ in 0..fresh_isolates() {
            b.use_rig(fresh_rig(keep));
            let cases = if b.keeps_code {
                CRON_FRESH_KEPT
            } else {
                CRON_FRESH
            };
            let bursts = cron_run(b).bursts(LINK_GAP);
            let links: Vec<f64> = bursts.iter().map(|f| f.values().sum()).collect();
            eprintln!("{}: cron run, ms {links:.2?}", cases[0]);
            for (case, burst) in cases.iter().zip(bursts) {
                firsts.entry(*case).or_default().push(burst.values().sum());
                let hot = b.hot.entry(case.to_string()).or_default();
                for (function, ms) in burst {
                    *hot.entry(function).or_default() += ms;
                }
            }
        }
    }
    for case in CRON_FRESH_KEPT.iter().chain(&CRON_FRESH) {
        if let Some(ms) = firsts.remove(case) {
            b.record(case, ms);
        }
    }
}

/// One cron run, profiled from its scheduled event to its last link.
fn cron_run(b: &mut Bench) -> Profile {
    let done = |log: &str| log.matches("cron finished").count();
    let before = done(&b.rig.w.log());
    b.cdp.start();
    let r = b
        .rig
        .w
        .send("GET", "/__scheduled?cron=0+*/2+*+*+*", &[], None);
    assert_eq!(r.status, 200);
    wait_for("cron", Duration::from_secs(300), || {
        done(&b.rig.w.log()) > before
    });
    std::thread::sleep(SETTLE);
    b.cdp.stop()
}

/// `CPU_CASES=export,backfill` runs only the groups named (all by default):
/// requests, backfill, sql, export, intake, queue, cron.
fn wanted(group: &str) -> bool {
    std::env::var("CPU_CASES")
        .map(|v| v.split(',').any(|g| g.trim() == group))
        .unwrap_or(true)
}

fn main() {
    let (rig, keeps_code) = fresh_rig(false);
    let cdp = Inspector::connect(rig.w.inspector_port);
    let mut b = Bench {
        rig,
        cdp,
        keeps_code,
        next_ip: 0,
        rows: Vec::new(),
        hot: HashMap::new(),
    };
    // The profile of nothing: the floor every case includes.
    b.http("(empty profile, no request)", 0, |_, _| 0);
    if wanted("requests") {
        b.http("public GET /favicon.svg", 200, |b, _| {
            b.send("GET", "/favicon.svg", None, None)
        });
        b.http("401 GET /api/oura/heartrate", 401, |b, _| {
            b.send("GET", "/api/oura/heartrate", None, None)
        });
    }
    if wanted("backfill") {
        backfill_steps(&mut b);
    }
    if wanted("sql") {
        sql_cases(&mut b);
    }
    if wanted("export") {
        export_cases(&mut b);
    }
    if wanted("intake") {
        webhook_intake(&mut b);
    }
    if wanted("queue") {
        queue_batches(&mut b);
    }
    if wanted("cron") {
        cron_runs(&mut b);
    }
    report(b);
}

fn sql_cases(b: &mut Bench) {
    b.http("/api/sql light (Resting HR panel)", 200, |b, i| {
        b.sql(&format!("SELECT heart_rate_lowest AS value FROM sleep_episodes WHERE heart_rate_lowest IS NOT NULL AND {i} = {i} ORDER BY day DESC LIMIT 1"))
    });
    b.http("/api/sql heavy (Daily HR Range panel, 90 days)", 200, |b, i| {
        b.sql(&format!("SELECT substr(timestamp,1,10)||'T00:00:00Z' AS time, MIN(bpm) AS min_hr, ROUND(AVG(bpm),1) AS avg_hr, MAX(bpm) AS max_hr FROM heart_rate_samples WHERE timestamp >= datetime('now', '-90 days') AND bpm > -{i} GROUP BY substr(timestamp,1,10) ORDER BY time"))
    });
    b.http("/api/sql heavy rows (7 days of samples)", 200, |b, i| {
        b.sql(&format!("SELECT timestamp AS time, bpm FROM heart_rate_samples WHERE timestamp >= datetime('now', '-7 days') AND bpm > -{i} ORDER BY timestamp"))
    });
    let cached = "SELECT substr(timestamp,1,10)||'T00:00:00Z' AS time, MIN(bpm) AS min_hr, MAX(bpm) AS max_hr FROM heart_rate_samples WHERE timestamp >= datetime('now', '-90 days') GROUP BY substr(timestamp,1,10) ORDER BY time";
    b.sql(cached);
    b.http("/api/sql cached hit", 200, |b, _| b.sql(cached));
}

fn export_cases(b: &mut Bench) {
    // Rows written straight into D1, years before the synced ones.
    b.rig.w.d1(&format!(
        "INSERT INTO heart_rate_samples (timestamp, bpm, source) \
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {EXPORT_ROWS}) \
         SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', '2020-01-01', '+' || (i * 300) || ' seconds'), 50 + i % 60, 'awake' FROM n"
    ));
    export_pages(b, "ndjson");
    export_pages(b, "csv");
}

fn report(mut b: Bench) {
    println!("\nCPU per invocation (ms; Free plan limit {LIMIT_MS} ms)");
    println!(
        "{:<50} {:>4} {:>8} {:>8}  verdict",
        "case", "n", "p50", "p99"
    );
    let mut over = Vec::new();
    for (case, mut ms) in b.rows {
        ms.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&ms, 0.5), percentile(&ms, 0.99));
        let verdict = if p99 <= LIMIT_MS { "under" } else { "OVER" };
        println!(
            "{case:<50} {:>4} {p50:>8.2} {p99:>8.2}  {verdict}",
            ms.len()
        );
        if p99 > LIMIT_MS || std::env::var_os("CPU_TOP").is_some() {
            over.push(case);
        }
    }
    // Where the time goes in the cases over the limit, or in every case
    // with `CPU_TOP=1` (all their profiles).
    for case in over {
        let mut fns: Vec<(String, f64)> = b
            .hot
            .remove(&case)
            .unwrap_or_default()
            .into_iter()
            .collect();
        fns.sort_by(|a, b| b.1.total_cmp(&a.1));
        let total: f64 = fns.iter().map(|f| f.1).sum();
        println!("\n{case}: self time, top functions of {total:.1} ms");
        for (name, ms) in fns.iter().take(top_n()) {
            println!(
                "  {ms:>8.1} ms  {}",
                name.chars().take(110).collect::<String>()
            );
        }
    }
}
