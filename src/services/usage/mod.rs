//! The usage meter (issue #8): D1 rows read and written, D1 calls (and the
//! most in one invocation), KV operations by kind, Analytics Engine points,
//! Queues operations and invocations, per UTC day, beside the plan's quotas. Shown on
//! `/api/db/info` (a stable contract), `/status` and `/health` (admin).

mod counts;
mod meter;
mod queue_ops;
mod settings;
mod store;

pub use counts::{Usage, FIELDS};
pub use meter::{day_of, metered, step_scope, Invocation, Meter};
pub use settings::{quota_var, Settings, FREE_QUERIES_PER_INVOCATION};

use crate::services::config::Config;
use crate::services::platform::{Platform, PlatformError};
use serde_json::{json, Value};

/// Usage of one day as the whole deployment sees it from here: what is
/// persisted plus what this isolate has not persisted yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayUsage {
    pub day: String,
    pub usage: Usage,
}

fn pending(platform: &Platform, day: &str) -> Usage {
    platform
        .usage
        .as_ref()
        .map(|inv| inv.meter().pending(day))
        .unwrap_or_default()
}

/// Today's and yesterday's usage (UTC), in one D1 query.
pub async fn recent(platform: &Platform) -> Result<(DayUsage, DayUsage), PlatformError> {
    let now = platform.clock.now_ms();
    let today = day_of(now);
    let yesterday = day_of(now - 86_400_000.0);
    let stored = store::load(platform.db.as_ref(), &[&today, &yesterday]).await?;
    let day = |d: &str| {
        let mut u = stored.get(d).copied().unwrap_or_default();
        u.merge(&pending(platform, d));
        DayUsage {
            day: d.to_string(),
            usage: u,
        }
    };
    Ok((day(&today), day(&yesterday)))
}

/// Today's usage so far.
pub async fn today(platform: &Platform) -> Result<Usage, PlatformError> {
    Ok(recent(platform).await?.0.usage)
}

/// Today's usage as this isolate knows it, for checks made on every
/// request: the persisted row as last seen (each of the meter's upserts
/// returns it) plus this isolate's pending counts. Reads `usage_daily` only
/// when the isolate has not seen today's row yet, about once per isolate and
/// UTC day. Other isolates' unflushed counts (at most one flush interval
/// each) are not in it. `None` when the invocation is not metered.
pub async fn today_known(platform: &Platform) -> Option<Usage> {
    let inv = platform.usage.as_ref()?;
    let meter = inv.meter();
    let today = day_of(platform.clock.now_ms());
    if meter.stored(&today).is_none() {
        let seen = match store::load(platform.db.as_ref(), &[&today]).await {
            Ok(rows) => rows.get(&today).copied().unwrap_or_default(),
            Err(e) => {
                // Zero, remembered: a broken table must not cost a read per request.
                tracing::warn!(error = %e, "usage: today's row unavailable; counting from zero");
                Usage::default()
            }
        };
        meter.remember(&today, &seen);
    }
    let mut usage = meter.stored(&today).unwrap_or_default();
    usage.merge(&meter.pending(&today));
    Some(usage)
}

/// The `usage` object of `/api/db/info` and `/health`.
pub fn to_json(settings: &Settings, today: &DayUsage, yesterday: &DayUsage) -> Value {
    json!({
        "today": today.usage.to_json(),
        "yesterday": yesterday.usage.to_json(),
        "quotas": settings.quotas_json(),
        "days": {"today": today.day, "yesterday": yesterday.day},
        "daily_write_budget": settings.daily_write_budget,
    })
}

/// Counts a consumed queue batch, `(message body, acknowledged)` each:
/// every delivery is a read (retries included), every acknowledgement a
/// delete; a message retried is deleted only on its last delivery.
pub fn count_queue_batch<'a>(
    platform: &Platform,
    delivered: impl IntoIterator<Item = (&'a Value, bool)>,
) {
    let Some(inv) = &platform.usage else {
        return;
    };
    let ops: u64 = delivered
        .into_iter()
        .map(|(body, acked)| queue_ops::operations(body) * if acked { 2 } else { 1 })
        .sum();
    inv.count_queue_operations(ops);
}

/// D1 calls this invocation may still make; `None` when it is not metered.
pub fn queries_left(platform: &Platform, config: &Config) -> Option<u64> {
    let limit = config.usage.queries_per_invocation();
    platform.usage.as_ref().map(|inv| inv.queries_left(limit))
}

/// Ends a metered invocation: persists the isolate's counts when due.
pub async fn finish(platform: &Platform) {
    if let Some(inv) = &platform.usage {
        inv.finish(platform.db.as_ref()).await;
    }
}
