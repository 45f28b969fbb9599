//! The web admin's phone form against a real SQLite file and over real HTTP: the save use case (web
//! rules, secrets kept on edit, generated password for EXTERNAL, refusals against their field), the
//! no-JavaScript form post (redirect on success, the page again with errors and nothing stored), the
//! server function's permission check.

mod common;

use common::{header, http_with, server_fn_json, session, start_fixture_server};
use dialtone::domain::phone_entry::{Field, Rule};
use dialtone::domain::PhoneEntryInput;
use dialtone::service::wizard::{save_phone, FormRefused, PhoneKey};
use dialtone::service::{phones, Actor};

fn sip(ext: &str, login: &str) -> PhoneEntryInput {
    PhoneEntryInput { registration_password: "Strong9secret".into(), ..common::phone(ext, login, "10.10.10.15") }
}

fn fields(r: Result<PhoneKey, FormRefused>) -> Vec<(Field, Rule)> {
    match r {
        Err(FormRefused::Fields(errors)) => errors.into_iter().map(|e| (e.field, e.rule)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn the_save_use_case() {
    let server = start_fixture_server().await;
    let (db, cli) = (&server.db, Actor::cli());
    let key = save_phone(db, &cli, None, sip("form1", "forml1")).await.expect("saved");
    assert_eq!(key, PhoneKey { extension: "form1".into(), server_ip: "10.10.10.15".into() });

    // Web-admin rules: no "test" registration password; refusals name their field.
    let weak = PhoneEntryInput { registration_password: "test".into(), ..sip("form2", "forml2") };
    assert_eq!(fields(save_phone(db, &cli, None, weak).await), [(Field::RegistrationPassword, Rule::WellKnownSecret)]);
    assert_eq!(
        fields(save_phone(db, &cli, None, sip("form1", "other")).await),
        [(Field::Extension, Rule::Taken("another phone on server 10.10.10.15".into()))]
    );
    assert_eq!(
        fields(save_phone(db, &cli, None, sip("form3", "forml1")).await),
        [(Field::PhoneLogin, Rule::Taken("another phone".into()))]
    );
    let nowhere = PhoneEntryInput { server_ip: "10.9.9.9".into(), ..sip("form4", "forml4") };
    assert_eq!(fields(save_phone(db, &cli, None, nowhere).await)[0].0, Field::ServerIp);
    let pjsip = PhoneEntryInput { protocol: "PJSIP".into(), ..sip("form5", "forml5") };
    assert!(matches!(&fields(save_phone(db, &cli, None, pjsip).await)[0], (Field::ServerIp, Rule::SipStack { .. })));

    // EXTERNAL without a registration password gets a generated one.
    let external = PhoneEntryInput {
        protocol: "EXTERNAL".into(),
        phone_type: "external".into(),
        registration_password: String::new(),
        ..sip("form-home", "formhome")
    };
    save_phone(db, &cli, None, external).await.expect("external saved");
    let row = phones::find_phone(db, "form-home", "10.10.10.15").await.expect("db").expect("row");
    assert_eq!(row.conf_secret.len(), 20);

    // An edit with blank passwords keeps the stored ones; a rename moves the key.
    let edit = PhoneEntryInput {
        phone_pass: String::new(),
        registration_password: String::new(),
        phone_full_name: "Renamed".into(),
        extension: "form1b".into(),
        ..sip("form1", "forml1")
    };
    let before = phones::find_phone(db, "form1", "10.10.10.15").await.expect("db").expect("row");
    let moved = save_phone(db, &cli, Some(&key), edit).await.expect("edited");
    let after = phones::find_phone(db, &moved.extension, &moved.server_ip).await.expect("db").expect("row");
    assert_eq!((after.fullname.as_str(), after.pass.as_str()), ("Renamed", before.pass.as_str()));
    assert_eq!(after.conf_secret, before.conf_secret);
    assert!(phones::find_phone(db, "form1", "10.10.10.15").await.expect("db").is_none());
    // Editing a phone that is gone: a message, not a field.
    assert!(matches!(save_phone(db, &cli, Some(&key), sip("form1", "x1")).await, Err(FormRefused::Other(_))));
}

#[tokio::test]
async fn the_form_posts_without_javascript() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let origin = format!("http://{addr}");
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let form = |ext: &str, login: &str, reg: &str| {
        format!(
            "device=sip&extension={ext}&dialplan_number=7001&voicemail_id=7001&server_ip=10.10.10.15\
             &phone_login={login}&phone_pass=pw7001&registration_password={reg}&phone_full_name=Post+Agent\
             &outbound_cid=3125550100&local_gmt=-5.00&phone_context=default&phone_ring_timeout=60&status=ACTIVE&active=Y"
        )
    };
    let headers = [("Cookie", cookie.as_str()), ("Origin", origin.as_str())];
    let ok = http_with(addr, "POST", "/phones/new", &headers, Some(&form("post1", "postl1", "Strong9secret"))).await;
    assert_eq!((ok.status, header(&ok, "location")), (303, Some("/phones/10.10.10.15/post1")));
    assert!(phones::find_phone(&server.db, "post1", "10.10.10.15").await.expect("db").is_some());

    // Refused: the page again, the posted values kept, each error by its field, nothing stored.
    let bad = http_with(addr, "POST", "/phones/new", &headers, Some(&form("post-2", "postl1", "test"))).await;
    assert_eq!(bad.status, 200);
    for needle in
        ["Extension may contain only letters and digits", "value=\"post-2\"", "Not saved: fix the fields marked below."]
    {
        assert!(bad.body.contains(needle), "{needle} missing");
    }
    assert!(phones::find_phone(&server.db, "post-2", "10.10.10.15").await.expect("db").is_none());
    let weak = http_with(addr, "POST", "/phones/new", &headers, Some(&form("post3", "postl3", "test"))).await;
    assert!(weak.body.contains("Registration password may not be the well-known default"), "{}", weak.body);

    // Edit by post, then a user without phone rights is refused and nothing changes.
    let edit = form("post1", "postl1", "").replace("Post+Agent", "Edited+Agent");
    let r = http_with(addr, "POST", "/phones/10.10.10.15/post1/edit", &headers, Some(&edit)).await;
    assert_eq!(r.status, 303);
    let row = phones::find_phone(&server.db, "post1", "10.10.10.15").await.expect("db").expect("row");
    assert_eq!((row.fullname.as_str(), row.conf_secret.as_str()), ("Edited Agent", "Strong9secret"));
    let viewer = session(addr, "noast", "noastpass").await;
    let vh = [("Cookie", viewer.as_str()), ("Origin", origin.as_str())];
    let refused = http_with(addr, "POST", "/phones/new", &vh, Some(&form("post4", "postl4", "Strong9secret"))).await;
    assert!(refused.body.contains("may not add or change phones"));
    assert!(phones::find_phone(&server.db, "post4", "10.10.10.15").await.expect("db").is_none());
    // Cross-origin and signed-out posts never reach the form.
    let cross = http_with(
        addr,
        "POST",
        "/phones/new",
        &[("Cookie", &cookie), ("Origin", "http://evil.example")],
        Some(&form("post5", "postl5", "Strong9secret")),
    )
    .await;
    assert_eq!(cross.status, 403);
    let anon =
        http_with(addr, "POST", "/phones/new", &[("Origin", &origin)], Some(&form("post6", "l6", "Strong9s"))).await;
    assert_eq!(anon.status, 401);
}

#[tokio::test]
async fn the_server_function_saves_and_refuses() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let input = serde_json::to_value(sip("fn1", "fnl1")).expect("json");
    let body = serde_json::json!({ "mode": { "New": { "copy": null } }, "input": input }).to_string();
    let r = server_fn_json(addr, &cookie, "save_phone_form", &body).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, r#"{"Saved":"/phones/10.10.10.15/fn1"}"#);
    let again = server_fn_json(addr, &cookie, "save_phone_form", &body).await;
    assert!(again.body.contains("\"Fields\"") && again.body.contains("Extension"), "{}", again.body);
    let viewer = session(addr, "noast", "noastpass").await;
    let refused = server_fn_json(addr, &viewer, "save_phone_form", &body.replace("fn1", "fn2")).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("may not add or change phones"), "{}", refused.body);
    assert!(phones::find_phone(&server.db, "fn2", "10.10.10.15").await.expect("db").is_none());
    // The preview: a stanza for SIP, "no peer" for EXTERNAL; never the stored secret on an edit.
    let preview =
        server_fn_json(addr, &cookie, "preview_phone_conf", &serde_json::json!({ "input": input }).to_string()).await;
    assert!(preview.body.contains("[fn1]") && preview.body.contains("secret=Strong9secret"), "{}", preview.body);
    let mut ext = sip("fn3", "fnl3");
    ext.protocol = "EXTERNAL".into();
    let preview =
        server_fn_json(addr, &cookie, "preview_phone_conf", &serde_json::json!({ "input": ext }).to_string()).await;
    assert!(preview.body.contains("no peer: EXTERNAL phones are dialed, not registered"), "{}", preview.body);
}
