//! Opaque `next_token`s. A token carries the collection, the window and the sort key of the last document
//! served, so follow-up pages work with or without the original query parameters and stay correct when
//! documents are inserted or deleted between pages.

use crate::window::Window;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Cursor {
    pub c: String,
    pub w: Window,
    pub after: String,
}

pub fn encode(cursor: &Cursor) -> String {
    hex::encode(serde_json::to_vec(cursor).unwrap_or_default())
}

pub fn decode(token: &str) -> Option<Cursor> {
    serde_json::from_slice(&hex::decode(token.trim()).ok()?).ok()
}

/// Takes up to `size` items after the cursor key; returns them and the key to continue from (if more remain).
pub fn page<'a, T>(
    items: impl Iterator<Item = &'a T>,
    key: impl Fn(&T) -> &str,
    after: Option<&str>,
    size: usize,
) -> (Vec<&'a T>, Option<String>)
where
    T: 'a,
{
    let mut rest = items.filter(|d| after.is_none_or(|a| key(d) > a));
    let taken: Vec<&T> = rest.by_ref().take(size.max(1)).collect();
    let more = rest.next().is_some();
    let next = if more {
        taken.last().map(|d| key(d).to_string())
    } else {
        None
    };
    (taken, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_paging() {
        let c = Cursor {
            c: "sleep".into(),
            w: Window::default(),
            after: "k".into(),
        };
        assert_eq!(decode(&encode(&c)), Some(c));
        assert_eq!(decode("zz"), None);
        let items = ["a", "b", "c"];
        let (p, n) = page(items.iter(), |s| s, None, 2);
        assert_eq!((p.len(), n.as_deref()), (2, Some("b")));
        let (p, n) = page(items.iter(), |s| s, Some("b"), 2);
        assert_eq!((p.len(), n), (1, None));
    }
}
