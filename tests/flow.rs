//! The login path (decision flow) against a real SQLite file and over real HTTP: the demo data's
//! verdicts, the remote agents' board order, the flow page (complete without JavaScript, no secret in
//! it), its event stream following a change, simulated logins (on the page and `/login-check`, alias
//! resolution, a POST answered `no-store`, same-origin only), and loading the demo data from the web.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{header, http_with, server_fn_json, session, start_fixture_server, TestServer};
use dialtone::domain::decision_flow::{NodeId, NodeStatus, Verdict};
use dialtone::service::flow::{phone_flow, remote_agents};
use dialtone::service::registration::AmiLinks;
use dialtone::service::{demo, phones, Actor};
use dialtone::storage::{Db, Durability};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const DEMO: &str = demo::DEMO_SERVER;

/// The fixture server with its seed phone removed and the demo data loaded.
async fn demo_server() -> TestServer {
    let server = start_fixture_server().await;
    phones::delete_phone(&server.db, &Actor::cli(), "seed100", "10.10.10.15", "ADMIN DELETE PHONE")
        .await
        .expect("empty the fixture");
    demo::load_demo(&server.db).await.expect("demo");
    server
}

async fn verdict(db: &Db, ext: &str, ip: &str) -> (Verdict, Option<NodeId>, Option<NodeId>) {
    let f = phone_flow(db, &AmiLinks::default(), ext, ip).await.expect("flow").expect("phone");
    (f.report.verdict, f.report.breaks_at, f.report.first_problem().map(|n| n.id))
}

#[tokio::test]
async fn the_demo_shows_every_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path().join("demo.db").to_str().expect("utf-8"), Durability::Process).await.expect("open");
    let report = demo::load_demo(&db).await.expect("demo");
    assert_eq!((report.servers, report.carriers, report.phones), (2, 2, 10));
    use NodeId::*;
    use Verdict::*;
    let expected = [
        ("demohome1", DEMO, Ready, None, None),
        ("demomobile2", DEMO, Ready, None, Some(Answer)),
        ("demohome3", DEMO, WillHearSilence, Some(Trunk), Some(Trunk)),
        ("demointl4", DEMO, WillHearSilence, Some(Trunk), Some(Trunk)),
        ("demoweb5", DEMO, Unknown, None, Some(Registration)),
        ("demoweb6", DEMO, WillHearSilence, Some(Webphone), Some(Webphone)),
        ("demodesk7", DEMO, WillHearSilence, Some(Login), Some(Login)),
        ("demodesk8", demo::DEMO_NO_LOGIN_SERVER, WillHearSilence, Some(Login), Some(Login)),
        ("demodesk9", DEMO, Unknown, None, Some(Registration)),
        ("demohook10", DEMO, Unknown, None, Some(Registration)),
    ];
    for (ext, ip, v, breaks, problem) in expected {
        assert_eq!(verdict(&db, ext, ip).await, (v, breaks, problem), "{ext}");
    }
    // The alias's two phones have the same password, and the alias is shown on both.
    let f = phone_flow(&db, &AmiLinks::default(), "demodesk9", DEMO).await.expect("flow").expect("phone");
    assert_eq!(f.report.node(Login).map(|n| n.status), Some(NodeStatus::Ok));
    // The board: EXTERNAL phones and webphones only, worst first (silence, then unknown, then ready;
    // within a verdict by the first node that does not pass, so a ready phone with a warning comes before
    // a clean one).
    let board = remote_agents(&db, &AmiLinks::default(), None, None).await.expect("board");
    let order: Vec<&str> = board.iter().map(|a| a.extension.as_str()).collect();
    assert_eq!(order, ["demoweb6", "demohome3", "demointl4", "demoweb5", "demomobile2", "demohome1"]);
    assert_eq!(dialtone::service::flow::verdict_counts(&board), (2, 3, 1));
    let one = remote_agents(&db, &AmiLinks::default(), Some(DEMO), Some("nosuchgroup")).await.expect("board");
    assert!(one.is_empty());
    // A second load is refused: the demo is for an empty system.
    assert!(matches!(demo::load_demo(&db).await, Err(demo::DemoError::NotEmpty)));
    db.close().await;
}

#[tokio::test]
async fn the_flow_page_without_javascript() {
    let server = demo_server().await;
    let cookie = session(server.addr, "apiadmin", "apipass1").await;
    let page =
        http_with(server.addr, "GET", &format!("/phones/{DEMO}/demohome3/flow"), &[("Cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    for needle in [
        "Agent login path of demohome3 on 10.90.0.1",
        r#"data-testid="flow-node-trunk" data-status="fail""#,
        r#"data-testid="flow-node-registration" data-status="skipped""#,
        "No active carrier pattern on server 10.90.0.1 matches 3125550103",
        "_91NXXNXXXXXX",
        "WILL HEAR SILENCE",
        "<svg",
        "Simulate an agent login",
    ] {
        assert!(page.body.contains(needle), "{needle} in the page");
    }
    for secret in ["demopass1", "Rgdemohome3x7Q"] {
        assert!(!page.body.contains(secret), "a secret in the page");
    }
    // Unknown phone: 404. Signed out: to the sign-in page.
    let none =
        http_with(server.addr, "GET", &format!("/phones/{DEMO}/nosuch/flow"), &[("Cookie", &cookie)], None).await;
    assert_eq!(none.status, 404);
    let anon = http_with(server.addr, "GET", &format!("/phones/{DEMO}/demohome3/flow"), &[], None).await;
    assert_ne!(anon.status, 200);
    // The board, complete on the server, worst first.
    let board = http_with(server.addr, "GET", "/remote-agents", &[("Cookie", &cookie)], None).await;
    assert_eq!(board.status, 200);
    let first = board.body.find("agent-demoweb6").expect("demoweb6 listed");
    let ready = board.body.find("agent-demohome1").expect("demohome1 listed");
    assert!(first < ready, "silence before ready");
    assert!(!board.body.contains("agent-demodesk9"), "desk phones are not remote agents");
}

/// Reads server-sent events from `target` until one named `event`; returns its data.
async fn next_event(lines: &mut (impl AsyncBufReadExt + Unpin), event: &str) -> String {
    let mut current = String::new();
    let mut data = String::new();
    loop {
        let mut line = String::new();
        let n = lines.read_line(&mut line).await.expect("read");
        assert!(n > 0, "stream ended");
        let line = line.trim_end_matches(['\r', '\n']);
        if let Some(name) = line.strip_prefix("event: ").or_else(|| line.strip_prefix("event:")) {
            current = name.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:")) {
            data.push_str(d);
        } else if line.is_empty() && !data.is_empty() {
            if current == event {
                return data;
            }
            data.clear();
        }
    }
}

async fn open_events(addr: SocketAddr, cookie: &str, ext: &str) -> BufReader<tokio::net::TcpStream> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "GET /phones/{DEMO}/{ext}/flow/events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).await.expect("status");
    assert!(status.contains(" 200 "), "{status}");
    reader
}

#[tokio::test]
async fn the_event_stream_follows_a_change_within_two_seconds() {
    let server = demo_server().await;
    let cookie = session(server.addr, "apiadmin", "apipass1").await;
    let mut events = open_events(server.addr, &cookie, "demohome3").await;
    let first: serde_json::Value = serde_json::from_str(&next_event(&mut events, "flow").await).expect("json");
    assert_eq!(first["verdict"], "WillHearSilence");
    assert_eq!(first["breaks_at"], "Trunk");
    assert!(!first.to_string().contains("demopass1"));
    // The number is fixed: the stream sends the new path.
    phones::update_phone(
        &server.db,
        &Actor::cli(),
        "demohome3",
        DEMO,
        |p| p.dialplan_number = "913125550103".into(),
        "X",
    )
    .await
    .expect("fix the number");
    let started = std::time::Instant::now();
    let next = tokio::time::timeout(Duration::from_secs(2), next_event(&mut events, "flow")).await.expect("within 2 s");
    let next: serde_json::Value = serde_json::from_str(&next).expect("json");
    assert_eq!(next["verdict"], "Ready", "after {:?}", started.elapsed());
    // Deleted: the stream says so and ends.
    phones::delete_phone(&server.db, &Actor::cli(), "demohome3", DEMO, "X").await.expect("delete");
    tokio::time::timeout(Duration::from_secs(3), next_event(&mut events, "gone")).await.expect("gone");
    // No stream for a phone that does not exist.
    let none =
        http_with(server.addr, "GET", &format!("/phones/{DEMO}/nosuch/flow/events"), &[("Cookie", &cookie)], None)
            .await;
    assert_eq!(none.status, 404);
}

async fn post(addr: SocketAddr, cookie: &str, target: &str, body: &str) -> common::HttpResponse {
    let origin = format!("http://{addr}");
    http_with(addr, "POST", target, &[("Cookie", cookie), ("Origin", origin.as_str())], Some(body)).await
}

#[tokio::test]
async fn simulated_logins() {
    let server = demo_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let target = format!("/phones/{DEMO}/demodesk9/flow");
    let ok = post(addr, &cookie, &target, "login=demodesk9&password=demopass1").await;
    assert_eq!(ok.status, 200);
    assert_eq!(header(&ok, "cache-control"), Some("no-store"));
    assert!(ok.body.contains("Simulated login as"), "simulation notice");
    assert!(ok.body.contains(r#"data-testid="flow-node-login" data-status="ok""#));
    let wrong = post(addr, &cookie, &target, "login=demodesk9&password=nope").await;
    assert!(wrong.body.contains(r#"data-testid="flow-node-login" data-status="fail""#));
    assert!(wrong.body.contains("Wrong phone password"));
    let reg = post(addr, &cookie, &target, "login=demodesk9&password=Rgdemodesk9x7Q").await;
    assert!(reg.body.contains("the agent screen wants the login password"));
    for r in [&ok, &wrong, &reg] {
        for secret in ["demopass1", "Rgdemodesk9x7Q", "nope"] {
            assert!(!r.body.contains(secret), "a typed password in the page");
        }
    }
    // An alias of this phone resolves to it.
    let alias = post(addr, &cookie, &target, "login=demoteam&password=demopass1").await;
    assert!(alias.body.contains("demoteam → demodesk9, demohook10"), "alias resolution shown");
    // The login check resolves any login or alias to its phone (another user: checks are limited to
    // five a minute per user, and this one has made four).
    let cookie = session(addr, "nodelete", "nodelpass1").await;
    let check = post(addr, &cookie, "/login-check", "login=DEMOTEAM&password=demopass1").await;
    assert_eq!(check.status, 200);
    assert!(check.body.contains("Agent login path of demodesk9 on 10.90.0.1"));
    let unknown = post(addr, &cookie, "/login-check", "login=nobody&password=x").await;
    assert!(unknown.body.contains("No phone has the login"));
    // Cross-origin: refused before anything runs.
    let evil = http_with(
        addr,
        "POST",
        &target,
        &[("Cookie", cookie.as_str()), ("Origin", "http://evil.example")],
        Some("login=demodesk9&password=demopass1"),
    )
    .await;
    assert_eq!(evil.status, 403);
}

#[tokio::test]
async fn demo_data_from_the_web_needs_phone_and_server_rights() {
    let server = start_fixture_server().await;
    phones::delete_phone(&server.db, &Actor::cli(), "seed100", "10.10.10.15", "ADMIN DELETE PHONE")
        .await
        .expect("empty the fixture");
    let addr = server.addr;
    // Offered on the overview of an empty system to a user who may.
    let admin = session(addr, "apiadmin", "apipass1").await;
    let home = http_with(addr, "GET", "/", &[("Cookie", &admin)], None).await;
    assert!(home.body.contains("Load demo data"));
    let viewer = session(addr, "nodelete", "nodelpass1").await;
    let home = http_with(addr, "GET", "/", &[("Cookie", &viewer)], None).await;
    assert!(!home.body.contains("Load demo data"), "not offered without modify_servers");
    let refused = server_fn_json(addr, &viewer, "load_demo_data", "{}").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("may not load demo data"), "{}", refused.body);
    let loaded = server_fn_json(addr, &admin, "load_demo_data", "{}").await;
    assert_eq!(loaded.status, 200, "{}", loaded.body);
    let f = phone_flow(&server.db, &AmiLinks::default(), "demohome1", DEMO).await.expect("flow");
    assert!(f.is_some(), "demo phones stored");
    // Not offered any more once there are phones.
    let home = http_with(addr, "GET", "/", &[("Cookie", &admin)], None).await;
    assert!(!home.body.contains("Load demo data"));
}

#[tokio::test]
async fn a_phone_sharing_no_codec_with_its_carriers_is_warned_on_its_page() {
    let server = demo_server().await;
    let cookie = session(server.addr, "apiadmin", "apipass1").await;
    // As VICIdial's own screens store them: the phone's codecs, the carriers' peer definitions.
    let mut tx = server.db.write().await.expect("tx");
    sqlx::query("UPDATE phones SET codecs_list = 'g729' WHERE extension = 'demodesk9'")
        .execute(&mut *tx)
        .await
        .expect("codecs");
    sqlx::query(
        "UPDATE vicidial_server_carriers SET account_entry = '[trunk]\ntype=peer\ndisallow=all\nallow=ulaw\nallow=alaw' \
         WHERE server_ip = ?",
    )
    .bind(DEMO)
    .execute(&mut *tx)
    .await
    .expect("carriers");
    tx.commit().await.expect("commit");

    let f = phone_flow(&server.db, &AmiLinks::default(), "demodesk9", DEMO).await.expect("flow").expect("phone");
    let peer = f.report.node(NodeId::Peer).expect("peer");
    assert_eq!(peer.status, NodeStatus::Warning, "{peer:?}");
    assert!(peer.reason.starts_with("No codec in common with the server's carriers (phone g729;"), "{}", peer.reason);
    assert!(peer.evidence.iter().any(|e| e.label == "Codecs" && e.value == "g729"));
    let page =
        http_with(server.addr, "GET", &format!("/phones/{DEMO}/demodesk9/flow"), &[("Cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    // The peer's node shows the evidence (its one-line reason may be another warning, e.g. a pending rebuild).
    assert!(page.body.contains(r#"data-testid="flow-node-peer" data-status="warning""#), "{}", page.body);
    assert!(page.body.contains("<dd>g729</dd>") && page.body.contains(" ulaw, alaw"), "{}", page.body);

    // The system default applies to a phone without its own list; a shared codec clears the warning.
    let mut tx = server.db.write().await.expect("tx");
    sqlx::query("UPDATE phones SET codecs_list = '' WHERE extension = 'demodesk9'").execute(&mut *tx).await.expect("x");
    sqlx::query("UPDATE system_settings SET default_codecs = 'ulaw,g729'").execute(&mut *tx).await.expect("default");
    tx.commit().await.expect("commit");
    let f = phone_flow(&server.db, &AmiLinks::default(), "demodesk9", DEMO).await.expect("flow").expect("phone");
    let peer = f.report.node(NodeId::Peer).expect("peer");
    assert!(!peer.reason.starts_with("No codec"), "{peer:?}");
    assert!(peer.evidence.iter().all(|e| e.label != "Carriers' codecs"), "{peer:?}");
    assert!(peer.evidence.iter().any(|e| e.label == "Codecs" && e.value == "ulaw, g729"), "{:?}", peer.evidence);
}

#[tokio::test]
async fn after_the_break_nothing_passes_and_the_fix_shows_once() {
    let server = demo_server().await;
    let cookie = session(server.addr, "apiadmin", "apipass1").await;
    // demodesk7: an inactive SIP desk phone, refused at the login.
    let page =
        http_with(server.addr, "GET", &format!("/phones/{DEMO}/demodesk7/flow"), &[("Cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(body.contains(r#"data-testid="flow-node-login" data-status="fail""#));
    for node in ["protocol", "peer", "registration"] {
        assert!(
            body.contains(&format!(r#"data-testid="flow-node-{node}" data-status="not-reached""#)),
            "{node} drawn as not reached"
        );
        assert!(
            body.contains(&format!(r#"data-testid="flow-step-{node}" data-status="not-reached""#)),
            "{node} listed as not reached"
        );
    }
    // Nothing on the path after the login reads "passes", in the diagram or the steps.
    let after_login = &body[body.find(r#"data-testid="flow-node-protocol""#).expect("protocol node")..];
    let diagram = &after_login[..after_login.find("</svg>").expect("svg end")];
    assert!(!diagram.contains("passes") && !diagram.contains("decides the path"), "{diagram}");
    let steps = &body[body.find(r#"data-testid="flow-step-protocol""#).expect("steps")..];
    let steps = &steps[..steps.find("</ol>").expect("list end")];
    assert!(!steps.contains(">passes<"), "{steps}");
    assert!(steps.contains("The login never gets here: the path breaks at \"Agent submits login\"."));
    // The fix: once in the verdict banner and once on the failing step, not on the silence end.
    let fix = body.matches("<p class=\"fix\">Fix: ").count();
    assert_eq!(fix, 2, "the fix in the banner and on the failing node only");
    // The phone's status says it is inactive.
    let status = &body[body.find(r#"data-testid="flow-status""#).expect("status")..];
    let status = &status[..status.find("</span></span>").expect("status end")];
    assert!(status.contains("Status ACTIVE") && status.contains("inactive"), "{status}");
}

#[tokio::test]
async fn the_board_filters_by_verdict_from_its_counts() {
    let server = demo_server().await;
    let cookie = session(server.addr, "apiadmin", "apipass1").await;
    let board = http_with(server.addr, "GET", "/remote-agents", &[("Cookie", &cookie)], None).await;
    assert_eq!(board.status, 200);
    // Each count is a link to the board filtered by its verdict.
    for (key, n, label) in [("silence", 3, "will hear silence"), ("unknown", 1, "unknown"), ("ready", 2, "ready")] {
        let needle = format!(
            r#"<a href="/remote-agents?verdict={key}" title="Show only these"><strong>{n}</strong> {label}</a>"#
        );
        assert!(board.body.contains(&needle), "{needle}");
    }
    assert!(board.body.contains(r#"<label for="ra-verdict">Verdict</label>"#), "a verdict filter without JavaScript");
    let silence = http_with(server.addr, "GET", "/remote-agents?verdict=silence", &[("Cookie", &cookie)], None).await;
    assert_eq!(silence.status, 200);
    for ext in ["demoweb6", "demohome3", "demointl4"] {
        assert!(silence.body.contains(&format!("agent-{ext}")), "{ext} listed");
    }
    for ext in ["demoweb5", "demomobile2", "demohome1"] {
        assert!(!silence.body.contains(&format!("agent-{ext}\"")), "{ext} not listed");
    }
    // The counts stay those of every verdict; the one shown is marked and links back to all.
    assert!(silence.body.contains(
        r#"<a href="/remote-agents" aria-current="true" title="Show every verdict"><strong>3</strong> will hear silence</a>"#
    ));
    assert!(silence.body.contains(r#"<option value="silence" selected"#));
    // With the server filter kept.
    let both = http_with(
        server.addr,
        "GET",
        &format!("/remote-agents?server={DEMO}&verdict=ready"),
        &[("Cookie", &cookie)],
        None,
    )
    .await;
    assert!(both.body.contains("agent-demohome1") && !both.body.contains("agent-demoweb6\""));
    assert!(
        both.body.contains(&format!(r#"href="/remote-agents?server={DEMO}&amp;verdict=silence""#)),
        "{}",
        both.body
    );
    // A bad value is named.
    let bad = http_with(server.addr, "GET", "/remote-agents?verdict=fine", &[("Cookie", &cookie)], None).await;
    assert!(bad.body.contains("verdict must be one of ready, silence, unknown"), "{}", bad.body);
}
