//! gzip for pages: an HTML answer to a `GET` is sent compressed when the request accepts gzip (a
//! phones list page of 50 rows is 32 KB as it is, 4-5 KB compressed). The legacy API is not compressed.
//!
//! Only `text/html` answers to `GET`/`HEAD`, which never hold a secret: a stored password reaches a
//! page only through a reveal, which is a `POST` (no-JS form) or a server function (JSON), neither
//! compressed here, and pages carry no tokens. That keeps compression-based guessing of secrets
//! (BREACH) out of reach while the pages people load all day are small. The bundle's files are
//! precompressed (`assets`); server functions, event streams and the legacy API are left as they are.
//!
//! Knows HTTP only.

use std::io::Write;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::assets::accepted_encodings;

/// Pages smaller than this are sent as they are (compression would gain less than a packet).
const MIN_SIZE: usize = 1024;
/// The largest page compressed; a larger one (none today) is sent as it is.
const MAX_SIZE: usize = 16 * 1024 * 1024;

/// The middleware: compresses an HTML answer to a `GET`/`HEAD` when the request accepts gzip.
pub async fn compress_pages(req: Request, next: Next) -> Response {
    // The legacy API answers `text/html` too, and stays byte for byte as VICIdial sends it.
    let wants_gzip = matches!(*req.method(), Method::GET | Method::HEAD)
        && req.uri().path() != crate::api::API_PATH
        && accepted_encodings(req.headers()).1;
    let res = next.run(req).await;
    if !wants_gzip || res.headers().contains_key(header::CONTENT_ENCODING) || !is_html(&res) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match to_bytes(body, MAX_SIZE).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("a page's body could not be read for compression: {e}");
            return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "The page could not be sent.\n").into_response();
        }
    };
    parts.headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    if bytes.len() < MIN_SIZE {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::new(6));
    match encoder.write_all(&bytes).and_then(|()| encoder.finish()) {
        Ok(gz) => {
            parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(gz))
        }
        Err(e) => {
            tracing::warn!("a page could not be compressed: {e}");
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

/// Whether the answer is an HTML page.
fn is_html(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}
