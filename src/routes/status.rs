//! `/status` and `/statuspage` (any token): the pipeline at a glance, as a
//! styled HTML page whose CSP allows exactly its own stylesheet (fix #6).

use super::html::{escape, page};
use crate::router::HandlerResult;
use crate::services::freshness::Freshness;
use crate::services::pipeline::Pipeline;
use crate::services::platform::Statement;
use crate::services::time::iso_timestamp;
use crate::services::usage;
use crate::state::{Ctx, RouteGroup};
use serde_json::Value;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2330;background:#f7f8fb}h1{font-size:1.5rem;margin-bottom:.2rem}.sub{color:#5b6475;margin-top:0}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem;margin:1.5rem 0}.card{background:#fff;border:1px solid #e3e6ee;border-radius:10px;padding:1rem}.card h2{font-size:1rem;margin:0 0 .5rem}.fresh,.ok{color:#1a7f37}.stale,.degraded{color:#b42318}.unknown{color:#9a6700}.badge{font-weight:600}table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e3e6ee;border-radius:10px}th,td{text-align:left;padding:.45rem .7rem;border-bottom:1px solid #eef0f5}th{background:#f0f2f7;font-size:.85rem}td.n{text-align:right;font-variant-numeric:tabular-nums}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}";

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

/// Today's usage beside the plan's quotas (UTC day).
async fn usage_table(cx: &Ctx) -> String {
    let settings = &cx.config().usage;
    let rows = match usage::recent(cx.platform()).await {
        Ok((today, yesterday)) => {
            let quotas = settings.quotas;
            usage::FIELDS
                .iter()
                .zip(today.usage.values())
                .zip(yesterday.usage.values())
                .zip(quotas)
                .map(|(((name, t), y), q)| {
                    let (quota, share) = match q {
                        Some(q) if q > 0 => (
                            q.to_string(),
                            format!("{:.1} %", t as f64 * 100.0 / q as f64),
                        ),
                        _ => ("—".to_string(), "—".to_string()),
                    };
                    format!(
                        "<tr><td>{}</td><td class=\"n\">{t}</td><td class=\"n\">{quota}</td><td class=\"n\">{share}</td><td class=\"n\">{y}</td></tr>",
                        escape(name)
                    )
                })
                .collect::<String>()
        }
        Err(e) => {
            tracing::warn!(error = %e, "status: usage unavailable");
            "<tr><td colspan=\"5\">Usage is unavailable right now.</td></tr>".to_string()
        }
    };
    format!(
        "<h2>Usage today (UTC)</h2><table><thead><tr><th>Meter</th><th>Today</th><th>Quota</th><th>Share</th><th>Yesterday</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

async fn status(cx: &mut Ctx) -> HandlerResult {
    let now = cx.platform().clock.now_ms();
    let pipeline = Pipeline::read(cx.platform(), cx.config()).await;
    let names = |field: &str| -> Vec<String> {
        pipeline.last_sync[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let (failures, deferred) = (names("failures"), names("deferred"));
    let mut sync_detail = vec![format!("Schedule: {}", pipeline.cron)];
    if !failures.is_empty() {
        sync_detail.push(format!("Failed last run: {}", failures.join(", ")));
    }
    if !deferred.is_empty() {
        sync_detail.push(format!(
            "Deferred to the next run (D1 queries per invocation ran low): {}",
            deferred.join(", ")
        ));
    }
    let sync_detail = sync_detail.join(" · ");
    let queue_detail = match pipeline.queue_error.get("error").and_then(Value::as_str) {
        Some(e) => format!("Last error: {e} · dead letters: {}", pipeline.dead_letters),
        None => format!("Dead letters: {}", pipeline.dead_letters),
    };
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
            "<tr><td colspan=\"5\">Table statistics are unavailable right now.</td></tr>"
                .to_string()
        }
    };
    let usage_html = usage_table(cx).await;
    let (label, overall) = pipeline.status();
    let body = format!(
        "<h1>oura-edge status</h1><p class=\"sub\">Version {} · generated {} · pipeline <span class=\"badge {overall}\">{label}</span></p>\
         <div class=\"cards\">{}{}{}</div>\
         <table><thead><tr><th>Table</th><th>Rows</th><th>First day</th><th>Last day</th><th>Updated</th></tr></thead><tbody>{rows_html}</tbody></table>\
         {usage_html}",
        escape(cx.config().version),
        escape(&iso_timestamp(now)),
        card("Cron reconciliation", &pipeline.sync_fresh, &sync_detail),
        card("Webhooks", &pipeline.webhook_fresh, "Deliveries from Oura"),
        card("Queue consumer", &pipeline.queue_fresh, &queue_detail),
    );
    Ok(page(200, "oura-edge status", &body, STYLE))
}
