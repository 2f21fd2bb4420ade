//! The Rust side of the Workflow bridge. `js/entry.mjs` defines the
//! `BackfillWorkflow` class Cloudflare needs (workers-rs 0.8.7 cannot) and
//! hands each run to this type. The backfill steps arrive with the backfill
//! issue; until then a run completes at once and says so.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_name = BackfillWorkflowRunner)]
pub struct BackfillWorkflow {
    _env: JsValue,
}

#[wasm_bindgen(js_class = BackfillWorkflowRunner)]
impl BackfillWorkflow {
    #[wasm_bindgen(constructor)]
    pub fn new(_ctx: JsValue, env: JsValue) -> BackfillWorkflow {
        BackfillWorkflow { _env: env }
    }

    pub fn run(&self, _event: JsValue, _step: JsValue) -> js_sys::Promise {
        wasm_bindgen_futures::future_to_promise(async {
            let out = js_sys::Object::new();
            js_sys::Reflect::set(&out, &"steps".into(), &js_sys::Array::new())?;
            js_sys::Reflect::set(
                &out,
                &"note".into(),
                &"backfill steps are not built yet".into(),
            )?;
            Ok(out.into())
        })
    }
}
