//! The legacy response: VICIdial's line formats, HTTP status and headers. The mapping from outcomes
//! to these lines lives in the function modules; this module only formats.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One API response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status (200 except the teapot).
    pub status: StatusCode,
    /// The body, VICIdial's lines.
    pub body: String,
    /// Whether the service already wrote the audit entry for this call (a change).
    pub logged: bool,
    /// The outcome's reason without its data part (what the call log records).
    pub reason: String,
}

impl Reply {
    /// A body as given.
    pub fn raw(body: String, reason: &str) -> Reply {
        Reply { status: StatusCode::OK, body, logged: false, reason: reason.to_string() }
    }

    /// `ERROR: <reason>: |<user>|<data>\n`
    pub fn error(reason: &str, user: &str, data: &str) -> Reply {
        Reply::raw(format!("ERROR: {reason}: |{user}|{data}\n"), &format!("ERROR: {reason}"))
    }

    /// `NOTICE: <reason>: |<user>|<data>\n`
    pub fn notice(reason: &str, user: &str, data: &str) -> Reply {
        Reply::raw(format!("NOTICE: {reason}: |{user}|{data}\n"), &format!("NOTICE: {reason}"))
    }

    /// `SUCCESS: <reason> - <user>|<data>\n`, for a change the service has audited.
    pub fn success(reason: &str, user: &str, data: &str) -> Reply {
        Reply {
            logged: true,
            ..Reply::raw(format!("SUCCESS: {reason} - {user}|{data}\n"), &format!("SUCCESS: {reason}"))
        }
    }

    /// VICIdial's answer to the coffee functions: HTTP 418, no newline.
    pub fn teapot(function: &str) -> Reply {
        Reply {
            status: StatusCode::IM_A_TEAPOT,
            ..Reply::raw(format!("Coffee: {function}|Error 418 I'm a teapot"), "teapot")
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, must-revalidate"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        res
    }
}
