use crate::services::platform::BoxFut;
use crate::services::platform::{PResult, Workflows};
use serde_json::{json, Value};
use std::cell::RefCell;

/// Remembers created instances; their status stays `queued` until a test sets it.
#[derive(Default)]
pub struct MemWorkflows(RefCell<Vec<(String, Value, Value)>>);

impl MemWorkflows {
    /// `(id, params)` of every instance created.
    pub fn created(&self) -> Vec<(String, Value)> {
        self.0
            .borrow()
            .iter()
            .map(|(id, params, _)| (id.clone(), params.clone()))
            .collect()
    }

    pub fn set_status(&self, id: &str, status: Value) {
        if let Some(entry) = self.0.borrow_mut().iter_mut().find(|(i, _, _)| i == id) {
            entry.2 = status;
        }
    }
}

impl Workflows for MemWorkflows {
    fn create<'a>(&'a self, id: Option<&'a str>, params: &'a Value) -> BoxFut<'a, PResult<String>> {
        Box::pin(async move {
            let mut all = self.0.borrow_mut();
            let id = id
                .map(str::to_string)
                .unwrap_or_else(|| format!("wf-{}", all.len() + 1));
            all.push((id.clone(), params.clone(), json!({"status": "queued"})));
            Ok(id)
        })
    }

    fn status<'a>(&'a self, id: &'a str) -> BoxFut<'a, PResult<Option<Value>>> {
        Box::pin(async move {
            Ok(self
                .0
                .borrow()
                .iter()
                .find(|(i, _, _)| i == id)
                .map(|(_, _, s)| s.clone()))
        })
    }
}
