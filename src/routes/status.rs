//! `/status` and `/statuspage` (any token): the pipeline at a glance, as a
//! styled HTML page whose CSP allows exactly its own stylesheet (fix #6).

use crate::router::{BoxFut, Ctx, HandlerResult, RouteGroup};
use crate::services::freshness::{evaluate, sync_threshold_minutes, Freshness};
use crate::services::html::{escape, page};
use crate::services::platform::Statement;
use crate::services::time::iso_timestamp;
use serde_json::Value;

/// The schedule in wrangler.toml; `SYNC_CRON` overrides it for deployments
/// that change it, so freshness follows the real cadence.
const DEFAULT_CRON: &str = "0 */2 * * *";

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2330;background:#f7f8fb}h1{font-size:1.5rem;margin-bottom:.2rem}.sub{color:#5b6475;margin-top:0}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem;margin:1.5rem 0}.card{background:#fff;border:1px solid #e3e6ee;border-radius:10px;padding:1rem}.card h2{font-size:1rem;margin:0 0 .5rem}.fresh{color:#1a7f37}.stale{color:#b42318}.unknown{color:#9a6700}.badge{font-weight:600}table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e3e6ee;border-radius:10px}th,td{text-align:left;padding:.45rem .7rem;border-bottom:1px solid #eef0f5}th{background:#f0f2f7;font-size:.85rem}td.n{text-align:right;font-variant-numeric:tabular-nums}";

pub fn routes() -> RouteGroup {
    RouteGroup::new("")
        .get("/status", "status", status)
        .get("/statuspage", "status", status)
}

fn card(title: &str, f: &Freshness, detail: &str) -> String {
    let age = f
        .age_minutes
        .map_or("never".to_string(), |m| format!("{m} min ago"));
    format!(
        "<div class=\"card\"><h2>{}</h2><p class=\"badge {}\">{}</p><p>Last: {} ({})</p><p>{}</p></div>",
        escape(title),
        f.state,
        f.state,
        escape(f.timestamp.as_deref().unwrap_or("—")),
        escape(&age),
        escape(detail)
    )
}

async fn kv_json(cx: &Ctx, key: &str) -> Option<Value> {
    let text = cx.platform().kv.get(key).await.ok().flatten()?;
    serde_json::from_str(&text).ok()
}

fn status(cx: &mut Ctx) -> BoxFut<'_, HandlerResult> {
    Box::pin(async move {
        let now = cx.platform().clock.now_ms();
        let cron = cx
            .config()
            .get("SYNC_CRON")
            .unwrap_or(DEFAULT_CRON)
            .to_string();
        let sync = kv_json(cx, "sync:last_success").await;
        let sync_time = sync
            .as_ref()
            .and_then(|s| s["timestamp"].as_str().map(str::to_string));
        let sync_fresh = evaluate(sync_time.as_deref(), now, sync_threshold_minutes(&cron));
        let failures = sync
            .as_ref()
            .and_then(|s| s["failures"].as_array().cloned())
            .unwrap_or_default();
        let sync_detail = if failures.is_empty() {
            format!("Schedule: {cron}")
        } else {
            let names: Vec<&str> = failures.iter().filter_map(Value::as_str).collect();
            format!("Failed last run: {}", names.join(", "))
        };
        let webhook = kv_json(cx, "webhook:last_accepted").await;
        let webhook_time = webhook
            .as_ref()
            .and_then(|w| w["timestamp"].as_str().map(str::to_string));
        let webhook_fresh = evaluate(webhook_time.as_deref(), now, 24 * 60);

        let tables = cx
            .platform()
            .db
            .query(&Statement::new(
                "SELECT resource, record_count, min_day, max_day, updated_at FROM table_stats ORDER BY resource",
                vec![],
            ))
            .await;
        let rows_html = match &tables {
            Ok(r) => r
                .rows
                .iter()
                .map(|row| {
                    let s = |k: &str| escape(row.get(k).and_then(Value::as_str).unwrap_or("—"));
                    let n = row.get("record_count").and_then(Value::as_i64).unwrap_or(0);
                    format!(
                        "<tr><td>{}</td><td class=\"n\">{n}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        s("resource"),
                        s("min_day"),
                        s("max_day"),
                        s("updated_at")
                    )
                })
                .collect::<String>(),
            Err(e) => {
                tracing::error!(error = %e, "status: table stats unavailable");
                "<tr><td colspan=\"5\">Table statistics are unavailable right now.</td></tr>".to_string()
            }
        };
        let overall = if sync_fresh.is_fresh {
            "fresh"
        } else {
            sync_fresh.state
        };
        let body = format!(
            "<h1>oura-edge status</h1><p class=\"sub\">Version {} · generated {} · pipeline <span class=\"badge {overall}\">{overall}</span></p>\
             <div class=\"cards\">{}{}</div>\
             <table><thead><tr><th>Table</th><th>Rows</th><th>First day</th><th>Last day</th><th>Updated</th></tr></thead><tbody>{rows_html}</tbody></table>",
            escape(cx.config().version),
            escape(&iso_timestamp(now)),
            card("Cron reconciliation", &sync_fresh, &sync_detail),
            card("Webhooks", &webhook_fresh, "Deliveries from Oura"),
        );
        Ok(page(200, "oura-edge status", &body, STYLE))
    })
}
