//! Asterisk conf generation against real parts: a real SQLite file, real files in a temporary conf
//! directory, the real HTTP API, and the AMI test double (Asterisk itself cannot run here).
//!
//! The golden files in `tests/golden/` pin the output for `tests/fixtures/conf_phones.sql`; they were
//! checked byte for byte against VICIdial's own generator code run on the same rows. Regenerate them
//! after a deliberate format change with `UPDATE_GOLDEN=1 cargo test --features ssr --test conf_generation`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::ami::{AmiTestServer, TEST_SECRET, TEST_USER};
use dialtone::domain::asterisk_conf::{ConfFile, PhoneConfState};
use dialtone::service::admin;
use dialtone::service::conf::{self, ConfSettings, ConfWorker};
use dialtone::service::{phones, Actor};
use dialtone::storage::{Db, Durability};

const FIXTURE_SQL: &str = include_str!("fixtures/conf_phones.sql");

/// A fresh database file with the conf fixture loaded, and a conf directory beside it.
async fn fixture_db() -> (tempfile::TempDir, Db, ConfSettings) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path().join("conf.db").to_str().expect("utf-8"), Durability::Process).await.expect("open");
    let mut tx = db.write().await.expect("tx");
    sqlx::raw_sql(sqlx::AssertSqlSafe(FIXTURE_SQL)).execute(&mut *tx).await.expect("load fixture");
    tx.commit().await.expect("commit");
    let settings = fast_settings(dir.path().join("asterisk-conf"));
    (dir, db, settings)
}

fn fast_settings(conf_dir: PathBuf) -> ConfSettings {
    ConfSettings {
        poll: Duration::from_millis(100),
        debounce: Duration::from_millis(150),
        retry: Duration::from_secs(1),
        ami_timeout: Duration::from_secs(2),
        ..ConfSettings::new(conf_dir)
    }
}

fn read(settings: &ConfSettings, ip: &str, file: ConfFile) -> String {
    std::fs::read_to_string(settings.conf_dir.join(ip).join(file.file_name())).unwrap_or_default()
}

async fn exec(db: &Db, sql: &'static str) {
    let mut tx = db.write().await.expect("tx");
    sqlx::raw_sql(sql).execute(&mut *tx).await.expect(sql);
    tx.commit().await.expect("commit");
}

async fn scalar(db: &Db, sql: &'static str) -> Option<String> {
    let mut conn = db.reader().acquire().await.expect("conn");
    sqlx::query_scalar::<_, Option<String>>(sql).fetch_optional(&mut *conn).await.expect(sql).flatten()
}

/// Polls `check` until it holds or `limit` passes; returns the time it took.
async fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn golden_files_for_the_fixture() {
    let (_dir, db, settings) = fixture_db().await;
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for ip in ["10.1.0.1", "10.1.0.2"] {
        let report = conf::regenerate_server(&db, &settings, ip, false).await.expect("generate").expect("was marked");
        assert!(report.refused.is_empty(), "{:?}", report.refused);
        assert_eq!(report.changed.len(), 4, "first generation writes every file");
        for file in ConfFile::ALL {
            let got = read(&settings, ip, file);
            let path = golden.join(ip).join(file.file_name());
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
                std::fs::write(&path, &got).expect("write golden");
            }
            let want = std::fs::read_to_string(&path).expect("golden file");
            assert_eq!(got, want, "{} differs from {}", file.file_name(), path.display());
        }
    }
    // Phones of one server never appear in the other's files; EXTERNAL, Zap and inactive phones nowhere.
    let sip_old = read(&settings, "10.1.0.2", ConfFile::Sip);
    assert!(!sip_old.contains("[1001]"));
    let all: String = ConfFile::ALL.iter().map(|f| read(&settings, "10.1.0.1", *f)).collect();
    for absent in ["[1008]", "[1009]", "[25-1]", "5551239009", "Dial(SIP/1008"] {
        assert!(!all.contains(absent), "{absent} must not be generated");
    }
    // The flag is cleared and the generation recorded.
    let flags = scalar(&db, "SELECT group_concat(rebuild_conf_files) FROM servers").await;
    assert_eq!(flags.as_deref(), Some("N,N"));
    let generated = scalar(&db, "SELECT CAST(count(*) AS TEXT) FROM servers WHERE conf_generated_at IS NOT NULL").await;
    assert_eq!(generated.as_deref(), Some("2"));
}

#[tokio::test]
async fn unchanged_files_are_not_rewritten_and_unmarked_servers_are_skipped() {
    let (_dir, db, settings) = fixture_db().await;
    conf::regenerate_server(&db, &settings, "10.1.0.1", false).await.expect("generate");
    let path = settings.conf_dir.join("10.1.0.1").join("sip-vicidial.conf");
    let before = std::fs::metadata(&path).expect("meta").modified().expect("mtime");
    // Not marked: nothing happens.
    assert!(conf::regenerate_server(&db, &settings, "10.1.0.1", false).await.expect("run").is_none());
    // Forced with the same rows: built, but no file changes.
    let report = conf::regenerate_server(&db, &settings, "10.1.0.1", true).await.expect("run").expect("forced");
    assert!(report.changed.is_empty(), "{:?}", report.changed);
    assert_eq!(std::fs::metadata(&path).expect("meta").modified().expect("mtime"), before);
    // A change to one SIP phone rewrites the SIP file only.
    exec(&db, "UPDATE phones SET fullname = 'Ann Renamed' WHERE extension = '1001'").await;
    let report = conf::regenerate_server(&db, &settings, "10.1.0.1", true).await.expect("run").expect("forced");
    assert_eq!(report.changed, vec![ConfFile::Sip]);
    assert!(read(&settings, "10.1.0.1", ConfFile::Sip).contains("callerid=\"Ann Renamed\" <3125550101>"));
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(settings.conf_dir.join("10.1.0.1"))
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

/// Records written straight into the database (as another tool or a VICIdial import could) with
/// values that would inject configuration: each is refused and reported; every other phone is written.
#[tokio::test]
async fn hostile_records_are_refused_and_reported() {
    let (_dir, db, settings) = fixture_db().await;
    exec(
        &db,
        "INSERT INTO phones (extension, dialplan_number, voicemail_id, server_ip, login, pass, fullname, outbound_cid, \
         protocol, conf_secret, phone_context, template_id, conf_override) VALUES \
         ('4001', '94001', '4001', '10.1.0.1', 'h1', 'p', 'Eve\n[evil]\ntype=friend', '', 'SIP', 'x', 'default', '', NULL), \
         ('4002', '94002', '4002', '10.1.0.1', 'h2', 'p', 'Eve', '', 'SIP', 'pw;comment', 'default', '', NULL), \
         ('4003', '94003', '4003', '10.1.0.1', 'h3', 'p', 'Eve', '', 'IAX2', 'x', 'def]ault', '', NULL), \
         ('4004', '94004', '4004', '10.1.0.1', 'h4', 'p', 'Eve', '', 'SIP', 'x', 'default', '', 'host=dynamic\n[other-peer]\nsecret=known'), \
         ('4005', '94005', '4005', '10.1.0.1', 'h5', 'p', 'Eve', '', 'PJSIP', 'x', 'default', 'evil', NULL), \
         ('40[6', '94006', '4006', '10.1.0.1', 'h6', 'p', 'Eve', '', 'SIP', 'x', 'default', '', NULL), \
         ('4007', '94007', '4007', '10.1.0.1', 'h7', 'p', 'Eve', '', 'SIP', 'x', 'default', '', 'type=friend\n#exec /bin/sh -c id'); \
         INSERT INTO vicidial_conf_templates (template_id, template_contents) VALUES ('evil', 'type=wizard\n[global]\nendpoint_identifier_order=ip');",
    )
    .await;
    let report = conf::regenerate_server(&db, &settings, "10.1.0.1", true).await.expect("run").expect("forced");
    let fields: Vec<&str> = report.refused.iter().map(|r| r.split(": ").nth(1).unwrap_or("")).collect();
    assert_eq!(report.refused.len(), 7, "{:?}", report.refused);
    for (ext, field) in [
        ("4001", "fullname"),
        ("4002", "conf_secret"),
        ("4003", "phone_context"),
        ("4004", "conf_override"),
        ("4005", "template_contents"),
        ("40[6", "extension"),
        ("4007", "conf_override"),
    ] {
        assert!(
            report.refused.iter().any(|r| r.starts_with(&format!("phone {ext}: {field} "))),
            "{ext} {field} in {fields:?}"
        );
    }
    assert_eq!(report.written, 13, "the fixture's 13 phones are still written");
    let all: String = ConfFile::ALL.iter().map(|f| read(&settings, "10.1.0.1", *f)).collect();
    for bad in ["[evil]", "pw;comment", "def]ault", "[other-peer]", "[global]", "#exec", "[40[6]", "4001", "94002"] {
        assert!(!all.contains(bad), "{bad} leaked into the files");
    }
    // The refusal is recorded on the server for the pages, without the values themselves.
    let recorded =
        scalar(&db, "SELECT conf_refused FROM servers WHERE server_ip = '10.1.0.1'").await.unwrap_or_default();
    assert_eq!(recorded.lines().count(), 7);
    assert!(!recorded.contains("known") && !recorded.contains("/bin/sh"));
    // The phone page state says why.
    let (_, state) = conf::phone_conf_view(&db, "4002", "10.1.0.1").await.expect("view").expect("phone");
    assert!(matches!(state, PhoneConfState::Refused(ref why) if why.starts_with("conf_secret")), "{state:?}");
}

#[tokio::test]
async fn templates_with_sections_or_includes_are_refused_at_input() {
    let (_dir, db, _settings) = fixture_db().await;
    let actor = Actor::cli();
    for bad in ["type=friend\n[evil]", "#include /etc/passwd", "secret=a;b", "host=dynamic\r\n\u{0}"] {
        let err = admin::put_template(&db, &actor, "bad", bad).await.expect_err(bad);
        assert!(err.to_string().contains("template contents line"), "{err}");
    }
    assert_eq!(scalar(&db, "SELECT template_id FROM vicidial_conf_templates WHERE template_id = 'bad'").await, None);
    // CRLF line endings are normalised, comments are allowed, and saving marks the servers that use it.
    exec(&db, "UPDATE servers SET rebuild_conf_files = 'N'").await;
    admin::put_template(&db, &actor, "webrtc", "; WebRTC peers\r\ntype=friend\r\nhost=dynamic\r\n")
        .await
        .expect("save");
    let stored =
        scalar(&db, "SELECT template_contents FROM vicidial_conf_templates WHERE template_id = 'webrtc'").await;
    assert_eq!(stored.as_deref(), Some("; WebRTC peers\ntype=friend\nhost=dynamic\n"));
    let flags = scalar(&db, "SELECT group_concat(server_ip || '=' || rebuild_conf_files) FROM servers").await;
    assert_eq!(flags.as_deref(), Some("10.1.0.1=Y,10.1.0.2=N"));
}

/// The whole path in a running server: a phone added over the legacy HTTP API appears in the files
/// within 2 seconds, Asterisk is asked (over AMI) to reload what changed, and the state is recorded.
#[tokio::test]
async fn api_change_reaches_the_files_and_asterisk_within_two_seconds() {
    let ami = AmiTestServer::start().await;
    let server = common::start_fixture_server().await;
    let settings = fast_settings(server.dir.path().join("asterisk-conf"));
    // The fixture's server 10.10.10.15 gets AMI settings pointing at the test double, and a first build.
    {
        let mut tx = server.db.write().await.expect("tx");
        sqlx::query(
            "UPDATE servers SET telnet_host = '127.0.0.1', telnet_port = ?, ASTmgrUSERNAME = ?, ASTmgrSECRET = ?, \
             rebuild_conf_files = 'Y' WHERE server_ip = '10.10.10.15'",
        )
        .bind(i64::from(ami.addr().port()))
        .bind(TEST_USER)
        .bind(TEST_SECRET)
        .execute(&mut *tx)
        .await
        .expect("ami settings");
        tx.commit().await.expect("commit");
    }
    let worker = ConfWorker::start(server.db.clone(), settings.clone());
    // The first generation writes (and reloads) all four files.
    within(Duration::from_secs(5), || ami.commands_received().len() == 4)
        .await
        .unwrap_or_else(|| panic!("no initial reload: {:?}", ami.actions()));
    let before = ami.commands_received().len();

    let sent = Instant::now();
    let r = common::api_get(
        server.addr,
        "source=test&user=apiadmin&pass=apipass1&function=add_phone&extension=7001&dialplan_number=97001\
         &voicemail_id=7001&phone_login=gen7001&phone_pass=pw7001&server_ip=10.10.10.15&protocol=SIP\
         &registration_password=Reg7001secret&phone_full_name=Conf%20Test&local_gmt=-5.00&outbound_cid=3125557001",
    )
    .await;
    assert!(r.body.starts_with("SUCCESS: add_phone"), "{}", r.body);
    let written = within(Duration::from_secs(2), || read(&settings, "10.10.10.15", ConfFile::Sip).contains("[7001]\n"))
        .await
        .expect("stanza written within 2 s");
    let reloaded = within(Duration::from_secs(2), || ami.commands_received().len() >= before + 2)
        .await
        .expect("reload within 2 s");
    eprintln!("add_phone -> file {written:?}, -> reload {:?} after the response", reloaded.max(written));
    assert!(sent.elapsed() < Duration::from_secs(3));
    let sip = read(&settings, "10.10.10.15", ConfFile::Sip);
    assert!(sip.contains(
        "[7001]\nusername=7001\nsecret=Reg7001secret\naccountcode=7001\ncallerid=\"Conf Test\" <3125557001>\n"
    ));
    assert!(read(&settings, "10.10.10.15", ConfFile::Extensions).contains("exten => 97001,1,Dial(SIP/7001,60,)\n"));
    // Only what changed is reloaded, dialplan first as VICIdial does.
    assert_eq!(ami.commands_received()[before..], ["dialplan reload".to_string(), "sip reload".to_string()]);
    // The phone page shows it applied; the server page shows when.
    let (preview, state) =
        conf::phone_conf_view(&server.db, "7001", "10.10.10.15").await.expect("view").expect("phone");
    assert_eq!(state, PhoneConfState::Applied);
    assert!(preview.expect("not refused").stanza.contains("[7001]"));
    let views = conf::server_conf_views(&server.db).await.expect("views");
    let v = views.iter().find(|v| v.server_ip == "10.10.10.15").expect("server");
    assert!(v.status.applied_at.is_some() && v.status.apply_error.is_empty() && v.reload_pending.is_empty());
    // The server with generate_vicidial_conf=N never gets files.
    assert!(!settings.conf_dir.join("10.10.10.16").exists());

    // A burst of changes is built and reloaded a few times, not once per change.
    let before = ami.commands_received().len();
    for i in 0..30 {
        let q = format!(
            "source=test&user=apiadmin&pass=apipass1&function=add_phone&extension=71{i:02}&dialplan_number=971{i:02}\
             &voicemail_id=71{i:02}&phone_login=burst{i}&phone_pass=pw&server_ip=10.10.10.15&protocol=SIP\
             &registration_password=Burst{i}secret&phone_full_name=Burst&local_gmt=-5.00&outbound_cid=3125557001"
        );
        assert!(common::api_get(server.addr, &q).await.body.starts_with("SUCCESS"));
    }
    within(Duration::from_secs(3), || read(&settings, "10.10.10.15", ConfFile::Sip).contains("[7129]\n"))
        .await
        .expect("burst written");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let reloads = ami.commands_received()[before..].iter().filter(|c| *c == "sip reload").count();
    assert!((1..=6).contains(&reloads), "30 changes caused {reloads} sip reloads");

    // Deleting the phone removes it.
    let r = common::api_get(
        server.addr,
        "source=test&user=apiadmin&pass=apipass1&function=update_phone&extension=7001&server_ip=10.10.10.15&delete_phone=Y",
    )
    .await;
    assert!(r.body.starts_with("SUCCESS"), "{}", r.body);
    within(Duration::from_secs(2), || !read(&settings, "10.10.10.15", ConfFile::Sip).contains("[7001]\n"))
        .await
        .expect("stanza removed within 2 s");
    worker.stop().await;
    // The AMI secret never reached the logs the test double keeps.
    assert!(ami.actions().iter().flatten().all(|(_, v)| v != TEST_SECRET));
}

/// Asterisk unreachable, then refusing a command, then fixed: the error is recorded, the files stay
/// written, and the reload is retried until Asterisk confirms it.
#[tokio::test]
async fn failed_reloads_are_recorded_and_retried() {
    let (_dir, db, settings) = fixture_db().await;
    let closed = common::ami::closed_port().await;
    exec(
        &db,
        "UPDATE servers SET telnet_host = '127.0.0.1', ASTmgrUSERNAME = 'dialtone', \
         ASTmgrSECRET = 'Zq7-not-in-any-error' WHERE server_ip = '10.1.0.1'",
    )
    .await;
    {
        let mut tx = db.write().await.expect("tx");
        sqlx::query("UPDATE servers SET telnet_port = ?")
            .bind(i64::from(closed))
            .execute(&mut *tx)
            .await
            .expect("port");
        tx.commit().await.expect("commit");
    }
    let report = conf::regenerate_server(&db, &settings, "10.1.0.1", false).await.expect("run").expect("marked");
    let error = match report.reload {
        Some(Err(e)) => e,
        other => panic!("expected a reload error, got {other:?}"),
    };
    assert!(error.contains(&format!("127.0.0.1:{closed}")), "{error}");
    assert!(!error.contains(TEST_SECRET));
    assert!(read(&settings, "10.1.0.1", ConfFile::Sip).contains("[1001]"), "files are written even so");
    let (_, state) = conf::phone_conf_view(&db, "1001", "10.1.0.1").await.expect("view").expect("phone");
    assert!(matches!(state, PhoneConfState::ReloadFailed(ref e) if e.contains("127.0.0.1")), "{state:?}");

    // Asterisk answers but has no chan_pjsip: the failing command is reported.
    let ami = AmiTestServer::builder().failing_command("pjsip reload").start().await;
    {
        let mut tx = db.write().await.expect("tx");
        sqlx::query("UPDATE servers SET telnet_port = ?, conf_apply_attempt_at = 0")
            .bind(i64::from(ami.addr().port()))
            .execute(&mut *tx)
            .await
            .expect("port");
        tx.commit().await.expect("commit");
    }
    let reports = conf::run_pass(&db, &settings).await.expect("pass");
    assert!(reports.iter().all(|r| r.server_ip != "10.1.0.1"), "nothing to rebuild, only a retry");
    assert_eq!(ami.commands_received(), ["dialplan reload", "sip reload", "pjsip reload"]);
    let err =
        scalar(&db, "SELECT conf_apply_error FROM servers WHERE server_ip = '10.1.0.1'").await.unwrap_or_default();
    assert!(err.contains("pjsip reload") && err.contains("No such command"), "{err}");

    // Fixed: the retry (after the retry interval) succeeds and clears the error.
    let good = AmiTestServer::start().await;
    {
        let mut tx = db.write().await.expect("tx");
        sqlx::query("UPDATE servers SET telnet_port = ?")
            .bind(i64::from(good.addr().port()))
            .execute(&mut *tx)
            .await
            .expect("port");
        tx.commit().await.expect("commit");
    }
    let worker = ConfWorker::start(db.clone(), settings.clone());
    within(Duration::from_secs(4), || good.commands_received().len() == 4).await.expect("retried within the interval");
    assert_eq!(good.commands_received(), ["dialplan reload", "sip reload", "pjsip reload", "iax2 reload"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    worker.stop().await;
    let (_, state) = conf::phone_conf_view(&db, "1001", "10.1.0.1").await.expect("view").expect("phone");
    assert_eq!(state, PhoneConfState::Applied);
}

#[tokio::test]
async fn phone_moves_and_edits_through_the_service_update_both_servers() {
    let (_dir, db, settings) = fixture_db().await;
    for ip in ["10.1.0.1", "10.1.0.2"] {
        conf::regenerate_server(&db, &settings, ip, false).await.expect("generate");
    }
    phones::update_phone(&db, &Actor::cli(), "1001", "10.1.0.1", |p| p.server_ip = "10.1.0.2".into(), "TEST MOVE")
        .await
        .expect("move");
    conf::run_pass(&db, &settings).await.expect("pass");
    assert!(!read(&settings, "10.1.0.1", ConfFile::Sip).contains("[1001]"));
    let old = read(&settings, "10.1.0.2", ConfFile::Sip);
    assert!(old.contains("[1001]\n"), "{old}");
    // Asterisk 1.4 syntax on the old server.
    assert!(read(&settings, "10.1.0.2", ConfFile::Extensions).contains("exten => 91001,1,Dial(SIP/1001|60|)\n"));
}

/// The read side the pages use: a server's file as written (for download), refusing anything that is
/// not a server IP so no other path can be read, and the wizard's preview of a phone not yet stored.
#[tokio::test]
async fn files_can_be_read_back_and_unsaved_phones_previewed() {
    let (_dir, db, settings) = fixture_db().await;
    assert_eq!(conf::read_conf_file(&settings, "10.1.0.1", ConfFile::Sip).await.expect("read"), None);
    conf::regenerate_server(&db, &settings, "10.1.0.1", false).await.expect("generate");
    let sip = conf::read_conf_file(&settings, "10.1.0.1", ConfFile::Sip).await.expect("read").expect("written");
    assert_eq!(sip, read(&settings, "10.1.0.1", ConfFile::Sip));
    std::fs::write(settings.conf_dir.join("secret.txt"), "x").expect("plant");
    for bad in ["..", "../10.1.0.1", "10.1.0.1/..", "", "10.1.0"] {
        assert_eq!(conf::read_conf_file(&settings, bad, ConfFile::Sip).await.expect("read"), None, "{bad}");
    }

    let input = dialtone::domain::PhoneEntryInput {
        extension: "5001".into(),
        dialplan_number: "95001".into(),
        voicemail_id: "5001".into(),
        phone_login: "l5001".into(),
        phone_pass: "pw".into(),
        server_ip: "10.1.0.2".into(),
        protocol: "IAX2".into(),
        registration_password: "Prev5001x".into(),
        phone_full_name: "Preview".into(),
        local_gmt: "-5.00".into(),
        outbound_cid: "3125555001".into(),
        ..Default::default()
    };
    let entry = dialtone::domain::validate_phone_entry(&input, dialtone::domain::ProtocolSet::WebAdmin).expect("valid");
    let phone = dialtone::domain::asterisk_conf::ConfPhone::from_entry(&entry);
    let preview = conf::preview_phone_conf(&db, &phone, "10.1.0.2").await.expect("preview").expect("not refused");
    assert_eq!(preview.peer_file, Some(ConfFile::Iax));
    assert!(preview.stanza.starts_with("\n[5001]\nusername=5001\nsecret=Prev5001x\n"), "{}", preview.stanza);
    // Server 10.1.0.2 runs Asterisk 1.4: the preview uses its dialplan syntax.
    assert_eq!(
        preview.dialplan,
        "exten => 95001,1,Dial(IAX2/5001|60|)\nexten => 95001,2,Goto(default,850266666666665001,1)\n"
    );
    let mut external = phone.clone();
    external.protocol = "EXTERNAL".into();
    let none = conf::preview_phone_conf(&db, &external, "10.1.0.2").await.expect("preview").expect("not refused");
    assert_eq!((none.peer_file, none.stanza.as_str()), (None, ""));
}

/// A conf directory that cannot be written: the error is recorded, the server stays marked, nothing is
/// half-written; once the directory is usable the next pass writes the files and clears the error.
#[tokio::test]
async fn an_unwritable_conf_dir_is_reported_and_retried() {
    let (dir, db, mut settings) = fixture_db().await;
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "a file where the conf directory should be").expect("blocker");
    settings.conf_dir = blocker.clone();
    let err = conf::regenerate_server(&db, &settings, "10.1.0.1", false).await.expect_err("cannot write");
    assert!(err.to_string().starts_with("writing "), "{err}");
    let state =
        scalar(&db, "SELECT rebuild_conf_files || ' ' || conf_apply_error FROM servers WHERE server_ip = '10.1.0.1'")
            .await
            .unwrap_or_default();
    assert!(state.starts_with("Y writing "), "{state}");
    let view = conf::server_conf_views(&db).await.expect("views");
    assert_eq!(view[0].summary(), "rebuild pending");

    settings.conf_dir = dir.path().join("asterisk-conf");
    let reports = conf::run_pass(&db, &settings).await.expect("pass");
    assert_eq!(reports.len(), 2);
    let view = conf::server_conf_views(&db).await.expect("views");
    assert!(
        view[0].summary().starts_with("generated ") && view[0].summary().ends_with("reload by hand (no AMI settings)"),
        "{}",
        view[0].summary()
    );
    assert_eq!(
        scalar(&db, "SELECT conf_apply_error FROM servers WHERE server_ip = '10.1.0.1'").await.as_deref(),
        Some("")
    );
}

/// The generator reads a server's phones 1,000 rows per read transaction (so a slow build never holds
/// an old snapshot): across the chunk boundaries every phone is written exactly once, in order.
#[tokio::test]
async fn a_server_with_thousands_of_phones_is_written_whole_across_read_chunks() {
    let (_dir, db, settings) = fixture_db().await;
    exec(
        &db,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) \
         INSERT INTO phones (extension, dialplan_number, voicemail_id, server_ip, login, pass, fullname, \
         outbound_cid, protocol, conf_secret, phone_context, template_id) \
         SELECT 'c' || (10000 + i), '9' || (10000 + i), 'c' || i, '10.1.0.1', 'chunk' || i, 'p', 'Chunk ' || i, '', \
         CASE WHEN i % 5 = 0 THEN 'IAX2' ELSE 'SIP' END, 'Secret' || i, 'default', '' FROM n",
    )
    .await;
    conf::regenerate_server(&db, &settings, "10.1.0.1", true).await.expect("run").expect("forced");
    for (file, protocol_count) in [(ConfFile::Sip, 2000), (ConfFile::Iax, 500)] {
        let text = read(&settings, "10.1.0.1", file);
        let peers: Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix("[c1").and_then(|rest| rest.strip_suffix(']'))).collect();
        assert_eq!(peers.len(), protocol_count, "{file:?}");
        let mut sorted = peers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, peers, "{file:?}: in order, each once");
    }
}
