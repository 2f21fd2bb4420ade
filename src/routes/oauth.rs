//! Connecting an Oura account (spec §11, fix #10).
//!
//! `/oauth/start` (admin) checks the configuration first, stores a state
//! that expires in 15 minutes and redirects to Oura's authorize URL.
//! `/oauth/callback` (public, unauthenticated tier) checks and consumes the
//! state, exchanges the code, stores the tokens, and answers with a small
//! page that says what happened. Every failure names its cause.

use super::html::message;
use crate::router::{ApiError, HandlerResult, LimitPhase, Res, Tier};
use crate::services::oura::url::encode;
use crate::services::oura::{exchange_code, OuraError};
use crate::services::platform::Statement;
use crate::state::{Ctx, RouteGroup};
use serde_json::json;

/// States older than this are refused (and swept by the cron).
pub const STATE_TTL_MS: f64 = 15.0 * 60.0 * 1000.0;

pub fn routes() -> RouteGroup {
    RouteGroup::new("/oauth")
        .any("/start", "oauth_start", start)
        .admin()
        .any("/callback", "oauth_callback", callback)
        .public()
        .limit(
            Tier::Unauth,
            "unauth",
            LimitPhase::BeforeAuth,
            "Rate limit exceeded. Please wait before retrying.",
        )
}

fn redirect_uri(cx: &Ctx) -> Result<String, ApiError> {
    if cx.req.origin.is_empty() {
        return Err(ApiError::new(
            500,
            "Cannot tell this worker's own URL for the OAuth redirect",
        ));
    }
    Ok(format!("{}/oauth/callback", cx.req.origin))
}

/// A setting the OAuth flow cannot do without.
fn required(value: &Option<String>, name: &str) -> Result<String, ApiError> {
    value.clone().ok_or_else(|| {
        ApiError::new(500, format!("{name} is not configured"))
            .with_hint(format!("Set it with `wrangler secret put {name}`"))
    })
}

fn new_state() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("random: {e}")))?;
    Ok(hex::encode(bytes))
}

async fn start(cx: &mut Ctx) -> HandlerResult {
    // Validate everything before storing anything.
    let oura = &cx.config().oura;
    let client_id = required(&oura.client_id, "OURA_CLIENT_ID")?;
    required(&oura.client_secret, "OURA_CLIENT_SECRET")?;
    let redirect = redirect_uri(cx)?;
    let authorize = cx.config().oura.authorize_url.clone();
    let scopes = cx.config().oura.scopes.clone();
    let state = new_state()?;
    let now = cx.platform().clock.now_ms();
    cx.platform()
        .db
        .query(&Statement::new(
            "INSERT INTO oura_oauth_states (state, user_id, created_at) VALUES (?1, 'default', ?2)",
            vec![json!(state), json!(now as i64)],
        ))
        .await
        .map_err(|e| ApiError::internal(format!("storing OAuth state: {e}")))?;
    let sep = if authorize.contains('?') { '&' } else { '?' };
    let location = format!(
        "{authorize}{sep}response_type=code&client_id={}&redirect_uri={}&scope={}&state={}",
        encode(&client_id),
        encode(&redirect),
        encode(&scopes),
        encode(&state)
    );
    Ok(Res::empty(302)
        .with_header("location", location)
        .with_header("cache-control", "no-store"))
}

async fn callback(cx: &mut Ctx) -> HandlerResult {
    if let Some(error) = cx.req.query_param("error") {
        let detail = cx.req.query_param("error_description").unwrap_or_default();
        return Ok(message(
            400,
            "Oura did not authorise the connection",
            &format!("Oura answered `{error}` {detail}. Start again from /oauth/start."),
        ));
    }
    let (Some(code), Some(state)) = (
        cx.req.query_param("code").filter(|c| !c.is_empty()),
        cx.req.query_param("state").filter(|s| !s.is_empty()),
    ) else {
        return Ok(message(
            400,
            "Missing code or state",
            "This page is where Oura sends you back after you authorise oura-edge; open /oauth/start to begin.",
        ));
    };
    let now = cx.platform().clock.now_ms();
    // Consume the state whatever happens next: each state works once.
    let consumed = cx
        .platform()
        .db
        .query(&Statement::new(
            "DELETE FROM oura_oauth_states WHERE state = ?1 RETURNING created_at",
            vec![json!(state)],
        ))
        .await
        .map_err(|e| ApiError::internal(format!("reading OAuth state: {e}")))?;
    let created = consumed
        .rows
        .first()
        .and_then(|r| r.get("created_at"))
        .and_then(serde_json::Value::as_f64);
    match created {
        None => {
            return Ok(message(
                400,
                "Unknown or already used state",
                "This authorisation link was already used or never issued here. Start again from /oauth/start.",
            ))
        }
        Some(t) if now - t > STATE_TTL_MS => {
            return Ok(message(
                400,
                "The authorisation expired",
                "More than 15 minutes passed since /oauth/start. Start again.",
            ))
        }
        Some(_) => {}
    }
    let redirect = redirect_uri(cx)?;
    match exchange_code(cx.platform(), cx.config(), &code, &redirect).await {
        Ok(_) => Ok(message(
            200,
            "Oura account connected",
            "oura-edge stored its tokens and can now sync your data. You can close this page.",
        )),
        Err(e) => {
            tracing::warn!(error = %e, "OAuth code exchange failed");
            let (status, text) = match e {
                OuraError::Http { status, .. } if status < 500 => (
                    400,
                    "Oura refused the authorisation code (it may have expired or been used). Start again from /oauth/start.",
                ),
                _ => (
                    502,
                    "Oura's token service could not be reached or failed. Try again in a minute.",
                ),
            };
            Ok(message(status, "Could not finish connecting", text))
        }
    }
}
