//! Shared test helpers: the reference fixture built through Dialtone's own services, a real HTTP
//! server on 127.0.0.1, a minimal HTTP/1.1 client, database snapshots, and the case-table runner.
#![allow(dead_code)]

pub mod ami;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dialtone::domain::{validate_phone_entry, PhoneEntryInput, ProtocolSet};
use dialtone::service::admin::{self, UserSpec};
use dialtone::service::auth::Authenticator;
use dialtone::service::conf::ConfSettings;
use dialtone::service::{aliases, phones, Actor};
use dialtone::state::AppState;
use dialtone::storage::servers::NewServer;
use dialtone::storage::{Db, Durability};
use sqlx::{Column, Row};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The users of the reference fixture: (user, pass, level, api, `ast_admin`, delete, functions, active).
/// (user, pass, level, api access, ast admin, delete phones, api functions, active).
pub type UserFixture = (&'static str, &'static str, i64, bool, bool, bool, &'static str, bool);

/// The fixture's users.
pub const USERS: &[UserFixture] = &[
    ("apiadmin", "apipass1", 9, true, true, true, " ALL_FUNCTIONS ", true),
    ("nodelete", "nodelpass1", 9, true, true, false, " ALL_FUNCTIONS ", true),
    ("level8", "level8pass", 8, true, true, false, " ALL_FUNCTIONS ", true),
    ("level7", "level7pass", 7, true, true, false, " ALL_FUNCTIONS ", true),
    ("agent1", "agentpass", 1, false, false, false, " ALL_FUNCTIONS ", true),
    ("noapi", "noapipass", 9, false, true, false, " ALL_FUNCTIONS ", true),
    ("noast", "noastpass", 9, true, false, false, " ALL_FUNCTIONS ", true),
    ("restricted", "restpass", 9, true, true, true, " version add_lead ", true),
    ("addonly", "addonlypass", 9, true, true, true, " add_phone ", true),
    ("inactive", "inactpass", 9, true, true, true, " ALL_FUNCTIONS ", false),
    ("locked", "lockedpass", 9, true, true, true, " ALL_FUNCTIONS ", true),
    ("6666", "1234", 9, false, true, false, " ALL_FUNCTIONS ", true),
];

/// The fixture's users with `modify_servers` (may add and edit servers in the web admin).
pub const SERVER_MANAGERS: &[&str] = &["apiadmin"];

/// A phone input with valid defaults.
pub fn phone(extension: &str, login: &str, server_ip: &str) -> PhoneEntryInput {
    PhoneEntryInput {
        extension: extension.into(),
        dialplan_number: "100".into(),
        voicemail_id: "100".into(),
        phone_login: login.into(),
        phone_pass: "test".into(),
        server_ip: server_ip.into(),
        protocol: "SIP".into(),
        registration_password: "seedsecret1".into(),
        phone_full_name: "Seed Phone".into(),
        local_gmt: "-5.00".into(),
        outbound_cid: "3125550100".into(),
        ..Default::default()
    }
}

/// Builds the reference fixture (`add_phone_cases.tsv` header) through Dialtone's services in a new
/// database file at `path`, then closes it so the file can be copied.
pub async fn build_fixture(path: &Path) {
    let db = Db::open(path.to_str().expect("utf-8 path"), Durability::Process).await.expect("open fixture db");
    let cli = Actor::cli();
    admin::add_server(&db, &cli, &server_spec("10.10.10.15", "TESTast", "test server", true)).await.expect("server 1");
    admin::add_server(&db, &cli, &server_spec("10.10.10.16", "TESTast2", "conf generation off", false))
        .await
        .expect("server 2");
    for (user, pass, level, api, ast, delete, functions, active) in USERS {
        let spec = UserSpec {
            user,
            pass,
            level: *level,
            api_access: *api,
            ast_admin: *ast,
            delete_phones: *delete,
            modify_phones: *ast,
            modify_servers: SERVER_MANAGERS.contains(user),
            api_functions: functions,
            active: *active,
        };
        admin::add_user(&db, &cli, &spec).await.expect("user");
    }
    admin::put_template(&db, &cli, "SIPTMPL", "type=friend\nhost=dynamic\n").await.expect("template");
    let seed =
        validate_phone_entry(&phone("seed100", "seedlogin", "10.10.10.15"), ProtocolSet::WebAdmin).expect("seed valid");
    phones::add_phone(&db, &cli, &seed, "ADMIN ADD PHONE").await.expect("seed phone");
    aliases::add_alias(&db, &cli, "aliasX", "Alias X", &["seedlogin".to_string()]).await.expect("alias");
    // `locked`: a recent successful login, then 10 failures (VICIdial's lock is measured from the
    // last successful login stamp).
    let auth = Authenticator::new(7);
    assert!(matches!(
        auth.authenticate(&db, "locked", "lockedpass", "127.0.0.1").await.expect("auth"),
        dialtone::service::auth::AuthOutcome::Good(_)
    ));
    for _ in 0..10 {
        auth.authenticate(&db, "locked", "wrong", "127.0.0.1").await.expect("auth");
    }
    // Conf files "generated": flags cleared, so a change visibly marks its server again.
    admin::conf_files_built(&db, "10.10.10.15").await.expect("clear");
    admin::conf_files_built(&db, "10.10.10.16").await.expect("clear");
    db.close().await;
}

/// The fixture, built once per test binary, as a file to copy.
pub async fn fixture_file() -> PathBuf {
    static FIXTURE: tokio::sync::OnceCell<(tempfile::TempDir, PathBuf)> = tokio::sync::OnceCell::const_new();
    let (_, path) = FIXTURE
        .get_or_init(|| async {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("fixture.db");
            build_fixture(&path).await;
            (dir, path)
        })
        .await;
    path.clone()
}

/// A running Dialtone (full router) on 127.0.0.1 over a fresh copy of the fixture.
pub struct TestServer {
    /// Its address.
    pub addr: SocketAddr,
    /// Its database.
    pub db: Db,
    /// Keeps the database file alive.
    pub dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a server over a copy of the fixture.
pub async fn start_fixture_server() -> TestServer {
    let src = fixture_file().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("case.db");
    std::fs::copy(&src, &path).expect("copy fixture");
    start_server_on(dir, &path).await
}

/// Starts a server over a copy of the fixture, its connections held to `limits`.
pub async fn start_fixture_server_with(limits: dialtone::server::ConnLimits) -> TestServer {
    let src = fixture_file().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("case.db");
    std::fs::copy(&src, &path).expect("copy fixture");
    start_server_with(dir, &path, limits).await
}

/// Starts a server over the database file at `path` (kept alive by `dir`).
pub async fn start_server_on(dir: tempfile::TempDir, path: &Path) -> TestServer {
    start_server_with(dir, path, dialtone::server::ConnLimits::default()).await
}

/// The state a test server runs with (its own authenticator and budgets).
pub fn state_for(db: &Db, addr: SocketAddr, dir: &Path) -> AppState {
    AppState {
        leptos_options: leptos::config::LeptosOptions::builder().output_name("dialtone").site_addr(addr).build(),
        db: db.clone(),
        auth: Arc::new(Authenticator::new(7)),
        conf: ConfSettings::new(dir.join("asterisk-conf")),
        ami: Default::default(),
        anonymous_calls: Default::default(),
        first_gmt: Default::default(),
        assets: Default::default(),
    }
}

/// The state of a running test server (for calling server functions directly).
pub fn app_state(server: &TestServer) -> AppState {
    state_for(&server.db, server.addr, server.dir.path())
}

/// Starts the full router over the database file at `path` with Dialtone's own connection loop.
async fn start_server_with(dir: tempfile::TempDir, path: &Path, limits: dialtone::server::ConnLimits) -> TestServer {
    let db = Db::open(path.to_str().expect("utf-8"), Durability::Process).await.expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = dialtone::server::app(state_for(&db, addr, dir.path()));
    let task = tokio::spawn(dialtone::server::serve_connections(listener, router, limits, std::future::pending()));
    TestServer { addr, db, dir, task }
}

/// A response: status code and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header lines, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole response.
pub async fn http(addr: SocketAddr, method: &str, target: &str, body: Option<&str>) -> HttpResponse {
    http_with(addr, method, target, &[], body).await
}

/// [`http`] with extra request headers (`Cookie`, `Origin` ...).
pub async fn http_with(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpResponse {
    let stream = TcpStream::connect(addr).await.expect("connect");
    exchange(stream, addr, method, target, headers, body).await
}

/// [`http_with`] from the local address `from` (any of 127.0.0.0/8 on Linux), so a test can be
/// several clients.
pub async fn http_from(
    from: std::net::IpAddr,
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpResponse {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(from, 0)).expect("bind the client address");
    let stream = socket.connect(addr).await.expect("connect");
    exchange(stream, addr, method, target, headers, body).await
}

async fn exchange(
    mut stream: TcpStream,
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpResponse {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(b) = body {
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    // A server that never answers fails the test (naming the request) instead of hanging the run.
    tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut raw))
        .await
        .unwrap_or_else(|_| panic!("no answer to {method} {target} within 20 s"))
        .expect("read");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, rest) = text.split_once("\r\n\r\n").expect("http head");
    let mut lines = head.lines();
    let status: u16 = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let mut body = if chunked { dechunk(rest) } else { rest.to_string() };
    // In pages, Leptos marks where a dynamic text ends (`<!>`, with `erase_components`); the tests check
    // the text and the markup around it, so the markers are taken out.
    if headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("text/html")) {
        body = body.replace("<!>", "");
    }
    HttpResponse { status, headers, body }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// GET the legacy API with a raw query string.
pub async fn api_get(addr: SocketAddr, query: &str) -> HttpResponse {
    http(addr, "GET", &format!("/vicidial/non_agent_api.php?{query}"), None).await
}

/// Every stored phone, alias and server (the state a refused request must leave unchanged), as text.
pub async fn snapshot(db: &Db) -> String {
    let mut conn = db.reader().acquire().await.expect("conn");
    let mut out = String::new();
    for q in [
        "SELECT * FROM phones ORDER BY extension, server_ip",
        "SELECT * FROM phones_alias ORDER BY alias_id",
        "SELECT * FROM servers ORDER BY server_ip",
        "SELECT * FROM vicidial_conf_templates ORDER BY template_id",
    ] {
        for row in sqlx::query(q).fetch_all(&mut *conn).await.expect("snapshot") {
            for (i, c) in row.columns().iter().enumerate() {
                let v: Option<String> = row
                    .try_get::<Option<String>, _>(i)
                    .ok()
                    .flatten()
                    .or_else(|| row.try_get::<Option<i64>, _>(i).ok().flatten().map(|n| n.to_string()));
                out.push_str(&format!("{}={:?};", c.name(), v));
            }
            out.push('\n');
        }
    }
    out
}

/// One row of `table` where `key_col = key` (and `server_ip` when given), as column -> JSON value.
pub async fn row_json(
    db: &Db,
    table: &str,
    key_col: &str,
    key: &str,
    server_ip: Option<&str>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut conn = db.reader().acquire().await.expect("conn");
    let sql = match server_ip {
        Some(_) => format!("SELECT * FROM {table} WHERE {key_col} = ? AND server_ip = ?"),
        None => format!("SELECT * FROM {table} WHERE {key_col} = ?"),
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key);
    if let Some(ip) = server_ip {
        q = q.bind(ip);
    }
    let row = q.fetch_optional(&mut *conn).await.expect("row")?;
    let mut map = serde_json::Map::new();
    for (i, c) in row.columns().iter().enumerate() {
        let v = if let Ok(Some(n)) = row.try_get::<Option<i64>, _>(i) {
            serde_json::Value::from(n)
        } else if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
            serde_json::Value::from(s)
        } else {
            serde_json::Value::Null
        };
        map.insert(c.name().to_string(), v);
    }
    Some(map)
}

/// One case of a case table.
#[derive(Debug, Clone)]
pub struct Case {
    /// Id.
    pub id: String,
    /// `same`, `accept`, `reject`, `either`.
    pub policy: String,
    /// Query string.
    pub query: String,
    /// Expected body (same/accept) or prefix (reject); `\n` decoded.
    pub expected: String,
    /// Expected row JSON (may be empty, or `DELETED`).
    pub row: String,
    /// Requests sent before the case (query strings), each of which must succeed; from the optional
    /// `setup` column (space-separated; empty: none).
    pub setup: Vec<String>,
}

/// Reads a case table (TSV with `#` comments and a header line).
pub fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("column {name}"));
    let (id, policy, query, expected, row) =
        (col("case_id"), col("policy"), col("query"), col("expected_body_or_prefix"), col("expected_row_json"));
    let setup = header.iter().position(|h| *h == "setup");
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_string();
            Case {
                id: get(id),
                policy: get(policy),
                query: get(query),
                expected: get(expected).replace("\\n", "\n"),
                row: get(row),
                setup: setup.map(get).unwrap_or_default().split_whitespace().map(str::to_string).collect(),
            }
        })
        .collect()
}

/// The value of `name` in a query string (decoded).
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|p| p.split_once('=')).rfind(|(k, _)| *k == name).map(|(_, v)| {
        let plus = v.replace('+', " ");
        percent_encoding::percent_decode_str(&plus).decode_utf8_lossy().into_owned()
    })
}

/// Runs one case against a fresh fixture server over real HTTP and checks body, status and the stored
/// rows. Returns a description of the first mismatch.
pub async fn run_case(case: &Case) -> Result<(), String> {
    let server = start_fixture_server().await;
    for query in &case.setup {
        let res = api_get(server.addr, query).await;
        if !res.body.starts_with("SUCCESS:") {
            return Err(format!("case {}: setup request {query} answered {:?}", case.id, res.body));
        }
    }
    let before = snapshot(&server.db).await;
    let res = api_get(server.addr, &case.query).await;
    let after = snapshot(&server.db).await;
    let fail = |what: String| Err(format!("case {}: {what}\n  body: {:?}", case.id, res.body));
    let function = query_param(&case.query, "function").unwrap_or_default();
    let expect_status = if function.contains("coffee") { 418 } else { 200 };
    if res.status != expect_status {
        return fail(format!("status {} (want {expect_status})", res.status));
    }
    let success = res.body.starts_with("SUCCESS:");
    match case.policy.as_str() {
        "same" | "accept" => {
            if res.body != case.expected {
                return fail(format!("body differs, want {:?}", case.expected));
            }
        }
        "reject" => {
            if !res.body.starts_with(&case.expected) || !res.body.starts_with("ERROR:") {
                return fail(format!("want an ERROR line starting {:?}", case.expected));
            }
        }
        "prefix" => {
            if !res.body.starts_with(&case.expected) {
                return fail(format!("want a body starting {:?}", case.expected));
            }
        }
        "either" => {
            if res.body.is_empty() {
                return fail("empty body".into());
            }
        }
        other => return fail(format!("unknown policy {other}")),
    }
    if !success && before != after {
        return fail("a refused request changed stored data".into());
    }
    if !case.row.is_empty() {
        let (table, key_col, key, ip) = match function.as_str() {
            "add_phone_alias" | "update_phone_alias" => {
                ("phones_alias", "alias_id", query_param(&case.query, "alias_id"), None)
            }
            "server_refresh" => ("servers", "server_ip", Some("10.10.10.16".to_string()), None),
            _ => ("phones", "extension", query_param(&case.query, "extension"), query_param(&case.query, "server_ip")),
        };
        let key = key.unwrap_or_default();
        let stored = row_json(&server.db, table, key_col, &key, ip.as_deref()).await;
        if case.row == "DELETED" {
            if stored.is_some() {
                return fail(format!("{table} row {key} still stored"));
            }
        } else {
            let want: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&case.row).map_err(|e| format!("case {}: bad row json: {e}", case.id))?;
            let Some(stored) = stored else {
                return fail(format!("no {table} row {key} stored"));
            };
            for (k, v) in &want {
                if stored.get(k) != Some(v) {
                    return fail(format!("column {k}: stored {:?}, want {v}", stored.get(k)));
                }
            }
        }
    }
    Ok(())
}

/// Runs every case of a table, collecting failures.
pub async fn run_table(path: &Path) -> usize {
    let cases = read_cases(path);
    assert!(!cases.is_empty(), "no cases in {}", path.display());
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(case).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    cases.len()
}

/// A server spec with the default Asterisk version and no AMI.
pub fn server_spec<'a>(ip: &'a str, id: &'a str, description: &'a str, generate_conf: bool) -> NewServer<'a> {
    NewServer {
        server_ip: ip,
        server_id: id,
        description,
        generate_vicidial_conf: generate_conf,
        asterisk_version: admin::DEFAULT_ASTERISK_VERSION,
        ami: None,
    }
}

/// A response header's value (`name` lower-case).
pub fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Posts the web admin's sign-in form (same-origin).
pub async fn sign_in(addr: SocketAddr, user: &str, pass: &str) -> HttpResponse {
    let origin = format!("http://{addr}");
    let body = format!("user={user}&pass={pass}&next=%2F");
    http_with(addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(&body)).await
}

/// Signs in and returns the `Cookie` header value to send.
pub async fn session(addr: SocketAddr, user: &str, pass: &str) -> String {
    let r = sign_in(addr, user, pass).await;
    assert_eq!(r.status, 303, "{user}: {r:?}");
    let cookie = header(&r, "set-cookie").expect("set-cookie");
    cookie.split(';').next().expect("pair").to_string()
}

/// Calls a server function the way the hydrated page does: same-origin POST with a JSON body.
pub async fn server_fn_json(addr: SocketAddr, cookie: &str, endpoint: &str, body: &str) -> HttpResponse {
    let origin = format!("http://{addr}");
    let target = format!("/serverfn/{endpoint}");
    let headers = [
        ("Cookie", cookie),
        ("Origin", origin.as_str()),
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
    ];
    http_with(addr, "POST", &target, &headers, Some(body)).await
}
