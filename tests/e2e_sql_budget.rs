//! End to end under `wrangler dev` (D1's own `meta` and SQLite): with a tiny
//! read quota `/api/sql` answers 200 until its share is read, then 429 with
//! `Retry-After`, while `/status` still answers; the count reaches
//! `usage_daily.sql_rows_read` (migration 0018, the meter's upsert with
//! `RETURNING`). Needs `make build-fast` first.

mod local_runtime;

use local_runtime::Wrangler;

const GRAFANA: &str = "e2e-budget-grafana-token";
const ADMIN: &str = "e2e-budget-admin-token";
/// 10 % of 100 rows: `/api/sql` may read 10 rows a day.
const LIMIT: u64 = 10;
const IP: (&str, &str) = ("cf-connecting-ip", "198.51.100.77");

#[test]
fn e2e_sql_share_of_the_read_quota() {
    let vars: Vec<(String, String)> = [
        ("GRAFANA_SECRET", GRAFANA),
        ("ADMIN_SECRET", ADMIN),
        ("USAGE_QUOTA_D1_ROWS_READ", "100"),
        ("SQL_READ_SHARE_PERCENT", "10"),
        ("USAGE_FLUSH_SECONDS", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let w = Wrangler::start(&vars);
    // 30 days in a table Grafana may read.
    w.d1("INSERT INTO daily_summaries (day) WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 29) SELECT date('2025-01-01', '+' || n || ' days') FROM d");

    let first = w.sql(GRAFANA, "SELECT day FROM daily_summaries", &[IP]);
    assert_eq!(first.status, 200, "{}", first.json());
    let read = first.json()["meta"]["rows_read"].as_u64().unwrap_or(0);
    assert!(read >= LIMIT, "one query reads the share: {read}");

    let refused = w.sql(GRAFANA, "SELECT day FROM daily_summaries LIMIT 1", &[IP]);
    let body = refused.json();
    assert_eq!(refused.status, 429, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or("")
            .contains("T00:00:00.000Z"),
        "{body}"
    );
    assert!(body["hint"].is_string(), "{body}");
    let retry: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=86_400).contains(&retry), "Retry-After: {retry}");

    let auth = format!("Bearer {ADMIN}");
    let status = w.send("GET", "/status", &[("authorization", &auth), IP], None);
    assert_eq!(status.status, 200);
    let stored = w.d1("SELECT sql_rows_read FROM usage_daily");
    let persisted = stored[0]["sql_rows_read"].as_u64().unwrap_or(0);
    assert_eq!(persisted, read, "{stored}");
}
