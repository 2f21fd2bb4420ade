//! The guard's refusals, worded for a dashboard author. Messages the original
//! worker sent keep their exact text (clients match on them); the reason
//! goes in the hint.

use std::fmt;

/// A refused query: `message` is the public `error` text, `hint` explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardError {
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.hint {
            Some(h) => write!(f, "{} ({h})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for GuardError {}

pub(crate) const READ_ONLY: &str = "Only read-only SQL queries are allowed";

impl GuardError {
    fn new(message: &str, hint: Option<String>) -> Self {
        GuardError {
            message: message.to_string(),
            hint,
        }
    }

    pub(crate) fn empty() -> Self {
        Self::new("SQL query is required", None)
    }

    pub(crate) fn too_large(max: usize) -> Self {
        Self::new(&format!("SQL too large (max {max} characters)"), None)
    }

    /// The original's refusal text with the precise reason as the hint.
    pub(crate) fn not_read_only(reason: impl Into<String>) -> Self {
        Self::new(READ_ONLY, Some(reason.into()))
    }

    pub(crate) fn unparsable(reason: &str) -> Self {
        Self::new(
            "SQL could not be parsed",
            Some(format!(
                "{reason}. Send one SQLite SELECT, WITH … SELECT or VALUES query."
            )),
        )
    }

    pub(crate) fn too_complex(reason: String) -> Self {
        Self::new("Query is too complex", Some(reason))
    }

    pub(crate) fn too_many_union_all() -> Self {
        Self::new(
            "Query uses too many UNION ALL terms",
            Some(
                "Maximum 5 UNION ALL terms allowed. Split into smaller queries or use CTE/VALUES."
                    .to_string(),
            ),
        )
    }

    pub(crate) fn too_many_params(max: usize) -> Self {
        Self::new(&format!("Too many parameters (max {max})"), None)
    }

    pub(crate) fn bad_param(index: usize) -> Self {
        Self::new(
            &format!(
                "Invalid parameter type at index {index}: expected string, number, boolean, or null"
            ),
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_wording() {
        assert_eq!(
            GuardError::too_large(10_000).message,
            "SQL too large (max 10000 characters)"
        );
        assert_eq!(
            GuardError::bad_param(3).message,
            "Invalid parameter type at index 3: expected string, number, boolean, or null"
        );
        assert_eq!(
            GuardError::not_read_only("x").to_string(),
            "Only read-only SQL queries are allowed (x)"
        );
    }
}
