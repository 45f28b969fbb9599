//! Concurrency, hostile input and the audit trail of the legacy API, over real HTTP against real
//! SQLite files.

mod common;

use common::{api_get, snapshot, start_fixture_server};

const VALID: &[(&str, &str)] = &[
    ("extension", "cc101"),
    ("dialplan_number", "101"),
    ("voicemail_id", "101"),
    ("phone_login", "cc101"),
    ("phone_pass", "test"),
    ("server_ip", "10.10.10.15"),
    ("protocol", "SIP"),
    ("registration_password", "secret101"),
    ("phone_full_name", "Agent 101"),
    ("local_gmt", "-5.00"),
    ("outbound_cid", "3125551101"),
];

fn add_phone_query(overrides: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> =
        vec![("source", "test"), ("user", "apiadmin"), ("pass", "apipass1"), ("function", "add_phone")];
    pairs.extend_from_slice(VALID);
    for (k, v) in overrides {
        match pairs.iter_mut().find(|(pk, _)| pk == k) {
            Some(p) => p.1 = v,
            None => pairs.push((k, v)),
        }
    }
    dialtone::api::encode_query(&pairs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_adds_of_one_login_store_exactly_one() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let mut tasks = Vec::new();
    for i in 0..64 {
        tasks.push(tokio::spawn(async move {
            let ext = format!("race{i:03}");
            api_get(addr, &add_phone_query(&[("extension", &ext), ("phone_login", "samelogin")])).await
        }));
    }
    let mut successes = 0;
    for t in tasks {
        let res = t.await.expect("task");
        assert_eq!(res.status, 200, "{}", res.body);
        if res.body.starts_with("SUCCESS: add_phone PHONE HAS BEEN ADDED") {
            successes += 1;
        } else {
            assert_eq!(res.body, "ERROR: add_phone PHONE LOGIN ALREADY EXISTS: |apiadmin|samelogin\n");
        }
    }
    assert_eq!(successes, 1);
    let mut conn = server.db.reader().acquire().await.expect("conn");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM phones WHERE login = 'samelogin'")
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    assert_eq!(n, 1);
}

/// Hostile values for every parameter: each must get an ERROR line (HTTP 200, nothing stored, no
/// markup echoed), except names the full-name rule accepts (Unicode letters, an apostrophe), which
/// must be stored exactly as sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_on_every_parameter_is_refused_and_nothing_is_stored() {
    let server = start_fixture_server().await;
    let long = "x".repeat(300);
    let hostile: Vec<(&str, String)> = vec![
        ("sql-quote", "1' OR '1'='1".into()),
        ("sql-drop", "x\"; DROP TABLE phones;--".into()),
        ("markup", "<script>alert(1)</script>".into()),
        ("overlong", long.clone()),
        ("nul", "ab\u{0}cd".into()),
        ("crlf", "ab\r\nSet-Cookie: x=1".into()),
        ("tab", "ab\tcd".into()),
        ("unicode", "Jöhn日本".into()),
        ("emoji", "📞📞".into()),
        ("percent", "%00%27".into()),
        ("conf-injection", "ab]\n[general]".into()),
    ];
    let params = [
        "extension",
        "dialplan_number",
        "voicemail_id",
        "phone_login",
        "phone_pass",
        "server_ip",
        "protocol",
        "registration_password",
        "phone_full_name",
        "local_gmt",
        "outbound_cid",
        "email",
        "phone_context",
        "admin_user_group",
        "is_webphone",
        "webphone_auto_answer",
        "use_external_server_ip",
        "on_hook_agent",
        "template_id",
        "user",
        "pass",
        "source",
        "function",
    ];
    let mut before = snapshot(&server.db).await;
    let mut checked = 0;
    for param in params {
        for (label, value) in &hostile {
            let res = api_get(server.addr, &add_phone_query(&[(param, value)])).await;
            assert_eq!(res.status, 200, "{param}={label}: {}", res.body);
            assert!(!res.body.contains('<') && !res.body.contains('>'), "{param}={label} echoed markup: {}", res.body);
            if param == "phone_full_name" && dialtone::domain::phone_entry::validate_full_name(value).is_ok() {
                assert!(res.body.starts_with("SUCCESS:"), "{param}={label}: {}", res.body);
                let row = common::row_json(&server.db, "phones", "extension", "cc101", Some("10.10.10.15"))
                    .await
                    .expect("row");
                assert_eq!(row.get("fullname").and_then(|v| v.as_str()), Some(value.as_str()), "stored unaltered");
                let del = api_get(
                    server.addr,
                    "source=test&user=apiadmin&pass=apipass1&function=update_phone&extension=cc101&server_ip=10.10.10.15&delete_phone=Y",
                )
                .await;
                assert!(del.body.starts_with("SUCCESS:"), "{}", del.body);
                // The add and delete marked the server for a conf rebuild: the new baseline.
                before = snapshot(&server.db).await;
            } else {
                assert!(res.body.starts_with("ERROR:"), "{param}={label}: {}", res.body);
                assert_eq!(snapshot(&server.db).await, before, "{param}={label} changed stored data");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, params.len() * hostile.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_bodies_work_and_the_query_string_wins() {
    let server = start_fixture_server().await;
    let body = add_phone_query(&[]);
    let res = common::http(server.addr, "POST", "/vicidial/non_agent_api.php", Some(&body)).await;
    assert_eq!(res.body, "SUCCESS: add_phone PHONE HAS BEEN ADDED - apiadmin|cc101|10.10.10.15|SIP|101\n");
    let body = add_phone_query(&[("extension", "cc102"), ("phone_login", "cc102")]);
    let res = common::http(server.addr, "POST", "/vicidial/non_agent_api.php?extension=cc103", Some(&body)).await;
    assert_eq!(res.body, "SUCCESS: add_phone PHONE HAS BEEN ADDED - apiadmin|cc103|10.10.10.15|SIP|101\n");
    let content_type = res.headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.as_str());
    assert_eq!(content_type, Some("text/html; charset=utf-8"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_audited_without_secrets_and_changes_mark_the_server() {
    let server = start_fixture_server().await;
    let ok = api_get(
        server.addr,
        &add_phone_query(&[("registration_password", "TopSecret77"), ("phone_pass", "LoginPw55")]),
    )
    .await;
    assert!(ok.body.starts_with("SUCCESS:"), "{}", ok.body);
    let refused =
        api_get(server.addr, &add_phone_query(&[("extension", "x"), ("registration_password", "TopSecret77")])).await;
    assert!(refused.body.starts_with("ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS"), "{}", refused.body);
    let bad = api_get(server.addr, "source=test&user=apiadmin&pass=WrongPass99&function=add_phone").await;
    assert!(bad.body.starts_with("ERROR: Login incorrect"), "{}", bad.body);
    let upd = api_get(
        server.addr,
        "source=test&user=apiadmin&pass=apipass1&function=update_phone&extension=cc101&server_ip=10.10.10.15&registration_password=Rotated88",
    )
    .await;
    assert!(upd.body.starts_with("SUCCESS:"), "{}", upd.body);

    let mut conn = server.db.reader().acquire().await.expect("conn");
    let entries = dialtone::storage::audit::list_audit(&mut conn).await.expect("audit");
    let all = format!("{entries:?}");
    for secret in ["TopSecret77", "LoginPw55", "WrongPass99", "Rotated88", "apipass1"] {
        assert!(!all.contains(secret), "secret {secret} in the audit log");
    }
    let add = entries.iter().find(|e| e.event_code == "ADMIN API ADD PHONE").expect("add entry");
    assert_eq!(
        (add.user.as_str(), add.record_id.as_str(), add.ip_address.as_str()),
        ("apiadmin", "cc101", "127.0.0.1")
    );
    let diff: serde_json::Value = serde_json::from_str(&add.event_diff).expect("json diff");
    assert!(diff["conf_secret"].is_null(), "diff uses parameter names");
    assert_eq!(diff["registration_password"]["new"], "[redacted]");
    assert_eq!(diff["extension"]["new"], "cc101");
    let modify = entries.iter().find(|e| e.event_code == "ADMIN API UPDATE PHONE").expect("modify entry");
    let diff: serde_json::Value = serde_json::from_str(&modify.event_diff).expect("json diff");
    assert_eq!(diff["registration_password"], serde_json::json!({"old": "[redacted]", "new": "[redacted]"}));
    assert_eq!(diff.as_object().map(|o| o.len()), Some(1), "only the changed field: {diff}");
    assert!(entries.iter().any(|e| e.event_section == "API" && e.event_notes.contains("Login incorrect")));
    assert!(entries
        .iter()
        .any(|e| e.event_section == "API" && e.event_notes.contains("YOU MUST USE ALL REQUIRED FIELDS")));

    let flags: Vec<(String, String)> =
        sqlx::query_as("SELECT server_ip, rebuild_conf_files FROM servers ORDER BY server_ip")
            .fetch_all(&mut *conn)
            .await
            .expect("flags");
    assert_eq!(flags, vec![("10.10.10.15".into(), "Y".into()), ("10.10.10.16".into(), "N".into())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_on_a_server_without_conf_generation_leaves_its_flag_alone() {
    let server = start_fixture_server().await;
    let res = api_get(server.addr, &add_phone_query(&[("server_ip", "10.10.10.16")])).await;
    assert!(res.body.starts_with("SUCCESS:"), "{}", res.body);
    let mut conn = server.db.reader().acquire().await.expect("conn");
    let flag: String = sqlx::query_scalar("SELECT rebuild_conf_files FROM servers WHERE server_ip = '10.10.10.16'")
        .fetch_one(&mut *conn)
        .await
        .expect("flag");
    assert_eq!(flag, "N");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_refuses_a_duplicate_login_and_a_protocol_change_that_breaks_the_extension() {
    let server = start_fixture_server().await;
    let ext = api_get(
        server.addr,
        &add_phone_query(&[("extension", "ext-1"), ("phone_login", "ext1"), ("protocol", "EXTERNAL")]),
    )
    .await;
    assert!(ext.body.starts_with("SUCCESS:"), "{}", ext.body);
    let before = snapshot(&server.db).await;
    let q = "source=test&user=apiadmin&pass=apipass1&function=update_phone&extension=ext-1&server_ip=10.10.10.15";
    let dup = api_get(server.addr, &format!("{q}&phone_login=seedlogin")).await;
    assert_eq!(dup.body, "ERROR: update_phone LOGIN ALREADY EXISTS: |apiadmin|seedlogin\n");
    let proto = api_get(server.addr, &format!("{q}&protocol=SIP")).await;
    assert!(
        proto.body.starts_with("ERROR: update_phone INVALID EXTENSION, extension may contain only letters and digits"),
        "{}",
        proto.body
    );
    assert_eq!(snapshot(&server.db).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_line_has_vicidials_shape() {
    let server = start_fixture_server().await;
    let res = api_get(server.addr, "function=version").await;
    let line = res.body.strip_suffix('\n').expect("newline");
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts.len(), 8, "{line}");
    assert_eq!(parts[0], "VERSION: 2.14-202");
    assert_eq!(parts[1], format!("BUILD: {}-dialtone", env!("CARGO_PKG_VERSION")));
    let date = parts[2].strip_prefix("DATE: ").expect("date");
    assert!(chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S").is_ok(), "{date}");
    let epoch: i64 = parts[3].strip_prefix("EPOCH: ").and_then(|e| e.parse().ok()).expect("epoch");
    assert!((epoch - dialtone::storage::now_unix()).abs() < 5);
    assert!(matches!(parts[4], "DST: 0" | "DST: 1"));
    assert_eq!(parts[5], "TZ: -5.00");
    assert!(parts[6].starts_with("TZNOW: "));
    assert_eq!(parts[7], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_failed_logins_lock_the_user() {
    let server = start_fixture_server().await;
    // A first success stamps last_login_date; the lock is measured from it, as in VICIdial.
    let q = |pass: &str| format!("source=test&user=level8&pass={pass}&function=add_phone");
    let first = api_get(server.addr, &q("level8pass")).await;
    assert!(first.body.starts_with("ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS"), "{}", first.body);
    for _ in 0..10 {
        let res = api_get(server.addr, &q("wrong")).await;
        assert_eq!(res.body, "ERROR: Login incorrect, please try again: |level8|wrong|BAD|\n");
    }
    let locked = api_get(server.addr, &q("level8pass")).await;
    assert_eq!(locked.body, "ERROR: Too many login attempts, try again in 15 minutes: |level8|LOCK|\n");
}
