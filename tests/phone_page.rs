//! The phone page over real HTTP against the real router and a real SQLite file: grouped details with
//! masked secrets, the stanza and conf state, reveal (server function and no-JavaScript form) only
//! for `ast_admin_access` users and always audited without the value, delete with confirmation only
//! for `ast_delete_phones` users, the audit history with secrets redacted, the not-found page, and
//! the same-origin and session guard in front of it all.

mod common;

use std::net::SocketAddr;

use common::{api_get, header, http_with, server_fn_json, session, start_fixture_server, HttpResponse};
use dialtone::domain::Field;
use dialtone::storage::audit::{list_audit, AuditRow};
use dialtone::storage::Db;

const IP: &str = "10.10.10.15";
const LOGIN_PASS: &str = "LoginPw4711x";
const REG_PASS: &str = "RegPw0815y";
const MASK: &str = "••••••";

/// Adds a SIP phone through the legacy API with known passwords.
async fn add_phone(addr: SocketAddr, ext: &str, ip: &str) {
    add_phone_with(addr, ext, ip, "SIP").await;
}

/// Adds a phone of `protocol` through the legacy API with known passwords.
async fn add_phone_with(addr: SocketAddr, ext: &str, ip: &str, protocol: &str) {
    let r = api_get(
        addr,
        &format!(
            "source=test&user=apiadmin&pass=apipass1&function=add_phone&extension={ext}&dialplan_number=4711\
             &voicemail_id=4711&phone_login={ext}{}&phone_pass={LOGIN_PASS}&server_ip={ip}&protocol={protocol}\
             &registration_password={REG_PASS}&phone_full_name=Page+Agent&local_gmt=-5.00&outbound_cid=3125554711",
            ip.replace('.', "")
        ),
    )
    .await;
    assert!(r.body.starts_with("SUCCESS: add_phone PHONE HAS BEEN ADDED"), "{}", r.body);
}

async fn get(addr: SocketAddr, cookie: &str, target: &str) -> HttpResponse {
    http_with(addr, "GET", target, &[("Cookie", cookie)], None).await
}

/// Posts a form the way a browser without JavaScript does (same origin, HTML accepted).
async fn post_form(addr: SocketAddr, cookie: &str, target: &str, body: &str) -> HttpResponse {
    let origin = format!("http://{addr}");
    let referer = format!("{origin}/phones/{IP}/pp101");
    let headers =
        [("Cookie", cookie), ("Origin", origin.as_str()), ("Referer", referer.as_str()), ("Accept", "text/html")];
    http_with(addr, "POST", target, &headers, Some(body)).await
}

fn page_json(ext: &str) -> String {
    format!(r#"{{"server_ip":"{IP}","extension":"{ext}"}}"#)
}

fn reveal_json(ext: &str, field: &str) -> String {
    format!(r#"{{"server_ip":"{IP}","extension":"{ext}","field":"{field}"}}"#)
}

async fn audit(db: &Db) -> Vec<AuditRow> {
    let mut conn = db.reader().acquire().await.expect("conn");
    list_audit(&mut conn).await.expect("audit")
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [LOGIN_PASS, REG_PASS] {
        assert!(!text.contains(secret), "{what} contains {secret}");
    }
}

#[tokio::test]
async fn the_page_groups_the_details_masks_the_secrets_and_shows_the_stanza() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    add_phone(addr, "pp101", IP).await;
    let admin = session(addr, "apiadmin", "apipass1").await;
    let page = get(addr, &admin, "/phones/10.10.10.15/pp101").await;
    assert_eq!(page.status, 200);
    assert_no_secret("the page", &page.body);
    let body = &page.body;
    for needle in [
        "<h1>Phone pp101 on 10.10.10.15</h1>",
        ">Device</h2>",
        ">Identity</h2>",
        ">Server and credentials</h2>",
        ">Person</h2>",
        ">Options</h2>",
        "10.10.10.15 (TESTast)",
        "Page Agent",
        "3125554711",
        "60 seconds",
        MASK,
        "Registration: UNKNOWN",
        ">Asterisk configuration</h2>",
        "Peer in sip-vicidial.conf",
        "[pp101]",
        "username=pp101",
        &format!("secret={MASK}"),
        "exten =&gt; 4711,1,Dial(SIP/pp101,60,)",
        ">pending</span>: the change waits for the next generation",
        "Reveal login password",
        "Reveal registration password",
        "href=\"/phones/10.10.10.15/pp101/edit\"",
        "href=\"/phones/new?copy=10.10.10.15/pp101\"",
        "Copy to a new phone",
        "Delete phone…",
        "I understand: delete extension pp101 from server 10.10.10.15",
        "ADMIN API ADD PHONE",
    ] {
        assert!(body.contains(needle), "{needle} missing");
    }
    // Every field label, in its group.
    for field in Field::ALL {
        assert!(body.contains(&format!("<dt>{}</dt>", field.label())), "{} missing", field.label());
    }
    let device = body.find(">Device</h2>").expect("device");
    let options = body.find(">Options</h2>").expect("options");
    let protocol = body.find("<dt>Client protocol</dt>").expect("protocol");
    let ring = body.find("<dt>Ring timeout</dt>").expect("ring");
    assert!(device < protocol && protocol < options && options < ring);

    // The page's data as the hydrated page fetches it: masked too.
    let data = server_fn_json(addr, &admin, "get_phone_page", &page_json("pp101")).await;
    assert_eq!(data.status, 200, "{}", data.body);
    assert!(data.body.contains("pp101") && data.body.contains(MASK));
    assert_no_secret("get_phone_page", &data.body);

    // A user without ast_admin_access, modify_phones or ast_delete_phones sees the page without the
    // controls.
    let noast = session(addr, "noast", "noastpass").await;
    let page = get(addr, &noast, "/phones/10.10.10.15/pp101").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Phone pp101 on 10.10.10.15</h1>") && page.body.contains(MASK));
    for absent in ["Reveal", "/edit\"", "copy=", "Delete phone"] {
        assert!(!page.body.contains(absent), "{absent} offered to noast");
    }
    assert_no_secret("noast's page", &page.body);
}

#[tokio::test]
async fn a_protocol_that_never_registers_shows_no_registration_password_or_badge() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    add_phone_with(addr, "pp300", IP, "EXTERNAL").await;
    add_phone(addr, "pp301", IP).await;
    let admin = session(addr, "apiadmin", "apipass1").await;
    let page = get(addr, &admin, "/phones/10.10.10.15/pp300").await;
    assert_eq!(page.status, 200);
    assert_no_secret("the EXTERNAL phone's page", &page.body);
    for absent in ["Reveal registration password", "<dt>Registration password</dt>", "Registration: UNKNOWN"] {
        assert!(!page.body.contains(absent), "{absent} shown for an EXTERNAL phone");
    }
    for needle in ["Reveal login password", "<dt>Login password</dt>", "this protocol does not register"] {
        assert!(page.body.contains(needle), "{needle} missing");
    }
    // The data the page is built from leaves it out too.
    let data = server_fn_json(addr, &admin, "get_phone_page", &page_json("pp300")).await;
    assert!(!data.body.contains("RegistrationPassword"), "{}", data.body);

    // A SIP phone keeps both.
    let page = get(addr, &admin, "/phones/10.10.10.15/pp301").await;
    for needle in ["Reveal registration password", "<dt>Registration password</dt>", "Registration: UNKNOWN"] {
        assert!(page.body.contains(needle), "{needle} missing for a SIP phone");
    }
}

#[tokio::test]
async fn an_inactive_phone_says_so_and_a_webphone_reads_sip_w() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    add_phone(addr, "pp310", IP).await;
    let admin = session(addr, "apiadmin", "apipass1").await;
    let page = get(addr, &admin, "/phones/10.10.10.15/pp310").await;
    assert!(page.body.contains(">ACTIVE</span>"), "status shown");
    assert!(!page.body.contains("data-testid=\"inactive\""), "an active phone is not marked inactive");
    {
        let mut tx = server.db.write().await.expect("tx");
        sqlx::query("UPDATE phones SET active = 'N' WHERE extension = 'pp310'")
            .execute(&mut *tx)
            .await
            .expect("update");
        tx.commit().await.expect("commit");
    }
    let page = get(addr, &admin, "/phones/10.10.10.15/pp310").await;
    assert!(page.body.contains("data-testid=\"inactive\""), "no inactive mark");
    assert!(page.body.contains(">inactive</span>"), "the mark reads inactive, as in the list and the board");
    assert!(page.body.contains("Status ACTIVE, but the phone is inactive"), "the status explains itself");

    // A webphone's protocol reads as in the list: "SIP (w)".
    assert!(page.body.contains("<span class=\"badge\">SIP</span>"), "plain SIP");
    {
        let mut tx = server.db.write().await.expect("tx");
        sqlx::query("UPDATE phones SET is_webphone = 'Y' WHERE extension = 'pp310'")
            .execute(&mut *tx)
            .await
            .expect("update");
        tx.commit().await.expect("commit");
    }
    let page = get(addr, &admin, "/phones/10.10.10.15/pp310").await;
    assert!(page.body.contains("<span class=\"badge\">SIP (w)</span>"), "webphone spelling");
}

#[tokio::test]
async fn an_ast_admin_reveals_a_secret_and_the_reveal_is_audited_without_the_value() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    add_phone(addr, "pp101", IP).await;
    let admin = session(addr, "apiadmin", "apipass1").await;
    let before = audit(&server.db).await.len();

    // With JavaScript: the server function returns the value.
    let r = server_fn_json(addr, &admin, "reveal_phone_secret", &reveal_json("pp101", "RegistrationPassword")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, format!("\"{REG_PASS}\""));
    let entries = audit(&server.db).await;
    assert_eq!(entries.len(), before + 1);
    let e = entries.last().expect("entry");
    assert_eq!(
        (e.user.as_str(), e.event_section.as_str(), e.event_type.as_str(), e.record_id.as_str(), e.event_code.as_str()),
        ("apiadmin", "PHONES", "OTHER", "pp101", "ADMIN REVEAL PHONE SECRET")
    );
    assert_eq!(e.event_notes, "phone: pp101|10.10.10.15 revealed registration_password");
    assert_no_secret("the audit entry", &format!("{e:?}"));

    // Without JavaScript: the form posts to the page, which comes back with the value, not cached.
    let r = post_form(addr, &admin, "/phones/10.10.10.15/pp101", "reveal=phone_pass").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(&format!("<code data-testid=\"value-phone_pass\">{LOGIN_PASS}</code>")));
    assert!(!r.body.contains(REG_PASS), "only the asked secret is revealed");
    assert!(r.body.contains("Hide login password"));
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
    let entries = audit(&server.db).await;
    assert_eq!(entries.len(), before + 2);
    let e = entries.last().expect("entry");
    assert_eq!(e.event_notes, "phone: pp101|10.10.10.15 revealed phone_pass");
    assert_no_secret("the audit log", &format!("{entries:?}"));
    // The history lists both reveals.
    let page = get(addr, &admin, "/phones/10.10.10.15/pp101").await;
    // (The page also carries its data for hydration, so count the rendered entries only.)
    assert_eq!(page.body.matches("<code>ADMIN REVEAL PHONE SECRET</code>").count(), 2);
    assert!(page.body.contains("revealed registration_password") && page.body.contains("revealed phone_pass"));
    assert_no_secret("the page after reveals", &page.body);

    // A field that is not a secret is not "revealed", and nothing is audited.
    let r = server_fn_json(addr, &admin, "reveal_phone_secret", &reveal_json("pp101", "PhoneLogin")).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("is not a secret"), "{}", r.body);
    let r = post_form(addr, &admin, "/phones/10.10.10.15/pp101", "reveal=nonsense").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Choose a password to reveal"));
    // An unknown phone.
    let r = server_fn_json(addr, &admin, "reveal_phone_secret", &reveal_json("nope", "PhonePass")).await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("No phone nope on server 10.10.10.15"), "{}", r.body);
    assert_eq!(audit(&server.db).await.len(), before + 2);
}

#[tokio::test]
async fn a_user_without_ast_admin_access_may_not_reveal() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    add_phone(addr, "pp101", IP).await;
    let noast = session(addr, "noast", "noastpass").await;
    let before = audit(&server.db).await.len();
    for field in ["RegistrationPassword", "PhonePass"] {
        let r = server_fn_json(addr, &noast, "reveal_phone_secret", &reveal_json("pp101", field)).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("may not reveal phone passwords"), "{}", r.body);
        assert_no_secret("the refusal", &r.body);
    }
    let r = post_form(addr, &noast, "/phones/10.10.10.15/pp101", "reveal=registration_password").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Your user may not reveal phone passwords (it needs ast_admin_access)."));
    assert_no_secret("the refused form's page", &r.body);
    assert_eq!(audit(&server.db).await.len(), before, "a refused reveal reveals and records nothing");
}

#[tokio::test]
async fn delete_needs_the_permission_and_the_confirmation() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    add_phone(addr, "pp101", IP).await;
    let form = "server_ip=10.10.10.15&extension=pp101&confirm=yes";
    let origin = format!("http://{addr}");
    let call = |cookie: String, body: &'static str| {
        let origin = origin.clone();
        async move {
            let headers = [("Cookie", cookie.as_str()), ("Origin", origin.as_str()), ("Accept", "application/json")];
            http_with(addr, "POST", "/serverfn/delete_phone_entry", &headers, Some(body)).await
        }
    };
    let exists =
        |db: Db| async move { dialtone::service::phones::find_phone(&db, "pp101", IP).await.expect("find").is_some() };

    // nodelete has ast_admin_access but not ast_delete_phones: not offered, and refused.
    let nodelete = session(addr, "nodelete", "nodelpass1").await;
    let page = get(addr, &nodelete, "/phones/10.10.10.15/pp101").await;
    assert!(page.body.contains("Reveal registration password") && !page.body.contains("Delete phone"));
    let r = call(nodelete.clone(), "server_ip=10.10.10.15&extension=pp101&confirm=yes").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("may not delete phones"), "{}", r.body);
    assert!(exists(server.db.clone()).await);

    // apiadmin without the confirmation: refused.
    let admin = session(addr, "apiadmin", "apipass1").await;
    let r = call(admin.clone(), "server_ip=10.10.10.15&extension=pp101").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("I understand"), "{}", r.body);
    assert!(exists(server.db.clone()).await);
    // The same without JavaScript: back to the page, which shows the refusal.
    let r = post_form(addr, &admin, "/serverfn/delete_phone_entry", "server_ip=10.10.10.15&extension=pp101").await;
    assert_eq!(r.status, 302, "{}", r.body);
    let back = header(&r, "location").expect("location").to_string();
    assert!(back.starts_with(&format!("http://{addr}/phones/10.10.10.15/pp101?")) && back.contains("__err="), "{back}");
    let page = get(addr, &admin, back.trim_start_matches(&format!("http://{addr}"))).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("to confirm the delete.</p>"), "the refusal is shown");
    assert!(exists(server.db.clone()).await);

    // The form without JavaScript: deleted, then the browser goes to the list with a notice.
    let r = post_form(addr, &admin, "/serverfn/delete_phone_entry", form).await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(header(&r, "location"), Some("/phones?deleted=10.10.10.15/pp101"));
    assert!(!exists(server.db.clone()).await);
    let list = get(addr, &admin, "/phones?deleted=10.10.10.15/pp101").await;
    assert!(list.body.contains("Phone pp101 was deleted from server 10.10.10.15."));
    assert!(!list.body.contains("href=\"/phones/10.10.10.15/pp101\""));
    let e = audit(&server.db).await.pop().expect("entry");
    assert_eq!(
        (e.user.as_str(), e.event_type.as_str(), e.record_id.as_str(), e.event_code.as_str()),
        ("apiadmin", "DELETE", "pp101", "ADMIN DELETE PHONE")
    );
    assert_no_secret("the delete entry", &format!("{e:?}"));
    // The server is marked for a conf rebuild.
    let mut conn = server.db.reader().acquire().await.expect("conn");
    let (flag,): (String,) = sqlx::query_as("SELECT rebuild_conf_files FROM servers WHERE server_ip = '10.10.10.15'")
        .fetch_one(&mut *conn)
        .await
        .expect("flag");
    assert_eq!(flag, "Y");
    drop(conn);

    // Again, with JavaScript's server-function call: the phone is gone, said clearly.
    add_phone(addr, "pp101", IP).await;
    let r = call(admin.clone(), "server_ip=10.10.10.15&extension=pp101&confirm=yes").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!exists(server.db.clone()).await);
    let r = call(admin, "server_ip=10.10.10.15&extension=pp101&confirm=yes").await;
    assert!(r.body.contains("No phone pp101 on server 10.10.10.15 (already deleted?)."), "{}", r.body);
}

#[tokio::test]
async fn the_history_lists_the_add_and_edits_with_secrets_redacted() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    add_phone(addr, "pp101", IP).await;
    // The same extension on the other server: its entries are not this phone's.
    add_phone(addr, "pp101", "10.10.10.16").await;
    // An edit through the legacy API changing both secrets and the name.
    let r = api_get(
        addr,
        "source=test&user=nodelete&pass=nodelpass1&function=update_phone&extension=pp101&server_ip=10.10.10.15\
         &phone_pass=NewLoginPw99&registration_password=NewRegPw77&phone_full_name=Renamed+Agent",
    )
    .await;
    assert!(r.body.starts_with("SUCCESS: update_phone PHONE HAS BEEN UPDATED"), "{}", r.body);
    let admin = session(addr, "apiadmin", "apipass1").await;
    let page = get(addr, &admin, "/phones/10.10.10.15/pp101").await;
    let body = &page.body;
    let edit = body.find("ADMIN API UPDATE PHONE").expect("the edit");
    let add = body.find("ADMIN API ADD PHONE").expect("the add");
    assert!(edit < add, "newest first");
    assert_eq!(body.matches("<code>ADMIN API ADD PHONE</code>").count(), 1, "only this server's add");
    assert!(body.contains("<span>nodelete</span>") && body.contains("<span>apiadmin</span>"));
    for needle in [
        "<th scope=\"row\">Full name</th><td>Page Agent</td><td>Renamed Agent</td>",
        "<th scope=\"row\">Login password</th><td>[redacted]</td><td>[redacted]</td>",
        "<th scope=\"row\">Registration password</th><td>[redacted]</td><td>[redacted]</td>",
        "Values when added (",
    ] {
        assert!(body.contains(needle), "{needle} missing");
    }
    // Neither the old nor the new passwords appear, in the page or in the server function's answer.
    let data = server_fn_json(addr, &admin, "get_phone_page", &page_json("pp101")).await;
    for text in [body, &data.body] {
        for secret in [LOGIN_PASS, REG_PASS, "NewLoginPw99", "NewRegPw77"] {
            assert!(!text.contains(secret), "{secret} shown");
        }
    }
    // Until revealed.
    let r = server_fn_json(addr, &admin, "reveal_phone_secret", &reveal_json("pp101", "RegistrationPassword")).await;
    assert_eq!(r.body, "\"NewRegPw77\"");
}

#[tokio::test]
async fn an_unknown_phone_is_a_clear_404() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let admin = session(addr, "apiadmin", "apipass1").await;
    let page = get(addr, &admin, "/phones/10.10.10.15/nope").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("No phone nope on server 10.10.10.15."));
    assert!(page.body.contains("href=\"/phones\">Back to the phones list</a>"));
    // The seed phone exists, but not on the other server.
    let page = get(addr, &admin, "/phones/10.10.10.16/seed100").await;
    assert_eq!(page.status, 404);
    let page = get(addr, &admin, "/phones/10.10.10.15/seed100").await;
    assert_eq!(page.status, 200);
}

#[tokio::test]
async fn cross_origin_and_signed_out_calls_are_refused() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    add_phone(addr, "pp101", IP).await;
    let admin = session(addr, "apiadmin", "apipass1").await;
    let ours = format!("http://{addr}");
    let json = ("Content-Type", "application/json");
    let calls = [
        ("/serverfn/get_phone_page", page_json("pp101"), json),
        ("/serverfn/reveal_phone_secret", reveal_json("pp101", "RegistrationPassword"), json),
        (
            "/serverfn/delete_phone_entry",
            "server_ip=10.10.10.15&extension=pp101&confirm=yes".to_string(),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ),
        (
            "/phones/10.10.10.15/pp101",
            "reveal=registration_password".to_string(),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ),
    ];
    for (target, body, content_type) in &calls {
        let cross = [("Cookie", admin.as_str()), ("Origin", "http://evil.example"), *content_type];
        let r = http_with(addr, "POST", target, &cross, Some(body)).await;
        assert_eq!(r.status, 403, "{target} cross-origin");
        assert_no_secret(target, &r.body);
        let signed_out = [("Origin", ours.as_str()), *content_type];
        let r = http_with(addr, "POST", target, &signed_out, Some(body)).await;
        assert_eq!(r.status, 401, "{target} without a session");
        assert_no_secret(target, &r.body);
    }
    assert!(dialtone::service::phones::find_phone(&server.db, "pp101", IP).await.expect("find").is_some());
    assert!(!audit(&server.db).await.iter().any(|e| e.event_code == "ADMIN REVEAL PHONE SECRET"));
    // The page itself sends a signed-out browser to the sign-in page.
    let r = http_with(addr, "GET", "/phones/10.10.10.15/pp101", &[], None).await;
    assert_eq!(r.status, 303);
    assert_eq!(header(&r, "location"), Some("/sign-in?next=%2Fphones%2F10%2E10%2E10%2E15%2Fpp101"));
}
