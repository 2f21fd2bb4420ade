use crate::services::platform::BoxFut;
use crate::services::platform::{HttpClient, OutRequest, OutResponse, PResult, PlatformError};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

type Observer = Box<dyn Fn(&OutRequest)>;
/// One-shot answers per URL prefix: a response, or a network error message.
type Queued = Vec<(String, VecDeque<Result<OutResponse, String>>)>;

/// Answers outbound requests from a script of `(url prefix, response)` rules
/// and records every request. An unscripted URL is a network error, as an
/// unreachable host would be.
///
/// Besides the standing rules of `on`, tests can queue one-shot answers per
/// prefix (consumed in order, before any rule), make every send stay pending
/// for a few polls (so concurrent futures interleave), and observe each
/// request as it is sent (to inspect other state at that moment).
#[derive(Default)]
pub struct ScriptedHttp {
    rules: RefCell<Vec<(String, OutResponse)>>,
    queued: RefCell<Queued>,
    requests: RefCell<Vec<OutRequest>>,
    pending_polls: Cell<u32>,
    observer: RefCell<Option<Observer>>,
}

fn json_response(status: u16, headers: &[(&str, &str)], body: &str) -> OutResponse {
    let mut all = vec![("content-type".to_string(), "application/json".to_string())];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    OutResponse {
        status,
        headers: all,
        body: body.as_bytes().to_vec(),
    }
}

impl ScriptedHttp {
    /// Later rules win over earlier ones for the same prefix.
    pub fn on(&self, url_prefix: &str, status: u16, body: &str) {
        self.rules.borrow_mut().insert(
            0,
            (url_prefix.to_string(), json_response(status, &[], body)),
        );
    }

    /// Queues a one-shot answer for `url_prefix`. Queued answers are used
    /// before the rules of `on`, in the order queued; the longest matching
    /// prefix with answers left wins.
    pub fn queue(&self, url_prefix: &str, status: u16, body: &str) {
        self.queue_with_headers(url_prefix, status, &[], body);
    }

    /// `queue` with extra response headers (e.g. `Retry-After`).
    pub fn queue_with_headers(
        &self,
        url_prefix: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) {
        self.push_queued(url_prefix, Ok(json_response(status, headers, body)));
    }

    /// Queues a one-shot network error (the fetch itself fails).
    pub fn queue_network_error(&self, url_prefix: &str, message: &str) {
        self.push_queued(url_prefix, Err(message.to_string()));
    }

    /// Every send stays pending for `polls` polls before answering.
    pub fn set_pending_polls(&self, polls: u32) {
        self.pending_polls.set(polls);
    }

    /// Calls `f` with each request when it is sent (before it is answered).
    pub fn set_observer(&self, f: impl Fn(&OutRequest) + 'static) {
        *self.observer.borrow_mut() = Some(Box::new(f));
    }

    pub fn requests(&self) -> Vec<OutRequest> {
        self.requests.borrow().clone()
    }

    fn push_queued(&self, url_prefix: &str, answer: Result<OutResponse, String>) {
        let mut queued = self.queued.borrow_mut();
        match queued.iter_mut().find(|(p, _)| p == url_prefix) {
            Some((_, q)) => q.push_back(answer),
            None => queued.push((url_prefix.to_string(), VecDeque::from([answer]))),
        }
    }

    fn answer(&self, url: &str) -> PResult<OutResponse> {
        let mut queued = self.queued.borrow_mut();
        let next = queued
            .iter_mut()
            .filter(|(p, q)| url.starts_with(p.as_str()) && !q.is_empty())
            .max_by_key(|(p, _)| p.len())
            .and_then(|(_, q)| q.pop_front());
        drop(queued);
        match next {
            Some(answer) => answer.map_err(PlatformError::new),
            None => self
                .rules
                .borrow()
                .iter()
                .find(|(prefix, _)| url.starts_with(prefix.as_str()))
                .map(|(_, res)| res.clone())
                .ok_or_else(|| PlatformError::new(format!("no route to {url}"))),
        }
    }
}

/// Pending for a set number of polls, waking itself each time.
struct Delay(u32);

impl Future for Delay {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl HttpClient for ScriptedHttp {
    fn send<'a>(&'a self, req: OutRequest) -> BoxFut<'a, PResult<OutResponse>> {
        Box::pin(async move {
            if let Some(observe) = self.observer.borrow().as_ref() {
                observe(&req);
            }
            let url = req.url.clone();
            self.requests.borrow_mut().push(req);
            Delay(self.pending_polls.get()).await;
            self.answer(&url)
        })
    }
}
