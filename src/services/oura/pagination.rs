//! The `next_token` loop's pieces: reading a page, and the guard that stops
//! a loop Oura could otherwise keep going forever.

use super::OuraError;
use serde_json::Value;
use std::collections::BTreeSet;

/// No real range needs this many pages (heart rate: ~1000 rows a page).
pub const MAX_PAGES: u32 = 1000;

/// A list page: `{"data": [...], "next_token": string|null}`.
pub fn parse_page(body: &[u8]) -> Result<(Vec<Value>, Option<String>), OuraError> {
    let mut v: Value = serde_json::from_slice(body)
        .map_err(|e| OuraError::Invalid(format!("page is not JSON: {e}")))?;
    let data = match v.get_mut("data").map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => return Err(OuraError::Invalid("page has no `data` array".into())),
    };
    let next = v
        .get("next_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok((data, next))
}

/// A list page kept as text (`writer::bulk`): checks that `data` is an
/// array without building it, and returns the next token as `parse_page`
/// does.
pub fn raw_page_next(body: &[u8]) -> Result<Option<String>, OuraError> {
    #[derive(serde::Deserialize)]
    struct Page<'a> {
        #[serde(borrow)]
        data: Option<&'a serde_json::value::RawValue>,
        next_token: Option<Value>,
    }
    let page: Page = serde_json::from_slice(body)
        .map_err(|e| OuraError::Invalid(format!("page is not JSON: {e}")))?;
    if !page.data.is_some_and(|d| d.get().starts_with('[')) {
        return Err(OuraError::Invalid("page has no `data` array".into()));
    }
    Ok(page
        .next_token
        .as_ref()
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string))
}

/// Decides whether to follow a `next_token`.
#[derive(Default)]
pub struct PageGuard {
    pages: u32,
    seen: BTreeSet<String>,
}

impl PageGuard {
    /// Call once per page fetched, with its `next_token`; returns the token
    /// to follow, or `None` to stop (end of data, page cap, or a token seen
    /// before — following it would loop).
    pub fn follow(&mut self, collection: &str, next: Option<String>) -> Option<String> {
        self.pages = self.pages.saturating_add(1);
        let token = next?;
        if self.pages >= MAX_PAGES {
            tracing::warn!(collection, pages = self.pages, "page cap reached; stopping");
            return None;
        }
        if !self.seen.insert(token.clone()) {
            tracing::warn!(
                collection,
                pages = self.pages,
                "repeated next_token; stopping"
            );
            return None;
        }
        Some(token)
    }
}
