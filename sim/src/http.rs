//! Transport-independent request/response types and the small codecs the routes need (percent-decoding,
//! forms, HTTP Basic), so handlers stay free of tiny_http details and are easy to unit-test.

use serde_json::{json, Value};

pub struct Req {
    pub method: String,
    /// Path without the query string, e.g. `/v2/usercollection/sleep`.
    pub path: String,
    /// Path plus raw query string, as received.
    pub url: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn new(method: &str, url: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let (path, q) = url.split_once('?').unwrap_or((url, ""));
        Req {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            url: url.to_string(),
            query: parse_form(q),
            headers,
            body,
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Body parsed as JSON; an empty body is `{}` so optional-body routes work.
    pub fn json(&self) -> Result<Value, Resp> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| Resp::detail(400, &format!("Invalid JSON body: {e}")))
    }

    pub fn form(&self) -> Vec<(String, String)> {
        parse_form(&String::from_utf8_lossy(&self.body))
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(status: u16, v: &Value) -> Self {
        Resp::raw(
            status,
            "application/json",
            serde_json::to_vec(v).unwrap_or_default(),
        )
    }

    pub fn raw(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Resp {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    /// FastAPI-style error body `{"detail": "..."}`.
    pub fn detail(status: u16, msg: &str) -> Self {
        Resp::json(status, &json!({ "detail": msg }))
    }

    /// OAuth-style error body `{"error": "..."}`.
    pub fn oauth_error(status: u16, error: &str) -> Self {
        Resp::json(status, &json!({ "error": error }))
    }

    pub fn empty(status: u16) -> Self {
        Resp {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Decodes `%XX` escapes and, as in form encoding, `+` as a space (which is why clients must send `%2B`).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                    Some(Ok(b)) => {
                        out.push(b);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `Authorization: Basic base64(id:secret)`.
pub fn basic_auth(header: &str) -> Option<(String, String)> {
    let b64 = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let text = String::from_utf8(base64_decode(b64.trim())?).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| *c != b'=') {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%2Bb+c%3"), "a+b c%3");
        assert_eq!(
            basic_auth("Basic c2ltLWNsaWVudDpzaW0tc2VjcmV0"),
            Some(("sim-client".into(), "sim-secret".into()))
        );
        let r = Req::new("get", "/x?a=1&b=%2B01%3A00", vec![], vec![]);
        assert_eq!((r.path.as_str(), r.param("b")), ("/x", Some("+01:00")));
        assert_eq!(percent_encode("a b/c"), "a%20b%2Fc");
    }
}
