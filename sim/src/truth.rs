//! `GET /_sim/truth`: what the simulator holds, per collection, optionally restricted to a window, so tests
//! can compare a consumer's stored rows against the source.
//!
//! Default window rule: `start_date`/`end_date` both inclusive on the document's own day (`day`/`start_day`;
//! UTC date of `timestamp` for time series) — what "rows for these days" means in a database. With
//! `semantics=api` the list endpoint's own rules apply instead (exclusive end for daily_activity/sleep/workout,
//! workout by UTC date, `start_datetime`/`end_datetime` for series, without the 30-day cap).

use crate::catalog::{Collection, Family, COLLECTIONS};
use crate::http::{Req, Resp};
use crate::state::State;
use crate::store::{day_num, Doc};
use crate::timefmt;
use crate::window::{self, Window, WindowError};
use serde_json::{json, Map, Value};

enum Filter {
    All,
    /// Inclusive day numbers on the document's own day.
    Days(Option<i64>, Option<i64>),
    Api,
}

fn own_day(coll: &Collection, d: &Doc) -> Option<i64> {
    match coll.family {
        Family::Series => d.pos.and_then(timefmt::utc_date).map(day_num),
        _ => d.day.map(day_num),
    }
}

fn api_window(coll: &Collection, req: &Req) -> Result<Window, WindowError> {
    match coll.family {
        Family::Dated => window::dated(req.param("start_date"), req.param("end_date")),
        Family::Series => {
            let p = |n: &str| req.param(n).and_then(timefmt::parse_epoch);
            Ok(Window {
                lo: p("start_datetime"),
                hi: p("end_datetime"),
                empty: false,
            })
        }
        _ => Ok(Window::default()),
    }
}

pub fn handle(st: &State, req: &Req) -> Resp {
    let date = |n: &str| req.param(n).and_then(timefmt::parse_date).map(day_num);
    let filter = if req.param("semantics") == Some("api") {
        Filter::Api
    } else if req.param("start_date").is_some() || req.param("end_date").is_some() {
        Filter::Days(date("start_date"), date("end_date"))
    } else {
        Filter::All
    };
    let with_ids = req.param("ids") != Some("false");
    let only = req.param("collection");
    let mut out = Map::new();
    for coll in COLLECTIONS
        .iter()
        .filter(|c| only.is_none_or(|o| o == c.name))
    {
        if coll.family == Family::Single {
            let id = st
                .store
                .personal_info()
                .get("id")
                .cloned()
                .unwrap_or(Value::Null);
            out.insert(coll.name.into(), json!({ "count": 1, "id": id }));
            continue;
        }
        let api = match filter {
            Filter::Api => match api_window(coll, req) {
                Ok(w) => Some(w),
                Err(WindowError::BadRequest(m) | WindowError::Unprocessable(m)) => {
                    return Resp::detail(400, &m)
                }
            },
            _ => None,
        };
        let docs: Vec<&Doc> = st
            .store
            .docs(coll.name)
            .iter()
            .filter(|d| match (&filter, &api) {
                (Filter::Days(lo, hi), _) => match own_day(coll, d) {
                    Some(day) => lo.is_none_or(|lo| day >= lo) && hi.is_none_or(|hi| day <= hi),
                    None => true,
                },
                (_, Some(w)) => w.matches(coll, d),
                _ => true,
            })
            .collect();
        out.insert(coll.name.into(), summary(coll, &docs, with_ids));
    }
    Resp::json(200, &Value::Object(out))
}

fn summary(coll: &Collection, docs: &[&Doc], with_ids: bool) -> Value {
    if coll.family == Family::Series {
        return json!({
            "count": docs.len(),
            "min_timestamp": docs.first().map(|d| timefmt::utc(d.pos.unwrap_or_default())),
            "max_timestamp": docs.last().map(|d| timefmt::utc(d.pos.unwrap_or_default())),
        });
    }
    let days: Vec<String> = docs
        .iter()
        .filter_map(|d| d.day.map(|x| x.to_string()))
        .collect();
    let mut v = json!({
        "count": docs.len(),
        "min_day": days.iter().min(),
        "max_day": days.iter().max(),
    });
    if with_ids {
        v["ids"] = json!(docs.iter().map(|d| d.id.as_str()).collect::<Vec<_>>());
    }
    v
}
