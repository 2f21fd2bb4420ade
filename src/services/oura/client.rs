//! `OuraClient`: authorised, retried, breaker-guarded reads of Oura data.

use super::breaker::{Breaker, Outcome};
use super::pagination::{parse_page, raw_page_next, PageGuard};
use super::url::{encode, pairs};
use super::windows::range_params;
use super::{refresh, retry, tokens, OuraError, TokenSet};
use crate::services::apart::Apart;
use crate::services::collections::{Collection, Document, QueryMode};
use crate::services::config::Config;
use crate::services::platform::{OutRequest, OutResponse, Platform};
use chrono::NaiveDate;
use std::cell::{Cell, RefCell};

const PATH_PREFIX: &str = "/v2/usercollection/";

/// One client per job (a sync run, a queue batch): it caches the access
/// token and the breaker state for its lifetime and counts its requests.
pub struct OuraClient<'a> {
    platform: &'a Platform,
    config: &'a Config,
    sent: Cell<u32>,
    tokens: RefCell<Option<TokenSet>>,
    breaker: Breaker,
}

fn expect_success(resp: OutResponse) -> Result<OutResponse, OuraError> {
    if (200..300).contains(&resp.status) {
        Ok(resp)
    } else {
        Err(OuraError::http(resp.status, &resp.body))
    }
}

impl<'a> OuraClient<'a> {
    pub fn new(platform: &'a Platform, config: &'a Config) -> Self {
        OuraClient {
            platform,
            config,
            sent: Cell::new(0),
            tokens: RefCell::new(None),
            breaker: Breaker::default(),
        }
    }

    /// HTTP requests sent so far by this client: data calls, their retries
    /// and token refreshes — what counts against a Worker's subrequest limit.
    pub fn request_count(&self) -> u32 {
        self.sent.get()
    }

    fn collection_url(&self, c: &Collection) -> Result<String, OuraError> {
        let base = &self.config.oura.api_base_url;
        Ok(format!(
            "{}{PATH_PREFIX}{}",
            base.trim_end_matches('/'),
            c.api_path
        ))
    }

    /// A usable access token: cached, else from D1; refreshed when it
    /// expires within the margin.
    async fn access_token(&self) -> Result<String, OuraError> {
        let cached = self.tokens.borrow().clone();
        let current = match cached {
            Some(t) => t,
            None => {
                let loaded = tokens::load(self.platform.db.as_ref())
                    .await
                    .map_err(|e| OuraError::Transient(format!("token storage: {e}")))?
                    .ok_or(OuraError::NotAuthorized)?;
                *self.tokens.borrow_mut() = Some(loaded.clone());
                loaded
            }
        };
        if refresh::expiring(&current, self.platform.clock.now_ms()) {
            return self.renew(&current.access_token).await;
        }
        Ok(current.access_token)
    }

    async fn renew(&self, stale_access: &str) -> Result<String, OuraError> {
        let fresh = refresh::renew(self.platform, self.config, stale_access, &self.sent).await?;
        let access = fresh.access_token.clone();
        *self.tokens.borrow_mut() = Some(fresh);
        Ok(access)
    }

    async fn send_with(&self, url: &str, access: &str) -> Result<OutResponse, OuraError> {
        let mut req = OutRequest::get(url);
        req.headers
            .push(("authorization".into(), format!("Bearer {access}")));
        req.headers
            .push(("accept".into(), "application/json".into()));
        retry::send(self.platform, &req, retry::DATA, &self.sent).await
    }

    /// GET with the access token; a 401 refreshes once and repeats the call.
    /// Returns any non-transient response.
    async fn authorized_get(&self, url: &str) -> Result<OutResponse, OuraError> {
        let access = self.access_token().await?;
        let resp = self.send_with(url, &access).await?;
        if resp.status != 401 {
            return Ok(resp);
        }
        // Apart: the refresh path is compiled only when Oura asks for it.
        let again: Apart<Result<OutResponse, OuraError>> =
            Box::pin(self.get_after_refresh(url, access));
        again.await
    }

    /// The same GET once more, after Oura refused the access token.
    async fn get_after_refresh(
        &self,
        url: &str,
        refused: String,
    ) -> Result<OutResponse, OuraError> {
        tracing::info!("Oura answered 401; refreshing the access token");
        let access = self.renew(&refused).await?;
        let resp = self.send_with(url, &access).await?;
        if resp.status == 401 {
            tracing::warn!("Oura answered 401 to a freshly refreshed token");
            return Err(OuraError::NotAuthorized);
        }
        Ok(resp)
    }

    /// `authorized_get` behind the circuit breaker.
    async fn get(&self, url: &str) -> Result<OutResponse, OuraError> {
        let admission = self.breaker.admit(self.platform).await?;
        let result = self.authorized_get(url).await;
        self.breaker
            .record(self.platform, admission, Outcome::of(&result))
            .await;
        result
    }

    /// One query window of one collection: all pages (next_token loop with
    /// a guard: stop after 1000 pages or a repeated token, logging),
    /// returning every document. For QueryMode::Dates: start_date=start,
    /// end_date=end (inclusive days requested by the caller; when the
    /// collection's end_date is exclusive, end+1 day is sent so the
    /// caller's last day is included). For QueryMode::DateTimes:
    /// start_datetime=<start>T00:00:00Z, end_datetime=<end+1>T00:00:00Z,
    /// URL-encoded; the caller guarantees ≤ 30 days (see `windows`).
    /// NextTokenOnly: dates ignored. Single (personal_info): one GET,
    /// returning vec![object].
    pub async fn fetch_range(
        &self,
        c: &Collection,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Document>, OuraError> {
        let base = self.collection_url(c)?;
        if c.query == QueryMode::Single {
            let resp = expect_success(self.get(&base).await?)?;
            let doc =
                object(&resp.body).map_err(|e| OuraError::Invalid(format!("{} {e}", c.name)))?;
            return Ok(vec![doc]);
        }
        let pages = self.pages(c, start, end, |body| parse_page(&body)).await?;
        Ok(pages.into_iter().flatten().collect())
    }

    /// One query window of a list collection as its pages' bodies, kept
    /// as text for `writer::bulk` (same requests and guard as
    /// `fetch_range`).
    pub async fn fetch_pages(
        &self,
        c: &Collection,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<String>, OuraError> {
        if c.query == QueryMode::Single {
            return Err(OuraError::Invalid(format!("{} has no pages", c.name)));
        }
        self.pages(c, start, end, |body| {
            let next = raw_page_next(&body)?;
            let text = String::from_utf8(body)
                .map_err(|e| OuraError::Invalid(format!("page is not UTF-8: {e}")))?;
            Ok((text, next))
        })
        .await
    }

    /// Every page of one window, each read by `read` into what it keeps
    /// and the next token.
    async fn pages<T>(
        &self,
        c: &Collection,
        start: NaiveDate,
        end: NaiveDate,
        mut read: impl FnMut(Vec<u8>) -> Result<(T, Option<String>), OuraError>,
    ) -> Result<Vec<T>, OuraError> {
        let base = self.collection_url(c)?;
        let range = range_params(c, start, end)?;
        let mut pages = Vec::new();
        let mut guard = PageGuard::default();
        let mut token: Option<String> = None;
        loop {
            // Follow-up pages keep the range: Oura accepts both together.
            let mut params: Vec<(&str, &str)> =
                range.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let Some(t) = token.as_deref() {
                params.push(("next_token", t));
            }
            let url = if params.is_empty() {
                base.clone()
            } else {
                format!("{base}?{}", pairs(&params))
            };
            let resp = expect_success(self.get(&url).await?)?;
            let (page, next) = read(resp.body)?;
            pages.push(page);
            token = guard.follow(c.name, next);
            if token.is_none() {
                return Ok(pages);
            }
        }
    }

    /// One document by id (GET /v2/usercollection/<api_path>/<id>);
    /// Ok(None) on 404. Only collections with single-document routes (the
    /// webhook ones) are asked; others are `Invalid` without a request.
    pub async fn fetch_document(
        &self,
        c: &Collection,
        id: &str,
    ) -> Result<Option<Document>, OuraError> {
        if !c.webhook {
            return Err(OuraError::Invalid(format!(
                "{} has no single-document route",
                c.name
            )));
        }
        let url = format!("{}/{}", self.collection_url(c)?, encode(id));
        let resp = self.get(&url).await?;
        if resp.status == 404 {
            return Ok(None);
        }
        let resp = expect_success(resp)?;
        let doc = object(&resp.body)
            .map_err(|e| OuraError::Invalid(format!("{} document {e}", c.name)))?;
        Ok(Some(doc))
    }
}

/// A body that must be one JSON object, kept as text; the error says what
/// it is instead ("is not JSON: ...", "is not an object").
fn object(body: &[u8]) -> Result<Document, String> {
    let doc: Document = serde_json::from_slice(body).map_err(|e| format!("is not JSON: {e}"))?;
    if doc.get().starts_with('{') {
        Ok(doc)
    } else {
        Err("is not an object".to_string())
    }
}
