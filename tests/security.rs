//! Regression tests for the holes an outside test of the running app found (issue 11), each over real
//! HTTP against a real SQLite file: hostile text in every path segment and query parameter, stored
//! secrets in a refused form, dot segments past the session guard, the sign-in redirect, the login
//! check as a password oracle, anonymous writes to the audit log, a lock that concurrent guesses
//! outran, an event stream that outlived its session, connections that were never timed out, HTTP 500
//! for client mistakes, and the hardening headers and file modes.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use common::{header, http_from, http_with, server_fn_json, session, start_fixture_server, TestServer};
use dialtone::domain::{validate_phone_entry, PhoneEntryInput, ProtocolSet};
use dialtone::service::admin::{self, UserSpec};
use dialtone::service::{phones, Actor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A phone with passwords no page may ever carry unasked.
const LOGIN_PW: &str = "Login7PwZq";
const REG_PW: &str = "Reg9SecretXq";

async fn add_secret_phone(server: &TestServer) {
    let input = PhoneEntryInput {
        phone_pass: LOGIN_PW.into(),
        registration_password: REG_PW.into(),
        ..common::phone("sec100", "seclogin", "10.10.10.15")
    };
    let entry = validate_phone_entry(&input, ProtocolSet::WebAdmin).expect("valid");
    phones::add_phone(&server.db, &Actor::cli(), &entry, "ADMIN ADD PHONE").await.expect("added");
}

/// Adds a web user (level 7+) with exactly the given rights.
async fn add_web_user(server: &TestServer, user: &str, pass: &str, ast_admin: bool, modify_phones: bool) {
    let spec = UserSpec {
        user,
        pass,
        level: 8,
        api_access: false,
        ast_admin,
        delete_phones: false,
        modify_phones,
        modify_servers: false,
        api_functions: " ALL_FUNCTIONS ",
        active: true,
    };
    admin::add_user(&server.db, &Actor::cli(), &spec).await.expect("user");
}

async fn audit_rows(server: &TestServer, filter: &str) -> Vec<(String, String, String, String)> {
    let mut conn = server.db.reader().acquire().await.expect("conn");
    let sql = format!(
        "SELECT user, event_code, record_id, event_notes || ' ' || event_diff FROM vicidial_admin_log WHERE {filter} \
         ORDER BY admin_log_id"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await.expect("audit")
}

/// The script nonce of a page's Content-Security-Policy.
fn csp_nonce(r: &common::HttpResponse) -> Option<String> {
    let csp = header(r, "content-security-policy")?;
    csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).map(str::to_string)
}

fn origin(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

/// Posts a form as a page of the site would (same origin, signed in).
async fn post_form(server: &TestServer, cookie: &str, target: &str, body: &str) -> common::HttpResponse {
    let origin = origin(server);
    http_with(server.addr, "POST", target, &[("Cookie", cookie), ("Origin", &origin)], Some(body)).await
}

// ---------------------------------------------------------------------------------------------------
// 1. Request text in <title> (and anywhere else in the page).

/// Markup that would run if it reached the page unescaped: closing `<title>`, closing `<script>`, and
/// leaving an attribute.
const PAYLOADS: &[&str] =
    &["</title><img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", "\"><svg onload=alert(3)>"];

/// What each payload looks like if it was not escaped.
const UNESCAPED: &[&str] = &["<img src=x", "<script>alert(2)", "<svg onload", "\"><svg"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_in_every_path_segment_and_query_parameter_is_escaped() {
    let server = start_fixture_server().await;
    let cookie = session(server.addr, "apiadmin", "apipass1").await;
    // Every page, with `{}` where request text goes: each path segment a page reads and each query
    // parameter it reads (plus one it does not).
    let pages = [
        "/?x={}",
        "/sign-in?next={}&error={}",
        "/phones?q={}&proto={}&server={}&status={}&reg={}&sort={}&dir={}&page={}&per={}&deleted={}",
        "/phones/new?copy={}",
        "/phones/new?copy=10.10.10.15/{}",
        "/phones/{}/{}",
        "/phones/10.10.10.15/{}",
        "/phones/10.10.10.15/seed100?deleted={}&x={}",
        "/phones/{}/{}/edit",
        "/phones/10.10.10.15/{}/edit",
        "/phones/{}/{}/flow",
        "/phones/10.10.10.15/{}/flow",
        "/login-check?x={}",
        "/remote-agents?server={}&group={}&page={}",
        "/servers?x={}",
        "/servers/new?x={}",
        "/servers/{}",
        "/servers/{}?added={}&saved={}",
        "/servers/10.10.10.15?saved={}",
        "/servers/{}/conf/{}",
        "/carriers?deleted={}",
        "/carriers/new?x={}",
        "/carriers/{}",
        "/carriers/{}?number={}",
        "/{}",
    ];
    let mut checked = 0;
    for payload in PAYLOADS {
        let encoded = dialtone::domain::phone_list::encode_component(payload);
        for page in pages {
            let target = page.replace("{}", &encoded);
            for cookie in [Some(cookie.as_str()), None] {
                let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("Cookie", c)]).unwrap_or_default();
                let r = http_with(server.addr, "GET", &target, &headers, None).await;
                assert!(r.status < 500, "{target}: HTTP {}", r.status);
                for bad in UNESCAPED {
                    assert!(!r.body.contains(bad), "{target} (signed in: {}) reflected {bad:?}", cookie.is_some());
                }
                if let Some(location) = header(&r, "location") {
                    assert!(!location.contains('<') && !location.contains('"'), "{target}: Location {location}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, PAYLOADS.len() * pages.len() * 2);
    // The titles still say what the page is, with the text escaped.
    let r = http_with(server.addr, "GET", "/carriers/a%3Cb%26c", &[("Cookie", &cookie)], None).await;
    assert!(r.body.contains("<title>Carrier a&lt;b&amp;c · Dialtone</title>"), "{}", r.body);
}

// ---------------------------------------------------------------------------------------------------
// 2. Stored secrets in a refused no-JavaScript edit.

#[tokio::test]
async fn a_refused_edit_never_carries_the_stored_passwords() {
    let server = start_fixture_server().await;
    add_secret_phone(&server).await;
    add_web_user(&server, "phoneonly", "phoneonly1", false, true).await;
    for (user, pass) in [("phoneonly", "phoneonly1"), ("apiadmin", "apipass1")] {
        let cookie = session(server.addr, user, pass).await;
        for body in [
            "phone_full_name=Bad%3Cname",
            "phone_full_name=Bad%3Cname&phone_pass=&registration_password=",
            "phone_full_name=Bad%3Cname&extension=sec100&phone_login=seclogin&protocol=SIP",
        ] {
            let before = common::snapshot(&server.db).await;
            let r = post_form(&server, &cookie, "/phones/10.10.10.15/sec100/edit", body).await;
            assert_eq!(r.status, 200, "{user} {body}: {}", r.status);
            assert!(r.body.contains("Not saved"), "{user} {body}: the form comes back with the errors");
            for secret in [LOGIN_PW, REG_PW] {
                assert!(!r.body.contains(secret), "{user} {body}: the page carries a stored password");
            }
            assert_eq!(common::snapshot(&server.db).await, before, "nothing stored");
        }
    }
    assert!(audit_rows(&server, "event_code LIKE '%REVEAL%'").await.is_empty(), "no reveal happened");
}

// ---------------------------------------------------------------------------------------------------
// 3. Dot segments past the session guard.

#[tokio::test]
async fn dot_segments_never_pass_the_session_guard() {
    let server = start_fixture_server().await;
    for target in [
        "/vicidial/../",
        "/vicidial/..",
        "/pkg/..",
        "/pkg/../",
        "/pkg/./../",
        "/vicidial/%2e%2e/",
        "/vicidial/%2E%2E",
        "/pkg/%2e%2e/servers",
        "/pkg/.%2e/phones",
        "/vicidial/../servers",
        "/pkg/../carriers",
        "/favicon.ico/..",
        "/vicidial/non_agent_api.php/../../",
        "/pkg//../",
        "/pkg/..%2f",
        "/pkg/..%5c",
    ] {
        for method in ["GET", "HEAD"] {
            let r = http_with(server.addr, method, target, &[], None).await;
            assert!(
                !(200..300).contains(&r.status),
                "{method} {target}: HTTP {} for an anonymous request: {}",
                r.status,
                r.body.chars().take(200).collect::<String>()
            );
            assert!(!r.body.contains("10.10.10.15") && !r.body.contains("TESTast"), "{method} {target} leaked");
        }
    }
    // What the allow-list lets through still works.
    assert_eq!(http_with(server.addr, "GET", "/sign-in", &[], None).await.status, 200);
    let api = common::api_get(server.addr, "source=test&user=apiadmin&pass=apipass1&function=version").await;
    assert!(api.body.starts_with("VERSION: "));
}

/// Every server function checks the viewer itself, not only the guard in front of it: called with the
/// app's state but no signed-in user, each refuses.
#[tokio::test]
async fn server_functions_check_the_viewer_themselves() {
    use dialtone::app::AppError;
    use leptos::prelude::*;
    let server = start_fixture_server().await;
    let state = common::app_state(&server);
    let owner = Owner::new();
    owner.with(|| provide_context(state.clone()));
    let overview = owner.with(|| leptos::reactive::computed::ScopedFuture::new(dialtone::app::get_overview())).await;
    assert_eq!(overview.map(|_| ()), Err(AppError::SignIn));
    let viewer = owner.with(|| leptos::reactive::computed::ScopedFuture::new(dialtone::app::get_viewer())).await;
    assert_eq!(viewer, Ok(None), "get_viewer answers who is signed in: nobody");
}

// ---------------------------------------------------------------------------------------------------
// 4. The redirect after sign-in.

#[tokio::test]
async fn sign_in_only_returns_to_strict_local_paths() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let origin = origin(&server);
    let cases: &[(&str, &str)] = &[
        ("%2Fphones%3Fq%3Dsmith", "/phones?q=smith"),
        ("%2F%09%2Fevil.example%2F", "/"),
        ("%2F%0A%2Fevil.example%2F", "/"),
        ("%2F%0D%2Fevil.example%2F", "/"),
        ("%2F%5C%2Fevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("%2F%01", "/"),
        ("%2F%7F", "/"),
        ("%2Fa%C2%A0b", "/"),
        ("%2F%20%2Fevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2F%252F%252Fevil.example", "/"),
        ("%2Fphones%3Fq%3D%2525", "/"),
        ("%2Fphones%3Fq%3DJos%25C3%25A9", "/phones?q=Jos%C3%A9"),
        ("%2Fauth%2Fsign-in", "/"),
    ];
    for (i, (next, want)) in cases.iter().enumerate() {
        // A fresh user per case keeps the sign-in throttle out of the way.
        let user = format!("redir{i}");
        add_web_user(&server, &user, "redirpass1", false, false).await;
        let body = format!("user={user}&pass=redirpass1&next={next}");
        let r = http_with(addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(&body)).await;
        assert_eq!((r.status, header(&r, "location")), (303, Some(*want)), "next={next}");
        // The sign-in page offers only what the POST would follow.
        let page = http_with(addr, "GET", &format!("/sign-in?next={next}"), &[], None).await;
        assert_eq!(page.status, 200, "next={next}");
        assert!(
            page.body.contains(&format!("name=\"next\" value=\"{}\"", want.replace('&', "&amp;"))),
            "next={next}: {}",
            page.body
        );
    }
    // A refused sign-in keeps a safe `next` and drops a hostile one.
    let body = "user=apiadmin&pass=wrong&next=%2F%09%2Fevil.example%2F";
    let r = http_with(addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(body)).await;
    assert_eq!(header(&r, "location"), Some("/sign-in?error=refused&next=%2F"));
}

// ---------------------------------------------------------------------------------------------------
// 5. The login check as a password oracle.

#[tokio::test]
async fn the_login_check_is_limited_audited_and_hides_the_registration_password_hint() {
    let server = start_fixture_server().await;
    add_secret_phone(&server).await;
    add_web_user(&server, "viewer1", "viewerpass1", false, false).await;
    add_web_user(&server, "viewer2", "viewerpass2", false, false).await;
    let admin = session(server.addr, "apiadmin", "apipass1").await;
    let v1 = session(server.addr, "viewer1", "viewerpass1").await;
    let v2 = session(server.addr, "viewer2", "viewerpass2").await;
    let check = |cookie: String, login: &'static str, password: &'static str| {
        let server = &server;
        async move {
            let body = format!("login={login}&password={password}");
            post_form(server, &cookie, "/login-check", &body).await
        }
    };
    // Typing the registration password: only a user who may reveal secrets is told it is that.
    let r = check(v1.clone(), "seclogin", REG_PW).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Wrong phone password"), "{}", r.body);
    assert!(!r.body.contains("registration password; the agent screen"), "a viewer learns it is the reg password");
    let wrong = check(v1.clone(), "seclogin", "nope").await;
    // The two pages differ only in their script nonce.
    let strip = |r: &common::HttpResponse| match csp_nonce(r) {
        Some(nonce) => r.body.replace(&nonce, ""),
        None => r.body.clone(),
    };
    assert_eq!(strip(&r), strip(&wrong), "a viewer cannot tell the two answers apart");
    let r = check(admin.clone(), "seclogin", REG_PW).await;
    assert!(r.body.contains("The password typed is the registration password"), "an admin is told");

    // Five a minute per user: viewer1 has used two; three more pass, the sixth is refused unchecked.
    for _ in 0..3 {
        assert_eq!(check(v1.clone(), "seedlogin", "guess").await.status, 200);
    }
    let refused = check(v1.clone(), "seedlogin", "test").await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.body.contains("Too many login checks"), "{}", refused.body);
    assert!(!refused.body.contains("Wrong phone password") && !refused.body.contains("match this phone"));
    // Five a minute per phone login: seclogin has had three (two by viewer1, one by the admin);
    // viewer2 gets two more, then is refused although viewer2 made only two.
    for _ in 0..2 {
        assert_eq!(check(v2.clone(), "seclogin", "guess").await.status, 200);
    }
    assert_eq!(check(v2.clone(), "seclogin", LOGIN_PW).await.status, 429);
    // The flow page's simulation shares the limits.
    let r = post_form(&server, &v2, "/phones/10.10.10.15/sec100/flow", "login=seclogin&password=x").await;
    assert_eq!(r.status, 429);

    // A form that cannot be checked says why, names the field, and counts and audits nothing.
    let long = post_form(&server, &admin, "/login-check", &format!("login={}&password=x", "l".repeat(21))).await;
    assert_eq!(long.status, 400);
    assert!(long.body.contains("the phone login or alias must be 1 to 20 characters"), "{}", long.body);
    let missing = post_form(&server, &admin, "/phones/10.10.10.15/sec100/flow", "login=seclogin").await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("send the phone login or alias and the login password"), "{}", missing.body);
    // Every attempt is audited (never the password), refused ones too.
    let audit = audit_rows(&server, "event_code LIKE 'LOGIN CHECK%'").await;
    assert_eq!(audit.len(), 11, "{audit:?}");
    assert_eq!(audit.iter().filter(|a| a.1 == "LOGIN CHECK REFUSED").count(), 3, "{audit:?}");
    for row in &audit {
        let text = format!("{row:?}");
        for secret in [LOGIN_PW, REG_PW, "guess", "nope"] {
            assert!(!text.contains(secret), "audit holds a typed password: {text}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// 6. Anonymous writes to the audit table.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_api_calls_cannot_grow_the_audit_log_without_limit() {
    let server = start_fixture_server().await;
    let names: Vec<String> = (0..400).map(|i| format!("{}{i}=1", "n".repeat(100))).collect();
    let body = format!("source=test&user=nobody&pass=x&function=add_phone&{}", names.join("&"));
    let count = || async {
        let mut conn = server.db.reader().acquire().await.expect("conn");
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT count(*), coalesce(sum(length(event_notes) + length(event_diff) + length(record_id) \
             + length(user)), 0) FROM vicidial_admin_log",
        )
        .fetch_one(&mut *conn)
        .await
        .expect("count")
    };
    let (rows_before, bytes_before) = count().await;
    for _ in 0..300 {
        let r = http_with(server.addr, "POST", "/vicidial/non_agent_api.php", &[], Some(&body)).await;
        assert!(r.body.starts_with("ERROR: Login incorrect"), "{}", r.body);
    }
    for _ in 0..300 {
        let r = common::api_get(server.addr, "function=version").await;
        assert!(r.body.starts_with("VERSION: "), "{}", r.body);
    }
    let (rows, bytes) = count().await;
    let (added_rows, added_bytes) = (rows - rows_before, bytes - bytes_before);
    assert!(added_rows <= 70, "600 anonymous calls added {added_rows} audit rows");
    assert!(added_bytes <= 70 * 1200, "600 anonymous calls added {added_bytes} bytes of audit text");

    // An authenticated call stores one compact row: names capped in count and length.
    let body = format!("source=test&user=apiadmin&pass=apipass1&function=server_refresh&{}", names.join("&"));
    let r = http_with(server.addr, "POST", "/vicidial/non_agent_api.php", &[], Some(&body)).await;
    assert!(!r.body.is_empty());
    let row = audit_rows(&server, "user = 'apiadmin' AND event_section = 'API'").await;
    let last = row.last().expect("the call is logged");
    assert!(last.3.len() <= 1200, "{} bytes: {}", last.3.len(), last.3);
    assert!(last.3.contains("more"), "says how many names were left out: {}", last.3);
}

// ---------------------------------------------------------------------------------------------------
// 7. The lock, under concurrency, and the sign-in throttle per address.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_check_at_most_ten() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let mut tasks = Vec::new();
    for i in 0..32 {
        tasks.push(tokio::spawn(async move {
            common::api_get(addr, &format!("source=test&user=apiadmin&pass=wrong{i}&function=add_phone")).await
        }));
    }
    let mut checked = 0;
    for t in tasks {
        let body = t.await.expect("task").body;
        if body.starts_with("ERROR: Login incorrect") {
            checked += 1;
        } else {
            assert!(body.starts_with("ERROR: Too many login attempts"), "{body}");
        }
    }
    assert!(checked <= 10, "{checked} of 32 concurrent wrong passwords were checked");
    // Sequentially, from an account not used for a long time: ten checks, then the lock (VICIdial's
    // count restart would have allowed twenty).
    let mut checked = 0;
    for i in 0..25 {
        let r = common::api_get(addr, &format!("source=test&user=level8&pass=bad{i}&function=add_phone")).await;
        if r.body.starts_with("ERROR: Login incorrect") {
            checked += 1;
        }
    }
    assert_eq!(checked, 10);
    let r = common::api_get(addr, "source=test&user=level8&pass=level8pass&function=version").await;
    assert!(r.body.starts_with("VERSION"), "version needs no login");
    let r = common::api_get(addr, "source=test&user=level8&pass=level8pass&function=add_phone").await;
    assert!(r.body.starts_with("ERROR: Too many login attempts"), "locked even with the right password: {}", r.body);
}

#[tokio::test]
async fn repeated_failed_sign_ins_from_one_address_are_slowed_down() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let origin = origin(&server);
    let attacker = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let admin_pc = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    let try_sign_in = |from: IpAddr, pass: &'static str| {
        let origin = origin.clone();
        async move {
            let body = format!("user=apiadmin&pass={pass}&next=%2F");
            http_from(from, addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(&body)).await
        }
    };
    let start = Instant::now();
    let mut refused_unchecked = 0;
    for _ in 0..12 {
        let r = try_sign_in(attacker, "guess").await;
        match header(&r, "location") {
            Some("/sign-in?error=refused&next=%2F") => {}
            Some(l) if l.starts_with("/sign-in?error=slow") => refused_unchecked += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(refused_unchecked >= 9, "only {refused_unchecked} of 12 quick failures were held back");
    // The account is not locked by that burst: the admin signs in from another address.
    let r = try_sign_in(admin_pc, "apipass1").await;
    assert_eq!(header(&r, "location"), Some("/"), "the admin is locked out by one address's burst");
    let page = http_with(addr, "GET", "/sign-in?error=slow&next=%2F", &[], None).await;
    assert!(page.body.contains("Too many failed sign-ins from your address"), "{}", page.body);
}

// ---------------------------------------------------------------------------------------------------
// 8. The login path's event stream after the session ends.

/// Opens a flow event stream and returns the connection after the first event arrived.
async fn open_stream(server: &TestServer, cookie: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let req = format!(
        "GET /phones/10.10.10.15/seed100/flow/events HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nAccept: \
         text/event-stream\r\nConnection: close\r\n\r\n",
        server.addr
    );
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("event: flow") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("first event in time")
            .expect("read");
        assert!(n > 0, "closed before the first event: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    (stream, seen)
}

/// Reads until the server closes the stream; returns what came and how long it took.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let start = Instant::now();
    let mut rest = String::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (rest, start.elapsed()),
            Ok(Ok(n)) => rest.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(_) => panic!("the stream was still open after {limit:?}: {rest}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flow_stream_ends_with_the_session() {
    let server = start_fixture_server().await;
    // Signing out ends it.
    let cookie = session(server.addr, "apiadmin", "apipass1").await;
    let (mut stream, _) = open_stream(&server, &cookie).await;
    let origin = origin(&server);
    let r =
        http_with(server.addr, "POST", "/auth/sign-out", &[("Cookie", &cookie), ("Origin", &origin)], Some("")).await;
    assert_eq!(r.status, 303);
    // A change after the sign-out must not reach the stream.
    phones::update_phone(&server.db, &Actor::cli(), "seed100", "10.10.10.15", |p| p.active = "N".into(), "TEST")
        .await
        .expect("update");
    let (rest, took) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(!rest.contains("event: flow"), "phone data after sign-out: {rest}");
    assert!(took < Duration::from_secs(3), "closed after {took:?}");

    // Deactivating the user ends it.
    let cookie = session(server.addr, "level8", "level8pass").await;
    let (mut stream, _) = open_stream(&server, &cookie).await;
    {
        let mut tx = server.db.write().await.expect("tx");
        sqlx::query("UPDATE vicidial_users SET active = 'N' WHERE user = 'level8'")
            .execute(&mut *tx)
            .await
            .expect("deactivate");
        tx.commit().await.expect("commit");
    }
    phones::update_phone(&server.db, &Actor::cli(), "seed100", "10.10.10.15", |p| p.active = "Y".into(), "TEST")
        .await
        .expect("update");
    let (rest, took) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(!rest.contains("event: flow"), "phone data after deactivation: {rest}");
    assert!(took < Duration::from_secs(3), "closed after {took:?}");
}

// ---------------------------------------------------------------------------------------------------
// 9. Read timeouts and the connection cap.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_trickling_connections_are_closed() {
    let limits = dialtone::server::ConnLimits {
        header_timeout: Duration::from_millis(800),
        body_timeout: Duration::from_millis(800),
        idle_timeout: Duration::from_millis(1500),
        max_connections: 4,
    };
    let server = common::start_fixture_server_with(limits).await;
    let closes_within = |limit: Duration| async move {
        let start = Instant::now();
        (start, limit)
    };
    // Nothing sent at all.
    let mut idle = TcpStream::connect(server.addr).await.expect("connect");
    let (start, limit) = closes_within(Duration::from_secs(3)).await;
    let mut buf = Vec::new();
    tokio::time::timeout(limit, idle.read_to_end(&mut buf)).await.expect("idle connection closed").ok();
    assert!(start.elapsed() >= Duration::from_millis(700));
    // Headers trickled a byte at a time, never finished.
    let mut slow = TcpStream::connect(server.addr).await.expect("connect");
    let start = Instant::now();
    let mut closed = false;
    for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter() {
        if slow.write_all(&[*b]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !closed {
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(2), slow.read_to_end(&mut rest)).await.expect("closed").ok();
    }
    assert!(start.elapsed() < Duration::from_secs(5), "trickled headers held the connection");
    // A body shorter than its Content-Length.
    let mut short = TcpStream::connect(server.addr).await.expect("connect");
    short
        .write_all(
            b"POST /vicidial/non_agent_api.php HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100\r\n\r\nfunction=version",
        )
        .await
        .expect("write");
    let start = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(4), short.read_to_end(&mut answer)).await.expect("short body closed").ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(start.elapsed() < Duration::from_secs(3));
    // The cap: four idle connections hold every slot; a fifth is served only once they are closed.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(server.addr).await.expect("connect");
        s.write_all(b"GET /sign-in HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        held.push(s);
    }
    let fifth = tokio::spawn({
        let addr = server.addr;
        async move {
            let start = Instant::now();
            let r = http_with(addr, "GET", "/sign-in", &[], None).await;
            (r.status, start.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!fifth.is_finished(), "a fifth connection was served beyond the cap of four");
    drop(held);
    let (status, took) = fifth.await.expect("fifth");
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(5));
}

// ---------------------------------------------------------------------------------------------------
// 10. Client mistakes are 4xx.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_server_function_calls_and_refusals_are_not_500() {
    let server = start_fixture_server().await;
    let admin = session(server.addr, "apiadmin", "apipass1").await;
    let endpoints_with_args = [
        "get_phone_page",
        "reveal_phone_secret",
        "delete_phone_entry",
        "get_phone_list",
        "get_phone_flow",
        "get_remote_agents",
        "phone_form_setup",
        "preview_phone_conf",
        "save_phone_form",
        "get_server",
        "get_carrier",
        "add_server",
        "update_server",
        "add_carrier",
        "update_carrier",
        "delete_carrier",
    ];
    for endpoint in endpoints_with_args {
        for body in ["{not json", "[1,2,3]", "{\"server_ip\": 7}", "\u{0}\u{1}", "null"] {
            let r = server_fn_json(server.addr, &admin, endpoint, body).await;
            assert!(
                (400..500).contains(&r.status),
                "{endpoint} with {body:?}: HTTP {}: {}",
                r.status,
                r.body.chars().take(200).collect::<String>()
            );
        }
    }
    // Refusals: 403 for a signed-in user without the right.
    add_web_user(&server, "lookonly", "lookonly1", false, false).await;
    let look = session(server.addr, "lookonly", "lookonly1").await;
    for (endpoint, body) in [
        ("reveal_phone_secret", r#"{"server_ip":"10.10.10.15","extension":"seed100","field":"PhonePass"}"#),
        ("new_registration_password", ""),
        ("load_demo_data", ""),
    ] {
        let r = server_fn_json(server.addr, &look, endpoint, body).await;
        assert_eq!(r.status, 403, "{endpoint}: {}", r.body);
    }
    let form = "server_ip=10.10.10.15&extension=seed100";
    let r = http_with(
        server.addr,
        "POST",
        "/serverfn/delete_phone_entry",
        &[("Cookie", &look), ("Origin", &origin(&server)), ("Accept", "application/json")],
        Some(form),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Signed out: 401 (the guard).
    let r = http_with(
        server.addr,
        "POST",
        "/serverfn/get_phone_page",
        &[("Origin", &origin(&server)), ("Content-Type", "application/json")],
        Some("{}"),
    )
    .await;
    assert_eq!(r.status, 401);
}

// ---------------------------------------------------------------------------------------------------
// 11. Hardening: headers, file modes, what a failed sign-in stores.

#[tokio::test]
async fn pages_send_the_security_headers_and_a_csp_that_names_their_scripts() {
    let server = start_fixture_server().await;
    let cookie = session(server.addr, "apiadmin", "apipass1").await;
    for target in ["/", "/phones", "/phones/new", "/phones/10.10.10.15/seed100", "/servers", "/sign-in"] {
        let r = http_with(server.addr, "GET", target, &[("Cookie", &cookie)], None).await;
        assert_eq!(r.status, 200, "{target}");
        let csp = header(&r, "content-security-policy").unwrap_or_else(|| panic!("{target}: no CSP"));
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "'wasm-unsafe-eval'",
        ] {
            assert!(csp.contains(directive), "{target}: CSP lacks {directive}: {csp}");
        }
        assert!(!csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'") && !csp.contains('*'), "{csp}");
        assert_eq!(header(&r, "x-frame-options"), Some("DENY"), "{target}");
        assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"), "{target}");
        assert_eq!(header(&r, "referrer-policy"), Some("same-origin"), "{target}");
        assert_eq!(header(&r, "cache-control"), Some("no-store"), "{target}");
        // Every inline script carries this response's nonce.
        let nonce = csp_nonce(&r).expect("a script nonce");
        assert!(nonce.len() >= 16, "{nonce}");
        let scripts = r.body.matches("<script").count();
        let with_nonce = r.body.matches(&format!("nonce=\"{nonce}\"")).count();
        assert!(scripts > 0 && with_nonce >= scripts, "{target}: {scripts} scripts, {with_nonce} with the nonce");
    }
    // A second response gets another nonce.
    let a = http_with(server.addr, "GET", "/sign-in", &[], None).await;
    let b = http_with(server.addr, "GET", "/sign-in", &[], None).await;
    assert_ne!(header(&a, "content-security-policy"), header(&b, "content-security-policy"));
    // The legacy API's lines may hold no active content, and keep VICIdial's cache headers.
    let api = common::api_get(server.addr, "function=version").await;
    assert_eq!(header(&api, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&api, "content-security-policy"), Some("default-src 'none'; frame-ancestors 'none'"));
    assert_eq!(header(&api, "cache-control"), Some("no-cache, must-revalidate"));
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_and_the_conf_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new.db");
    let db = dialtone::storage::Db::open(path.to_str().expect("utf-8"), dialtone::storage::Durability::Process)
        .await
        .expect("open");
    let cli = Actor::cli();
    admin::add_server(&db, &cli, &common::server_spec("10.10.10.15", "ast1", "one", true)).await.expect("server");
    let entry = validate_phone_entry(&common::phone("cc1", "cc1", "10.10.10.15"), ProtocolSet::WebAdmin).expect("ok");
    phones::add_phone(&db, &cli, &entry, "ADMIN ADD PHONE").await.expect("phone");
    let conf_dir = dir.path().join("conf");
    let settings = dialtone::service::conf::ConfSettings::new(conf_dir.clone());
    dialtone::service::conf::run_pass(&db, &settings).await.expect("generate");
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let p = entry.expect("entry").path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if name.starts_with("new.db") {
            assert_eq!(mode(&p), 0o600, "{name}");
        }
    }
    assert_eq!(mode(&conf_dir), 0o700);
    let server_dir = conf_dir.join("10.10.10.15");
    assert_eq!(mode(&server_dir), 0o700);
    let mut files = 0;
    for entry in std::fs::read_dir(&server_dir).expect("conf files") {
        let p = entry.expect("entry").path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
        files += 1;
    }
    assert!(files >= 2);
    db.close().await;
}

#[tokio::test]
async fn a_failed_sign_in_stores_only_user_names_that_exist() {
    let server = start_fixture_server().await;
    let origin = origin(&server);
    for user in ["<script>x</script>", "Robert'); DROP TABLE", "someone-else", "level8"] {
        let body = format!("user={}&pass=wrong&next=%2F", dialtone::domain::phone_list::encode_component(user));
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, user.len() as u8));
        http_from(from, server.addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(&body)).await;
    }
    let rows = audit_rows(&server, "event_code = 'WEB SIGN-IN FAILED'").await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    let users: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(users, ["(unknown user)", "(unknown user)", "(unknown user)", "level8"], "{rows:?}");
    for row in &rows {
        let text = format!("{row:?}");
        assert!(!text.contains("script") && !text.contains("DROP") && !text.contains("someone"), "{text}");
    }
}
