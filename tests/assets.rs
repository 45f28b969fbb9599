//! The browser bundle's files and the icon over real HTTP: content-hashed names from `assets.txt`,
//! the precompressed copy chosen by `Accept-Encoding`, `immutable` caching; pages link the hashed
//! names and are sent gzip-compressed when accepted, while the legacy API, server functions and
//! posts are not.

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use common::{fixture_file, state_for};
use dialtone::server::assets::Assets;
use dialtone::storage::{Db, Durability};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const JS: &str = "dialtone.0123456789abcdef.js";
const WASM: &str = "dialtone.fedcba9876543210.wasm";
const CSS: &str = "dialtone.00112233aabbccdd.css";

/// A response as bytes: status, lower-cased headers, body.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

async fn raw(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: Option<&str>) -> Raw {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or_default());
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut all = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut all))
        .await
        .expect("an answer within 20 s")
        .expect("read");
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").expect("http head");
    let head = String::from_utf8(all[..split].to_vec()).expect("utf-8 head");
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let mut body = all[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Raw { status, headers, body }
}

fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = s.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&s[..end]).ok().and_then(|t| usize::from_str_radix(t.trim(), 16).ok());
        let Some(n) = size.filter(|n| *n > 0) else { break };
        out.extend_from_slice(&s[end + 2..end + 2 + n]);
        s = &s[end + 2 + n + 2..];
    }
    out
}

/// Writes a site with a hashed bundle (each file with distinct `.br` and `.gz` bytes) into `root`.
fn hashed_site(root: &Path) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg dir");
    for name in [JS, WASM, CSS] {
        std::fs::write(pkg.join(name), format!("plain {name}")).expect("file");
        std::fs::write(pkg.join(format!("{name}.br")), format!("brotli {name}")).expect("br");
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gzip {name}")).expect("gz");
    }
    std::fs::write(pkg.join("assets.txt"), format!("js {JS}\nwasm {WASM}\ncss {CSS}\n")).expect("manifest");
    std::fs::write(root.join("favicon.ico"), [0u8, 0, 1, 0, 1, 0]).expect("icon");
}

/// Starts the full router over a copy of the fixture, with the bundle read from `site`.
async fn start(site: &Path) -> (SocketAddr, tempfile::TempDir, tokio::task::JoinHandle<()>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("case.db");
    std::fs::copy(fixture_file().await, &path).expect("copy fixture");
    let db = Db::open(path.to_str().expect("utf-8"), Durability::Process).await.expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut state = state_for(&db, addr, dir.path());
    state.assets = Arc::new(Assets::load(site));
    let router = dialtone::server::app(state);
    let task = tokio::spawn(dialtone::server::serve_connections(
        listener,
        router,
        dialtone::server::ConnLimits::default(),
        std::future::pending(),
    ));
    (addr, dir, task)
}

#[tokio::test]
async fn bundle_files_are_served_precompressed_by_accept_encoding_and_immutable() {
    let site = tempfile::tempdir().expect("site");
    hashed_site(site.path());
    let (addr, _dir, task) = start(site.path()).await;
    let cases: [(&str, Option<&str>, &str); 7] = [
        ("gzip, deflate, br, zstd", Some("br"), "brotli"),
        ("gzip", Some("gzip"), "gzip"),
        ("br;q=0, gzip;q=0.8", Some("gzip"), "gzip"),
        ("*", Some("br"), "brotli"),
        ("*;q=0", None, "plain"),
        ("identity", None, "plain"),
        ("", None, "plain"),
    ];
    for (name, content_type) in
        [(JS, "text/javascript; charset=utf-8"), (WASM, "application/wasm"), (CSS, "text/css; charset=utf-8")]
    {
        for (accept, encoding, body) in cases {
            let headers: Vec<(&str, &str)> = if accept.is_empty() { vec![] } else { vec![("Accept-Encoding", accept)] };
            let r = raw(addr, "GET", &format!("/pkg/{name}"), &headers, None).await;
            assert_eq!(r.status, 200, "{name} with {accept:?}");
            assert_eq!(r.header("content-encoding"), encoding, "{name} with {accept:?}");
            assert_eq!(String::from_utf8_lossy(&r.body), format!("{body} {name}"), "{name} with {accept:?}");
            assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
            assert_eq!(r.header("content-type"), Some(content_type));
            assert_eq!(r.header("vary"), Some("accept-encoding"));
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        }
        let head = raw(addr, "HEAD", &format!("/pkg/{name}"), &[("Accept-Encoding", "br")], None).await;
        assert_eq!((head.status, head.header("content-encoding")), (200, Some("br")));
        assert!(head.body.is_empty());
    }
    // Only the listed names exist: not the plain names, not the compressed copies, not the manifest.
    for missing in ["dialtone.js", "dialtone.wasm", "dialtone.css", &format!("{JS}.br"), "assets.txt", "x.js"] {
        let r = raw(addr, "GET", &format!("/pkg/{missing}"), &[], None).await;
        assert_eq!(r.status, 404, "{missing}");
    }
    let icon = raw(addr, "GET", "/favicon.ico", &[], None).await;
    assert_eq!((icon.status, icon.header("content-type")), (200, Some("image/x-icon")));
    assert_eq!(icon.body, [0u8, 0, 1, 0, 1, 0]);
    task.abort();
}

#[tokio::test]
async fn without_a_manifest_the_plain_names_are_served_and_revalidated() {
    let site = tempfile::tempdir().expect("site");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg");
    std::fs::write(pkg.join("dialtone.css"), "body{}").expect("css");
    let (addr, _dir, task) = start(site.path()).await;
    let r = raw(addr, "GET", "/pkg/dialtone.css", &[("Accept-Encoding", "br, gzip")], None).await;
    assert_eq!((r.status, r.header("content-encoding"), r.body.as_slice()), (200, None, b"body{}".as_slice()));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(raw(addr, "GET", "/favicon.ico", &[], None).await.status, 404);
    task.abort();
}

#[tokio::test]
async fn pages_link_the_hashed_names_and_are_gzipped_when_accepted_but_the_api_is_not() {
    let site = tempfile::tempdir().expect("site");
    hashed_site(site.path());
    let (addr, _dir, task) = start(site.path()).await;

    let plain = raw(addr, "GET", "/sign-in", &[], None).await;
    assert_eq!(plain.header("content-encoding"), None);
    let page = String::from_utf8(plain.body).expect("utf-8 page");
    assert!(page.contains(&format!(r#"<link rel="stylesheet" href="/pkg/{CSS}">"#)), "{page}");
    assert!(page.contains(&format!(r#"("/pkg/{JS}", "/pkg/{WASM}");"#)), "the page script gets the bundle's names");
    // The sign-in page has no island: nothing preloads the bundle.
    assert!(!page.contains("modulepreload") && !page.contains(r#"rel="preload""#));

    let zipped = raw(addr, "GET", "/sign-in", &[("Accept-Encoding", "gzip, br")], None).await;
    assert_eq!((zipped.status, zipped.header("content-encoding")), (200, Some("gzip")));
    assert_eq!(zipped.header("vary"), Some("accept-encoding"));
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(zipped.body.as_slice()).read_to_string(&mut unzipped).expect("gzip body");
    assert!(unzipped.starts_with("<!DOCTYPE html>") && unzipped.contains("Sign in"), "{unzipped}");
    assert!(zipped.body.len() * 2 < unzipped.len(), "compressed {} of {}", zipped.body.len(), unzipped.len());

    // The legacy API stays as VICIdial sends it; a post's answer is not compressed.
    let api =
        raw(addr, "GET", "/vicidial/non_agent_api.php?function=version", &[("Accept-Encoding", "gzip")], None).await;
    assert_eq!((api.status, api.header("content-encoding")), (200, None));
    assert!(String::from_utf8_lossy(&api.body).starts_with("VERSION: "));
    let origin = format!("http://{addr}");
    let post = raw(
        addr,
        "POST",
        "/auth/sign-in",
        &[("Accept-Encoding", "gzip"), ("Origin", origin.as_str())],
        Some("user=nobody&pass=wrong&next=/"),
    )
    .await;
    assert_eq!(post.header("content-encoding"), None);
    task.abort();
}
