//! Bearer role resolution (spec §3.3): SHA-256 both sides and compare the
//! digests in constant time, so neither content nor length leaks; the admin
//! token is checked first.

use crate::router::Role;
use crate::services::config::Config;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

pub type Digest = [u8; 32];

pub fn digest(s: &str) -> Digest {
    Sha256::digest(s.as_bytes()).into()
}

/// The token of an `Authorization: Bearer <token>` header (exact prefix, no trimming).
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    header?.strip_prefix("Bearer ").filter(|t| !t.is_empty())
}

/// The role a header proves, if any. Both comparisons always run.
pub fn resolve_role(header: Option<&str>, config: &Config) -> Option<Role> {
    let token = bearer_token(header)?;
    let presented = digest(token);
    let matches = |expected: &Option<Digest>| -> bool {
        expected.is_some_and(|d| bool::from(d.ct_eq(&presented)))
    };
    let is_admin = matches(&config.admin_token);
    let is_grafana = matches(&config.grafana_token);
    if is_admin {
        Some(Role::Admin)
    } else if is_grafana {
        Some(Role::Grafana)
    } else {
        None
    }
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

    fn cfg(grafana: &str, admin: &str) -> Config {
        let (g, a) = (grafana.to_string(), admin.to_string());
        Config::from_lookup(move |n| match n {
            "GRAFANA_SECRET" => Some(g.clone()),
            "ADMIN_SECRET" => Some(a.clone()),
            _ => None,
        })
    }

    #[test]
    fn roles_resolve_admin_first() {
        let c = cfg("g-token", "a-token");
        assert_eq!(resolve_role(Some("Bearer a-token"), &c), Some(Role::Admin));
        assert_eq!(
            resolve_role(Some("Bearer g-token"), &c),
            Some(Role::Grafana)
        );
        assert_eq!(resolve_role(Some("Bearer nope"), &c), None);
        assert_eq!(
            resolve_role(Some("bearer g-token"), &c),
            None,
            "prefix is case-sensitive"
        );
        assert_eq!(
            resolve_role(Some("Bearer  g-token"), &c),
            None,
            "no trimming"
        );
        assert_eq!(resolve_role(None, &c), None);
        let same = cfg("same", "same");
        assert_eq!(resolve_role(Some("Bearer same"), &same), Some(Role::Admin));
    }

    #[test]
    fn unset_secrets_match_nothing() {
        let c = cfg("g", "");
        assert_eq!(resolve_role(Some("Bearer "), &c), None);
        assert_eq!(resolve_role(Some("Bearer g"), &c), Some(Role::Grafana));
    }

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
