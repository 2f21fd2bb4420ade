use crate::router::BoxFut;
use crate::services::platform::{HttpClient, OutRequest, OutResponse, PResult, PlatformError};
use std::cell::RefCell;

/// Answers outbound requests from a script of `(url prefix, response)` rules
/// and records every request. An unscripted URL is a network error, as an
/// unreachable host would be.
#[derive(Default)]
pub struct ScriptedHttp {
    rules: RefCell<Vec<(String, OutResponse)>>,
    requests: RefCell<Vec<OutRequest>>,
}

impl ScriptedHttp {
    /// Later rules win over earlier ones for the same prefix.
    pub fn on(&self, url_prefix: &str, status: u16, body: &str) {
        self.rules.borrow_mut().insert(
            0,
            (
                url_prefix.to_string(),
                OutResponse {
                    status,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: body.as_bytes().to_vec(),
                },
            ),
        );
    }

    pub fn requests(&self) -> Vec<OutRequest> {
        self.requests.borrow().clone()
    }
}

impl HttpClient for ScriptedHttp {
    fn send<'a>(&'a self, req: OutRequest) -> BoxFut<'a, PResult<OutResponse>> {
        Box::pin(async move {
            let found = self
                .rules
                .borrow()
                .iter()
                .find(|(prefix, _)| req.url.starts_with(prefix.as_str()))
                .map(|(_, res)| res.clone());
            let url = req.url.clone();
            self.requests.borrow_mut().push(req);
            found.ok_or_else(|| PlatformError::new(format!("no route to {url}")))
        })
    }
}
