//! Just enough URL handling for Oura calls: percent-encoding, form bodies,
//! and the origin/authority of absolute URLs (the `url` crate would be a
//! large dependency for this).

/// Percent-encodes everything but RFC 3986 unreserved characters, so a value
/// is safe in a query string, a path segment or a form body.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v&k=v` with every part encoded (query strings and form bodies).
pub fn pairs(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `scheme://authority` of an absolute http(s) URL. URLs with user info are
/// refused: `https://good.host@evil.host/` must not pass a host check.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// `host[:port]` of an absolute http(s) URL, lower-cased.
pub fn authority(url: &str) -> Option<String> {
    let origin = origin(url)?;
    origin.split_once("://").map(|(_, a)| a.to_string())
}

/// Resolves a link found on the page at `base` (absolute, `//host/…`,
/// `/path` or a relative path).
pub fn resolve(base: &str, link: &str) -> Option<String> {
    let lower = link.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(link.to_string());
    }
    let origin = origin(base)?;
    if let Some(rest) = link.strip_prefix("//") {
        let scheme = origin.split_once("://").map(|(s, _)| s)?;
        return Some(format!("{scheme}://{rest}"));
    }
    if link.starts_with('/') {
        return Some(format!("{origin}{link}"));
    }
    // Relative to the base's directory; drop its query/fragment first.
    let path_start = origin.len();
    let base_path = base.get(path_start..).unwrap_or("");
    let base_path = base_path.split(['?', '#']).next().unwrap_or("");
    let dir = base_path
        .rfind('/')
        .and_then(|i| base_path.get(..=i))
        .unwrap_or("/");
    Some(format!("{origin}{dir}{link}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("2026-01-01T00:00:00Z"), "2026-01-01T00%3A00%3A00Z");
        assert_eq!(encode("a+b c/é"), "a%2Bb%20c%2F%C3%A9");
        assert_eq!(pairs(&[("a", "1"), ("b c", "&")]), "a=1&b%20c=%26");
    }

    #[test]
    fn origins_and_resolution() {
        assert_eq!(
            origin("HTTPS://Cloud.OuraRing.com/v2/docs").as_deref(),
            Some("https://cloud.ouraring.com")
        );
        assert_eq!(origin("https://a.example@evil.example/"), None);
        assert_eq!(origin("ftp://x/"), None);
        assert_eq!(
            authority("http://127.0.0.1:8787?x").as_deref(),
            Some("127.0.0.1:8787")
        );
        let base = "https://cloud.ouraring.com/v2/docs?x=1";
        assert_eq!(
            resolve(base, "/v2/static/json/openapi-1.37.json").as_deref(),
            Some("https://cloud.ouraring.com/v2/static/json/openapi-1.37.json")
        );
        assert_eq!(
            resolve(base, "static/o.json").as_deref(),
            Some("https://cloud.ouraring.com/v2/static/o.json")
        );
        assert_eq!(
            resolve(base, "//api.ouraring.com/o.json").as_deref(),
            Some("https://api.ouraring.com/o.json")
        );
        assert_eq!(
            resolve(base, "https://x.example/o.json").as_deref(),
            Some("https://x.example/o.json")
        );
    }
}
