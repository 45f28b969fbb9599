//! [`AmiSession`]: one logged-in AMI connection that runs actions one at a time and waits for the
//! response carrying its `ActionID`, skipping events and unrelated messages in between.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::error::{AmiError, Stage};
use super::message::{Message, ParseError};
use super::reader::{MessageReader, ReadError};

/// The greeting Asterisk sends on connect, before the AMI version (`Asterisk Call Manager/5.0.1`).
pub const BANNER_PREFIX: &str = "Asterisk Call Manager/";

/// Where and how to reach an Asterisk's manager interface.
///
/// `Debug` shows `secret` as `[redacted]`.
#[derive(Clone)]
pub struct AmiConfig {
    /// Host name or IP address.
    pub host: String,
    /// TCP port (Asterisk's default is 5038).
    pub port: u16,
    /// The `manager.conf` user.
    pub username: String,
    /// Its secret.
    pub secret: String,
    /// Bound on every step: connecting, each write, each wait for an answer.
    pub timeout: Duration,
}

impl AmiConfig {
    /// `host:port` as shown in errors (`[v6]:port` for an IPv6 address).
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for AmiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmiConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("secret", &"[redacted]")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Makes every `ActionID` this process sends unique, across sessions.
static NEXT_ACTION_ID: AtomicU64 = AtomicU64::new(1);

fn next_action_id() -> String {
    format!("dialtone-{}-{}", std::process::id(), NEXT_ACTION_ID.fetch_add(1, Ordering::Relaxed))
}

/// A logged-in AMI session.
///
/// Two ways to use it: a request/response session ([`AmiSession::connect`], logged in with
/// `Events: off`) runs [`command`](AmiSession::command)s one at a time; an event session
/// ([`AmiSession::connect_with_events`]) sends actions with [`send_action`](AmiSession::send_action)
/// and reads everything Asterisk sends, answers and events in wire order, with
/// [`next_message`](AmiSession::next_message). `command` skips the events it meets, so do not mix
/// the two on an event session.
///
/// After an error other than [`AmiError::CommandFailed`] the connection is in an unknown state: drop
/// the session and connect again.
#[derive(Debug)]
pub struct AmiSession {
    reader: MessageReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    addr: String,
    timeout: Duration,
    version: String,
    malformed: u64,
}

impl AmiSession {
    /// Connects to `cfg.host:cfg.port`, reads the `Asterisk Call Manager/x.y.z` banner and logs in
    /// (`Action: Login` with `Username`, `Secret`, `Events: off` and an `ActionID`).
    ///
    /// Fails with [`AmiError::LoginRejected`] when Asterisk answers `Response: Error`, and with
    /// [`AmiError::InvalidAction`] before connecting when the user name or secret holds a line break.
    pub async fn connect(cfg: &AmiConfig) -> Result<AmiSession, AmiError> {
        Self::connect_inner(cfg, "off").await.map_err(|e| e.redact(&cfg.secret))
    }

    /// Connects and logs in as [`connect`](AmiSession::connect) does, but asks for the events of the
    /// classes in `events` (`Events: system,security`, Asterisk's class names; `on` for all). Events
    /// that arrive with the login's answer are kept for [`next_message`](AmiSession::next_message).
    pub async fn connect_with_events(cfg: &AmiConfig, events: &str) -> Result<AmiSession, AmiError> {
        Self::connect_inner(cfg, events).await.map_err(|e| e.redact(&cfg.secret))
    }

    async fn connect_inner(cfg: &AmiConfig, events: &str) -> Result<AmiSession, AmiError> {
        let addr = cfg.address();
        // Encode first: a secret with a line break is refused before anything touches the network.
        let login_id = next_action_id();
        let login = Message::action("Login")
            .with_header("Username", cfg.username.as_str())
            .with_header("Secret", cfg.secret.as_str())
            .with_header("Events", events)
            .with_header("ActionID", login_id.as_str())
            .encode()
            .map_err(|source| AmiError::InvalidAction { addr: addr.clone(), stage: Stage::Login, source })?;

        let stream = match timeout(cfg.timeout, TcpStream::connect((cfg.host.as_str(), cfg.port))).await {
            Err(_) => return Err(AmiError::Timeout { addr, stage: Stage::Connect, after: cfg.timeout }),
            Ok(Err(source)) => return Err(AmiError::Connect { addr, source }),
            Ok(Ok(stream)) => stream,
        };
        // Actions are small and answered one at a time: do not let Nagle delay them.
        let _ = stream.set_nodelay(true);
        let (read_half, write_half) = stream.into_split();
        let mut session = AmiSession {
            reader: MessageReader::new(read_half),
            writer: write_half,
            addr,
            timeout: cfg.timeout,
            version: String::new(),
            malformed: 0,
        };

        let banner = match timeout(session.timeout, session.reader.read_line()).await {
            Err(_) => return Err(session.timed_out(Stage::Banner)),
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => return Err(session.closed(Stage::Banner)),
            Ok(Err(e)) => return Err(session.read_error(Stage::Banner, e)),
        };
        let Some(version) = banner.strip_prefix(BANNER_PREFIX) else {
            let shown: String = banner.chars().take(80).collect();
            return Err(session.protocol(Stage::Banner, format!("not an Asterisk manager greeting: {shown:?}")));
        };
        session.version = version.trim().to_string();

        let response = session.exchange(&login, &login_id, &Stage::Login).await?;
        match response.response() {
            Some(r) if r.eq_ignore_ascii_case("Success") => Ok(session),
            Some(r) if r.eq_ignore_ascii_case("Error") => Err(AmiError::LoginRejected {
                addr: session.addr.clone(),
                message: response.get("Message").unwrap_or("(no message)").to_string(),
            }),
            other => Err(session.protocol(Stage::Login, format!("unexpected response {other:?}"))),
        }
    }

    /// The AMI version from the banner (e.g. `5.0.1` for Asterisk 16, `2.10.6` for Asterisk 13).
    pub fn server_version(&self) -> &str {
        &self.version
    }

    /// The server's `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends `action` (e.g. `Message::action("SIPpeers")`) with a new `ActionID`, which it returns;
    /// the answer and any list events carrying that id come through
    /// [`next_message`](AmiSession::next_message). The write is bounded by the timeout.
    pub async fn send_action(&mut self, action: Message) -> Result<String, AmiError> {
        let stage = Stage::Action(action.get("Action").unwrap_or_default().to_string());
        let id = next_action_id();
        let bytes = action.with_header("ActionID", id.as_str()).encode().map_err(|source| AmiError::InvalidAction {
            addr: self.addr.clone(),
            stage: stage.clone(),
            source,
        })?;
        match timeout(self.timeout, self.writer.write_all(&bytes)).await {
            Err(_) => Err(self.timed_out(stage)),
            Ok(Err(source)) => Err(AmiError::Io { addr: self.addr.clone(), stage, source }),
            Ok(Ok(())) => Ok(id),
        }
    }

    /// The next message Asterisk sends (an answer or an event), in wire order. No time limit: wrap
    /// it in `tokio::time::timeout` or a `select!` (it is cancel-safe: nothing is lost when the
    /// future is dropped). A message with a malformed header line is skipped (counted in
    /// [`malformed_skipped`](AmiSession::malformed_skipped)); the connection closing gives
    /// [`AmiError::Closed`].
    pub async fn next_message(&mut self) -> Result<Message, AmiError> {
        loop {
            match self.reader.read_message().await {
                Ok(Some(m)) => return Ok(m),
                Ok(None) => return Err(self.closed(Stage::Events)),
                Err(ReadError::Parse(ParseError::MalformedLine { .. })) => self.malformed += 1,
                Err(e) => return Err(self.read_error(Stage::Events, e)),
            }
        }
    }

    /// Messages [`next_message`](AmiSession::next_message) skipped because a header line had no
    /// `Key: value` shape.
    pub fn malformed_skipped(&self) -> u64 {
        self.malformed
    }

    /// Runs a CLI command (`Action: Command`) and returns its output: the `Output:` lines of Asterisk
    /// 14+ or the raw `Response: Follows` output of older versions, lines joined by `\n`, without a
    /// trailing line break.
    ///
    /// `Response: Error` (e.g. `Command blacklisted`), and output starting with `No such command`
    /// (e.g. `sip reload` when `chan_sip` is not loaded), give [`AmiError::CommandFailed`].
    pub async fn command(&mut self, cli: &str) -> Result<String, AmiError> {
        let stage = Stage::Command(cli.to_string());
        let id = next_action_id();
        let action = Message::action("Command")
            .with_header("Command", cli)
            .with_header("ActionID", id.as_str())
            .encode()
            .map_err(|source| AmiError::InvalidAction { addr: self.addr.clone(), stage: stage.clone(), source })?;
        let response = self.exchange(&action, &id, &stage).await?;
        let failed = |message: &str| AmiError::CommandFailed {
            addr: self.addr.clone(),
            command: cli.to_string(),
            message: message.to_string(),
        };
        let output = match response.response() {
            Some(r) if r.eq_ignore_ascii_case("Error") => {
                return Err(failed(response.get("Message").unwrap_or("(no message)")));
            }
            Some(r) if r.eq_ignore_ascii_case("Follows") => {
                let raw = response.command_output().unwrap_or_default();
                raw.lines().collect::<Vec<_>>().join("\n").trim_end_matches('\n').to_string()
            }
            Some(r) if r.eq_ignore_ascii_case("Success") => {
                let mut lines: Vec<&str> = response.get_all("Output").collect();
                while lines.last().is_some_and(|l| l.trim().is_empty()) {
                    lines.pop();
                }
                lines.join("\n")
            }
            other => return Err(self.protocol(stage, format!("unexpected response {other:?}"))),
        };
        if output.trim_start().starts_with("No such command") {
            return Err(failed(output.trim_start().lines().next().unwrap_or_default()));
        }
        Ok(output)
    }

    /// Logs off (`Action: Logoff`, answered `Response: Goodbye`) and closes the connection.
    pub async fn logoff(mut self) -> Result<(), AmiError> {
        let id = next_action_id();
        let action = Message::action("Logoff")
            .with_header("ActionID", id.as_str())
            .encode()
            .map_err(|source| AmiError::InvalidAction { addr: self.addr.clone(), stage: Stage::Logoff, source })?;
        let response = self.exchange(&action, &id, &Stage::Logoff).await?;
        if !response.response().is_some_and(|r| r.eq_ignore_ascii_case("Goodbye")) {
            return Err(self.protocol(Stage::Logoff, format!("expected Goodbye, got {:?}", response.response())));
        }
        // Asterisk closes its side after Goodbye; close ours too, ignoring a reset at this point.
        let _ = timeout(self.timeout, self.writer.shutdown()).await;
        Ok(())
    }

    /// Sends an encoded action, then waits for the response carrying `id`, skipping events and
    /// responses to other actions. The write and the wait are each bounded by the timeout.
    async fn exchange(&mut self, action: &[u8], id: &str, stage: &Stage) -> Result<Message, AmiError> {
        match timeout(self.timeout, self.writer.write_all(action)).await {
            Err(_) => return Err(self.timed_out(stage.clone())),
            Ok(Err(source)) => return Err(AmiError::Io { addr: self.addr.clone(), stage: stage.clone(), source }),
            Ok(Ok(())) => {}
        }
        let wait = async {
            loop {
                match self.reader.read_message().await {
                    Ok(Some(m)) if m.response().is_some() && m.action_id() == Some(id) => return Ok(m),
                    Ok(Some(_)) => continue,
                    Ok(None) => return Err(None),
                    Err(e) => return Err(Some(e)),
                }
            }
        };
        match timeout(self.timeout, wait).await {
            Err(_) => Err(self.timed_out(stage.clone())),
            Ok(Ok(m)) => Ok(m),
            Ok(Err(None)) => Err(self.closed(stage.clone())),
            Ok(Err(Some(e))) => Err(self.read_error(stage.clone(), e)),
        }
    }

    fn timed_out(&self, stage: Stage) -> AmiError {
        AmiError::Timeout { addr: self.addr.clone(), stage, after: self.timeout }
    }

    fn closed(&self, stage: Stage) -> AmiError {
        AmiError::Closed { addr: self.addr.clone(), stage }
    }

    fn protocol(&self, stage: Stage, detail: String) -> AmiError {
        AmiError::Protocol { addr: self.addr.clone(), stage, detail }
    }

    fn read_error(&self, stage: Stage, e: ReadError) -> AmiError {
        match e {
            ReadError::Io(source) => AmiError::Io { addr: self.addr.clone(), stage, source },
            ReadError::Parse(p) => self.protocol(stage, p.to_string()),
            ReadError::UnexpectedEof => self.closed(stage),
        }
    }
}

/// Connects, runs `commands` in order (stopping at the first failure) and logs off.
///
/// After a [`AmiError::CommandFailed`] the session is still sound, so it logs off politely (ignoring
/// the outcome) before returning the error.
pub async fn run_commands(cfg: &AmiConfig, commands: &[&str]) -> Result<(), AmiError> {
    let mut session = AmiSession::connect(cfg).await?;
    for cli in commands {
        if let Err(e) = session.command(cli).await {
            if matches!(e, AmiError::CommandFailed { .. }) {
                let _ = session.logoff().await;
            }
            return Err(e);
        }
    }
    session.logoff().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_redacts_the_secret() {
        let cfg = AmiConfig {
            host: "10.0.0.5".into(),
            port: 5038,
            username: "dialtone".into(),
            secret: "pa55-w0rd".into(),
            timeout: Duration::from_secs(2),
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("pa55-w0rd"), "{shown}");
        assert!(shown.contains("[redacted]") && shown.contains("10.0.0.5"), "{shown}");
        assert_eq!(cfg.address(), "10.0.0.5:5038");
        assert_eq!(AmiConfig { host: "::1".into(), ..cfg }.address(), "[::1]:5038");
    }

    #[test]
    fn action_ids_are_unique() {
        assert_ne!(next_action_id(), next_action_id());
    }

    #[test]
    fn errors_name_address_and_stage() {
        let e = AmiError::LoginRejected { addr: "10.0.0.5:5038".into(), message: "Authentication failed".into() };
        assert_eq!(e.to_string(), "AMI 10.0.0.5:5038: login rejected: Authentication failed");
        let e = AmiError::Timeout {
            addr: "10.0.0.5:5038".into(),
            stage: Stage::Command("sip reload".into()),
            after: Duration::from_millis(1500),
        };
        assert_eq!(e.to_string(), "AMI 10.0.0.5:5038: command `sip reload`: no answer within 1.5s");
        assert_eq!(e.stage(), Stage::Command("sip reload".into()));
    }

    #[test]
    fn redact_removes_an_echoed_secret() {
        let e = AmiError::LoginRejected { addr: "h:1".into(), message: "bad secret s3cr3t".into() }.redact("s3cr3t");
        assert!(!format!("{e} {e:?}").contains("s3cr3t"));
    }
}
