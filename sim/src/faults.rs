//! Fault injection (`POST /_sim/faults`): the first active fault whose `path_prefix` matches a non-control
//! request shapes its response, and its `count` (if any) is decremented.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Answer with `status` (default 500); 429 gets rate-limit headers and `Retry-After` if given.
    Status,
    /// Sleep `delay_ms`, then serve normally.
    Slow,
    /// 200 with a truncated JSON body.
    Malformed,
    /// Revoke the presented access token and answer 401.
    RevokeToken,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fault {
    pub path_prefix: String,
    pub kind: Kind,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Remaining matching requests to affect; None = unlimited.
    #[serde(default)]
    pub count: Option<u32>,
}

#[derive(Default)]
pub struct Faults(Vec<Fault>);

impl Faults {
    pub fn add(&mut self, f: Fault) {
        self.0.push(f);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn list(&self) -> &[Fault] {
        &self.0
    }

    /// Consumes one use of the first fault matching `path`.
    pub fn take(&mut self, path: &str) -> Option<Fault> {
        let i = self
            .0
            .iter()
            .position(|f| path.starts_with(&f.path_prefix) && f.count != Some(0))?;
        let fault = self.0[i].clone();
        if let Some(n) = self.0[i].count.as_mut() {
            *n -= 1;
            if *n == 0 {
                self.0.remove(i);
            }
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_expire() {
        let mut f = Faults::default();
        f.add(Fault {
            path_prefix: "/v2/a".into(),
            kind: Kind::Status,
            status: Some(429),
            retry_after: None,
            delay_ms: None,
            count: Some(2),
        });
        assert!(f.take("/v2/b").is_none());
        assert!(f.take("/v2/a/x").is_some());
        assert!(f.take("/v2/a").is_some());
        assert!(f.take("/v2/a").is_none());
    }
}
