//! The logic that must behave the same in wasm32 as on the host, run under
//! Node by wasm-bindgen-test-runner (`make test` runs it): token checks,
//! JWT encoding, time formatting, request parsing, error rendering.
#![cfg(target_arch = "wasm32")]

use oura_edge::router::{percent_decode, ApiError, Method, Req, Role};
use oura_edge::services::access_jwt::pkcs1_sha256_encoding;
use oura_edge::services::config::Config;
use oura_edge::services::tokens::{ip_hash, resolve_role, token_key};
use wasm_bindgen_test::wasm_bindgen_test;

fn config() -> Config {
    Config::from_lookup(|n| match n {
        "GRAFANA_SECRET" => Some("g".into()),
        "ADMIN_SECRET" => Some("a".into()),
        _ => None,
    })
}

#[wasm_bindgen_test]
fn roles_resolve_as_on_the_host() {
    let c = config();
    assert_eq!(resolve_role(Some("Bearer a"), &c), Some(Role::Admin));
    assert_eq!(resolve_role(Some("Bearer g"), &c), Some(Role::Grafana));
    assert_eq!(resolve_role(Some("Bearer x"), &c), None);
}

#[wasm_bindgen_test]
fn hashes_match_known_values() {
    // SHA-256("1.2.3.4") starts with 6694f83c9f47.
    assert_eq!(ip_hash("1.2.3.4"), "h:6694f83c9f47");
    // SHA-256("") = e3b0c442…; a header without a token keys on the empty string.
    assert_eq!(token_key(Some("Bearer ")), "e3b0c442");
}

#[wasm_bindgen_test]
fn pkcs1_encoding_has_the_rfc_shape() {
    let em = pkcs1_sha256_encoding(b"abc", 256);
    assert_eq!(em.len(), 256);
    assert_eq!(&em[..2], &[0x00, 0x01]);
    assert_eq!(em[256 - 52], 0x00);
    // SHA-256("abc") = ba7816bf…
    assert_eq!(&em[256 - 32..256 - 28], &[0xba, 0x78, 0x16, 0xbf]);
}

#[wasm_bindgen_test]
fn requests_parse_the_same() {
    let r = Req::new(Method::parse("get"), "/api/x?start=2026-01-01&q=a%2Bb");
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.query_param("start").as_deref(), Some("2026-01-01"));
    assert_eq!(r.query_param("q").as_deref(), Some("a+b"));
    assert_eq!(percent_decode("%E2%9C%93"), "✓");
}

#[wasm_bindgen_test]
fn errors_render_the_same() {
    let res = ApiError::internal("secret").into_res();
    assert_eq!(res.body, br#"{"error":"Internal Server Error"}"#.to_vec());
}

#[wasm_bindgen_test]
fn timestamps_format_in_utc() {
    assert_eq!(
        oura_edge::services::time::iso_timestamp(1_768_478_400_000.0),
        "2026-01-15T12:00:00.000Z"
    );
}
