//! A future kept out of its caller's code.
//!
//! V8 compiles each wasm function on its first call, on the invocation's
//! CPU, and the compiled code can be flushed (docs/decisions.md, #16's
//! eighth session). An awaited future is inlined into its caller's, so a
//! caller that awaits one of two paths compiles both. Behind a pointer,
//! each path stays a function of its own and an invocation compiles only
//! the one it takes, for one allocation.

use std::future::Future;
use std::pin::Pin;

pub type Apart<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;
