//! Drives the real local runtime for end-to-end tests and benchmarks: the
//! Oura simulator and `wrangler dev` on the built worker, on loopback ports,
//! stopped cleanly when dropped. Needs `make build-fast` and
//! `cargo build -p oura-sim` first (`make test` does both).
#![allow(dead_code)]

pub mod browser;
pub mod inspector;
pub mod webhooks;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Oura simulator, data up to today (UTC) so "the last N days" has data.
pub struct Sim {
    child: Child,
    pub base: String,
}

impl Sim {
    /// Serves `days` days of data ending at `end_date`, in the given UTC offset.
    pub fn start(days: u32, end_date: &str, utc_offset: &str) -> Sim {
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root().join("target"));
        let bin = target.join("debug/oura-sim");
        assert!(
            bin.exists(),
            "{} is missing: run `cargo build -p oura-sim` (make test does)",
            bin.display()
        );
        let mut child = Command::new(bin)
            .args([
                "--port",
                "0",
                "--days",
                &days.to_string(),
                "--end-date",
                end_date,
            ])
            .args(["--utc-offset", utc_offset])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("oura-sim starts");
        let stdout = child.stdout.take().expect("sim stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("sim listening line");
        let base = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|b| b.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected sim line: {line}"))
            .to_string();
        Sim { child, base }
    }

    /// The worker settings that point it at this simulator.
    pub fn worker_vars(&self) -> Vec<(String, String)> {
        let b = &self.base;
        [
            ("OURA_API_BASE_URL", b.clone()),
            ("OURA_AUTHORIZE_URL", format!("{b}/oauth/authorize")),
            ("OURA_TOKEN_URL", format!("{b}/oauth/token")),
            ("OURA_DOCS_URL", format!("{b}/v2/docs")),
            ("OURA_CLIENT_ID", "sim-client".to_string()),
            ("OURA_CLIENT_SECRET", "sim-secret".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    pub fn get(&self, path: &str) -> serde_json::Value {
        ureq::get(&format!("{}{path}", self.base))
            .call()
            .expect("sim answers")
            .into_json()
            .expect("sim JSON")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Wrangler {
    child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
    persist: String,
    /// The DevTools inspector of the worker (`inspector::Inspector`).
    pub inspector_port: u16,
    /// From spawning `wrangler dev` to its first 200 (the cold-start bench).
    pub ready_after: Duration,
    /// Kept out of `Drop` so `restart` can hand it to the next instance.
    state: Option<tempfile::TempDir>,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn tool(name: &str) -> Command {
    let mut cmd = Command::new(root().join("node_modules/.bin").join(name));
    let path = format!(
        "{}:{}",
        root().join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.current_dir(root())
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_LOG_PATH", root().join("target/wrangler-logs"));
    cmd
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Wrangler {
    /// Starts `wrangler dev` on the built worker with these `--var`s.
    pub fn start(vars: &[(String, String)]) -> Wrangler {
        Wrangler::start_on(free_port(), vars)
    }

    /// The same on a chosen port (`free_port()`), for settings that must
    /// name the worker's own URL before it starts (webhook callback).
    pub fn start_on(port: u16, vars: &[(String, String)]) -> Wrangler {
        Wrangler::start_in(port, tempfile::tempdir().expect("temp dir"), vars)
    }

    /// Stops this instance and starts another on the same local D1, KV and
    /// queue state: a fresh isolate (nothing held in memory), same data.
    pub fn restart(mut self, vars: &[(String, String)]) -> Wrangler {
        let state = self.state.take().expect("state dir");
        drop(self);
        Wrangler::start_in(free_port(), state, vars)
    }

    fn start_in(port: u16, state: tempfile::TempDir, vars: &[(String, String)]) -> Wrangler {
        assert!(
            root().join("build/index.js").exists(),
            "build/ is missing: run `make build-fast` (make test does)"
        );
        let persist = state.path().to_str().expect("utf-8 path").to_string();
        let migrate = tool("wrangler")
            .args([
                "d1",
                "migrations",
                "apply",
                "oura_db",
                "--local",
                "--persist-to",
                &persist,
            ])
            .output()
            .expect("wrangler runs");
        assert!(
            migrate.status.success(),
            "migrations failed: {}",
            String::from_utf8_lossy(&migrate.stderr)
        );
        let inspector_port = free_port();
        let mut cmd = tool("wrangler");
        cmd.args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector_port.to_string()])
            .args(["--persist-to", &persist])
            .args(["--test-scheduled", "--show-interactive-dev-session=false"])
            .args(
                vars.iter()
                    .flat_map(|(k, v)| ["--var".to_string(), format!("{k}:{v}")]),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let spawned = Instant::now();
        let mut child = cmd.spawn().expect("wrangler dev starts");
        let log = Arc::new(Mutex::new(String::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(mut l) = log.lock() {
                        l.push_str(&line);
                        l.push('\n');
                    }
                }
            });
        }
        let mut w = Wrangler {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            persist: persist.clone(),
            inspector_port,
            ready_after: Duration::ZERO,
            state: Some(state),
        };
        // Generous: a loaded 2-core machine can take a minute to start workerd.
        w.ready_after = w.wait_ready(spawned, Duration::from_secs(180));
        w
    }

    /// Polls a cheap public route (not /health, whose budget is 1 a minute).
    fn wait_ready(&self, start: Instant, deadline: Duration) -> Duration {
        while start.elapsed() < deadline {
            if let Ok(res) = ureq::get(&format!("{}/favicon.svg", self.base))
                .timeout(Duration::from_secs(2))
                .call()
            {
                if res.status() == 200 {
                    return start.elapsed();
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("wrangler dev not ready after {deadline:?}:\n{}", self.log());
    }

    /// Runs SQL on the instance's local D1 through wrangler (works while it runs).
    /// Rows of one statement run on the worker's local D1. `wrangler d1
    /// execute` sometimes answers with an error object while the worker
    /// holds the database (seen under load): retried a few times, then fails
    /// with what wrangler said.
    pub fn d1(&self, sql: &str) -> serde_json::Value {
        let mut last = String::new();
        for attempt in 0..5 {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(300 * attempt));
            }
            let out = tool("wrangler")
                .args([
                    "d1",
                    "execute",
                    "oura_db",
                    "--local",
                    "--persist-to",
                    &self.persist,
                ])
                .args(["--command", sql, "--json"])
                .output()
                .expect("wrangler runs");
            match serde_json::from_slice::<serde_json::Value>(&out.stdout) {
                Ok(v) if v[0]["results"].is_array() => return v[0]["results"].clone(),
                Ok(v) => last = format!("{v} {}", String::from_utf8_lossy(&out.stderr)),
                Err(e) => last = format!("{e}: {}", String::from_utf8_lossy(&out.stderr)),
            }
        }
        panic!("d1 execute {sql:?} failed 5 times: {last}")
    }

    /// Connects the worker to the simulator's Oura account: /oauth/start,
    /// the simulator's authorize redirect, then the callback.
    pub fn connect_oura(&self, admin_token: &str) -> Result<(), String> {
        let auth = format!("Bearer {admin_token}");
        let start = self.send("GET", "/oauth/start", &[("authorization", &auth)], None);
        let authorize = start
            .header("location")
            .ok_or("no redirect from /oauth/start")?;
        let approved = send_url("GET", authorize, &[], None);
        let callback = approved
            .header("location")
            .ok_or("no redirect from authorize")?;
        let done = send_url("GET", callback, &[], None);
        if done.status == 200 {
            Ok(())
        } else {
            Err(format!("callback answered {}", done.status))
        }
    }

    /// The `--persist-to` directory of this instance's local D1, KV, ….
    pub fn persist_dir(&self) -> &str {
        &self.persist
    }

    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        send_url(method, &format!("{}{path}", self.base), headers, body)
    }

    /// Starts a backfill (`POST /backfill?{query}`; `headers` carry the admin
    /// token) and polls its status every `poll` until it ends, for at most
    /// `within`: the last status (complete, errored or terminated).
    pub fn backfill(
        &self,
        query: &str,
        headers: &[(&str, &str)],
        poll: Duration,
        within: Duration,
    ) -> serde_json::Value {
        let r = self.send("POST", &format!("/backfill?{query}"), headers, Some(b""));
        assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
        let url = r.json()["statusUrl"]
            .as_str()
            .expect("statusUrl")
            .to_string();
        let deadline = Instant::now() + within;
        loop {
            let s = self.send("GET", &url, headers, None).json();
            if matches!(
                s["status"].as_str(),
                Some("complete" | "errored" | "terminated")
            ) {
                return s;
            }
            assert!(Instant::now() < deadline, "backfill did not finish: {s}");
            std::thread::sleep(poll);
        }
    }

    /// POSTs `sql` to `/api/sql` with a bearer `token`, as Grafana does;
    /// `extra` headers (e.g. `cf-connecting-ip`) go along.
    pub fn sql(&self, token: &str, sql: &str, extra: &[(&str, &str)]) -> Reply {
        let auth = format!("Bearer {token}");
        let body = serde_json::json!({ "sql": sql, "params": [] }).to_string();
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        self.send("POST", "/api/sql", &headers, Some(body.as_bytes()))
    }
}

/// One request; redirects are not followed and every status comes back as a `Reply`.
pub fn send_url(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut req = agent.request(method, url).timeout(Duration::from_secs(60));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    let res = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = res.status();
    let headers = res
        .headers_names()
        .into_iter()
        .filter_map(|n| {
            res.header(&n)
                .map(|v| (n.to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut res.into_reader(), &mut body).expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

impl Drop for Wrangler {
    /// SIGINT to the wrapper (it stops its children), then sweep the group.
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
        let _ = self.child.wait();
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Today's date in UTC, from the system clock.
pub fn today_utc() -> chrono::NaiveDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .expect("valid time")
        .date_naive()
}
