//! Webhook subscription API (`/v2/webhook/subscription…`, api.md §2/§6), authenticated by the
//! `x-client-id` / `x-client-secret` headers. Creating or updating performs the verification handshake first.

use crate::catalog::{self, EVENT_TYPES};
use crate::delivery;
use crate::http::{Req, Resp};
use crate::state::{App, State};
use crate::timefmt;
use serde::Serialize;
use serde_json::{json, Value};

/// Subscriptions last 7 days from creation or renewal.
pub const LIFETIME_SECS: i64 = 7 * 86_400;

#[derive(Serialize, Clone, Debug)]
pub struct Subscription {
    pub id: String,
    pub callback_url: String,
    pub event_type: String,
    pub data_type: String,
    pub expiration_time: String,
    #[serde(skip)]
    pub expires_at: i64,
}

#[derive(Default)]
pub struct Subscriptions(Vec<Subscription>);

impl Subscriptions {
    /// Unexpired subscriptions for (event_type, data_type), for `notify_subscribers` deliveries.
    pub fn matching(&self, event_type: &str, data_type: &str, now: i64) -> Vec<Subscription> {
        self.0
            .iter()
            .filter(|s| {
                s.event_type == event_type && s.data_type == data_type && s.expires_at > now
            })
            .cloned()
            .collect()
    }
}

fn authorized(st: &State, req: &Req) -> bool {
    req.header("x-client-id") == Some(st.settings.client_id.as_str())
        && req.header("x-client-secret") == Some(st.settings.client_secret.as_str())
}

/// FastAPI-style 422 body.
fn unprocessable(kind: &str, field: &str, msg: &str, input: Option<&Value>) -> Resp {
    let mut item = json!({ "type": kind, "loc": ["body", field], "msg": msg });
    if let Some(i) = input {
        item["input"] = i.clone();
    }
    Resp::json(422, &json!({ "detail": [item] }))
}

/// Validates an optional enum-valued string field.
fn enum_field<'a>(body: &'a Value, field: &str, allowed: &[&str]) -> Result<Option<&'a str>, Resp> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        Some(other) => Err(unprocessable(
            "enum",
            field,
            &format!(
                "Invalid {field} value; expected one of {}",
                allowed.join(", ")
            ),
            Some(other),
        )),
    }
}

fn str_field<'a>(body: &'a Value, field: &str) -> Result<Option<&'a str>, Resp> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(unprocessable(
            "string_type",
            field,
            "Input should be a valid string",
            Some(other),
        )),
    }
}

fn required<'a>(v: Option<&'a str>, field: &str) -> Result<&'a str, Resp> {
    v.ok_or_else(|| unprocessable("missing", field, "Field required", None))
}

pub fn handle(app: &App, req: &Req) -> Resp {
    let rest = req
        .path
        .trim_start_matches("/v2/webhook/subscription")
        .trim_matches('/');
    if !authorized(&app.lock(), req) {
        return Resp::detail(403, "Forbidden");
    }
    let result = match (
        req.method.as_str(),
        rest.split('/').collect::<Vec<_>>().as_slice(),
    ) {
        ("GET", [""]) => Ok(list(app)),
        ("POST", [""]) => create(app, req),
        ("PUT", ["renew", id]) => Ok(renew(app, id)),
        ("GET", [id]) => Ok(get(app, id)),
        ("PUT", [id]) => update(app, req, id),
        ("DELETE", [id]) => Ok(delete(app, id)),
        _ => Ok(Resp::detail(405, "Method Not Allowed")),
    };
    result.unwrap_or_else(|r| r)
}

fn list(app: &App) -> Resp {
    Resp::json(200, &json!(app.lock().subs.0))
}

fn get(app: &App, id: &str) -> Resp {
    match app.lock().subs.0.iter().find(|s| s.id == id) {
        Some(s) => Resp::json(200, &json!(s)),
        None => Resp::detail(404, &format!("Subscription with id {id} not found.")),
    }
}

fn create(app: &App, req: &Req) -> Result<Resp, Resp> {
    let body = req.json()?;
    let callback_url = required(str_field(&body, "callback_url")?, "callback_url")?;
    let token = required(
        str_field(&body, "verification_token")?,
        "verification_token",
    )?;
    let event_type = required(enum_field(&body, "event_type", EVENT_TYPES)?, "event_type")?;
    let data_type = required(
        enum_field(&body, "data_type", &catalog::webhook_data_types())?,
        "data_type",
    )?;
    let challenge = app.lock().rng.hex(16);
    // The handshake runs without the lock: the receiver may itself be calling the simulator.
    delivery::verify(callback_url, token, &challenge)
        .map_err(|e| Resp::detail(400, &format!("Webhook verification failed: {e}")))?;
    let mut st = app.lock();
    if st
        .subs
        .0
        .iter()
        .any(|s| s.event_type == event_type && s.data_type == data_type)
    {
        return Err(Resp::detail(
            409,
            "A subscription for this event_type and data_type already exists.",
        ));
    }
    let expires_at = st.now() + LIFETIME_SECS;
    let sub = Subscription {
        id: st.rng.uuid(),
        callback_url: callback_url.to_string(),
        event_type: event_type.to_string(),
        data_type: data_type.to_string(),
        expiration_time: timefmt::utc_millis(expires_at),
        expires_at,
    };
    st.subs.0.push(sub.clone());
    Ok(Resp::json(201, &json!(sub)))
}

fn update(app: &App, req: &Req, id: &str) -> Result<Resp, Resp> {
    let body = req.json()?;
    let token = required(
        str_field(&body, "verification_token")?,
        "verification_token",
    )?;
    let callback_url = str_field(&body, "callback_url")?;
    let event_type = enum_field(&body, "event_type", EVENT_TYPES)?;
    let data_type = enum_field(&body, "data_type", &catalog::webhook_data_types())?;
    let not_found = || Resp::detail(404, &format!("Subscription with id {id} not found."));
    let (mut sub, challenge) = {
        let mut st = app.lock();
        let sub = st
            .subs
            .0
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(not_found)?;
        (sub, st.rng.hex(16))
    };
    if let Some(u) = callback_url {
        sub.callback_url = u.to_string();
    }
    if let Some(e) = event_type {
        sub.event_type = e.to_string();
    }
    if let Some(d) = data_type {
        sub.data_type = d.to_string();
    }
    delivery::verify(&sub.callback_url, token, &challenge)
        .map_err(|e| Resp::detail(400, &format!("Webhook verification failed: {e}")))?;
    let mut st = app.lock();
    if st
        .subs
        .0
        .iter()
        .any(|s| s.id != id && s.event_type == sub.event_type && s.data_type == sub.data_type)
    {
        return Err(Resp::detail(
            409,
            "A subscription for this event_type and data_type already exists.",
        ));
    }
    let slot = st
        .subs
        .0
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(not_found)?;
    *slot = sub.clone();
    Ok(Resp::json(200, &json!(sub)))
}

fn delete(app: &App, id: &str) -> Resp {
    let mut st = app.lock();
    let before = st.subs.0.len();
    st.subs.0.retain(|s| s.id != id);
    if st.subs.0.len() == before {
        return Resp::detail(404, &format!("No webhook id {id} found."));
    }
    Resp::empty(204)
}

fn renew(app: &App, id: &str) -> Resp {
    let mut st = app.lock();
    let expires_at = st.now() + LIFETIME_SECS;
    match st.subs.0.iter_mut().find(|s| s.id == id) {
        Some(s) => {
            s.expires_at = expires_at;
            s.expiration_time = timefmt::utc_millis(expires_at);
            Resp::json(200, &json!(s))
        }
        None => Resp::detail(404, &format!("Subscription with id {id} not found.")),
    }
}
