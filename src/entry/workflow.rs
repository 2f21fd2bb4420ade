//! The Rust side of the Workflow bridge. `js/entry.mjs` defines the
//! `BackfillWorkflow` class Cloudflare needs (workers-rs 0.8.7 cannot) and
//! hands each run to this type, which runs `services::backfill::run` with
//! the Workflow's `step` behind the `Steps` trait.

use crate::router::BoxFut;
use crate::services::backfill::{self, Params, RetryPolicy, StepBody, Steps};
use js_sys::{Object, Promise, Reflect};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen]
extern "C" {
    /// The `step` argument of `WorkflowEntrypoint.run`: an RPC stub, so its
    /// method is bound directly (a `Function::call` on it does not work).
    pub type WorkflowStep;

    #[wasm_bindgen(method, catch, js_name = "do")]
    fn do_with(
        this: &WorkflowStep,
        name: &str,
        config: &JsValue,
        callback: &Closure<dyn FnMut() -> Promise>,
    ) -> Result<JsValue, JsValue>;

    /// `step.sleep(name, duration)`, the duration in milliseconds.
    #[wasm_bindgen(method, catch, js_name = "sleep")]
    fn sleep_for(this: &WorkflowStep, name: &str, duration: f64) -> Result<JsValue, JsValue>;
}

fn message(v: &JsValue) -> String {
    v.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| v.as_string())
        .unwrap_or_else(|| format!("{v:?}"))
}

/// Plain objects, not `Map`s: step results and the output are shown as JSON.
fn to_js(v: &Value) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))
}

fn policy_js(p: RetryPolicy) -> Result<JsValue, JsValue> {
    let retries = Object::new();
    Reflect::set(&retries, &"limit".into(), &p.limit.into())?;
    Reflect::set(&retries, &"delay".into(), &(p.delay_ms as f64).into())?;
    let backoff = if p.exponential {
        "exponential"
    } else {
        "constant"
    };
    Reflect::set(&retries, &"backoff".into(), &backoff.into())?;
    let config = Object::new();
    Reflect::set(&config, &"retries".into(), &retries)?;
    Reflect::set(&config, &"timeout".into(), &(p.timeout_ms as f64).into())?;
    Ok(config.into())
}

struct JsSteps(WorkflowStep);

impl Steps for JsSteps {
    fn run<'a>(
        &'a self,
        name: &'a str,
        policy: RetryPolicy,
        body: StepBody,
    ) -> BoxFut<'a, Result<Value, String>> {
        Box::pin(async move {
            // Called once per attempt; a rejected promise makes the runtime retry.
            let callback = Closure::<dyn FnMut() -> Promise>::new(move || {
                let fut = body();
                future_to_promise(async move {
                    match fut.await {
                        Ok(v) => to_js(&v),
                        Err(e) => Err(js_sys::Error::new(&e).into()),
                    }
                })
            });
            let config = policy_js(policy).map_err(|e| message(&e))?;
            let pending = self
                .0
                .do_with(name, &config, &callback)
                .map_err(|e| message(&e))?;
            // An RpcPromise is not `instanceof Promise`: resolve it first.
            let out = JsFuture::from(Promise::resolve(&pending)).await;
            drop(callback);
            let out = out.map_err(|e| message(&e))?;
            if out.is_undefined() || out.is_null() {
                return Ok(Value::Null);
            }
            serde_wasm_bindgen::from_value(out).map_err(|e| e.to_string())
        })
    }

    fn sleep<'a>(&'a self, name: &'a str, ms: u64) -> BoxFut<'a, ()> {
        Box::pin(async move {
            match self.0.sleep_for(name, ms as f64) {
                Ok(pending) => {
                    if let Err(e) = JsFuture::from(Promise::resolve(&pending)).await {
                        tracing::warn!(error = %message(&e), "backfill: step.sleep failed");
                    }
                }
                Err(e) => tracing::warn!(error = %message(&e), "backfill: step.sleep failed"),
            }
        })
    }
}

#[wasm_bindgen(js_name = BackfillWorkflowRunner)]
pub struct BackfillWorkflow {
    env: JsValue,
}

#[wasm_bindgen(js_class = BackfillWorkflowRunner)]
impl BackfillWorkflow {
    #[wasm_bindgen(constructor)]
    pub fn new(_ctx: JsValue, env: JsValue) -> BackfillWorkflow {
        BackfillWorkflow { env }
    }

    pub fn run(&self, event: JsValue, step: JsValue) -> Promise {
        let env: worker::Env = self.env.clone().unchecked_into();
        future_to_promise(async move {
            let mut payload = Reflect::get(&event, &"payload".into())?;
            // The platform adapter hands params over as a `Map` (serde's
            // default); a struct only deserialises from a plain object.
            if let Some(map) = payload.dyn_ref::<js_sys::Map>() {
                payload = Object::from_entries(map)?.into();
            }
            let mut params: Params = serde_wasm_bindgen::from_value(payload)
                .map_err(|e| js_sys::Error::new(&format!("bad backfill params: {e}")))?;
            if params.instance_id.is_empty() {
                if let Some(id) = Reflect::get(&event, &"instanceId".into())?.as_string() {
                    params.instance_id = id;
                }
            }
            let state = super::state(&env);
            let steps = JsSteps(step.unchecked_into());
            let out = backfill::run(&steps, &state.platform, &state.config, &params).await;
            super::finish(state).await;
            to_js(&out)
        })
    }
}
