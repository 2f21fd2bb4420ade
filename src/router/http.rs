//! Platform-neutral request and response types. The fetch entry converts
//! `worker::Request`/`worker::Response` to and from these, so handlers,
//! middleware and tests never touch `worker` types.

use super::stream::{BodyStream, Held};
use percent_encoding::percent_decode_str;
use serde::Serialize;

/// HTTP methods the router distinguishes. Anything else is `Other`, which
/// never matches a route and so always answers 405.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Other,
}

impl Method {
    pub fn parse(s: &str) -> Method {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }

    /// The methods a route declared with `any` answers.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];
}

/// Header list with case-insensitive names; names are stored lowercased.
/// A small vector beats a map for the dozen headers a request carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Replaces every value of `name` with `value`.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.remove(name);
        self.0.push((name.to_ascii_lowercase(), value.into()));
    }

    /// Sets `name` only when no handler or inner layer set it already.
    pub fn set_if_absent(&mut self, name: &str, value: impl Into<String>) {
        if !self.contains(name) {
            self.0.push((name.to_ascii_lowercase(), value.into()));
        }
    }

    /// Adds another value for `name` (for example a second `Set-Cookie`).
    pub fn append(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_ascii_lowercase(), value.into()));
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut h = Headers::new();
        for (k, v) in iter {
            h.append(&k.into(), v);
        }
        h
    }
}

/// An incoming request, fully buffered.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    /// Path without query string, as sent (not percent-decoded).
    pub path: String,
    /// Raw query string without the leading `?` (may be empty).
    pub query: String,
    pub headers: Headers,
    pub body: Vec<u8>,
    /// `scheme://host[:port]` the request was sent to (for absolute URLs
    /// such as the OAuth redirect URI). Empty when unknown.
    pub origin: String,
}

impl Req {
    pub fn new(method: Method, target: &str) -> Req {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, q),
            None => (target, ""),
        };
        let path = if path.is_empty() { "/" } else { path };
        Req {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers: Headers::new(),
            body: Vec::new(),
            origin: String::new(),
        }
    }

    pub fn with_origin(mut self, origin: &str) -> Req {
        self.origin = origin.trim_end_matches('/').to_string();
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Req {
        self.headers.append(name, value);
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Req {
        self.body = body.into();
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// Client address as Cloudflare reports it; `unknown` when absent (spec §3.2).
    pub fn client_ip(&self) -> &str {
        self.header("cf-connecting-ip").unwrap_or("unknown")
    }

    /// First value of a query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// Form decoding (query strings, `application/x-www-form-urlencoded`):
/// `+` is a space, then `%XX` escapes; invalid escapes stay as they are.
pub fn percent_decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Path decoding: `%XX` escapes only, so a `+` in a path stays a `+`.
pub fn decode_path_segment(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// An outgoing response.
#[derive(Debug, Clone, PartialEq)]
pub struct Res {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
    /// When set, the body is streamed from here and `body` is ignored.
    pub stream: Option<BodyStream>,
    /// When set, the host sends this and `body` is ignored.
    pub held: Option<Held>,
}

impl Res {
    pub fn new(status: u16) -> Res {
        Res {
            status,
            headers: Headers::new(),
            body: Vec::new(),
            stream: None,
            held: None,
        }
    }

    /// A JSON response. Serialising our own types cannot fail in practice;
    /// if it ever does the body says so instead of panicking.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Res {
        let body = serde_json::to_vec(value)
            .unwrap_or_else(|_| br#"{"error":"Internal Server Error"}"#.to_vec());
        Res::new(status)
            .with_header("content-type", "application/json")
            .with_body(body)
    }

    pub fn text(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Res {
        Res::new(status)
            .with_header("content-type", content_type)
            .with_body(body)
    }

    pub fn empty(status: u16) -> Res {
        Res::new(status)
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Res {
        self.headers.set(name, value);
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Res {
        self.body = body.into();
        self
    }

    pub fn with_stream(mut self, stream: BodyStream) -> Res {
        self.stream = Some(stream);
        self
    }

    pub fn with_held(mut self, body: Held) -> Res {
        self.held = Some(body);
        self
    }

    /// The body's bytes, held or not (not a stream's).
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.held {
            Some(h) => h.0.bytes(),
            None => self.body.clone(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    pub fn body_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        let req = Req::new(Method::Get, "/x?a=1&b=hello%20world&c=a+b&d");
        assert_eq!(req.query_param("a").as_deref(), Some("1"));
        assert_eq!(req.query_param("b").as_deref(), Some("hello world"));
        assert_eq!(req.query_param("c").as_deref(), Some("a b"));
        assert_eq!(req.query_param("d").as_deref(), Some(""));
        assert_eq!(req.query_param("e"), None);
        assert_eq!(req.path, "/x");
    }

    #[test]
    fn invalid_escapes_are_kept() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn a_plus_is_a_space_in_queries_only() {
        let req = Req::new(Method::Get, "/x?q=a+b%2Bc");
        assert_eq!(req.query_param("q").as_deref(), Some("a b+c"));
        assert_eq!(decode_path_segment("a+b%20c%2B"), "a+b c+");
    }

    #[test]
    fn headers_are_case_insensitive() {
        let mut h = Headers::new();
        h.set("X-Thing", "1");
        h.set_if_absent("x-thing", "2");
        assert_eq!(h.get("x-THING"), Some("1"));
        h.set("x-thing", "3");
        assert_eq!(h.len(), 1);
        assert_eq!(h.get("X-Thing"), Some("3"));
    }
}
