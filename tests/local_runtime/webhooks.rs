//! Webhook helpers shared by `tests/e2e_webhooks.rs` and
//! `benches/webhook_burst.rs`: a simulator plus `wrangler dev` wired for
//! webhooks (the simulator's callback reaches the worker), signed deliveries
//! sent straight to `/webhook/oura`, and a burst that times intake and
//! delivery-to-row latency.

use super::{send_url, today_utc, Reply, Sim, Wrangler};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const GRAFANA: &str = "e2e-grafana-token";
pub const ADMIN: &str = "e2e-admin-token";
pub const VERIFY: &str = "e2e-verify-token";
/// The simulator's client secret: its default webhook signing key.
pub const SECRET: &str = "sim-secret";

/// The simulator and the worker, the worker reachable at `callback`.
pub struct Rig {
    pub sim: Sim,
    pub w: Wrangler,
    pub callback: String,
    pub today: String,
}

impl Rig {
    /// Starts both (the simulator serving `days` days up to today, UTC),
    /// with `vars` on top of the webhook settings, and connects OAuth.
    pub fn start(days: u32, data_types: &str, vars: &[(&str, &str)]) -> Rig {
        let today = today_utc().to_string();
        let sim = Sim::start(days, &today, "+00:00");
        let (port, target) = forwarder();
        let callback = format!("http://127.0.0.1:{port}/webhook/oura");
        let mut all = sim.worker_vars();
        for (k, v) in [
            ("GRAFANA_SECRET", GRAFANA),
            ("ADMIN_SECRET", ADMIN),
            ("OURA_WEBHOOK_VERIFICATION_TOKEN", VERIFY),
            ("OURA_WEBHOOK_CALLBACK_URL", callback.as_str()),
            ("OURA_WEBHOOK_DATA_TYPES", data_types),
        ]
        .into_iter()
        .chain(vars.iter().copied())
        {
            all.push((k.to_string(), v.to_string()));
        }
        let w = Wrangler::start(&all);
        let wport: u16 = w.base.rsplit(':').next().unwrap().parse().unwrap();
        *target.lock().unwrap() = Some(wport);
        w.connect_oura(ADMIN).expect("connected to the simulator");
        Rig {
            sim,
            w,
            callback,
            today,
        }
    }

    pub fn sim_send(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let bytes = body.map(|b| b.to_string().into_bytes());
        send_url(
            method,
            &format!("{}{path}", self.sim.base),
            &[("content-type", "application/json")],
            bytes.as_deref(),
        )
    }

    /// A control call that must succeed.
    pub fn sim_post(&self, path: &str, body: &Value) -> Value {
        let r = self.sim_send("POST", path, Some(body));
        assert!(
            r.status < 300,
            "{path}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }

    pub fn admin(&self, method: &str, path: &str) -> Reply {
        let auth = format!("Bearer {ADMIN}");
        self.w
            .send(method, path, &[("authorization", &auth)], Some(b""))
    }

    /// The ids of `collection` stored for `day`, via the read route.
    pub fn stored_ids(&self, collection: &str, day: &str) -> Vec<String> {
        self.stored(collection, day)
            .iter()
            .filter_map(|d| d["id"].as_str().map(str::to_string))
            .collect()
    }

    /// The documents of `collection` stored for `day`, via the read route.
    pub fn stored(&self, collection: &str, day: &str) -> Vec<Value> {
        let auth = format!("Bearer {GRAFANA}");
        let r = self.w.send(
            "GET",
            &format!("/api/oura/{collection}?start={day}&end={day}&limit=1000"),
            &[("authorization", &auth)],
            None,
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()["data"].as_array().cloned().unwrap_or_default()
    }

    /// Creates `n` workouts on `day` in the simulator only (no delivery);
    /// returns their ids.
    /// The document is written out, not copied from a simulated workout:
    /// the simulator has none on some days (0–2 a day, by date).
    pub fn new_workouts(&self, n: usize, day: &str) -> Vec<String> {
        let mut doc = json!({
            "activity": "walking",
            "calories": 100.0,
            "day": day,
            "distance": 2500.0,
            "end_datetime": format!("{day}T12:30:00.000+00:00"),
            "intensity": "easy",
            "label": null,
            "source": "manual",
            "start_datetime": format!("{day}T12:00:00.000+00:00"),
        });
        (0..n)
            .map(|i| {
                doc["calories"] = json!(100.0 + i as f64);
                let out = self.sim_post(
                    "/_sim/documents",
                    &json!({"collection": "workout", "op": "create", "document": doc}),
                );
                out["id"].as_str().expect("created id").to_string()
            })
            .collect()
    }

    /// A delivery body for one event, as Oura sends it (compact, fixed key order).
    pub fn event(&self, event_type: &str, data_type: &str, object_id: &str) -> String {
        format!(
            r#"{{"event_type":"{event_type}","data_type":"{data_type}","object_id":"{object_id}","event_time":"{}","user_id":"e2e-user"}}"#,
            event_time()
        )
    }

    /// POSTs `body` to `/webhook/oura` signed with `secret` at `ts` (unix s).
    pub fn deliver_as(&self, body: &str, ts: &str, secret: &str) -> Reply {
        let sig = sign(secret, ts, body);
        self.w.send(
            "POST",
            "/webhook/oura",
            &[
                ("x-oura-timestamp", ts),
                ("x-oura-signature", sig.as_str()),
                ("content-type", "application/json"),
            ],
            Some(body.as_bytes()),
        )
    }

    /// POSTs `body` correctly signed, now.
    pub fn deliver(&self, body: &str) -> Reply {
        self.deliver_as(body, &now_secs().to_string(), SECRET)
    }

    /// Runs SQL on the local D1 and returns the first column of the first row.
    pub fn d1_value(&self, sql: &str) -> Value {
        let rows = self.w.d1(sql);
        rows.as_array()
            .and_then(|r| r.first())
            .and_then(|row| row.as_object())
            .and_then(|o| o.values().next().cloned())
            .unwrap_or(Value::Null)
    }
}

/// The callback URL must be known before wrangler picks its port, so Oura
/// (the simulator) calls a forwarder whose port is fixed first.
pub fn forwarder() -> (u16, Arc<Mutex<Option<u16>>>) {
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

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The wall clock as a chrono time (chrono's `clock` feature is off).
pub fn utc_now() -> chrono::DateTime<chrono::Utc> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    chrono::DateTime::from_timestamp(since.as_secs() as i64, since.subsec_nanos()).unwrap()
}

/// Now as an ISO event time with microseconds, so events never collide.
pub fn event_time() -> String {
    utc_now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// Lower-case hex HMAC-SHA256 of `ts ‖ body`.
pub fn sign(secret: &str, ts: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// A delivery's status, JSON answer, and when it came back.
type Answer = (u16, Value, Instant);

/// What a burst measured.
pub struct Burst {
    /// Status and JSON answer of each delivery, in `ids` order.
    pub answers: Vec<(u16, Value)>,
    /// From the first request sent to the last answer.
    pub intake: Duration,
    /// Delivery answered → document visible on the read route, sorted.
    pub latencies: Vec<Duration>,
    /// From the first request sent to the last document visible.
    pub drained: Duration,
}

/// One `create` delivery body per workout id.
pub fn creates(rig: &Rig, ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|id| rig.event("create", "workout", id))
        .collect()
}

/// Sends `bodies` (the deliveries for workout `ids`, in order), signed, from
/// `threads` threads, then polls the read route for `day` until every id is
/// stored (or `deadline` passes: the missing ones are left out of `latencies`).
pub fn burst(
    rig: &Rig,
    ids: &[String],
    bodies: &[String],
    day: &str,
    threads: usize,
    deadline: Duration,
) -> Burst {
    let next = Arc::new(Mutex::new(0usize));
    let answered: Arc<Mutex<Vec<Option<Answer>>>> = Arc::new(Mutex::new(vec![None; ids.len()]));
    let url = format!("{}/webhook/oura", rig.w.base);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (next, answered, url) = (next.clone(), answered.clone(), &url);
            s.spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(30))
                    .build();
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(body) = bodies.get(i) else { break };
                    let ts = now_secs().to_string();
                    let res = agent
                        .post(url)
                        .set("x-oura-timestamp", &ts)
                        .set("x-oura-signature", &sign(SECRET, &ts, body))
                        .set("content-type", "application/json")
                        .send_string(body);
                    let (status, json) = match res {
                        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
                        Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap_or(Value::Null)),
                        Err(e) => panic!("delivery {i}: {e}"),
                    };
                    answered.lock().unwrap()[i] = Some((status, json, Instant::now()));
                }
            });
        }
    });
    let intake = started.elapsed();
    let answered: Vec<Answer> = Arc::try_unwrap(answered)
        .unwrap()
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|a| a.expect("every delivery answered"))
        .collect();
    let sent_at: HashMap<&str, Instant> = ids
        .iter()
        .zip(&answered)
        .map(|(id, a)| (id.as_str(), a.2))
        .collect();
    let mut seen: HashMap<String, Instant> = HashMap::new();
    while seen.len() < ids.len() && started.elapsed() < deadline {
        let now = Instant::now();
        for id in rig.stored_ids("workout", day) {
            if sent_at.contains_key(id.as_str()) {
                seen.entry(id).or_insert(now);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let drained = started.elapsed();
    let mut latencies: Vec<Duration> = seen
        .iter()
        .map(|(id, at)| at.saturating_duration_since(sent_at[id.as_str()]))
        .collect();
    latencies.sort();
    Burst {
        answers: answered.into_iter().map(|(s, j, _)| (s, j)).collect(),
        intake,
        latencies,
        drained,
    }
}

/// Yesterday (UTC) as `YYYY-MM-DD`: inside the simulator's range.
pub fn yesterday() -> String {
    (today_utc() - chrono::Duration::days(1)).to_string()
}

/// Messages the local queue reported as not acknowledged (retried or
/// dropped): its `QUEUE <name> acked/total` lines, colour codes removed.
pub fn unacked_in_log(log: &str) -> u64 {
    let plain = strip_ansi(log);
    plain
        .lines()
        .filter(|l| l.contains("QUEUE") && l.contains("oura-webhook-events"))
        .filter_map(|l| {
            let (acked, total) = l.split_whitespace().find_map(|w| w.split_once('/'))?;
            Some(
                total
                    .parse::<u64>()
                    .ok()?
                    .saturating_sub(acked.parse().ok()?),
            )
        })
        .sum()
}

pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for e in chars.by_ref() {
                if e.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
