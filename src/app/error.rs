//! The error every server function answers with, and the HTTP status it carries: a refusal is 401 or
//! 403, a malformed call 400, a missing record 404, too many attempts 429, a database that is down 503;
//! 500 is left for Dialtone's own bugs.
//!
//! Compiled for the browser (the islands decode it and show its message) and the server. Knows no
//! rules, no storage; on the server it only sets the response's status.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, Encodes};
use serde::{Deserialize, Serialize};

/// Why a server function did not do what was asked. The message is what the user is shown; it never
/// holds a secret, and never echoes the request body (a malformed body is described, not quoted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No session (HTTP 401). The session guard answers signed-out calls first; this is the second lock.
    #[error("Sign in first.")]
    SignIn,
    /// The signed-in user may not do this (HTTP 403): the message says which right is missing.
    #[error("{0}")]
    Forbidden(String),
    /// The call itself is malformed or incomplete (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// What the call names does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// Too many attempts in too short a time (HTTP 429): the message says when to try again.
    #[error("{0}")]
    TooMany(String),
    /// The database failed or is unavailable (HTTP 503); the detail is in the server's log only.
    #[error("The database is unavailable; nothing was changed. Try again.")]
    Unavailable,
    /// Dialtone failed (HTTP 500): a bug, logged on the server.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::SignIn => 401,
            AppError::Forbidden(_) => 403,
            AppError::BadRequest(_) => 400,
            AppError::NotFound(_) => 404,
            AppError::TooMany(_) => 429,
            AppError::Unavailable => 503,
            AppError::Internal(_) => 500,
        }
    }

    /// A database failure: logged in full on the server, shown without detail.
    pub fn db(e: impl std::fmt::Display) -> AppError {
        #[cfg(feature = "ssr")]
        tracing::error!("database error in a server function: {e}");
        #[cfg(not(feature = "ssr"))]
        let _ = e;
        AppError::Unavailable
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// The framework's own errors: on the server these are a body that does not decode into the
    /// function's arguments (400); the rest are Dialtone's or the network's failures.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                AppError::BadRequest("The request could not be read as this function's arguments.".into())
            }
            ServerFnErrorErr::Request(_) => AppError::BadRequest("The request could not be read.".into()),
            other => AppError::Internal(other.to_string()),
        }
    }

    fn ser(&self) -> Bytes {
        encode_with_status(self, self.status())
    }
}

/// A server function's error as its JSON body, after setting the HTTP status it is answered with (the
/// `ser` of every error type the server functions return).
pub(crate) fn encode_with_status<E>(error: &E, status: u16) -> Bytes
where
    JsonEncoding: Encodes<E>,
{
    respond_with_status(status);
    <JsonEncoding as Encodes<E>>::encode(error).unwrap_or_default()
}

/// Sets the HTTP status of the server function's answer (server only). A plain form post (one that
/// accepts HTML) is answered with a redirect back to its page, which must keep its 302.
fn respond_with_status(status: u16) {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        let accepts_html = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        });
        if let (false, Some(res), Ok(code)) =
            (accepts_html, use_context::<leptos_axum::ResponseOptions>(), axum::http::StatusCode::from_u16(status))
        {
            res.set_status(code);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}
