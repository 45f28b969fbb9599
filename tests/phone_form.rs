//! The web admin's phone form against a real SQLite file and over real HTTP: the save use case (web
//! rules, secrets kept on edit, generated password for EXTERNAL, refusals against their field, weak
//! passwords refused unless accepted, a taken login naming its phone), the no-JavaScript form post
//! (redirect on success, the page again with a linked summary, errors and nothing stored; the EXTERNAL
//! ring-timeout default), the server function's permission check, and the pages' headings.

mod common;

use common::{header, http_with, server_fn_json, session, start_fixture_server};
use dialtone::domain::phone_entry::{Field, Rule};
use dialtone::domain::PhoneEntryInput;
use dialtone::service::wizard::{save_phone, FormRefused, PhoneKey};
use dialtone::service::{phones, Actor};

fn sip(ext: &str, login: &str) -> PhoneEntryInput {
    PhoneEntryInput {
        phone_pass: "Login9secret".into(),
        registration_password: "Strong9secret".into(),
        ..common::phone(ext, login, "10.10.10.15")
    }
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
    let key = save_phone(db, &cli, None, sip("form1", "forml1"), &[]).await.expect("saved");
    assert_eq!(key, PhoneKey { extension: "form1".into(), server_ip: "10.10.10.15".into() });

    // Web-admin rules: no "test" registration password; refusals name their field.
    let weak = PhoneEntryInput { registration_password: "test".into(), ..sip("form2", "forml2") };
    assert_eq!(
        fields(save_phone(db, &cli, None, weak, &[]).await),
        [(Field::RegistrationPassword, Rule::WellKnownSecret)]
    );
    assert_eq!(
        fields(save_phone(db, &cli, None, sip("form1", "other"), &[]).await),
        [(Field::Extension, Rule::Taken("another phone on server 10.10.10.15".into()))]
    );
    assert_eq!(
        fields(save_phone(db, &cli, None, sip("form3", "forml1"), &[]).await),
        [(Field::PhoneLogin, Rule::TakenByPhone { extension: "form1".into(), server_ip: "10.10.10.15".into() })]
    );
    // Weak passwords: refused by field, saved once accepted; the generated ones have no look-alikes.
    let weak = PhoneEntryInput { phone_pass: "abc".into(), registration_password: "1".into(), ..sip("formw", "formw") };
    let refused = fields(save_phone(db, &cli, None, weak.clone(), &[]).await);
    assert_eq!(
        refused,
        [
            (Field::PhonePass, Rule::WeakPassword("3 characters".into())),
            (Field::RegistrationPassword, Rule::WeakPassword("1 character".into()))
        ]
    );
    assert!(phones::find_phone(db, "formw", "10.10.10.15").await.expect("db").is_none());
    save_phone(db, &cli, None, weak, &[Field::PhonePass, Field::RegistrationPassword]).await.expect("accepted");
    for _ in 0..20 {
        let p = dialtone::service::wizard::new_registration_password();
        assert!(p.len() == 20 && !p.contains(['l', '1', 'I', 'O', '0']), "{p}");
    }
    let nowhere = PhoneEntryInput { server_ip: "10.9.9.9".into(), ..sip("form4", "forml4") };
    assert_eq!(fields(save_phone(db, &cli, None, nowhere, &[]).await)[0].0, Field::ServerIp);
    let pjsip = PhoneEntryInput { protocol: "PJSIP".into(), ..sip("form5", "forml5") };
    assert!(matches!(
        &fields(save_phone(db, &cli, None, pjsip, &[]).await)[0],
        (Field::ServerIp, Rule::SipStack { .. })
    ));

    // EXTERNAL without a registration password gets a generated one.
    let external = PhoneEntryInput {
        protocol: "EXTERNAL".into(),
        phone_type: "external".into(),
        registration_password: String::new(),
        ..sip("form-home", "formhome")
    };
    save_phone(db, &cli, None, external, &[]).await.expect("external saved");
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
    let moved = save_phone(db, &cli, Some(&key), edit, &[]).await.expect("edited");
    let after = phones::find_phone(db, &moved.extension, &moved.server_ip).await.expect("db").expect("row");
    assert_eq!((after.fullname.as_str(), after.pass.as_str()), ("Renamed", before.pass.as_str()));
    assert_eq!(after.conf_secret, before.conf_secret);
    assert!(phones::find_phone(db, "form1", "10.10.10.15").await.expect("db").is_none());
    // Editing a phone that is gone: a message, not a field.
    assert!(matches!(save_phone(db, &cli, Some(&key), sip("form1", "x1"), &[]).await, Err(FormRefused::Other(_))));
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
             &phone_login={login}&phone_pass=Login7001pw&registration_password={reg}&phone_full_name=Post+Agent\
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
    // The summary links each refused field, and the first one gets the focus.
    assert!(bad.body.contains("href=\"#pf-extension\""), "{}", bad.body);
    let autofocus = bad.body.find(" autofocus").expect("a field has autofocus");
    let input_start = bad.body[..autofocus].rfind("<input").expect("an input");
    assert!(bad.body[input_start..autofocus].contains("id=\"pf-extension\""), "{}", &bad.body[input_start..autofocus]);

    // A weak login password: refused with the box to accept it, saved once the box is ticked.
    let abc = form("post7", "postl7", "Strong9secret").replace("Login7001pw", "abc");
    let r = http_with(addr, "POST", "/phones/new", &headers, Some(&abc)).await;
    assert_eq!(r.status, 200);
    for needle in ["Login password is weak (3 characters)", "Use this weak password anyway", "name=\"accept_weak\""] {
        assert!(r.body.contains(needle), "{needle} missing");
    }
    assert!(phones::find_phone(&server.db, "post7", "10.10.10.15").await.expect("db").is_none());
    let r = http_with(addr, "POST", "/phones/new", &headers, Some(&format!("{abc}&accept_weak=phone_pass"))).await;
    assert_eq!(r.status, 303);
    assert_eq!(phones::find_phone(&server.db, "post7", "10.10.10.15").await.expect("db").expect("row").pass, "abc");

    // The legacy API keeps VICIdial's rules: the same weak passwords are accepted there, no warning.
    let api = common::api_get(
        addr,
        "source=test&user=apiadmin&pass=apipass1&function=add_phone&extension=post10&dialplan_number=7010\
         &voicemail_id=7010&phone_login=postl10&phone_pass=1&server_ip=10.10.10.15&protocol=SIP\
         &registration_password=abc&phone_full_name=Api%20Agent&local_gmt=-5.00&outbound_cid=3125557010",
    )
    .await;
    assert!(api.body.starts_with("SUCCESS: add_phone PHONE HAS BEEN ADDED"), "{}", api.body);

    // A taken login names the phone that holds it, as a link.
    let r = http_with(addr, "POST", "/phones/new", &headers, Some(&form("post8", "postl1", "Strong9secret"))).await;
    assert!(
        r.body.contains("is already used by <a href=\"/phones/10.10.10.15/post1\">phone post1 on 10.10.10.15</a>"),
        "{}",
        r.body
    );

    // A home or mobile number with the form's default ring timeout rings 20 s, which the login path accepts.
    let home = form("post9", "postl9", "").replace("device=sip", "device=external");
    let r = http_with(addr, "POST", "/phones/new", &headers, Some(&home)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let row = phones::find_phone(&server.db, "post9", "10.10.10.15").await.expect("db").expect("row");
    assert_eq!((row.protocol.as_str(), row.phone_ring_timeout), ("EXTERNAL", 20));

    // Edit by post, then a user without phone rights is refused and nothing changes.
    let edit = form("post1", "postl1", "").replace("Post+Agent", "Edited+Agent");
    let r = http_with(addr, "POST", "/phones/10.10.10.15/post1/edit", &headers, Some(&edit)).await;
    assert_eq!(r.status, 303);
    let row = phones::find_phone(&server.db, "post1", "10.10.10.15").await.expect("db").expect("row");
    assert_eq!((row.fullname.as_str(), row.conf_secret.as_str()), ("Edited Agent", "Strong9secret"));
    // The edit page names the phone, has a breadcrumb and the sections with jump links; the copy page
    // starts in the (empty) extension.
    let page = http_with(addr, "GET", "/phones/10.10.10.15/post1/edit", &[("Cookie", cookie.as_str())], None).await;
    for needle in [
        "<h1 class=\"pf-title\">Edit post1 on 10.10.10.15</h1>",
        "<nav aria-label=\"Breadcrumb\"",
        "<a href=\"/phones/10.10.10.15/post1\">post1 on 10.10.10.15</a>",
        "<a href=\"#sec-server\">Server and credentials</a>",
        "class=\"form-actions pf-save-bar\"",
    ] {
        assert!(page.body.contains(needle), "{needle} missing");
    }
    let copy = http_with(addr, "GET", "/phones/new?copy=10.10.10.15/post1", &[("Cookie", cookie.as_str())], None).await;
    assert!(copy.body.contains("Copy post1 on 10.10.10.15"));
    let autofocus = copy.body.find(" autofocus").expect("a field has autofocus");
    let input_start = copy.body[..autofocus].rfind("<input").expect("an input");
    assert!(
        copy.body[input_start..autofocus].contains("id=\"pf-extension\" name=\"extension\" type=\"text\" value=\"\"")
    );

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
