//! Webhooks end to end: the built worker under `wrangler dev` (local D1, KV,
//! Queues) and the Oura simulator. Subscriptions are synced (the simulator
//! runs the challenge against the worker), documents changed in the
//! simulator are delivered signed to `/webhook/oura`, go through the queue
//! and land in (or leave) D1 within a deadline. Needs `make build-fast` and
//! `cargo build -p oura-sim` first.

mod local_runtime;

use hmac::{Hmac, Mac};
use local_runtime::{send_url, today_utc, Sim, Wrangler};
use serde_json::{json, Value};
use sha2::Sha256;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const GRAFANA: &str = "e2e-grafana-token";
const ADMIN: &str = "e2e-admin-token";
const VERIFY: &str = "e2e-verify-token";
const TYPES: &str = "workout,daily_readiness,daily_sleep,tag,vo2_max";
/// Generous: one transient failure costs a 30 s queue retry delay.
const DEADLINE: Duration = Duration::from_secs(60);

/// The callback URL must be known before wrangler picks its port, so Oura
/// (the simulator) calls a forwarder whose port is fixed first.
fn forwarder() -> (u16, Arc<Mutex<Option<u16>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let target: Arc<Mutex<Option<u16>>> = Arc::new(Mutex::new(None));
    let t = target.clone();
    std::thread::spawn(move || {
        for inbound in listener.incoming().map_while(Result::ok) {
            let Some(to) = *t.lock().unwrap() else {
                continue;
            };
            let Ok(outbound) = TcpStream::connect(("127.0.0.1", to)) else {
                continue;
            };
            let pipe = |mut from: TcpStream, mut to: TcpStream| {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Write);
                });
            };
            pipe(inbound.try_clone().unwrap(), outbound.try_clone().unwrap());
            pipe(outbound, inbound);
        }
    });
    (port, target)
}

fn sim_post(sim: &Sim, path: &str, body: &Value) -> Value {
    let r = send_url(
        "POST",
        &format!("{}{path}", sim.base),
        &[("content-type", "application/json")],
        Some(body.to_string().as_bytes()),
    );
    assert!(
        r.status < 300,
        "{path}: {} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// Changes a document in the simulator and has it notify the subscribers;
/// every delivery must have been accepted (202) by the worker.
fn change(sim: &Sim, body: Value) -> Value {
    let mut body = body;
    body["notify_subscribers"] = json!(true);
    let out = sim_post(sim, "/_sim/documents", &body);
    let deliveries = out["deliveries"].as_array().cloned().unwrap_or_default();
    assert_eq!(deliveries.len(), 1, "one subscriber per (op, type): {out}");
    assert_eq!(deliveries[0]["status"], 202, "{out}");
    out
}

/// The stored document of `collection` on `day` with this id, via the read route.
fn stored(w: &Wrangler, collection: &str, day: &str, id: &str) -> Option<Value> {
    let auth = format!("Bearer {GRAFANA}");
    let r = w.send(
        "GET",
        &format!("/api/oura/{collection}?start={day}&end={day}&limit=1000"),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["data"]
        .as_array()?
        .iter()
        .find(|d| d["id"] == id)
        .cloned()
}

/// Polls until `done` holds; returns how long it took.
fn until(w: &Wrangler, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        if done() {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = w.log();
    let tail: String = log
        .chars()
        .skip(log.chars().count().saturating_sub(20_000))
        .collect();
    panic!("{what}: not within {DEADLINE:?}; wrangler log tail:\n{tail}");
}

fn sign(ts: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(b"sim-secret").unwrap();
    mac.update(ts.as_bytes());
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[test]
fn webhooks_end_to_end() {
    let today = today_utc().to_string();
    let sim = Sim::start(10, &today, "+00:00");
    let (port, target) = forwarder();
    let callback = format!("http://127.0.0.1:{port}/webhook/oura");
    let mut vars = sim.worker_vars();
    for (k, v) in [
        ("GRAFANA_SECRET", GRAFANA),
        ("ADMIN_SECRET", ADMIN),
        ("OURA_WEBHOOK_VERIFICATION_TOKEN", VERIFY),
        ("OURA_WEBHOOK_CALLBACK_URL", callback.as_str()),
        ("OURA_WEBHOOK_DATA_TYPES", TYPES),
    ] {
        vars.push((k.to_string(), v.to_string()));
    }
    let w = Wrangler::start(&vars);
    let wport: u16 = w.base.rsplit(':').next().unwrap().parse().unwrap();
    *target.lock().unwrap() = Some(wport);
    w.connect_oura(ADMIN).expect("connected to the simulator");
    let admin = format!("Bearer {ADMIN}");

    // 1. Subscriptions: 5 types × 3 events, each created after the
    //    simulator's challenge against the worker; a second sync creates none.
    let sync = w.send(
        "POST",
        "/api/admin/oura/webhooks/sync",
        &[("authorization", &admin)],
        None,
    );
    assert_eq!(sync.status, 200, "{}", String::from_utf8_lossy(&sync.body));
    let report = sync.json();
    assert_eq!(report["created"], 15, "{report}");
    assert_eq!(report["errors"], json!([]));
    let again = w
        .send(
            "POST",
            "/api/admin/oura/webhooks/sync",
            &[("authorization", &admin)],
            None,
        )
        .json();
    assert_eq!(
        (again["existing"].clone(), again["created"].clone()),
        (json!(15), json!(0))
    );
    let list = w
        .send(
            "GET",
            "/api/admin/oura/webhooks",
            &[("authorization", &admin)],
            None,
        )
        .json();
    assert_eq!(list["count"], 15);
    let wrong = w.send(
        "GET",
        "/webhook/oura?verification_token=nope&challenge=x",
        &[],
        None,
    );
    assert_eq!(wrong.status, 401);

    // 2. An update of an existing workout lands, 20 times: delivery → stored latency.
    let truth = sim.get("/_sim/truth?collection=workout");
    let wid = truth["workout"]["ids"]
        .as_array()
        .and_then(|ids| ids.last())
        .and_then(Value::as_str)
        .expect("a workout")
        .to_string();
    let mut latencies = Vec::new();
    let mut workout = Value::Null;
    for i in 0..20 {
        let calories = 500.0 + i as f64;
        let start = Instant::now();
        let out = change(
            &sim,
            json!({"collection": "workout", "op": "update", "id": wid,
                   "document": {"calories": calories}}),
        );
        workout = out["document"].clone();
        let day = workout["day"].as_str().unwrap().to_string();
        until(&w, "updated workout stored", || {
            stored(&w, "workout", &day, &wid).is_some_and(|d| d["calories"] == calories)
        });
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let median = percentile(&latencies, 0.5);
    let p95 = percentile(&latencies, 0.95);
    eprintln!(
        "webhook delivery → stored in D1 over {} updates: median {median:?}, p95 {p95:?}, max {:?}",
        latencies.len(),
        latencies.last().unwrap()
    );
    let day = workout["day"].as_str().unwrap().to_string();
    let typed = w.d1(&format!(
        "SELECT calories FROM activity_logs WHERE id = '{wid}'"
    ));
    assert_eq!(typed[0]["calories"].as_f64(), Some(519.0), "{typed}");

    // 3. Delete: the workout leaves D1 (raw and typed).
    change(
        &sim,
        json!({"collection": "workout", "op": "delete", "id": wid}),
    );
    until(&w, "deleted workout gone", || {
        stored(&w, "workout", &day, &wid).is_none()
    });
    let typed = w.d1(&format!(
        "SELECT COUNT(*) AS n FROM activity_logs WHERE id = '{wid}'"
    ));
    assert_eq!(typed[0]["n"], 0);

    // 4. Create: a new document arrives under its new id.
    let mut fresh = workout.clone();
    fresh.as_object_mut().unwrap().remove("id");
    fresh["calories"] = json!(321.0);
    let created = change(
        &sim,
        json!({"collection": "workout", "op": "create", "document": fresh}),
    );
    let new_id = created["id"].as_str().unwrap().to_string();
    let new_day = created["document"]["day"].as_str().unwrap().to_string();
    until(&w, "created workout stored", || {
        stored(&w, "workout", &new_day, &new_id).is_some()
    });

    // 5. A daily type: update, then delete clears only readiness on that day.
    let rtruth = sim.get("/_sim/truth?collection=daily_readiness");
    let rid = rtruth["daily_readiness"]["ids"]
        .as_array()
        .and_then(|ids| ids.last())
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    let r = change(
        &sim,
        json!({"collection": "daily_readiness", "op": "update", "id": rid, "document": {"score": 77}}),
    );
    let rday = r["document"]["day"].as_str().unwrap().to_string();
    until(&w, "readiness stored", || {
        stored(&w, "daily_readiness", &rday, &rid).is_some_and(|d| d["score"] == 77)
    });
    change(
        &sim,
        json!({"collection": "daily_readiness", "op": "delete", "id": rid}),
    );
    until(&w, "readiness gone", || {
        stored(&w, "daily_readiness", &rday, &rid).is_none()
    });
    let row = w.d1(&format!(
        "SELECT readiness_id, readiness_score FROM daily_summaries WHERE day = '{rday}'"
    ));
    if let Some(r) = row.as_array().and_then(|a| a.first()) {
        assert_eq!(r["readiness_id"], Value::Null);
        assert_eq!(r["readiness_score"], Value::Null);
    }

    // 6. A replayed delivery is acknowledged and not processed twice.
    let body = json!({"event_type": "update", "data_type": "tag", "object_id": "no-such-tag",
                      "event_time": format!("{today}T08:00:00.000+00:00"), "user_id": "u-1"})
    .to_string();
    let ts = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs())
    .to_string();
    let sig = sign(&ts, &body);
    let headers = [
        ("x-oura-timestamp", ts.as_str()),
        ("x-oura-signature", sig.as_str()),
        ("content-type", "application/json"),
    ];
    let first = w.send("POST", "/webhook/oura", &headers, Some(body.as_bytes()));
    assert_eq!(first.status, 202);
    assert_eq!(first.json()["accepted"], 1);
    let second = w.send("POST", "/webhook/oura", &headers, Some(body.as_bytes()));
    assert_eq!(second.status, 202);
    assert_eq!(
        second.json(),
        json!({"accepted": 0, "duplicate": 1, "ignored": 0})
    );
    until(&w, "the tag event processed once", || {
        w.d1("SELECT processed FROM webhook_freshness WHERE data_type = 'tag'")[0]["processed"] == 1
    });
    // An absence cannot be polled for: give a second (wrong) processing time to show.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        w.d1("SELECT processed FROM webhook_freshness WHERE data_type = 'tag'")[0]["processed"],
        1
    );
    let dead = w.d1("SELECT COUNT(*) AS n FROM webhook_dead_letters");
    assert_eq!(dead[0]["n"], 0, "nothing dead-lettered");
    assert!(p95 < DEADLINE);
}
