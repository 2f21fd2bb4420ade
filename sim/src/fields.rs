//! The `fields` projection (api.md §3): comma-separated top-level names; unknown names are ignored, and if none
//! is valid the whole document is returned. Anchor fields (id, ordering timestamp) are always kept.

use crate::catalog::Collection;
use serde_json::{Map, Value};

pub fn project(coll: &Collection, doc: &Value, fields: Option<&str>) -> Value {
    let (Some(fields), Value::Object(map)) = (fields, doc) else {
        return doc.clone();
    };
    if coll.ignores_fields {
        return doc.clone();
    }
    let wanted: Vec<&str> = fields
        .split(',')
        .map(str::trim)
        .filter(|f| map.contains_key(*f))
        .collect();
    if wanted.is_empty() {
        return doc.clone();
    }
    let anchors = ["id"].into_iter().chain(coll.time_field);
    let out: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| wanted.contains(&k.as_str()) || anchors.clone().any(|a| a == k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(out)
}
