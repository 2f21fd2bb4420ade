//! Dispatch: match first, then the onion. 404/405/HEAD, params, error
//! mapping, and the build-time refusals.

mod support;

use oura_edge::middleware::standard_stack;
use oura_edge::router::{ApiError, BoxFut, HandlerResult, LimitPhase, Method, Res, Tier};
use oura_edge::state::{App, Ctx, RouteGroup};
use serde_json::json;
use support::*;

fn show_id(cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async move { Ok(Res::json(200, &json!({ "id": cx.param("id") }))) })
}

fn created(_cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async { Ok(Res::json(201, &json!({ "ok": true }))) })
}

fn fails(_cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async { Err(ApiError::internal("secret detail: table oura_oauth_tokens")) })
}

fn bad_input(_cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async {
        Err(ApiError::bad_request("days must be a whole number").with_hint("try days=30"))
    })
}

fn test_routes() -> RouteGroup {
    RouteGroup::new("/t")
        .get("/items/{id}", "item", show_id)
        .post("/items", "create", created)
        .any("/admin", "admin_only", created)
        .admin()
        .route(&[Method::Get, Method::Post], "/hook", "hook", created)
        .public()
        .get("/fails", "fails", fails)
        .get("/bad", "bad", bad_input)
}

fn app() -> TestApp {
    let app = standard_stack(App::builder())
        .routes(test_routes())
        .build()
        .expect("test app builds");
    TestApp::with_app(app)
}

fn authed(method: Method, path: &str, token: &str) -> oura_edge::router::Req {
    req(method, path).with_header("authorization", &bearer(token))
}

#[test]
fn params_are_matched_and_decoded() {
    let t = app();
    let res = t.send(authed(Method::Get, "/t/items/a%20b", GRAFANA));
    assert_eq!(res.status, 200);
    assert_eq!(body_json(&res), json!({"id": "a b"}));
}

#[test]
fn unknown_paths_hide_behind_auth() {
    let t = app();
    let anon = t.send(req(Method::Get, "/nope"));
    assert_eq!(anon.status, 401);
    assert_eq!(body_json(&anon), json!({"error": "Unauthorized"}));
    let known = t.send(authed(Method::Get, "/nope", GRAFANA));
    assert_eq!(known.status, 404);
    assert_eq!(body_json(&known), json!({"error": "Not Found"}));
}

#[test]
fn wrong_method_is_405_with_allow() {
    let t = app();
    let res = t.send(authed(Method::Delete, "/t/items/1", GRAFANA));
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    assert_eq!(body_json(&res), json!({"error": "Method Not Allowed"}));
    // A gated path does not reveal its methods to anonymous callers...
    assert_eq!(t.send(req(Method::Delete, "/t/items/1")).status, 401);
    // ...a public one answers 405 to anyone.
    let public = t.send(req(Method::Put, "/t/hook"));
    assert_eq!(public.status, 405);
    assert_eq!(public.header("allow"), Some("GET, HEAD, POST"));
}

#[test]
fn head_is_get_without_a_body() {
    let t = app();
    let get = t.send(authed(Method::Get, "/t/items/7", GRAFANA));
    let head = t.send(authed(Method::Head, "/t/items/7", GRAFANA));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(get.body.len().to_string().as_str())
    );
    assert_eq!(head.header("content-type"), Some("application/json"));
}

#[test]
fn method_routes_do_not_leak_to_other_methods() {
    let t = app();
    assert_eq!(
        t.send(authed(Method::Post, "/t/items", GRAFANA)).status,
        201
    );
    assert_eq!(t.send(authed(Method::Get, "/t/items", GRAFANA)).status, 405);
}

#[test]
fn internal_errors_are_mapped_without_their_cause() {
    let t = app();
    let res = t.send(authed(Method::Get, "/t/fails", GRAFANA));
    assert_eq!(res.status, 500);
    let body = String::from_utf8(res.body.clone()).unwrap();
    assert!(!body.contains("oura_oauth_tokens"), "cause leaked: {body}");
    assert_eq!(body_json(&res), json!({"error": "Internal Server Error"}));
    // Outer layers still decorate the error.
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert!(res.header("x-request-id").is_some());
}

#[test]
fn client_errors_carry_hints() {
    let t = app();
    let res = t.send(authed(Method::Get, "/t/bad", GRAFANA));
    assert_eq!(res.status, 400);
    assert_eq!(
        body_json(&res),
        json!({"error": "days must be a whole number", "hint": "try days=30"})
    );
}

#[test]
fn request_ids_come_from_cf_ray_or_are_made() {
    let t = app();
    let res = t.send(authed(Method::Get, "/t/items/1", GRAFANA).with_header("cf-ray", "8abc-LHR"));
    assert_eq!(res.header("x-request-id"), Some("8abc-LHR"));
    let a = t.send(authed(Method::Get, "/t/items/1", GRAFANA));
    let b = t.send(authed(Method::Get, "/t/items/1", GRAFANA));
    let (a, b) = (
        a.header("x-request-id").unwrap(),
        b.header("x-request-id").unwrap(),
    );
    assert_eq!(a.len(), 16);
    assert_ne!(a, b);
}

#[test]
fn build_refuses_conflicting_routes() {
    let dup = App::builder()
        .routes(RouteGroup::new("").get("/a", "one", created))
        .routes(RouteGroup::new("").get("/a", "two", created))
        .build();
    assert!(dup.err().unwrap().contains("registered twice"));

    let conflict = App::builder()
        .routes(
            RouteGroup::new("")
                .get("/a/{x}", "one", created)
                .get("/a/{y}", "two", created),
        )
        .build();
    assert!(conflict.is_err());

    // Same path, different methods, from two groups: fine.
    let split = App::builder()
        .routes(RouteGroup::new("").get("/a", "read", created))
        .routes(RouteGroup::new("").post("/a", "write", created))
        .build();
    assert!(split.is_ok());
}

#[test]
fn build_refuses_inconsistent_policies() {
    let never_charged = App::builder()
        .routes(RouteGroup::new("").get("/p", "p", created).public().limit(
            Tier::Strict,
            "p",
            LimitPhase::AfterAuth,
            "slow down",
        ))
        .build();
    assert!(never_charged.err().unwrap().contains("never be charged"));

    let double_auth = App::builder()
        .routes(RouteGroup::new("").get("/p", "p", created).limit(
            Tier::Auth,
            "p",
            LimitPhase::BeforeAuth,
            "slow down",
        ))
        .build();
    assert!(double_auth.is_err());
}

#[test]
fn the_production_app_builds() {
    assert!(oura_edge::build_app().is_ok());
}

/// A modifier before any route used to do nothing, silently.
#[test]
fn build_refuses_a_modifier_without_a_route() {
    let app = App::builder()
        .routes(RouteGroup::new("/g").admin().get("/a", "a", created))
        .build();
    let error = app.err().unwrap();
    assert!(error.contains(".admin()"), "{error}");
    assert!(error.contains("/g"), "{error}");
}

async fn plain(cx: &mut Ctx) -> HandlerResult {
    Ok(Res::json(200, &json!({ "id": cx.param("id") })))
}

/// Group defaults apply to every route; a route may still loosen its own.
#[test]
fn group_defaults_apply_to_each_route() {
    let app = standard_stack(App::builder())
        .routes(
            RouteGroup::new("/g")
                .admin_only()
                .get("/a/{id}", "a", plain)
                .get("/open", "open", plain)
                .public(),
        )
        .build()
        .expect("builds");
    let t = TestApp::with_app(app);
    assert_eq!(t.send(authed(Method::Get, "/g/a/1", GRAFANA)).status, 403);
    assert_eq!(t.send(authed(Method::Get, "/g/a/1", ADMIN)).status, 200);
    assert_eq!(t.send(req(Method::Get, "/g/open")).status, 200);
}

/// Path segments are not form data: `+` is a plus, `%2B` too.
#[test]
fn a_plus_in_a_path_stays_a_plus() {
    let t = app();
    let res = t.send(authed(Method::Get, "/t/items/a+b%2Bc%20d", GRAFANA));
    assert_eq!(body_json(&res), json!({"id": "a+b+c d"}));
}
