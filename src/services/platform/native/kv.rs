use crate::services::platform::BoxFut;
use crate::services::platform::{Clock, Kv, PResult, KV_MIN_TTL_SECONDS};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// KV operation counts, as the usage meter will see them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KvOps {
    pub reads: u64,
    pub writes: u64,
    pub deletes: u64,
    pub lists: u64,
}

/// An in-memory KV whose keys expire by the injected clock.
pub struct MemKv {
    clock: Rc<dyn Clock>,
    entries: RefCell<BTreeMap<String, (String, Option<f64>)>>,
    ops: RefCell<KvOps>,
}

impl MemKv {
    pub fn new(clock: Rc<dyn Clock>) -> MemKv {
        MemKv {
            clock,
            entries: RefCell::new(BTreeMap::new()),
            ops: RefCell::new(KvOps::default()),
        }
    }

    pub fn ops(&self) -> KvOps {
        *self.ops.borrow()
    }

    /// Expiry (epoch ms) of a live key, for tests of TTL choices.
    pub fn expires_at(&self, key: &str) -> Option<f64> {
        self.entries.borrow().get(key).and_then(|(_, e)| *e)
    }

    fn live(&self, expires: Option<f64>) -> bool {
        expires.is_none_or(|e| e > self.clock.now_ms())
    }
}

impl Kv for MemKv {
    fn get<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<Option<String>>> {
        Box::pin(async move {
            self.ops.borrow_mut().reads += 1;
            let entries = self.entries.borrow();
            Ok(entries
                .get(key)
                .filter(|(_, e)| self.live(*e))
                .map(|(v, _)| v.clone()))
        })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl_seconds: Option<u64>,
    ) -> BoxFut<'a, PResult<()>> {
        Box::pin(async move {
            self.ops.borrow_mut().writes += 1;
            let expires = ttl_seconds
                .map(|t| self.clock.now_ms() + (t.max(KV_MIN_TTL_SECONDS) as f64) * 1000.0);
            self.entries
                .borrow_mut()
                .insert(key.to_string(), (value.to_string(), expires));
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFut<'a, PResult<()>> {
        Box::pin(async move {
            self.ops.borrow_mut().deletes += 1;
            self.entries.borrow_mut().remove(key);
            Ok(())
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFut<'a, PResult<Vec<String>>> {
        Box::pin(async move {
            self.ops.borrow_mut().lists += 1;
            Ok(self
                .entries
                .borrow()
                .iter()
                .filter(|(k, (_, e))| k.starts_with(prefix) && self.live(*e))
                .map(|(k, _)| k.clone())
                .collect())
        })
    }
}
