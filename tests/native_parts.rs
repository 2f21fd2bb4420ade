//! The native KV, queue and limiter keep the promises the Worker's bindings make.

use oura_edge::router::Tier;
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::try_block_on;
use serde_json::json;
use std::path::Path;

fn native() -> NativePlatform {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"));
    NativePlatform::new(dir, 1_000_000.0).unwrap()
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    try_block_on(f).expect("native futures complete")
}

#[test]
fn kv_keys_expire_by_the_clock_with_a_60_second_floor() {
    let n = native();
    let kv = &n.platform.kv;
    run(kv.put("short", "v", Some(5))).unwrap();
    run(kv.put("forever", "v", None)).unwrap();
    assert_eq!(
        n.kv.expires_at("short"),
        Some(1_000_000.0 + 60_000.0),
        "TTL raised to 60 s"
    );
    n.clock.advance(59_000.0);
    assert_eq!(run(kv.get("short")).unwrap().as_deref(), Some("v"));
    n.clock.advance(2_000.0);
    assert_eq!(run(kv.get("short")).unwrap(), None);
    assert_eq!(run(kv.list("")).unwrap(), vec!["forever".to_string()]);
    run(kv.delete("forever")).unwrap();
    let ops = n.kv.ops();
    assert_eq!(
        (ops.reads, ops.writes, ops.deletes, ops.lists),
        (2, 2, 1, 1)
    );
}

#[test]
fn a_failing_queue_keeps_nothing() {
    let n = native();
    n.queue.set_failing(true);
    assert!(run(n.platform.queue.send(&json!({"a": 1}))).is_err());
    n.queue.set_failing(false);
    run(n.platform.queue.send(&json!({"a": 2}))).unwrap();
    assert_eq!(n.queue.sent(), vec![json!({"a": 2})]);
}

#[test]
fn limiter_tiers_have_the_spec_limits_per_minute() {
    let n = native();
    let allowed = |tier, count| {
        (0..count)
            .filter(|_| run(n.platform.limiter.limit(Tier::binding(tier), "k")).unwrap())
            .count()
    };
    assert_eq!(allowed(Tier::Strict, 5), 1);
    assert_eq!(allowed(Tier::Unauth, 15), 10);
    assert_eq!(allowed(Tier::Auth, 3005), 3000);
    n.clock.advance(60_000.0);
    assert_eq!(allowed(Tier::Strict, 5), 1, "a new window");
}

#[test]
fn workflows_remember_instances() {
    let n = native();
    let id = run(n.platform.workflows.create(None, &json!({"days": 3}))).unwrap();
    assert_eq!(
        run(n.platform.workflows.status(&id)).unwrap(),
        Some(json!({"status": "queued"}))
    );
    assert_eq!(run(n.platform.workflows.status("nope")).unwrap(), None);
    assert_eq!(n.workflows.created(), vec![(id, json!({"days": 3}))]);
}
