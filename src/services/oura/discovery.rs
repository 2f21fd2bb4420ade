//! Which collections to sync: the ones Oura's current OpenAPI spec lists,
//! found the way a reader would — the docs page links the spec
//! (`spec-url="…"`), whose file name changes with every release.
//!
//! Never "sync nothing" (decisions.md fix #4): any failure, or a spec that
//! names none of our collections, falls back to the whole registry, and
//! only a useful result is cached.

use super::url::{authority, resolve};
use crate::services::apart::Apart;
use crate::services::collections::{find, Collection, REGISTRY};
use crate::services::config::Config;
use crate::services::platform::{OutRequest, Platform};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

pub const KV_KEY: &str = "oura:collections";
const KV_TTL_SECONDS: u64 = 86_400;
const PATH_PREFIX: &str = "/v2/usercollection/";
/// Oura's own hosts are always allowed to serve the spec.
const OURA_HOSTS: &[&str] = &["cloud.ouraring.com", "api.ouraring.com"];

#[derive(Debug)]
pub struct Discovery {
    /// In registry order.
    pub collections: Vec<&'static Collection>,
    /// Collection names the spec lists that the registry does not know.
    pub unknown: Vec<String>,
    /// "spec" | "cache" | "registry"
    pub source: &'static str,
}

#[derive(Serialize, Deserialize)]
struct Cached {
    collections: Vec<String>,
    unknown: Vec<String>,
}

fn registry(unknown: Vec<String>) -> Discovery {
    Discovery {
        collections: REGISTRY.to_vec(),
        unknown,
        source: "registry",
    }
}

/// Collections to sync, cached for 24 h in KV; falls back to the registry.
pub async fn discover(platform: &Platform, config: &Config) -> Discovery {
    if let Some(d) = from_cache(platform).await {
        return d;
    }
    // Apart: a day's runs but one hit the cache, and compile only that.
    let missed: Apart<Discovery> = Box::pin(rediscover(platform, config));
    missed.await
}

/// The spec read again and the cache refilled, or the registry.
async fn rediscover(platform: &Platform, config: &Config) -> Discovery {
    match from_spec(platform, config).await {
        Ok(d) if !d.collections.is_empty() => {
            store(platform, &d).await;
            d
        }
        Ok(d) => {
            tracing::warn!("OpenAPI spec lists no known collection; syncing the registry");
            registry(d.unknown)
        }
        Err(e) => {
            tracing::warn!(error = %e, "collection discovery failed; syncing the registry");
            registry(Vec::new())
        }
    }
}

async fn from_cache(platform: &Platform) -> Option<Discovery> {
    let text = match platform.kv.get(KV_KEY).await {
        Ok(t) => t?,
        Err(e) => {
            tracing::warn!(error = %e, "reading cached collections failed");
            return None;
        }
    };
    let cached: Cached = serde_json::from_str(&text).ok()?;
    let d = matched(cached.collections.iter().map(String::as_str), "cache");
    // A cache naming nothing we know (e.g. written by another version) is a miss.
    (!d.collections.is_empty()).then_some(Discovery {
        unknown: cached.unknown,
        ..d
    })
}

async fn store(platform: &Platform, d: &Discovery) {
    let cached = Cached {
        collections: d.collections.iter().map(|c| c.name.to_string()).collect(),
        unknown: d.unknown.clone(),
    };
    let Ok(text) = serde_json::to_string(&cached) else {
        return;
    };
    if let Err(e) = platform.kv.put(KV_KEY, &text, Some(KV_TTL_SECONDS)).await {
        tracing::warn!(error = %e, "caching discovered collections failed");
    }
}

/// Names matched to the registry (in registry order); the rest are unknown.
fn matched<'n>(names: impl Iterator<Item = &'n str>, source: &'static str) -> Discovery {
    let mut found = BTreeSet::new();
    let mut unknown = Vec::new();
    for name in names {
        match find(name) {
            Some(c) => {
                found.insert(c.name);
            }
            None if !unknown.iter().any(|u| u == name) => unknown.push(name.to_string()),
            None => {}
        }
    }
    Discovery {
        collections: REGISTRY
            .iter()
            .copied()
            .filter(|c| found.contains(c.name))
            .collect(),
        unknown,
        source,
    }
}

async fn get(platform: &Platform, url: &str, accept: &str) -> Result<Vec<u8>, String> {
    let mut req = OutRequest::get(url);
    req.headers.push(("accept".into(), accept.into()));
    let resp = platform
        .http
        .send(req)
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !(200..300).contains(&resp.status) {
        return Err(format!("GET {url}: status {}", resp.status));
    }
    Ok(resp.body)
}

/// The value of the first `spec-url` attribute (either quote style).
pub fn spec_link(html: &str) -> Option<&str> {
    let mut rest = html;
    while let Some(at) = rest.find("spec-url") {
        rest = rest.get(at + "spec-url".len()..)?;
        let Some(after_eq) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = after_eq.trim_start();
        let Some(quote) = value.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            continue;
        };
        let inner = value.get(1..)?;
        let end = inner.find(quote)?;
        let link = inner.get(..end)?.trim();
        if !link.is_empty() {
            return Some(link);
        }
    }
    None
}

/// The spec may only come from Oura's hosts or the configured ones (tests
/// and the local demo point these at a simulator).
fn allowed(config: &Config, url: &str) -> bool {
    let Some(host) = authority(url) else {
        return false;
    };
    let configured = [&config.oura.docs_url, &config.oura.api_base_url]
        .into_iter()
        .filter_map(|u| authority(u));
    OURA_HOSTS.iter().any(|h| *h == host) || configured.into_iter().any(|h| h == host)
}

/// Collection names from a spec: `GET /v2/usercollection/<name>` list paths
/// (single-document paths contain `{` and are skipped).
pub fn spec_collections(spec: &Value) -> Result<Vec<String>, String> {
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("spec has no `paths` object")?;
    Ok(paths
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .filter_map(|(path, _)| path.strip_prefix(PATH_PREFIX))
        .map(|name| name.trim_end_matches('/'))
        .filter(|name| !name.is_empty() && !name.contains(['{', '/']))
        .map(str::to_string)
        .collect())
}

async fn from_spec(platform: &Platform, config: &Config) -> Result<Discovery, String> {
    let docs_url = config.oura.docs_url.as_str();
    let html = get(platform, docs_url, "text/html").await?;
    let html = String::from_utf8_lossy(&html);
    let link = spec_link(&html).ok_or("docs page has no spec-url")?;
    let spec_url = resolve(docs_url, link).ok_or("docs URL is not absolute")?;
    if !allowed(config, &spec_url) {
        return Err(format!("spec host not allowed: {spec_url}"));
    }
    let body = get(platform, &spec_url, "application/json").await?;
    let spec: Value =
        serde_json::from_slice(&body).map_err(|e| format!("spec is not JSON: {e}"))?;
    let names = spec_collections(&spec)?;
    let d = matched(names.iter().map(String::as_str), "spec");
    if !d.unknown.is_empty() {
        tracing::info!(unknown = ?d.unknown, "spec lists collections the registry does not know");
    }
    Ok(d)
}
