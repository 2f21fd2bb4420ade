//! The OAuth token pair in D1 (`oura_oauth_tokens`, one row for user
//! `default`). D1 is the only source of truth shared between isolates, so
//! every refresh is saved here before its access token is used.

use super::TokenSet;
use crate::services::platform::{Db, PlatformError, Statement};
use crate::services::time::iso_timestamp;
use serde_json::{json, Value};

/// The single user this deployment syncs (the original's convention).
pub const USER_ID: &str = "default";

/// The stored tokens, if any. A row without a refresh token still loads
/// (its access token may be valid); a row with neither is no tokens at all.
/// A NULL `expires_at` (the original stored NULL when Oura sent no
/// `expires_in`) loads as `f64::INFINITY`: never refreshed early, only on 401.
pub async fn load(db: &dyn Db) -> Result<Option<TokenSet>, PlatformError> {
    let stmt = Statement::new(
        "SELECT access_token, refresh_token, expires_at, scope, token_type, updated_at \
         FROM oura_oauth_tokens WHERE user_id = ?1",
        vec![json!(USER_ID)],
    );
    let result = db.query(&stmt).await?;
    let Some(row) = result.rows.first() else {
        return Ok(None);
    };
    let text = |name: &str| {
        row.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let access_token = text("access_token").unwrap_or_default();
    let refresh_token = text("refresh_token").unwrap_or_default();
    if access_token.is_empty() && refresh_token.is_empty() {
        return Ok(None);
    }
    let expires_at_ms = match row.get("expires_at") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::INFINITY),
        Some(Value::String(s)) => s.trim().parse::<f64>().unwrap_or(f64::INFINITY),
        _ => f64::INFINITY,
    };
    // Saved when issued, so `updated_at` is the issue time.
    let issued_at_ms = text("updated_at")
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.timestamp_millis() as f64);
    Ok(Some(TokenSet {
        access_token,
        refresh_token,
        expires_at_ms,
        issued_at_ms,
        scope: text("scope"),
        token_type: text("token_type"),
    }))
}

/// Upserts the pair in one statement, so a reader never sees a new access
/// token with an old refresh token. A non-finite expiry is stored as NULL.
pub async fn save(db: &dyn Db, t: &TokenSet, now_ms: f64) -> Result<(), PlatformError> {
    let expires_at = if t.expires_at_ms.is_finite() {
        json!(t.expires_at_ms.round() as i64)
    } else {
        Value::Null
    };
    let stmt = Statement::new(
        "INSERT INTO oura_oauth_tokens \
         (user_id, access_token, refresh_token, expires_at, scope, token_type, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT(user_id) DO UPDATE SET access_token = excluded.access_token, \
         refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, \
         scope = excluded.scope, token_type = excluded.token_type, \
         updated_at = excluded.updated_at",
        vec![
            json!(USER_ID),
            json!(t.access_token),
            json!(t.refresh_token),
            expires_at,
            json!(t.scope),
            json!(t.token_type),
            json!(iso_timestamp(now_ms)),
        ],
    );
    db.query(&stmt).await.map(|_| ())
}
