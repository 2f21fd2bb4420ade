//! The in-memory document store: per collection, documents kept sorted oldest → newest by a precomputed key,
//! plus the numeric position used for window filtering. `personal_info` is a single object.

use crate::catalog::{self, Collection, DayFilter, Family};
use crate::timefmt;
use chrono::{Datelike, NaiveDate};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct Doc {
    /// Sort key, unique within a collection (ends with the id); pagination cursors point at it.
    pub key: String,
    /// Document id; for time series the `timestamp` string.
    pub id: String,
    /// The document's own local day (`day` / `start_day`), used by truth.
    pub day: Option<NaiveDate>,
    /// Window position: day number (dated collections, per the API's filter rule) or epoch seconds (series).
    pub pos: Option<i64>,
    pub value: Value,
}

#[derive(Default)]
pub struct Store {
    cols: BTreeMap<&'static str, Vec<Doc>>,
    personal_info: Value,
}

/// Day number used for window comparisons.
pub fn day_num(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

fn str_field<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    v.get(field).and_then(Value::as_str)
}

/// Builds the index entry for a document, validating the fields the store relies on.
pub fn index(coll: &Collection, value: Value) -> Result<Doc, String> {
    if coll.family == Family::Series {
        let ts =
            str_field(&value, "timestamp").ok_or("time-series rows need a string `timestamp`")?;
        let epoch =
            timefmt::parse_epoch(ts).ok_or_else(|| format!("unparseable timestamp {ts:?}"))?;
        return Ok(Doc {
            key: format!("{:015}", epoch + 100_000_000_000),
            id: ts.to_string(),
            day: None,
            pos: Some(epoch),
            value,
        });
    }
    let id = str_field(&value, "id")
        .filter(|s| !s.is_empty())
        .ok_or("document needs a non-empty string `id`")?;
    let day = match coll.day_field {
        Some(f) => {
            let raw = str_field(&value, f).ok_or_else(|| format!("document needs a `{f}` date"))?;
            Some(timefmt::parse_date(raw).ok_or_else(|| format!("unparseable `{f}` {raw:?}"))?)
        }
        None => None,
    };
    let filter_day = match coll.filter {
        DayFilter::DayField => day,
        DayFilter::UtcDateOf(f) => str_field(&value, f)
            .and_then(timefmt::parse_epoch)
            .and_then(timefmt::utc_date),
    };
    let t = coll
        .time_field
        .and_then(|f| str_field(&value, f))
        .and_then(timefmt::parse_epoch)
        .unwrap_or(0);
    let key = format!(
        "{}|{:015}|{}",
        filter_day.map(|d| d.to_string()).unwrap_or_default(),
        t + 100_000_000_000,
        id
    );
    Ok(Doc {
        key,
        id: id.to_string(),
        day,
        pos: filter_day.map(day_num),
        value,
    })
}

impl Store {
    pub fn from_generated(generated: BTreeMap<&'static str, Vec<Value>>) -> Result<Self, String> {
        let mut store = Store::default();
        for (name, docs) in generated {
            let coll = catalog::find(name).ok_or_else(|| format!("unknown collection {name}"))?;
            if coll.family == Family::Single {
                store.personal_info = docs.into_iter().next().unwrap_or(Value::Null);
                continue;
            }
            let mut indexed = docs
                .into_iter()
                .map(|v| index(coll, v))
                .collect::<Result<Vec<_>, _>>()?;
            indexed.sort_by(|a, b| a.key.cmp(&b.key));
            store.cols.insert(coll.name, indexed);
        }
        Ok(store)
    }

    pub fn docs(&self, name: &str) -> &[Doc] {
        self.cols.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn personal_info(&self) -> &Value {
        &self.personal_info
    }

    pub fn set_personal_info(&mut self, v: Value) {
        self.personal_info = v;
    }

    fn position(&self, coll: &Collection, id: &str) -> Option<usize> {
        let docs = self.docs(coll.name);
        if coll.family == Family::Series {
            // Series rows are addressed by timestamp; compare instants so any offset spelling matches.
            let t = timefmt::parse_epoch(id)?;
            return docs.iter().position(|d| d.pos == Some(t));
        }
        docs.iter().position(|d| d.id == id)
    }

    pub fn get(&self, coll: &Collection, id: &str) -> Option<&Doc> {
        self.position(coll, id)
            .and_then(|i| self.docs(coll.name).get(i))
    }

    /// Inserts a new document; an existing id is a conflict.
    pub fn insert(&mut self, coll: &'static Collection, value: Value) -> Result<Value, String> {
        let doc = index(coll, value)?;
        if self.position(coll, &doc.id).is_some() {
            return Err(format!("document {} already exists", doc.id));
        }
        let out = doc.value.clone();
        let docs = self.cols.entry(coll.name).or_default();
        let at = docs.partition_point(|d| d.key < doc.key);
        docs.insert(at, doc);
        Ok(out)
    }

    /// Replaces the document with id `id` by `value` (re-sorting if its key changed).
    pub fn replace(
        &mut self,
        coll: &'static Collection,
        id: &str,
        value: Value,
    ) -> Result<Value, String> {
        let old = self
            .remove(coll, id)
            .ok_or_else(|| format!("document {id} not found"))?;
        match self.insert(coll, value) {
            Ok(v) => Ok(v),
            Err(e) => {
                // Keep the store unchanged when the new version is invalid.
                let _ = self.insert(coll, old);
                Err(e)
            }
        }
    }

    pub fn remove(&mut self, coll: &Collection, id: &str) -> Option<Value> {
        let i = self.position(coll, id)?;
        self.cols
            .get_mut(coll.name)
            .map(|docs| docs.remove(i).value)
    }
}
