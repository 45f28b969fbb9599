//! Carriers over real HTTP against the real router and a real SQLite file, and through the
//! `dialtone carrier add` command: who may see and change them (`modify_servers`, enforced by every
//! server function), refusals that name the field (and the dialplan line) and store nothing, with and
//! without JavaScript; cross-origin posts refused; adds, edits and deletes audited with the
//! registration string redacted; and the storage calls the agent-login check uses.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::{header, http_with, session, start_fixture_server, HttpResponse, TestServer};
use dialtone::domain::carrier::CarrierInput;
use dialtone::domain::dial_pattern::parse_dialplan_entry;
use dialtone::service::carriers::{self, CarrierError};
use dialtone::service::Actor;
use dialtone::storage::carriers::list_server_carriers;
use dialtone::storage::{Db, Durability};

/// The registration string's password used below; it must never show up in URLs or the audit log.
const SECRET: &str = "Trunk5ecretXyz";

const DIALPLAN: &str = "exten => _91NXXNXXXXXX,1,AGI(agi://127.0.0.1:4577/call_log)\n\
                        exten => _91NXXNXXXXXX,n,Dial(SIP/webtrunk/${EXTEN:1},,tTo)\n\
                        exten => _91NXXNXXXXXX,n,Hangup()\n\
                        exten => _9011.,1,Dial(SIP/webtrunk/${EXTEN:1},,tTo)\n";

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

fn encode(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A complete form body (as the add form sends it) with `overrides` replacing fields; `-` stands for
/// an unticked checkbox, which a browser does not send at all.
fn form(overrides: &[(&str, &str)]) -> String {
    let mut fields: Vec<(&str, String)> = [
        ("carrier_id", "webtrunk"),
        ("carrier_name", "Web trunk"),
        ("carrier_description", "Added from the web"),
        ("active", "Y"),
        ("server_ip", "10.10.10.15"),
        ("protocol", "SIP"),
        ("registration_string", &format!("register => webtrunk:{SECRET}@sip.example.com:5060/webtrunk")),
        ("dialplan_entry", DIALPLAN),
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
    fields
        .into_iter()
        .filter(|(_, v)| v != "-")
        .map(|(k, v)| format!("{k}={}", encode(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Every stored carrier, as text (what a refused request must leave unchanged).
async fn carriers_snapshot(db: &Db) -> String {
    let mut conn = db.reader().acquire().await.expect("conn");
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT carrier_id, carrier_name, server_ip, active, dialplan_entry || '|' || registration_string \
         FROM vicidial_server_carriers ORDER BY carrier_id",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("snapshot");
    format!("{rows:?}")
}

/// Every audit entry about carriers, as `code record diff notes` lines.
async fn carrier_audit(server: &TestServer) -> Vec<String> {
    let mut conn = server.db.reader().acquire().await.expect("conn");
    sqlx::query_scalar(
        "SELECT event_code || ' ' || record_id || ' ' || event_diff || ' ' || event_notes || ' by ' || user \
         FROM vicidial_admin_log WHERE event_section = 'CARRIERS' ORDER BY admin_log_id",
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
    location.find("/carriers").map_or(location, |i| &location[i..])
}

fn input(id: &str, server_ip: &str, active: &str) -> CarrierInput {
    CarrierInput {
        carrier_id: id.into(),
        carrier_name: format!("Trunk {id}"),
        server_ip: server_ip.into(),
        protocol: "SIP".into(),
        registration_string: String::new(),
        dialplan_entry: format!("exten => _9{id}X.,1,Dial(SIP/{id}/${{EXTEN:1}})\n"),
        active: active.into(),
        carrier_description: String::new(),
    }
}

#[tokio::test]
async fn a_servers_carriers_are_listed_in_id_order_and_the_server_must_exist() {
    let server = start_fixture_server().await;
    let cli = Actor::cli();
    for (id, ip, active) in [("b2", "10.10.10.15", "N"), ("a1", "10.10.10.15", "Y"), ("c3", "10.10.10.16", "Y")] {
        carriers::add_carrier(&server.db, &cli, &input(id, ip, active)).await.expect("added");
    }
    let mut conn = server.db.reader().acquire().await.expect("conn");
    let rows = list_server_carriers(&mut conn, "10.10.10.15").await.expect("listed");
    let found: Vec<(&str, &str)> = rows.iter().map(|r| (r.carrier_id.as_str(), r.active.as_str())).collect();
    assert_eq!(found, vec![("a1", "Y"), ("b2", "N")], "active and inactive, by id");
    assert!(list_server_carriers(&mut conn, "10.9.9.9").await.expect("listed").is_empty());
    let a1 = &rows[0];
    assert_eq!((a1.template_id.as_str(), a1.user_group.as_str(), a1.account_entry.as_str()), ("", "---ALL---", ""));
    let entry = parse_dialplan_entry(&a1.dialplan_entry);
    assert!(entry.best_match("91123").is_none(), "the a is a literal character, not a digit class");
    assert_eq!(entry.best_match("9a112").map(|p| p.line), Some(1));
    assert_eq!(entry.patterns[0].pattern.as_str(), "_9a1X.");
    assert!(!format!("{a1:?}").contains("Dial"), "Debug shows no entry and no secrets");
    drop(conn);

    // The database rules: an unknown server, an id taken (case-insensitively).
    let before = carriers_snapshot(&server.db).await;
    let Err(CarrierError::Invalid(e)) = carriers::add_carrier(&server.db, &cli, &input("A1", "10.9.9.9", "Y")).await
    else {
        panic!("refused")
    };
    let messages: Vec<String> = e.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        vec![
            "carrier_id is already used by carrier a1 (Trunk a1)".to_string(),
            "server_ip does not exist: no server has the IP 10.9.9.9".to_string()
        ]
    );
    assert_eq!(carriers_snapshot(&server.db).await, before, "nothing stored");
    // A carrier keeps its server: the schema refuses to delete the server from under it.
    let mut tx = server.db.write().await.expect("tx");
    let refused = sqlx::query("DELETE FROM servers WHERE server_ip = '10.10.10.16'").execute(&mut *tx).await;
    assert!(refused.is_err_and(|e| e.to_string().contains("FOREIGN KEY")), "restricted by carrier c3");
}

#[tokio::test]
async fn viewing_needs_a_session_and_changing_needs_modify_servers() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    carriers::add_carrier(&server.db, &Actor::cli(), &input("seed1", "10.10.10.15", "Y")).await.expect("seed");

    // Signed out: pages go to the sign-in page, server functions answer 401.
    let r = http_with(addr, "GET", "/carriers", &[], None).await;
    assert_eq!((r.status, header(&r, "location")), (303, Some("/sign-in?next=%2Fcarriers")));
    let origin = format!("http://{addr}");
    let r = http_with(addr, "POST", "/serverfn/add_carrier", &[("Origin", &origin)], Some(&form(&[]))).await;
    assert_eq!(r.status, 401);

    // level8 (ast_admin_access, no modify_servers) may look but not change.
    let cookie = session(addr, "level8", "level8pass").await;
    let home = get(addr, &cookie, "/").await;
    assert!(home.body.contains("href=\"/carriers\""), "in the main navigation");
    let list = get(addr, &cookie, "/carriers").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("<h1>Carriers</h1>") && list.body.contains("href=\"/carriers/seed1\""));
    assert!(list.body.contains("does not write them into Asterisk"), "the page says carriers are not written");
    assert!(!list.body.contains("Add a carrier"), "not offered without modify_servers");
    let page = get(addr, &cookie, "/carriers/seed1").await;
    assert!(page.body.contains("Carrier seed1") && page.body.contains("_9seed1X."), "{}", page.body);
    assert!(page.body.contains("needs server rights (modify_servers)"));
    assert!(!page.body.contains("action=\"/serverfn/update_carrier\"") && !page.body.contains("Delete carrier"));
    let new = get(addr, &cookie, "/carriers/new").await;
    assert!(new.body.contains("may not add carriers (needs modify_servers)"));
    assert!(!new.body.contains("action=\"/serverfn/add_carrier\""));

    let before = carriers_snapshot(&server.db).await;
    let r = call(addr, &cookie, "add_carrier", &form(&[])).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("may not add, change or delete carriers (needs modify_servers)"), "{}", r.body);
    let edit = form(&[("carrier_id", "seed1"), ("carrier_name", "hijacked")]);
    let r = call(addr, &cookie, "update_carrier", &edit).await;
    assert!(r.status == 403 && r.body.contains("needs modify_servers"), "{}", r.body);
    let r = call(addr, &cookie, "delete_carrier", "carrier_id=seed1&confirm=yes").await;
    assert!(r.status == 403 && r.body.contains("needs modify_servers"), "{}", r.body);
    // Without JavaScript the refusal comes back to the page through the URL.
    let r = post_form(addr, &cookie, "update_carrier", "/carriers/seed1", &edit).await;
    assert_eq!(r.status, 302);
    let location = header(&r, "location").expect("location").to_string();
    assert!(redirect_error(&location).contains("needs modify_servers"));
    let shown = get(addr, &cookie, local(&location)).await;
    assert!(shown.body.contains("role=\"alert\"") && shown.body.contains("needs modify_servers"), "{}", shown.body);
    assert_eq!(carriers_snapshot(&server.db).await, before, "nothing stored");
    assert!(carrier_audit(&server).await.iter().all(|a| !a.contains("by level8")));

    // Cross-origin posts are refused before any server function runs, even with a session.
    let admin = session(addr, "apiadmin", "apipass1").await;
    for (endpoint, body) in [("add_carrier", form(&[])), ("delete_carrier", "carrier_id=seed1&confirm=yes".into())] {
        let headers = [("Cookie", admin.as_str()), ("Origin", "http://evil.example")];
        let r = http_with(addr, "POST", &format!("/serverfn/{endpoint}"), &headers, Some(&body)).await;
        assert_eq!(r.status, 403, "{endpoint}: {}", r.body);
        let headers = [("Cookie", admin.as_str())];
        let r = http_with(addr, "POST", &format!("/serverfn/{endpoint}"), &headers, Some(&body)).await;
        assert_eq!(r.status, 403, "{endpoint} without Origin or Referer");
    }
    assert_eq!(carriers_snapshot(&server.db).await, before, "nothing stored");

    // apiadmin has modify_servers: the add link and the forms are offered.
    let list = get(addr, &admin, "/carriers").await;
    assert!(list.body.contains("href=\"/carriers/new\"") && list.body.contains("Add a carrier"));
    let new = get(addr, &admin, "/carriers/new").await;
    for label in ["Carrier ID", "Name", "Server", "Protocol", "Registration string", "Dialplan entry", "Active"] {
        assert!(new.body.contains(&format!(">{label}</label>")), "label {label}");
    }
    assert!(new.body.contains("action=\"/serverfn/add_carrier\""));
    assert!(new.body.contains("10.10.10.15 (TESTast)"), "servers offered");
}

#[tokio::test]
async fn adding_refuses_bad_values_naming_the_field_and_the_line_and_stores_nothing() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let before = carriers_snapshot(&server.db).await;

    let bad_line = "exten => _91NXXNXXXXXX,1,AGI(x)\nexten => _9[1-5,n,Dial(SIP/webtrunk)\n";
    let r = call(addr, &cookie, "add_carrier", &form(&[("dialplan_entry", bad_line)])).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("\"field\":\"dialplan_entry\""), "{}", r.body);
    assert!(
        r.body.contains("dialplan_entry line 2 pattern") && r.body.contains("opens [ at character 3"),
        "{}",
        r.body
    );
    assert!(!r.body.contains(SECRET), "the registration string is not sent back");
    for (field, value, rule) in [
        ("carrier_id", "a", "carrier_id must be 2 to 15 characters long (got 1)"),
        ("carrier_id", "web trunk", "carrier_id may contain only letters, digits, _ and -"),
        ("carrier_name", "", "carrier_name is required"),
        ("server_ip", "10.10.10.256", "server_ip must be a dotted IPv4 address"),
        ("server_ip", "10.9.9.9", "server_ip does not exist: no server has the IP 10.9.9.9"),
        ("protocol", "DAHDI", "protocol must be exactly one of SIP, PJSIP, IAX2, Zap or EXTERNAL"),
        ("registration_string", "register => a\nregister => b", "registration_string may not contain a line break"),
        ("dialplan_entry", "[outbound]\nexten => _X.,1,Hangup()", "dialplan_entry line 1 is a [context] header"),
        ("dialplan_entry", "#include /etc/asterisk/x.conf", "dialplan_entry line 1 is a #include directive"),
        ("dialplan_entry", "exten => _X.,1,Hangup()\ninclude => other", "dialplan_entry line 2 is an include => line"),
        ("dialplan_entry", "; nothing", "dialplan_entry needs at least one exten => line while the carrier is active"),
        ("carrier_description", &"d".repeat(256), "carrier_description must be 0 to 255 characters long"),
    ] {
        let r = call(addr, &cookie, "add_carrier", &form(&[(field, value)])).await;
        assert_eq!(r.status, 422, "{field}");
        assert!(r.body.contains(&format!("\"field\":\"{field}\"")) && r.body.contains(rule), "{field}: {}", r.body);
    }
    assert_eq!(carriers_snapshot(&server.db).await, before, "nothing stored");

    // Without JavaScript: back to the form, the message next to the field, the values kept, but not the
    // registration string (it may hold a password, and the error travels in the URL).
    let r = post_form(addr, &cookie, "add_carrier", "/carriers/new", &form(&[("dialplan_entry", bad_line)])).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let location = header(&r, "location").expect("location").to_string();
    let error = redirect_error(&location);
    assert!(error.contains("dialplan_entry line 2 pattern") && !error.contains(SECRET), "{error}");
    let page = get(addr, &cookie, local(&location)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("role=\"alert\"") && page.body.contains("The carrier was not saved"));
    assert!(page.body.contains("aria-describedby=\"carrier-dialplan-entry-hint carrier-dialplan-entry-error\""));
    assert!(page.body.contains("id=\"carrier-dialplan-entry-error\""), "{}", page.body);
    assert!(page.body.contains("exten =&gt; _9[1-5,n,Dial(SIP/webtrunk)"), "the text kept: {}", page.body);
    assert!(page.body.contains("value=\"Added from the web\"") && page.body.contains("Type it again"));
    assert!(!page.body.contains(SECRET));
    assert_eq!(carriers_snapshot(&server.db).await, before, "nothing stored");

    // A good form: stored, audited without the secret; the browser goes to the carrier's page.
    let r = post_form(addr, &cookie, "add_carrier", "/carriers/new", &form(&[])).await;
    assert_eq!((r.status, header(&r, "location")), (302, Some("/carriers/webtrunk?added=1")), "{}", r.body);
    let row =
        common::row_json(&server.db, "vicidial_server_carriers", "carrier_id", "webtrunk", None).await.expect("stored");
    for (column, value) in [
        ("carrier_name", "Web trunk"),
        ("server_ip", "10.10.10.15"),
        ("protocol", "SIP"),
        ("active", "Y"),
        ("dialplan_entry", DIALPLAN),
        ("carrier_description", "Added from the web"),
        ("user_group", "---ALL---"),
    ] {
        assert_eq!(row.get(column).and_then(|v| v.as_str()), Some(value), "{column}");
    }
    let audit = carrier_audit(&server).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(audit[0].starts_with("ADMIN ADD CARRIER webtrunk "), "{}", audit[0]);
    assert!(audit[0].contains("\"registration_string\":{\"new\":\"[redacted]\",\"old\":null}"), "{}", audit[0]);
    assert!(audit[0].contains("server 10.10.10.15 by apiadmin") && !audit[0].contains(SECRET));

    let page = get(addr, &cookie, "/carriers/webtrunk?added=1").await;
    assert!(page.body.contains("Carrier added.") && page.body.contains("Carrier webtrunk"));
    assert!(page.body.contains("<code>_91NXXNXXXXXX</code>") && page.body.contains("<code>_9011.</code>"));
    assert!(page.body.contains("12 characters") && page.body.contains("5 or more characters"));
    assert!(page.body.contains(SECRET), "shown to a user who may change it, in the edit form");
    let list = get(addr, &cookie, "/carriers").await;
    assert!(list.body.contains("href=\"/carriers/webtrunk\"") && list.body.contains("_91NXXNXXXXXX, _9011."));
    assert!(!list.body.contains(SECRET));
    // Others see that a registration string is set, not what it is.
    let viewer = session(addr, "level8", "level8pass").await;
    let page = get(addr, &viewer, "/carriers/webtrunk").await;
    assert!(page.body.contains("set (hidden: it may hold the trunk") && !page.body.contains(SECRET));

    // Markup in a value is shown as text, never as markup (the rules allow `<` in an application's
    // arguments).
    let markup = "exten => _8XXX,1,NoOp(</textarea><script>alert(1)</script>)\n";
    let r = call(addr, &cookie, "add_carrier", &form(&[("carrier_id", "markup"), ("dialplan_entry", markup)])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for target in ["/carriers/markup", "/carriers"] {
        let page = get(addr, &cookie, target).await;
        let at = page.body.find("alert(1)").unwrap_or(0);
        assert!(
            !page.body.contains("<script>alert(1)") && !page.body.contains("</textarea><script>"),
            "{target}: {}",
            &page.body[at.saturating_sub(300)..at + 100]
        );
    }
    let page = get(addr, &cookie, "/carriers/markup").await;
    assert!(
        page.body.contains("NoOp(&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;)"),
        "escaped in the text area"
    );
    let page = get(addr, &viewer, "/carriers/markup").await;
    assert!(page.body.contains("&lt;/textarea>&lt;script>") || page.body.contains("&lt;/textarea&gt;&lt;script&gt;"));

    // The id is taken now, case-insensitively.
    let r = call(addr, &cookie, "add_carrier", &form(&[("carrier_id", "WEBTRUNK")])).await;
    assert!(r.body.contains("carrier_id is already used by carrier webtrunk (Web trunk)"), "{}", r.body);
}

#[tokio::test]
async fn a_number_is_tested_against_the_patterns_with_a_plain_get_form() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let r = call(addr, &cookie, "add_carrier", &form(&[])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = get(addr, &cookie, "/carriers/webtrunk").await;
    assert!(page.body.contains("method=\"get\"") && page.body.contains("name=\"number\""));
    let page = get(addr, &cookie, "/carriers/webtrunk?number=913125551234").await;
    assert!(page.body.contains("913125551234 matches _91NXXNXXXXXX (line 1)."), "{}", page.body);
    let page = get(addr, &cookie, "/carriers/webtrunk?number=901144207946000").await;
    assert!(page.body.contains("901144207946000 matches _9011. (line 4)."));
    let page = get(addr, &cookie, "/carriers/webtrunk?number=3125551234").await;
    assert!(page.body.contains("No pattern of this carrier matches 3125551234."));
    let page = get(addr, &cookie, "/carriers/webtrunk?number=").await;
    assert!(page.body.contains("Enter a number to test."));
    let long = "9".repeat(81);
    let page = get(addr, &cookie, &format!("/carriers/webtrunk?number={long}")).await;
    assert!(page.body.contains("at most 80 characters"));
}

#[tokio::test]
async fn editing_and_deleting_are_audited_with_the_secret_redacted() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let r = call(addr, &cookie, "add_carrier", &form(&[])).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Name, dialplan (with the browser's \r\n) and registration string: saved and audited.
    let new_secret = "register => webtrunk:An0therSecret@sip.example.com";
    let edit = form(&[
        ("carrier_name", "Renamed trunk"),
        ("dialplan_entry", "exten => _1NXXNXXXXXX,1,Dial(SIP/webtrunk/${EXTEN})\r\nsame => n,Hangup()\r\n"),
        ("registration_string", new_secret),
        ("active", "-"),
    ]);
    let r = post_form(addr, &cookie, "update_carrier", "/carriers/webtrunk", &edit).await;
    assert_eq!((r.status, header(&r, "location")), (302, Some("/carriers/webtrunk?saved=1")), "{}", r.body);
    let row =
        common::row_json(&server.db, "vicidial_server_carriers", "carrier_id", "webtrunk", None).await.expect("stored");
    assert_eq!(row.get("carrier_name").and_then(|v| v.as_str()), Some("Renamed trunk"));
    assert_eq!(row.get("active").and_then(|v| v.as_str()), Some("N"));
    assert_eq!(
        row.get("dialplan_entry").and_then(|v| v.as_str()),
        Some("exten => _1NXXNXXXXXX,1,Dial(SIP/webtrunk/${EXTEN})\nsame => n,Hangup()\n")
    );
    assert_eq!(row.get("registration_string").and_then(|v| v.as_str()), Some(new_secret));
    let last = carrier_audit(&server).await.pop().expect("audited");
    assert!(last.starts_with("ADMIN MODIFY CARRIER webtrunk "), "{last}");
    assert!(last.contains("\"carrier_name\":{\"new\":\"Renamed trunk\",\"old\":\"Web trunk\"}"), "{last}");
    assert!(last.contains("\"active\":{\"new\":\"N\",\"old\":\"Y\"}"), "{last}");
    assert!(last.contains("\"registration_string\":{\"new\":\"[redacted]\",\"old\":\"[redacted]\"}"), "{last}");
    assert!(!last.contains(SECRET) && !last.contains("An0therSecret"));
    let page = get(addr, &cookie, "/carriers/webtrunk?saved=1").await;
    assert!(page.body.contains("Changes saved.") && page.body.contains("<code>_1NXXNXXXXXX</code>"));
    assert!(page.body.contains("Inactive: no call goes out through this carrier."));

    // The same values again: nothing written or audited.
    let count = carrier_audit(&server).await.len();
    let r = call(addr, &cookie, "update_carrier", &edit).await;
    assert_eq!(header(&r, "location"), Some("/carriers/webtrunk?unchanged=1"), "{}", r.body);
    assert_eq!(carrier_audit(&server).await.len(), count);

    // A refused edit keeps the stored values; without JavaScript the page shows the stored
    // registration string, not the one sent.
    let before = carriers_snapshot(&server.db).await;
    let bad = form(&[("dialplan_entry", "exten => _9.X,1,Hangup()"), ("registration_string", "register => x:y@z")]);
    let r = post_form(addr, &cookie, "update_carrier", "/carriers/webtrunk", &bad).await;
    let location = header(&r, "location").expect("location").to_string();
    assert!(!redirect_error(&location).contains("x:y@z"));
    let page = get(addr, &cookie, local(&location)).await;
    assert!(page.body.contains("has . at character 3, but . and ! may only be the last character"), "{}", page.body);
    assert!(page.body.contains("value=\"register =&gt; webtrunk:An0therSecret@sip.example.com\""), "{}", page.body);
    assert!(page.body.contains("Shows the stored value") && !page.body.contains("x:y@z"));
    let r = call(addr, &cookie, "update_carrier", &form(&[("carrier_id", "nosuch")])).await;
    assert!(r.status == 404 && r.body.contains("there is no carrier with carrier_id nosuch"), "{}", r.body);
    assert_eq!(carriers_snapshot(&server.db).await, before);

    // Delete: needs the confirmation, then goes to the list with a notice; audited.
    let r = call(addr, &cookie, "delete_carrier", "carrier_id=webtrunk").await;
    assert!(r.status == 400 && r.body.contains("tick \\\"I understand\\\""), "{}", r.body);
    assert_eq!(carriers_snapshot(&server.db).await, before);
    let page = get(addr, &cookie, "/carriers/webtrunk").await;
    assert!(page.body.contains("Delete carrier") && page.body.contains("I understand: delete carrier webtrunk"));
    let r = post_form(addr, &cookie, "delete_carrier", "/carriers/webtrunk", "carrier_id=webtrunk&confirm=yes").await;
    assert_eq!((r.status, header(&r, "location")), (302, Some("/carriers?deleted=webtrunk")), "{}", r.body);
    assert!(common::row_json(&server.db, "vicidial_server_carriers", "carrier_id", "webtrunk", None).await.is_none());
    let last = carrier_audit(&server).await.pop().expect("audited");
    assert!(last.starts_with("ADMIN DELETE CARRIER webtrunk "), "{last}");
    assert!(last.contains("\"carrier_name\":{\"new\":null,\"old\":\"Renamed trunk\"}"), "{last}");
    assert!(last.contains("\"registration_string\":{\"new\":null,\"old\":\"[redacted]\"}"), "{last}");
    let list = get(addr, &cookie, "/carriers?deleted=webtrunk").await;
    assert!(list.body.contains("Carrier webtrunk was deleted.") && list.body.contains("No carriers yet"));
    let page = get(addr, &cookie, "/carriers/webtrunk").await;
    assert!(page.body.contains("No such carrier"));
    let r = call(addr, &cookie, "delete_carrier", "carrier_id=webtrunk&confirm=yes").await;
    assert!(r.body.contains("there is no carrier webtrunk (already deleted?)"), "{}", r.body);
    assert!(carrier_audit(&server).await.iter().all(|a| !a.contains(SECRET) && !a.contains("An0therSecret")));
}

fn dialtone(db: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dialtone"));
    c.arg("--database").arg(db).env_remove("DATABASE_URL").env_remove("DIALTONE_ADMIN_PASSWORD");
    c
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run dialtone");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_adds_carriers_with_the_same_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("cli.db");
    let (ok, _, err) = run(dialtone(&db).args(["server", "add", "--ip", "10.0.0.5", "--id", "ast1"]));
    assert!(ok, "{err}");
    let add = |extra: &[&str]| {
        let mut c = dialtone(&db);
        c.args(["carrier", "add", "--name", "CLI trunk", "--server-ip", "10.0.0.5", "--protocol", "SIP"]).args(extra);
        c
    };
    let (ok, out, err) = run(&mut add(&["--id", "cli1", "--dialplan-entry", DIALPLAN]));
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "carrier cli1 added on server 10.0.0.5: 2 dial patterns (_91NXXNXXXXXX, _9011.)");

    // The web admin's rules: the wrong line named; the server must exist; the id must be free.
    let bad = "exten => _91NXX,1,Hangup()\nexten => _9!1,1,Hangup()";
    let (ok, _, err) = run(&mut add(&["--id", "cli2", "--dialplan-entry", bad]));
    assert!(!ok && err.contains("dialplan_entry line 2 pattern"), "{err}");
    assert!(err.contains("has ! at character 3, but . and ! may only be the last character"), "{err}");
    let (ok, _, err) = run(dialtone(&db).args([
        "carrier",
        "add",
        "--id",
        "cli3",
        "--name",
        "x",
        "--server-ip",
        "10.0.0.9",
        "--protocol",
        "sip",
        "--dialplan-entry",
        DIALPLAN,
    ]));
    assert!(!ok && err.contains("protocol must be exactly one of SIP, PJSIP, IAX2, Zap or EXTERNAL"), "{err}");
    assert!(!err.contains("server_ip"), "the rules first, then the database: {err}");
    let (ok, _, err) = run(dialtone(&db).args([
        "carrier",
        "add",
        "--id",
        "cli4",
        "--name",
        "x",
        "--server-ip",
        "10.0.0.9",
        "--protocol",
        "SIP",
        "--dialplan-entry",
        DIALPLAN,
    ]));
    assert!(!ok && err.contains("server_ip does not exist: no server has the IP 10.0.0.9"), "{err}");
    let (ok, _, err) = run(&mut add(&["--id", "CLI1", "--dialplan-entry", DIALPLAN]));
    assert!(!ok && err.contains("carrier_id is already used by carrier cli1"), "{err}");
    let (ok, _, err) = run(&mut add(&["--id", "cli5"]));
    assert!(!ok && err.contains("--dialplan-entry"), "one of the two is required: {err}");
    let (ok, _, err) = run(&mut add(&["--id", "cli5", "--dialplan-entry", "x", "--dialplan-entry-file", "/x"]));
    assert!(!ok && err.contains("cannot be used with"), "not both: {err}");

    // From a file (with Windows line endings), inactive, the registration string from standard input.
    let file = dir.path().join("entry.conf");
    std::fs::write(&file, "; trunk two\r\nexten => _1NXXNXXXXXX,1,Dial(IAX2/two/${EXTEN})\r\n").expect("write");
    let mut child = add(&["--id", "cli6", "--inactive", "--registration-string", "-"])
        .arg("--dialplan-entry-file")
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "register => two:{SECRET}@iax.example.com").expect("write secret");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "carrier cli6 added on server 10.0.0.5 (inactive): 1 dial pattern (_1NXXNXXXXXX)"
    );
    let (ok, _, err) = run(&mut add(&["--id", "cli7", "--dialplan-entry-file", "/nonexistent/entry.conf"]));
    assert!(!ok && err.contains("could not read /nonexistent/entry.conf"), "{err}");

    // The list shows the patterns, never the registration string.
    let (ok, out, err) = run(dialtone(&db).args(["carrier", "list"]));
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("carrier_id") && lines[0].ends_with("patterns"), "{out}");
    assert!(lines[1].starts_with("cli1") && lines[1].contains("10.0.0.5") && lines[1].contains("  Y  "), "{out}");
    assert!(lines[1].ends_with("_91NXXNXXXXXX, _9011."), "{out}");
    assert!(lines[2].starts_with("cli6") && lines[2].contains("SIP"), "{out}");
    assert!(lines[2].contains("  N  ") && lines[2].ends_with("_1NXXNXXXXXX"), "{out}");
    assert!(!out.contains(SECRET), "no registration string in the list");

    let db = Db::open(db.to_str().expect("utf-8"), Durability::Process).await.expect("open");
    let rows = carriers::list_carriers(&db).await.expect("list");
    let ids: Vec<&str> = rows.iter().map(|r| r.carrier_id.as_str()).collect();
    assert_eq!(ids, vec!["cli1", "cli6"]);
    assert_eq!(rows[1].active, "N");
    assert_eq!(rows[1].registration_string, format!("register => two:{SECRET}@iax.example.com"));
    assert_eq!(rows[1].dialplan_entry, "; trunk two\nexten => _1NXXNXXXXXX,1,Dial(IAX2/two/${EXTEN})\n");
    let mut conn = db.reader().acquire().await.expect("conn");
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT event_code || ' ' || record_id || ' ' || user || ' ' || event_diff FROM vicidial_admin_log \
         WHERE event_section = 'CARRIERS' ORDER BY admin_log_id",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("audit");
    assert_eq!(audit.len(), 2);
    assert!(audit[1].starts_with("ADMIN ADD CARRIER cli6 cli ") && !audit[1].contains(SECRET), "{}", audit[1]);
    drop(conn);
    db.close().await;

    // Delete: audited without the registration string; a second delete names the missing carrier.
    let path = dir.path().join("cli.db");
    let (ok, out, err) = run(dialtone(&path).args(["carrier", "delete", "--id", "cli6"]));
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "carrier cli6 deleted from server 10.0.0.5");
    let (ok, _, err) = run(dialtone(&path).args(["carrier", "delete", "--id", "cli6"]));
    assert!(!ok && err.contains("no carrier with carrier_id cli6"), "{err}");
    let (ok, out, _) = run(dialtone(&path).args(["carrier", "list"]));
    assert!(ok && out.lines().count() == 2 && out.contains("cli1") && !out.contains("cli6"), "{out}");
    let db = Db::open(path.to_str().expect("utf-8"), Durability::Process).await.expect("open");
    let mut conn = db.reader().acquire().await.expect("conn");
    let deleted: Vec<String> = sqlx::query_scalar(
        "SELECT event_diff FROM vicidial_admin_log WHERE event_code = 'ADMIN DELETE CARRIER' AND record_id = 'cli6'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("audit");
    assert_eq!(deleted.len(), 1);
    assert!(!deleted[0].contains(SECRET), "{}", deleted[0]);
    drop(conn);
    db.close().await;
}
