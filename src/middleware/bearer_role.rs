//! Bearer role resolution (spec §3.3): SHA-256 both sides and compare the
//! digests in constant time, so neither content nor length leaks; the admin
//! token is checked first.

use crate::router::Role;
use crate::services::config::Config;
use crate::services::tokens::{bearer_token, digest, Digest};
use subtle::ConstantTimeEq;

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
}
