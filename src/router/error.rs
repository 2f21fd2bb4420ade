//! One error type for every request path. Its public rendering is the
//! `{"error": …, "hint"?: …}` body clients of the original already read;
//! the internal cause is logged, never returned.

use super::http::Res;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    /// Public message, shown to the caller as `error`.
    pub message: String,
    /// Optional public advice, shown as `hint`.
    pub hint: Option<String>,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after: Option<u32>,
    /// Internal cause: logged, never sent.
    pub cause: Option<String>,
    /// Extra response headers (for example `Allow` on 405).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            hint: None,
            retry_after: None,
            cause: None,
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized")
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(403, message)
    }
    pub fn not_found() -> ApiError {
        ApiError::new(404, "Not Found")
    }
    /// A 404 that names what was not found (unknown paths use `not_found`).
    pub fn not_found_named(message: impl Into<String>) -> ApiError {
        ApiError::new(404, message)
    }
    pub fn method_not_allowed(allow: &str) -> ApiError {
        ApiError::new(405, "Method Not Allowed").with_header("allow", allow.to_string())
    }
    pub fn payload_too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(413, message)
    }
    pub fn too_many_requests(message: impl Into<String>, retry_after: u32) -> ApiError {
        let mut e = ApiError::new(429, message);
        e.retry_after = Some(retry_after);
        e
    }
    /// A 500 whose public text is generic and whose cause is only logged.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        ApiError::new(500, "Internal Server Error").with_cause(cause)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> ApiError {
        self.hint = Some(hint.into());
        self
    }
    pub fn with_cause(mut self, cause: impl Into<String>) -> ApiError {
        self.cause = Some(cause.into());
        self
    }
    pub fn with_header(mut self, name: &'static str, value: String) -> ApiError {
        self.headers.push((name, value));
        self
    }

    /// Renders the public response and logs what must not be public.
    pub fn into_res(self) -> Res {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            hint: Option<&'a str>,
        }
        if let Some(cause) = &self.cause {
            if self.status >= 500 {
                tracing::error!(status = self.status, cause = %cause, "request failed");
            } else {
                tracing::warn!(status = self.status, cause = %cause, "request rejected");
            }
        }
        let mut res = Res::json(
            self.status,
            &Body {
                error: &self.message,
                hint: self.hint.as_deref(),
            },
        );
        if let Some(secs) = self.retry_after {
            res.headers.set("retry-after", secs.to_string());
        }
        for (name, value) in self.headers {
            res.headers.set(name, value);
        }
        res
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let res = ApiError::internal("D1_ERROR: no such table: secrets").into_res();
        assert_eq!(res.status, 500);
        assert_eq!(res.body, br#"{"error":"Internal Server Error"}"#.to_vec());
    }

    #[test]
    fn hints_and_retry_after_render() {
        let res = ApiError::too_many_requests("slow down", 60)
            .with_hint("wait a minute")
            .into_res();
        assert_eq!(res.status, 429);
        assert_eq!(res.header("retry-after"), Some("60"));
        assert_eq!(
            res.body_json().ok(),
            Some(serde_json::json!({"error": "slow down", "hint": "wait a minute"}))
        );
    }
}
