//! Auth-attempt records (spec §3.4): a structured log line and an Analytics
//! Engine data point, `indexes ["auth"]`, `doubles [success]`,
//! `blobs [ipHash, country, path, details]`.

use crate::services::platform::DataPoint;
use crate::services::tokens::ip_hash;
use crate::state::Ctx;

pub fn record_auth_attempt(cx: &Ctx, success: bool, details: &str) {
    let ip = ip_hash(cx.req.client_ip());
    let country = cx
        .req
        .header("cf-ipcountry")
        .unwrap_or("unknown")
        .to_string();
    let path = cx.req.path.clone();
    let user_agent: String = cx
        .req
        .header("user-agent")
        .unwrap_or("unknown")
        .chars()
        .take(200)
        .collect();
    if success {
        tracing::debug!(r#type = "auth_attempt", success, ip_hash = %ip, country = %country, user_agent = %user_agent, url = %path);
    } else {
        tracing::info!(r#type = "auth_attempt", success, ip_hash = %ip, country = %country, user_agent = %user_agent, url = %path, details);
    }
    let point = DataPoint {
        indexes: vec!["auth".into()],
        doubles: vec![if success { 1.0 } else { 0.0 }],
        blobs: vec![ip, country, path, details.to_string()],
    };
    if let Err(e) = cx.platform().analytics.write(point) {
        tracing::warn!(error = %e, "analytics write failed");
    }
}
