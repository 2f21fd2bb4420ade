//! `usage_daily`: one row per UTC day, added to by upserts that each carry
//! many invocations' counts (migration 0017).

use super::counts::{Usage, FIELDS, MAX_FIELD};
use crate::services::platform::{Db, PlatformError, Statement};
use serde_json::Value;
use std::collections::BTreeMap;

/// One upsert per day: adds every count, keeps the larger maximum, and
/// returns the row.
pub fn upserts(by_day: &BTreeMap<String, Usage>) -> Vec<Statement> {
    let columns = FIELDS.join(", ");
    let holes: Vec<String> = (2..=FIELDS.len() + 1).map(|i| format!("?{i}")).collect();
    let sets: Vec<String> = FIELDS
        .iter()
        .map(|f| {
            if *f == MAX_FIELD {
                format!("{f} = MAX({f}, excluded.{f})")
            } else {
                format!("{f} = {f} + excluded.{f}")
            }
        })
        .collect();
    // RETURNING: the day's new totals, across isolates, for free.
    let sql = format!(
        "INSERT INTO usage_daily (day, {columns}) VALUES (?1, {}) ON CONFLICT (day) DO UPDATE SET {} RETURNING day, {columns}",
        holes.join(", "),
        sets.join(", ")
    );
    by_day
        .iter()
        .filter(|(_, u)| !u.is_empty())
        .map(|(day, u)| {
            let mut params = vec![Value::from(day.as_str())];
            params.extend(u.values().iter().map(|v| Value::from(*v)));
            Statement::new(sql.clone(), params)
        })
        .collect()
}

/// The stored rows for `days` (missing days are absent).
pub async fn load(db: &dyn Db, days: &[&str]) -> Result<BTreeMap<String, Usage>, PlatformError> {
    let holes: Vec<String> = (1..=days.len()).map(|i| format!("?{i}")).collect();
    let stmt = Statement::new(
        format!(
            "SELECT day, {} FROM usage_daily WHERE day IN ({})",
            FIELDS.join(", "),
            holes.join(", ")
        ),
        days.iter().map(|d| Value::from(*d)).collect(),
    );
    let result = db.query(&stmt).await?;
    Ok(result
        .rows
        .iter()
        .filter_map(|row| {
            let day = row.get("day")?.as_str()?.to_string();
            Some((day, Usage::from_row(row)))
        })
        .collect())
}
