//! The `next_token` loop's pieces: reading a page, and the guard that stops
//! a loop Oura could otherwise keep going forever.

use super::OuraError;
use crate::services::collections::Document;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeSet;

/// No real range needs this many pages (heart rate: ~1000 rows a page).
pub const MAX_PAGES: u32 = 1000;

/// A list page's two fields, `data` not yet split into documents.
#[derive(serde::Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    next_token: Option<Value>,
}

impl<'a> Page<'a> {
    fn read(body: &'a [u8]) -> Result<Page<'a>, OuraError> {
        let page: Page = serde_json::from_slice(body)
            .map_err(|e| OuraError::Invalid(format!("page is not JSON: {e}")))?;
        match page.data {
            Some(d) if d.get().starts_with('[') => Ok(page),
            _ => Err(OuraError::Invalid("page has no `data` array".into())),
        }
    }

    fn next(&self) -> Option<String> {
        self.next_token
            .as_ref()
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    }
}

/// A list page: `{"data": [...], "next_token": string|null}`, its
/// documents kept as text.
pub fn parse_page(body: &[u8]) -> Result<(Vec<Document>, Option<String>), OuraError> {
    let page = Page::read(body)?;
    let data = page.data.map_or("[]", RawValue::get);
    let docs: Vec<Document> = serde_json::from_str(data)
        .map_err(|e| OuraError::Invalid(format!("page is not JSON: {e}")))?;
    Ok((docs, page.next()))
}

/// A list page kept whole as text (`writer::bulk`): checks that `data` is
/// an array without splitting it, and returns the next token as
/// `parse_page` does.
pub fn raw_page_next(body: &[u8]) -> Result<Option<String>, OuraError> {
    Ok(Page::read(body)?.next())
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
