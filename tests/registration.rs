//! The registration monitor against the AMI test double (`common::ami`): real TCP on 127.0.0.1 and a
//! real SQLite file (a copy of the reference fixture). Asterisk's lists and events go in; the
//! phones' `peer_status`/`ping_time`, the `dialtone_phone_registration` rows and the AMI link state
//! come out.

mod common;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::ami::{header, AmiTestServer, ListedContact, ListedPeer, Module, TEST_SECRET, TEST_USER};
use dialtone::domain::registration::{AmiLink, PeerStatus};
use dialtone::service::auth::Authenticator;
use dialtone::service::conf::ConfSettings;
use dialtone::service::registration::{AmiLinks, RegistrationMonitor, RegistrationSettings};
use dialtone::state::AppState;
use dialtone::storage::registration::{find_registration, RegistrationRow};
use dialtone::storage::{Db, Durability};

/// The fixture server the tests point at the double.
const SERVER: &str = "10.10.10.15";

/// Settings that make a test fast: rescan every 100 ms, batch 20 ms, 2 s AMI limit.
fn fast() -> RegistrationSettings {
    RegistrationSettings {
        rescan: Duration::from_millis(100),
        batch: Duration::from_millis(20),
        ami_timeout: Duration::from_secs(2),
        ..RegistrationSettings::default()
    }
}

/// A database (fixture copy) whose server 10.10.10.15 talks to `ami`, with `phones` (extension,
/// login, protocol) added.
struct Env {
    db: Db,
    links: AmiLinks,
    monitor: Option<RegistrationMonitor>,
    _dir: tempfile::TempDir,
}

impl Env {
    async fn new(ami: Option<&AmiTestServer>, phones: &[(&str, &str, &str)]) -> Env {
        let src = common::fixture_file().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("registration.db");
        std::fs::copy(&src, &path).expect("copy fixture");
        let db = Db::open(path.to_str().expect("utf-8"), Durability::Process).await.expect("open");
        if let Some(ami) = ami {
            point_at(&db, ami.addr().port(), TEST_SECRET).await;
        }
        insert_phones(&db, phones).await;
        Env { db, links: AmiLinks::default(), monitor: None, _dir: dir }
    }

    fn start(&mut self, settings: RegistrationSettings) {
        self.monitor = Some(RegistrationMonitor::start(self.db.clone(), self.links.clone(), settings));
    }

    async fn stop(&mut self) {
        if let Some(m) = self.monitor.take() {
            m.stop().await;
        }
    }

    async fn row(&self, extension: &str) -> Option<RegistrationRow> {
        let mut conn = self.db.reader().acquire().await.expect("conn");
        find_registration(&mut conn, SERVER, extension).await.expect("query")
    }

    async fn status(&self, extension: &str) -> PeerStatus {
        self.row(extension).await.map(|r| r.peer_status).unwrap_or_default()
    }

    async fn scalar(&self, sql: &str) -> i64 {
        let mut conn = self.db.reader().acquire().await.expect("conn");
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&mut *conn).await.expect(sql)
    }
}

/// Points the fixture server at the double on `port` (as an edit in the web admin would).
async fn point_at(db: &Db, port: u16, secret: &str) {
    let mut tx = db.write().await.expect("tx");
    sqlx::query(
        "UPDATE servers SET telnet_host = '127.0.0.1', telnet_port = ?, ASTmgrUSERNAME = ?, ASTmgrSECRET = ? \
         WHERE server_ip = ?",
    )
    .bind(i64::from(port))
    .bind(TEST_USER)
    .bind(secret)
    .bind(SERVER)
    .execute(&mut *tx)
    .await
    .expect("update server");
    tx.commit().await.expect("commit");
}

/// Adds phones (extension, login, protocol) to the fixture server in one transaction.
async fn insert_phones(db: &Db, phones: &[(&str, &str, &str)]) {
    let mut tx = db.write().await.expect("tx");
    for (ext, login, protocol) in phones {
        sqlx::query(
            "INSERT INTO phones (extension, dialplan_number, voicemail_id, server_ip, login, pass, fullname, \
             outbound_cid, protocol, conf_secret) VALUES (?, ?, ?, ?, ?, 'test', 'Agent', '3125550100', ?, 'Reg1Secret')",
        )
        .bind(ext)
        .bind(ext)
        .bind(ext)
        .bind(SERVER)
        .bind(login)
        .bind(protocol)
        .execute(&mut *tx)
        .await
        .expect("insert phone");
    }
    tx.commit().await.expect("commit");
}

/// Waits up to `within` for `check` to return `Some`, polling every 20 ms.
async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < within, "timed out after {within:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn connected(env: &Env) {
    eventually("the AMI link to connect", Duration::from_secs(5), || async {
        matches!(env.links.link(SERVER), AmiLink::Connected { .. }).then_some(())
    })
    .await;
}

/// A `PeerStatus` event as `chan_sip`'s stasis message turns into AMI.
fn peer_status<'a>(peer: &'a str, status: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut h = vec![("Event", "PeerStatus"), ("Privilege", "system,all"), ("ChannelType", "SIP"), ("Peer", peer)];
    h.push(("PeerStatus", status));
    h.extend_from_slice(extra);
    h
}

/// A security event as `main/security_events.c` writes it.
fn security<'a>(event: &'a str, service: &'a str, account: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("Event", event),
        ("Privilege", "security,all"),
        ("EventTV", "2026-12-01T10:00:00.000+0000"),
        ("Severity", "Error"),
        ("Service", service),
        ("EventVersion", "2"),
        ("AccountID", account),
        ("SessionID", "0x7f3c2c001d20"),
        ("LocalAddress", "IPV4/UDP/10.10.10.15/5060"),
        ("RemoteAddress", "IPV4/UDP/203.0.113.5/5060"),
    ]
}

const PHONES: &[(&str, &str, &str)] = &[
    ("1001", "cc1001", "SIP"),
    ("1002", "cc1002", "SIP"),
    ("1003", "cc1003", "SIP"),
    ("2001", "cc2001", "IAX2"),
    ("2002", "cc2002", "IAX2"),
    ("3001", "cc3001", "PJSIP"),
    ("3002", "cc3002", "PJSIP"),
    ("3003", "cc3003", "PJSIP"),
    ("4001", "cc4001", "EXTERNAL"),
];

fn asterisk_lists(ami: &AmiTestServer) {
    ami.set_sip_peers(vec![
        ListedPeer::registered("1001", "203.0.113.5", 5062, "OK (23 ms)")
            .with_user_agent("Yealink SIP-T46S 66.86.0.15"),
        ListedPeer::unregistered("1002"),
        ListedPeer::registered("trunk1", "198.51.100.1", 5060, "Unmonitored"),
    ]);
    ami.set_iax_peers(vec![ListedPeer::registered("2001", "198.51.100.7", 4569, "LAGGED (1200 ms)")]);
    ami.set_pjsip_endpoints(&["3001", "3002"]);
    ami.set_pjsip_contacts(vec![ListedContact {
        endpoint: "3001".into(),
        uri: "sip:3001@203.0.113.9:5060;ob".into(),
        status: "Reachable".into(),
        rtt_usec: Some(15_321),
        user_agent: "Zoiper rv2.10.18".into(),
    }]);
}

#[tokio::test]
async fn initial_load_sets_listed_phones_and_marks_unlisted_ones() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(fast());
    connected(&env).await;
    let r1001 = eventually("1001 loaded", Duration::from_secs(5), || async {
        env.row("1001").await.filter(|r| r.last_event_at.is_some())
    })
    .await;
    assert_eq!(r1001.peer_status, PeerStatus::Reachable);
    assert_eq!(r1001.ping_time, Some(23));
    assert_eq!(r1001.contact.as_deref(), Some("203.0.113.5:5062"));
    assert!(r1001.known_to_asterisk);
    // chan_sip lists no user agent: SIPshowpeer asks each registered peer for it.
    let r1001 = eventually("1001's user agent", Duration::from_secs(5), || async {
        env.row("1001").await.filter(|r| r.user_agent.is_some())
    })
    .await;
    assert_eq!(r1001.user_agent.as_deref(), Some("Yealink SIP-T46S 66.86.0.15"));
    // Every list is applied in the same batch; wait for the last one.
    eventually("PJSIP loaded", Duration::from_secs(5), || async {
        env.row("3003").await.filter(|r| r.last_event_at.is_some())
    })
    .await;

    let r1002 = env.row("1002").await.expect("phone");
    assert_eq!((r1002.peer_status, r1002.contact, r1002.known_to_asterisk), (PeerStatus::Unregistered, None, true));
    let r1003 = env.row("1003").await.expect("phone");
    assert_eq!((r1003.peer_status, r1003.known_to_asterisk), (PeerStatus::Unregistered, false), "not listed");
    assert!(r1003.last_event_at.is_some());
    let r2001 = env.row("2001").await.expect("phone");
    assert_eq!((r2001.peer_status, r2001.ping_time), (PeerStatus::Lagged, Some(1200)));
    assert_eq!(r2001.contact.as_deref(), Some("198.51.100.7:4569"));
    assert_eq!(
        env.row("2002").await.map(|r| (r.peer_status, r.known_to_asterisk)),
        Some((PeerStatus::Unregistered, false))
    );
    let r3001 = env.row("3001").await.expect("phone");
    assert_eq!((r3001.peer_status, r3001.ping_time), (PeerStatus::Reachable, Some(15)));
    assert_eq!(r3001.contact.as_deref(), Some("sip:3001@203.0.113.9:5060;ob"));
    assert_eq!(r3001.user_agent.as_deref(), Some("Zoiper rv2.10.18"));
    let r3002 = env.row("3002").await.expect("phone");
    assert_eq!((r3002.peer_status, r3002.known_to_asterisk), (PeerStatus::Unregistered, true), "endpoint, no contact");
    let r3003 = env.row("3003").await.expect("phone");
    assert_eq!((r3003.peer_status, r3003.known_to_asterisk), (PeerStatus::Unregistered, false));
    // EXTERNAL phones never register: untouched.
    let r4001 = env.row("4001").await.expect("phone");
    assert_eq!((r4001.peer_status, r4001.last_event_at), (PeerStatus::Unknown, None));
    assert_eq!(env.row("9999").await, None, "no such phone");
    // Registration writes never mark the server for a conf rebuild (the fixture cleared the flag).
    assert_eq!(env.scalar("SELECT count(*) FROM servers WHERE rebuild_conf_files = 'Y'").await, 0);

    // The login asked for the system and security classes; then the four lists.
    let actions = ami.actions();
    assert_eq!(header(&actions[0], "Action"), Some("Login"));
    assert_eq!(header(&actions[0], "Events"), Some("system,security"));
    let names = ami.action_names();
    assert_eq!(names[1..5], ["SIPpeers", "PJSIPShowEndpoints", "PJSIPShowContacts", "IAXpeerlist"]);
    // Then details of the registered SIP peers (1001 and the trunk), not of the unregistered 1002.
    let asked: Vec<String> = ami
        .actions()
        .iter()
        .filter(|a| header(a, "Action") == Some("SIPshowpeer"))
        .filter_map(|a| header(a, "Peer").map(str::to_string))
        .collect();
    let mut sorted = asked.clone();
    sorted.sort();
    assert_eq!(sorted, ["1001", "trunk1"], "asked once each: {asked:?}");
    env.stop().await;
    assert_eq!(env.links.link(SERVER), AmiLink::NotConfigured, "no monitor after stop");
    assert_eq!(ami.logoffs(), 1, "the monitor logs off when stopped");
}

#[tokio::test]
async fn events_change_the_rows_within_two_seconds() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(fast());
    connected(&env).await;
    eventually("initial load", Duration::from_secs(5), || async {
        env.row("1003").await.filter(|r| r.last_event_at.is_some())
    })
    .await;
    let within = Duration::from_secs(2);

    ami.push_event(&peer_status("SIP/1003", "Registered", &[("Address", "198.51.100.20:5060")]));
    let r = eventually("1003 registered", within, || async {
        env.row("1003").await.filter(|r| r.peer_status == PeerStatus::Registered)
    })
    .await;
    assert_eq!((r.contact.as_deref(), r.known_to_asterisk), (Some("198.51.100.20:5060"), true));
    // Its details come from SIPshowpeer (Asterisk now lists it with its user agent).
    ami.set_sip_peers(vec![
        ListedPeer::registered("1001", "203.0.113.5", 5062, "OK (23 ms)"),
        ListedPeer::registered("1003", "198.51.100.20", 5060, "UNKNOWN").with_user_agent("MicroSIP/3.21.3"),
    ]);
    ami.push_event(&peer_status("SIP/1003", "Registered", &[("Address", "198.51.100.20:5060")]));
    let r =
        eventually("1003's user agent", within, || async { env.row("1003").await.filter(|r| r.user_agent.is_some()) })
            .await;
    assert_eq!(r.user_agent.as_deref(), Some("MicroSIP/3.21.3"));

    ami.push_event(&peer_status("SIP/1003", "Reachable", &[("Time", "37")]));
    let r = eventually("1003 reachable", within, || async {
        env.row("1003").await.filter(|r| r.peer_status == PeerStatus::Reachable)
    })
    .await;
    assert_eq!(r.ping_time, Some(37));
    assert_eq!(env.scalar("SELECT ping_time FROM phones WHERE extension = '1003'").await, 37);

    ami.push_event(&peer_status("SIP/1001", "Unregistered", &[("Cause", "Expired")]));
    let r = eventually("1001 unregistered", within, || async {
        env.row("1001").await.filter(|r| r.peer_status == PeerStatus::Unregistered)
    })
    .await;
    assert_eq!((r.ping_time, r.contact), (None, None));

    ami.push_event(&[
        ("Event", "ContactStatus"),
        ("Privilege", "system,all"),
        ("URI", "sip:3002@203.0.113.44:5060"),
        ("ContactStatus", "Created"),
        ("AOR", "3002"),
        ("EndpointName", "3002"),
        ("RoundtripUsec", "0"),
        ("UserAgent", "Linphone/5.2.5"),
    ]);
    let r = eventually("3002 registered", within, || async {
        env.row("3002").await.filter(|r| r.peer_status == PeerStatus::Registered)
    })
    .await;
    assert_eq!(r.contact.as_deref(), Some("sip:3002@203.0.113.44:5060"));
    assert_eq!(r.user_agent.as_deref(), Some("Linphone/5.2.5"));
    ami.push_event(&[
        ("Event", "ContactStatus"),
        ("Privilege", "system,all"),
        ("URI", "sip:3002@203.0.113.44:5060"),
        ("ContactStatus", "Removed"),
        ("AOR", "3002"),
        ("EndpointName", "3002"),
        ("RoundtripUsec", "0"),
    ]);
    eventually("3002 removed", within, || async {
        env.row("3002").await.filter(|r| r.peer_status == PeerStatus::Unregistered && r.contact.is_none())
    })
    .await;

    // IAX2 sends address and port apart.
    ami.push_event(&[
        ("Event", "PeerStatus"),
        ("Privilege", "system,all"),
        ("ChannelType", "IAX2"),
        ("Peer", "IAX2/2002"),
        ("PeerStatus", "Registered"),
        ("Address", "198.51.100.8"),
        ("Port", "4569"),
    ]);
    let r = eventually("2002 registered", within, || async {
        env.row("2002").await.filter(|r| r.peer_status == PeerStatus::Registered)
    })
    .await;
    assert_eq!(r.contact.as_deref(), Some("198.51.100.8:4569"));

    // Unknown peers, peers of another technology than the phone's, and EXTERNAL phones are ignored;
    // events of classes the monitor did not ask for never arrive.
    let side_rows = env.scalar("SELECT count(*) FROM dialtone_phone_registration").await;
    ami.push_event(&peer_status("SIP/9999", "Registered", &[("Address", "192.0.2.99:5060")]));
    ami.push_event(&peer_status("SIP/4001", "Registered", &[("Address", "192.0.2.98:5060")]));
    ami.push_event(&peer_status("SIP/2001", "Unregistered", &[]));
    ami.push_event(&[("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "SIP/1003-0001")]);
    // A marker event after them: once it is applied, the ones before were handled.
    ami.push_event(&peer_status("SIP/1002", "Registered", &[("Address", "192.0.2.10:5060")]));
    eventually("marker", within, || async {
        env.row("1002").await.filter(|r| r.peer_status == PeerStatus::Registered)
    })
    .await;
    assert_eq!(env.scalar("SELECT count(*) FROM dialtone_phone_registration").await, side_rows);
    assert_eq!(env.status("4001").await, PeerStatus::Unknown);
    assert_eq!(env.status("2001").await, PeerStatus::Lagged, "a SIP peer named 2001 is not the IAX2 phone");
    assert_eq!(env.scalar("SELECT count(*) FROM servers WHERE rebuild_conf_files = 'Y'").await, 0);
    env.stop().await;
}

#[tokio::test]
async fn security_events_record_why_registration_fails() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(fast());
    connected(&env).await;
    eventually("initial load", Duration::from_secs(5), || async {
        env.row("1003").await.filter(|r| r.last_event_at.is_some())
    })
    .await;
    let within = Duration::from_secs(2);

    ami.push_event(&security("InvalidPassword", "SIP", "1001"));
    let r =
        eventually("wrong password", within, || async { env.row("1001").await.filter(|r| r.last_failure.is_some()) })
            .await;
    assert_eq!(
        r.last_failure.as_deref(),
        Some("wrong password from 203.0.113.5 (the device must use the registration password, not the login password)")
    );
    assert!(r.last_failure_at.is_some());
    assert_eq!(r.peer_status, PeerStatus::Reachable, "a failed attempt does not change the registration");

    // The device registered with the phone's login instead of its extension.
    ami.push_event(&security("InvalidAccountID", "SIP", "cc1002"));
    let r = eventually("login instead of extension", within, || async {
        env.row("1002").await.filter(|r| r.last_failure.is_some())
    })
    .await;
    assert_eq!(
        r.last_failure.as_deref(),
        Some(
            "registered with its phone login instead of the extension (login cc1002, extension 1002) from 203.0.113.5"
        )
    );

    // PJSIP's wrong password is a failed challenge.
    ami.push_event(&security("ChallengeResponseFailed", "PJSIP", "3001"));
    eventually("challenge failed", within, || async {
        env.row("3001").await.filter(|r| r.last_failure.as_deref().is_some_and(|f| f.starts_with("wrong password")))
    })
    .await;

    // An account no phone has, and the AMI's own failed logins, are ignored.
    let before = env.scalar("SELECT count(*) FROM dialtone_phone_registration WHERE last_failure IS NOT NULL").await;
    ami.push_event(&security("InvalidAccountID", "SIP", "nobody42"));
    ami.push_event(&security("InvalidPassword", "AMI", "1003"));
    ami.push_event(&security("InvalidAccountID", "SIP", "1003"));
    let r = eventually("unknown peer", within, || async { env.row("1003").await.filter(|r| r.last_failure.is_some()) })
        .await;
    assert!(r.last_failure.as_deref().is_some_and(|f| f.starts_with("Asterisk has no peer 1003")), "{r:?}");
    assert_eq!(
        env.scalar("SELECT count(*) FROM dialtone_phone_registration WHERE last_failure IS NOT NULL").await,
        before + 1
    );
    env.stop().await;
}

#[tokio::test]
async fn a_list_action_asterisk_refuses_is_skipped() {
    // No chan_sip loaded; the AMI user may not run PJSIPShowContacts.
    let ami = AmiTestServer::builder().without(Module::ChanSip).refusing("PJSIPShowContacts").start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    // Phones already known as registered (e.g. from an earlier run).
    {
        let mut tx = env.db.write().await.expect("tx");
        sqlx::query("UPDATE phones SET peer_status = 'REGISTERED' WHERE extension IN ('1001', '3001')")
            .execute(&mut *tx)
            .await
            .expect("update");
        tx.commit().await.expect("commit");
    }
    env.start(fast());
    connected(&env).await;
    // IAX2 still loads.
    eventually("IAX2 loaded", Duration::from_secs(5), || async {
        env.row("2001").await.filter(|r| r.peer_status == PeerStatus::Lagged)
    })
    .await;
    // Without chan_sip, Asterisk has no SIP peers at all.
    let r = env.row("1001").await.expect("phone");
    assert_eq!((r.peer_status, r.known_to_asterisk), (PeerStatus::Unregistered, false));
    // The refused PJSIP list taught nothing: the PJSIP phones keep what they had.
    let r = env.row("3001").await.expect("phone");
    assert_eq!((r.peer_status, r.last_event_at), (PeerStatus::Registered, None));
    assert!(matches!(env.links.link(SERVER), AmiLink::Connected { .. }), "a refusal is not fatal");
    env.stop().await;
}

#[tokio::test]
async fn the_link_goes_down_with_asterisk_and_comes_back_with_it() {
    let ami = AmiTestServer::start().await;
    let port = ami.addr().port();
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    // The real backoff (1 s doubling to 30 s); other limits short.
    env.start(fast());
    connected(&env).await;
    eventually("initial load", Duration::from_secs(5), || async {
        env.row("1001").await.filter(|r| r.peer_status == PeerStatus::Reachable)
    })
    .await;

    ami.shutdown();
    drop(ami);
    let (error, since, retry_at) = eventually("the link to go down", Duration::from_secs(3), || async {
        match env.links.link(SERVER) {
            AmiLink::Down { error, since, retry_at } => Some((error, since, retry_at)),
            _ => None,
        }
    })
    .await;
    assert!(error.contains(&format!("AMI 127.0.0.1:{port}")), "{error}");
    assert!((1..=2).contains(&(retry_at - since)), "first retry after about a second: {since} {retry_at}");
    // While Asterisk is away, retries wait longer each time: the attempt a second later is refused
    // and schedules the next one 2 s out; the outage keeps its start.
    let (second_error, second) = eventually("a second failure", Duration::from_secs(4), || async {
        match env.links.link(SERVER) {
            AmiLink::Down { error, since: s, retry_at: r } if r != retry_at && s == since => Some((error, r)),
            _ => None,
        }
    })
    .await;
    assert!(second_error.contains(": connect: "), "{second_error}");
    assert!((2..=3).contains(&(second - retry_at)), "the delay doubled: {retry_at} then {second}");

    // Asterisk comes back (on the same port) with other peers: the monitor reconnects and reloads.
    let ami = AmiTestServer::builder().port(port).start().await;
    ami.set_sip_peers(vec![ListedPeer::registered("1003", "203.0.113.77", 5060, "OK (5 ms)")]);
    let started = Instant::now();
    connected(&env).await;
    eventually("reloaded after reconnecting", Duration::from_secs(5), || async {
        env.row("1003").await.filter(|r| r.peer_status == PeerStatus::Reachable)
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(env.status("1001").await, PeerStatus::Unregistered, "1001 is no longer listed");
    env.stop().await;
}

#[tokio::test]
async fn retries_back_off_exponentially() {
    // A manager that accepts and hangs up at once, counting attempts.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = attempts.clone();
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    let mut env = Env::new(None, PHONES).await;
    point_at(&env.db, port, TEST_SECRET).await;
    env.start(RegistrationSettings {
        backoff_min: Duration::from_millis(100),
        backoff_max: Duration::from_millis(400),
        ..fast()
    });
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let n = attempts.load(std::sync::atomic::Ordering::SeqCst);
    // 0, 0.1, 0.3, 0.7, 1.1, 1.5 s: about 6 (a fixed 100 ms delay would make 16).
    assert!((4..=8).contains(&n), "{n} attempts in 1.6 s");
    let AmiLink::Down { error, .. } = env.links.link(SERVER) else { panic!("down") };
    assert!(error.contains("banner") && error.contains("closed"), "{error}");
    env.stop().await;
    accept.abort();
}

#[tokio::test]
async fn no_answer_to_ping_reconnects() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(RegistrationSettings {
        ping_every: Duration::from_millis(200),
        ping_timeout: Duration::from_millis(300),
        backoff_min: Duration::from_millis(100),
        ..fast()
    });
    connected(&env).await;
    // Pings are answered: the link stays up.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(matches!(env.links.link(SERVER), AmiLink::Connected { .. }));
    assert!(ami.action_names().iter().filter(|a| *a == "Ping").count() >= 2);
    assert_eq!(ami.logins(), 1);
    ami.mute_pings(true);
    let error = eventually("the link to go down", Duration::from_secs(3), || async {
        match env.links.link(SERVER) {
            AmiLink::Down { error, .. } => Some(error),
            _ => None,
        }
    })
    .await;
    assert!(error.contains("no answer to Ping within 300ms"), "{error}");
    ami.mute_pings(false);
    connected(&env).await;
    assert!(ami.logins() >= 2, "it logged in again");
    env.stop().await;
}

#[tokio::test]
async fn changed_ami_settings_restart_or_stop_the_monitor() {
    let first = AmiTestServer::start().await;
    let second = AmiTestServer::start().await;
    asterisk_lists(&first);
    second.set_sip_peers(vec![ListedPeer::registered("1002", "203.0.113.60", 5060, "OK (9 ms)")]);
    let mut env = Env::new(Some(&first), PHONES).await;
    env.start(fast());
    connected(&env).await;
    assert_eq!(first.logins(), 1);

    // The server is edited to use another Asterisk manager: the monitor moves there.
    point_at(&env.db, second.addr().port(), TEST_SECRET).await;
    eventually("the second manager's list", Duration::from_secs(5), || async {
        env.row("1002").await.filter(|r| r.peer_status == PeerStatus::Reachable)
    })
    .await;
    assert_eq!(second.logins(), 1);
    eventually("the first session to log off", Duration::from_secs(3), || async {
        (first.logoffs() == 1).then_some(())
    })
    .await;

    // A wrong secret: login rejected, shown without the secret.
    point_at(&env.db, second.addr().port(), "Wrong-Secret-981").await;
    let error = eventually("login rejected", Duration::from_secs(5), || async {
        match env.links.link(SERVER) {
            AmiLink::Down { error, .. } if error.contains("login rejected") => Some(error),
            _ => None,
        }
    })
    .await;
    assert!(!error.contains("Wrong-Secret-981") && !error.contains(TEST_SECRET), "{error}");

    // A port that is not a port names the field.
    {
        let mut tx = env.db.write().await.expect("tx");
        sqlx::query("UPDATE servers SET telnet_port = 70000 WHERE server_ip = ?")
            .bind(SERVER)
            .execute(&mut *tx)
            .await
            .expect("update");
        tx.commit().await.expect("commit");
    }
    eventually("bad port shown", Duration::from_secs(3), || async {
        match env.links.link(SERVER) {
            AmiLink::Down { error, .. } if error.contains("telnet_port") => Some(()),
            _ => None,
        }
    })
    .await;

    // No AMI host any more (or Asterisk marked inactive): nothing is monitored.
    {
        let mut tx = env.db.write().await.expect("tx");
        sqlx::query("UPDATE servers SET telnet_host = '' WHERE server_ip = ?")
            .bind(SERVER)
            .execute(&mut *tx)
            .await
            .expect("update");
        tx.commit().await.expect("commit");
    }
    eventually("not configured", Duration::from_secs(3), || async {
        (env.links.link(SERVER) == AmiLink::NotConfigured).then_some(())
    })
    .await;
    point_at(&env.db, second.addr().port(), TEST_SECRET).await;
    connected(&env).await;
    {
        let mut tx = env.db.write().await.expect("tx");
        sqlx::query("UPDATE servers SET active_asterisk_server = 'N' WHERE server_ip = ?")
            .bind(SERVER)
            .execute(&mut *tx)
            .await
            .expect("update");
        tx.commit().await.expect("commit");
    }
    eventually("inactive: not monitored", Duration::from_secs(3), || async {
        (env.links.link(SERVER) == AmiLink::NotConfigured).then_some(())
    })
    .await;
    env.stop().await;
}

#[tokio::test]
async fn a_reload_loads_the_lists_again() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(fast());
    connected(&env).await;
    eventually("initial load", Duration::from_secs(5), || async {
        env.row("1003").await.filter(|r| r.last_event_at.is_some())
    })
    .await;
    // `sip reload` added peer 1003 (registered meanwhile) and dropped 1002.
    ami.set_sip_peers(vec![
        ListedPeer::registered("1001", "203.0.113.5", 5062, "OK (23 ms)"),
        ListedPeer::registered("1003", "203.0.113.8", 5060, "Unmonitored"),
    ]);
    ami.push_event(&[("Event", "Reload"), ("Privilege", "system,all"), ("Module", "chan_sip.so"), ("Status", "0")]);
    let r = eventually("reloaded", Duration::from_secs(2), || async {
        env.row("1003").await.filter(|r| r.peer_status == PeerStatus::Registered)
    })
    .await;
    assert!(r.known_to_asterisk);
    let r = env.row("1002").await.expect("phone");
    assert_eq!((r.peer_status, r.known_to_asterisk), (PeerStatus::Unregistered, false));
    assert_eq!(ami.action_names().iter().filter(|a| *a == "SIPpeers").count(), 2);
    assert_eq!(ami.action_names().iter().filter(|a| *a == "IAXpeerlist").count(), 1, "only chan_sip reloaded");
    env.stop().await;
}

#[tokio::test]
async fn a_reload_the_conf_worker_confirmed_lists_the_peers_again() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(fast());
    connected(&env).await;
    eventually("initial load", Duration::from_secs(5), || async {
        env.row("1003").await.filter(|r| r.last_event_at.is_some())
    })
    .await;
    let before = ami.action_names().iter().filter(|a| *a == "SIPpeers").count();
    // A phone was added and the conf worker's `sip reload` was confirmed (Asterisk sends no Reload
    // event for a reload asked over AMI): the monitor lists the peers again, so the new peer is known.
    ami.set_sip_peers(vec![
        ListedPeer::registered("1001", "203.0.113.5", 5062, "OK (23 ms)"),
        ListedPeer::registered("1003", "203.0.113.8", 5060, "Unmonitored"),
    ]);
    let mut tx = env.db.write().await.expect("tx");
    sqlx::query("UPDATE servers SET conf_applied_at = 1900000000").execute(&mut *tx).await.expect("applied");
    tx.commit().await.expect("commit");
    eventually("listed again", Duration::from_secs(5), || async {
        let now = ami.action_names().iter().filter(|a| *a == "SIPpeers").count();
        (now > before).then_some(())
    })
    .await;
    let r = eventually("new state", Duration::from_secs(2), || async {
        env.row("1003").await.filter(|r| r.peer_status == PeerStatus::Registered)
    })
    .await;
    assert!(r.known_to_asterisk);
    env.stop().await;
}

/// As the app runs: a multi-threaded runtime (the monitor, the writer and the double in parallel).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_peers_are_applied_in_one_go() {
    const N: usize = 10_000;
    let exts: Vec<String> = (0..N).map(|i| format!("{}", 100_000 + i)).collect();
    let logins: Vec<String> = exts.iter().map(|e| format!("l{e}")).collect();
    let phones: Vec<(&str, &str, &str)> =
        exts.iter().zip(&logins).map(|(e, l)| (e.as_str(), l.as_str(), "SIP")).collect();
    let ami = AmiTestServer::start().await;
    // Nine in ten registered and reachable, the rest listed without a registration.
    ami.set_sip_peers(
        exts.iter()
            .enumerate()
            .map(|(i, e)| {
                if i % 10 == 9 {
                    ListedPeer::unregistered(e)
                } else {
                    ListedPeer::registered(e, "203.0.113.5", 20_000 + (i % 40_000) as u16, "OK (12 ms)")
                        .with_user_agent(&format!("Yealink SIP-T46S {i}"))
                }
            })
            .collect(),
    );
    let mut env = Env::new(Some(&ami), &phones).await;
    let started = Instant::now();
    env.start(fast());
    connected(&env).await;
    let connected_after = started.elapsed();
    // The fixture's SIP phone seed100 is on the server too (not listed: unregistered, not known).
    eventually("every phone applied", Duration::from_secs(60), || async {
        (env.scalar("SELECT count(*) FROM dialtone_phone_registration").await == N as i64 + 1).then_some(())
    })
    .await;
    let applied = started.elapsed();
    eventually("every registered phone's user agent", Duration::from_secs(60), || async {
        (env.scalar("SELECT count(*) FROM dialtone_phone_registration WHERE user_agent LIKE 'Yealink%'").await == 9_000)
            .then_some(())
    })
    .await;
    let user_agents = started.elapsed();
    assert_eq!(
        env.scalar("SELECT count(*) FROM phones WHERE peer_status = 'REACHABLE' AND ping_time = 12").await,
        9_000
    );
    assert_eq!(env.scalar("SELECT count(*) FROM phones WHERE peer_status = 'UNREGISTERED'").await, 1_001);
    println!(
        "10,000 SIP peers: connected in {connected_after:?}, listed, applied and committed {applied:?} after start, \
         9,000 user agents (SIPshowpeer) {user_agents:?} after start"
    );
    assert!(applied < Duration::from_secs(20), "{applied:?}");
    env.stop().await;
}

/// The full web admin over `env`'s database and AMI links, on 127.0.0.1.
async fn serve(env: &Env) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState {
        leptos_options: leptos::config::LeptosOptions::builder().output_name("dialtone").site_addr(addr).build(),
        db: env.db.clone(),
        auth: Arc::new(Authenticator::new(7)),
        conf: ConfSettings::new(env._dir.path().join("asterisk-conf")),
        ami: env.links.clone(),
        anonymous_calls: Default::default(),
        first_gmt: Default::default(),
        assets: Default::default(),
    };
    let router = dialtone::server::app(state);
    let server = tokio::spawn(dialtone::server::serve_connections(
        listener,
        router,
        dialtone::server::ConnLimits::default(),
        std::future::pending(),
    ));
    (addr, server)
}

#[tokio::test]
async fn the_phone_page_shows_what_asterisk_reported() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(fast());
    connected(&env).await;
    eventually("1001's user agent", Duration::from_secs(5), || async {
        env.row("1001").await.filter(|r| r.user_agent.is_some())
    })
    .await;
    ami.push_event(&security("ChallengeResponseFailed", "SIP", "1003"));
    eventually("1003's failure", Duration::from_secs(2), || async {
        env.row("1003").await.filter(|r| r.last_failure.is_some())
    })
    .await;
    let (addr, server) = serve(&env).await;
    let cookie = common::session(addr, "apiadmin", "apipass1").await;
    let page = |ext: &'static str| {
        let cookie = cookie.clone();
        async move {
            let r =
                common::http_with(addr, "GET", &format!("/phones/{SERVER}/{ext}"), &[("Cookie", &cookie)], None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body
        }
    };
    let body = page("1001").await;
    for needle in [
        "<dd data-testid=\"registration\">REACHABLE</dd>",
        "<dt>Registration source</dt><dd>Asterisk manager connected since 20",
        "<dt>Round trip</dt><dd>23 ms</dd>",
        "<dt>Registered from</dt><dd>203.0.113.5:5062</dd>",
        "<dt>Device (User-Agent)</dt><dd>Yealink SIP-T46S 66.86.0.15</dd>",
        "<dt>Last change seen</dt><dd>20",
    ] {
        assert!(body.contains(needle), "{needle} missing in {body}");
    }
    assert!(!body.contains("Last failure"), "none for 1001");
    let body = page("1003").await;
    assert!(
        body.contains("<dt>Last failure</dt><dd>wrong password from 203.0.113.5 (the device must use the registration password, not the login password) (20"),
        "{body}"
    );
    assert!(body.contains("<dt>Asterisk</dt><dd>has no peer of this name"), "1003 is not listed: {body}");
    // EXTERNAL phones never register: no registration facts.
    let body = page("4001").await;
    assert!(!body.contains("Registration source"), "{body}");
    server.abort();
    env.stop().await;
}

#[tokio::test]
async fn the_servers_pages_show_the_ami_link() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(fast());
    connected(&env).await;
    let (addr, server) = serve(&env).await;
    let cookie = common::session(addr, "apiadmin", "apipass1").await;
    let list = common::http_with(addr, "GET", "/servers", &[("Cookie", &cookie)], None).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(">AMI</th>"), "a column");
    assert!(list.body.contains("data-ami=\"connected\""), "{}", list.body);
    assert!(list.body.contains("connected since 20"), "the time");
    assert!(list.body.contains("data-ami=\"not-configured\""), "10.10.10.16 has no AMI settings");
    let page = common::http_with(addr, "GET", &format!("/servers/{SERVER}"), &[("Cookie", &cookie)], None).await;
    assert!(page.body.contains("AMI: connected since 20"), "{}", page.body);
    assert!(!page.body.contains(TEST_SECRET));
    let other = common::http_with(addr, "GET", "/servers/10.10.10.16", &[("Cookie", &cookie)], None).await;
    assert!(other.body.contains("AMI: not configured"), "{}", other.body);

    ami.shutdown();
    eventually("down", Duration::from_secs(3), || async {
        matches!(env.links.link(SERVER), AmiLink::Down { .. }).then_some(())
    })
    .await;
    let page = common::http_with(addr, "GET", &format!("/servers/{SERVER}"), &[("Cookie", &cookie)], None).await;
    assert!(page.body.contains("AMI: down: AMI 127.0.0.1:"), "{}", page.body);
    assert!(page.body.contains(", retrying at 20"), "{}", page.body);
    server.abort();
    env.stop().await;
}

#[tokio::test]
async fn registration_rows_follow_their_phone() {
    let env = Env::new(None, PHONES).await;
    let state = RegistrationRow {
        peer_status: PeerStatus::Reachable,
        ping_time: Some(12),
        contact: Some("203.0.113.5:5060".into()),
        user_agent: None,
        last_event_at: Some(1_800_000_000),
        last_failure: Some("wrong password from 203.0.113.5".into()),
        last_failure_at: Some(1_800_000_000),
        known_to_asterisk: true,
        moves: Default::default(),
    };
    {
        let mut tx = env.db.write().await.expect("tx");
        for ext in ["1001", "1002", "1003"] {
            let wrote = dialtone::storage::registration::store_registration(
                &mut tx,
                SERVER,
                ext,
                &RegistrationRow::default(),
                &state,
            )
            .await
            .expect("store");
            assert!(wrote);
        }
        // Storing the same state again writes nothing.
        let wrote = dialtone::storage::registration::store_registration(&mut tx, SERVER, "1001", &state, &state)
            .await
            .expect("store");
        assert!(!wrote);
        tx.commit().await.expect("commit");
    }
    assert_eq!(env.row("1001").await, Some(state.clone()));
    {
        let mut conn = env.db.reader().acquire().await.expect("conn");
        assert_eq!(find_registration(&mut conn, "10.10.10.16", "1001").await.expect("query"), None);
    }
    let mut tx = env.db.write().await.expect("tx");
    sqlx::query("DELETE FROM phones WHERE extension = '1001'").execute(&mut *tx).await.expect("delete");
    sqlx::query("UPDATE phones SET server_ip = '10.10.10.16' WHERE extension = '1002'")
        .execute(&mut *tx)
        .await
        .expect("move");
    sqlx::query("UPDATE phones SET fullname = 'Renamed' WHERE extension = '1003'")
        .execute(&mut *tx)
        .await
        .expect("edit");
    tx.commit().await.expect("commit");
    assert_eq!(env.row("1001").await, None);
    assert_eq!(
        env.scalar("SELECT count(*) FROM dialtone_phone_registration WHERE extension IN ('1001', '1002')").await,
        0
    );
    let moved = {
        let mut conn = env.db.reader().acquire().await.expect("conn");
        find_registration(&mut conn, "10.10.10.16", "1002").await.expect("query").expect("moved phone")
    };
    assert_eq!((moved.peer_status, moved.ping_time, moved.last_event_at), (PeerStatus::Unknown, None, None));
    assert_eq!(env.row("1003").await, Some(state), "other edits keep the state");
}

#[tokio::test]
async fn a_flapping_registration_is_counted_and_the_login_path_warns() {
    let ami = AmiTestServer::start().await;
    asterisk_lists(&ami);
    let mut env = Env::new(Some(&ami), PHONES).await;
    env.start(fast());
    connected(&env).await;
    eventually("1001 loaded", Duration::from_secs(5), || async {
        env.row("1001").await.filter(|r| r.moves.last_address.as_deref() == Some("203.0.113.5:5062"))
    })
    .await;
    // A SIP ALG gives each re-registration a new source port.
    for port in ["40001", "40002", "40003"] {
        let address = format!("203.0.113.5:{port}");
        ami.push_event(&peer_status("SIP/1001", "Registered", &[("Address", address.as_str())]));
    }
    let r = eventually("three moves", Duration::from_secs(2), || async {
        env.row("1001").await.filter(|r| r.moves.changes == 3)
    })
    .await;
    assert_eq!(r.moves.last_address.as_deref(), Some("203.0.113.5:40003"));
    assert_eq!(r.moves.previous_address.as_deref(), Some("203.0.113.5:40002"));
    assert!(r.moves.since.is_some());
    // A refresh from the same place is not a move.
    ami.push_event(&peer_status("SIP/1001", "Registered", &[("Address", "203.0.113.5:40003")]));
    ami.push_event(&peer_status("SIP/1002", "Registered", &[("Address", "192.0.2.10:5060")]));
    eventually("marker", Duration::from_secs(2), || async {
        env.row("1002").await.filter(|r| r.peer_status == PeerStatus::Registered)
    })
    .await;
    assert_eq!(env.row("1001").await.map(|r| r.moves.changes), Some(3));

    let flow =
        dialtone::service::flow::phone_flow(&env.db, &env.links, "1001", SERVER).await.expect("flow").expect("phone");
    let node = flow.report.node(dialtone::domain::decision_flow::NodeId::Registration).expect("node");
    assert!(
        node.reason.starts_with("The registration flaps: the device's address or port changed 3 times"),
        "{node:?}"
    );
    assert!(node.reason.contains("(from 203.0.113.5:40002 to 203.0.113.5:40003)"), "{}", node.reason);
    let (addr, server) = serve(&env).await;
    let cookie = common::session(addr, "apiadmin", "apipass1").await;
    let page = common::http_with(addr, "GET", &format!("/phones/{SERVER}/1001"), &[("Cookie", &cookie)], None).await;
    assert!(page.body.contains("<dt>Address changes</dt><dd>3 since 20"), "{}", page.body);
    assert!(page.body.contains("(before: 203.0.113.5:40002)</dd>"), "{}", page.body);
    server.abort();
    env.stop().await;
}
