//! End to end under `wrangler dev` (D1's own `meta`, which counts index
//! entries): re-syncing unchanged data writes 0 rows in every collection —
//! series, raw documents and `heart_rate_daily` included; the aggregate
//! equals a GROUP BY over the samples; the `session_series` and
//! `activity_met` views work on D1's SQLite. Needs `make build-fast` and
//! `cargo build -p oura-sim` first.

mod local_runtime;

use chrono::DateTime;
use local_runtime::{Sim, Wrangler};
use oura_edge::services::collections::REGISTRY;
use serde_json::{json, Value};

const GRAFANA: &str = "e2e-frugal-grafana-token";
const ADMIN: &str = "e2e-frugal-admin-token";
const START: &str = "2025-12-17";
const END: &str = "2026-01-15";

/// Syncs every collection over the window; returns rows_written per collection.
fn sync(w: &Wrangler) -> Vec<(String, u64)> {
    let auth = format!("Bearer {ADMIN}");
    let r = w.send(
        "POST",
        &format!("/api/admin/sync?start={START}&end={END}"),
        &[("authorization", &auth)],
        Some(b""),
    );
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    body["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["collection"].as_str().unwrap().to_string(),
                c["rows_written"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn sql(w: &Wrangler, query: &str) -> Vec<Value> {
    sql_meta(w, query).0
}

/// Rows and D1's `rows_read` for a query.
fn sql_meta(w: &Wrangler, query: &str) -> (Vec<Value>, u64) {
    let r = w.sql(GRAFANA, query, &[]);
    let v = r.json();
    assert_eq!(r.status, 200, "{query}: {v}");
    (
        v["results"].as_array().cloned().unwrap(),
        v["meta"]["rows_read"].as_u64().unwrap(),
    )
}

/// The simulator's session documents in the window.
fn sim_sessions(sim: &Sim) -> Vec<Value> {
    let url = format!(
        "{}/v2/sandbox/usercollection/session?start_date={START}&end_date={END}",
        sim.base
    );
    let v: Value = ureq::get(&url)
        .set("authorization", "Bearer sandbox")
        .call()
        .expect("sim answers")
        .into_json()
        .expect("sim JSON");
    assert!(v["next_token"].is_null(), "one page is enough");
    v["data"].as_array().cloned().unwrap()
}

#[test]
fn unchanged_resyncs_write_nothing_and_aggregates_and_views_hold_on_d1() {
    let sim = Sim::start(30, END, "-05:00");
    let mut vars = sim.worker_vars();
    vars.push(("ADMIN_SECRET".into(), ADMIN.into()));
    vars.push(("GRAFANA_SECRET".into(), GRAFANA.into()));
    let w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("OAuth against the simulator");

    let first = sync(&w);
    assert!(first.len() >= REGISTRY.len(), "{first:?}");
    assert!(first.iter().map(|(_, n)| n).sum::<u64>() > 0);
    let again = sync(&w);
    for (collection, written) in &again {
        assert_eq!(*written, 0, "{collection}: an unchanged re-sync wrote rows");
    }

    let daily = sql(
        &w,
        "SELECT day, source, min_bpm, avg_bpm, max_bpm, samples FROM heart_rate_daily ORDER BY day, source",
    );
    let grouped = sql(
        &w,
        "SELECT substr(timestamp, 1, 10) AS day, COALESCE(source, 'unknown') AS source, MIN(bpm) AS min_bpm, \
         AVG(bpm) AS avg_bpm, MAX(bpm) AS max_bpm, COUNT(*) AS samples FROM heart_rate_samples \
         GROUP BY 1, 2 ORDER BY 1, 2",
    );
    assert!(daily.len() > 30);
    assert_eq!(daily, grouped);

    let sessions = sim_sessions(&sim);
    assert!(!sessions.is_empty());
    let expected: usize = sessions
        .iter()
        .flat_map(|s| {
            ["heart_rate", "heart_rate_variability", "motion_count"].map(|k| &s[k]["items"])
        })
        .filter_map(Value::as_array)
        .map(|items| items.iter().filter(|v| !v.is_null()).count())
        .sum();
    let counted = sql(&w, "SELECT COUNT(*) AS n FROM session_series");
    assert_eq!(counted[0]["n"], json!(expected));
    let s = &sessions[0];
    let start = DateTime::parse_from_rfc3339(s["heart_rate"]["timestamp"].as_str().unwrap())
        .unwrap()
        .to_utc();
    let first_item = s["heart_rate"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .position(|v| !v.is_null())
        .unwrap();
    let at = start
        + chrono::Duration::milliseconds(
            (s["heart_rate"]["interval"].as_f64().unwrap() * 1000.0) as i64 * first_item as i64,
        );
    let got = sql(
        &w,
        &format!(
            "SELECT MIN(timestamp) AS t FROM session_series WHERE series = 'session.heart_rate' \
             AND document_id = '{}' AND day = '{}'",
            s["id"].as_str().unwrap(),
            s["day"].as_str().unwrap()
        ),
    );
    assert_eq!(
        got[0]["t"],
        json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );

    // The view unrolls only the series asked for, only on the days asked
    // for: about one row read per value (a sort by time doubles it, as it
    // would for any unindexed order).
    let (hrv, read) = sql_meta(
        &w,
        &format!(
            "SELECT timestamp, value FROM session_series WHERE series = 'session.hrv' \
             AND day >= '{START}' AND day <= '{END}'"
        ),
    );
    assert!(!hrv.is_empty());
    assert!(
        read <= hrv.len() as u64 * 11 / 10 + 20,
        "{read} rows read for {} values",
        hrv.len()
    );

    let met = sql(
        &w,
        "SELECT COUNT(*) AS n FROM activity_met WHERE day = '2026-01-10'",
    );
    assert_eq!(met[0]["n"], json!(1440));
}
