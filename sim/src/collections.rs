//! `GET /v2/usercollection/<collection>[/<id>]` (and the `/v2/sandbox/...` mirror): windows, pagination,
//! `latest`, the `fields` projection and single-document lookups.

use crate::catalog::{self, Collection, Family};
use crate::fields;
use crate::http::{Req, Resp};
use crate::pagination::{self, Cursor};
use crate::state::State;
use crate::window::{self, Window, WindowError};
use serde_json::{json, Value};

/// Routes `rest` = `<collection>` or `<collection>/<id>` (the part after `/usercollection/`).
pub fn handle(st: &State, req: &Req, rest: &str) -> Resp {
    if req.method != "GET" {
        return Resp::detail(405, "Method Not Allowed");
    }
    let (name, id) = match rest.split_once('/') {
        Some((n, id)) => (n, Some(id)),
        None => (rest, None),
    };
    let Some(coll) = catalog::find(name) else {
        return Resp::detail(404, "Not Found");
    };
    match id {
        Some(id) if coll.single_doc && !id.is_empty() => single(st, coll, id),
        Some(_) => Resp::detail(404, "Not Found"),
        None => list(st, coll, req),
    }
}

fn single(st: &State, coll: &Collection, id: &str) -> Resp {
    match st.store.get(coll, id) {
        Some(doc) => Resp::json(200, &doc.value),
        None => Resp::detail(404, "Document not found."),
    }
}

fn window_for(st: &State, coll: &Collection, req: &Req) -> Result<Window, WindowError> {
    match coll.family {
        Family::Dated => window::dated(req.param("start_date"), req.param("end_date")),
        Family::Series => window::series(
            req.param("start_datetime"),
            req.param("end_datetime"),
            st.data_now,
        ),
        Family::Listed | Family::Single => Ok(Window::default()),
    }
}

fn list(st: &State, coll: &'static Collection, req: &Req) -> Resp {
    if coll.family == Family::Single {
        return Resp::json(200, st.store.personal_info());
    }
    // A token carries its own window; the original params may be repeated but are not needed.
    let (win, after) = match req.param("next_token").filter(|t| !t.is_empty()) {
        Some(token) => match pagination::decode(token) {
            Some(c) if c.c == coll.name => (c.w, Some(c.after)),
            _ => return Resp::detail(400, "Invalid next_token"),
        },
        None => match window_for(st, coll, req) {
            Ok(w) => (w, None),
            Err(WindowError::BadRequest(m)) => return Resp::detail(400, &m),
            Err(WindowError::Unprocessable(m)) => return Resp::detail(422, &m),
        },
    };
    let docs = st.store.docs(coll.name);
    let matching = docs.iter().filter(|d| win.matches(coll, d));
    let project = |v: &Value| fields::project(coll, v, req.param("fields"));
    if coll.family == Family::Series && req.param("latest") == Some("true") {
        let data: Vec<Value> = docs
            .iter()
            .rev()
            .find(|d| win.matches(coll, d))
            .map(|d| project(&d.value))
            .into_iter()
            .collect();
        return Resp::json(200, &json!({ "data": data, "next_token": null }));
    }
    let size = match coll.family {
        Family::Series => st.settings.series_page_size,
        _ => st.settings.page_size,
    };
    let (page, next) = pagination::page(matching, |d| d.key.as_str(), after.as_deref(), size);
    let next_token = next.map(|after| {
        pagination::encode(&Cursor {
            c: coll.name.to_string(),
            w: win,
            after,
        })
    });
    let data: Vec<Value> = page.iter().map(|d| project(&d.value)).collect();
    Resp::json(200, &json!({ "data": data, "next_token": next_token }))
}
