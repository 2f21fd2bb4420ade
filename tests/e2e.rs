//! End to end: the release build under `wrangler dev` (local D1, KV, Queues,
//! Workflows, rate limits), driven over HTTP on loopback.
//!
//! One instance serves every check (a start costs ~2 s and ~500 MB), so the
//! checks run in sequence inside one test; each reports on its own and every
//! failure is listed before the test fails. Needs `make build-fast` first
//! (`make test` does it).

mod local_runtime;

use local_runtime::{send_url, today_utc, Reply, Sim, Wrangler};
use oura_edge::services::collections::REGISTRY;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

const GRAFANA: &str = "e2e-grafana-token";
const ADMIN: &str = "e2e-admin-token";
const ORIGIN: &str = "https://grafana.e2e.example";

fn auth(token: &str) -> String {
    format!("Bearer {token}")
}

fn assert_security_headers(r: &Reply, what: &str) {
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("x-xss-protection", "1; mode=block"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
    ] {
        assert_eq!(r.header(name), Some(value), "{name} on {what}");
    }
    assert!(
        r.header("content-security-policy")
            .is_some_and(|v| v.starts_with("default-src 'none'")),
        "CSP on {what}"
    );
    assert_eq!(r.header("vary"), Some("Origin"), "vary on {what}");
}

fn health_is_rate_limited_per_ip(w: &Wrangler) {
    let ip = [("cf-connecting-ip", "198.51.100.10")];
    let first = w.send("GET", "/health", &ip, None);
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let body = first.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_security_headers(&first, "200");
    let second = w.send("GET", "/health", &ip, None);
    assert_eq!(second.status, 429);
    assert_eq!(second.header("retry-after"), Some("60"));
    assert_eq!(
        second.json()["error"],
        "Rate limit exceeded. Max 1 request per 60 seconds."
    );
    assert_security_headers(&second, "429");
}

fn statuses_and_headers(w: &Wrangler) {
    let ip = ("cf-connecting-ip", "198.51.100.20");
    let grafana = auth(GRAFANA);
    let admin = auth(ADMIN);
    let anon = w.send("GET", "/api/admin/config", &[ip], None);
    assert_eq!(anon.status, 401);
    assert_eq!(anon.json(), serde_json::json!({"error": "Unauthorized"}));
    assert_security_headers(&anon, "401");

    let forbidden = w.send(
        "GET",
        "/api/admin/config",
        &[ip, ("authorization", &grafana)],
        None,
    );
    assert_eq!(forbidden.status, 403);
    assert_eq!(forbidden.json()["error"], "Forbidden: admin token required");
    assert_security_headers(&forbidden, "403");

    let allowed = w.send(
        "GET",
        "/api/admin/config",
        &[ip, ("authorization", &admin)],
        None,
    );
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.json()["secrets"]["ADMIN_SECRET"], true);

    let missing = w.send(
        "GET",
        "/no/such/route",
        &[ip, ("authorization", &grafana)],
        None,
    );
    assert_eq!(missing.status, 404);
    assert_security_headers(&missing, "404");

    let wrong_method = w.send("POST", "/favicon.svg", &[ip], Some(b""));
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET, HEAD"));
    assert_security_headers(&wrong_method, "405");

    let big = vec![b'x'; 1024 * 1024 + 1];
    let too_large = w.send(
        "POST",
        "/api/sql",
        &[ip, ("authorization", &grafana)],
        Some(&big),
    );
    assert_eq!(too_large.status, 413);
    assert_eq!(
        too_large.json()["error"],
        "Request body too large (max 1MB)"
    );
    assert_security_headers(&too_large, "413");

    let head = w.send("HEAD", "/favicon.svg", &[ip], None);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

fn cors_preflight_and_origins(w: &Wrangler) {
    let pre = w.send(
        "OPTIONS",
        "/api/sql",
        &[
            ("origin", ORIGIN),
            ("access-control-request-method", "POST"),
        ],
        None,
    );
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        pre.header("access-control-allow-methods"),
        Some("GET,POST,OPTIONS")
    );
    let other = w.send(
        "GET",
        "/favicon.svg",
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
    let allowed = w.send("GET", "/favicon.svg", &[("origin", ORIGIN)], None);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ORIGIN));
}

fn unauth_tier_limits_the_eleventh_bad_token(w: &Wrangler) {
    let headers = [
        ("cf-connecting-ip", "198.51.100.30"),
        ("authorization", "Bearer wrong"),
    ];
    for i in 1..=10 {
        let r = w.send("GET", "/api/stats", &headers, None);
        assert_eq!(r.status, 401, "bad token #{i}");
    }
    let limited = w.send("GET", "/api/stats", &headers, None);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("60"));
    assert_eq!(
        limited.json()["error"],
        "Rate limit exceeded. Please wait before retrying."
    );
    assert_security_headers(&limited, "429 (unauth)");
}

fn status_renders_in_chromium(w: &Wrangler) {
    use local_runtime::browser::{auth_proxy, pixel, visit};
    let upstream = w.base.trim_start_matches("http://");
    let proxy = auth_proxy(upstream, &auth(GRAFANA));
    let seen = visit(&format!("{proxy}/status"));
    assert!(
        !seen.log.contains("Content Security Policy") && !seen.log.contains("Refused to"),
        "CSP violation:\n{}",
        seen.log
    );
    // The stylesheet applied: the page background is the style's #f7f8fb, not white.
    assert_eq!(
        pixel(&seen.screenshot, 3, 3),
        [0xf7, 0xf8, 0xfb],
        "{}",
        seen.log
    );
}

/// A named check against the shared instance.
type Check = (&'static str, fn(&Wrangler));

thread_local! {
    static SIM_BASE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn sim_get(path: &str) -> serde_json::Value {
    let base = SIM_BASE.with(|b| b.borrow().clone());
    ureq::get(&format!("{base}{path}"))
        .call()
        .expect("sim answers")
        .into_json()
        .expect("sim JSON")
}

const SYNC_DAYS: i64 = 10;

fn oauth_then_sync_matches_the_simulator(w: &Wrangler) {
    let ip = ("cf-connecting-ip", "198.51.100.40");
    let admin = auth(ADMIN);
    // 1. Start: admin only, redirects to the simulator's authorize URL.
    let start = w.send(
        "GET",
        "/oauth/start",
        &[ip, ("authorization", &admin)],
        None,
    );
    assert_eq!(
        start.status,
        302,
        "{}",
        String::from_utf8_lossy(&start.body)
    );
    let authorize = start.header("location").expect("location").to_string();
    assert!(authorize.contains("/oauth/authorize?response_type=code"));
    assert!(authorize.contains("client_id=sim-client"));
    // 2. The simulator "user" approves and is sent back with a code.
    let approved = send_url("GET", &authorize, &[], None);
    assert_eq!(approved.status, 302);
    let callback = approved.header("location").expect("callback").to_string();
    assert!(callback.starts_with(&w.base), "{callback}");
    // 3. The callback exchanges the code and says so.
    let done = send_url("GET", &callback, &[ip], None);
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    assert!(String::from_utf8_lossy(&done.body).contains("connected"));
    // The same state cannot be used twice.
    assert_eq!(send_url("GET", &callback, &[ip], None).status, 400);

    // 4. Sync the last days of every collection.
    let sync = w.send(
        "POST",
        &format!("/api/admin/sync?days={SYNC_DAYS}"),
        &[ip, ("authorization", &admin)],
        Some(b""),
    );
    let report = sync.json();
    assert_eq!(sync.status, 200, "{report}");
    let today = today_utc();
    let start_day = (today - chrono::Duration::days(SYNC_DAYS - 1)).to_string();
    let end_day = today.to_string();

    // 5. Stored counts equal what the simulator holds for that window.
    let truth = sim_get(&format!(
        "/_sim/truth?start_date={start_day}&end_date={end_day}&ids=false"
    ));
    let everything = sim_get("/_sim/truth?ids=false");
    let grafana = auth(GRAFANA);
    let mut summary = Vec::new();
    for c in report["collections"].as_array().expect("collections") {
        let name = c["collection"].as_str().expect("name");
        let undated = name == "ring_configuration" || name == "personal_info";
        let api_name = if name == "vo2_max" { "vO2_max" } else { name };
        let expected = if undated {
            &everything[api_name]["count"]
        } else {
            &truth[api_name]["count"]
        };
        let range = if undated {
            String::new()
        } else {
            format!("&start={start_day}&end={end_day}")
        };
        let mut stored = 0;
        let mut cursor = String::new();
        loop {
            let page = w.send(
                "GET",
                &format!("/api/oura/{name}?limit=1000{range}&cursor={cursor}"),
                &[ip, ("authorization", &grafana)],
                None,
            );
            assert_eq!(page.status, 200, "{name}");
            let body = page.json();
            stored += body["data"].as_array().map_or(0, |d| d.len());
            match body["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        assert_eq!(
            serde_json::json!(stored),
            *expected,
            "{name}: stored vs simulator"
        );
        summary.push(format!("{name}={stored}"));
    }
    assert_eq!(summary.len(), REGISTRY.len(), "every collection synced");

    // 6. The original's 64 dashboard queries answer from the synced data.
    let queries: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(
            local_runtime::root().join("tests/fixtures/compat/original-dashboard-queries.json"),
        )
        .expect("dashboard queries"),
    )
    .expect("JSON");
    let mut answered = 0;
    for q in queries.iter().filter(|q| q["sql"].is_string()) {
        let r = w.sql(GRAFANA, q["sql"].as_str().unwrap_or(""), &[ip]);
        assert_eq!(
            r.status,
            200,
            "{}: {}",
            q["title"],
            String::from_utf8_lossy(&r.body)
        );
        if r.json()["results"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            answered += 1;
        }
    }
    assert!(
        answered >= 50,
        "only {answered} of 64 dashboard queries returned rows"
    );
    eprintln!("e2e dashboard: {answered} of 64 queries returned rows");
    eprintln!("e2e synced {SYNC_DAYS} days: {}", summary.join(" "));
}

/// The usage meter under workerd: real D1 `meta`, the contract's fields.
/// Issue #13 under the real runtime and D1: after OAuth stored real tokens,
/// the tokenizer-bypass family never returns them.
fn sql_guard_bypass_family_is_refused(w: &Wrangler) {
    let ip = ("cf-connecting-ip", "198.51.100.42");
    let family: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(
            local_runtime::root().join("tests/fixtures/sql_guard/tokenizer_bypass.json"),
        )
        .expect("bypass fixture"),
    )
    .expect("JSON");
    for case in &family {
        let r = w.sql(GRAFANA, case["sql"].as_str().unwrap_or(""), &[ip]);
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains("refresh"), "{}: {text}", case["name"]);
        // Its only trick is a LIMIT past the cap: SQLite reads a plain
        // heart-rate query, which the guard reads alike and caps.
        if case["name"] == "hidden LIMIT" {
            assert_eq!(r.status, 200, "{text}");
            continue;
        }
        assert_eq!(r.status, 400, "{}: {text}", case["name"]);
        assert!(r.json()["results"].is_null(), "{}: {text}", case["name"]);
        assert!(!text.contains("refresh"), "{}: {text}", case["name"]);
    }
}

fn usage_meter_counts_real_d1(w: &Wrangler) {
    let ip = ("cf-connecting-ip", "198.51.100.41");
    let r = w.send(
        "GET",
        "/api/db/info",
        &[ip, ("authorization", &auth(GRAFANA))],
        None,
    );
    assert_eq!(r.status, 200);
    let u = r.json()["usage"].clone();
    let today = &u["today"];
    for f in [
        "d1_rows_read",
        "d1_rows_written",
        "d1_queries",
        "d1_max_queries_per_invocation",
        "kv_reads",
        "kv_writes",
        "kv_deletes",
        "kv_lists",
        "requests",
        "analytics_points",
        "sql_rows_read",
        "queue_operations",
    ] {
        assert!(today[f].is_u64(), "today.{f}: {u}");
        assert!(u["yesterday"][f].is_u64(), "yesterday.{f}: {u}");
    }
    // Earlier checks synced every collection and ran the dashboard queries
    // (today's and yesterday's together: a run may cross midnight UTC).
    let both = |f: &str| today[f].as_u64().unwrap() + u["yesterday"][f].as_u64().unwrap();
    assert!(both("d1_rows_written") > 1_000, "{u}");
    assert!(both("d1_rows_read") > 1_000, "{u}");
    assert!(both("requests") > 64, "{u}");
    let peak = today["d1_max_queries_per_invocation"]
        .as_u64()
        .unwrap()
        .max(
            u["yesterday"]["d1_max_queries_per_invocation"]
                .as_u64()
                .unwrap(),
        );
    assert!((1..50).contains(&peak), "{u}");
    assert_eq!(u["quotas"]["d1_rows_written"], 100_000);
    eprintln!("e2e usage today: {today}");
}

/// Startup (`services::warm_up`) ran to its log line, and its rehearsals
/// went all the way through in the real runtime.
fn startup_logged_its_line(w: &Wrangler) {
    let log = w.log();
    assert!(log.contains("isolate started"), "{log}");
    assert!(!log.contains("startup rehearsal did not"), "{log}");
}

#[test]
fn e2e_against_wrangler_dev() {
    let sim = Sim::start(40, &today_utc().to_string(), "+00:00");
    SIM_BASE.with(|b| *b.borrow_mut() = sim.base.clone());
    let mut vars: Vec<(String, String)> = [
        ("GRAFANA_SECRET", GRAFANA),
        ("ADMIN_SECRET", ADMIN),
        ("ALLOWED_ORIGINS", ORIGIN),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.extend(sim.worker_vars());
    let w = Wrangler::start(&vars);
    let checks: [Check; 9] = [
        ("startup logged its line", startup_logged_its_line),
        (
            "health is rate limited per IP",
            health_is_rate_limited_per_ip,
        ),
        ("statuses and security headers", statuses_and_headers),
        ("CORS preflight and origins", cors_preflight_and_origins),
        (
            "unauth tier: 429 on the 11th bad token",
            unauth_tier_limits_the_eleventh_bad_token,
        ),
        (
            "OAuth against the simulator, then a sync of every collection",
            oauth_then_sync_matches_the_simulator,
        ),
        (
            "SQL guard: the tokenizer-bypass family reads no secret",
            sql_guard_bypass_family_is_refused,
        ),
        (
            "/status renders styled in Chromium",
            status_renders_in_chromium,
        ),
        ("usage meter on /api/db/info", usage_meter_counts_real_d1),
    ];
    let mut failed = Vec::new();
    for (name, check) in checks {
        let started = Instant::now();
        match catch_unwind(AssertUnwindSafe(|| check(&w))) {
            Ok(()) => eprintln!("e2e ok   {name} ({} ms)", started.elapsed().as_millis()),
            Err(_) => {
                eprintln!("e2e FAIL {name}");
                failed.push(name);
            }
        }
    }
    assert!(
        failed.is_empty(),
        "failed e2e checks: {failed:?}\n--- wrangler log ---\n{}",
        w.log()
    );
}
