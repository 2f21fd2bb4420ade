//! The meter's settings and the quotas it reports against, from vars.
//! Defaults (in `config::DEFAULTS`) are the Workers Free plan's daily
//! limits; a paid plan sets its own budget with `USAGE_QUOTA_*` and
//! `D1_QUERIES_PER_INVOCATION`.

use super::counts::{Usage, FIELDS, N};
use crate::services::config::{parsed_or_default, Config};
use serde_json::Value;

/// Free plan: D1 queries one invocation may make (1,000 on paid plans);
/// `D1_QUERIES_PER_INVOCATION`'s default.
pub const FREE_QUERIES_PER_INVOCATION: u64 = 50;
const SQL_ROWS_READ: usize = 10;

/// The var that overrides one field's quota.
pub fn quota_var(field: &str) -> String {
    if field == "d1_max_queries_per_invocation" {
        "D1_QUERIES_PER_INVOCATION".to_string()
    } else {
        format!("USAGE_QUOTA_{}", field.to_ascii_uppercase())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Quotas in `FIELDS` order.
    pub quotas: [Option<u64>; N],
    /// How long read-only invocations may leave their counts in the isolate
    /// before one of them persists them; 0 persists at every invocation.
    pub flush_ms: f64,
    /// D1 rows a backfill may let the day reach before it sleeps.
    pub daily_write_budget: u64,
}

/// A whole number (`_` separators allowed): the configured value, else the
/// listed default; `None` when neither is one (no quota).
fn number<'a>(configured: &impl Fn(&str) -> Option<&'a str>, name: &str) -> Option<u64> {
    parsed_or_default(configured(name), name, |v| v.replace('_', "").parse().ok())
}

impl Settings {
    /// From the configured values (`config::Config` parses them once; this
    /// is for a config built by hand).
    pub fn from_config(config: &Config) -> Settings {
        Settings::parse(|name| config.get(name))
    }

    /// Defaults (the Free plan's) come from `config::DEFAULTS`.
    pub fn parse<'a>(configured: impl Fn(&str) -> Option<&'a str>) -> Settings {
        let mut quotas = [None; N];
        for (slot, field) in quotas.iter_mut().zip(FIELDS) {
            *slot = number(&configured, &quota_var(field));
        }
        let share = number(&configured, "SQL_READ_SHARE_PERCENT")
            .unwrap_or(100)
            .min(100);
        quotas[SQL_ROWS_READ] = quotas[0].map(|read| read.saturating_mul(share) / 100);
        Settings {
            quotas,
            flush_ms: number(&configured, "USAGE_FLUSH_SECONDS").unwrap_or(0) as f64 * 1000.0,
            daily_write_budget: number(&configured, "D1_DAILY_WRITE_BUDGET").unwrap_or(u64::MAX),
        }
    }

    /// D1 calls one invocation may make.
    pub fn queries_per_invocation(&self) -> u64 {
        self.quotas[3].unwrap_or(FREE_QUERIES_PER_INVOCATION).max(1)
    }

    /// Rows `/api/sql` may read per UTC day; `None`: no read quota.
    pub fn sql_rows_read_limit(&self) -> Option<u64> {
        self.quotas[SQL_ROWS_READ]
    }

    /// `usage.quotas`: every field, `null` where there is no quota.
    pub fn quotas_json(&self) -> Value {
        Value::Object(
            FIELDS
                .iter()
                .zip(self.quotas)
                .map(|(k, q)| (k.to_string(), q.map_or(Value::Null, Value::from)))
                .collect(),
        )
    }

    /// `(field, used, quota)` for every field with a quota.
    pub fn shares(&self, used: &Usage) -> Vec<(&'static str, u64, u64)> {
        FIELDS
            .iter()
            .zip(used.values())
            .zip(self.quotas)
            .filter_map(|((f, u), q)| q.map(|q| (*f, u, q)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::config::default_of;

    #[test]
    fn free_plan_by_default_and_vars_override() {
        let s = Settings::from_config(&Config::from_lookup(|_| None));
        assert_eq!(s.queries_per_invocation(), 50);
        assert_eq!(
            default_of("D1_QUERIES_PER_INVOCATION"),
            Some(FREE_QUERIES_PER_INVOCATION.to_string().as_str())
        );
        assert_eq!(s.quotas_json()["queue_operations"], 10_000);
        assert_eq!(s.daily_write_budget, 80_000);
        assert_eq!(s.flush_ms, 60_000.0);
        assert_eq!(s.quotas_json()["d1_rows_written"], 100_000);
        assert!(s.quotas_json()["d1_queries"].is_null());
        let paid = Settings::from_config(&Config::from_lookup(|n| match n {
            "D1_QUERIES_PER_INVOCATION" => Some("1000".into()),
            "USAGE_QUOTA_KV_WRITES" => Some("1_000_000".into()),
            "USAGE_FLUSH_SECONDS" => Some("0".into()),
            "USAGE_QUOTA_QUEUE_OPERATIONS" => Some("1_000_000".into()),
            _ => None,
        }));
        assert_eq!(paid.quotas_json()["queue_operations"], 1_000_000);
        assert_eq!(paid.queries_per_invocation(), 1000);
        assert_eq!(paid.quotas_json()["kv_writes"], 1_000_000);
        assert_eq!(paid.flush_ms, 0.0);
    }

    #[test]
    fn the_sql_share_is_a_percentage_of_the_read_quota() {
        let of = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Settings::from_config(&Config::from_lookup(move |n| {
                vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
            }))
            .sql_rows_read_limit()
        };
        assert_eq!(of(&[]), Some(3_500_000));
        assert_eq!(of(&[("SQL_READ_SHARE_PERCENT", "50")]), Some(2_500_000));
        assert_eq!(of(&[("SQL_READ_SHARE_PERCENT", "250")]), Some(5_000_000));
        assert_eq!(
            of(&[
                ("USAGE_QUOTA_D1_ROWS_READ", "25_000_000_000"),
                ("SQL_READ_SHARE_PERCENT", "10")
            ]),
            Some(2_500_000_000)
        );
    }
}
