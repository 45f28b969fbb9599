//! The AMI client against the test AMI server (`common::ami`), over real TCP on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::ami::{
    closed_port, event_frame, header, AmiTestServer, CommandFormat, LEGACY_VERSION, MODERN_VERSION, TEST_SECRET,
    TEST_USER,
};
use dialtone::ami::{run_commands, AmiConfig, AmiError, AmiSession, EncodeError, Stage};

/// Display and Debug of `err`, checked not to contain `secret`.
fn assert_no_secret(err: &AmiError, secret: &str) {
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains(secret), "secret leaked: {shown}");
}

#[tokio::test]
async fn login_succeeds_with_events_off_and_logoff_is_answered_goodbye() {
    let server = AmiTestServer::start().await;
    let session = AmiSession::connect(&server.client_config()).await.expect("login");
    assert_eq!(session.server_version(), MODERN_VERSION);
    assert_eq!(session.addr(), format!("127.0.0.1:{}", server.addr().port()));
    assert_eq!(server.logins(), 1);

    let actions = server.actions();
    assert_eq!(actions.len(), 1, "{actions:?}");
    let login = &actions[0];
    assert_eq!(header(login, "Action"), Some("Login"));
    assert_eq!(header(login, "Username"), Some(TEST_USER));
    assert_eq!(header(login, "Secret"), Some("[redacted]"), "the server received a secret");
    assert_eq!(header(login, "Events"), Some("off"));
    assert!(header(login, "ActionID").is_some_and(|id| !id.is_empty()));

    session.logoff().await.expect("logoff");
    assert_eq!(server.logoffs(), 1);
    assert_eq!(server.action_names(), ["Login", "Logoff"]);
}

#[tokio::test]
async fn rejected_login_names_the_stage_and_never_the_secret() {
    let server = AmiTestServer::start().await;
    let cfg = AmiConfig { secret: "wrong-Secret-4711".into(), ..server.client_config() };
    let err = AmiSession::connect(&cfg).await.expect_err("rejected");
    assert!(matches!(&err, AmiError::LoginRejected { message, .. } if message == "Authentication failed"), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("AMI 127.0.0.1:{}: login rejected: Authentication failed", server.addr().port())
    );
    assert_eq!(err.stage(), Stage::Login);
    assert_no_secret(&err, "wrong-Secret-4711");
    assert_eq!((server.logins(), server.failed_logins()), (0, 1));

    // Unknown user too.
    let cfg = AmiConfig { username: "nobody".into(), ..server.client_config() };
    let err = AmiSession::connect(&cfg).await.expect_err("rejected");
    assert!(matches!(err, AmiError::LoginRejected { .. }), "{err:?}");
    assert_no_secret(&err, TEST_SECRET);
}

#[tokio::test]
async fn secret_with_a_line_break_is_refused_before_anything_is_sent() {
    let server = AmiTestServer::start().await;
    let injected = "x\r\nAction: Command\r\nCommand: core stop now";
    let cfg = AmiConfig { secret: injected.into(), ..server.client_config() };
    let err = AmiSession::connect(&cfg).await.expect_err("refused");
    assert!(
        matches!(&err, AmiError::InvalidAction { stage: Stage::Login, source: EncodeError::LineBreakInValue { key }, .. } if key == "Secret"),
        "{err:?}"
    );
    assert_no_secret(&err, "core stop now");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.connections(), 0);
    assert!(server.actions().is_empty());
}

#[tokio::test]
async fn command_output_in_the_asterisk_14_format() {
    let server = AmiTestServer::builder()
        .output(
            "sip show peers",
            "Name/username  Host  Dyn\ncc101/cc101  10.0.0.9  D\n1 sip peers [Monitored: 1 online]\n",
        )
        .start()
        .await;
    let mut session = AmiSession::connect(&server.client_config()).await.expect("login");
    assert_eq!(session.command("dialplan reload").await.expect("reload"), "Dialplan reloaded.");
    assert_eq!(
        session.command("sip show peers").await.expect("peers"),
        "Name/username  Host  Dyn\ncc101/cc101  10.0.0.9  D\n1 sip peers [Monitored: 1 online]"
    );
    assert_eq!(session.command("sip reload").await.expect("empty output"), "");
    session.logoff().await.expect("logoff");
    assert_eq!(server.commands_received(), ["dialplan reload", "sip show peers", "sip reload"]);
    for action in server.actions().iter().filter(|a| header(a, "Action") == Some("Command")) {
        assert!(header(action, "ActionID").is_some_and(|id| !id.is_empty()), "{action:?}");
    }
}

#[tokio::test]
async fn command_output_in_the_legacy_follows_format() {
    let raw = "Name/username  Host\nSystem uptime: 46 minutes\n\ncc101/cc101  10.0.0.9\n";
    let server = AmiTestServer::builder().asterisk13().output("sip show peers", raw).start().await;
    let mut session = AmiSession::connect(&server.client_config()).await.expect("login");
    assert_eq!(session.server_version(), LEGACY_VERSION);
    assert_eq!(session.command("dialplan reload").await.expect("reload"), "Dialplan reloaded.");
    // Raw output: blank lines and `Key: value`-looking lines are kept as output.
    assert_eq!(
        session.command("sip show peers").await.expect("peers"),
        "Name/username  Host\nSystem uptime: 46 minutes\n\ncc101/cc101  10.0.0.9"
    );
    assert_eq!(session.command("sip reload").await.expect("empty"), "");

    // The same session survives a switch of format (the answers are framed independently).
    server.set_command_format(CommandFormat::Modern);
    assert_eq!(session.command("dialplan reload").await.expect("reload"), "Dialplan reloaded.");
    session.logoff().await.expect("logoff");
}

#[tokio::test]
async fn events_and_foreign_responses_before_the_answer_are_skipped() {
    let server = AmiTestServer::start().await;
    let mut session = AmiSession::connect(&server.client_config()).await.expect("login");
    server.inject_before_next_response(event_frame(&[
        ("Event", "PeerStatus"),
        ("Privilege", "system,all"),
        ("ChannelType", "SIP"),
        ("Peer", "SIP/cc101"),
        ("PeerStatus", "Registered"),
        ("Address", "10.0.0.9:5060"),
    ]));
    // A response to someone else's action, and a legacy reply with another ActionID.
    server.inject_before_next_response(
        "Response: Success\r\nActionID: not-yours\r\nMessage: Command output follows\r\nOutput: wrong\r\n\r\n",
    );
    server.inject_before_next_response(
        "Response: Follows\r\nPrivilege: Command\r\nActionID: other\r\nwrong too\n--END COMMAND--\r\n\r\n",
    );
    assert_eq!(session.command("dialplan reload").await.expect("reload"), "Dialplan reloaded.");
    // And the stream stays in step afterwards.
    assert!(session.command("core show version").await.expect("version").starts_with("Asterisk 16.30.0"));
    session.logoff().await.expect("logoff");
}

#[tokio::test]
async fn unknown_command_is_a_command_failure_in_both_formats() {
    for legacy in [false, true] {
        let builder = AmiTestServer::builder().failing_command("sip reload");
        let server = if legacy { builder.asterisk13() } else { builder }.start().await;
        let mut session = AmiSession::connect(&server.client_config()).await.expect("login");
        let err = session.command("sip reload").await.expect_err("fails");
        match &err {
            AmiError::CommandFailed { command, message, .. } => {
                assert_eq!(command, "sip reload");
                assert_eq!(
                    message,
                    "No such command 'sip reload' (type 'core show help sip reload' for other possible commands)"
                );
            }
            other => panic!("legacy={legacy}: {other:?}"),
        }
        assert!(err.to_string().contains("command `sip reload` failed: No such command"), "{err}");
        assert_no_secret(&err, TEST_SECRET);
        // The session is still usable after a command failure.
        assert_eq!(session.command("dialplan reload").await.expect("reload"), "Dialplan reloaded.");
        session.logoff().await.expect("logoff");
    }
}

#[tokio::test]
async fn error_response_is_a_command_failure() {
    let server = AmiTestServer::start().await;
    let mut session = AmiSession::connect(&server.client_config()).await.expect("login");
    let err = session.command("module unload chan_sip.so").await.expect_err("blacklisted");
    assert!(matches!(&err, AmiError::CommandFailed { message, .. } if message == "Command blacklisted"), "{err:?}");
    session.logoff().await.expect("logoff");
}

#[tokio::test]
async fn command_with_a_line_break_is_refused_and_not_sent() {
    let server = AmiTestServer::start().await;
    let mut session = AmiSession::connect(&server.client_config()).await.expect("login");
    let err = session.command("sip reload\r\nAction: Originate").await.expect_err("refused");
    assert!(matches!(err, AmiError::InvalidAction { .. }), "{err:?}");
    session.logoff().await.expect("logoff");
    assert_eq!(server.action_names(), ["Login", "Logoff"]);
}

#[tokio::test]
async fn refused_connection_is_a_quick_connect_error() {
    let port = closed_port().await;
    let cfg = AmiConfig {
        host: "127.0.0.1".into(),
        port,
        username: TEST_USER.into(),
        secret: TEST_SECRET.into(),
        timeout: Duration::from_secs(5),
    };
    let started = Instant::now();
    let err = AmiSession::connect(&cfg).await.expect_err("refused");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    assert!(matches!(err, AmiError::Connect { .. }), "{err:?}");
    assert_eq!(err.stage(), Stage::Connect);
    assert!(err.to_string().starts_with(&format!("AMI 127.0.0.1:{port}: connect: ")), "{err}");
    assert_no_secret(&err, TEST_SECRET);
}

#[tokio::test]
async fn silent_server_times_out_at_the_banner() {
    let server = AmiTestServer::builder().silent().start().await;
    let cfg = AmiConfig { timeout: Duration::from_millis(300), ..server.client_config() };
    let started = Instant::now();
    let err = AmiSession::connect(&cfg).await.expect_err("timeout");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300) && took < Duration::from_millis(1500), "took {took:?}");
    assert!(matches!(&err, AmiError::Timeout { stage: Stage::Banner, .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("AMI 127.0.0.1:{}: banner: no answer within 300ms", server.addr().port()));
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn unanswered_command_times_out_naming_the_command() {
    let server = AmiTestServer::builder().hanging_command("sip reload").start().await;
    let cfg = AmiConfig { timeout: Duration::from_millis(300), ..server.client_config() };
    let mut session = AmiSession::connect(&cfg).await.expect("login");
    let started = Instant::now();
    let err = session.command("sip reload").await.expect_err("timeout");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(matches!(&err, AmiError::Timeout { stage: Stage::Command(c), .. } if c == "sip reload"), "{err:?}");
    assert!(err.to_string().contains("command `sip reload`: no answer within 300ms"), "{err}");
}

#[tokio::test]
async fn server_closing_mid_session_is_reported_as_closed() {
    let server = AmiTestServer::start().await;
    let mut session = AmiSession::connect(&server.client_config()).await.expect("login");
    server.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = session.command("dialplan reload").await.expect_err("closed");
    assert!(matches!(&err, AmiError::Closed { .. } | AmiError::Io { .. }), "{err:?}");
    assert_eq!(err.stage(), Stage::Command("dialplan reload".into()));
}

#[tokio::test]
async fn oversized_answer_is_a_protocol_error() {
    let huge: String =
        (0..20_000).map(|i| format!("{i:>8} a line of CLI output padded to about sixty bytes\n")).collect();
    assert!(huge.len() > 1024 * 1024);
    let server = AmiTestServer::builder().output("core show channels", &huge).start().await;
    let cfg = AmiConfig { timeout: Duration::from_secs(5), ..server.client_config() };
    let mut session = AmiSession::connect(&cfg).await.expect("login");
    let err = session.command("core show channels").await.expect_err("too large");
    assert!(matches!(&err, AmiError::Protocol { detail, .. } if detail.contains("exceeds 1048576 bytes")), "{err:?}");
}

#[tokio::test]
async fn run_commands_sends_reloads_in_order_then_logs_off() {
    let server = AmiTestServer::start().await;
    run_commands(&server.client_config(), &["dialplan reload", "sip reload"]).await.expect("reloads");
    assert_eq!(server.commands_received(), ["dialplan reload", "sip reload"]);
    assert_eq!(server.action_names(), ["Login", "Command", "Command", "Logoff"]);
    assert_eq!((server.connections(), server.logins(), server.logoffs()), (1, 1, 1));
    // Every ActionID in the session is distinct.
    let mut ids: Vec<String> =
        server.actions().iter().map(|a| header(a, "ActionID").unwrap_or_default().to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}

#[tokio::test]
async fn run_commands_stops_at_the_first_failure() {
    let server = AmiTestServer::builder().failing_command("sip reload").start().await;
    let err = run_commands(&server.client_config(), &["sip reload", "dialplan reload"]).await.expect_err("fails");
    assert!(matches!(&err, AmiError::CommandFailed { command, .. } if command == "sip reload"), "{err:?}");
    assert_eq!(server.commands_received(), ["sip reload"], "dialplan reload must not run after a failure");
    assert_eq!(server.logoffs(), 1, "a sound session is still logged off");
}

#[tokio::test]
async fn run_commands_with_a_bad_login_runs_nothing() {
    let server = AmiTestServer::start().await;
    let cfg = AmiConfig { secret: "nope-nope-nope".into(), ..server.client_config() };
    let err = run_commands(&cfg, &["dialplan reload"]).await.expect_err("rejected");
    assert!(matches!(err, AmiError::LoginRejected { .. }), "{err:?}");
    assert!(server.commands_received().is_empty());
    assert_no_secret(&err, "nope-nope-nope");
}

#[tokio::test]
async fn test_server_answers_like_asterisk_on_the_wire() {
    // Raw bytes, no client: pins the test double's own formats.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = AmiTestServer::start().await;
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.expect("connect");
    let mut buf = Vec::new();
    async fn read_more(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, done: impl Fn(&[u8]) -> bool) {
        let mut chunk = [0u8; 4096];
        while !done(buf) {
            let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut chunk))
                .await
                .expect("answer in time")
                .expect("read");
            assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(buf));
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    /// Messages ended so far (blank lines).
    fn blank(buf: &[u8]) -> usize {
        buf.windows(4).filter(|w| *w == b"\r\n\r\n").count()
    }
    read_more(&mut stream, &mut buf, |b| b.ends_with(b"\r\n")).await;
    assert_eq!(buf, b"Asterisk Call Manager/5.0.1\r\n");
    buf.clear();

    stream.write_all(b"Action: Command\r\nActionID: 1\r\nCommand: sip reload\r\n\r\n").await.expect("write");
    read_more(&mut stream, &mut buf, |b| blank(b) >= 1).await;
    assert_eq!(String::from_utf8_lossy(&buf), "Response: Error\r\nActionID: 1\r\nMessage: Permission denied\r\n\r\n");
    buf.clear();

    let login = format!("Action: Login\r\nActionID: 2\r\nUsername: {TEST_USER}\r\nSecret: {TEST_SECRET}\r\n\r\n");
    stream.write_all(login.as_bytes()).await.expect("write");
    read_more(&mut stream, &mut buf, |b| blank(b) >= 2).await;
    assert_eq!(
        String::from_utf8_lossy(&buf),
        "Response: Success\r\nActionID: 2\r\nMessage: Authentication accepted\r\n\r\n\
         Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 4242\r\nLastReload: 4242\r\nStatus: Fully Booted\r\n\r\n"
    );
    buf.clear();

    server.push_event(&[("Event", "PeerStatus"), ("Peer", "SIP/cc101"), ("PeerStatus", "Unreachable")]);
    read_more(&mut stream, &mut buf, |b| blank(b) >= 1).await;
    assert_eq!(
        String::from_utf8_lossy(&buf),
        "Event: PeerStatus\r\nPeer: SIP/cc101\r\nPeerStatus: Unreachable\r\n\r\n"
    );
    buf.clear();

    stream.write_all(b"Action: Command\r\nActionID: 3\r\nCommand: dialplan reload\r\n\r\n").await.expect("write");
    read_more(&mut stream, &mut buf, |b| blank(b) >= 1).await;
    assert_eq!(
        String::from_utf8_lossy(&buf),
        "Response: Success\r\nActionID: 3\r\nMessage: Command output follows\r\nOutput: Dialplan reloaded.\r\n\r\n"
    );
    buf.clear();

    server.set_command_format(CommandFormat::Legacy);
    stream.write_all(b"Action: Command\r\nActionID: 4\r\nCommand: dialplan reload\r\n\r\n").await.expect("write");
    read_more(&mut stream, &mut buf, |b| blank(b) >= 1).await;
    assert_eq!(
        String::from_utf8_lossy(&buf),
        "Response: Follows\r\nPrivilege: Command\r\nActionID: 4\r\nDialplan reloaded.\n--END COMMAND--\r\n\r\n"
    );
    buf.clear();

    stream.write_all(b"Action: Logoff\r\nActionID: 5\r\n\r\n").await.expect("write");
    read_more(&mut stream, &mut buf, |b| blank(b) >= 1).await;
    assert_eq!(
        String::from_utf8_lossy(&buf),
        "Response: Goodbye\r\nActionID: 5\r\nMessage: Thanks for all the fish.\r\n\r\n"
    );
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut rest))
        .await
        .expect("closes")
        .expect("eof");
    assert_eq!(n, 0, "the server closes after Goodbye");
    assert_eq!(server.actions()[1].iter().find(|(k, _)| k == "Secret").map(|(_, v)| v.as_str()), Some("[redacted]"));
}

#[tokio::test]
async fn an_event_session_reads_answers_and_events_in_wire_order() {
    use common::ami::ListedPeer;
    let server = AmiTestServer::start().await;
    server.set_sip_peers(vec![ListedPeer::registered("1001", "203.0.113.5", 5060, "OK (9 ms)")]);
    let mut session = AmiSession::connect_with_events(&server.client_config(), "system").await.expect("login");
    assert_eq!(header(&server.actions()[0], "Events"), Some("system"));
    // The FullyBooted event that follows the login's answer is the first message.
    let booted = session.next_message().await.expect("message");
    assert_eq!(booted.event(), Some("FullyBooted"));
    let id = session.send_action(dialtone::ami::Message::action("SIPpeers")).await.expect("send");
    let mut seen = Vec::new();
    loop {
        let m =
            tokio::time::timeout(Duration::from_secs(2), session.next_message()).await.expect("in time").expect("read");
        assert_eq!(m.action_id(), Some(id.as_str()));
        seen.push(m.response().or(m.event()).unwrap_or_default().to_string());
        if m.event() == Some("PeerlistComplete") {
            break;
        }
    }
    assert_eq!(seen, ["Success", "PeerEntry", "PeerlistComplete"]);
    // Only the classes asked for arrive.
    server.push_event(&[("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "SIP/1001-1")]);
    server.push_event(&[("Event", "PeerStatus"), ("Privilege", "system,all"), ("Peer", "SIP/1001")]);
    let m = tokio::time::timeout(Duration::from_secs(2), session.next_message()).await.expect("in time").expect("read");
    assert_eq!(m.event(), Some("PeerStatus"));
    server.shutdown();
    let err = tokio::time::timeout(Duration::from_secs(2), session.next_message())
        .await
        .expect("in time")
        .expect_err("closed");
    assert!(matches!(err, AmiError::Closed { stage: Stage::Events, .. }), "{err:?}");
    assert_no_secret(&err, TEST_SECRET);
}
