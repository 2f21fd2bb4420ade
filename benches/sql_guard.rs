//! Time the `/api/sql` guard needs per query (lex, parse, AST walk, row cap),
//! over the test corpus: the 64 dashboard queries, the hand-written accepted
//! queries and the attacks. `cargo bench --bench sql_guard`.

use criterion::{criterion_group, criterion_main, Criterion};
use oura_edge::services::sql_guard::{guard, GuardConfig};
use serde_json::Value;
use std::hint::black_box;

fn load(name: &str) -> Vec<(String, Vec<Value>)> {
    let path = format!(
        "{}/tests/fixtures/sql_guard/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let items: Vec<Value> = serde_json::from_str(&text).expect("fixture json");
    items
        .into_iter()
        .map(|v| {
            let sql = v["sql"].as_str().unwrap_or_default().to_string();
            let params = v["params"].as_array().cloned().unwrap_or_default();
            (sql, params)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cfg = GuardConfig::for_schema(50_000);
    for (label, file) in [
        ("dashboard", "dashboard_queries.json"),
        ("accepted", "accepted.json"),
        ("attacks", "attacks.json"),
    ] {
        let corpus = load(file);
        let n = corpus.len();
        // One iteration guards the whole file; divide by `n` for per query.
        c.bench_function(&format!("guard/{label} ({n} queries per iteration)"), |b| {
            b.iter(|| {
                for (sql, params) in &corpus {
                    let _ = black_box(guard(black_box(sql), params, &cfg));
                }
            })
        });
    }
    let longest = load("dashboard_queries.json")
        .into_iter()
        .max_by_key(|(s, _)| s.len())
        .unwrap_or_default();
    c.bench_function("guard/longest dashboard query", |b| {
        b.iter(|| black_box(guard(black_box(&longest.0), &[], &cfg)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
