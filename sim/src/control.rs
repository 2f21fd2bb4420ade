//! The unauthenticated test-control API under `/_sim/`.

use crate::delivery::{self, Event};
use crate::documents;
use crate::faults::Fault;
use crate::http::{Req, Resp};
use crate::state::{App, State};
use crate::{timefmt, truth};
use serde_json::{json, Value};

pub fn handle(app: &App, req: &Req) -> Resp {
    let route = req.path.trim_start_matches("/_sim").trim_end_matches('/');
    match (req.method.as_str(), route) {
        ("GET", "/faults") => Resp::json(200, &json!(app.lock().faults.list())),
        ("POST", "/faults") => add_fault(app, req),
        ("DELETE", "/faults") => {
            app.lock().faults.clear();
            Resp::empty(204)
        }
        ("POST", "/documents") => documents::handle(app, req),
        ("POST", "/webhooks/deliver") => deliver(app, req),
        ("GET", "/truth") => truth::handle(&app.lock(), req),
        ("GET", "/requests") => Resp::json(200, &json!(app.lock().log.entries())),
        ("DELETE", "/requests") => {
            app.lock().log.clear();
            Resp::empty(204)
        }
        ("GET", "/config") => Resp::json(200, &config_json(&app.lock())),
        ("POST", "/config") => set_config(app, req),
        ("POST", "/tokens/revoke") => {
            app.lock().oauth.revoke_all();
            Resp::json(200, &json!({ "revoked": true }))
        }
        ("GET", "/clock") => Resp::json(200, &clock_json(&app.lock())),
        ("POST", "/clock") => advance_clock(app, req),
        _ => Resp::detail(404, "Not Found"),
    }
}

fn add_fault(app: &App, req: &Req) -> Resp {
    let body = match req.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    match serde_json::from_value::<Fault>(body) {
        Ok(f) => {
            let mut st = app.lock();
            st.faults.add(f);
            Resp::json(201, &json!(st.faults.list()))
        }
        Err(e) => Resp::detail(400, &format!("Invalid fault: {e}")),
    }
}

fn config_json(st: &State) -> Value {
    json!({
        "access_token_ttl": st.settings.access_token_ttl,
        "page_size": st.settings.page_size,
        "series_page_size": st.settings.series_page_size,
        "client_id": st.settings.client_id,
    })
}

fn set_config(app: &App, req: &Req) -> Resp {
    let body = match req.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let positive = |k: &str| -> Result<Option<i64>, Resp> {
        match body.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if n > 0 => Ok(Some(n)),
                _ => Err(Resp::detail(
                    400,
                    &format!("`{k}` must be a positive integer"),
                )),
            },
        }
    };
    let (ttl, page, series) = match (
        positive("access_token_ttl"),
        positive("page_size"),
        positive("series_page_size"),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let mut st = app.lock();
    if let Some(t) = ttl {
        st.settings.access_token_ttl = t;
    }
    if let Some(p) = page {
        st.settings.page_size = p as usize;
    }
    if let Some(p) = series {
        st.settings.series_page_size = p as usize;
    }
    Resp::json(200, &config_json(&st))
}

fn clock_json(st: &State) -> Value {
    json!({ "now": st.now(), "now_iso": timefmt::utc(st.now()), "offset_secs": st.clock_offset })
}

fn advance_clock(app: &App, req: &Req) -> Resp {
    let body = match req.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(secs) = body.get("advance_secs").and_then(Value::as_i64) else {
        return Resp::detail(400, "`advance_secs` (integer) is required");
    };
    let mut st = app.lock();
    st.clock_offset += secs;
    Resp::json(200, &clock_json(&st))
}

/// `POST /_sim/webhooks/deliver`: one signed delivery; answers with the receiver's status.
fn deliver(app: &App, req: &Req) -> Resp {
    let body = match req.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(url), Some(event_type), Some(data_type), Some(object_id)) = (
        s("callback_url"),
        s("event_type"),
        s("data_type"),
        s("object_id"),
    ) else {
        return Resp::detail(
            400,
            "callback_url, event_type, data_type and object_id are required",
        );
    };
    let (event, secret, ts) = {
        let st = app.lock();
        let now = st.now();
        let user = st
            .store
            .personal_info()
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let event = Event {
            event_type,
            data_type,
            object_id,
            event_time: s("event_time").unwrap_or_else(|| timefmt::utc_millis(now)),
            user_id: s("user_id").unwrap_or(user),
        };
        let ts = body.get("timestamp").and_then(Value::as_i64).unwrap_or(now);
        (
            event,
            s("signing_secret").unwrap_or_else(|| st.settings.client_secret.clone()),
            ts,
        )
    };
    let outcome = delivery::deliver(&url, &secret, &event, ts);
    let status = if outcome.status.is_some() { 200 } else { 502 };
    Resp::json(status, &json!(outcome))
}
