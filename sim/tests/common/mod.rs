//! Shared helpers for the integration tests: spawn the simulator binary, tiny HTTP client wrappers and a
//! local webhook receiver.
#![allow(dead_code)] // each test binary uses a different subset

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A running simulator; killed when dropped so failing tests don't leak processes.
pub struct Sim {
    child: Child,
    pub base: String,
}

impl Sim {
    pub fn start(args: &[&str]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oura-sim"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn oura-sim");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read listening line");
        let base = line
            .trim()
            .strip_prefix("oura-sim listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Sim { child, base }
    }

    /// Starts with `--static-token tok` plus `args`.
    pub fn with_token(args: &[&str]) -> Sim {
        let mut all = vec!["--static-token", "tok"];
        all.extend_from_slice(args);
        Sim::start(&all)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET with the static token.
    pub fn get(&self, path: &str) -> (u16, Value) {
        call(
            ureq::get(&self.url(path)).set("Authorization", "Bearer tok"),
            None,
        )
    }

    pub fn get_with(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut r = ureq::get(&self.url(path));
        if let Some(t) = token {
            r = r.set("Authorization", &format!("Bearer {t}"));
        }
        call(r, None)
    }

    /// Follows `next_token` and returns every document of a list query.
    pub fn get_all(&self, path_and_query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut url = path_and_query.to_string();
        loop {
            let (status, body) = self.get(&url);
            assert_eq!(status, 200, "{url}: {body}");
            out.extend(body["data"].as_array().cloned().unwrap_or_default());
            match body["next_token"].as_str() {
                Some(t) => {
                    let sep = if path_and_query.contains('?') {
                        '&'
                    } else {
                        '?'
                    };
                    url = format!("{path_and_query}{sep}next_token={t}");
                }
                None => return out,
            }
        }
    }

    pub fn control(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        call(
            ureq::request(method, &self.url(path)),
            Some(body.to_string()),
        )
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a request (JSON body if given) and returns status + JSON body (Null if not JSON).
pub fn call(req: ureq::Request, body: Option<String>) -> (u16, Value) {
    let (status, text) = call_raw(req, body.map(|b| ("application/json", b)));
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn call_raw(req: ureq::Request, body: Option<(&str, String)>) -> (u16, String) {
    let result = match body {
        Some((ct, b)) => req.set("Content-Type", ct).send_string(&b),
        None => req.call(),
    };
    match result {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("transport error: {e}"),
    }
}

/// One request seen by the [`Receiver`].
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal webhook receiver on 127.0.0.1: answers the verification challenge when the token matches
/// `token`, and records every request.
pub struct Receiver {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    pub fn start(token: &str) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let url = format!(
            "http://{}/oura/webhook",
            listener.local_addr().expect("addr")
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (token, log) = (token.to_string(), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(req) = read_request(&mut stream) else {
                    continue;
                };
                let (status, body) = respond_to(&req, &token);
                log.lock().expect("lock").push(req);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        Receiver { url, seen }
    }

    pub fn posts(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|s| s.method == "POST")
            .cloned()
            .collect()
    }
}

fn respond_to(req: &Seen, token: &str) -> (u16, String) {
    if req.method != "GET" {
        return (200, "{}".into());
    }
    let query = req.target.split_once('?').map(|x| x.1).unwrap_or("");
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .map(str::to_string)
    };
    match (param("verification_token"), param("challenge")) {
        (Some(t), Some(c)) if t == token => {
            (200, serde_json::json!({ "challenge": c }).to_string())
        }
        _ => (401, r#"{"detail":"bad token"}"#.into()),
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}
