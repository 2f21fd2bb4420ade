//! `GET /v2/docs` (a Redoc page pointing at the spec, like the real docs) and a small OpenAPI document generated
//! from the catalog, so clients that discover collections from the spec see exactly what the simulator serves.

use crate::catalog::{Family, COLLECTIONS};
use crate::http::Resp;
use serde_json::{json, Map, Value};

pub const SPEC_PATH: &str = "/v2/static/json/openapi-1.37.json";

pub fn html() -> Resp {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>Oura API Documentation (oura-sim)</title></head>\n<body>\n\
         <redoc spec-url=\"{SPEC_PATH}\"></redoc>\n\
         <p>Simulated Oura API. Spec: <a href=\"{SPEC_PATH}\">{SPEC_PATH}</a></p>\n</body></html>\n"
    );
    Resp::raw(200, "text/html; charset=utf-8", page.into_bytes())
}

fn param(name: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema })
}

fn list_params(family: Family) -> Vec<Value> {
    let s = json!({ "type": "string" });
    let dated = || vec![param("start_date", s.clone()), param("end_date", s.clone())];
    let mut p = match family {
        Family::Dated => dated(),
        Family::Series => vec![
            param("start_datetime", s.clone()),
            param("end_datetime", s.clone()),
            param("latest", json!({ "type": "boolean" })),
        ],
        Family::Listed => Vec::new(),
        Family::Single => return Vec::new(),
    };
    p.push(param("next_token", s.clone()));
    p.push(param("fields", s));
    p
}

pub fn openapi() -> Value {
    let mut paths = Map::new();
    for c in COLLECTIONS {
        let op = json!({
            "operationId": format!("{}_list", c.name),
            "parameters": list_params(c.family),
            "responses": { "200": { "description": "OK" } },
        });
        paths.insert(
            format!("/v2/usercollection/{}", c.name),
            json!({ "get": op }),
        );
        if c.single_doc {
            paths.insert(
                format!("/v2/usercollection/{}/{{document_id}}", c.name),
                json!({ "get": {
                    "operationId": format!("{}_get", c.name),
                    "parameters": [{ "name": "document_id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": { "200": { "description": "OK" }, "404": { "description": "Document not found." } },
                }}),
            );
        }
    }
    let ok = json!({ "responses": { "200": { "description": "OK" } } });
    paths.insert(
        "/v2/webhook/subscription".into(),
        json!({ "get": ok, "post": ok }),
    );
    paths.insert(
        "/v2/webhook/subscription/{id}".into(),
        json!({ "get": ok, "put": ok, "delete": ok }),
    );
    paths.insert(
        "/v2/webhook/subscription/renew/{id}".into(),
        json!({ "put": ok }),
    );
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Oura API Documentation", "version": "2.0", "x-simulator": "oura-sim" },
        "servers": [{ "url": "/" }],
        "paths": paths,
    })
}
