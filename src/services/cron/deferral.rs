//! Collections a run leaves for the next one when the invocation runs low on
//! D1 queries. The next run starts with them, so a low budget rotates the
//! work instead of starving whatever comes last in discovery order.

use crate::services::collections::Collection;

/// `collections` with the ones `deferred` last run moved to the front, in
/// the order they were deferred; the rest keep their order.
pub fn order<'c>(collections: Vec<&'c Collection>, deferred: &[String]) -> Vec<&'c Collection> {
    let (mut first, rest): (Vec<_>, Vec<_>) = collections
        .into_iter()
        .partition(|c| deferred.iter().any(|d| d == c.name));
    first.sort_by_key(|c| deferred.iter().position(|d| d == c.name));
    first.extend(rest);
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::collections::find;

    fn names(cs: &[&Collection]) -> Vec<&'static str> {
        cs.iter().map(|c| c.name).collect()
    }

    #[test]
    fn deferred_collections_come_first_in_deferral_order() -> Result<(), String> {
        let get = |n: &str| find(n).ok_or(format!("no collection {n}"));
        let all = vec![
            get("daily_sleep")?,
            get("sleep")?,
            get("tag")?,
            get("workout")?,
        ];
        let deferred = vec![
            "workout".to_string(),
            "sleep".to_string(),
            "gone".to_string(),
        ];
        assert_eq!(
            names(&order(all.clone(), &deferred)),
            ["workout", "sleep", "daily_sleep", "tag"]
        );
        assert_eq!(
            names(&order(all, &[])),
            ["daily_sleep", "sleep", "tag", "workout"]
        );
        Ok(())
    }
}
