//! Domain errors: what the caller did wrong (a stable code, safe to show) is kept apart from what
//! went wrong inside (logged with context, shown only as `internal`). The HTTP layer maps these to
//! statuses in one place.

use thiserror::Error;

/// A value that failed to parse; `field` names the input so a client can point at it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field} {message}")]
pub struct InvalidInput {
    pub field: &'static str,
    pub message: String,
}

impl InvalidInput {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

#[derive(Debug, Error)]
pub enum ChatError {
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this. Only used where the resource's existence is no
    /// secret from the caller (e.g. a public channel of their own tenant).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// Also answers for resources the caller may not know exist (another tenant's, a private
    /// channel they are not in), so a 404 never reveals existence.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (the table) is busy or failing for a moment: the same request may pass if
    /// tried again.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl ChatError {
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden { code, message: message.into() }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
    /// A write to an archived channel: it is read-only until unarchived.
    pub fn archived() -> Self {
        Self::conflict("conversation_archived", "this channel is archived: it is read-only until unarchived")
    }
    /// Corrupt or unexpected stored data: an internal error, never the caller's fault.
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Internal(format!("stored item could not be read: {what}"))
    }
}

pub type ChatResult<T> = Result<T, ChatError>;
