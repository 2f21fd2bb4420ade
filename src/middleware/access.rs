//! Cloudflare Access. When `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` are set,
//! routes whose policy requires it need a `Cf-Access-Jwt-Assertion` whose
//! RS256 signature verifies against the team's JWKS and whose `aud`, `iss`,
//! `exp` and `nbf` hold. Header presence alone proves nothing: anyone can
//! send it to a hostname Access does not front.
//!
//! The JWKS is cached in KV for an hour (at most 24 KV writes a day) and
//! fetched again early when a token names a key the cache lacks (rotation).

use crate::router::{AccessPolicy, ApiError, HandlerResult};
use crate::services::access_jwt::{token_kid, verify, Jwks};
use crate::services::config::AccessConfig;
use crate::services::platform::OutRequest;
use crate::state::{Ctx, Next};

const JWKS_CACHE_KEY: &str = "access:jwks";
const JWKS_TTL_SECONDS: u64 = 3600;

async fn fetch_jwks(cx: &Ctx, config: &AccessConfig) -> Result<Jwks, ApiError> {
    let unavailable = |cause: String| {
        ApiError::new(
            503,
            "Cloudflare Access keys are unavailable; try again shortly",
        )
        .with_cause(cause)
    };
    let res = cx
        .platform()
        .http
        .send(OutRequest::get(config.certs_url()))
        .await
        .map_err(|e| unavailable(format!("JWKS fetch failed: {e}")))?;
    if res.status != 200 {
        return Err(unavailable(format!("JWKS fetch answered {}", res.status)));
    }
    let jwks = Jwks::parse(&res.body).map_err(unavailable)?;
    let text = String::from_utf8_lossy(&res.body);
    if let Err(e) = cx
        .platform()
        .kv
        .put(JWKS_CACHE_KEY, &text, Some(JWKS_TTL_SECONDS))
        .await
    {
        tracing::warn!(error = %e, "could not cache the Access JWKS");
    }
    Ok(jwks)
}

async fn jwks_for(cx: &Ctx, config: &AccessConfig, kid: Option<&str>) -> Result<Jwks, ApiError> {
    let cached = match cx.platform().kv.get(JWKS_CACHE_KEY).await {
        Ok(v) => v.and_then(|text| Jwks::parse(text.as_bytes()).ok()),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the cached Access JWKS");
            None
        }
    };
    match cached {
        Some(jwks) if kid.is_none_or(|k| jwks.has_kid(k)) => Ok(jwks),
        _ => fetch_jwks(cx, config).await,
    }
}

pub async fn cf_access(cx: &mut Ctx, next: Next<'_>) -> HandlerResult {
    let config = match (&cx.config().access, cx.route.access) {
        (Some(config), AccessPolicy::Required) => config.clone(),
        _ => return Ok(next.run(cx).await),
    };
    let Some(token) = cx.req.header("cf-access-jwt-assertion").map(str::to_string) else {
        return Err(ApiError::forbidden("Cloudflare Access token required")
            .with_hint("Sign in through Cloudflare Access, or send a service token (CF-Access-Client-Id and CF-Access-Client-Secret)"));
    };
    let kid = token_kid(&token);
    let jwks = jwks_for(cx, &config, kid.as_deref()).await?;
    let now = (cx.platform().clock.now_ms() / 1000.0) as i64;
    let claims =
        verify(&token, &jwks, &config, now).map_err(|denied| ApiError::forbidden(denied.0))?;
    cx.vars.access_email = claims.email.or(claims.subject);
    Ok(next.run(cx).await)
}
