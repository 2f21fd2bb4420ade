//! The Worker's event handlers (wasm32 only): thin adapters from workers-rs
//! types to the platform-neutral app.

mod console;
mod workflow;

use crate::router::{Method, Req, Res};
use crate::services::config::Config;
use crate::services::platform::worker::platform;
use crate::services::platform::Text;
use crate::services::usage::{self, Meter};
use crate::state::{App, AppState};
use std::rc::Rc;
use worker::{event, Context, Env, ScheduleContext, ScheduledEvent};

thread_local! {
    /// Built once per isolate; a build error is kept and answered as 500.
    static APP: Result<Rc<App>, String> = crate::build_app().map(Rc::new);
}

thread_local! {
    /// Parsed once per isolate: vars and secrets are fixed for a deployed
    /// version (a change deploys a new version, hence new isolates), and
    /// reading ~24 names through JS on every request is wasted work.
    static CONFIG: std::cell::OnceCell<Config> = const { std::cell::OnceCell::new() };
}

fn config(env: &Env) -> Config {
    CONFIG.with(|c| {
        c.get_or_init(|| {
            Config::from_lookup(|name| {
                env.var(name)
                    .map(|v| v.to_string())
                    .or_else(|_| env.secret(name).map(|v| v.to_string()))
                    .ok()
            })
        })
        .clone()
    })
}

thread_local! {
    /// This isolate's usage counts not yet persisted (see `services::usage`).
    static METER: Rc<Meter> = Meter::new();
}

/// The state of one invocation, its bindings metered.
fn state(env: &Env) -> Rc<AppState> {
    let config = config(env);
    let flush_ms = config.usage.flush_ms;
    let platform = usage::metered(&platform(env), &METER.with(Rc::clone), flush_ms);
    Rc::new(AppState { platform, config })
}

/// Ends an invocation's metering (persists the isolate's counts when due).
async fn finish(state: Rc<AppState>) {
    usage::finish(&state.platform).await;
}

#[event(start)]
fn start() {
    console::init_tracing();
    // The router is built here, in the global scope, not by the first request.
    let built = APP.with(|app| app.is_ok());
    if !built {
        tracing::error!("the router did not build; every request will get 500");
    }
    if !crate::services::warm_up::at_startup() {
        // Only the first invocations get dearer; nothing else depends on it.
        tracing::warn!("the startup rehearsal did not go all the way through");
    }
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
        .with_headers(headers.clone());
    if let Some(source) = res.stream.as_ref().and_then(|s| s.take()) {
        // Pull one chunk per read of the ReadableStream.
        // An error ends the stream after being reported once.
        let chunks = futures_util::stream::unfold(Some(source), |state| async move {
            let mut source = state?;
            match source.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok::<Vec<u8>, worker::Error>(chunk), Some(source))),
                Ok(None) => None,
                Err(e) => Some((Err(worker::Error::RustError(e)), None)),
            }
        });
        return builder.from_stream(chunks);
    }
    if let Some(held) = res.held {
        return match held.0.as_any().downcast_ref::<Text>() {
            Some(Text::Js(text)) => js_text_response(text, res.status, &headers),
            _ => Ok(builder.fixed(held.0.bytes())),
        };
    }
    Ok(if res.body.is_empty() {
        builder.empty()
    } else {
        builder.fixed(res.body)
    })
}

/// `new Response(text, init)`: the runtime encodes the JS string itself,
/// where a Rust body would first copy it into wasm memory and back.
fn js_text_response(
    text: &js_sys::JsString,
    status: u16,
    headers: &worker::Headers,
) -> worker::Result<worker::Response> {
    use worker::wasm_bindgen::JsCast;
    use worker::web_sys;
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers.0);
    let class = js_sys::Reflect::get(&js_sys::global(), &"Response".into())?;
    let class: js_sys::Function = class.dyn_into()?;
    let args = js_sys::Array::of2(text, &init);
    let response = js_sys::Reflect::construct(&class, &args)?;
    Ok(worker::Response::from(
        response.unchecked_into::<web_sys::Response>(),
    ))
}

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, ctx: Context) -> worker::Result<worker::Response> {
    let app = match APP.with(|a| a.clone()) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "app failed to build");
            return to_response(crate::router::ApiError::internal(e).into_res());
        }
    };
    let req = to_req(req).await?;
    let state = state(&env);
    let res = app.handle(req, state.clone()).await;
    // Persisting usage (when due) must not delay the response.
    ctx.wait_until(finish(state));
    to_response(res)
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let state = state(&env);
    crate::services::cron::run(&state.platform, &state.config, &event.cron())
        .await
        .log();
    finish(state).await;
}

/// The queue consumer export, written out instead of `#[event(queue)]`
/// because workers-rs 0.8.7 does not expose `Message.attempts`, which the
/// consumer needs to dead-letter on the last attempt. It mirrors that glue
/// and never rejects (a rejected batch would be retried wholesale).
mod queue_export {
    use crate::services::webhooks::consumer::{handle_batch, Incoming, Verdict};
    use worker::js_sys::{Array, Object, Reflect};
    use worker::wasm_bindgen::prelude::wasm_bindgen;
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::worker_sys::{Context as ContextSys, Message, MessageBatch};

    fn attempts(m: &Message) -> u32 {
        Reflect::get(m, &JsValue::from_str("attempts"))
            .ok()
            .and_then(|v| v.as_f64())
            .map_or(1, |a| a.max(1.0) as u32)
    }

    fn retry(m: &Message, delay_seconds: u32) {
        let options = Object::new();
        let _ = Reflect::set(
            &options,
            &JsValue::from_str("delaySeconds"),
            &JsValue::from(delay_seconds),
        );
        if let Err(e) = m.retry(options.into()) {
            tracing::error!(error = ?e, "could not mark a queue message for retry");
        }
    }

    #[wasm_bindgen(
        wasm_bindgen = ::worker::wasm_bindgen,
        wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
        js_sys = ::worker::js_sys
    )]
    pub async fn queue(
        batch: MessageBatch,
        env: worker::Env,
        _ctx: ContextSys,
    ) -> Result<JsValue, JsValue> {
        std::panic::AssertUnwindSafe(async move {
            let messages: Vec<Message> = batch
                .messages()
                .map(|a: Array| a.iter().map(|m| m.unchecked_into::<Message>()).collect())
                .unwrap_or_default();
            let incoming: Vec<Incoming> = messages
                .iter()
                .map(|m| Incoming {
                    body: m
                        .body()
                        .ok()
                        .and_then(|b| serde_wasm_bindgen::from_value(b).ok())
                        .unwrap_or(serde_json::Value::Null),
                    attempts: attempts(m),
                })
                .collect();
            let state = super::state(&env);
            let verdicts = handle_batch(&state.platform, &state.config, &incoming).await;
            super::finish(state).await;
            for (i, m) in messages.iter().enumerate() {
                match verdicts.get(i) {
                    Some(Verdict::Ack) => {
                        if let Err(e) = m.ack() {
                            tracing::error!(error = ?e, "could not acknowledge a queue message");
                        }
                    }
                    Some(Verdict::Retry { delay_seconds }) => retry(m, *delay_seconds),
                    None => retry(m, 30),
                }
            }
            Ok(JsValue::UNDEFINED)
        })
        .await
    }
}
