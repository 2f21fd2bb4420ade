//! Per-request cost of the framework and the full middleware stack, on the
//! native platform (real SQLite, in-memory KV, fixed-window limiter).
//! `make bench`. The difference between `bare_router` and the stacked cases
//! is what the middleware costs a request.

use criterion::{criterion_group, criterion_main, Criterion};
use oura_edge::router::{BoxFut, HandlerResult, Method, Req, Res};
use oura_edge::services::config::Config;
use oura_edge::services::platform::native::NativePlatform;
use oura_edge::services::try_block_on;
use oura_edge::state::{App, AppState, Ctx, RouteGroup};
use std::hint::black_box;
use std::path::Path;
use std::rc::Rc;

fn state(native: &NativePlatform) -> Rc<AppState> {
    Rc::new(AppState {
        platform: native.platform.clone(),
        config: Config::from_lookup(|n| match n {
            "GRAFANA_SECRET" => Some("bench-grafana".into()),
            "ADMIN_SECRET" => Some("bench-admin".into()),
            "ALLOWED_ORIGINS" => Some("https://grafana.example.com".into()),
            _ => None,
        }),
    })
}

fn ok(_cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async { Ok(Res::json(200, &serde_json::json!({"ok": true}))) })
}

fn bench(c: &mut Criterion) {
    let migrations = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"));
    let native = NativePlatform::new(migrations, 1_768_478_400_000.0).expect("platform");
    let st = state(&native);
    let full = oura_edge::build_app().expect("app");
    let bare = App::builder()
        .routes(RouteGroup::new("").get("/favicon.svg", "f", ok).public())
        .build()
        .expect("bare app");

    let mut run = |name: &str, app: &App, req: Req| {
        c.bench_function(name, |b| {
            b.iter(|| {
                // A new rate-limit window each time, so no request is limited.
                native.clock.advance(60_000.0);
                black_box(try_block_on(app.handle(req.clone(), st.clone())))
            })
        });
    };
    let ip = |r: Req| r.with_header("cf-connecting-ip", "203.0.113.1");
    run(
        "bare_router/public_get",
        &bare,
        ip(Req::new(Method::Get, "/favicon.svg")),
    );
    run(
        "full_stack/public_get",
        &full,
        ip(Req::new(Method::Get, "/favicon.svg")),
    );
    run(
        "full_stack/admin_get_with_cors",
        &full,
        ip(Req::new(Method::Get, "/api/admin/config"))
            .with_header("authorization", "Bearer bench-admin")
            .with_header("origin", "https://grafana.example.com"),
    );
    run(
        "full_stack/unauthorized_401",
        &full,
        ip(Req::new(Method::Get, "/api/sql")),
    );
    run(
        "full_stack/preflight_204",
        &full,
        ip(Req::new(Method::Options, "/api/sql"))
            .with_header("origin", "https://grafana.example.com"),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
