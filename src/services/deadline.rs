//! Racing a future against the platform's sleeper (no async runtime here).

use crate::services::platform::Sleeper;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

/// `Some(output)` if `fut` finishes within `ms`, else `None`. The work itself
/// is not cancelled (D1 offers no cancel); its result is just not awaited.
pub async fn within<F: Future>(sleeper: &dyn Sleeper, ms: u64, fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut timer = sleeper.sleep(ms);
    poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}
