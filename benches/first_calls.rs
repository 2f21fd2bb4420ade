//! What V8 compiles for a fresh isolate's first backfill `sync:` step, a
//! cron run's scheduled event and its first link through the queue, and
//! how much of it the start event's rehearsals (`services::warm_up`) already
//! compiled. V8 compiles each wasm function on its first call, on the
//! invocation's CPU; `--trace-wasm-compilation-times` prints each compile
//! with its time, which this bench reads from `wrangler dev`'s log (no
//! profiler attached: V8's own timing).
//!
//! Here the invocations still pay for all of it: workerd signals memory
//! pressure to each isolate it builds, V8 then drops the Liftoff code of
//! every wasm module in the process, and miniflare builds its own isolates
//! after the worker's (docs/decisions.md, #16's eighth session). Deployed,
//! what startup compiled stays until another isolate is built in the same
//! process. The bench reports both, and how much of startup's code was
//! dropped before the invocation. `make bench`; `make build-named` (or
//! `build-fast`) first: the names section names the functions.
//! `FIRST_CALLS_TOP=N` lists each invocation's N largest functions;
//! `FIRST_CALLS_PROFILED=1` runs V8's sampling profiler meanwhile, as the
//! `cpu` bench does, to compare what each compile takes under it.

#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use local_runtime::webhooks::{Rig, ADMIN};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

const FLAGS: &str = "--trace-wasm-compilation-times";
const SIM_DAYS: u32 = 30;

/// One Liftoff compile: function index, µs, body bytes.
type Compile = (u32, u64, u64);

/// A case: what drives it, and the first and last frames of the
/// invocation measured (its future, and that future's drop).
struct Case {
    name: &'static str,
    drive: fn(&Rig),
    first: &'static str,
    last: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "first backfill sync: step (heart rate, 5 days)",
        drive: backfill_heart_rate,
        first: "backfill::sync_body::{{closure}}",
        last: "drop_in_place<oura_edge::services::backfill::sync_body",
    },
    Case {
        name: "a cron run's scheduled event",
        drive: cron_run,
        first: "services::cron::run::{{closure}}",
        last: "drop_in_place<oura_edge::services::cron::run::{{closure}}",
    },
    Case {
        name: "a cron run's first link through the queue",
        drive: cron_run,
        first: "consumer::handle_batch::{{closure}}",
        last: "drop_in_place<oura_edge::services::webhooks::consumer::handle_batch::{{closure}}",
    },
];

fn main() {
    std::env::set_var("MINIFLARE_WORKERD_V8_FLAGS", FLAGS);
    let names = function_names(&local_runtime::root().join("build/index_bg.wasm"));
    println!("wasm compiled by V8 (Liftoff) in a fresh isolate ({FLAGS})");
    println!("{:<58} {:>9} {:>8} {:>9}", "", "functions", "ms", "KB");
    for case in CASES {
        // Each case in an isolate of its own: nothing else ran there first.
        let rig = Rig::start(SIM_DAYS, "workout", &[]);
        let before = rig.w.log().len();
        // `FIRST_CALLS_PROFILED=1`: V8's sampling profiler runs meanwhile, as
        // in the cpu bench, to see what it adds to each compile.
        let mut profiler = std::env::var_os("FIRST_CALLS_PROFILED").map(|_| {
            let mut p = local_runtime::inspector::Inspector::connect(rig.w.inspector_port);
            p.start();
            p
        });
        (case.drive)(&rig);
        if let Some(p) = profiler.as_mut() {
            p.stop();
        }
        let log = rig.w.log();
        let startup = startup_list(&log);
        let at_startup: HashSet<u32> = startup.iter().map(|c| c.0).collect();
        let run: Vec<Compile> = log[before..].lines().filter_map(liftoff).collect();
        let named = |c: &Compile| names.get(&c.0).map_or("?", String::as_str);
        let first = run.iter().position(|c| named(c).contains(case.first));
        let last = run.iter().rposition(|c| named(c).contains(case.last));
        let (Some(first), Some(last)) = (first, last) else {
            panic!(
                "{}: its future was not compiled: is build/ a build with names?",
                case.name
            );
        };
        let own = &run[first..=last];
        let (kept, left): (Vec<Compile>, Vec<Compile>) =
            own.iter().partition(|c| at_startup.contains(&c.0));
        println!("{}", case.name);
        row("  startup (start event, rehearsals included)", &startup);
        row("  the invocation", own);
        row("    of which startup had compiled (dropped since)", &kept);
        row("    left to it when startup's code is kept", &left);
        let largest = |mut list: Vec<Compile>, n: usize| {
            list.sort_by_key(|c| std::cmp::Reverse(c.2));
            for c in list.iter().take(n) {
                println!("      {:>6} B {:>5} µs  {}", c.2, c.1, named(c));
            }
        };
        largest(left, 5);
        // `FIRST_CALLS_TOP=N`: the invocation's N largest, kept or not.
        if let Some(n) = std::env::var("FIRST_CALLS_TOP")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            println!("    the invocation's largest");
            largest(own.to_vec(), n);
        }
    }
}

fn row(what: &str, compiles: &[Compile]) {
    let us: u64 = compiles.iter().map(|c| c.1).sum();
    let bytes: u64 = compiles.iter().map(|c| c.2).sum();
    println!(
        "{what:<58} {:>9} {:>8.2} {:>9.1}",
        compiles.len(),
        us as f64 / 1000.0,
        bytes as f64 / 1024.0
    );
}

/// `Compiled function 0x…#163 using Liftoff, took 266 μs and … bytes;
/// bodysize 7095 codesize 35084` → (163, 266, 7095).
fn liftoff(line: &str) -> Option<Compile> {
    let rest = line.split_once("Compiled function ")?.1;
    let index = rest.split_once('#')?.1.split_once(' ')?.0.parse().ok()?;
    if !rest.contains("using Liftoff") {
        return None;
    }
    let took = rest.split_once("took ")?.1;
    let (n, unit) = took.split_once(' ')?;
    let us = n.parse::<u64>().ok()? * if unit.starts_with("ms") { 1000 } else { 1 };
    let body = rest
        .split_once("bodysize ")?
        .1
        .split_once(' ')?
        .0
        .parse()
        .ok()?;
    Some((index, us, body))
}

/// The compiles between the start event's log line and the server's
/// readiness: startup's own.
fn startup_list(log: &str) -> Vec<Compile> {
    let from = log
        .find("isolate started")
        .expect("startup logged its line");
    let to = log[from..].find("Ready on").map_or(log.len(), |i| from + i);
    log[from..to].lines().filter_map(liftoff).collect()
}

/// One scheduled run, every link of it (the first is measured).
fn cron_run(rig: &Rig) {
    let r = rig
        .w
        .send("GET", "/__scheduled?cron=0+*/2+*+*+*", &[], None);
    assert_eq!(r.status, 200);
    let deadline = Instant::now() + Duration::from_secs(300);
    while !rig.w.log().contains("cron finished") {
        assert!(Instant::now() < deadline, "the cron run did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A backfill of heart rate's largest window, as the CPU bench runs it.
fn backfill_heart_rate(rig: &Rig) {
    let auth = format!("Bearer {ADMIN}");
    let headers = [("authorization", auth.as_str())];
    let query = "days=5&offset_days=1&resources=heartrate";
    let poll = Duration::from_millis(100);
    let s = rig
        .w
        .backfill(query, &headers, poll, Duration::from_secs(120));
    assert_eq!(s["status"], "complete", "backfill: {s}");
}

/// Function index → name, from the wasm's `name` section (function names
/// are its subsection 1; indices count imports, as V8's do).
fn function_names(path: &std::path::Path) -> HashMap<u32, String> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut names = HashMap::new();
    let mut i = 8;
    while i < b.len() {
        let id = b[i];
        let (size, at) = leb(&b, i + 1);
        let end = at + size as usize;
        let (len, name_at) = leb(&b, at);
        if id == 0 && &b[name_at..name_at + len as usize] == b"name" {
            let mut j = name_at + len as usize;
            while j < end {
                let sub = b[j];
                let (sub_size, body) = leb(&b, j + 1);
                if sub == 1 {
                    let (count, mut k) = leb(&b, body);
                    for _ in 0..count {
                        let (index, at) = leb(&b, k);
                        let (n, text) = leb(&b, at);
                        let name = &b[text..text + n as usize];
                        names.insert(index, String::from_utf8_lossy(name).into_owned());
                        k = text + n as usize;
                    }
                }
                j = body + sub_size as usize;
            }
        }
        i = end;
    }
    names
}

/// An unsigned LEB128 at `at`: its value and the offset after it.
fn leb(b: &[u8], mut at: usize) -> (u32, usize) {
    let (mut v, mut shift) = (0u32, 0);
    loop {
        let byte = b[at];
        at += 1;
        v |= u32::from(byte & 0x7f) << shift;
        shift += 7;
        if byte < 0x80 {
            return (v, at);
        }
    }
}
