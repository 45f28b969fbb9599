//! The web admin's HTTP guard: the session cookie, the sign-in and sign-out form handlers, the
//! same-origin check every state-changing request must pass, the redirect of signed-out page requests
//! to the sign-in page, and the hardening headers on every answer. The legacy API
//! (`/vicidial/non_agent_api.php`) keeps its own per-request authentication and is left alone.
//!
//! Knows HTTP and the session service; no rules of its own beyond "who is asking, from where".

use axum::extract::{Form, FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use crate::app::{safe_return_path, SIGN_IN_ACTION as SIGN_IN_PATH, SIGN_OUT_ACTION as SIGN_OUT_PATH};
use crate::service::sessions::{self, SignInError, SESSION_MAX_AGE};
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "dialtone_session";

/// The cookie that carries the user name of a refused sign-in back to the sign-in page, so the form
/// keeps it (never the password). Only sent to `/sign-in`, for five minutes, not readable by scripts.
pub const SIGN_IN_USER_COOKIE: &str = "dialtone_sign_in_user";

/// The `Set-Cookie` value that keeps `user` (percent-encoded, at most 100 characters) for the sign-in
/// page; an empty `user` clears it.
fn sign_in_user_cookie(user: &str, secure: bool) -> String {
    let kept: String = user.chars().take(100).collect();
    let max_age = if kept.is_empty() { 0 } else { 300 };
    format!(
        "{SIGN_IN_USER_COOKIE}={}; Path=/sign-in; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        utf8_percent_encode(&kept, NON_ALPHANUMERIC),
        if secure { "; Secure" } else { "" }
    )
}

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

fn sign_in_page(next: &str, error: Option<&str>) -> String {
    let next = utf8_percent_encode(safe_return_path(next), NON_ALPHANUMERIC);
    match error {
        Some(e) => format!("/sign-in?error={e}&next={next}"),
        None => format!("/sign-in?next={next}"),
    }
}

/// Whether a path has a `.` or `..` segment, written plainly or percent-encoded (`%2e`). Routers and
/// file servers differ on what such a path means (Leptos' router resolves `/vicidial/..` to `/`), so no
/// request with one is let through: the guard must judge the same path the handler serves.
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        decoded == "." || decoded == ".."
    })
}

/// A file of the browser bundle (`/pkg/<name>`, names of letters, digits, `-`, `_` and inner dots).
fn is_bundle_file(path: &str) -> bool {
    path.strip_prefix("/pkg/").is_some_and(|rest| {
        rest.split('/').all(|name| {
            !name.is_empty()
                && !name.starts_with('.')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        })
    })
}

/// What needs no session: exactly the legacy API's path, the bundle's files and the icon.
fn is_public(path: &str) -> bool {
    path == crate::api::API_PATH || path == "/favicon.ico" || is_bundle_file(path)
}

/// The middleware in front of every route: a path with a dot segment is refused; the legacy API and
/// static files pass (an allow-list of exact paths); any other state-changing request must come
/// from this site; pages and server functions need a session, whose
/// [`crate::domain::access::Viewer`] is put into the request for them.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if has_dot_segment(path) {
        return (StatusCode::BAD_REQUEST, "Refused: a path may not have . or .. segments.\n").into_response();
    }
    if is_public(path) {
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

/// A fresh CSP nonce: 128 random bits, hex.
fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Content-Security-Policy of a page whose inline scripts carry `nonce`: the app's own files, its
/// WebAssembly, its own server for fetches and event streams, and nothing else (no inline script
/// without the nonce, no plugins, no `<base>`, forms only to itself, never framed).
fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The legacy API's policy: its answers are text lines (served as `text/html`, as VICIdial does), which
/// may hold no active content at all.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The outermost middleware: hardening headers on every answer. Pages, server functions and event
/// streams get a Content-Security-Policy with a nonce made for this request (put into the request as
/// Leptos' `Nonce`, which the HTML shell gives to its scripts) and `Cache-Control: no-store` (they hold
/// personal data and passwords); the legacy API a policy that allows nothing (it keeps VICIdial's own
/// cache headers); the bundle's files and the icon may be cached. Everything says `nosniff`, may not
/// be framed, and sends its address as referrer only to this site (`same-origin`: with `no-referrer`
/// browsers send `Origin: null` on form posts, which the same-origin check must refuse).
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let static_file = is_bundle_file(path) || path == "/favicon.ico";
    let api = path == crate::api::API_PATH;
    let nonce = (!static_file && !api).then(new_nonce);
    if let Some(nonce) = &nonce {
        req.extensions_mut().insert(leptos::nonce::Nonce::from_value(nonce.as_str()));
    }
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if api {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(API_POLICY));
    } else if let Some(nonce) = nonce {
        if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
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
            let forget = sign_in_user_cookie("", secure);
            (
                AppendHeaders([(header::SET_COOKIE, cookie), (header::SET_COOKIE, forget)]),
                Redirect::to(safe_return_path(&form.next)),
            )
                .into_response()
        }
        Err(SignInError::Refused) => (
            [(header::SET_COOKIE, sign_in_user_cookie(&form.user, secure))],
            Redirect::to(&sign_in_page(&form.next, Some("refused"))),
        )
            .into_response(),
        Err(SignInError::Locked) => (
            [(header::SET_COOKIE, sign_in_user_cookie(&form.user, secure))],
            Redirect::to(&sign_in_page(&form.next, Some("locked"))),
        )
            .into_response(),
        Err(SignInError::Slow(wait)) => {
            let mut res = (
                [(header::SET_COOKIE, sign_in_user_cookie(&form.user, secure))],
                Redirect::to(&sign_in_page(&form.next, Some("slow"))),
            )
                .into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
            res
        }
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
    fn dot_segments_are_found_however_written() {
        for bad in ["/vicidial/..", "/vicidial/../", "/pkg/.", "/pkg/%2e%2E/x", "/a/.%2e", "//..", "/x/./"] {
            assert!(has_dot_segment(bad), "{bad}");
        }
        for good in
            ["/", "/phones/10.10.10.15/cc101", "/pkg/dialtone.wasm", "/phones?q=..", "/a/...b", "/c/%3C%2Ftitle"]
        {
            assert!(!has_dot_segment(good), "{good}");
        }
    }

    #[test]
    fn only_exact_paths_are_public() {
        for public in ["/vicidial/non_agent_api.php", "/favicon.ico", "/pkg/dialtone.js", "/pkg/snippets/a-1/x.js"] {
            assert!(is_public(public), "{public}");
        }
        for private in ["/vicidial/", "/vicidial/x", "/pkg/", "/pkg/.hidden", "/pkg/a%20b", "/pkgx/a", "/favicon.icox"]
        {
            assert!(!is_public(private), "{private}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; dialtone_session=abc; b=2")]);
        assert_eq!(session_token(&h).as_deref(), Some("abc"));
        assert_eq!(session_token(&headers(&[("cookie", "dialtone_sessionx=1")])), None);
    }
}
