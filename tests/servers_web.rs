//! The web admin's servers pages over real HTTP against the real router and a real SQLite file: who
//! may add and edit (`modify_servers`, enforced by the server functions), refusals that name the field
//! and store nothing (with JavaScript and without, where the error comes back through the URL), the
//! audited, secret-free edit that marks a conf rebuild, and the conf file downloads (session, right,
//! path checks).

mod common;

use std::net::SocketAddr;

use common::ami::{closed_port, AmiTestServer, TEST_SECRET, TEST_USER};
use common::{http_with, snapshot, start_fixture_server, HttpResponse, TestServer};
use dialtone::service::conf::{self, ConfSettings};

/// The AMI secret used below; it must never show up in pages, URLs or the audit log.
const SECRET: &str = "AmiS3cretXyz";

fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Signs in and returns the `Cookie` header value to send.
async fn session(addr: SocketAddr, user: &str, pass: &str) -> String {
    let origin = format!("http://{addr}");
    let body = format!("user={user}&pass={pass}&next=%2F");
    let r = http_with(addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(&body)).await;
    assert_eq!(r.status, 303, "{user}: {r:?}");
    let cookie = header(&r, "set-cookie").expect("set-cookie");
    cookie.split(';').next().expect("pair").to_string()
}

async fn get(addr: SocketAddr, cookie: &str, target: &str) -> HttpResponse {
    http_with(addr, "GET", target, &[("Cookie", cookie)], None).await
}

/// Calls a server function the way the hydrated page does (no `Accept: text/html`).
async fn call(addr: SocketAddr, cookie: &str, endpoint: &str, body: &str) -> HttpResponse {
    let origin = format!("http://{addr}");
    http_with(addr, "POST", &format!("/serverfn/{endpoint}"), &[("Cookie", cookie), ("Origin", &origin)], Some(body))
        .await
}

/// Posts a form the way a browser without JavaScript does (HTML accepted, the page as `Referer`).
async fn post_form(addr: SocketAddr, cookie: &str, endpoint: &str, page: &str, body: &str) -> HttpResponse {
    let origin = format!("http://{addr}");
    let referer = format!("http://{addr}{page}");
    let headers = [
        ("Cookie", cookie),
        ("Origin", origin.as_str()),
        ("Referer", referer.as_str()),
        ("Accept", "text/html,application/xhtml+xml"),
    ];
    http_with(addr, "POST", &format!("/serverfn/{endpoint}"), &headers, Some(body)).await
}

/// A complete form body (as the add form sends it) with `overrides` replacing fields.
fn form(overrides: &[(&str, &str)]) -> String {
    let mut fields: Vec<(&str, String)> = [
        ("server_ip", "10.20.30.40"),
        ("server_id", "web1"),
        ("server_description", "Added from the web"),
        ("active", "Y"),
        ("asterisk_version", "18.21.0-vici"),
        ("active_asterisk_server", "Y"),
        ("generate_vicidial_conf", "Y"),
        ("active_agent_login_server", "Y"),
        ("ext_context", "default"),
        ("external_server_ip", ""),
        ("web_socket_url", ""),
        ("allowed_sip_stacks", "SIP"),
        ("local_gmt", "-5.00"),
        ("ami_host", ""),
        ("ami_port", "5038"),
        ("ami_user", "cron"),
        ("ami_secret", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    for (k, v) in overrides {
        match fields.iter_mut().find(|(name, _)| name == k) {
            Some(field) => field.1 = v.to_string(),
            None => fields.push((k, v.to_string())),
        }
    }
    // "-" stands for an unticked checkbox, which a browser does not send at all.
    fields
        .into_iter()
        .filter(|(_, v)| v != "-")
        .map(|(k, v)| {
            let v = percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC);
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn scalar(server: &TestServer, sql: &'static str, bind: &str) -> Option<String> {
    let mut conn = server.db.reader().acquire().await.expect("conn");
    sqlx::query_scalar(sql).bind(bind).fetch_optional(&mut *conn).await.expect("query")
}

/// Every audit entry about servers, as `code diff notes` lines.
async fn server_audit(server: &TestServer) -> Vec<String> {
    let mut conn = server.db.reader().acquire().await.expect("conn");
    sqlx::query_scalar(
        "SELECT event_code || ' ' || event_diff || ' ' || event_notes FROM vicidial_admin_log \
         WHERE event_section = 'SERVERS' ORDER BY admin_log_id",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("audit")
}

/// Decodes URL-safe base64 (the encoding of a server function error in a form-redirect URL).
fn base64url(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' | b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = text.bytes().filter(|c| *c != b'=').map(value).collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, v)| acc | (u32::from(*v) << (18 - 6 * i)));
        out.extend(n.to_be_bytes()[1..chunk.len()].iter());
    }
    out
}

/// The decoded `__err` of a form-redirect location.
fn redirect_error(location: &str) -> String {
    let encoded = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("__err="))
        .unwrap_or_else(|| panic!("no __err in {location}"));
    let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy().into_owned();
    String::from_utf8(base64url(&decoded)).expect("utf-8 error")
}

/// The path and query of an absolute redirect location.
fn local(location: &str) -> &str {
    location.find("/servers").map_or(location, |i| &location[i..])
}

#[tokio::test]
async fn viewing_needs_a_session_and_managing_needs_modify_servers() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    // Signed out: the pages redirect to the sign-in page, the server functions answer 401.
    let r = http_with(addr, "GET", "/servers", &[], None).await;
    assert_eq!((r.status, header(&r, "location")), (303, Some("/sign-in?next=%2Fservers")));
    let origin = format!("http://{addr}");
    let r = http_with(addr, "POST", "/serverfn/add_server", &[("Origin", &origin)], Some(&form(&[]))).await;
    assert_eq!(r.status, 401);

    // level8 (ast_admin_access, no modify_servers) may look but not change.
    let cookie = session(addr, "level8", "level8pass").await;
    let list = get(addr, &cookie, "/servers").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("<h1>Servers</h1>") && list.body.contains("href=\"/servers/10.10.10.15\""));
    assert!(list.body.contains("TESTast2") && list.body.contains("18.21.0-vici"));
    assert!(!list.body.contains("Add a server"), "not offered without modify_servers");
    let page = get(addr, &cookie, "/servers/10.10.10.15").await;
    assert!(page.body.contains("Server TESTast") && page.body.contains("needs server rights (modify_servers)"));
    assert!(!page.body.contains("Save changes") && !page.body.contains("action=\"/serverfn/update_server\""));
    let new = get(addr, &cookie, "/servers/new").await;
    assert!(new.body.contains("may not add servers (needs modify_servers)"));
    assert!(!new.body.contains("action=\"/serverfn/add_server\""));

    let before = snapshot(&server.db).await;
    let r = call(addr, &cookie, "add_server", &form(&[])).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("may not add or change servers (needs modify_servers)"), "{}", r.body);
    let edit = form(&[("server_ip", "10.10.10.15"), ("server_id", "TESTast"), ("server_description", "hijacked")]);
    let r = call(addr, &cookie, "update_server", &edit).await;
    assert!(r.status == 403 && r.body.contains("needs modify_servers"), "{}", r.body);
    // Without JavaScript the refusal comes back to the page through the URL.
    let r = post_form(addr, &cookie, "update_server", "/servers/10.10.10.15", &edit).await;
    let location = header(&r, "location").expect("location").to_string();
    assert_eq!(r.status, 302);
    assert!(redirect_error(&location).contains("needs modify_servers"));
    let shown = get(addr, &cookie, local(&location)).await;
    assert!(shown.body.contains("role=\"alert\"") && shown.body.contains("needs modify_servers"), "{}", shown.body);
    assert_eq!(snapshot(&server.db).await, before, "nothing stored");

    // apiadmin has modify_servers: the add link and the forms are offered.
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let list = get(addr, &cookie, "/servers").await;
    assert!(list.body.contains("href=\"/servers/new\"") && list.body.contains("Add a server"));
    let new = get(addr, &cookie, "/servers/new").await;
    for label in ["Server IP", "Server ID", "Description", "Asterisk version", "AMI secret", "WebSocket URL"] {
        assert!(new.body.contains(&format!(">{label}</label>")), "label {label}");
    }
    assert!(new.body.contains("value=\"18.21.0-vici\""), "the CLI's default Asterisk version");
    assert!(new.body.contains("action=\"/serverfn/add_server\""));
}

#[tokio::test]
async fn adding_checks_every_field_names_it_and_stores_nothing_when_refused() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let before = snapshot(&server.db).await;

    let bad = form(&[("server_ip", "10.0.0.999"), ("ami_host", "10.0.0.9"), ("ami_secret", SECRET)]);
    let r = call(addr, &cookie, "add_server", &bad).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("\"field\":\"server_ip\"") && r.body.contains("server_ip must be a dotted IPv4"),
        "{}",
        r.body
    );
    assert!(!r.body.contains(SECRET), "the secret is not sent back");
    for (field, value, rule) in [
        ("server_id", "much-too-long-id", "server_id must be 1 to 10 characters"),
        ("asterisk_version", "18 beta", "asterisk_version must be 1 to 20 characters"),
        ("ext_context", "", "ext_context must be 1 to 20 characters"),
        ("web_socket_url", "http://x/ws", "web_socket_url must be empty or a ws:// or wss:// address"),
        ("allowed_sip_stacks", "IAX", "allowed_sip_stacks must be SIP, PJSIP or SIP_and_PJSIP"),
        ("local_gmt", "5.45", "local_gmt must be one of VICIdial's 33 offsets"),
        ("external_server_ip", "a b", "external_server_ip must be empty or up to 100 characters"),
        ("ami_port", "99999", "ami port must be from 1 to 65535"),
        ("server_ip", "10.10.10.15", "server_ip 10.10.10.15 is already used by another server"),
        ("server_id", "testast2", "server_id testast2 is already used by server 10.10.10.16"),
    ] {
        let mut overrides = vec![(field, value)];
        if field == "ami_port" {
            overrides.extend([("ami_host", "10.0.0.9"), ("ami_secret", SECRET)]);
        }
        let r = call(addr, &cookie, "add_server", &form(&overrides)).await;
        assert_eq!(r.status, 422, "{field}");
        assert!(r.body.contains(&format!("\"field\":\"{field}\"")) && r.body.contains(rule), "{field}: {}", r.body);
    }
    // An AMI host needs a secret.
    let r = call(addr, &cookie, "add_server", &form(&[("ami_host", "10.0.0.9")])).await;
    assert!(r.body.contains("\"field\":\"ami_secret\""), "{}", r.body);
    assert_eq!(snapshot(&server.db).await, before, "nothing stored");

    // Without JavaScript: back to the form, the message next to the field, the values kept, no secret.
    let r = post_form(addr, &cookie, "add_server", "/servers/new", &bad).await;
    assert_eq!(r.status, 302);
    let location = header(&r, "location").expect("location").to_string();
    let error = redirect_error(&location);
    assert!(error.contains("server_ip must be a dotted IPv4") && !error.contains(SECRET), "{error}");
    assert!(!location.contains(SECRET));
    let page = get(addr, &cookie, local(&location)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("role=\"alert\"") && page.body.contains("The server was not saved"));
    assert!(page.body.contains("aria-describedby=\"server-server-ip-hint server-server-ip-error\""));
    assert!(page.body.contains("id=\"server-server-ip-error\""));
    assert!(page.body.contains(">server_ip must be a dotted IPv4 address such as 10.10.10.15</p>"), "{}", page.body);
    assert!(page.body.contains("value=\"10.0.0.999\"") && page.body.contains("value=\"Added from the web\""));
    assert!(!page.body.contains(SECRET));
    assert_eq!(snapshot(&server.db).await, before, "nothing stored");

    // A good form: stored with every setting, audited without the secret, marked for a conf build;
    // the browser goes to the new server's page.
    let good = form(&[
        ("web_socket_url", "wss://dialer.example.com:8089/ws"),
        ("external_server_ip", "203.0.113.7"),
        ("allowed_sip_stacks", "SIP_and_PJSIP"),
        ("local_gmt", "5.50"),
        ("ext_context", "outbound"),
        ("active_agent_login_server", "-"),
        ("ami_host", "10.20.30.40"),
        ("ami_secret", SECRET),
    ]);
    let r = post_form(addr, &cookie, "add_server", "/servers/new", &good).await;
    assert_eq!((r.status, header(&r, "location")), (302, Some("/servers/10.20.30.40?added=1")), "{}", r.body);
    let row = common::row_json(&server.db, "servers", "server_ip", "10.20.30.40", None).await.expect("stored");
    for (column, value) in [
        ("server_id", "web1"),
        ("server_description", "Added from the web"),
        ("active", "Y"),
        ("active_agent_login_server", "N"),
        ("web_socket_url", "wss://dialer.example.com:8089/ws"),
        ("external_server_ip", "203.0.113.7"),
        ("allowed_sip_stacks", "SIP_and_PJSIP"),
        ("local_gmt", "5.50"),
        ("ext_context", "outbound"),
        ("telnet_host", "10.20.30.40"),
        ("ASTmgrUSERNAME", "cron"),
        ("ASTmgrSECRET", SECRET),
        ("rebuild_conf_files", "Y"),
    ] {
        assert_eq!(row.get(column).and_then(|v| v.as_str()), Some(value), "{column}");
    }
    let audit = server_audit(&server).await;
    let added = audit.iter().find(|a| a.starts_with("ADMIN ADD SERVER") && a.contains("web1")).expect("audited");
    assert!(added.contains("\"ASTmgrSECRET\":{\"new\":\"[redacted]\",\"old\":null}"), "{added}");
    assert!(audit.iter().all(|a| !a.contains(SECRET)));
    let page = get(addr, &cookie, "/servers/10.20.30.40?added=1").await;
    assert!(page.body.contains("Server added.") && page.body.contains("Server web1"));
    assert!(page.body.contains("type=\"password\"") && !page.body.contains(SECRET), "never pre-filled");
    let list = get(addr, &cookie, "/servers").await;
    assert!(list.body.contains("href=\"/servers/10.20.30.40\"") && list.body.contains("SIP_and_PJSIP"));
}

#[tokio::test]
async fn editing_audits_a_redacted_diff_keeps_a_blank_secret_and_marks_a_rebuild() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let rebuild = || scalar(&server, "SELECT rebuild_conf_files FROM servers WHERE server_ip = ?", "10.10.10.15");
    assert_eq!(rebuild().await.as_deref(), Some("N"), "the fixture's files are built");
    let base = [("server_ip", "10.10.10.15"), ("server_id", "TESTast")];

    // The description alone: saved and audited, no rebuild (the files do not depend on it).
    let mut edit = base.to_vec();
    edit.push(("server_description", "Edited on the web"));
    let r = post_form(addr, &cookie, "update_server", "/servers/10.10.10.15", &form(&edit)).await;
    assert_eq!((r.status, header(&r, "location")), (302, Some("/servers/10.10.10.15?saved=1")), "{}", r.body);
    assert_eq!(rebuild().await.as_deref(), Some("N"));
    let page = get(addr, &cookie, "/servers/10.10.10.15?saved=1").await;
    assert!(page.body.contains("Changes saved.") && page.body.contains("value=\"Edited on the web\""));
    let audit = server_audit(&server).await;
    let last = audit.last().expect("audited");
    assert!(last.starts_with("ADMIN MODIFY SERVER"), "{last}");
    assert!(last.contains("\"server_description\":{\"new\":\"Edited on the web\",\"old\":\"test server\"}"), "{last}");

    // The Asterisk version and AMI settings: a rebuild is marked, the secret redacted in the diff.
    edit.extend([("asterisk_version", "13.38.3-vici"), ("ami_host", "10.10.10.15"), ("ami_secret", SECRET)]);
    let r = call(addr, &cookie, "update_server", &form(&edit)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(header(&r, "serverfnredirect").is_some(), "the hydrated page is told where to go");
    assert_eq!(header(&r, "location"), Some("/servers/10.10.10.15?saved=1&rebuild=1"));
    assert_eq!(rebuild().await.as_deref(), Some("Y"));
    let stored = || scalar(&server, "SELECT ASTmgrSECRET FROM servers WHERE server_ip = ?", "10.10.10.15");
    assert_eq!(stored().await.as_deref(), Some(SECRET));
    let audit = server_audit(&server).await;
    let last = audit.last().expect("audited");
    assert!(last.contains("\"asterisk_version\":{\"new\":\"13.38.3-vici\",\"old\":\"18.21.0-vici\"}"), "{last}");
    assert!(last.contains("\"ASTmgrSECRET\":{\"new\":\"[redacted]\",\"old\":null}"), "{last}");

    // Blank secret: the stored one is kept and the diff does not mention it.
    edit.retain(|(k, _)| *k != "ami_secret");
    edit.push(("ami_user", "dialtone"));
    let r = call(addr, &cookie, "update_server", &form(&edit)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(stored().await.as_deref(), Some(SECRET));
    let audit = server_audit(&server).await;
    let last = audit.last().expect("audited");
    assert!(last.contains("\"ASTmgrUSERNAME\":{\"new\":\"dialtone\",\"old\":\"cron\"}"), "{last}");
    assert!(!last.contains("ASTmgrSECRET"), "{last}");

    // A new secret: changed, still redacted on both sides.
    edit.push(("ami_secret", "An0therSecret"));
    let r = call(addr, &cookie, "update_server", &form(&edit)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let last = server_audit(&server).await.pop().expect("audited");
    assert!(last.contains("\"ASTmgrSECRET\":{\"new\":\"[redacted]\",\"old\":\"[redacted]\"}"), "{last}");

    // Nothing changed: nothing written or audited.
    let count = server_audit(&server).await.len();
    edit.retain(|(k, _)| *k != "ami_secret");
    let r = call(addr, &cookie, "update_server", &form(&edit)).await;
    assert_eq!(header(&r, "location"), Some("/servers/10.10.10.15?unchanged=1"));
    assert_eq!(server_audit(&server).await.len(), count);

    // Another server's id is refused, naming server_id; nothing stored.
    let before = snapshot(&server.db).await;
    let mut taken = edit.clone();
    taken.retain(|(k, _)| *k != "server_id");
    taken.push(("server_id", "TESTast2"));
    let r = call(addr, &cookie, "update_server", &form(&taken)).await;
    assert!(r.body.contains("\"field\":\"server_id\"") && r.body.contains("already used by server 10.10.10.16"));
    let r = call(addr, &cookie, "update_server", &form(&[("server_ip", "10.9.9.9")])).await;
    assert!(r.body.contains("no server with server_ip 10.9.9.9"), "{}", r.body);
    assert_eq!(snapshot(&server.db).await, before);

    // The secrets appear nowhere: not in the page, not in the audit log.
    let page = get(addr, &cookie, "/servers/10.10.10.15").await;
    assert!(page.body.contains("Leave blank to keep the current secret"));
    assert!(!page.body.contains(SECRET) && !page.body.contains("An0therSecret"));
    let list = get(addr, &cookie, "/servers").await;
    assert!(!list.body.contains(SECRET) && !list.body.contains("An0therSecret"));
    assert!(server_audit(&server).await.iter().all(|a| !a.contains(SECRET) && !a.contains("An0therSecret")));
}

/// Stores AMI settings for the fixture's server 10.10.10.15 (as the edit form does).
async fn set_ami(addr: SocketAddr, cookie: &str, port: u16, user: &str, secret: &str) {
    let port = port.to_string();
    let edit = form(&[
        ("server_ip", "10.10.10.15"),
        ("server_id", "TESTast"),
        ("server_description", "test server"),
        ("ami_host", "127.0.0.1"),
        ("ami_port", &port),
        ("ami_user", user),
        ("ami_secret", secret),
    ]);
    let r = call(addr, cookie, "update_server", &edit).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Presses "Test AMI connection" without JavaScript; returns the page it is sent back to.
async fn test_ami(addr: SocketAddr, cookie: &str) -> (String, HttpResponse) {
    let r = post_form(addr, cookie, "test_ami_connection", "/servers/10.10.10.15", "server_ip=10.10.10.15").await;
    assert_eq!(r.status, 302, "{}", r.body);
    let location = header(&r, "location").expect("location").to_string();
    let page = get(addr, cookie, local(&location)).await;
    assert_eq!(page.status, 200);
    (location, page)
}

#[tokio::test]
async fn the_server_page_counts_its_phones_and_links_to_them() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    for ext in ["sw201", "sw202", "sw203"] {
        let r = common::api_get(
            addr,
            &format!(
                "source=test&user=apiadmin&pass=apipass1&function=add_phone&extension={ext}&dialplan_number=9{}\
                 &voicemail_id=9{}&phone_login={ext}x&phone_pass=Pw4711xy&server_ip=10.10.10.15&protocol=SIP\
                 &registration_password=Reg4711xy&phone_full_name=Count+Me&local_gmt=-5.00&outbound_cid=3125554711",
                &ext[2..],
                &ext[2..]
            ),
        )
        .await;
        assert!(r.body.starts_with("SUCCESS: add_phone"), "{}", r.body);
    }
    let count: i64 = {
        let mut conn = server.db.reader().acquire().await.expect("conn");
        sqlx::query_scalar("SELECT count(*) FROM phones WHERE server_ip = '10.10.10.15'")
            .fetch_one(&mut *conn)
            .await
            .expect("count")
    };
    assert!(count > 1, "the fixture has phones on 10.10.10.15");
    let page = get(addr, &cookie, "/servers/10.10.10.15").await;
    assert!(page.body.contains(&format!("{count} phones on this server")), "{}", page.body);
    assert!(page.body.contains("href=\"/phones?server=10.10.10.15\""), "links to the filtered list");
    // The servers list has the same number, as a link to the same list.
    let servers = get(addr, &cookie, "/servers").await;
    assert!(
        servers.body.contains(&format!(
            "<a href=\"/phones?server=10.10.10.15\" aria-label=\"{count} phones on TESTast\">{count}</a>"
        )),
        "{}",
        servers.body
    );
    // The list behind the link shows the same number.
    let list = get(addr, &cookie, "/phones?server=10.10.10.15").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&format!("{count} phones, showing")), "the filtered list counts {count}");
}

#[tokio::test]
async fn without_ami_settings_the_page_says_how_to_reload_asterisk_by_hand() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let page = get(addr, &cookie, "/servers/10.10.10.15").await;
    assert!(page.body.contains(">Apply changes to Asterisk</h2>"));
    assert!(page.body.contains("This server has no AMI settings"), "{}", page.body);
    // The fixture's server allows SIP only: no pjsip reload.
    let stacks = scalar(&server, "SELECT allowed_sip_stacks FROM servers WHERE server_ip = ?", "10.10.10.15").await;
    assert_eq!(stacks.as_deref(), Some("SIP"));
    let pre = page.body.split("data-testid=\"manual-reload\">").nth(1).and_then(|r| r.split("</pre>").next());
    let lines: Vec<String> =
        pre.expect("the commands").lines().map(|l| l.replace("&quot;", "\"").replace("&#x27;", "'")).collect();
    assert_eq!(
        lines,
        ["asterisk -rx \"dialplan reload\"", "asterisk -rx \"sip reload\"", "asterisk -rx \"iax2 reload\""]
    );
    assert!(!page.body.contains("Test AMI connection"), "nothing to test");
}

#[tokio::test]
async fn testing_the_ami_connection_reports_success_refusal_timeout_and_a_rejected_login() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let ami = AmiTestServer::start().await;
    let port = ami.addr().port();
    let cookie = session(addr, "apiadmin", "apipass1").await;

    // Success: connected, logged in, logged off.
    set_ami(addr, &cookie, port, TEST_USER, TEST_SECRET).await;
    let page = get(addr, &cookie, "/servers/10.10.10.15").await;
    assert!(
        page.body.contains("Test AMI connection") && page.body.contains("action=\"/serverfn/test_ami_connection\"")
    );
    assert!(page
        .body
        .contains(&format!("Dialtone reloads Asterisk itself over AMI (127.0.0.1:{port} as {TEST_USER})")));
    assert!(!page.body.contains("manual-reload"), "no manual commands with AMI settings");
    let (location, page) = test_ami(addr, &cookie).await;
    assert_eq!(location, "/servers/10.10.10.15?ami_test=ok#ami-test");
    assert!(
        page.body.contains(&format!(
            "Connected: 127.0.0.1:{port} answered as an Asterisk manager and accepted the login as {TEST_USER}."
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-result=\"ok\""));
    assert_eq!((ami.logins(), ami.logoffs()), (1, 1));
    assert!(!page.body.contains(TEST_SECRET));

    // A wrong secret: authentication failed, and the secret is nowhere.
    set_ami(addr, &cookie, port, TEST_USER, "Wrong-S3cret-77").await;
    let (location, page) = test_ami(addr, &cookie).await;
    assert_eq!(location, "/servers/10.10.10.15?ami_test=auth-failed#ami-test");
    assert!(page
        .body
        .contains(&format!("Failed: authentication failed. 127.0.0.1:{port} refused the login as {TEST_USER}")));
    assert!(!page.body.contains("Wrong-S3cret-77") && !location.contains("Wrong-S3cret-77"));
    assert_eq!(ami.failed_logins(), 1);

    // Nothing listening: refused.
    let closed = closed_port().await;
    set_ami(addr, &cookie, closed, TEST_USER, TEST_SECRET).await;
    let (location, page) = test_ami(addr, &cookie).await;
    assert_eq!(location, "/servers/10.10.10.15?ami_test=refused#ami-test");
    assert!(page.body.contains(&format!("Failed: connection refused by 127.0.0.1:{closed}.")), "{}", page.body);
    assert!(!page.body.contains(TEST_SECRET));

    // Asterisk accepts the connection but never greets: a timeout (the conf worker's 5 s AMI limit).
    let silent = AmiTestServer::builder().silent().start().await;
    set_ami(addr, &cookie, silent.addr().port(), TEST_USER, TEST_SECRET).await;
    let started = std::time::Instant::now();
    let (location, page) = test_ami(addr, &cookie).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "bounded: {:?}", started.elapsed());
    assert_eq!(location, "/servers/10.10.10.15?ami_test=timeout#ami-test");
    assert!(page.body.contains(&format!("Failed: timeout. 127.0.0.1:{} did not answer in time", silent.addr().port())));

    // The test changes nothing and is not a server change in the audit log.
    assert!(server_audit(&server).await.iter().all(|a| !a.contains(TEST_SECRET) && !a.contains("Wrong-S3cret")));
}

#[tokio::test]
async fn testing_the_ami_connection_needs_modify_servers() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let ami = AmiTestServer::start().await;
    let admin = session(addr, "apiadmin", "apipass1").await;
    set_ami(addr, &admin, ami.addr().port(), TEST_USER, TEST_SECRET).await;

    // level8 (no modify_servers): no button, and the server function refuses.
    let cookie = session(addr, "level8", "level8pass").await;
    let page = get(addr, &cookie, "/servers/10.10.10.15").await;
    assert!(!page.body.contains("Test AMI connection"));
    let r = call(addr, &cookie, "test_ami_connection", "server_ip=10.10.10.15").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("may not test AMI connections (needs modify_servers)"), "{}", r.body);
    // Without JavaScript the refusal comes back to the page.
    let r = post_form(addr, &cookie, "test_ami_connection", "/servers/10.10.10.15", "server_ip=10.10.10.15").await;
    let location = header(&r, "location").expect("location").to_string();
    assert!(redirect_error(&location).contains("needs modify_servers"));
    let shown = get(addr, &cookie, local(&location)).await;
    assert!(shown.body.contains("may not test AMI connections (needs modify_servers)"), "{}", shown.body);
    assert_eq!(ami.connections(), 0, "nothing was tried");

    // Signed out: 401; an unknown server: a clear 404.
    let origin = format!("http://{addr}");
    let r =
        http_with(addr, "POST", "/serverfn/test_ami_connection", &[("Origin", &origin)], Some("server_ip=10.10.10.15"))
            .await;
    assert_eq!(r.status, 401);
    let r = call(addr, &admin, "test_ami_connection", "server_ip=10.9.9.9").await;
    assert!(r.status == 404 && r.body.contains("no server with server_ip 10.9.9.9"), "{}", r.body);
}

#[tokio::test]
async fn downloads_serve_only_generated_files_to_signed_in_admins() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let settings = ConfSettings::new(server.dir.path().join("asterisk-conf"));
    conf::regenerate_server(&server.db, &settings, "10.10.10.15", true).await.expect("generated");
    let on_disk = std::fs::read_to_string(server.dir.path().join("asterisk-conf/10.10.10.15/sip-vicidial.conf"))
        .expect("written");
    assert!(on_disk.contains("[seed100]"));

    // Signed out: to the sign-in page, no file.
    let path = "/servers/10.10.10.15/conf/sip-vicidial.conf";
    let r = http_with(addr, "GET", path, &[], None).await;
    assert_eq!(r.status, 303);
    assert!(header(&r, "location").is_some_and(|l| l.starts_with("/sign-in?next=")));
    assert!(!r.body.contains("seed100"));

    let cookie = session(addr, "apiadmin", "apipass1").await;
    let page = get(addr, &cookie, "/servers/10.10.10.15").await;
    assert!(page.body.contains(&format!("href=\"{path}\"")), "offered on the page");
    assert!(page.body.contains("Last generated") && page.body.contains(" UTC"));
    let r = get(addr, &cookie, path).await;
    assert_eq!(r.status, 200);
    assert_eq!(header(&r, "content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(header(&r, "content-disposition"), Some("attachment; filename=\"sip-vicidial.conf\""));
    assert_eq!(r.body, on_disk);
    let audit = server_audit(&server).await;
    assert!(audit.iter().any(|a| a.starts_with("ADMIN DOWNLOAD CONF FILE") && a.contains("sip-vicidial.conf")));
    let r = get(addr, &cookie, "/servers/10.10.10.15/conf/extensions-vicidial.conf").await;
    assert!(r.status == 200 && r.body.contains("vicidial-auto-phones"), "{}", r.body);

    // Only the four generated files of an existing server.
    for target in [
        "/servers/10.10.10.15/conf/passwd",
        "/servers/10.10.10.15/conf/..%2F..%2Fcase.db",
        "/servers/10.10.10.15/conf/.sip-vicidial.conf.tmp",
        "/servers/..%2F..%2F..%2Fetc/conf/sip-vicidial.conf",
        "/servers/10.10.10.15%2F..%2F10.10.10.15/conf/sip-vicidial.conf",
        "/servers/10.9.9.9/conf/sip-vicidial.conf",
        "/servers/10.10.10.16/conf/sip-vicidial.conf",
    ] {
        let r = get(addr, &cookie, target).await;
        // A `..` segment (even encoded) is refused by the guard (400); the rest are not found (404).
        assert!(matches!(r.status, 400 | 404), "{target}: {} {}", r.status, r.body);
        assert!(!r.body.contains("seed100") && !r.body.contains("SQLite"), "{target}");
    }
    // The files hold phone passwords: users without ast_admin_access may not download them.
    let cookie = session(addr, "noast", "noastpass").await;
    let r = get(addr, &cookie, path).await;
    assert_eq!(r.status, 403);
    let page = get(addr, &cookie, "/servers/10.10.10.15").await;
    assert!(!page.body.contains(&format!("href=\"{path}\"")) && page.body.contains("needs ast_admin_access"));
}
