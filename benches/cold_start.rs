//! Cold start of the bundle in `build/` (run it after `make build` for the
//! deployed bundle): raw and gzip size, then the median of `RUNS` fresh
//! `wrangler dev` processes from spawn to the first 200 (workerd compiles
//! the wasm into a new isolate before it answers; node and miniflare start
//! up too, the same for any bundle), and the median time V8 (Node 22)
//! takes to compile the whole module alone, one process per run. `make bench`.

#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use local_runtime::{root, tool, Wrangler};
use std::io::Write;
use std::time::Duration;

const RUNS: usize = 5;

fn gzip_len(bytes: &[u8]) -> usize {
    let mut child = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip runs");
    let mut stdin = child.stdin.take().expect("gzip stdin");
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("gzip output");
    writer.join().expect("writer").expect("gzip input");
    out.stdout.len()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Compiling the whole module in V8 (Liftoff), without any of workerd: once
/// per process, as V8 caches a module it has compiled.
const COMPILE_JS: &str = r#"
const { readFileSync } = require("node:fs");
const bytes = readFileSync(process.argv[1]);
const t = performance.now();
new WebAssembly.Module(bytes);
console.log(performance.now() - t);
"#;

fn main() {
    for f in ["build/index_bg.wasm", "build/index.js"] {
        let bytes = std::fs::read(root().join(f)).expect("build/ holds a build");
        println!("{f}: {} B raw, {} B gzip -9", bytes.len(), gzip_len(&bytes));
    }
    let compiles: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let out = tool("node")
                // Eager: V8 otherwise compiles each function on its first call.
                .args(["--no-wasm-lazy-compilation", "-e", COMPILE_JS])
                .arg("build/index_bg.wasm")
                .output()
                .expect("node runs");
            let ms: f64 = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("node prints the compile time");
            Duration::from_secs_f64(ms / 1000.0)
        })
        .collect();
    println!(
        "V8 compile of the module (Node 22, median of {RUNS}): {:?}",
        median(compiles)
    );
    let starts: Vec<Duration> = (0..RUNS)
        .map(|_| Wrangler::start(&[]).ready_after)
        .collect();
    println!(
        "wrangler dev spawn → first 200 (median of {RUNS}): {:?} (all: {starts:?})",
        median(starts.clone())
    );
}
