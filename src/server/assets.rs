//! The browser bundle's files (`/pkg/…`: the JS glue, the wasm, the stylesheet) and `/favicon.ico`,
//! read once at start from the site directory and served from memory.
//!
//! `./x build` names each bundle file after its content (`dialtone.<hash>.wasm`) and writes it
//! precompressed beside it (`.br`, `.gz`), listed in `pkg/assets.txt`. Such a file never changes
//! under its name, so it is served `Cache-Control: immutable` for a year, in the best encoding the
//! request accepts (brotli, then gzip, else as it is). Without `assets.txt` (a site built by other
//! tools) the plain names are used, revalidated on every use.
//!
//! Knows HTTP and files; nothing of pages, sessions or the database.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The manifest `./x build` writes into `pkg/`: lines `<kind> <file name>` (`js`, `wasm`, `css`).
pub const MANIFEST: &str = "assets.txt";
/// How long a content-named file may be kept: a year, without asking again.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files whose name does not change with their content: kept, but checked again before each use.
const REVALIDATE: &str = "no-cache";

/// One file, as it is and precompressed.
#[derive(Debug)]
struct Asset {
    content_type: &'static str,
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    cache: &'static str,
}

/// The bundle's files and the icon, with the names pages must link to.
#[derive(Debug, Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
    icon: Option<Bytes>,
    /// `/pkg/…` path of the JS glue that loads the wasm.
    pub js: String,
    /// `/pkg/…` path of the wasm.
    pub wasm: String,
    /// `/pkg/…` path of the stylesheet.
    pub css: String,
}

/// The content types of the bundle's kinds of file.
fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl Assets {
    /// Reads the bundle from `site_root` (`pkg/` and `favicon.ico`). Files that are missing are
    /// simply not served (404): the server runs without a built bundle too, as the tests do.
    pub fn load(site_root: &Path) -> Assets {
        let pkg = site_root.join("pkg");
        let manifest = std::fs::read_to_string(pkg.join(MANIFEST)).ok();
        let hashed = manifest.is_some();
        let mut names: HashMap<&str, String> = HashMap::new();
        for line in manifest.as_deref().unwrap_or_default().lines() {
            if let Some((kind, name)) = line.split_once(' ') {
                names.insert(kind.trim(), name.trim().to_string());
            }
        }
        let name_of = |kind: &str, plain: &str| names.get(kind).cloned().unwrap_or_else(|| plain.to_string());
        let (js, wasm, css) =
            (name_of("js", "dialtone.js"), name_of("wasm", "dialtone.wasm"), name_of("css", "dialtone.css"));
        let mut files = HashMap::new();
        for name in [&js, &wasm, &css] {
            let Ok(identity) = std::fs::read(pkg.join(name)) else { continue };
            let read = |ext: &str| hashed.then(|| std::fs::read(pkg.join(format!("{name}.{ext}"))).ok()).flatten();
            files.insert(
                name.clone(),
                Asset {
                    content_type: content_type(name),
                    identity: identity.into(),
                    brotli: read("br").map(Bytes::from),
                    gzip: read("gz").map(Bytes::from),
                    cache: if hashed { IMMUTABLE } else { REVALIDATE },
                },
            );
        }
        Assets {
            files,
            icon: std::fs::read(site_root.join("favicon.ico")).ok().map(Bytes::from),
            js: format!("/pkg/{js}"),
            wasm: format!("/pkg/{wasm}"),
            css: format!("/pkg/{css}"),
        }
    }
}

/// The encodings a request's `Accept-Encoding` allows, as (brotli, gzip). A coding is allowed when it
/// is named, or covered by `*`, with a q-value above 0 (RFC 9110 §12.5.3); the server prefers brotli
/// whatever the q-values, as both are lossless and brotli is smaller.
pub fn accepted_encodings(headers: &HeaderMap) -> (bool, bool) {
    let (mut br, mut gzip, mut star) = (None, None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let allowed = q > 0.0;
            match coding.as_str() {
                "br" => br = Some(allowed),
                "gzip" | "x-gzip" => gzip = Some(allowed),
                "*" => star = Some(allowed),
                _ => {}
            }
        }
    }
    let star = star.unwrap_or(false);
    (br.unwrap_or(star), gzip.unwrap_or(star))
}

/// `GET /pkg/{name}`: a bundle file, in the best encoding the request accepts.
async fn bundle_file(State(state): State<AppState>, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    let Some(asset) = state.assets.files.get(&name) else {
        return (StatusCode::NOT_FOUND, "No such file.\n").into_response();
    };
    let (accepts_br, accepts_gzip) = accepted_encodings(&headers);
    let (body, encoding) = match (&asset.brotli, &asset.gzip) {
        (Some(b), _) if accepts_br => (b.clone(), Some("br")),
        (_, Some(g)) if accepts_gzip => (g.clone(), Some("gzip")),
        _ => (asset.identity.clone(), None),
    };
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(asset.cache));
    if asset.brotli.is_some() || asset.gzip.is_some() {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(encoding) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    res
}

/// `GET /favicon.ico`.
async fn icon(State(state): State<AppState>) -> Response {
    match &state.assets.icon {
        Some(icon) => {
            ([(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, "public, max-age=86400")], icon.clone())
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "No icon.\n").into_response(),
    }
}

/// The routes of the bundle's files and the icon.
pub fn router() -> Router<AppState> {
    Router::new().route("/pkg/{name}", get(bundle_file)).route("/favicon.ico", get(icon))
}

/// The assets for a state whose site is at `site_root`, shared.
pub fn shared(site_root: &Path) -> Arc<Assets> {
    Arc::new(Assets::load(site_root))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> (bool, bool) {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).expect("header"));
        accepted_encodings(&h)
    }

    #[test]
    fn accept_encoding_is_read_with_q_values_and_star() {
        assert_eq!(accepted_encodings(&HeaderMap::new()), (false, false));
        assert_eq!(accept("gzip, deflate, br, zstd"), (true, true));
        assert_eq!(accept("gzip"), (false, true));
        assert_eq!(accept("br;q=0, gzip;q=0.5"), (false, true));
        assert_eq!(accept("*"), (true, true));
        assert_eq!(accept("*;q=0, gzip"), (false, true));
        assert_eq!(accept("BR ; Q=0.1"), (true, false));
        assert_eq!(accept("identity"), (false, false));
        assert_eq!(accept("br;q=abc"), (true, false));
    }
}
