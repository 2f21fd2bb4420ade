//! `POST /_sim/documents`: create, update (deep merge of a partial document) or delete a document, optionally
//! announcing the change as a signed webhook to `deliver_to` and/or every matching subscription.

use crate::catalog::{self, Collection, Family};
use crate::delivery::{self, Event, Outcome};
use crate::http::{Req, Resp};
use crate::state::{App, State};
use crate::timefmt;
use serde_json::{json, Value};

/// Recursively merges `patch` into `base` (objects merge, anything else replaces).
pub fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// The id a request addresses: `id`, else the document's `id` (or `timestamp` for time series).
fn target_id(coll: &Collection, body: &Value) -> Option<String> {
    let field = if coll.family == Family::Series {
        "timestamp"
    } else {
        "id"
    };
    body.get("id")
        .or_else(|| body.get("document").and_then(|d| d.get(field)))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn apply(
    st: &mut State,
    coll: &'static Collection,
    op: &str,
    body: &Value,
) -> Result<(u16, String, Value), Resp> {
    let doc = body.get("document").cloned();
    if coll.family == Family::Single {
        // personal_info is one object: create/update both merge into it; delete is meaningless.
        let patch = doc.ok_or_else(|| Resp::detail(400, "`document` is required"))?;
        let mut v = st.store.personal_info().clone();
        merge(&mut v, &patch);
        st.store.set_personal_info(v.clone());
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        return Ok((200, id, v));
    }
    match op {
        "create" => {
            let mut doc =
                doc.ok_or_else(|| Resp::detail(400, "`document` is required for create"))?;
            if coll.family != Family::Series && doc.get("id").is_none() {
                doc["id"] = json!(st.rng.uuid());
            }
            let v = st
                .store
                .insert(coll, doc)
                .map_err(|e| Resp::detail(409, &e))?;
            let id = target_id(coll, &json!({ "document": v })).unwrap_or_default();
            Ok((201, id, v))
        }
        "update" => {
            let id = target_id(coll, body)
                .ok_or_else(|| Resp::detail(400, "`id` is required for update"))?;
            let patch =
                doc.ok_or_else(|| Resp::detail(400, "`document` is required for update"))?;
            let existing = st
                .store
                .get(coll, &id)
                .ok_or_else(|| Resp::detail(404, "Document not found."))?;
            let mut v = existing.value.clone();
            merge(&mut v, &patch);
            let v = st
                .store
                .replace(coll, &id, v)
                .map_err(|e| Resp::detail(400, &e))?;
            Ok((200, id, v))
        }
        "delete" => {
            let id = target_id(coll, body)
                .ok_or_else(|| Resp::detail(400, "`id` is required for delete"))?;
            let v = st
                .store
                .remove(coll, &id)
                .ok_or_else(|| Resp::detail(404, "Document not found."))?;
            Ok((200, id, v))
        }
        _ => Err(Resp::detail(400, "`op` must be create, update or delete")),
    }
}

pub fn handle(app: &App, req: &Req) -> Resp {
    let body = match req.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(coll) = body
        .get("collection")
        .and_then(Value::as_str)
        .and_then(catalog::find)
    else {
        return Resp::detail(400, "`collection` must name a known collection");
    };
    let op = body.get("op").and_then(Value::as_str).unwrap_or("");
    // Mutate under the lock, then deliver without it.
    let (status, id, doc, targets, event, secret, now) = {
        let mut st = app.lock();
        let (status, id, doc) = match apply(&mut st, coll, op, &body) {
            Ok(x) => x,
            Err(r) => return r,
        };
        let now = st.now();
        let mut targets: Vec<String> = body
            .get("deliver_to")
            .and_then(Value::as_str)
            .map(str::to_string)
            .into_iter()
            .collect();
        if let (Some(dt), true) = (
            coll.webhook,
            body.get("notify_subscribers") == Some(&json!(true)),
        ) {
            targets.extend(
                st.subs
                    .matching(op, dt, now)
                    .into_iter()
                    .map(|s| s.callback_url),
            );
        }
        let event = coll.webhook.map(|dt| Event {
            event_type: op.to_string(),
            data_type: dt.to_string(),
            object_id: id.clone(),
            event_time: timefmt::utc_millis(now),
            user_id: st
                .store
                .personal_info()
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        });
        let secret = body
            .get("signing_secret")
            .and_then(Value::as_str)
            .unwrap_or(&st.settings.client_secret)
            .to_string();
        (status, id, doc, targets, event, secret, now)
    };
    let deliveries: Vec<Outcome> = match &event {
        Some(ev) => targets
            .iter()
            .map(|url| delivery::deliver(url, &secret, ev, now))
            .collect(),
        None => Vec::new(),
    };
    Resp::json(
        status,
        &json!({ "collection": coll.name, "op": op, "id": id, "document": doc, "deliveries": deliveries }),
    )
}
