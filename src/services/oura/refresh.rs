//! The OAuth token endpoint: code exchange, and refresh with single-flight.
//!
//! Oura's refresh tokens are single-use and rotate, so two refreshes racing
//! with the same refresh token lose the pair for good. Within an isolate,
//! refreshes are serialised by a thread-local flight marker: the first
//! caller leads, later callers wait (polling through the platform sleeper,
//! bounded) and take the leader's outcome. Across isolates, D1 is the
//! arbiter: the leader re-reads the row before refreshing, and a rejected
//! refresh re-reads it again — a refresh token changed meanwhile means
//! another invocation won the race, and its tokens are used.

use super::url::pairs;
use super::{retry, tokens, OuraError, TokenSet};
use crate::services::config::Config;
use crate::services::platform::{OutRequest, OutResponse, Platform, PlatformError};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Refresh when the access token has less than this left …
pub const REFRESH_MARGIN_MS: f64 = 300_000.0;
/// … or less than this share of its lifetime, whichever is shorter: a token
/// that lives 8 s must still be used for 6 s, not refreshed on every call.
pub const REFRESH_MARGIN_SHARE: f64 = 0.25;
/// How long a caller waits for another caller's refresh.
const WAIT_LIMIT_MS: f64 = 30_000.0;
const WAIT_POLL_MS: u64 = 50;

/// How long before expiry `t` is refreshed: the fixed margin, shortened to
/// a share of the lifetime when that is known and short.
pub fn refresh_margin_ms(t: &TokenSet) -> f64 {
    let lifetime = t
        .issued_at_ms
        .map(|issued| t.expires_at_ms - issued)
        .filter(|l| l.is_finite() && *l > 0.0);
    match lifetime {
        Some(l) => REFRESH_MARGIN_MS.min(l * REFRESH_MARGIN_SHARE),
        None => REFRESH_MARGIN_MS,
    }
}

/// True when the access token is missing or expires within its margin.
pub fn expiring(t: &TokenSet, now_ms: f64) -> bool {
    t.access_token.is_empty() || t.expires_at_ms - now_ms < refresh_margin_ms(t)
}

fn storage(e: PlatformError) -> OuraError {
    OuraError::Transient(format!("token storage: {e}"))
}

fn client_credentials(config: &Config) -> Result<(&str, &str), OuraError> {
    match (&config.oura.client_id, &config.oura.client_secret) {
        (Some(id), Some(secret)) => Ok((id, secret)),
        _ => Err(OuraError::Invalid(
            "OURA_CLIENT_ID and OURA_CLIENT_SECRET must be set".into(),
        )),
    }
}

/// Credentials go in the form body (`client_secret_post`), which both the
/// legacy endpoint and the new identity provider accept.
async fn post_token(
    platform: &Platform,
    config: &Config,
    form: String,
    sent: &Cell<u32>,
) -> Result<OutResponse, OuraError> {
    let url = &config.oura.token_url;
    let req = OutRequest {
        method: "POST".into(),
        url: url.to_string(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("accept".into(), "application/json".into()),
        ],
        body: Some(form.into_bytes()),
    };
    retry::send(platform, &req, retry::TOKEN, sent).await
}

/// A token response as a `TokenSet`. Without `refresh_token` in the answer,
/// `previous_refresh` is kept (a refresh may omit it); without either the
/// answer is unusable. No `expires_in` means "unknown": stored as NULL and
/// refreshed only on 401.
fn parse_token_response(
    body: &[u8],
    now_ms: f64,
    previous_refresh: Option<&str>,
) -> Result<TokenSet, OuraError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| OuraError::Invalid(format!("token response is not JSON: {e}")))?;
    let text = |name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let access_token = text("access_token")
        .ok_or_else(|| OuraError::Invalid("token response missing access_token".into()))?;
    let refresh_token = text("refresh_token")
        .or_else(|| previous_refresh.map(str::to_string))
        .ok_or_else(|| OuraError::Invalid("token response missing refresh_token".into()))?;
    let expires_in = match v.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let expires_at_ms = match expires_in {
        Some(secs) if secs.is_finite() && secs >= 0.0 => now_ms + secs * 1000.0,
        _ => f64::INFINITY,
    };
    // Some servers list scopes as an array.
    let scope = match v.get("scope") {
        Some(Value::Array(items)) => {
            let s: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!s.is_empty()).then(|| s.join(" "))
        }
        _ => text("scope"),
    };
    Ok(TokenSet {
        access_token,
        refresh_token,
        expires_at_ms,
        issued_at_ms: Some(now_ms),
        scope,
        token_type: text("token_type"),
    })
}

/// Saves, retrying once: losing a freshly rotated pair means re-authorising.
async fn save(platform: &Platform, t: &TokenSet, now_ms: f64) -> Result<(), OuraError> {
    if let Err(first) = tokens::save(platform.db.as_ref(), t, now_ms).await {
        tracing::warn!(error = %first, "saving Oura tokens failed; retrying once");
        tokens::save(platform.db.as_ref(), t, now_ms)
            .await
            .map_err(storage)?;
    }
    Ok(())
}

/// The OAuth `error` code of a rejection, for logs (never the whole body).
fn oauth_error_code(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
        .chars()
        .take(64)
        .collect()
}

/// Exchanges an authorization code (POST OURA_TOKEN_URL, form body
/// grant_type=authorization_code, code, redirect_uri, client_id,
/// client_secret) and SAVES the tokens before returning them.
pub async fn exchange_code(
    platform: &Platform,
    config: &Config,
    code: &str,
    redirect_uri: &str,
) -> Result<TokenSet, OuraError> {
    let (id, secret) = client_credentials(config)?;
    let form = pairs(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", id),
        ("client_secret", secret),
    ]);
    let resp = post_token(platform, config, form, &Cell::new(0)).await?;
    if !(200..300).contains(&resp.status) {
        tracing::warn!(
            status = resp.status,
            error = %oauth_error_code(&resp.body),
            "Oura code exchange rejected"
        );
        return Err(OuraError::http(resp.status, &resp.body));
    }
    let now = platform.clock.now_ms();
    let t = parse_token_response(&resp.body, now, None)?;
    save(platform, &t, now).await?;
    Ok(t)
}

/// One refresh, run by the flight leader. `stale_access` is the token the
/// caller found expiring (or that got a 401).
async fn lead(
    platform: &Platform,
    config: &Config,
    stale_access: &str,
    sent: &Cell<u32>,
) -> Result<TokenSet, OuraError> {
    let db = platform.db.as_ref();
    let stored = tokens::load(db)
        .await
        .map_err(storage)?
        .ok_or(OuraError::NotAuthorized)?;
    let now = platform.clock.now_ms();
    if stored.access_token != stale_access && !expiring(&stored, now) {
        // Someone else refreshed since the caller read the row.
        return Ok(stored);
    }
    if stored.refresh_token.is_empty() {
        return Err(OuraError::NotAuthorized);
    }
    let (id, secret) = client_credentials(config)?;
    let form = pairs(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &stored.refresh_token),
        ("client_id", id),
        ("client_secret", secret),
    ]);
    let resp = post_token(platform, config, form, sent).await?;
    let now = platform.clock.now_ms();
    match resp.status {
        200..=299 => {
            let t = parse_token_response(&resp.body, now, Some(&stored.refresh_token))?;
            // Saved before anyone uses the new access token: if we died
            // after using it, the rotated refresh token would be lost.
            save(platform, &t, now).await?;
            tracing::info!("Oura tokens refreshed");
            Ok(t)
        }
        400 | 401 => {
            let code = oauth_error_code(&resp.body);
            match tokens::load(db).await.map_err(storage)? {
                Some(t)
                    if t.refresh_token != stored.refresh_token && !t.access_token.is_empty() =>
                {
                    tracing::info!(error = %code, "refresh lost a race; using tokens stored meanwhile");
                    Ok(t)
                }
                _ => {
                    tracing::warn!(status = resp.status, error = %code, "Oura refresh rejected; re-authorisation needed");
                    Err(OuraError::NotAuthorized)
                }
            }
        }
        status => Err(OuraError::http(status, &resp.body)),
    }
}

#[derive(Default)]
struct Flight {
    running: bool,
    /// Bumped when a leader finishes, so waiters can tell "done" from
    /// "leader vanished" (its future was dropped mid-refresh).
    generation: u64,
    outcome: Option<Result<TokenSet, OuraError>>,
}

thread_local! {
    static FLIGHT: RefCell<Flight> = RefCell::new(Flight::default());
}

fn flight_status() -> (bool, u64) {
    FLIGHT.with(|f| {
        let f = f.borrow();
        (f.running, f.generation)
    })
}

/// Clears the marker even if the leader's future is dropped.
struct LeaderGuard;

impl Drop for LeaderGuard {
    fn drop(&mut self) {
        let _ = FLIGHT.try_with(|f| {
            if let Ok(mut f) = f.try_borrow_mut() {
                f.running = false;
            }
        });
    }
}

/// Pending once: lets other futures of the same task run between polls.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Tokens to replace `stale_access`, refreshing at most once per isolate at
/// a time (see the module comment).
pub async fn renew(
    platform: &Platform,
    config: &Config,
    stale_access: &str,
    sent: &Cell<u32>,
) -> Result<TokenSet, OuraError> {
    let deadline = platform.clock.now_ms() + WAIT_LIMIT_MS;
    loop {
        let (running, generation) = flight_status();
        if !running {
            FLIGHT.with(|f| f.borrow_mut().running = true);
            let guard = LeaderGuard;
            let outcome = lead(platform, config, stale_access, sent).await;
            FLIGHT.with(|f| {
                let mut f = f.borrow_mut();
                f.generation = f.generation.wrapping_add(1);
                f.outcome = Some(outcome.clone());
            });
            drop(guard);
            return outcome;
        }
        loop {
            // Yield to the leader in this task, then sleep so the runtime
            // (wasm event loop) can deliver the leader's I/O.
            YieldNow(false).await;
            platform.sleeper.sleep(WAIT_POLL_MS).await;
            let (running_now, generation_now) = flight_status();
            if generation_now != generation {
                let outcome = FLIGHT.with(|f| f.borrow().outcome.clone());
                return outcome.unwrap_or(Err(OuraError::NotAuthorized));
            }
            if !running_now {
                break; // the leader vanished: lead ourselves
            }
            if platform.clock.now_ms() > deadline {
                return Err(OuraError::Transient(
                    "waited too long for another token refresh".into(),
                ));
            }
        }
    }
}
