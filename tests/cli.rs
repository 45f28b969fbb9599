//! The `dialtone` binary: admin commands, first-start admin user, and durability of acknowledged
//! phones when the server process is killed with SIGKILL.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dialtone::storage::{Db, Durability};

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

#[test]
fn admin_commands_succeed_and_bad_arguments_fail_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("cli.db");
    let (ok, out, _) =
        run(dialtone(&db).args(["server", "add", "--ip", "10.0.0.5", "--id", "ast1", "--description", "main"]));
    assert!(ok && out.contains("server ast1 (10.0.0.5) added"), "{out}");
    let (ok, _, err) = run(dialtone(&db).args(["server", "add", "--ip", "10.0.0.5", "--id", "ast2"]));
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(dialtone(&db).args(["server", "add", "--ip", "10.0.0.256", "--id", "ast3"]));
    assert!(!ok && err.contains("server_ip must be a dotted IPv4 address"), "{err}");
    let (ok, _, err) = run(dialtone(&db).args(["server", "add", "--id", "ast3"]));
    assert!(!ok && err.contains("--ip"), "{err}");
    let (ok, out, _) = run(dialtone(&db).args([
        "user",
        "add",
        "--user",
        "api1",
        "--pass",
        "pw-1",
        "--level",
        "9",
        "--api-access",
        "--ast-admin",
        "--api-functions",
        " add_phone version ",
    ]));
    assert!(ok && out.contains("user api1 added"), "{out}");
    let (ok, _, err) = run(dialtone(&db).args(["user", "add", "--user", "api2", "--pass", "x", "--level", "12"]));
    assert!(!ok && err.contains("level must be a whole number from 1 to 9"), "{err}");
    let (ok, _, err) = run(dialtone(&db).args(["user", "add", "--user", "bad user", "--pass", "x", "--level", "9"]));
    assert!(!ok && err.contains("user must be 1 to 20 characters"), "{err}");
    let (ok, _, err) = run(dialtone(&db).args(["user", "add", "--user", "api1", "--pass", "x", "--level", "9"]));
    assert!(!ok && err.contains("already exists"), "{err}");
    let tmpl = dir.path().join("t.conf");
    std::fs::write(&tmpl, "type=friend\nhost=dynamic\n").expect("write");
    let (ok, out, _) = run(dialtone(&db).args(["template", "add", "--id", "WEBRTC"]).arg("--file").arg(&tmpl));
    assert!(ok && out.contains("template WEBRTC saved"), "{out}");
    let (ok, _, err) = run(dialtone(&db).args(["template", "add", "--id", "WEB RTC"]).arg("--file").arg(&tmpl));
    assert!(!ok && err.contains("template_id"), "{err}");
    // One character is refused: the legacy API ignores such a template_id, as VICIdial does.
    let (ok, _, err) = run(dialtone(&db).args(["template", "add", "--id", "X"]).arg("--file").arg(&tmpl));
    assert!(!ok && err.contains("template_id must be 2 to 15 characters long (got 1)"), "{err}");
    let (ok, _, err) = run(dialtone(&db).args(["template", "add", "--id", "X2", "--file", "/nonexistent/file"]));
    assert!(!ok && err.contains("could not read"), "{err}");
    let (ok, _, err) = run(dialtone(&db).args(["frobnicate"]));
    assert!(!ok && err.contains("unrecognized subcommand"), "{err}");
    // The password is hashed, never stored.
    let raw = std::fs::read(&db).expect("db bytes");
    assert!(!raw.windows(4).any(|w| w == b"pw-1"), "plain password in the database file");
}

struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn wait_ready(addr: std::net::SocketAddr) {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts `dialtone serve` on `db`, waits until it accepts connections, stops it and returns what it
/// printed on standard output.
async fn serve_once(db: &std::path::Path) -> String {
    let port = free_port();
    let mut child = Child(
        dialtone(db)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    wait_ready(format!("127.0.0.1:{port}").parse().expect("addr")).await;
    let _ = child.0.kill();
    child.0.wait_with_output_ref()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_creates_admin_with_a_one_time_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("first.db");
    let out = serve_once(&db).await;
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("Created user 'admin' with password: "))
        .expect("password line")
        .to_string();
    assert_eq!(password.len(), 20);
    // The printed password is accepted by the authenticator the API uses.
    let database = Db::open(db.to_str().expect("utf-8"), Durability::Process).await.expect("open");
    let auth = dialtone::service::auth::Authenticator::new(7);
    let outcome = auth.authenticate(&database, "admin", &password, "127.0.0.1").await.expect("auth");
    assert!(matches!(outcome, dialtone::service::auth::AuthOutcome::Good(_)));
    database.close().await;
    // A second start creates nothing and prints no password.
    assert!(!serve_once(&db).await.contains("password"));
}

trait OutputRef {
    fn wait_with_output_ref(&mut self) -> String;
}
impl OutputRef for std::process::Child {
    fn wait_with_output_ref(&mut self) -> String {
        let _ = self.wait();
        let mut s = String::new();
        if let Some(mut out) = self.stdout.take() {
            use std::io::Read;
            let _ = out.read_to_string(&mut s);
        }
        s
    }
}

/// Adds phones from 8 concurrent clients, kills the server with SIGKILL mid-stream, and checks that
/// every phone whose SUCCESS line reached a client is in the database afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_phone_is_lost_when_the_server_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kill.db");
    assert!(run(dialtone(&db).args(["server", "add", "--ip", "10.10.10.15", "--id", "TESTast"])).0);
    assert!(
        run(dialtone(&db).args([
            "user",
            "add",
            "--user",
            "apiadmin",
            "--pass",
            "apipass1",
            "--level",
            "9",
            "--api-access",
            "--ast-admin"
        ]))
        .0
    );
    let port = free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let mut child = Child(
        dialtone(&db)
            .args(["serve", "--listen", &addr.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    wait_ready(addr).await;
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for c in 0..8 {
        let acked = acked.clone();
        clients.push(tokio::spawn(async move {
            for i in 0..100_000 {
                let id = format!("k{c}x{i}");
                let q = format!(
                    "source=test&user=apiadmin&pass=apipass1&function=add_phone&extension={id}&dialplan_number=1{i}\
                     &voicemail_id=1{i}&phone_login={id}&phone_pass=test&server_ip=10.10.10.15&protocol=SIP\
                     &registration_password=secret1&phone_full_name=Kill+Test&local_gmt=-5.00&outbound_cid=3125550000"
                );
                let Ok(res) = tokio::time::timeout(Duration::from_secs(5), try_get(addr, &q)).await else { break };
                match res {
                    Some(body) if body.starts_with("SUCCESS: add_phone PHONE HAS BEEN ADDED") => {
                        acked.lock().expect("lock").push(id)
                    }
                    _ => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = child.0.kill(); // SIGKILL
    let _ = child.0.wait();
    for c in clients {
        let _ = c.await;
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() > 50, "too few phones acknowledged before the kill: {}", acked.len());
    let database = Db::open(db.to_str().expect("utf-8"), Durability::Process).await.expect("reopen after kill");
    let mut conn = database.reader().acquire().await.expect("conn");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT extension FROM phones").fetch_all(&mut *conn).await.expect("phones");
    let stored: std::collections::HashSet<String> = stored.into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged phones lost: {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)]
    );
}

/// One GET; `None` when the connection fails or is cut (the server was killed).
async fn try_get(addr: std::net::SocketAddr, query: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = format!("GET /vicidial/non_agent_api.php?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8(buf).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// `server add` with AMI settings, `conf generate` and `conf status` from the command line: a real
/// database file, real files in a temporary conf directory, and the AMI test double.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conf_commands_generate_files_and_reload_over_ami() {
    let ami = common::ami::AmiTestServer::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("conf.db");
    let conf_dir = dir.path().join("conf");
    let port = ami.addr().port().to_string();
    // AMI without a secret is refused, naming the argument; a bad version is refused with the rule.
    let (ok, _, err) =
        run(dialtone(&db).args(["server", "add", "--ip", "10.0.0.7", "--id", "a7", "--ami-host", "127.0.0.1"]));
    assert!(!ok && err.contains("--ami-secret"), "{err}");
    let (ok, _, err) =
        run(dialtone(&db).args(["server", "add", "--ip", "10.0.0.7", "--id", "a7", "--asterisk-version", "13;x"]));
    assert!(!ok && err.contains("asterisk_version must be"), "{err}");
    // The secret from standard input, as for passwords.
    let mut child = dialtone(&db)
        .args(["server", "add", "--ip", "10.0.0.7", "--id", "a7", "--asterisk-version", "13.38.3"])
        .args([
            "--ami-host",
            "127.0.0.1",
            "--ami-port",
            &port,
            "--ami-user",
            common::ami::TEST_USER,
            "--ami-secret",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{}", common::ami::TEST_SECRET).expect("write secret");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    let conf = |args: &[&str]| {
        let mut c = dialtone(&db);
        c.arg("--conf-dir").arg(&conf_dir).args(args);
        run(&mut c)
    };
    let (ok, out, err) = tokio::task::block_in_place(|| conf(&["conf", "generate"]));
    assert!(ok, "{out}{err}");
    assert!(out.contains("10.0.0.7: 0 phones written, 0 refused; built in"), "{out}");
    assert!(out.contains("Asterisk reloaded: dialplan reload, sip reload, pjsip reload, iax2 reload"), "{out}");
    assert_eq!(ami.commands_received(), ["dialplan reload", "sip reload", "pjsip reload", "iax2 reload"]);
    assert!(conf_dir.join("10.0.0.7").join("sip-vicidial.conf").exists());
    // Nothing marked any more; forcing the server rebuilds without changes, so nothing is reloaded.
    let (_, out, _) = tokio::task::block_in_place(|| conf(&["conf", "generate"]));
    assert!(out.contains("no server marked"), "{out}");
    let (ok, out, _) = tokio::task::block_in_place(|| conf(&["conf", "generate", "--server", "10.0.0.7"]));
    assert!(ok && out.contains("changed: none") && !out.contains("reloaded"), "{out}");
    let (ok, out, _) = tokio::task::block_in_place(|| conf(&["conf", "status"]));
    assert!(ok && out.contains("10.0.0.7: generated ") && out.contains("; applied "), "{out}");
    let (ok, _, err) = tokio::task::block_in_place(|| conf(&["conf", "generate", "--server", "10.9.9.9"]));
    assert!(!ok && err.contains("no server with server_ip 10.9.9.9"), "{err}");
    // The secret is stored (Dialtone must log in with it) but never written to the audit log.
    let db = Db::open(db.to_str().expect("utf-8"), Durability::Process).await.expect("open");
    let mut conn = db.reader().acquire().await.expect("conn");
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT event_diff FROM vicidial_admin_log").fetch_all(&mut *conn).await.expect("audit");
    assert!(audit.iter().all(|d| !d.contains(common::ami::TEST_SECRET)), "{audit:?}");
}
