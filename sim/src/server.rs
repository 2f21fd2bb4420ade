//! HTTP serving (tiny_http, a small thread pool over one listener) and top-level routing. Faults and the
//! request log wrap every non-control route.

use crate::faults::{Fault, Kind};
use crate::http::{Req, Resp};
use crate::reqlog::Entry;
use crate::state::App;
use crate::{collections, control, docs, oauth, webhooks};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

const THREADS: usize = 8;
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Binds 127.0.0.1:`port` (0 = any free port), prints the listening line and serves forever.
pub fn serve(app: App, port: u16) -> Result<(), String> {
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| format!("cannot bind port {port}: {e}"))?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or("listener has no IP address")?;
    let mut out = std::io::stdout();
    writeln!(out, "oura-sim listening on http://127.0.0.1:{port}")
        .and_then(|_| out.flush())
        .map_err(|e| e.to_string())?;
    let server = Arc::new(server);
    let app = Arc::new(app);
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (server, app) = (Arc::clone(&server), Arc::clone(&app));
            std::thread::spawn(move || loop {
                match server.recv() {
                    Ok(rq) => answer(&app, rq),
                    Err(e) => eprintln!("oura-sim: accept failed: {e}"),
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

fn answer(app: &App, mut rq: tiny_http::Request) {
    let headers = rq
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_string(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let mut body = Vec::new();
    if let Err(e) = rq.as_reader().take(MAX_BODY).read_to_end(&mut body) {
        let _ = rq.respond(
            tiny_http::Response::from_string(format!("bad body: {e}")).with_status_code(400),
        );
        return;
    }
    let req = Req::new(rq.method().as_str(), rq.url(), headers, body);
    let resp = route(app, &req);
    let mut out = tiny_http::Response::from_data(resp.body).with_status_code(resp.status);
    for (k, v) in resp.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            out.add_header(h);
        }
    }
    if let Err(e) = rq.respond(out) {
        eprintln!("oura-sim: respond failed: {e}");
    }
}

/// Routes one request: control API directly; everything else through faults, dispatch and the log.
pub fn route(app: &App, req: &Req) -> Resp {
    if req.path.starts_with("/_sim/") {
        return control::handle(app, req);
    }
    let fault = app.lock().faults.take(&req.path);
    let fault_name = fault
        .as_ref()
        .map(|f| format!("{:?}", f.kind).to_lowercase());
    let resp = match fault {
        Some(f) if f.kind != Kind::Slow => injected(app, req, &f),
        Some(f) => {
            std::thread::sleep(Duration::from_millis(f.delay_ms.unwrap_or(1000)));
            dispatch(app, req)
        }
        None => dispatch(app, req),
    };
    let mut st = app.lock();
    let time = st.now();
    st.log.push(Entry {
        seq: 0,
        time,
        method: req.method.clone(),
        path: req.url.clone(),
        status: resp.status,
        fault: fault_name,
    });
    resp
}

fn injected(app: &App, req: &Req, f: &Fault) -> Resp {
    match f.kind {
        Kind::Malformed => Resp::raw(
            200,
            "application/json",
            br#"{"data": [{"id": "trunc"#.to_vec(),
        ),
        Kind::RevokeToken => {
            let mut st = app.lock();
            if let Some(t) = oauth::bearer(req) {
                if st.settings.static_token.as_deref() != Some(t) {
                    st.oauth.revoke(t);
                }
            }
            Resp::detail(401, "Access token has been revoked")
        }
        Kind::Status | Kind::Slow => {
            let status = f.status.unwrap_or(500);
            if status != 429 {
                return Resp::detail(status, "Simulated fault");
            }
            let now = app.lock().now();
            let mut r = Resp::detail(429, "Too Many Requests")
                .with_header("X-RateLimit-Limit", "5000")
                .with_header("X-RateLimit-Window", "300")
                .with_header("X-RateLimit-Tier", "token");
            if let Some(s) = f.retry_after {
                r = r
                    .with_header("Retry-After", &s.to_string())
                    .with_header("X-RateLimit-Reset", &(now + s as i64).to_string());
            }
            r
        }
    }
}

fn dispatch(app: &App, req: &Req) -> Resp {
    let get = req.method == "GET";
    match req.path.as_str() {
        "/v2/docs" if get => return docs::html(),
        docs::SPEC_PATH if get => return Resp::json(200, &docs::openapi()),
        "/oauth/authorize" if get => return oauth::authorize(app, req),
        "/oauth/token" if req.method == "POST" => return oauth::token(app, req),
        "/oauth/revoke" => return oauth::revoke(app, req),
        _ => {}
    }
    if req.path.starts_with("/v2/webhook/subscription") {
        return webhooks::handle(app, req);
    }
    if let Some(rest) = req.path.strip_prefix("/v2/usercollection/") {
        let st = app.lock();
        return match oauth::check(&st, req) {
            Ok(()) => collections::handle(&st, req, rest),
            Err(r) => r,
        };
    }
    // The sandbox accepts any non-empty bearer and has no personal_info (api.md §8).
    if let Some(rest) = req.path.strip_prefix("/v2/sandbox/usercollection/") {
        if oauth::bearer(req).is_none() {
            return Resp::detail(401, "Missing Authorization header");
        }
        if rest == "personal_info" {
            return Resp::detail(404, "Not Found");
        }
        return collections::handle(&app.lock(), req, rest);
    }
    Resp::detail(404, "Not Found")
}
