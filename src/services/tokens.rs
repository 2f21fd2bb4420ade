//! Token digests and the hashes logs and rate-limit keys use (spec §3.2–3.4).

use sha2::{Digest as _, Sha256};

pub type Digest = [u8; 32];

pub fn digest(s: &str) -> Digest {
    Sha256::digest(s.as_bytes()).into()
}

/// The token of an `Authorization: Bearer <token>` header (exact prefix, no trimming).
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    header?.strip_prefix("Bearer ").filter(|t| !t.is_empty())
}

/// First 8 hex chars of SHA-256 over the token's first 16 characters: the
/// per-token part of the auth tier's key (`auth:<ip>:<h8>`, spec §3.2).
pub fn token_key(header: Option<&str>) -> String {
    let chars: String = header.unwrap_or("").chars().skip(7).take(16).collect();
    hex::encode(digest(&chars)).chars().take(8).collect()
}

/// `h:` plus 12 hex chars of SHA-256(ip): how logs name a client (spec §3.4).
pub fn ip_hash(ip: &str) -> String {
    let hex = hex::encode(digest(ip));
    format!("h:{}", hex.get(..12).unwrap_or(&hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_hashes_have_spec_shapes() {
        assert_eq!(token_key(Some("Bearer abc")).len(), 8);
        assert_eq!(
            token_key(Some("Bearer 0123456789abcdefXYZ")),
            token_key(Some("Bearer 0123456789abcdefQQQ")),
            "only the first 16 token chars count"
        );
        assert_eq!(ip_hash("1.2.3.4").len(), 14);
        assert!(ip_hash("1.2.3.4").starts_with("h:"));
    }
}
