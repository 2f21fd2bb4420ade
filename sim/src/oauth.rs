//! OAuth 2 authorization-code flow with rotating, single-use refresh tokens (api.md §5), plus the bearer check
//! used by the data routes.

use crate::http::{basic_auth, percent_encode, Req, Resp};
use crate::state::{App, State};
use serde_json::json;
use std::collections::{HashMap, HashSet};

const CODE_TTL: i64 = 600;
const DEFAULT_SCOPE: &str = "email personal daily heartrate workout tag session spo2Daily";

struct Code {
    client_id: String,
    redirect_uri: String,
    scope: String,
    expires_at: i64,
}

#[derive(Default)]
pub struct OAuth {
    codes: HashMap<String, Code>,
    /// access token → expiry (epoch seconds)
    access: HashMap<String, i64>,
    /// refresh token → scope; removed on use (single-use rotation)
    refresh: HashMap<String, String>,
    /// Issued tokens revoked by a `revoke_token` fault or `/oauth/revoke` (for a clearer 401 message).
    revoked: HashSet<String>,
}

impl OAuth {
    pub fn revoke_all(&mut self) {
        self.codes.clear();
        self.access.clear();
        self.refresh.clear();
    }

    /// Revokes one issued access or refresh token. The `--static-token` is never revoked (callers skip it), so
    /// tests that rely on it keep working after a `revoke_token` fault.
    pub fn revoke(&mut self, token: &str) {
        if self.access.remove(token).is_some() || self.refresh.remove(token).is_some() {
            self.revoked.insert(token.to_string());
        }
    }
}

/// The bearer token of a request, if any.
pub fn bearer(req: &Req) -> Option<&str> {
    let h = req.header("authorization")?;
    let t = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))?
        .trim();
    (!t.is_empty()).then_some(t)
}

/// Validates the bearer token: an unexpired issued token or the `--static-token`.
pub fn check(state: &State, req: &Req) -> Result<(), Resp> {
    let Some(token) = bearer(req) else {
        return Err(Resp::detail(
            401,
            "Missing or malformed Authorization header (expected Bearer token)",
        ));
    };
    if state.oauth.revoked.contains(token) {
        return Err(Resp::detail(401, "Access token has been revoked"));
    }
    if state.settings.static_token.as_deref() == Some(token) {
        return Ok(());
    }
    match state.oauth.access.get(token) {
        Some(exp) if *exp > state.now() => Ok(()),
        Some(_) => Err(Resp::detail(401, "Access token has expired")),
        None => Err(Resp::detail(401, "Invalid access token")),
    }
}

/// `GET /oauth/authorize`: no consent screen; immediately redirects back with a code.
pub fn authorize(app: &App, req: &Req) -> Resp {
    let mut st = app.lock();
    if req.param("client_id") != Some(st.settings.client_id.as_str()) {
        return Resp::detail(400, "Unknown client_id");
    }
    let Some(redirect_uri) = req.param("redirect_uri").filter(|u| !u.is_empty()) else {
        return Resp::detail(400, "Missing redirect_uri");
    };
    if req.param("response_type") != Some("code") {
        return Resp::detail(400, "Unsupported response_type (only 'code')");
    }
    let code = st.rng.hex(16);
    let scope = req
        .param("scope")
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_SCOPE)
        .to_string();
    let expires_at = st.now() + CODE_TTL;
    let client_id = st.settings.client_id.clone();
    st.oauth.codes.insert(
        code.clone(),
        Code {
            client_id,
            redirect_uri: redirect_uri.to_string(),
            scope,
            expires_at,
        },
    );
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut location = format!("{redirect_uri}{sep}code={}", percent_encode(&code));
    if let Some(state) = req.param("state") {
        location.push_str(&format!("&state={}", percent_encode(state)));
    }
    Resp::empty(302).with_header("Location", &location)
}

/// Client credentials from the form body (client_secret_post) or HTTP Basic (client_secret_basic).
fn client_credentials(req: &Req, form: &[(String, String)]) -> Option<(String, String)> {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match (get("client_id"), get("client_secret")) {
        (Some(id), Some(secret)) => Some((id, secret)),
        _ => req.header("authorization").and_then(basic_auth),
    }
}

fn issue(st: &mut State, scope: &str) -> Resp {
    let access = st.rng.hex(24);
    let refresh = st.rng.hex(24);
    let ttl = st.settings.access_token_ttl;
    let exp = st.now() + ttl;
    st.oauth.access.insert(access.clone(), exp);
    st.oauth.refresh.insert(refresh.clone(), scope.to_string());
    Resp::json(
        200,
        &json!({
            "token_type": "bearer",
            "access_token": access,
            "expires_in": ttl,
            "refresh_token": refresh,
            "scope": scope,
        }),
    )
}

/// `POST /oauth/token` (form-encoded): `authorization_code` and `refresh_token` grants.
pub fn token(app: &App, req: &Req) -> Resp {
    let form = req.form();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut st = app.lock();
    let Some((id, secret)) = client_credentials(req, &form) else {
        return Resp::oauth_error(401, "invalid_client");
    };
    if id != st.settings.client_id || secret != st.settings.client_secret {
        return Resp::oauth_error(401, "invalid_client");
    }
    match get("grant_type") {
        Some("authorization_code") => {
            let Some(code) = get("code") else {
                return Resp::oauth_error(400, "invalid_request");
            };
            // Single use: the code is consumed even if the rest of the request is wrong.
            let Some(c) = st.oauth.codes.remove(code) else {
                return Resp::oauth_error(400, "invalid_grant");
            };
            let redirect_ok = get("redirect_uri").is_none_or(|r| r == c.redirect_uri);
            if c.expires_at <= st.now() || c.client_id != id || !redirect_ok {
                return Resp::oauth_error(400, "invalid_grant");
            }
            issue(&mut st, &c.scope)
        }
        Some("refresh_token") => {
            let Some(rt) = get("refresh_token") else {
                return Resp::oauth_error(400, "invalid_request");
            };
            match st.oauth.refresh.remove(rt) {
                Some(scope) => issue(&mut st, &scope),
                None => Resp::oauth_error(400, "invalid_grant"),
            }
        }
        Some(_) => Resp::oauth_error(400, "unsupported_grant_type"),
        None => Resp::oauth_error(400, "invalid_request"),
    }
}

/// `POST /oauth/revoke?access_token=…` (or `token=` in a form body): revokes that token.
pub fn revoke(app: &App, req: &Req) -> Resp {
    let form = req.form();
    let from_form = form
        .iter()
        .find(|(k, _)| k == "token" || k == "access_token")
        .map(|(_, v)| v.clone());
    let token = req
        .param("access_token")
        .or(req.param("token"))
        .map(str::to_string)
        .or(from_form);
    match token {
        Some(t) => {
            app.lock().oauth.revoke(&t);
            Resp::json(200, &json!({}))
        }
        None => Resp::oauth_error(400, "invalid_request"),
    }
}
