//! The Worker's event handlers (wasm32 only): thin adapters from workers-rs
//! types to the platform-neutral app.

mod console;
mod workflow;

use crate::router::{App, AppState, Method, Req, Res};
use crate::services::config::Config;
use crate::services::platform::worker::platform;
use std::rc::Rc;
use worker::{event, Context, Env, MessageBatch, ScheduleContext, ScheduledEvent};

thread_local! {
    /// Built once per isolate; a build error is kept and answered as 500.
    static APP: Result<Rc<App>, String> = crate::build_app().map(Rc::new);
}

fn config(env: &Env) -> Config {
    Config::from_lookup(|name| {
        env.var(name)
            .map(|v| v.to_string())
            .or_else(|_| env.secret(name).map(|v| v.to_string()))
            .ok()
    })
}

fn state(env: &Env) -> Rc<AppState> {
    Rc::new(AppState {
        platform: platform(env),
        config: config(env),
    })
}

#[event(start)]
fn start() {
    console::init_tracing();
}

async fn to_req(mut req: worker::Request) -> worker::Result<Req> {
    let url = req.url()?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut out = Req::new(Method::parse(req.method().as_ref()), &target)
        .with_origin(&url.origin().ascii_serialization());
    for (k, v) in req.headers().entries() {
        out.headers.append(&k, v);
    }
    out.body = req.bytes().await.unwrap_or_default();
    Ok(out)
}

fn to_response(res: Res) -> worker::Result<worker::Response> {
    let headers = worker::Headers::new();
    for (k, v) in res.headers.iter() {
        headers.append(k, v)?;
    }
    let builder = worker::ResponseBuilder::new()
        .with_status(res.status)
        .with_headers(headers);
    Ok(if res.body.is_empty() {
        builder.empty()
    } else {
        builder.fixed(res.body)
    })
}

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, _ctx: Context) -> worker::Result<worker::Response> {
    let app = match APP.with(|a| a.clone()) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "app failed to build");
            return to_response(crate::router::ApiError::internal(e).into_res());
        }
    };
    let req = to_req(req).await?;
    let res = app.handle(req, state(&env)).await;
    to_response(res)
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, _env: Env, _ctx: ScheduleContext) {
    tracing::info!(cron = %event.cron(), "cron fired; reconciliation sync is not built yet");
}

/// Never returns an error: the generated glue panics on `Err`, which would
/// kill the isolate. Until the consumer exists, messages are retried, not dropped.
#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    _env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    tracing::warn!(queue = %batch.queue(), "queue consumer not built yet; retrying batch");
    batch.retry_all();
    Ok(())
}
