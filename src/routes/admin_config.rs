//! `GET /api/admin/config` (admin): the effective configuration as the
//! worker sees it — which secrets are set (never their values), the vars,
//! Cloudflare Access — so an operator can check a deployment in one call.
//! Vars show their effective value: the configured one, else the default.

use crate::router::{HandlerResult, Res};
use crate::services::config::NAMES;
use crate::state::{Ctx, RouteGroup};
use serde_json::{json, Map, Value};

/// Names whose values are secret: reported as set or not, never shown.
const SECRET_NAMES: &[&str] = &[
    "GRAFANA_SECRET",
    "ADMIN_SECRET",
    "OURA_CLIENT_SECRET",
    "OURA_WEBHOOK_VERIFICATION_TOKEN",
    "OURA_WEBHOOK_SIGNING_SECRET",
];

pub fn routes() -> RouteGroup {
    RouteGroup::new("/api/admin")
        .get("/config", "admin_config", config)
        .admin()
}

async fn config(cx: &mut Ctx) -> HandlerResult {
    let cfg = cx.config();
    let mut secrets = Map::new();
    let mut vars = Map::new();
    for name in NAMES {
        let value = match *name {
            // Tokens are held as digests; an empty one counts as unset.
            "GRAFANA_SECRET" => cfg.grafana_token.is_some().then_some(""),
            "ADMIN_SECRET" => cfg.admin_token.is_some().then_some(""),
            other => cfg.get_or_default(other),
        };
        if SECRET_NAMES.contains(name) {
            secrets.insert(name.to_string(), Value::Bool(value.is_some()));
        } else {
            vars.insert(name.to_string(), value.map_or(Value::Null, Value::from));
        }
    }
    let access = cfg
        .access
        .as_ref()
        .map(|a| json!({"team_domain": a.team_domain, "audiences": a.audiences.len()}));
    Ok(Res::json(
        200,
        &json!({
            "version": cfg.version,
            "secrets": secrets,
            "vars": vars,
            "access": access,
        }),
    ))
}
