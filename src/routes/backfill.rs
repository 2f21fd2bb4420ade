//! `/backfill?days=&offset_days=&resources=` (admin, 1 per minute per IP):
//! starts the backfill Workflow over `days` days ending `offset_days` ago,
//! or answers with the instance already running for the same parameters.
//! `/backfill/status?id=` (admin): the Workflow's status, progress per
//! collection while it runs, and its output once complete.

use crate::router::{ApiError, HandlerResult, LimitPhase, Res, Tier};
use crate::services::backfill::{
    is_terminal, load_progress, Params, ACTIVE_PREFIX, ACTIVE_TTL_SECONDS, DEFAULT_DAYS, MAX_DAYS,
};
use crate::services::collections::{find, REGISTRY};
use crate::services::oura::url::encode;
use crate::services::platform::Platform;
use crate::state::{Ctx, RouteGroup};
use chrono::{DateTime, Days};
use serde_json::{json, Map, Value};

/// Longest `resources` list accepted: room for every collection named
/// twice (duplicates are dropped after).
const MAX_RESOURCES: usize = 40;

pub fn routes() -> RouteGroup {
    RouteGroup::new("")
        .any("/backfill", "backfill", start)
        .admin()
        .limit(
            Tier::Strict,
            "backfill:health",
            LimitPhase::AfterAuth,
            "Rate limit exceeded. Please wait 60 seconds between backfill requests.",
        )
        .any("/backfill/status", "backfill_status", status)
        .admin()
}

fn whole_number(cx: &Ctx, names: &[&str]) -> Result<Option<u32>, ApiError> {
    let Some((name, raw)) = names.iter().find_map(|n| {
        cx.req
            .query_param(n)
            .filter(|v| !v.is_empty())
            .map(|v| (*n, v))
    }) else {
        return Ok(None);
    };
    raw.trim()
        .parse::<u32>()
        .map(Some)
        .map_err(|_| ApiError::bad_request(format!("{name} must be a whole number, got '{raw}'")))
}

/// The validated parameters (without dates or instance id).
pub fn parse(cx: &Ctx) -> Result<(u32, u32, Vec<String>), ApiError> {
    let days = whole_number(cx, &["days"])?.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::bad_request(format!(
            "days must be from 1 to {MAX_DAYS}, got {days}"
        )));
    }
    let offset = whole_number(cx, &["offset_days", "offsetDays"])?.unwrap_or(0);
    if days + offset.min(MAX_DAYS) > MAX_DAYS {
        return Err(ApiError::bad_request(format!(
            "Backfill window out of range: days + offset_days may reach at most {MAX_DAYS} days back"
        )));
    }
    let mut resources = Vec::new();
    if let Some(list) = cx.req.query_param("resources").filter(|v| !v.is_empty()) {
        for raw in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let c = find(raw).ok_or_else(|| {
                let known: Vec<&str> = REGISTRY.iter().map(|c| c.name).collect();
                ApiError::bad_request(format!("Unknown collection '{raw}' in resources"))
                    .with_hint(format!("known collections: {}", known.join(", ")))
            })?;
            resources.push(c.name.to_string());
        }
        if resources.len() > MAX_RESOURCES {
            return Err(ApiError::bad_request("too many resources"));
        }
    }
    resources.sort();
    resources.dedup();
    Ok((days, offset, resources))
}

/// The instance recorded as active for these parameters, if it still runs.
async fn active(platform: &Platform, key: &str) -> Result<Option<String>, ApiError> {
    let Some(id) = platform
        .kv
        .get(key)
        .await
        .map_err(|e| ApiError::internal(format!("reading active backfill: {e}")))?
    else {
        return Ok(None);
    };
    let status = platform.workflows.status(&id).await.map_err(|e| {
        ApiError::new(500, "Failed to start backfill workflow").with_cause(e.to_string())
    })?;
    Ok(status
        .filter(|s| !s["status"].as_str().is_some_and(is_terminal))
        .map(|_| id))
}

async fn start(cx: &mut Ctx) -> HandlerResult {
    let (days, offset, resources) = parse(cx)?;
    let platform = cx.platform().clone();
    let now = platform.clock.now_ms();
    let today = DateTime::from_timestamp_millis(now as i64)
        .map(|t| t.date_naive())
        .ok_or_else(|| ApiError::internal("clock out of range"))?;
    let end = today - Days::new(u64::from(offset));
    let start = end - Days::new(u64::from(days - 1));
    let mut params = Params {
        instance_id: String::new(),
        total_days: days,
        offset_days: offset,
        start: start.to_string(),
        end: end.to_string(),
        resources,
    };
    let key = format!("{ACTIVE_PREFIX}{}", params.request_key());
    let (id, reused) = match active(&platform, &key).await? {
        Some(id) => (id, true),
        None => {
            // A random suffix: two requests in the same millisecond
            // (from different callers) must not collide.
            let mut salt = [0u8; 3];
            getrandom::fill(&mut salt).map_err(|e| ApiError::internal(format!("random: {e}")))?;
            params.instance_id = format!(
                "backfill-{days}d-offset{offset}-{}-{}",
                now as i64,
                hex::encode(salt)
            );
            let payload =
                serde_json::to_value(&params).map_err(|e| ApiError::internal(e.to_string()))?;
            let id = platform
                .workflows
                .create(Some(&params.instance_id), &payload)
                .await
                .map_err(|e| {
                    ApiError::new(500, "Failed to start backfill workflow")
                        .with_cause(e.to_string())
                })?;
            if let Err(e) = platform.kv.put(&key, &id, Some(ACTIVE_TTL_SECONDS)).await {
                // The run goes ahead; only the reuse of it is lost.
                tracing::warn!(error = %e, "backfill: recording the active instance failed");
            }
            (id, false)
        }
    };
    let message = if reused {
        "Backfill workflow already active for these parameters."
    } else {
        "Backfill workflow started."
    };
    Ok(Res::json(
        202,
        &json!({
            "message": message,
            "instanceId": id,
            "reused": reused,
            "statusUrl": format!("/backfill/status?id={}", encode(&id)),
            "totalDays": days,
            "offsetDays": offset,
            "start": params.start,
            "end": params.end,
            "resources": params.resources,
        }),
    ))
}

async fn status(cx: &mut Ctx) -> HandlerResult {
    let id = cx
        .req
        .query_param("id")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request("Missing required parameter: id"))?;
    let platform = cx.platform().clone();
    let found = platform.workflows.status(&id).await.map_err(|e| {
        ApiError::new(500, "Failed to fetch workflow status").with_cause(e.to_string())
    })?;
    let Some(found) = found else {
        return Err(ApiError::not_found_named("Workflow instance not found")
            .with_hint("the id comes from the instanceId of a /backfill answer"));
    };
    let mut body = Map::new();
    body.insert("instanceId".into(), json!(id));
    body.insert(
        "status".into(),
        found.get("status").cloned().unwrap_or(json!("unknown")),
    );
    for field in ["error", "output"] {
        if let Some(v) = found.get(field).filter(|v| !v.is_null()) {
            body.insert(field.into(), v.clone());
        }
    }
    if let Some(p) = load_progress(&platform, &id).await {
        let running = !found["status"].as_str().is_some_and(is_terminal);
        let paused = p
            .collections
            .iter()
            .find(|(_, c)| c.state == "paused" && c.resumes_at.is_some());
        if let (true, Some((name, c))) = (running, paused) {
            body.insert(
                "paused".into(),
                json!({
                    "reason": "daily D1 write budget reached (D1_DAILY_WRITE_BUDGET)",
                    "collection": name,
                    "resumesAt": c.resumes_at,
                }),
            );
        }
        body.insert(
            "progress".into(),
            serde_json::to_value(p).unwrap_or(Value::Null),
        );
    }
    Ok(Res::json(200, &Value::Object(body)))
}
