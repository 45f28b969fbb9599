//! One set of rules: the same inputs through `domain::validate_phone_entry`, the service call the web
//! admin's server functions make, and the legacy API must get the same accept/reject verdict.

mod common;

use common::{api_get, start_fixture_server};
use dialtone::domain::{validate_phone_entry, PhoneEntryInput, ProtocolSet};
use dialtone::service::{phones, Actor};

fn variants() -> Vec<(&'static str, PhoneEntryInput)> {
    let base = common::phone("par101", "par101", "10.10.10.15");
    let with = |f: &dyn Fn(&mut PhoneEntryInput)| {
        let mut i = base.clone();
        f(&mut i);
        i
    };
    vec![
        ("valid", base.clone()),
        (
            "external-with-dash",
            with(&|i| {
                i.protocol = "EXTERNAL".into();
                i.extension = "par-101".into();
            }),
        ),
        ("sip-with-dash", with(&|i| i.extension = "par-101".into())),
        (
            "zap-with-dash",
            with(&|i| {
                i.protocol = "Zap".into();
                i.extension = "25-1".into();
            }),
        ),
        ("extension-101-chars", with(&|i| i.extension = "e".repeat(101))),
        ("dialplan-star", with(&|i| i.dialplan_number = "*98".into())),
        ("dialplan-21", with(&|i| i.dialplan_number = "1".repeat(21))),
        ("voicemail-letters", with(&|i| i.voicemail_id = "12a".into())),
        ("login-16", with(&|i| i.phone_login = "l".repeat(16))),
        ("login-space", with(&|i| i.phone_login = "a b".into())),
        ("pass-symbol", with(&|i| i.phone_pass = "pa$$".into())),
        ("secret-101", with(&|i| i.registration_password = "s".repeat(101))),
        ("server-bad", with(&|i| i.server_ip = "10.10.10.300".into())),
        ("protocol-lower", with(&|i| i.protocol = "sip".into())),
        ("name-unicode", with(&|i| i.phone_full_name = "Zoë Ångström".into())),
        ("name-semicolon", with(&|i| i.phone_full_name = "a;b".into())),
        ("name-51", with(&|i| i.phone_full_name = "n".repeat(51))),
        ("gmt-int", with(&|i| i.local_gmt = "-7".into())),
        ("gmt-bad", with(&|i| i.local_gmt = "-7.25".into())),
        ("cid-21", with(&|i| i.outbound_cid = "3".repeat(21))),
        ("email-ok", with(&|i| i.email = "a.b+c@example.org".into())),
        ("email-bad", with(&|i| i.email = "a@b".into())),
        ("context-bad", with(&|i| i.phone_context = "ctx!".into())),
        ("webphone-bad", with(&|i| i.is_webphone = "yes".into())),
        ("onhook-lower", with(&|i| i.on_hook_agent = "y".into())),
        ("group-long", with(&|i| i.admin_user_group = "g".repeat(21))),
    ]
}

fn api_query(i: &PhoneEntryInput) -> String {
    let mut pairs = vec![("source", "par"), ("user", "apiadmin"), ("pass", "apipass1"), ("function", "add_phone")];
    for (k, v) in [
        ("extension", &i.extension),
        ("dialplan_number", &i.dialplan_number),
        ("voicemail_id", &i.voicemail_id),
        ("phone_login", &i.phone_login),
        ("phone_pass", &i.phone_pass),
        ("server_ip", &i.server_ip),
        ("protocol", &i.protocol),
        ("registration_password", &i.registration_password),
        ("phone_full_name", &i.phone_full_name),
        ("local_gmt", &i.local_gmt),
        ("outbound_cid", &i.outbound_cid),
        ("email", &i.email),
        ("phone_context", &i.phone_context),
        ("admin_user_group", &i.admin_user_group),
        ("is_webphone", &i.is_webphone),
        ("on_hook_agent", &i.on_hook_agent),
    ] {
        if !v.is_empty() {
            pairs.push((k, v.as_str()));
        }
    }
    dialtone::api::encode_query(&pairs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_service_and_api_agree() {
    for (label, input) in variants() {
        let domain_ok = validate_phone_entry(&input, ProtocolSet::LegacyApi).is_ok();
        let web = start_fixture_server().await;
        let service_ok = phones::add_phone_input(&web.db, &Actor::cli(), &input, ProtocolSet::LegacyApi).await.is_ok();
        let api = start_fixture_server().await;
        let res = api_get(api.addr, &api_query(&input)).await;
        let api_ok = res.body.starts_with("SUCCESS:");
        assert!(api_ok || res.body.starts_with("ERROR:"), "{label}: {}", res.body);
        assert_eq!(
            (domain_ok, service_ok, api_ok),
            (domain_ok, domain_ok, domain_ok),
            "{label}: api said {}",
            res.body
        );
        if domain_ok {
            let stored = common::row_json(&api.db, "phones", "extension", &input.extension, Some(&input.server_ip))
                .await
                .expect("row");
            let canonical = validate_phone_entry(&input, ProtocolSet::LegacyApi).expect("valid");
            assert_eq!(stored["local_gmt"], canonical.local_gmt.as_str(), "{label}");
            assert_eq!(stored["fullname"], canonical.phone_full_name.as_str(), "{label}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsip_is_web_admin_only() {
    let mut input = common::phone("pj101", "pj101", "10.10.10.15");
    input.protocol = "PJSIP".into();
    assert!(validate_phone_entry(&input, ProtocolSet::LegacyApi).is_err());
    let server = start_fixture_server().await;
    assert!(phones::add_phone_input(&server.db, &Actor::cli(), &input, ProtocolSet::WebAdmin).await.is_ok());
    let res =
        api_get(server.addr, &api_query(&common::phone("pj102", "pj102", "10.10.10.15")).replace("SIP", "PJSIP")).await;
    assert!(res.body.starts_with("ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS"), "{}", res.body);
}
