//! What `/api/sql`'s read-share check costs a request: on a metered
//! invocation whose isolate already knows today's `usage_daily` row (every
//! request after an isolate's first of the day), and, for comparison,
//! reading that row from D1 (native SQLite here; a D1 round trip on the
//! Worker), which the check avoids. `make bench`.

use criterion::{criterion_group, criterion_main, Criterion};
use oura_edge::services::config::Config;
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::sql_budget::check;
use oura_edge::services::try_block_on;
use oura_edge::services::usage::{self, Meter};
use std::hint::black_box;
use std::path::Path;

fn bench(c: &mut Criterion) {
    let migrations = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"));
    let native = NativePlatform::new(migrations, 1_768_478_400_000.0).expect("platform");
    let config = Config::from_lookup(|_| None);
    let meter = Meter::new();
    let p = usage::metered(&native.platform, &meter, 60_000.0);
    // The isolate's first check of the day loads the row.
    let first = try_block_on(check(&p, &config)).expect("completes");
    assert!(first.is_ok());
    c.bench_function("sql_budget/check_known_day", |b| {
        b.iter(|| black_box(try_block_on(check(black_box(&p), &config))))
    });
    c.bench_function("sql_budget/read_usage_daily_instead", |b| {
        b.iter(|| black_box(try_block_on(usage::today(black_box(&p)))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
