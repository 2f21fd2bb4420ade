//! The durable-step interface the backfill is written against. On the
//! Worker, `step.do` of a Cloudflare Workflow implements it (the JS bridge
//! in `entry/workflow.rs`): results are memoised by name, a failing body
//! is retried per its policy. `MemSteps` does the same in memory so the
//! workflow logic is tested natively.

use crate::services::platform::BoxFut;
use crate::services::platform::Sleeper;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A step's body. `'static` because the Workflow runtime may call it again
/// (a retry) long after the call that registered it returned.
pub type StepFut = Pin<Box<dyn Future<Output = Result<Value, String>>>>;
pub type StepBody = Rc<dyn Fn() -> StepFut>;

/// How the runtime retries a failing step body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub limit: u32,
    pub delay_ms: u64,
    pub exponential: bool,
    pub timeout_ms: u64,
}

pub trait Steps {
    /// Runs `body` as the step `name` (unique within a run); `Err` once
    /// every attempt failed.
    fn run<'a>(
        &'a self,
        name: &'a str,
        policy: RetryPolicy,
        body: StepBody,
    ) -> BoxFut<'a, Result<Value, String>>;

    /// Sleeps `ms` as the step `name` (`step.sleep`): durable, so a replay
    /// after the sleep skips it.
    fn sleep<'a>(&'a self, name: &'a str, ms: u64) -> BoxFut<'a, ()>;
}

/// In-memory steps: memoised by name, retried per policy without waiting;
/// sleeps go to the given sleeper (a manual clock's, in tests).
#[derive(Default)]
pub struct MemSteps {
    done: RefCell<HashMap<String, Result<Value, String>>>,
    attempts: RefCell<Vec<String>>,
    sleeps: RefCell<Vec<(String, u64)>>,
    sleeper: Option<Rc<dyn Sleeper>>,
}

impl MemSteps {
    pub fn with_sleeper(sleeper: Rc<dyn Sleeper>) -> MemSteps {
        MemSteps {
            sleeper: Some(sleeper),
            ..MemSteps::default()
        }
    }

    /// Every attempt's step name, in order.
    pub fn attempts(&self) -> Vec<String> {
        self.attempts.borrow().clone()
    }

    /// Every sleep taken: `(name, ms)`.
    pub fn sleeps(&self) -> Vec<(String, u64)> {
        self.sleeps.borrow().clone()
    }
}

impl Steps for MemSteps {
    fn run<'a>(
        &'a self,
        name: &'a str,
        policy: RetryPolicy,
        body: StepBody,
    ) -> BoxFut<'a, Result<Value, String>> {
        Box::pin(async move {
            if let Some(r) = self.done.borrow().get(name) {
                return r.clone();
            }
            let mut last = Err(String::from("step never ran"));
            for _ in 0..=policy.limit {
                self.attempts.borrow_mut().push(name.to_string());
                last = body().await;
                if last.is_ok() {
                    break;
                }
            }
            self.done
                .borrow_mut()
                .insert(name.to_string(), last.clone());
            last
        })
    }

    fn sleep<'a>(&'a self, name: &'a str, ms: u64) -> BoxFut<'a, ()> {
        Box::pin(async move {
            if self.sleeps.borrow().iter().any(|(n, _)| n == name) {
                return;
            }
            self.sleeps.borrow_mut().push((name.to_string(), ms));
            if let Some(s) = &self.sleeper {
                s.sleep(ms).await;
            }
        })
    }
}
