//! Native (host) implementations of the platform traits, used by tests and
//! benchmarks. They are real where the real thing runs here: SQLite through
//! rusqlite, a KV with TTLs, fixed-window rate limits. Outbound HTTP is
//! scripted, since nothing outside this machine is reachable.

mod analytics;
mod clock;
mod http;
mod kv;
mod limiter;
mod queue;
mod sqlite;
mod workflows;
mod write_cost;

pub use analytics::RecordingAnalytics;
pub use clock::{ManualClock, ManualSleeper};
pub use http::ScriptedHttp;
pub use kv::MemKv;
pub use limiter::WindowLimiter;
pub use queue::RecordingQueue;
pub use sqlite::SqliteDb;
pub use workflows::MemWorkflows;

use super::Platform;
use std::path::Path;
use std::rc::Rc;

/// A native platform plus typed handles to each part, so tests can script
/// inputs and inspect effects.
pub struct NativePlatform {
    pub platform: Platform,
    pub db: Rc<SqliteDb>,
    pub kv: Rc<MemKv>,
    pub queue: Rc<RecordingQueue>,
    pub http: Rc<ScriptedHttp>,
    pub limiter: Rc<WindowLimiter>,
    pub analytics: Rc<RecordingAnalytics>,
    pub workflows: Rc<MemWorkflows>,
    pub clock: Rc<ManualClock>,
}

impl NativePlatform {
    /// An in-memory database with every migration in `migrations_dir` applied,
    /// and a clock fixed at `now_ms`.
    pub fn new(migrations_dir: &Path, now_ms: f64) -> Result<NativePlatform, super::PlatformError> {
        let clock = Rc::new(ManualClock::new(now_ms));
        let db = Rc::new(SqliteDb::open_with_migrations(migrations_dir)?);
        let kv = Rc::new(MemKv::new(clock.clone()));
        let queue = Rc::new(RecordingQueue::default());
        let http = Rc::new(ScriptedHttp::default());
        let limiter = Rc::new(WindowLimiter::with_spec_limits(clock.clone()));
        let analytics = Rc::new(RecordingAnalytics::default());
        let workflows = Rc::new(MemWorkflows::default());
        let platform = Platform {
            db: db.clone(),
            kv: kv.clone(),
            queue: queue.clone(),
            http: http.clone(),
            limiter: limiter.clone(),
            analytics: analytics.clone(),
            workflows: workflows.clone(),
            clock: clock.clone(),
            sleeper: Rc::new(ManualSleeper::new(clock.clone())),
            usage: None,
        };
        Ok(NativePlatform {
            platform,
            db,
            kv,
            queue,
            http,
            limiter,
            analytics,
            workflows,
            clock,
        })
    }
}
