//! Small HTML pages (OAuth results; later the status page): escaped text and
//! a Content-Security-Policy that allows exactly the page's own stylesheet,
//! by hash, and nothing else.

use crate::router::Res;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

pub const BASE_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2330;background:#f7f8fb}h1{font-size:1.4rem}.ok{color:#1a7f37}.err{color:#b42318}code{background:#eef0f5;padding:.1rem .3rem;border-radius:4px}";

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The CSP for a page whose only style is `style` (inline, hashed).
pub fn csp_for_style(style: &str) -> String {
    let hash = STANDARD.encode(Sha256::digest(style.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// A page from a title and an already-escaped body, with `style` inline.
pub fn page(status: u16, title: &str, body_html: &str, style: &str) -> Res {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{style}</style></head><body>{body_html}</body></html>",
        escape(title)
    );
    Res::text(status, "text/html; charset=utf-8", html)
        .with_header("content-security-policy", csp_for_style(style))
        .with_header("cache-control", "no-store")
}

/// A one-message page: a heading and a sentence, marked ok or error.
pub fn message(status: u16, title: &str, text: &str) -> Res {
    let class = if status < 400 { "ok" } else { "err" };
    page(
        status,
        title,
        &format!(
            "<h1 class=\"{class}\">{}</h1><p>{}</p>",
            escape(title),
            escape(text)
        ),
        BASE_STYLE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_style_is_hashed() {
        let res = message(400, "Bad <state>", "it's \"wrong\"");
        let body = String::from_utf8_lossy(&res.body).into_owned();
        assert!(body.contains("Bad &lt;state&gt;"));
        assert!(body.contains("it&#39;s &quot;wrong&quot;"));
        let csp = res.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("style-src 'sha256-"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
