//! End to end: every panel of `grafana/dashboards/oura.json` against the built
//! worker under `wrangler dev`, filled by one 90-day backfill from the Oura
//! simulator. Each panel's request is sent as Infinity sends it (POST
//! `/api/sql` with the panel's JSON body, time-range variables substituted;
//! GET for JSON routes) and must answer 200 with at least one row holding
//! every column the panel reads. Needs `make build-fast` and
//! `cargo build -p oura-sim` first.

mod dashboard;
mod local_runtime;

use dashboard::Range;
use local_runtime::{today_utc, Sim, Wrangler};
use serde_json::Value;
use std::time::{Duration, Instant};

const GRAFANA: &str = "e2e-grafana-token";
const ADMIN: &str = "e2e-grafana-admin-token";
const DAYS: u32 = 90;

fn backfill(w: &Wrangler) -> Value {
    let auth = format!("Bearer {ADMIN}");
    let send = |method: &str, path: &str, ip: &str| {
        let r = w.send(
            method,
            path,
            &[("authorization", &auth), ("cf-connecting-ip", ip)],
            Some(b""),
        );
        (r.status, r.json())
    };
    let (status, started) = send("POST", &format!("/backfill?days={DAYS}"), "198.51.100.1");
    assert_eq!(status, 202, "{started}");
    let url = started["statusUrl"]
        .as_str()
        .expect("statusUrl")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let (code, body) = send("GET", &url, "198.51.100.2");
        assert_eq!(code, 200, "{body}");
        match body["status"].as_str() {
            Some("complete") => return body,
            Some("errored") | Some("terminated") => panic!("backfill ended: {body}"),
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "backfill not done in time: {body}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn e2e_every_dashboard_panel_answers_from_a_backfilled_worker() {
    let today = today_utc();
    let sim = Sim::start(DAYS, &today.to_string(), "+00:00");
    let mut vars: Vec<(String, String)> = [("GRAFANA_SECRET", GRAFANA), ("ADMIN_SECRET", ADMIN)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.extend(sim.worker_vars());
    let w = Wrangler::start(&vars);
    w.connect_oura(ADMIN).expect("connected to the simulator");

    let started = Instant::now();
    let done = backfill(&w);
    assert_eq!(done["output"]["failed"], 0, "{done}");
    eprintln!(
        "e2e grafana: backfill of {DAYS} days in {} ms",
        started.elapsed().as_millis()
    );

    let d = dashboard::load();
    let queries = dashboard::queries(&d);
    // The picker over the whole backfill, as "now-100d" … "now" would be:
    // every panel has rows.
    let long = Range::days(
        &(today - chrono::Duration::days(100)).to_string(),
        &(today + chrono::Duration::days(1)).to_string(),
    );
    let (mut failures, empty) = run_all(&w, &queries, &long, "100 days");
    failures.extend(empty.iter().map(|e| format!("{e}: no rows")));
    // Zoomed into one day: minute-level branches run; rare things may be absent.
    let day = Range::days(
        &(today - chrono::Duration::days(1)).to_string(),
        &today.to_string(),
    );
    let (day_failures, day_empty) = run_all(&w, &queries, &day, "1 day");
    failures.extend(day_failures);
    for q in queries.iter().filter(|q| q.title == "Activity MET") {
        if day_empty.contains(&q.label()) {
            failures.push(format!("{} (1 day): no minute rows", q.label()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} panel queries failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sends every panel's request for `range`; returns the failures and the
/// panels that answered without rows. Prints what the load cost in D1 reads.
fn run_all(
    w: &Wrangler,
    queries: &[dashboard::PanelQuery],
    range: &Range,
    name: &str,
) -> (Vec<String>, Vec<String>) {
    let auth = format!("Bearer {GRAFANA}");
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut empty = Vec::new();
    // (D1 rows read, ms, panel, in a collapsed row).
    let mut costs = Vec::new();
    for q in queries {
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("cf-connecting-ip", "198.51.100.50"),
        ];
        let body = (q.method == "POST").then(|| range.substitute(&q.body));
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let sent = Instant::now();
        let r = w.send(
            &q.method,
            &q.url,
            &headers,
            body.as_deref().map(str::as_bytes),
        );
        if r.status != 200 {
            failures.push(format!(
                "{} ({name}): {} {}",
                q.label(),
                r.status,
                String::from_utf8_lossy(&r.body)
            ));
            continue;
        }
        let json = r.json();
        let rows_read = json["meta"]["rows_read"].as_u64().unwrap_or(0);
        costs.push((
            rows_read,
            sent.elapsed().as_millis(),
            q.label(),
            q.loads_on_open,
        ));
        match dashboard::check_columns(q, &json) {
            Ok(0) => empty.push(q.label()),
            Ok(_) => {}
            Err(e) => failures.push(format!("{e} ({name})")),
        }
    }
    costs.sort();
    let total = |open: bool| -> u64 { costs.iter().filter(|c| open || !c.3).map(|c| c.0).sum() };
    eprintln!(
        "e2e grafana ({name}): {} panel queries in {} ms; D1 rows read: {} on opening the \
         dashboard, {} with every row open; most: {:?}; without rows: {empty:?}",
        queries.len(),
        started.elapsed().as_millis(),
        total(false),
        total(true),
        costs
            .iter()
            .rev()
            .take(6)
            .map(|c| (c.0, c.1, &c.2))
            .collect::<Vec<_>>()
    );
    (failures, empty)
}
