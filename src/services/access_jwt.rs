//! Cloudflare Access JWT verification (`Cf-Access-Jwt-Assertion`): RS256
//! signature against the team's JWKS, then `aud`, `iss`, `exp`, `nbf`.
//!
//! RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2): the signature
//! raised to the public exponent modulo n must equal the fixed encoding of
//! the SHA-256 digest of `header.payload`.

use crate::services::config::AccessConfig;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use num_bigint::BigUint;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

/// DER prefix of a SHA-256 `DigestInfo` (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: i64 = 60;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Jwk {
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub kty: String,
    #[serde(default)]
    pub n: String,
    #[serde(default)]
    pub e: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn parse(body: &[u8]) -> Result<Jwks, String> {
        serde_json::from_slice(body).map_err(|e| format!("JWKS is not valid JSON: {e}"))
    }

    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// What a verified token tells us.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessClaims {
    pub email: Option<String>,
    pub subject: Option<String>,
}

/// Why a token was refused; the text is safe to show the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessDenied(pub &'static str);

fn b64(part: &str) -> Result<Vec<u8>, AccessDenied> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| AccessDenied("Access token is malformed"))
}

/// The `kid` a token names, to decide whether the JWKS needs refreshing.
pub fn token_kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header: Header = serde_json::from_slice(&b64(header).ok()?).ok()?;
    header.kid
}

pub fn verify(
    token: &str,
    jwks: &Jwks,
    config: &AccessConfig,
    now_seconds: i64,
) -> Result<AccessClaims, AccessDenied> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AccessDenied("Access token is malformed"));
    };
    let header: Header =
        serde_json::from_slice(&b64(h)?).map_err(|_| AccessDenied("Access token is malformed"))?;
    if header.alg != "RS256" {
        return Err(AccessDenied("Access token must be signed with RS256"));
    }
    let signature = b64(s)?;
    let signed = format!("{h}.{p}");
    let verified = jwks
        .keys
        .iter()
        .filter(|k| k.kty == "RSA")
        .filter(|k| header.kid.is_none() || k.kid == header.kid)
        .any(|k| rs256_verify(k, signed.as_bytes(), &signature));
    if !verified {
        return Err(AccessDenied("Access token signature is invalid"));
    }
    let claims: Value =
        serde_json::from_slice(&b64(p)?).map_err(|_| AccessDenied("Access token is malformed"))?;
    check_claims(&claims, config, now_seconds)?;
    Ok(AccessClaims {
        email: claims
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_string),
        subject: claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

fn check_claims(claims: &Value, config: &AccessConfig, now: i64) -> Result<(), AccessDenied> {
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => config.audiences.iter().any(|x| x == a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| config.audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(AccessDenied(
            "Access token audience does not match this application",
        ));
    }
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if iss.trim_end_matches('/') != config.issuer() {
        return Err(AccessDenied(
            "Access token issuer does not match the team domain",
        ));
    }
    let exp = claims.get("exp").and_then(Value::as_i64);
    match exp {
        Some(exp) if exp + LEEWAY_SECONDS >= now => {}
        Some(_) => return Err(AccessDenied("Access token has expired")),
        None => return Err(AccessDenied("Access token has no expiry")),
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64) {
        if nbf - LEEWAY_SECONDS > now {
            return Err(AccessDenied("Access token is not valid yet"));
        }
    }
    Ok(())
}

fn rs256_verify(key: &Jwk, message: &[u8], signature: &[u8]) -> bool {
    let (Ok(n), Ok(e)) = (b64(&key.n), b64(&key.e)) else {
        return false;
    };
    let n = BigUint::from_bytes_be(&n);
    let e = BigUint::from_bytes_be(&e);
    let k = n.to_bytes_be().len();
    // Short keys are refused; Access uses 2048-bit keys.
    if k < 256 || signature.len() != k {
        return false;
    }
    let s = BigUint::from_bytes_be(signature);
    if s >= n {
        return false;
    }
    let m = s.modpow(&e, &n).to_bytes_be();
    let mut em = vec![0u8; k.saturating_sub(m.len())];
    em.extend_from_slice(&m);
    let expected = pkcs1_sha256_encoding(message, k);
    bool::from(em.ct_eq(&expected))
}

/// `0x00 0x01 FF…FF 0x00 DigestInfo(SHA-256(message))`, `k` bytes long.
pub fn pkcs1_sha256_encoding(message: &[u8], k: usize) -> Vec<u8> {
    let hash = Sha256::digest(message);
    let t_len = SHA256_DIGEST_INFO.len() + hash.len();
    let mut em = Vec::with_capacity(k);
    em.extend_from_slice(&[0x00, 0x01]);
    em.resize(k.saturating_sub(t_len + 1), 0xff);
    em.push(0x00);
    em.extend_from_slice(&SHA256_DIGEST_INFO);
    em.extend_from_slice(&hash);
    em
}
