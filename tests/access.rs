//! Cloudflare Access: RS256 JWTs signed in the test with a fixture key and
//! verified by the middleware against a JWKS served by the scripted client.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use num_bigint::BigUint;
use oura_edge::router::Method;
use oura_edge::services::access_jwt::pkcs1_sha256_encoding;
use serde_json::{json, Value};
use support::*;

const TEAM: &str = "team.cloudflareaccess.com";
const AUD: &str = "aud-tag-123";
const CERTS: &str = "https://team.cloudflareaccess.com/cdn-cgi/access/certs";

struct Key {
    kid: String,
    n: BigUint,
    e: BigUint,
    d: BigUint,
}

fn key() -> Key {
    let raw: Value = serde_json::from_str(include_str!("fixtures/access_test_key.json")).unwrap();
    let big = |f: &str| BigUint::parse_bytes(raw[f].as_str().unwrap().as_bytes(), 16).unwrap();
    Key {
        kid: raw["kid"].as_str().unwrap().to_string(),
        n: big("n_hex"),
        e: big("e_hex"),
        d: big("d_hex"),
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn jwks(key: &Key, kid: &str) -> String {
    json!({"keys": [{"kid": kid, "kty": "RSA", "alg": "RS256",
        "n": b64(&key.n.to_bytes_be()), "e": b64(&key.e.to_bytes_be())}]})
    .to_string()
}

fn sign(key: &Key, kid: &str, claims: &Value) -> String {
    let header = b64(json!({"alg": "RS256", "kid": kid, "typ": "JWT"})
        .to_string()
        .as_bytes());
    let payload = b64(claims.to_string().as_bytes());
    let signed = format!("{header}.{payload}");
    let k = key.n.to_bytes_be().len();
    let em = BigUint::from_bytes_be(&pkcs1_sha256_encoding(signed.as_bytes(), k));
    let s = em.modpow(&key.d, &key.n).to_bytes_be();
    let mut sig = vec![0u8; k - s.len()];
    sig.extend_from_slice(&s);
    format!("{signed}.{}", b64(&sig))
}

fn now_s() -> i64 {
    (NOW_MS / 1000.0) as i64
}

fn good_claims() -> Value {
    json!({"aud": [AUD], "iss": format!("https://{TEAM}"), "exp": now_s() + 600,
           "nbf": now_s() - 10, "iat": now_s() - 10, "email": "me@example.com", "sub": "u1"})
}

fn app() -> (TestApp, Key) {
    let mut t = TestApp::new();
    t.set_var("ACCESS_TEAM_DOMAIN", TEAM);
    t.set_var("ACCESS_AUD", AUD);
    let k = key();
    t.native.http.on(CERTS, 200, &jwks(&k, &k.kid));
    (t, k)
}

/// `/missing` is a Grafana-role path (the fallback): Access applies to it.
fn call(t: &TestApp, jwt: Option<&str>) -> oura_edge::router::Res {
    let mut r = req(Method::Get, "/missing").with_header("authorization", &bearer(GRAFANA));
    if let Some(j) = jwt {
        r = r.with_header("cf-access-jwt-assertion", j);
    }
    t.send(r)
}

#[test]
fn a_valid_token_passes() {
    let (t, k) = app();
    let res = call(&t, Some(&sign(&k, &k.kid, &good_claims())));
    assert_eq!(res.status, 404, "past Access, the unknown path answers 404");
}

#[test]
fn a_missing_token_is_refused_with_a_hint() {
    let (t, _) = app();
    let res = call(&t, None);
    assert_eq!(res.status, 403);
    let body = body_json(&res);
    assert_eq!(body["error"], "Cloudflare Access token required");
    assert!(body["hint"].as_str().unwrap().contains("service token"));
}

#[test]
fn bad_claims_and_signatures_are_refused() {
    let (t, k) = app();
    let mut cases: Vec<(&str, String)> = Vec::new();
    let with = |f: &str, v: Value| {
        let mut c = good_claims();
        c[f] = v;
        sign(&k, &k.kid, &c)
    };
    cases.push(("audience", with("aud", json!(["someone-else"]))));
    cases.push((
        "issuer",
        with("iss", json!("https://other.cloudflareaccess.com")),
    ));
    cases.push(("expired", with("exp", json!(now_s() - 3600))));
    cases.push(("not valid yet", with("nbf", json!(now_s() + 3600))));
    let good = sign(&k, &k.kid, &good_claims());
    let (head, rest) = good.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let forged_payload = b64(json!({"aud": AUD, "iss": format!("https://{TEAM}"), "exp": now_s() + 99999, "email": "attacker@example.com"}).to_string().as_bytes());
    cases.push(("signature", format!("{head}.{forged_payload}.{sig}")));
    cases.push(("malformed", "not-a-jwt".to_string()));
    let none_alg = format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(good_claims().to_string().as_bytes())
    );
    cases.push(("RS256", none_alg));
    for (word, jwt) in cases {
        let res = call(&t, Some(&jwt));
        assert_eq!(res.status, 403, "{word}");
        let msg = body_json(&res)["error"].as_str().unwrap().to_lowercase();
        assert!(msg.contains(&word.to_lowercase()), "{word}: {msg}");
    }
}

#[test]
fn the_jwks_is_cached_in_kv() {
    let (t, k) = app();
    let jwt = sign(&k, &k.kid, &good_claims());
    assert_eq!(call(&t, Some(&jwt)).status, 404);
    assert_eq!(call(&t, Some(&jwt)).status, 404);
    assert_eq!(
        t.native.http.requests().len(),
        1,
        "second request used the cache"
    );
    assert!(
        t.native.kv.expires_at("access:jwks").is_some(),
        "cached with a TTL"
    );
}

#[test]
fn an_unknown_key_id_refreshes_the_jwks() {
    let (t, k) = app();
    assert_eq!(
        call(&t, Some(&sign(&k, &k.kid, &good_claims()))).status,
        404
    );
    // Access rotates its keys: the same key now under a new id.
    t.native.http.on(CERTS, 200, &jwks(&k, "rotated"));
    assert_eq!(
        call(&t, Some(&sign(&k, "rotated", &good_claims()))).status,
        404
    );
    assert_eq!(t.native.http.requests().len(), 2);
}

#[test]
fn unreachable_keys_are_a_503_not_a_pass() {
    let mut t = TestApp::new();
    t.set_var("ACCESS_TEAM_DOMAIN", TEAM);
    t.set_var("ACCESS_AUD", AUD);
    let k = key();
    let res = call(&t, Some(&sign(&k, &k.kid, &good_claims())));
    assert_eq!(res.status, 503);
    assert_eq!(res.header("content-type"), Some("application/json"));
}

#[test]
fn public_routes_and_unconfigured_access_need_nothing() {
    let (t, _) = app();
    assert_eq!(t.get("/health").status, 200, "public route");
    let plain = TestApp::new();
    assert_eq!(call(&plain, None).status, 404, "Access not configured");
    assert!(plain.native.http.requests().is_empty());
}
