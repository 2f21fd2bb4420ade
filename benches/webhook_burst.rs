//! Webhook intake and delivery-to-row latency through the local runtime
//! (`wrangler dev`: local Queues, D1, KV; the simulator as Oura). Sends
//! signed `create` deliveries straight to `/webhook/oura` and polls the read
//! route until each document is stored. Reports: intake requests per second
//! for a burst of 200 from 8 threads, and delivery → row latency (median,
//! p95) for that burst and for events arriving one at a time. The queue
//! consumer settings measured are wrangler.toml's (printed). `make bench`.

#[path = "../tests/local_runtime/mod.rs"]
mod local_runtime;

use local_runtime::webhooks::{burst, creates, percentile, yesterday, Rig};
use std::time::{Duration, Instant};

const BURST: usize = 200;
const THREADS: usize = 8;
const SINGLES: usize = 10;

fn consumer_settings() -> String {
    std::fs::read_to_string(local_runtime::root().join("wrangler.toml"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("max_batch") || l.starts_with("max_retries"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() {
    let rig = Rig::start(10, "workout", &[]);
    println!("queue consumer: {}", consumer_settings());

    // One at a time: each waits for the previous to land.
    let day = yesterday();
    let ids = rig.new_workouts(SINGLES, &day);
    let mut single = Vec::new();
    for (id, body) in ids.iter().zip(creates(&rig, &ids)) {
        let start = Instant::now();
        assert_eq!(rig.deliver(&body).status, 202);
        while !rig.stored_ids("workout", &day).contains(id) {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "{id} not stored"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        single.push(start.elapsed());
    }
    single.sort();
    println!(
        "single events ({SINGLES}, one at a time): delivery → row median {:?}, p95 {:?}",
        percentile(&single, 0.5),
        percentile(&single, 0.95)
    );

    for round in 1..=2 {
        let day = (local_runtime::today_utc() - chrono::Duration::days(1 + round)).to_string();
        let ids = rig.new_workouts(BURST, &day);
        let bodies = creates(&rig, &ids);
        let b = burst(&rig, &ids, &bodies, &day, THREADS, Duration::from_secs(300));
        assert!(b
            .answers
            .iter()
            .all(|(s, a)| *s == 202 && a["accepted"] == 1));
        assert_eq!(b.latencies.len(), BURST, "every document stored");
        println!(
            "burst {round} ({BURST} deliveries, {THREADS} threads): intake {:.0} req/s ({:?}); \
             delivery → row median {:?}, p95 {:?}, max {:?}; all stored after {:?}",
            BURST as f64 / b.intake.as_secs_f64(),
            b.intake,
            percentile(&b.latencies, 0.5),
            percentile(&b.latencies, 0.95),
            b.latencies.last().copied().unwrap_or_default(),
            b.drained
        );
    }
    let batches = rig
        .w
        .log()
        .lines()
        .filter(|l| l.contains("QUEUE") && l.contains("oura-webhook-events"))
        .count();
    println!("queue batches delivered to the consumer: {batches}");
}
