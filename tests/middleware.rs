//! Every middleware through `App::handle` on the native platform: security
//! headers, CORS, body limit, the three rate-limit tiers and bearer auth.

mod support;

use oura_edge::middleware::standard_stack;
use oura_edge::router::{BoxFut, HandlerResult, LimitPhase, Method, Req, Res, Tier};
use oura_edge::state::{App, Ctx, RouteGroup};
use serde_json::json;
use support::*;

const MIB: usize = 1024 * 1024;

fn ok(cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async move {
        Ok(Res::json(
            200,
            &json!({ "role": cx.vars.role.map(|r| r.as_str()) }),
        ))
    })
}

/// The production routes plus a few shaped like later ones (an admin route
/// with a strict after-auth limit, like `/backfill`; a Grafana route; a POST).
fn app() -> TestApp {
    let extra = RouteGroup::new("/t")
        .any("/data", "data", ok)
        .post("/upload", "upload", ok)
        .any("/backfill", "backfill", ok)
        .admin()
        .limit(
            Tier::Strict,
            "backfill:health",
            LimitPhase::AfterAuth,
            "Rate limit exceeded. Please wait 60 seconds between backfill requests.",
        );
    let app = oura_edge::routes::all()
        .into_iter()
        .fold(standard_stack(App::builder()), |a, g| a.routes(g))
        .routes(extra)
        .build()
        .expect("app builds");
    TestApp::with_app(app)
}

fn with_token(r: Req, token: &str) -> Req {
    r.with_header("authorization", &bearer(token))
}

fn from_ip(method: Method, path: &str, ip: &str) -> Req {
    Req::new(method, path).with_header("cf-connecting-ip", ip)
}

const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("x-xss-protection", "1; mode=block"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "content-security-policy",
        "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none';",
    ),
];

#[test]
fn security_headers_decorate_every_status() {
    let t = app();
    let cases: Vec<(u16, Req)> = vec![
        (200, from_ip(Method::Get, "/health", "198.51.100.1")),
        (429, from_ip(Method::Get, "/health", "198.51.100.1")),
        (401, from_ip(Method::Get, "/t/data", "198.51.100.2")),
        (
            404,
            with_token(from_ip(Method::Get, "/missing", "198.51.100.3"), GRAFANA),
        ),
        (
            413,
            with_token(from_ip(Method::Post, "/t/upload", "198.51.100.4"), GRAFANA)
                .with_body(vec![b'x'; MIB + 1]),
        ),
        (
            405,
            with_token(from_ip(Method::Get, "/t/upload", "198.51.100.5"), GRAFANA),
        ),
        (
            403,
            with_token(from_ip(Method::Get, "/t/backfill", "198.51.100.6"), GRAFANA),
        ),
    ];
    for (status, r) in cases {
        let res = t.send(r);
        assert_eq!(res.status, status);
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(res.header(name), Some(value), "{name} on {status}");
        }
        assert_eq!(res.header("vary"), Some("Origin"), "vary on {status}");
        assert!(res.header("x-request-id").is_some());
    }
}

#[test]
fn favicon_is_a_long_cached_svg() {
    let t = app();
    let res = t.get("/favicon.svg");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("image/svg+xml"));
    assert!(res
        .header("cache-control")
        .unwrap()
        .contains("max-age=31536000"));
    assert!(String::from_utf8(res.body).unwrap().starts_with("<svg"));
    assert_eq!(t.get("/favicon.ico").status, 200);
}

#[test]
fn cors_reflects_only_allowed_origins() {
    let t = app();
    let allowed = t.send(req(Method::Get, "/favicon.svg").with_header("origin", ORIGIN));
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        allowed.header("access-control-allow-methods"),
        Some("GET,POST,OPTIONS")
    );
    assert_eq!(
        allowed.header("access-control-allow-headers"),
        Some("Authorization,Content-Type")
    );

    let other =
        t.send(req(Method::Get, "/favicon.svg").with_header("origin", "https://evil.example"));
    assert_eq!(other.header("access-control-allow-origin"), None);

    let none = t.send(req(Method::Get, "/favicon.svg"));
    assert_eq!(none.header("access-control-allow-origin"), None);
}

#[test]
fn cors_sends_no_origin_when_none_is_configured() {
    let mut t = app();
    t.set_var("ALLOWED_ORIGINS", "");
    let res = t.send(req(Method::Get, "/favicon.svg").with_header("origin", ORIGIN));
    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[test]
fn preflight_answers_before_body_limit_and_auth() {
    let t = app();
    for path in ["/t/data", "/missing", "/t/backfill", "/health"] {
        let res = t.send(
            req(Method::Options, path)
                .with_header("origin", ORIGIN)
                .with_header("content-length", "99999999"),
        );
        assert_eq!(res.status, 204, "preflight {path}");
        assert!(res.body.is_empty());
        assert_eq!(res.header("access-control-allow-origin"), Some(ORIGIN));
        assert_eq!(res.header("x-frame-options"), Some("DENY"));
    }
    // Preflights are not charged to any limiter: /health still answers 200.
    assert_eq!(t.get("/health").status, 200);
}

#[test]
fn body_limit_checks_declared_and_actual_length() {
    let t = app();
    let post = |body: Vec<u8>, declared: Option<&str>| {
        let mut r = with_token(req(Method::Post, "/t/upload"), GRAFANA).with_body(body);
        if let Some(d) = declared {
            r = r.with_header("content-length", d);
        }
        t.send(r)
    };
    let declared = post(Vec::new(), Some(&(MIB + 1).to_string()));
    assert_eq!(declared.status, 413);
    assert_eq!(
        body_json(&declared),
        json!({"error": "Request body too large (max 1MB)"})
    );
    assert_eq!(post(vec![b'a'; MIB + 1], None).status, 413);
    assert_eq!(post(vec![b'a'; MIB], Some(&MIB.to_string())).status, 200);
    // The limit comes before auth: an anonymous oversized upload is 413, not 401.
    let anon = t.send(req(Method::Post, "/t/upload").with_body(vec![b'a'; MIB + 1]));
    assert_eq!(anon.status, 413);
}

#[test]
fn health_allows_one_call_per_minute_per_ip() {
    let t = app();
    assert_eq!(
        t.send(from_ip(Method::Get, "/health", "192.0.2.1")).status,
        200
    );
    let limited = t.send(from_ip(Method::Get, "/health", "192.0.2.1"));
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("60"));
    assert_eq!(
        body_json(&limited),
        json!({"error": "Rate limit exceeded. Max 1 request per 60 seconds."})
    );
    // Admins too: the limit comes before auth.
    let admin = with_token(from_ip(Method::Get, "/health", "192.0.2.1"), ADMIN);
    assert_eq!(t.send(admin).status, 429);
    // Another address has its own budget; a new window resets it.
    assert_eq!(
        t.send(from_ip(Method::Get, "/health", "192.0.2.2")).status,
        200
    );
    t.native.clock.advance(60_000.0);
    assert_eq!(
        t.send(from_ip(Method::Get, "/health", "192.0.2.1")).status,
        200
    );
}

#[test]
fn health_reports_status_and_version() {
    let t = app();
    let res = t.get("/health");
    assert_eq!(
        body_json(&res),
        json!({"status": "ok", "timestamp": "2026-01-15T12:00:00.000Z", "version": env!("CARGO_PKG_VERSION")})
    );
}

#[test]
fn a_failing_limiter_fails_open() {
    let t = app();
    t.native.limiter.set_failing(true);
    for _ in 0..3 {
        assert_eq!(t.get("/health").status, 200);
    }
    assert_eq!(
        t.send(with_token(req(Method::Get, "/t/data"), GRAFANA))
            .status,
        200
    );
    assert_eq!(t.send(req(Method::Get, "/t/data")).status, 401);
}

#[test]
fn bad_tokens_get_401_then_429_on_the_eleventh() {
    let t = app();
    let bad = || with_token(from_ip(Method::Get, "/t/data", "192.0.2.50"), "wrong");
    for i in 1..=10 {
        let res = t.send(bad());
        assert_eq!(res.status, 401, "attempt {i}");
        assert_eq!(body_json(&res), json!({"error": "Unauthorized"}));
    }
    let limited = t.send(bad());
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("60"));
    assert_eq!(
        body_json(&limited),
        json!({"error": "Rate limit exceeded. Please wait before retrying."})
    );
    // Unknown paths share the bucket, and a valid token is not charged to it.
    assert_eq!(
        t.send(from_ip(Method::Get, "/missing", "192.0.2.50"))
            .status,
        429
    );
    let good = with_token(from_ip(Method::Get, "/t/data", "192.0.2.50"), GRAFANA);
    assert_eq!(t.send(good).status, 200);
}

#[test]
fn auth_attempts_reach_analytics() {
    let t = app();
    t.send(with_token(req(Method::Get, "/t/data"), "wrong"));
    t.send(with_token(req(Method::Get, "/t/data"), GRAFANA));
    t.get("/health"); // public: no auth attempt
    let points = t.native.analytics.points();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0].indexes, vec!["auth"]);
    assert_eq!(points[0].doubles, vec![0.0]);
    assert_eq!(points[0].blobs[2], "/t/data");
    assert_eq!(points[0].blobs[3], "Invalid or missing token");
    assert!(points[0].blobs[0].starts_with("h:"));
    assert_eq!(points[1].doubles, vec![1.0]);
}

#[test]
fn roles_are_enforced() {
    let t = app();
    let cases = [
        (None, "/t/data", 401),
        (Some("Bearer"), "/t/data", 401),
        (Some("bearer grafana-test-token"), "/t/data", 401),
        (Some("Bearer grafana-test-token"), "/t/data", 200),
        (Some("Bearer admin-test-token"), "/t/data", 200),
        (Some("Bearer grafana-test-token"), "/t/backfill", 403),
        (Some("Bearer admin-test-token"), "/t/backfill", 200),
    ];
    for (i, (header, path, status)) in cases.into_iter().enumerate() {
        let mut r = from_ip(Method::Get, path, &format!("192.0.2.{}", 100 + i));
        if let Some(h) = header {
            r = r.with_header("authorization", h);
        }
        let res = t.send(r);
        assert_eq!(res.status, status, "{header:?} {path}");
        if status == 403 {
            assert_eq!(
                body_json(&res),
                json!({"error": "Forbidden: admin token required"})
            );
        }
    }
    let res = t.send(with_token(req(Method::Get, "/t/data"), ADMIN));
    assert_eq!(body_json(&res), json!({"role": "admin"}));
}

#[test]
fn after_auth_limits_charge_only_permitted_callers() {
    let t = app();
    let call = |token: &str| {
        t.send(with_token(
            from_ip(Method::Post, "/t/backfill", "192.0.2.9"),
            token,
        ))
    };
    // A forbidden caller is not charged to the route's limit...
    assert_eq!(call(GRAFANA).status, 403);
    assert_eq!(call(ADMIN).status, 200);
    // ...a permitted one is, once per minute.
    let limited = call(ADMIN);
    assert_eq!(limited.status, 429);
    assert_eq!(
        body_json(&limited),
        json!({"error": "Rate limit exceeded. Please wait 60 seconds between backfill requests."})
    );
}

#[test]
fn authenticated_callers_get_3000_per_minute_per_token() {
    let t = app();
    let call = |token: &str| {
        t.send(with_token(
            from_ip(Method::Get, "/t/data", "192.0.2.77"),
            token,
        ))
    };
    for _ in 0..3000 {
        assert_eq!(call(GRAFANA).status, 200);
    }
    let limited = call(GRAFANA);
    assert_eq!(limited.status, 429);
    assert_eq!(
        body_json(&limited),
        json!({"error": "Rate limit exceeded. Maximum 3000 requests per minute."})
    );
    // The admin token has its own bucket.
    assert_eq!(call(ADMIN).status, 200);
}

#[test]
fn admin_config_shows_which_secrets_are_set_but_never_their_values() {
    let t = app();
    assert_eq!(
        t.send(with_token(req(Method::Get, "/api/admin/config"), GRAFANA))
            .status,
        403
    );
    let res = t.send(with_token(req(Method::Get, "/api/admin/config"), ADMIN));
    assert_eq!(res.status, 200);
    let body = body_json(&res);
    assert_eq!(body["secrets"]["GRAFANA_SECRET"], json!(true));
    assert_eq!(body["secrets"]["OURA_CLIENT_SECRET"], json!(false));
    assert_eq!(body["vars"]["ALLOWED_ORIGINS"], json!(ORIGIN));
    let text = String::from_utf8(res.body).unwrap();
    assert!(
        !text.contains(GRAFANA) && !text.contains(ADMIN),
        "a token leaked: {text}"
    );
}

#[test]
fn admin_config_shows_effective_values() {
    let mut t = app();
    t.set_var("OURA_API_BASE_URL", "http://127.0.0.1:9001");
    let res = t.send(with_token(req(Method::Get, "/api/admin/config"), ADMIN));
    let body = body_json(&res);
    assert_eq!(
        body["vars"]["OURA_API_BASE_URL"],
        json!("http://127.0.0.1:9001")
    );
    assert_eq!(
        body["vars"]["OURA_TOKEN_URL"],
        json!("https://api.ouraring.com/oauth/token")
    );
    assert_eq!(body["vars"]["OURA_CLIENT_ID"], json!(null));
}
