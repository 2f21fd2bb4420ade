//! Reads `grafana/dashboards/oura.json` the way Grafana and Infinity do: the
//! panels (inside rows too), each panel's Infinity request with Grafana's
//! time-range variables substituted, and the columns the panel reads.
//! Shared by the structural test and the end-to-end test.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

pub const INFINITY: &str = "yesoreyeram-infinity-datasource";
pub const DS_INPUT: &str = "${DS_INFINITY}";
/// JSON routes (GET, no SQL) a panel may read besides `/api/sql`.
pub const GET_ROUTES: &[&str] = &["/api/db/info"];
/// The dashboard's own variables as Grafana interpolates them when left at
/// their defaults: no night picked (the night panels show the newest night
/// in range), the default step target.
pub const VARIABLES: &[(&str, &str)] =
    &[("${night:sqlstring}", "''"), ("${steps_target}", "10000")];
/// `PanelQuery::id` of a template variable's query (not a panel).
pub const VARIABLE_ID: u64 = 0;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn load() -> Value {
    let path = root().join("grafana/dashboards/oura.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("dashboard JSON")
}

/// Every panel in layout order: rows, and each row's panels (expanded rows
/// list theirs after the row, collapsed rows inside it).
pub fn all_panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in dashboard["panels"].as_array().expect("panels") {
        out.push(p);
        if let Some(nested) = p["panels"].as_array() {
            out.extend(nested.iter());
        }
    }
    out
}

/// Panels that show data (not rows).
pub fn data_panels(dashboard: &Value) -> Vec<&Value> {
    all_panels(dashboard)
        .into_iter()
        .filter(|p| p["type"] != "row")
        .collect()
}

/// One panel's Infinity request and what the panel reads from its answer.
#[derive(Debug, Clone)]
pub struct PanelQuery {
    pub id: u64,
    pub title: String,
    pub method: String,
    pub url: String,
    /// The raw body (POST), variables not yet substituted.
    pub body: String,
    pub root_selector: String,
    /// Infinity's column selectors.
    pub columns: Vec<String>,
    /// Field names the panel's options and overrides refer to.
    pub used: Vec<String>,
    /// In a collapsed row: queried only when the row is opened.
    pub loads_on_open: bool,
}

impl PanelQuery {
    pub fn label(&self) -> String {
        format!("panel {} \"{}\"", self.id, self.title)
    }

    /// The SQL inside the body (POST panels).
    pub fn sql(&self) -> Option<String> {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|b| b["sql"].as_str().map(str::to_string))
    }
}

pub fn queries(dashboard: &Value) -> Vec<PanelQuery> {
    // Panels inside a row's `panels` belong to a collapsed row.
    let collapsed: Vec<&Value> = dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["panels"].as_array())
        .flatten()
        .collect();
    let mut out = Vec::new();
    // Query variables refresh with the time range, whichever rows are open.
    for v in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let t = &v["query"]["infinityQuery"];
        if v["type"] == "query" && t.is_object() {
            out.push(target_query(
                VARIABLE_ID,
                &format!("variable ${}", v["name"].as_str().unwrap_or_default()),
                t,
                Vec::new(),
                false,
            ));
        }
    }
    for p in data_panels(dashboard) {
        let mut used: Vec<String> = p["fieldConfig"]["overrides"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["matcher"]["id"] == "byName")
            .filter_map(|o| o["matcher"]["options"].as_str().map(str::to_string))
            .collect();
        if let Some(x) = p["options"]["xField"].as_str() {
            used.push(x.to_string());
        }
        for t in p["targets"].as_array().into_iter().flatten() {
            out.push(target_query(
                p["id"].as_u64().unwrap_or_default(),
                p["title"].as_str().unwrap_or_default(),
                t,
                used.clone(),
                collapsed.iter().any(|c| std::ptr::eq(*c, p)),
            ));
        }
    }
    out
}

fn target_query(
    id: u64,
    title: &str,
    t: &Value,
    used: Vec<String>,
    loads_on_open: bool,
) -> PanelQuery {
    PanelQuery {
        id,
        title: title.to_string(),
        method: t["url_options"]["method"]
            .as_str()
            .unwrap_or("GET")
            .to_string(),
        url: t["url"].as_str().unwrap_or_default().to_string(),
        body: t["url_options"]["data"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        root_selector: t["root_selector"].as_str().unwrap_or_default().to_string(),
        columns: t["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["selector"].as_str().map(str::to_string))
            .collect(),
        used,
        loads_on_open,
    }
}

/// The dashboard's time range, as Grafana formats it for `${__from:date:iso}`.
pub struct Range {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Range {
    pub fn days(from: &str, to: &str) -> Range {
        let ms = |d: &str| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .expect("date")
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp_millis()
        };
        Range {
            from_ms: ms(from),
            to_ms: ms(to),
        }
    }

    fn iso(ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms)
            .expect("valid time")
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    }

    /// Grafana's `$__interval_ms`: the range over about a thousand points.
    pub fn interval_ms(&self) -> i64 {
        ((self.to_ms - self.from_ms) / 1000).max(1000)
    }

    /// Replaces the variables Grafana interpolates before Infinity sends a query.
    pub fn substitute(&self, text: &str) -> String {
        let out = text
            .replace("${__from:date:iso}", &Range::iso(self.from_ms))
            .replace("${__to:date:iso}", &Range::iso(self.to_ms))
            .replace("${__interval_ms}", &self.interval_ms().to_string());
        let out = VARIABLES
            .iter()
            .fold(out, |text, (var, value)| text.replace(var, value));
        assert!(
            !out.contains("${") && !out.contains("$__"),
            "a variable is left unsubstituted: {out}"
        );
        out
    }
}

/// The rows Infinity would read from a response (its `root_selector`; a
/// bare object is one row).
pub fn rows<'a>(q: &PanelQuery, body: &'a Value) -> Vec<&'a Value> {
    let root = if q.root_selector.is_empty() {
        body
    } else {
        &body[q.root_selector.as_str()]
    };
    match root {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![root],
        _ => Vec::new(),
    }
}

/// Every column the panel reads is present in every row; returns the row count.
pub fn check_columns(q: &PanelQuery, body: &Value) -> Result<usize, String> {
    let rows = rows(q, body);
    for (i, row) in rows.iter().enumerate() {
        for c in &q.columns {
            if row.get(c).is_none() {
                return Err(format!("{}: row {i} has no column {c}: {row}", q.label()));
            }
        }
    }
    for name in &q.used {
        if !q.columns.contains(name) {
            return Err(format!(
                "{}: uses field {name}, not among its columns {:?}",
                q.label(),
                q.columns
            ));
        }
    }
    Ok(rows.len())
}
