//! A test double of Asterisk's manager interface: a TCP server on 127.0.0.1 that speaks the AMI wire
//! protocol as `main/manager.c` does (banner, `Login` with an `Events` class mask, `Command` in the
//! Asterisk 14+ and the legacy `Response: Follows` formats, `Logoff`, `Ping`, error answers), answers
//! the peer lists (`SIPpeers`, `IAXpeerlist`, `PJSIPShowEndpoints`, `PJSIPShowContacts`) with the
//! peers a test sets, in the exact formats of `chan_sip.c`, `chan_iax2.c` and `res_pjsip`, records
//! every action it receives (secrets redacted) and can push events to connected clients (filtered by
//! their class, as Asterisk does).
//!
//! It parses actions with its own code, independent of `dialtone::ami`, so it checks the client's
//! bytes rather than agreeing with them by construction.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use dialtone::ami::AmiConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch};

/// The user the default server accepts.
pub const TEST_USER: &str = "dialtone";
/// Its secret (distinctive, so tests can check it never leaks into errors).
pub const TEST_SECRET: &str = "Zq7-not-in-any-error";
/// AMI version of Asterisk 16, sent in the banner by default.
pub const MODERN_VERSION: &str = "5.0.1";
/// AMI version of Asterisk 13, whose `Command` replies use the legacy format.
pub const LEGACY_VERSION: &str = "2.10.6";

/// Headers of one message, in wire order.
pub type Headers = Vec<(String, String)>;

/// How `Command` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandFormat {
    /// Asterisk 14+: `Response: Success`, `Message: Command output follows`, one `Output:` per line.
    Modern,
    /// Asterisk 13 and older: `Response: Follows`, `Privilege: Command`, raw output, `--END COMMAND--`.
    Legacy,
}

/// CLI commands Asterisk refuses over AMI (`command_blacklist` in manager.c).
const BLACKLIST: &[&str] = &["module load", "module unload", "restart gracefully"];

/// A `chan_sip` or IAX2 peer as the list actions report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPeer {
    /// The peer name (`ObjectName`).
    pub name: String,
    /// Where it registered from; `None`: unregistered.
    pub addr: Option<(String, u16)>,
    /// `Status`, as Asterisk prints it: `OK (12 ms)`, `LAGGED (900 ms)`, `UNREACHABLE`, `UNKNOWN`,
    /// `Unmonitored`.
    pub status: String,
    /// The `User-Agent` it registered with (`SIP-Useragent` of `SIPshowpeer`; empty: none).
    pub user_agent: String,
}

impl ListedPeer {
    /// A registered peer.
    pub fn registered(name: &str, ip: &str, port: u16, status: &str) -> ListedPeer {
        ListedPeer {
            name: name.into(),
            addr: Some((ip.into(), port)),
            status: status.into(),
            user_agent: String::new(),
        }
    }

    /// A configured peer with no registration.
    pub fn unregistered(name: &str) -> ListedPeer {
        ListedPeer { name: name.into(), addr: None, status: "UNKNOWN".into(), user_agent: String::new() }
    }

    /// The same peer, registered by a device sending this `User-Agent`.
    pub fn with_user_agent(mut self, user_agent: &str) -> ListedPeer {
        self.user_agent = user_agent.into();
        self
    }
}

/// A PJSIP contact as `PJSIPShowContacts` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedContact {
    /// The endpoint (and AOR) name.
    pub endpoint: String,
    /// The contact URI.
    pub uri: String,
    /// `Status`: `Reachable`, `Unreachable`, `NonQualified`, `Unknown`.
    pub status: String,
    /// `RoundtripUsec`; `None` prints `N/A`.
    pub rtt_usec: Option<i64>,
    /// `UserAgent`.
    pub user_agent: String,
}

/// The channel drivers whose lists the double answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    /// `chan_sip`: `SIPpeers`.
    ChanSip,
    /// `res_pjsip`: `PJSIPShowEndpoints`, `PJSIPShowContacts`.
    ResPjsip,
    /// `chan_iax2`: `IAXpeerlist`.
    ChanIax2,
}

/// The peers each module reports, and which modules are loaded.
#[derive(Debug, Clone, Default)]
struct Peers {
    sip: Vec<ListedPeer>,
    iax: Vec<ListedPeer>,
    pjsip_endpoints: Vec<String>,
    pjsip_contacts: Vec<ListedContact>,
    not_loaded: HashSet<Module>,
    /// Actions answered `Permission denied` (lower case).
    refused: HashSet<String>,
}

/// Configures an [`AmiTestServer`].
#[derive(Debug, Clone)]
pub struct AmiServerBuilder {
    users: Vec<(String, String)>,
    version: String,
    format: CommandFormat,
    failing: HashSet<String>,
    hanging: HashSet<String>,
    outputs: HashMap<String, String>,
    silent: bool,
    port: u16,
    peers: Peers,
}

impl Default for AmiServerBuilder {
    fn default() -> Self {
        let outputs = [
            ("dialplan reload", "Dialplan reloaded.\n"),
            ("sip reload", ""),
            ("core show version", "Asterisk 16.30.0 built by root @ build on a x86_64 running Linux on 2023-01-01\n"),
        ];
        AmiServerBuilder {
            users: vec![(TEST_USER.into(), TEST_SECRET.into())],
            version: MODERN_VERSION.into(),
            format: CommandFormat::Modern,
            failing: HashSet::new(),
            hanging: HashSet::new(),
            outputs: outputs.iter().map(|(c, o)| (c.to_string(), o.to_string())).collect(),
            silent: false,
            port: 0,
            peers: Peers::default(),
        }
    }
}

impl AmiServerBuilder {
    /// Also accepts this `manager.conf` user.
    pub fn user(mut self, username: &str, secret: &str) -> Self {
        self.users.push((username.into(), secret.into()));
        self
    }

    /// The AMI version in the banner.
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.into();
        self
    }

    /// Behaves like Asterisk 13: legacy `Command` replies and banner version 2.10.6.
    pub fn asterisk13(mut self) -> Self {
        self.format = CommandFormat::Legacy;
        self.version = LEGACY_VERSION.into();
        self
    }

    /// Answers `cli` as Asterisk answers an unknown command (`No such command '...'`), e.g.
    /// `sip reload` when `chan_sip` is not loaded.
    pub fn failing_command(mut self, cli: &str) -> Self {
        self.failing.insert(cli.into());
        self
    }

    /// Records `cli` but never answers it.
    pub fn hanging_command(mut self, cli: &str) -> Self {
        self.hanging.insert(cli.into());
        self
    }

    /// The CLI output of `cli` (lines ending in `\n`, as the CLI writes them).
    pub fn output(mut self, cli: &str, text: &str) -> Self {
        self.outputs.insert(cli.into(), text.into());
        self
    }

    /// Accepts connections but never sends the banner or answers anything.
    pub fn silent(mut self) -> Self {
        self.silent = true;
        self
    }

    /// Listens on this port instead of a free one (to come back where a stopped server was).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Behaves as if `module` were not loaded: its list actions are unknown to the manager.
    pub fn without(mut self, module: Module) -> Self {
        self.peers.not_loaded.insert(module);
        self
    }

    /// Answers `action` with `Permission denied` (the AMI user lacks its class).
    pub fn refusing(mut self, action: &str) -> Self {
        self.peers.refused.insert(action.to_ascii_lowercase());
        self
    }

    /// Binds 127.0.0.1 (the port of [`port`](Self::port), else a free one) and starts serving. A
    /// port still held by a server that was just stopped is retried for up to 2 s.
    pub async fn start(self) -> AmiTestServer {
        let started = std::time::Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(_) if started.elapsed() < Duration::from_secs(2) && self.port != 0 => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("bind AMI test server: {e}"),
            }
        };
        let addr = listener.local_addr().expect("local addr");
        let (events, _) = broadcast::channel(4096);
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            state: Mutex::new(State { format: self.format, peers: self.peers.clone(), ..State::default() }),
            config: self,
            events,
            shutdown,
        });
        let accept_shared = shared.clone();
        let accept_task = tokio::spawn(async move {
            let mut stop = accept_shared.shutdown.subscribe();
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            accept_shared.state().connections += 1;
                            tokio::spawn(serve_connection(accept_shared.clone(), stream));
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                    },
                }
            }
        });
        AmiTestServer { addr, shared, accept_task }
    }
}

struct Shared {
    config: AmiServerBuilder,
    state: Mutex<State>,
    /// Raw event frames (with their classes, from `Privilege`) for every logged-in connection that
    /// asked for events.
    events: broadcast::Sender<(String, Vec<String>)>,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Debug)]
struct State {
    format: CommandFormat,
    actions: Vec<Headers>,
    connections: usize,
    logins: usize,
    failed_logins: usize,
    logoffs: usize,
    /// Raw frames to send just before the next `Command` response.
    inject: VecDeque<String>,
    /// What the list actions report.
    peers: Peers,
    /// `Ping` goes unanswered (a hung manager).
    mute_pings: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            format: CommandFormat::Modern,
            actions: Vec::new(),
            connections: 0,
            logins: 0,
            failed_logins: 0,
            logoffs: 0,
            inject: VecDeque::new(),
            peers: Peers::default(),
            mute_pings: false,
        }
    }
}

/// A running test AMI server. Dropping it stops it and closes every connection.
pub struct AmiTestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl Drop for AmiTestServer {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        self.accept_task.abort();
    }
}

impl AmiTestServer {
    /// A server accepting [`TEST_USER`] / [`TEST_SECRET`], answering in the Asterisk 14+ format.
    pub async fn start() -> AmiTestServer {
        AmiTestServer::builder().start().await
    }

    /// A builder with the defaults of [`AmiTestServer::start`].
    pub fn builder() -> AmiServerBuilder {
        AmiServerBuilder::default()
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client configuration for this server with the test user and a 2 s timeout.
    pub fn client_config(&self) -> AmiConfig {
        AmiConfig {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
            username: TEST_USER.into(),
            secret: TEST_SECRET.into(),
            timeout: Duration::from_secs(2),
        }
    }

    /// Every action received, in order, `Secret` values replaced by `[redacted]`. A blank line
    /// received on its own appears as an empty list (Asterisk answers it `Missing action in request`).
    pub fn actions(&self) -> Vec<Headers> {
        self.shared.state().actions.clone()
    }

    /// The `Action` of every action received, in order.
    pub fn action_names(&self) -> Vec<String> {
        self.actions().iter().map(|a| header(a, "Action").unwrap_or_default().to_string()).collect()
    }

    /// The CLI command of every `Command` action received, in order (answered or not).
    pub fn commands_received(&self) -> Vec<String> {
        self.actions()
            .iter()
            .filter(|a| header(a, "Action").is_some_and(|v| v.eq_ignore_ascii_case("Command")))
            .map(|a| header(a, "Command").unwrap_or_default().to_string())
            .collect()
    }

    /// Accepted logins.
    pub fn logins(&self) -> usize {
        self.shared.state().logins
    }

    /// Rejected logins.
    pub fn failed_logins(&self) -> usize {
        self.shared.state().failed_logins
    }

    /// `Logoff` actions received.
    pub fn logoffs(&self) -> usize {
        self.shared.state().logoffs
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> usize {
        self.shared.state().connections
    }

    /// Switches the `Command` reply format for later commands.
    pub fn set_command_format(&self, format: CommandFormat) {
        self.shared.state().format = format;
    }

    /// Sends `frame` (raw bytes, e.g. from [`event_frame`]) just before the next `Command` response,
    /// on whichever connection asks next, whether or not it asked for events. Frames queue up.
    pub fn inject_before_next_response(&self, frame: impl Into<String>) {
        self.shared.state().inject.push_back(frame.into());
    }

    /// Sends an event to every logged-in connection whose `Events` mask takes it (an event without a
    /// `Privilege` header goes to every connection with events on); returns how many connections
    /// are subscribed.
    pub fn push_event(&self, headers: &[(&str, &str)]) -> usize {
        let classes = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Privilege"))
            .map(|(_, v)| v.split(',').map(|c| c.trim().to_ascii_lowercase()).filter(|c| c != "all").collect())
            .unwrap_or_default();
        self.shared.events.send((event_frame(headers), classes)).unwrap_or(0)
    }

    /// The `chan_sip` peers `SIPpeers` reports from now on.
    pub fn set_sip_peers(&self, peers: Vec<ListedPeer>) {
        self.shared.state().peers.sip = peers;
    }

    /// The IAX2 peers `IAXpeerlist` reports from now on.
    pub fn set_iax_peers(&self, peers: Vec<ListedPeer>) {
        self.shared.state().peers.iax = peers;
    }

    /// The PJSIP endpoints `PJSIPShowEndpoints` reports from now on.
    pub fn set_pjsip_endpoints(&self, endpoints: &[&str]) {
        self.shared.state().peers.pjsip_endpoints = endpoints.iter().map(|e| e.to_string()).collect();
    }

    /// The PJSIP contacts `PJSIPShowContacts` reports from now on.
    pub fn set_pjsip_contacts(&self, contacts: Vec<ListedContact>) {
        self.shared.state().peers.pjsip_contacts = contacts;
    }

    /// Loads or unloads a module (its list actions become unknown while unloaded).
    pub fn set_loaded(&self, module: Module, loaded: bool) {
        let mut state = self.shared.state();
        if loaded {
            state.peers.not_loaded.remove(&module);
        } else {
            state.peers.not_loaded.insert(module);
        }
    }

    /// Stops (or resumes) answering `Ping`.
    pub fn mute_pings(&self, mute: bool) {
        self.shared.state().mute_pings = mute;
    }

    /// How many connections are open and logged in with events on.
    pub fn event_listeners(&self) -> usize {
        self.shared.events.receiver_count()
    }

    /// Stops accepting and closes every connection.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
        self.accept_task.abort();
    }
}

/// An event frame: `Event: <name>` is expected among `headers`; each becomes `Key: value\r\n`, then
/// the blank line.
pub fn event_frame(headers: &[(&str, &str)]) -> String {
    let mut frame: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    frame.push_str("\r\n");
    frame
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// The value of the first header named `key` (case-insensitive, like `astman_get_header`).
pub fn header<'a>(headers: &'a [(String, String)], key: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
}

/// Per-connection state, as `struct mansession_session` keeps it.
#[derive(Default)]
struct Session {
    authenticated: bool,
    events_on: bool,
    /// The classes of the login's `Events` mask (lower case); empty with `events_on`: every class.
    classes: Vec<String>,
}

impl Session {
    /// Whether an event of these classes goes to this session (`manager.c`: `readperm` and the
    /// session's `send_events` mask).
    fn wants(&self, classes: &[String]) -> bool {
        self.authenticated
            && self.events_on
            && (self.classes.is_empty() || classes.is_empty() || classes.iter().any(|c| self.classes.contains(c)))
    }
}

/// What to do after an action.
struct Reply {
    bytes: String,
    close: bool,
}

async fn serve_connection(shared: Arc<Shared>, mut stream: TcpStream) {
    let mut stop = shared.shutdown.subscribe();
    if *stop.borrow_and_update() {
        return;
    }
    let mut chunk = [0u8; 4096];
    if shared.config.silent {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                read = stream.read(&mut chunk) => if matches!(read, Ok(0) | Err(_)) { return },
            }
        }
    }
    let banner = format!("Asterisk Call Manager/{}\r\n", shared.config.version);
    if stream.write_all(banner.as_bytes()).await.is_err() {
        return;
    }
    let mut events = shared.events.subscribe();
    let mut session = Session::default();
    let mut input = Vec::new();
    let mut headers: Headers = Vec::new();
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            event = events.recv() => match event {
                Ok((frame, classes)) => {
                    if session.wants(&classes) && stream.write_all(frame.as_bytes()).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            read = stream.read(&mut chunk) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                input.extend_from_slice(&chunk[..n]);
                // Like manager.c's get_input: a line ends at `\n` (a preceding `\r` is dropped); a
                // blank line ends the message.
                while let Some(nl) = input.iter().position(|&b| b == b'\n') {
                    let raw: Vec<u8> = input.drain(..=nl).collect();
                    let line = String::from_utf8_lossy(&raw[..nl]).trim_end_matches('\r').to_string();
                    if !line.is_empty() {
                        headers.push(split_line(&line));
                        continue;
                    }
                    let message = std::mem::take(&mut headers);
                    if let Some(reply) = handle(&shared, &mut session, message) {
                        if stream.write_all(reply.bytes.as_bytes()).await.is_err() {
                            return;
                        }
                        if reply.close {
                            let _ = stream.shutdown().await;
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// `Key: value` as `astman_get_header` reads it: the key is what precedes the first colon, the
/// value what follows it, leading blanks skipped. A line without a colon keeps the whole line as key.
fn split_line(line: &str) -> (String, String) {
    match line.split_once(':') {
        Some((k, v)) => (k.to_string(), v.trim_start_matches([' ', '\t']).to_string()),
        None => (line.to_string(), String::new()),
    }
}

/// `astman_send_response_full`: `Response`, `ActionID` when the action had one, `Message`, blank line.
fn response(kind: &str, id: &str, message: &str) -> String {
    let mut out = format!("Response: {kind}\r\n");
    if !id.is_empty() {
        out.push_str(&format!("ActionID: {id}\r\n"));
    }
    out.push_str(&format!("Message: {message}\r\n\r\n"));
    out
}

fn reply(bytes: String) -> Option<Reply> {
    Some(Reply { bytes, close: false })
}

/// Asterisk's `ast_false`: the words that switch `Events` off.
fn is_false(value: &str) -> bool {
    ["no", "false", "n", "f", "0", "off"].iter().any(|w| value.trim().eq_ignore_ascii_case(w))
}

/// Asterisk's `ast_true`: the words that switch every event class on.
fn is_true(value: &str) -> bool {
    ["yes", "true", "y", "t", "1", "on"].iter().any(|w| value.trim().eq_ignore_ascii_case(w))
}

fn handle(shared: &Shared, session: &mut Session, message: Headers) -> Option<Reply> {
    let recorded = message
        .iter()
        .map(|(k, v)| {
            let v = if k.eq_ignore_ascii_case("Secret") { "[redacted]".to_string() } else { v.clone() };
            (k.clone(), v)
        })
        .collect();
    shared.state().actions.push(recorded);

    let action = header(&message, "Action").unwrap_or_default().to_ascii_lowercase();
    let id = header(&message, "ActionID").unwrap_or_default();
    if action.is_empty() {
        return reply(response("Error", id, "Missing action in request"));
    }
    if !session.authenticated && !matches!(action.as_str(), "login" | "logoff" | "challenge") {
        return reply(response("Error", id, "Permission denied"));
    }
    match action.as_str() {
        "login" => {
            if session.authenticated {
                return reply(response("Success", id, "Already authenticated"));
            }
            let user = header(&message, "Username").unwrap_or_default();
            let secret = header(&message, "Secret").unwrap_or_default();
            if !shared.config.users.iter().any(|(u, s)| u == user && s == secret) {
                shared.state().failed_logins += 1;
                // action_login returns -1 after the error: the session ends.
                return Some(Reply { bytes: response("Error", id, "Authentication failed"), close: true });
            }
            session.authenticated = true;
            let events = header(&message, "Events").unwrap_or("on");
            session.events_on = !is_false(events);
            // `strings_to_mask`: `on`/yes (or nothing) is every class, otherwise a list of class names.
            session.classes = if is_true(events) {
                Vec::new()
            } else {
                events.split(',').map(|c| c.trim().to_ascii_lowercase()).filter(|c| !c.is_empty()).collect()
            };
            shared.state().logins += 1;
            let mut bytes = response("Success", id, "Authentication accepted");
            if session.events_on {
                bytes.push_str(&event_frame(&[
                    ("Event", "FullyBooted"),
                    ("Privilege", "system,all"),
                    ("Uptime", "4242"),
                    ("LastReload", "4242"),
                    ("Status", "Fully Booted"),
                ]));
            }
            reply(bytes)
        }
        "logoff" => {
            shared.state().logoffs += 1;
            Some(Reply { bytes: response("Goodbye", id, "Thanks for all the fish."), close: true })
        }
        "ping" => {
            if shared.state().mute_pings {
                return None;
            }
            let mut out = "Response: Success\r\n".to_string();
            if !id.is_empty() {
                out.push_str(&format!("ActionID: {id}\r\n"));
            }
            out.push_str("Ping: Pong\r\nTimestamp: 1700000000.000000\r\n\r\n");
            reply(out)
        }
        "command" => command(shared, id, header(&message, "Command").unwrap_or_default()),
        "sipshowpeer" if list_available(shared, "sippeers") => {
            let name = header(&message, "Peer").unwrap_or_default();
            let found = {
                let state = shared.state();
                if state.peers.refused.contains(&action) {
                    return reply(response("Error", id, "Permission denied"));
                }
                state.peers.sip.iter().find(|p| p.name.eq_ignore_ascii_case(name)).cloned()
            };
            if name.is_empty() {
                return reply(response("Error", id, "Peer: <name> missing."));
            }
            match found {
                Some(p) => reply(sip_show_peer(id, &p)),
                None => reply(response("Error", id, &format!("Peer {name} not found."))),
            }
        }
        "sippeers" | "iaxpeerlist" | "pjsipshowendpoints" | "pjsipshowcontacts" if list_available(shared, &action) => {
            let peers = shared.state().peers.clone();
            if peers.refused.contains(&action) {
                return reply(response("Error", id, "Permission denied"));
            }
            reply(list(&action, id, &peers))
        }
        _ => reply(response(
            "Error",
            id,
            &format!(
                "Invalid/unknown command: {}. Use Action: ListCommands to show available commands.",
                header(&message, "Action").unwrap_or_default()
            ),
        )),
    }
}

/// `action_command`.
fn command(shared: &Shared, id: &str, cli: &str) -> Option<Reply> {
    if cli.is_empty() {
        return reply(response("Error", id, "No command provided"));
    }
    if BLACKLIST.iter().any(|b| cli.starts_with(b)) {
        return reply(response("Error", id, "Command blacklisted"));
    }
    if shared.config.hanging.contains(cli) {
        return None;
    }
    let output = if shared.config.failing.contains(cli) {
        format!("No such command '{cli}' (type 'core show help {cli}' for other possible commands)\n")
    } else {
        shared.config.outputs.get(cli).cloned().unwrap_or_default()
    };
    let (format, injected) = {
        let mut state = shared.state();
        (state.format, state.inject.drain(..).collect::<String>())
    };
    let mut out = injected;
    match format {
        CommandFormat::Modern => {
            out.push_str("Response: Success\r\n");
            if !id.is_empty() {
                out.push_str(&format!("ActionID: {id}\r\n"));
            }
            out.push_str("Message: Command output follows\r\n");
            // The CLI output is split into lines; each becomes one `Output:` header.
            for line in output.split('\n').filter(|l| !l.is_empty()) {
                out.push_str(&format!("Output: {line}\r\n"));
            }
            out.push_str("\r\n");
        }
        CommandFormat::Legacy => {
            out.push_str("Response: Follows\r\nPrivilege: Command\r\n");
            if !id.is_empty() {
                out.push_str(&format!("ActionID: {id}\r\n"));
            }
            out.push_str(&output);
            out.push_str("--END COMMAND--\r\n\r\n");
        }
    }
    reply(out)
}

/// Whether the module answering a list action is loaded.
fn list_available(shared: &Shared, action: &str) -> bool {
    let module = match action {
        "sippeers" => Module::ChanSip,
        "iaxpeerlist" => Module::ChanIax2,
        _ => Module::ResPjsip,
    };
    !shared.state().peers.not_loaded.contains(&module)
}

/// `astman_send_listack`: `Response: Success`, `ActionID`, `EventList: start`, `Message`.
fn listack(id: &str, message: &str) -> String {
    let mut out = "Response: Success\r\n".to_string();
    if !id.is_empty() {
        out.push_str(&format!("ActionID: {id}\r\n"));
    }
    out.push_str(&format!("EventList: start\r\nMessage: {message}\r\n\r\n"));
    out
}

/// `chan_sip`'s `manager_sip_show_peer` / `_sip_show_peer` (manager form, Asterisk 13-16), with
/// the fields around the ones a client reads.
fn sip_show_peer(id: &str, p: &ListedPeer) -> String {
    let mut out = "Response: Success\r\n".to_string();
    if !id.is_empty() {
        out.push_str(&format!("ActionID: {id}\r\n"));
    }
    let (ip, port) = match &p.addr {
        Some((ip, port)) => (ip.clone(), port.to_string()),
        None => ("(null)".to_string(), "0".to_string()),
    };
    let contact = match &p.addr {
        Some((ip, port)) => format!("sip:{}@{ip}:{port}", p.name),
        None => String::new(),
    };
    out.push_str(&format!(
        "Channeltype: SIP\r\nObjectName: {name}\r\nChanObjectType: peer\r\nSecretExist: Y\r\n\
         RemoteSecretExist: N\r\nMD5SecretExist: N\r\nContext: default\r\nLanguage: \r\nAMAflags: Unknown\r\n\
         CID-CallingPres: Presentation Allowed, Not Screened\r\nCallgroup: \r\nPickupgroup: \r\n\
         MOHSuggest: \r\nVoiceMailbox: \r\nTransferMode: open\r\nLastMsgsSent: -1\r\nMaxforwards: 0\r\n\
         Call-limit: 2147483647\r\nBusy-level: 0\r\nMaxCallBR: 384 kbps\r\nDynamic: Y\r\n\
         Callerid: \"\" <>\r\nRegExpire: 3580 seconds\r\nSIP-AuthInsecure: no\r\nSIP-Forcerport: Y\r\n\
         SIP-Comedia: Y\r\nACL: N\r\nSIP-CanReinvite: N\r\nSIP-DirectMedia: N\r\nSIP-PromiscRedir: N\r\n\
         SIP-UserPhone: N\r\nSIP-VideoSupport: N\r\nSIP-TextSupport: N\r\nSIP-T.38Support: N\r\n\
         SIP-T.38EC: Unknown\r\nSIP-T.38MaxDtgrm: 4294967295\r\nSIP-Sess-Timers: Accept\r\n\
         SIP-Sess-Refresh: uas\r\nSIP-Sess-Expires: 1800\r\nSIP-Sess-Min: 90\r\nSIP-RTP-Engine: asterisk\r\n\
         SIP-Encryption: N\r\nSIP-RTCP-Mux: N\r\nSIP-DTMFmode: rfc2833\r\nToHost: \r\nAddress-IP: {ip}\r\n\
         Address-Port: {port}\r\nDefault-addr-IP: (null)\r\nDefault-addr-port: 0\r\n\
         Default-Username: {name}\r\nCodecs: (ulaw|gsm)\r\nStatus: {status}\r\nSIP-Useragent: {ua}\r\n\
         Reg-Contact: {contact}\r\nQualifyFreq: 60000 ms\r\nKeepalive: 0 ms\r\nParkinglot: \r\n\
         SIP-Use-Reason-Header: N\r\nDescription: \r\n\r\n",
        name = p.name,
        status = p.status,
        ua = p.user_agent,
    ));
    out
}

/// `astman_send_list_complete_start` + `_end`.
fn list_complete(event: &str, id: &str, count: usize) -> String {
    let mut out = format!("Event: {event}\r\n");
    if !id.is_empty() {
        out.push_str(&format!("ActionID: {id}\r\n"));
    }
    out.push_str(&format!("EventList: Complete\r\nListItems: {count}\r\n\r\n"));
    out
}

/// `astman_send_error` with a message ending in `\n`, as `res_pjsip` sends `No Contacts found\n`.
fn error_with_newline(id: &str, message: &str) -> String {
    let mut out = "Response: Error\r\n".to_string();
    if !id.is_empty() {
        out.push_str(&format!("ActionID: {id}\r\n"));
    }
    out.push_str(&format!("Message: {message}\n\r\n\r\n"));
    out
}

/// The answer to a list action, in the formats of `chan_sip` (`manager_sip_show_peers`), `chan_iax2`
/// (`manager_iax2_show_peer_list`) and `res_pjsip` (`ami_show_endpoints`, `ami_show_contacts`).
fn list(action: &str, id: &str, peers: &Peers) -> String {
    let idtext = if id.is_empty() { String::new() } else { format!("ActionID: {id}\r\n") };
    match action {
        "sippeers" => {
            let mut out = listack(id, "Peer status list will follow");
            for p in &peers.sip {
                let (ip, port) = match &p.addr {
                    Some((ip, port)) => (ip.clone(), port.to_string()),
                    None => ("-none-".to_string(), "0".to_string()),
                };
                out.push_str(&format!(
                    "Event: PeerEntry\r\n{idtext}Channeltype: SIP\r\nObjectName: {}\r\nChanObjectType: peer\r\n\
                     IPaddress: {ip}\r\nIPport: {port}\r\nDynamic: yes\r\nAutoForcerport: no\r\nForcerport: yes\r\n\
                     AutoComedia: no\r\nComedia: yes\r\nVideoSupport: no\r\nTextSupport: no\r\nACL: no\r\n\
                     Status: {}\r\nRealtimeDevice: no\r\nDescription: \r\nAccountcode: \r\n\r\n",
                    p.name, p.status
                ));
            }
            out.push_str(&list_complete("PeerlistComplete", id, peers.sip.len()));
            out
        }
        "iaxpeerlist" => {
            let mut out = listack(id, "IAX Peer status list will follow");
            for p in &peers.iax {
                let (ip, port) = match &p.addr {
                    Some((ip, port)) => (ip.clone(), port.to_string()),
                    None => ("(null)".to_string(), "0".to_string()),
                };
                out.push_str(&format!(
                    "Event: PeerEntry\r\n{idtext}Channeltype: IAX\r\nObjectName: {}\r\nChanObjectType: peer\r\n\
                     IPaddress: {ip}\r\nMask: 255.255.255.255\r\nPort: {port}\r\nDynamic: yes\r\nTrunk: no\r\n\
                     Encryption: no\r\nStatus: {}\r\n\r\n",
                    p.name, p.status
                ));
            }
            out.push_str(&list_complete("PeerlistComplete", id, peers.iax.len()));
            out
        }
        "pjsipshowendpoints" => {
            if peers.pjsip_endpoints.is_empty() {
                return error_with_newline(id, "No endpoints found");
            }
            let mut out = listack(id, "A listing of Endpoints follows, presented as EndpointList events");
            for e in &peers.pjsip_endpoints {
                let contacts: Vec<String> = peers
                    .pjsip_contacts
                    .iter()
                    .filter(|c| &c.endpoint == e)
                    .map(|c| format!("{e}/{}", c.uri))
                    .collect();
                let state = if contacts.is_empty() { "Unavailable" } else { "Not in use" };
                out.push_str(&format!(
                    "Event: EndpointList\r\n{idtext}ObjectType: endpoint\r\nObjectName: {e}\r\nTransport: \r\n\
                     Aor: {e}\r\nAuths: {e}\r\nOutboundAuths: \r\nContacts: {}\r\nDeviceState: {state}\r\n\
                     ActiveChannels: \r\n\r\n",
                    contacts.join(",")
                ));
            }
            out.push_str(&list_complete("EndpointListComplete", id, peers.pjsip_endpoints.len()));
            out
        }
        _ => {
            if peers.pjsip_contacts.is_empty() {
                return error_with_newline(id, "No Contacts found");
            }
            let mut out = listack(id, "A listing of Contacts follows, presented as ContactList events");
            for (i, c) in peers.pjsip_contacts.iter().enumerate() {
                let rtt = c.rtt_usec.map_or_else(|| "N/A".to_string(), |r| r.to_string());
                let via = c.uri.split('@').nth(1).unwrap_or_default().split([';', '>']).next().unwrap_or_default();
                let (via_addr, via_port) = via.rsplit_once(':').unwrap_or((via, "5060"));
                out.push_str(&format!(
                    "Event: ContactList\r\n{idtext}ObjectType: contact\r\nObjectName: {};@{:010x}\r\n\
                     ViaAddr: {via_addr}\r\nViaPort: {via_port}\r\nQualifyTimeout: 3.000000\r\nCallId: call-{i}\r\n\
                     RegServer: \r\nPruneOnBoot: no\r\nPath: \r\nEndpoint: {}\r\nAuthenticateQualify: false\r\n\
                     Uri: {}\r\nQualifyFrequency: 60\r\nUserAgent: {}\r\nExpirationTime: 1900000000\r\n\
                     OutboundProxy: \r\nStatus: {}\r\nRoundtripUsec: {rtt}\r\n\r\n",
                    c.endpoint,
                    i + 1,
                    c.endpoint,
                    c.uri,
                    c.user_agent,
                    c.status
                ));
            }
            out.push_str(&list_complete("ContactListComplete", id, peers.pjsip_contacts.len()));
            out
        }
    }
}
