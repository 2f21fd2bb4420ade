//! Per-route policy, declared next to each route and read by the middleware
//! after the router has matched (match first, then run the onion).

/// Who may call a route. Ordered: a higher role may do what a lower one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// No bearer token needed (health, favicon, webhooks, OAuth callback).
    Public,
    /// The Grafana token or the admin token.
    Grafana,
    /// Only the admin token.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Grafana => "grafana",
            Role::Admin => "admin",
        }
    }
}

/// The three rate-limit tiers of the original (spec §3.2), one binding each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// `RATE_LIMITER`, 1 per 60 s: `/health`, `/backfill`.
    Strict,
    /// `UNAUTH_RATE_LIMITER`, 10 per 60 s: failed auth, `/oauth/callback`.
    Unauth,
    /// `AUTH_RATE_LIMITER`, 3000 per 60 s: every authenticated request.
    Auth,
}

impl Tier {
    pub fn binding(self) -> &'static str {
        match self {
            Tier::Strict => "RATE_LIMITER",
            Tier::Unauth => "UNAUTH_RATE_LIMITER",
            Tier::Auth => "AUTH_RATE_LIMITER",
        }
    }

    /// Window length of every tier; also the `Retry-After` we send.
    pub const PERIOD_SECONDS: u32 = 60;
}

/// When a route's own limit is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitPhase {
    /// Before any token check (the `rate_limit` middleware).
    BeforeAuth,
    /// After the caller proved the route's role (the `auth` middleware).
    AfterAuth,
}

/// A route's own rate limit, besides the tiers auth charges for every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteLimit {
    pub tier: Tier,
    /// Key prefix; the client IP is appended: `health:<ip>`.
    pub key_prefix: &'static str,
    pub phase: LimitPhase,
    /// The 429 body's `error` text.
    pub message: &'static str,
}

/// Whether Cloudflare Access must vouch for the caller (when Access is configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessPolicy {
    /// A valid `Cf-Access-Jwt-Assertion` is required.
    Required,
    /// Reached by machines Access cannot front (Oura, health checks).
    Exempt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteMeta {
    /// Stable name for logs and metrics, e.g. `health`.
    pub name: &'static str,
    pub role: Role,
    pub limit: Option<RouteLimit>,
    pub access: AccessPolicy,
}

impl RouteMeta {
    /// A route for Grafana or admin callers, behind Access when configured.
    pub const fn new(name: &'static str) -> RouteMeta {
        RouteMeta {
            name,
            role: Role::Grafana,
            limit: None,
            access: AccessPolicy::Required,
        }
    }

    /// What unknown paths and wrong methods run under: unauthenticated callers
    /// get 401/429, so anonymous callers cannot discover routes (spec §3 item 11).
    pub const FALLBACK: RouteMeta = RouteMeta::new("fallback");

    /// Policy lint: combinations that could never do what they say.
    pub fn check(&self) -> Result<(), String> {
        if let Some(limit) = self.limit {
            if self.role == Role::Public && limit.phase == LimitPhase::AfterAuth {
                return Err(format!(
                    "route '{}' is public but its rate limit is charged after auth, so it would never be charged",
                    self.name
                ));
            }
            if limit.tier == Tier::Auth {
                return Err(format!(
                    "route '{}' names the auth tier, which auth already charges for every authenticated request",
                    self.name
                ));
            }
            if limit.key_prefix.is_empty() {
                return Err(format!(
                    "route '{}' has a rate limit without a key prefix",
                    self.name
                ));
            }
        }
        Ok(())
    }
}
