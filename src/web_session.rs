//! The web admin's HTTP guard: the session cookie, the sign-in and sign-out form handlers, the
//! same-origin check every state-changing request must pass, and the redirect of signed-out page
//! requests to the sign-in page. The legacy API (`/vicidial/`) keeps its own per-request
//! authentication and is left alone.
//!
//! Knows HTTP and the session service; no rules of its own beyond "who is asking, from where".

use axum::extract::{Form, FromRequest, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use crate::service::sessions::{self, SignInError, SESSION_MAX_AGE};
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "dialtone_session";
use crate::app::{SIGN_IN_ACTION as SIGN_IN_PATH, SIGN_OUT_ACTION as SIGN_OUT_PATH};

/// The sign-in and sign-out form handlers.
pub fn router() -> Router<AppState> {
    Router::new().route(SIGN_IN_PATH, post(sign_in)).route(SIGN_OUT_PATH, post(sign_out))
}

/// The session token from the `Cookie` header, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

/// Whether a request comes from a page of this site: its `Origin` (or, without one, its `Referer`)
/// names the host the request was sent to. Browsers send `Origin` on every cross-site POST.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let ours = |url: &str| {
        ["http://", "https://"].iter().any(|scheme| {
            url.strip_prefix(scheme)
                .and_then(|rest| rest.strip_prefix(host))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    };
    match headers.get(header::ORIGIN) {
        Some(origin) => origin.to_str().is_ok_and(|o| o != "null" && ours(o)),
        None => headers.get(header::REFERER).and_then(|r| r.to_str().ok()).is_some_and(ours),
    }
}

/// A local path to return to after signing in; anything else becomes `/`.
fn local_path(next: &str) -> &str {
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains(['\\', '\r', '\n'])
        && !next.starts_with(SIGN_IN_PATH);
    if safe {
        next
    } else {
        "/"
    }
}

fn sign_in_page(next: &str, error: Option<&str>) -> String {
    let next = utf8_percent_encode(local_path(next), NON_ALPHANUMERIC);
    match error {
        Some(e) => format!("/sign-in?error={e}&next={next}"),
        None => format!("/sign-in?next={next}"),
    }
}

/// The middleware in front of every route: the legacy API and static files pass; any other
/// state-changing request must come from this site; pages and server functions need a session,
/// whose [`crate::domain::access::Viewer`] is put into the request for them.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/vicidial/") || path.starts_with("/pkg/") || path == "/favicon.ico" {
        return next.run(req).await;
    }
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state && !same_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "Refused: the request did not come from this site.\n").into_response();
    }
    if path == "/sign-in" || path == SIGN_IN_PATH {
        return next.run(req).await;
    }
    let viewer = match session_token(req.headers()) {
        Some(token) => match sessions::session_viewer(&state.db, &token).await {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("session lookup failed: {e}");
                return (StatusCode::SERVICE_UNAVAILABLE, "The database is unavailable.\n").into_response();
            }
        },
        None => None,
    };
    match viewer {
        Some(v) => {
            req.extensions_mut().insert(v);
            next.run(req).await
        }
        None if changes_state || path.starts_with("/serverfn/") => {
            (StatusCode::UNAUTHORIZED, "Sign in first.\n").into_response()
        }
        None => {
            let wanted = req.uri().path_and_query().map_or("/", |p| p.as_str());
            Redirect::to(&sign_in_page(wanted, None)).into_response()
        }
    }
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInForm {
    user: String,
    pass: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(State(state): State<AppState>, req: Request) -> Response {
    let ip = crate::api::client_ip(&req);
    let secure = req.headers().get("x-forwarded-proto").is_some_and(|p| p.as_bytes() == b"https");
    let Ok(Form(form)) = Form::<SignInForm>::from_request(req, &state).await else {
        return Redirect::to(&sign_in_page("/", Some("missing"))).into_response();
    };
    match sessions::sign_in(&state.db, &state.auth, &form.user, &form.pass, &ip).await {
        Ok((token, _)) => {
            let cookie = format!(
                "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_MAX_AGE}{}",
                if secure { "; Secure" } else { "" }
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(local_path(&form.next))).into_response()
        }
        Err(SignInError::Refused) => Redirect::to(&sign_in_page(&form.next, Some("refused"))).into_response(),
        Err(SignInError::Locked) => Redirect::to(&sign_in_page(&form.next, Some("locked"))).into_response(),
        Err(SignInError::Db(e)) => {
            tracing::error!("sign-in failed: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "The database is unavailable.\n").into_response()
        }
    }
}

async fn sign_out(State(state): State<AppState>, req: Request) -> Response {
    let ip = crate::api::client_ip(&req);
    if let Some(token) = session_token(req.headers()) {
        if let Err(e) = sessions::sign_out(&state.db, &token, &ip).await {
            tracing::error!("sign-out failed: {e}");
        }
    }
    let clear = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, clear)], Redirect::to("/sign-in")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().expect("header value"));
        }
        h
    }

    #[test]
    fn same_origin_needs_origin_or_referer_naming_the_host() {
        let host = ("host", "127.0.0.1:3000");
        assert!(same_origin(&headers(&[host, ("origin", "http://127.0.0.1:3000")])));
        assert!(same_origin(&headers(&[host, ("referer", "http://127.0.0.1:3000/phones?q=1")])));
        assert!(!same_origin(&headers(&[host])));
        assert!(!same_origin(&headers(&[host, ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[host, ("origin", "http://127.0.0.1:3000.evil.example")])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!same_origin(&headers(&[host, ("referer", "http://127.0.0.1:30001/")])));
        // An Origin that differs wins over a Referer that matches.
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://evil.example"),
            ("referer", "http://127.0.0.1:3000/")
        ])));
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/phones?q=1"), "/phones?q=1");
        for bad in ["//evil.example", "http://evil.example", "/\\evil", "", "phones", "/auth/sign-in"] {
            assert_eq!(local_path(bad), "/", "{bad}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; dialtone_session=abc; b=2")]);
        assert_eq!(session_token(&h).as_deref(), Some("abc"));
        assert_eq!(session_token(&headers(&[("cookie", "dialtone_sessionx=1")])), None);
    }
}
