//! Query parameters several routes share, each refused with the same
//! message when malformed.

use crate::router::ApiError;
use crate::state::Ctx;
use chrono::NaiveDate;

/// `name=YYYY-MM-DD`; absent or empty is `None`.
pub fn date_param(cx: &Ctx, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    match cx.req.query_param(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ApiError::bad_request(format!("Invalid {name} date format (expected YYYY-MM-DD)"))
            }),
    }
}
