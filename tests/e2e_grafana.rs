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

    // The picker over the whole backfill, as "now-100d" … "now" would be.
    let range = Range::days(
        &(today - chrono::Duration::days(100)).to_string(),
        &(today + chrono::Duration::days(1)).to_string(),
    );
    let d = dashboard::load();
    let queries = dashboard::queries(&d);
    let auth = format!("Bearer {GRAFANA}");
    let started = Instant::now();
    let mut failures = Vec::new();
    for q in &queries {
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("cf-connecting-ip", "198.51.100.50"),
        ];
        let body = (q.method == "POST").then(|| range.substitute(&q.body));
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let r = w.send(
            &q.method,
            &q.url,
            &headers,
            body.as_deref().map(str::as_bytes),
        );
        if r.status != 200 {
            failures.push(format!(
                "{}: {} {}",
                q.label(),
                r.status,
                String::from_utf8_lossy(&r.body)
            ));
            continue;
        }
        match dashboard::check_columns(q, &r.json()) {
            Ok(0) => failures.push(format!("{}: no rows", q.label())),
            Ok(_) => {}
            Err(e) => failures.push(e),
        }
    }
    eprintln!(
        "e2e grafana: {} panel queries in {} ms",
        queries.len(),
        started.elapsed().as_millis()
    );
    assert!(
        failures.is_empty(),
        "{} of {} panel queries failed:\n{}",
        failures.len(),
        queries.len(),
        failures.join("\n")
    );
}
