//! Outgoing HTTP to webhook receivers: the verification handshake and signed event deliveries (api.md §6).

use crate::http::percent_encode;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::time::Duration;

/// Oura gives receivers 10 s to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(TIMEOUT)
        .redirects(0)
        .build()
}

/// `GET callback_url?verification_token=…&challenge=…` must answer 200 with `{"challenge": <same>}`.
pub fn verify(callback_url: &str, verification_token: &str, challenge: &str) -> Result<(), String> {
    let sep = if callback_url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{callback_url}{sep}verification_token={}&challenge={}",
        percent_encode(verification_token),
        percent_encode(challenge)
    );
    let resp = match agent().get(&url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, _)) => {
            return Err(format!("callback answered the challenge with {code}"))
        }
        Err(e) => return Err(format!("callback unreachable: {e}")),
    };
    if resp.status() != 200 {
        return Err(format!(
            "callback answered the challenge with {}",
            resp.status()
        ));
    }
    let body: serde_json::Value = resp
        .into_json()
        .map_err(|e| format!("callback challenge response is not JSON: {e}"))?;
    if body.get("challenge").and_then(|c| c.as_str()) == Some(challenge) {
        Ok(())
    } else {
        Err("callback did not echo the challenge".into())
    }
}

/// The delivery body. Field order is the wire order: the signature covers these exact compact bytes.
#[derive(Serialize, Clone, Debug)]
pub struct Event {
    pub event_type: String,
    pub data_type: String,
    pub object_id: String,
    pub event_time: String,
    pub user_id: String,
}

/// Upper-case hex HMAC-SHA256 with key = secret over `timestamp + body`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(), // unreachable: HMAC accepts keys of any length
    };
    mac.update(timestamp.as_bytes());
    mac.update(body);
    hex::encode_upper(mac.finalize().into_bytes())
}

#[derive(Serialize, Debug)]
pub struct Outcome {
    pub callback_url: String,
    /// The receiver's HTTP status; None when it could not be reached.
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// POSTs one signed event; `timestamp` is unix seconds.
pub fn deliver(callback_url: &str, secret: &str, event: &Event, timestamp: i64) -> Outcome {
    let body = serde_json::to_vec(event).unwrap_or_default();
    let ts = timestamp.to_string();
    let signature = sign(secret, &ts, &body);
    let result = agent()
        .post(callback_url)
        .set("Content-Type", "application/json")
        .set("x-oura-timestamp", &ts)
        .set("x-oura-signature", &signature)
        .send_bytes(&body);
    let (status, error) = match result {
        Ok(r) => (Some(r.status()), None),
        Err(ureq::Error::Status(code, _)) => (Some(code), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Outcome {
        callback_url: callback_url.to_string(),
        status,
        error,
        timestamp: ts,
        signature,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_upper_hex_hmac() {
        let s = sign("secret", "1700000000", b"{}");
        assert_eq!(s.len(), 64);
        assert_eq!(s, s.to_uppercase());
        assert_ne!(s, sign("secret", "1700000001", b"{}"));
    }
}
