//! The decision-flow engine: the path VICIdial's dialer takes when an agent logs in with a phone,
//! node by node, each with a status, a one-line reason, the evidence (field values) and the fix, and
//! the verdict: ready, will hear silence, or unknown.
//!
//! The backbone is VICIdial's agent login (`vicidial.php`; see `shared/reference/vicidial-phones.md`
//! §5 and `silence-causes.md`): the agent submits a phone login → the client protocol decides the
//! path → SIP/IAX2/PJSIP: the phone needs a peer in Asterisk's configuration and an active
//! registration, then the login call bridges audio; EXTERNAL: no registration, the dialer reads the
//! dialplan number and dials it through a trunk, the agent answers, audio is bridged. Around it every
//! cause of silence the stored data can reveal.
//!
//! Pure: plain inputs (the service reads them from the database and the AMI monitor), no I/O. Knows
//! nothing of HTTP, SQL or the UI; compiled for the browser too (the diagram's layout,
//! [`layout`], is computed where it is drawn). Secrets (the phone's passwords) are inputs only: no
//! node's reason or evidence contains them.

use serde::{Deserialize, Serialize};

use super::asterisk_conf::PhoneConfState;
use super::dial_pattern::{best_match, parse_dialplan_entry, PatternLine};
use super::phone_entry::Protocol;
use super::registration::ADDRESS_CHANGE_WINDOW;
use super::sip_stacks::SipStacks;

/// Ring timeouts above this many seconds risk a mobile phone's voicemail answering the login call
/// (mobile networks typically divert after 20-25 s).
pub const MOBILE_VOICEMAIL_SECONDS: i64 = 20;

/// This many changes of the registered address within [`ADDRESS_CHANGE_WINDOW`] seconds mark a
/// flapping registration (a router's SIP ALG rewriting the device's address or port).
pub const FLAPPING_CHANGES: i64 = 3;

/// The phone as stored (the columns the flow reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowPhone {
    /// `extension`: the peer name.
    pub extension: String,
    /// `server_ip`.
    pub server_ip: String,
    /// `login`: what the agent types as phone login.
    pub login: String,
    /// `pass`: the phone login password (a secret: never shown).
    pub pass: String,
    /// `conf_secret`: the registration password (a secret: never shown).
    pub conf_secret: String,
    /// `protocol`.
    pub protocol: String,
    /// `phone_type` (notes only for VICIdial, but "external" must go with protocol EXTERNAL).
    pub phone_type: String,
    /// `dialplan_number`.
    pub dialplan_number: String,
    /// `active` is `Y`.
    pub active: bool,
    /// `status` (not checked by VICIdial at login).
    pub status: String,
    /// `is_webphone`: `Y`, `N` or `Y_API_LAUNCH`.
    pub is_webphone: String,
    /// `webphone_auto_answer` is `Y`.
    pub webphone_auto_answer: bool,
    /// `use_external_server_ip` is `Y`.
    pub use_external_server_ip: bool,
    /// `on_hook_agent` is `Y`.
    pub on_hook_agent: bool,
    /// `phone_ring_timeout` (seconds).
    pub ring_timeout: i64,
    /// `template_id` (empty: none).
    pub template_id: String,
    /// The template's contents, when the template exists.
    pub template: Option<String>,
    /// The codecs the generated peer allows (`asterisk_conf::allowed_codecs` of its stanza); `None`:
    /// Asterisk's defaults.
    pub peer_codecs: Option<Vec<String>>,
}

impl FlowPhone {
    /// Whether the phone is a browser webphone (`is_webphone` `Y` or `Y_API_LAUNCH`).
    pub fn is_webphone(&self) -> bool {
        self.is_webphone.starts_with('Y')
    }
}

/// The phone's server as stored (`None` in [`FlowInput`] when there is no such server).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowServer {
    /// `server_ip`.
    pub server_ip: String,
    /// `server_id`.
    pub server_id: String,
    /// `active_asterisk_server` is `Y`.
    pub active_asterisk_server: bool,
    /// `active_agent_login_server` is `Y`.
    pub active_agent_login_server: bool,
    /// `allowed_sip_stacks`: which SIP channel drivers its Asterisk runs.
    pub allowed_sip_stacks: SipStacks,
    /// `ext_context`: the context EXTERNAL phones are dialed in.
    pub ext_context: String,
    /// `external_server_ip` (may be empty).
    pub external_server_ip: String,
    /// `web_socket_url` (may be empty).
    pub web_socket_url: String,
}

/// A phone alias that concerns the phone: its id is the phone's login, or its logins list names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowAlias {
    /// `alias_id`.
    pub alias_id: String,
    /// The logins of `logins_list`, in order, each with whether a phone has it and whether that phone's
    /// login password is the same as this phone's (the alias logs in with one password).
    pub members: Vec<AliasMember>,
}

/// One login of an alias.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AliasMember {
    /// The login.
    pub login: String,
    /// A phone has this login.
    pub exists: bool,
    /// That phone's login password equals this phone's.
    pub same_password: bool,
}

/// A carrier (trunk) of the phone's server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowCarrier {
    /// `carrier_id`.
    pub carrier_id: String,
    /// `carrier_name`.
    pub carrier_name: String,
    /// `active` is `Y`.
    pub active: bool,
    /// `dialplan_entry`: its `exten =>` lines hold the dial patterns.
    pub dialplan_entry: String,
    /// The codecs its peer definition (`account_entry`) allows; `None`: not restricted there.
    pub codecs: Option<Vec<String>>,
}

/// Where the registration state comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistrationSource {
    /// The server has no AMI settings: nothing reports registrations.
    NotConfigured,
    /// Dialtone is connecting to the server's AMI.
    Connecting,
    /// Connected to the server's AMI since (Unix seconds): the state below is current.
    Connected(i64),
    /// The AMI connection is down (the error).
    Down(String),
}

/// The phone's registration as Asterisk reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRegistration {
    /// Whether the state is current.
    pub source: RegistrationSource,
    /// `phones.peer_status`: `UNKNOWN`, `REGISTERED`, `UNREGISTERED`, `REACHABLE`, `LAGGED`,
    /// `UNREACHABLE`.
    pub peer_status: String,
    /// `phones.ping_time` (ms).
    pub ping_ms: Option<i64>,
    /// The registered contact (address:port or URI), empty if none.
    pub contact: String,
    /// The device's user agent, empty if unknown.
    pub user_agent: String,
    /// When Asterisk last reported this peer (Unix seconds).
    pub last_event_at: Option<i64>,
    /// The last registration failure Asterisk reported (wrong password, unknown account), empty if none.
    pub last_failure: String,
    /// When it happened (Unix seconds).
    pub last_failure_at: Option<i64>,
    /// Asterisk lists a peer with this name.
    pub known_to_asterisk: bool,
    /// How many times the registered address changed since `address_changes_since`.
    pub address_changes: i64,
    /// When that count started (Unix seconds).
    pub address_changes_since: Option<i64>,
    /// The address before the last change, empty if none.
    pub previous_address: String,
}

impl Default for FlowRegistration {
    fn default() -> Self {
        FlowRegistration {
            source: RegistrationSource::NotConfigured,
            peer_status: "UNKNOWN".into(),
            ping_ms: None,
            contact: String::new(),
            user_agent: String::new(),
            last_event_at: None,
            last_failure: String::new(),
            last_failure_at: None,
            known_to_asterisk: true,
            address_changes: 0,
            address_changes_since: None,
            previous_address: String::new(),
        }
    }
}

/// A simulated agent login: what the agent typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginAttempt {
    /// The phone login typed (a phone login or a phone alias id).
    pub login: String,
    /// The password typed (a secret: never shown).
    pub password: String,
    /// The answer may say that the password typed is the phone's registration password. Only for a
    /// user who may reveal the phone's secrets: to anyone else that answer would confirm a secret, so
    /// it reads as any other wrong password.
    pub may_name_registration_password: bool,
}

/// Everything the flow of one phone depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowInput {
    /// The phone.
    pub phone: FlowPhone,
    /// Its server, if it exists.
    pub server: Option<FlowServer>,
    /// Aliases whose id is the phone's login or whose logins list names it.
    pub aliases: Vec<FlowAlias>,
    /// The carriers of the phone's server.
    pub carriers: Vec<FlowCarrier>,
    /// The registration state.
    pub registration: FlowRegistration,
    /// The phone's Asterisk configuration state.
    pub conf: PhoneConfState,
    /// A simulated login, or `None` for the phone as it stands.
    pub attempt: Option<LoginAttempt>,
    /// Now (Unix seconds), for "… ago".
    pub now: i64,
}

/// The nodes of the flow, in diagram order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeId {
    /// The agent submits the phone login (alias resolution, login refusal).
    Login,
    /// The client protocol decides the path.
    Protocol,
    /// SIP/IAX2/PJSIP: a peer in Asterisk's configuration.
    Peer,
    /// Webphones: the browser phone's settings.
    Webphone,
    /// SIP/IAX2/PJSIP: an active registration in Asterisk.
    Registration,
    /// EXTERNAL: the dialplan number to dial.
    DialplanNumber,
    /// EXTERNAL: dialed through a trunk.
    Trunk,
    /// EXTERNAL: the agent answers the call.
    Answer,
    /// The end: the agent hears silence.
    Silence,
    /// The end: the agent's audio is bridged into the session.
    Bridged,
}

impl NodeId {
    /// Every node, in diagram order.
    pub const ALL: [NodeId; 10] = [
        NodeId::Login,
        NodeId::Protocol,
        NodeId::Peer,
        NodeId::Webphone,
        NodeId::Registration,
        NodeId::DialplanNumber,
        NodeId::Trunk,
        NodeId::Answer,
        NodeId::Silence,
        NodeId::Bridged,
    ];

    /// The node's title (short: it is drawn in a box).
    pub fn title(self) -> &'static str {
        match self {
            NodeId::Login => "Agent submits login",
            NodeId::Protocol => "Client protocol?",
            NodeId::Peer => "Peer in Asterisk",
            NodeId::Webphone => "Webphone setup",
            NodeId::Registration => "Active registration?",
            NodeId::DialplanNumber => "Read dialplan number",
            NodeId::Trunk => "Dial via trunk",
            NodeId::Answer => "Agent answers",
            NodeId::Silence => "Silence",
            NodeId::Bridged => "Audio bridged",
        }
    }

    /// A stable key (element ids, test ids).
    pub fn key(self) -> &'static str {
        match self {
            NodeId::Login => "login",
            NodeId::Protocol => "protocol",
            NodeId::Peer => "peer",
            NodeId::Webphone => "webphone",
            NodeId::Registration => "registration",
            NodeId::DialplanNumber => "dialplan-number",
            NodeId::Trunk => "trunk",
            NodeId::Answer => "answer",
            NodeId::Silence => "silence",
            NodeId::Bridged => "bridged",
        }
    }
}

/// A node's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeStatus {
    /// Passes.
    Ok,
    /// Passes, but something is likely to go wrong (or is not yet in place).
    Warning,
    /// The path breaks here: the agent hears silence.
    Fail,
    /// Cannot be told from the data (say why and how to find out).
    Unknown,
    /// Not on this phone's path.
    Skipped,
}

impl NodeStatus {
    /// A lower-case word (CSS classes, test ids).
    pub fn key(self) -> &'static str {
        match self {
            NodeStatus::Ok => "ok",
            NodeStatus::Warning => "warning",
            NodeStatus::Fail => "fail",
            NodeStatus::Unknown => "unknown",
            NodeStatus::Skipped => "skipped",
        }
    }

    /// How bad it is (higher is worse), for ordering.
    fn severity(self) -> u8 {
        match self {
            NodeStatus::Skipped | NodeStatus::Ok => 0,
            NodeStatus::Warning => 1,
            NodeStatus::Unknown => 2,
            NodeStatus::Fail => 3,
        }
    }
}

/// One field value a node relied on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The field, as the pages name it.
    pub label: String,
    /// Its value (never a secret).
    pub value: String,
}

/// One node of the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowNode {
    /// Which node.
    pub id: NodeId,
    /// Its outcome.
    pub status: NodeStatus,
    /// One line: why.
    pub reason: String,
    /// The values it relied on.
    pub evidence: Vec<Evidence>,
    /// What to change, when something should change.
    pub fix: Option<String>,
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Every node on the path passes: the agent's audio will be bridged.
    Ready,
    /// A node on the path fails: the agent will hear silence.
    WillHearSilence,
    /// No node fails, but one cannot be told (no registration source, say).
    Unknown,
}

impl Verdict {
    /// Every verdict, worst first.
    pub const ALL: [Verdict; 3] = [Verdict::WillHearSilence, Verdict::Unknown, Verdict::Ready];

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::WillHearSilence => "will hear silence",
            Verdict::Unknown => "unknown",
        }
    }

    /// A lower-case key (CSS classes, URL parameters).
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::WillHearSilence => "silence",
            Verdict::Unknown => "unknown",
        }
    }

    /// Worst first: silence, unknown, ready.
    pub fn rank(self) -> u8 {
        match self {
            Verdict::WillHearSilence => 0,
            Verdict::Unknown => 1,
            Verdict::Ready => 2,
        }
    }
}

/// Which way the protocol sends the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Branch {
    /// SIP, IAX2, PJSIP: the device registers and is called.
    Registers,
    /// EXTERNAL: a number dialed through a trunk.
    DialsOut,
    /// Zap/DAHDI, or a protocol that is not one of VICIdial's: not followed.
    Other,
}

/// The flow of one phone: every node (off-path ones skipped), the first failing node, the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowReport {
    /// The nodes in [`NodeId::ALL`] order.
    pub nodes: Vec<FlowNode>,
    /// The path the protocol takes.
    pub branch: Branch,
    /// The first node on the path that fails.
    pub breaks_at: Option<NodeId>,
    /// The verdict.
    pub verdict: Verdict,
    /// The path was computed for a simulated login.
    pub simulated: bool,
}

impl FlowReport {
    /// The node `id`.
    pub fn node(&self, id: NodeId) -> Option<&FlowNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The nodes on the path, in order (the end node last).
    pub fn path(&self) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = branch_nodes(self.branch).to_vec();
        ids.retain(|id| self.node(*id).is_some_and(|n| n.status != NodeStatus::Skipped));
        ids.push(if self.verdict == Verdict::WillHearSilence { NodeId::Silence } else { NodeId::Bridged });
        ids
    }

    /// The nodes the login actually reaches, in order: the path up to the node where it breaks, then
    /// silence; the whole path when nothing fails.
    pub fn reached(&self) -> Vec<NodeId> {
        let mut ids = self.path();
        if let Some(at) = self.breaks_at {
            if let Some(i) = ids.iter().position(|id| *id == at) {
                ids.truncate(i + 1);
                ids.push(NodeId::Silence);
            }
        }
        ids
    }

    /// The nodes on the path after the node where it breaks (before the end): the login never gets
    /// there, so whatever they would say is not shown as passing.
    pub fn not_reached(&self) -> Vec<NodeId> {
        let reached = self.reached();
        self.path().into_iter().filter(|id| !reached.contains(id) && *id != NodeId::Bridged).collect()
    }

    /// The first node that does not pass (fail, else unknown, else warning), for one-line summaries.
    pub fn first_problem(&self) -> Option<&FlowNode> {
        let on_path = self.path();
        let worst = self.nodes.iter().filter(|n| on_path.contains(&n.id)).map(|n| n.status.severity()).max()?;
        if worst == 0 {
            return None;
        }
        self.nodes.iter().find(|n| on_path.contains(&n.id) && n.status.severity() == worst)
    }
}

/// The nodes of a branch before the end, in order.
fn branch_nodes(branch: Branch) -> &'static [NodeId] {
    match branch {
        Branch::Registers => &[NodeId::Login, NodeId::Protocol, NodeId::Peer, NodeId::Webphone, NodeId::Registration],
        Branch::DialsOut => &[NodeId::Login, NodeId::Protocol, NodeId::DialplanNumber, NodeId::Trunk, NodeId::Answer],
        Branch::Other => &[NodeId::Login, NodeId::Protocol],
    }
}

/// A node being built.
struct Check {
    id: NodeId,
    status: NodeStatus,
    reason: String,
    evidence: Vec<Evidence>,
    fix: Option<String>,
}

impl Check {
    fn new(id: NodeId) -> Check {
        Check { id, status: NodeStatus::Ok, reason: String::new(), evidence: Vec::new(), fix: None }
    }

    fn show(&mut self, label: &str, value: impl Into<String>) -> &mut Check {
        let value = value.into();
        self.evidence
            .push(Evidence { label: label.into(), value: if value.is_empty() { "(none)".into() } else { value } });
        self
    }

    /// Records an outcome unless a worse one is already recorded (the first of equal ones wins).
    fn set(&mut self, status: NodeStatus, reason: impl Into<String>, fix: Option<String>) {
        if status.severity() > self.status.severity() || self.reason.is_empty() {
            self.status = status;
            self.reason = reason.into();
            self.fix = fix;
        }
    }

    fn fail(&mut self, reason: impl Into<String>, fix: impl Into<String>) {
        self.set(NodeStatus::Fail, reason, Some(fix.into()));
    }

    fn warn(&mut self, reason: impl Into<String>, fix: impl Into<String>) {
        self.set(NodeStatus::Warning, reason, Some(fix.into()));
    }

    fn unknown(&mut self, reason: impl Into<String>, fix: impl Into<String>) {
        self.set(NodeStatus::Unknown, reason, Some(fix.into()));
    }

    fn ok(&mut self, reason: impl Into<String>) {
        self.set(NodeStatus::Ok, reason, None);
    }

    fn done(self) -> FlowNode {
        FlowNode { id: self.id, status: self.status, reason: self.reason, evidence: self.evidence, fix: self.fix }
    }
}

fn skipped(id: NodeId, why: &str) -> FlowNode {
    FlowNode { id, status: NodeStatus::Skipped, reason: why.into(), evidence: Vec::new(), fix: None }
}

/// Runs the flow for `input`.
pub fn evaluate(input: &FlowInput) -> FlowReport {
    let protocol = Protocol::parse(&input.phone.protocol);
    let branch = match protocol {
        Some(p) if p.registers() => Branch::Registers,
        Some(Protocol::External) => Branch::DialsOut,
        _ => Branch::Other,
    };
    let mut nodes = vec![login(input), protocol_node(input, protocol, branch)];
    match branch {
        Branch::Registers => {
            nodes.push(peer(input, protocol));
            nodes.push(if input.phone.is_webphone() {
                webphone(input)
            } else {
                skipped(NodeId::Webphone, "not a webphone")
            });
            nodes.push(registration(input));
        }
        _ => {
            let why = "SIP, IAX2 and PJSIP phones only";
            nodes.extend([
                skipped(NodeId::Peer, why),
                skipped(NodeId::Webphone, why),
                skipped(NodeId::Registration, why),
            ]);
        }
    }
    match branch {
        Branch::DialsOut => {
            nodes.push(dialplan_number(input));
            nodes.push(trunk(input));
            nodes.push(answer(input));
        }
        _ => {
            let why = "EXTERNAL phones only";
            nodes.extend([
                skipped(NodeId::DialplanNumber, why),
                skipped(NodeId::Trunk, why),
                skipped(NodeId::Answer, why),
            ]);
        }
    }
    let on_path = branch_nodes(branch);
    let statuses = || nodes.iter().filter(|n| on_path.contains(&n.id)).map(|n| n.status);
    let breaks_at = nodes.iter().find(|n| on_path.contains(&n.id) && n.status == NodeStatus::Fail).map(|n| n.id);
    let verdict = if breaks_at.is_some() {
        Verdict::WillHearSilence
    } else if statuses().any(|s| s == NodeStatus::Unknown) || branch == Branch::Other {
        Verdict::Unknown
    } else {
        Verdict::Ready
    };
    nodes.push(end_silence(&nodes, breaks_at, verdict));
    nodes.push(end_bridged(input, branch, verdict));
    FlowReport { nodes, branch, breaks_at, verdict, simulated: input.attempt.is_some() }
}

fn login(input: &FlowInput) -> FlowNode {
    let p = &input.phone;
    let mut c = Check::new(NodeId::Login);
    c.show("Phone login", p.login.clone()).show("Active", yes_no(p.active));
    if let Some(attempt) = &input.attempt {
        c.show("Login typed", attempt.login.clone());
        let alias = input.aliases.iter().find(|a| a.alias_id.eq_ignore_ascii_case(&attempt.login));
        if let Some(alias) = alias {
            let logins: Vec<&str> = alias.members.iter().map(|m| m.login.as_str()).collect();
            c.show("Alias", format!("{} → {}", alias.alias_id, logins.join(", ")));
            if !alias.members.iter().any(|m| m.login.eq_ignore_ascii_case(&p.login)) {
                c.fail(
                    format!("The login typed is phone alias {}, whose phones do not include this one", alias.alias_id),
                    format!("Add {} to the alias's logins list, or log in with {}", p.login, p.login),
                );
            } else {
                c.ok(format!(
                    "Alias {} resolves to {} phone login(s); the dialer takes the least busy, here this phone",
                    alias.alias_id,
                    logins.len()
                ));
            }
        } else if !attempt.login.eq_ignore_ascii_case(&p.login) {
            c.fail(
                format!("The login typed is not this phone's login ({})", p.login),
                "Type the phone login exactly as stored (letters, digits, _ and -)",
            );
        }
        if attempt.password != p.pass {
            if attempt.may_name_registration_password && !p.conf_secret.is_empty() && attempt.password == p.conf_secret
            {
                c.fail(
                    "The password typed is the registration password; the agent screen wants the login password",
                    "Type the phone's login password (the registration password is for the device only)",
                );
            } else {
                c.fail(
                    "Wrong phone password: VICIdial answers \"your phone login and password are not active in this system\"",
                    "Type the phone's login password, or set a new one on the phone's edit page",
                );
            }
        }
    }
    // VICIdial's login query: phones.login/pass, phones.active = 'Y', the server row with
    // active_agent_login_server = 'Y' (vicidial.php 4324). phones.status is not part of it.
    match &input.server {
        None => c.fail(
            format!("The phone's server {} does not exist: the login query joins phones and servers", p.server_ip),
            "Add the server on the Servers page, or move the phone to an existing server",
        ),
        Some(s) => {
            c.show("Agent login server", yes_no(s.active_agent_login_server));
            if !s.active_agent_login_server {
                c.fail(
                    format!("Server {} is not an agent-login server (active_agent_login_server = N)", s.server_ip),
                    "Set \"Active agent login server\" on the server's page, or move the phone",
                );
            }
        }
    }
    if !p.active {
        c.fail(
            "The phone is inactive (active = N): VICIdial refuses its login",
            "Set Active to Yes on the phone's edit page",
        );
    }
    if let Some(alias) = input.aliases.iter().find(|a| a.alias_id.eq_ignore_ascii_case(&p.login)) {
        let typed_alias = input.attempt.as_ref().is_some_and(|a| a.login.eq_ignore_ascii_case(&alias.alias_id));
        if !typed_alias {
            c.fail(
                format!(
                    "The phone login {} is also a phone alias id: VICIdial resolves the alias first, so this phone \
                     can never be logged into directly",
                    p.login
                ),
                format!("Rename the phone login or the alias {}", alias.alias_id),
            );
        }
    }
    for alias in input.aliases.iter().filter(|a| a.members.iter().any(|m| m.login.eq_ignore_ascii_case(&p.login))) {
        let odd: Vec<&str> =
            alias.members.iter().filter(|m| m.exists && !m.same_password).map(|m| m.login.as_str()).collect();
        let missing: Vec<&str> = alias.members.iter().filter(|m| !m.exists).map(|m| m.login.as_str()).collect();
        if !odd.is_empty() {
            c.warn(
                format!(
                    "Alias {}: the phones {} have another login password than this one; an agent logging in with \
                     the alias is refused when the dialer picks one of them",
                    alias.alias_id,
                    odd.join(", ")
                ),
                "Give every phone of the alias the same login password",
            );
        }
        if !missing.is_empty() {
            c.warn(
                format!("Alias {} lists logins no phone has: {}", alias.alias_id, missing.join(", ")),
                "Remove them from the alias's logins list",
            );
        }
    }
    if c.reason.is_empty() {
        c.ok(if input.attempt.is_some() {
            "The login and password typed match this phone, which is active on an agent-login server"
        } else {
            "The phone is active and its server accepts agent logins"
        });
    }
    c.done()
}

fn protocol_node(input: &FlowInput, protocol: Option<Protocol>, branch: Branch) -> FlowNode {
    let p = &input.phone;
    let mut c = Check::new(NodeId::Protocol);
    c.show("Client protocol", p.protocol.clone()).show("Phone type", p.phone_type.clone());
    if p.is_webphone() {
        c.show("Web phone", p.is_webphone.clone());
    }
    match branch {
        Branch::Registers => c.ok(format!(
            "{}: the dialer calls {}/{} on the phone's server; the device must be registered",
            p.protocol, p.protocol, p.extension
        )),
        Branch::DialsOut => c.ok(format!(
            "EXTERNAL: nothing registers; the dialer calls Local/{}@{}",
            p.dialplan_number,
            input.server.as_ref().map_or("default", |s| s.ext_context.as_str())
        )),
        Branch::Other => match protocol {
            Some(Protocol::Zap) => c.unknown(
                format!(
                    "Zap: the dialer calls the DAHDI channel {}; hardware channels are not checked here",
                    p.extension
                ),
                "Check the channel on the Asterisk server (dahdi show channels)",
            ),
            _ => c.fail(
                format!("\"{}\" is not a VICIdial client protocol: nothing can call this phone", p.protocol),
                "Set the client protocol to SIP, IAX2, PJSIP, EXTERNAL or Zap",
            ),
        },
    }
    // An empty phone type is left unset (the legacy API has no such parameter); a set one must agree.
    let external_type = p.phone_type.trim().eq_ignore_ascii_case("external");
    let is_external = protocol == Some(Protocol::External);
    if external_type != is_external && !(is_external && p.phone_type.trim().is_empty()) {
        c.warn(
            format!(
                "Phone type \"{}\" and client protocol {} are not set together: a home or mobile number needs \
                 both EXTERNAL and \"external\"",
                p.phone_type, p.protocol
            ),
            "Choose the device again in the phone's edit page (it sets both)",
        );
    }
    c.done()
}

fn peer(input: &FlowInput, protocol: Option<Protocol>) -> FlowNode {
    let p = &input.phone;
    let mut c = Check::new(NodeId::Peer);
    c.show("Extension", p.extension.clone()).show("Configuration", input.conf.label());
    // First: a lasting codec mismatch says more than a rebuild pending for a few seconds.
    codec_check(&mut c, input);
    match &input.conf {
        PhoneConfState::Applied => c.ok(format!("Peer [{}] is written and Asterisk reloaded it", p.extension)),
        PhoneConfState::Written => c.warn(
            format!(
                "Peer [{}] is written, but the server has no AMI settings: Asterisk must be reloaded by hand",
                p.extension
            ),
            "Reload Asterisk (sip reload / pjsip reload / iax2 reload), or set the server's AMI settings",
        ),
        PhoneConfState::Pending => c.warn(
            "A rebuild of the server's conf files is pending (within seconds): the peer is not in Asterisk yet",
            "Wait a few seconds; the page updates when the files are applied",
        ),
        PhoneConfState::ReloadFailed(e) => c.fail(
            format!("The files are written but Asterisk's reload failed: {e}"),
            "Check the server's AMI settings and Asterisk; Dialtone retries every 30 seconds",
        ),
        PhoneConfState::NotGenerated => c.fail(
            "The server does not generate conf files (generate_vicidial_conf or active_asterisk_server is N): \
             no peer for this phone",
            "Turn on \"Generate conf files\" and \"Active Asterisk server\" on the server's page",
        ),
        PhoneConfState::Refused(reason) => c.fail(
            format!("The generator refused to write this phone ({reason})"),
            "Correct the field named; the peer is written at the next rebuild",
        ),
        PhoneConfState::NoPeer(why) => c.fail(format!("No peer: {why}"), "Set Active to Yes"),
    }
    // The rule the phone form applies (`wizard::check_entry`): the server's Asterisk must run the
    // phone's SIP stack, or the peer is written into a file no channel driver reads.
    if let (Some(s), Some(protocol)) = (&input.server, protocol) {
        let stacks = s.allowed_sip_stacks;
        if !stacks.allows(protocol) {
            c.show("Server's SIP stacks", stacks.describe());
            c.fail(
                format!(
                    "Server {} {}: no channel driver serves this {protocol} peer, so the phone cannot register",
                    s.server_ip,
                    stacks.refusal(protocol)
                ),
                stacks.fix(protocol),
            );
        }
    }
    if !p.extension.chars().all(|ch| ch.is_ascii_alphanumeric()) || p.extension.is_empty() {
        c.fail(
            "The extension has characters other than letters and digits: devices cannot register with it",
            "Use letters and digits only (the peer name is the extension)",
        );
    }
    if !p.conf_secret.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') {
        c.fail(
            "The registration password has characters VICIdial strips (only letters, digits, - and _ survive): the \
             device and Asterisk disagree on it",
            "Set a registration password of letters, digits, - and _ (the wizard generates one)",
        );
    } else if p.conf_secret.is_empty() || p.conf_secret.eq_ignore_ascii_case("test") {
        c.warn(
            "The registration password is empty or VICIdial's default \"test\": anyone can register as this phone",
            "Set a strong registration password and put it in the device",
        );
    }
    c.done()
}

/// Warns when the phone's peer and the server's active carriers share no codec: every customer call
/// must then be transcoded, and where Asterisk has no translator for the pair the call fails (488) or
/// the agent hears nothing.
fn codec_check(c: &mut Check, input: &FlowInput) {
    let Some(phone) = input.phone.peer_codecs.as_ref() else { return };
    let carriers: Vec<(&FlowCarrier, &Vec<String>)> = input
        .carriers
        .iter()
        .filter(|k| k.active)
        .filter_map(|k| k.codecs.as_ref().filter(|list| !list.is_empty()).map(|list| (k, list)))
        .collect();
    c.show("Codecs", if phone.is_empty() { "(none)".to_string() } else { phone.join(", ") });
    if phone.is_empty() {
        c.fail(
            "The peer allows no codec (disallow=all without an allow=): no call can carry audio",
            "List the codecs in the phone's Codecs (e.g. ulaw, alaw)",
        );
        return;
    }
    if carriers.is_empty() || carriers.iter().any(|(_, list)| list.iter().any(|k| phone.contains(k))) {
        return;
    }
    let theirs: Vec<String> =
        carriers.iter().map(|(k, list)| format!("{} {}", k.carrier_id, list.join(", "))).collect();
    c.show("Carriers' codecs", theirs.join("; "));
    c.warn(
        format!(
            "No codec in common with the server's carriers (phone {}; {}): every customer call is transcoded, \
             and without a translator for the pair (g729 and opus need codec modules) the call fails or the \
             agent hears silence",
            phone.join(", "),
            theirs.join("; ")
        ),
        "Allow ulaw or alaw on both the phone (Codecs) and the carriers (allow= in their account entry)",
    );
}

fn webphone(input: &FlowInput) -> FlowNode {
    let p = &input.phone;
    let mut c = Check::new(NodeId::Webphone);
    c.show("Web phone", p.is_webphone.clone()).show("Auto-answer", yes_no(p.webphone_auto_answer));
    c.ok("The browser phone registers over the server's WebSocket when the agent screen opens");
    if let Some(s) = &input.server {
        c.show("WebSocket URL", s.web_socket_url.clone());
        if s.web_socket_url.trim().is_empty() {
            c.fail(
                format!("Server {} has no WebSocket URL: the browser phone cannot register", s.server_ip),
                "Set the server's WebSocket URL (e.g. wss://dialer.example.com:8089/ws)",
            );
        } else if s.web_socket_url.starts_with("ws://") {
            c.warn(
                "The WebSocket URL is ws://: browsers refuse it from an https agent screen",
                "Use a wss:// URL with a valid certificate",
            );
        }
        if p.use_external_server_ip {
            c.show("External server IP", s.external_server_ip.clone());
            if s.external_server_ip.trim().is_empty() {
                c.fail(
                    "The phone uses the server's external IP, but the server has none",
                    "Set the server's external IP, or turn off \"Use external server IP\"",
                );
            }
        }
    }
    match &p.template {
        None => {
            c.show(
                "Template",
                if p.template_id.is_empty() { "(none)".to_string() } else { format!("{} (missing)", p.template_id) },
            );
            c.fail(
                "No WebRTC template: the peer lacks encryption, ICE, DTLS and rtcp_mux, so the browser stays \"connecting\"",
                "Give the phone a template with encryption=yes, icesupport=yes, transport=wss, dtlsenable=yes, \
                 dtlssetup=actpass, rtcp_mux=yes, directmedia=no",
            );
        }
        Some(t) => {
            c.show("Template", p.template_id.clone());
            let settings = template_settings(t);
            let missing: Vec<&str> = WEBRTC_SETTINGS
                .iter()
                .filter(|(k, v)| !settings.iter().any(|(sk, sv)| sk == k && sv.eq_ignore_ascii_case(v)))
                .map(|(k, _)| *k)
                .collect();
            if !missing.is_empty() {
                c.fail(
                    format!("The template lacks WebRTC settings: {}", missing.join(", ")),
                    "Add them to the template (rtcp_mux=yes in particular: without it the browser stays \"connecting\")",
                );
            }
        }
    }
    if !p.webphone_auto_answer {
        c.warn(
            "Auto-answer is off: the agent must answer the browser phone each time, or hears nothing",
            "Turn on webphone auto-answer",
        );
    }
    c.done()
}

/// The settings a WebRTC peer needs, as `name=value` (values compared without case).
const WEBRTC_SETTINGS: [(&str, &str); 5] =
    [("encryption", "yes"), ("icesupport", "yes"), ("dtlsenable", "yes"), ("rtcp_mux", "yes"), ("transport", "wss")];

/// The `name=value` lines of a template (names lower-case, spaces trimmed, comments dropped).
fn template_settings(template: &str) -> Vec<(String, String)> {
    template
        .lines()
        .filter_map(|l| l.split(';').next())
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().trim_end_matches('>').trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

fn registration(input: &FlowInput) -> FlowNode {
    let p = &input.phone;
    let r = &input.registration;
    let mut c = Check::new(NodeId::Registration);
    let server = input.server.as_ref().map_or(p.server_ip.as_str(), |s| s.server_ip.as_str());
    match &r.source {
        RegistrationSource::NotConfigured => {
            c.show("Registration source", "(none)");
            c.unknown(
                format!(
                    "No registration source: server {server} has no AMI settings, so nothing reports registrations"
                ),
                "Set the AMI host, user and secret on the server's page (manager.conf: read = system,security)",
            );
            return c.done();
        }
        RegistrationSource::Connecting => {
            c.show("Registration source", "AMI connecting");
            c.unknown(
                format!("Connecting to server {server}'s AMI: the registration state is not known yet"),
                "Wait a few seconds; if it stays so, check the AMI host, port and firewall",
            );
            return c.done();
        }
        RegistrationSource::Down(e) => {
            c.show("Registration source", format!("AMI down: {e}"));
            c.unknown(
                format!("The AMI connection to server {server} is down ({e}): the registration state is not known"),
                "Check the server's AMI settings and that Asterisk runs; Dialtone reconnects by itself",
            );
            return c.done();
        }
        RegistrationSource::Connected(_) => {}
    }
    c.show("Peer status", r.peer_status.clone());
    if !r.contact.is_empty() {
        c.show("Contact", r.contact.clone());
    }
    if !r.user_agent.is_empty() {
        c.show("User agent", r.user_agent.clone());
    }
    if let Some(ms) = r.ping_ms {
        c.show("Ping", format!("{ms} ms"));
    }
    if let Some(at) = r.last_event_at {
        c.show("Last report", ago(input.now, at));
    }
    let failure_hint = || -> String {
        if r.last_failure.is_empty() {
            "Put the extension as user name, the registration password and the server's address into the device"
                .to_string()
        } else {
            format!("Asterisk reported: {}. Put the extension, the registration password and server IP into the device exactly", r.last_failure)
        }
    };
    match r.peer_status.as_str() {
        "REGISTERED" | "REACHABLE" => c.ok(format!("Asterisk has an active registration for {}", p.extension)),
        "LAGGED" => c.warn(
            format!(
                "Registered, but replies slowly{}: audio may break up",
                r.ping_ms.map(|m| format!(" ({m} ms)")).unwrap_or_default()
            ),
            "Check the agent's network (latency, Wi-Fi, VPN)",
        ),
        "UNREGISTERED" | "UNREACHABLE" if !r.known_to_asterisk => c.fail(
            format!("Asterisk has no peer {}: the conf files are not loaded on server {server}", p.extension),
            "Check the peer's configuration state above; reload Asterisk",
        ),
        "UNREGISTERED" => {
            c.fail(format!("No active registration for {}: the login call reaches nobody", p.extension), failure_hint())
        }
        "UNREACHABLE" => c.fail(
            format!("{} registered but does not answer Asterisk's checks (unreachable)", p.extension),
            "Check the device is on and its network (NAT, firewall); SIP ALG on the agent's router breaks it",
        ),
        _ => c.unknown(
            format!("Asterisk has not reported {} since the AMI connection started", p.extension),
            "Wait for the device to register; if it does not, check its settings",
        ),
    }
    if !r.last_failure.is_empty() {
        c.show(
            "Last failure",
            match r.last_failure_at {
                Some(at) => format!("{} ({})", r.last_failure, ago(input.now, at)),
                None => r.last_failure.clone(),
            },
        );
    }
    let recent = r.address_changes_since.is_some_and(|since| input.now - since <= ADDRESS_CHANGE_WINDOW);
    if recent && r.address_changes >= FLAPPING_CHANGES {
        let since = r.address_changes_since.map(|at| ago(input.now, at)).unwrap_or_default();
        c.show("Address changes", format!("{} since {since}", r.address_changes));
        if !r.previous_address.is_empty() {
            c.show("Previous address", r.previous_address.clone());
        }
        c.warn(
            format!(
                "The registration flaps: the device's address or port changed {} times since {since}{}; a router's \
                 SIP ALG does this, and audio breaks or goes one-way",
                r.address_changes,
                if r.previous_address.is_empty() {
                    String::new()
                } else {
                    format!(" (from {} to {})", r.previous_address, r.contact)
                }
            ),
            "Turn off SIP ALG (\"SIP passthrough\") on the agent's router, or register over TCP/TLS or another port",
        );
    }
    if let (Some(s), Some(ip)) = (&input.server, contact_ip(&r.contact)) {
        if is_public_ipv4(ip) && s.external_server_ip.trim().is_empty() {
            c.warn(
                format!(
                    "The device registers from a public address ({ip}) but server {} has no external address: \
                     Asterisk may send audio to a private address (one-way or no audio)",
                    s.server_ip
                ),
                "Set the server's external IP and local networks (externip, localnet), and nat=force_rport,comedia",
            );
        }
    }
    c.done()
}

/// The IPv4 address in a contact (`203.0.113.5:5060`, `sip:1001@203.0.113.5:5060;transport=udp`).
fn contact_ip(contact: &str) -> Option<&str> {
    let rest = contact.rsplit_once('@').map_or(contact, |(_, r)| r);
    let rest = rest.strip_prefix("sip:").unwrap_or(rest);
    let host = rest.split([':', ';', '/']).next()?;
    let parts: Vec<&str> = host.split('.').collect();
    (parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok())).then_some(host)
}

/// Not a private, loopback or link-local IPv4 address.
fn is_public_ipv4(ip: &str) -> bool {
    let o: Vec<u8> = ip.split('.').filter_map(|p| p.parse().ok()).collect();
    match o.as_slice() {
        [10, ..] | [127, ..] | [169, 254, ..] | [192, 168, ..] => false,
        [172, b, ..] if (16..=31).contains(b) => false,
        [100, b, ..] if (64..=127).contains(b) => false,
        [_, _, _, _] => true,
        _ => false,
    }
}

fn dialplan_number(input: &FlowInput) -> FlowNode {
    let p = &input.phone;
    let mut c = Check::new(NodeId::DialplanNumber);
    c.show("Dialplan number", p.dialplan_number.clone());
    let n = &p.dialplan_number;
    if n.is_empty() {
        c.fail("The dialplan number is empty: there is nothing to dial", "Store the number the dialer must dial");
    } else if !n.chars().all(|ch| ch.is_ascii_digit()) {
        c.fail(
            "The dialplan number has characters other than digits (spaces, dashes, brackets, +): the dialer dials it \
             exactly as stored and no route matches",
            "Store it as the digits the dialer must dial, with any outside-line prefix and country code (e.g. 913125551234)",
        );
    } else if n.len() < 7 {
        c.warn(
            format!("{n} is short for a home or mobile number: is the outside-line prefix or area code missing?"),
            "Store the full number as the dialer must dial it (e.g. 913125551234)",
        );
    } else {
        c.ok(format!("The dialer dials {n} as stored"));
    }
    c.done()
}

fn trunk(input: &FlowInput) -> FlowNode {
    let p = &input.phone;
    let mut c = Check::new(NodeId::Trunk);
    let server = input.server.as_ref().map_or(p.server_ip.as_str(), |s| s.server_ip.as_str());
    c.show("Carriers on the server", input.carriers.len().to_string());
    if input.carriers.is_empty() {
        c.fail(
            format!("Server {server} has no carrier: nothing routes {} out", p.dialplan_number),
            "Add the server's carrier (trunk) with a dial pattern for these numbers on the Carriers page",
        );
        return c.done();
    }
    // Every carrier of a server lands in one dialplan context, so Asterisk takes the best of all the
    // active carriers' matching extensions (its own preference order).
    struct Route<'c> {
        carrier: &'c FlowCarrier,
        line: PatternLine,
    }
    impl AsRef<super::dial_pattern::DialPattern> for Route<'_> {
        fn as_ref(&self) -> &super::dial_pattern::DialPattern {
            &self.line.pattern
        }
    }
    let routes: Vec<Route<'_>> = input
        .carriers
        .iter()
        .flat_map(|carrier| {
            parse_dialplan_entry(&carrier.dialplan_entry).patterns.into_iter().map(move |line| Route { carrier, line })
        })
        .collect();
    let (active, inactive): (Vec<&Route<'_>>, Vec<&Route<'_>>) = routes.iter().partition(|r| r.carrier.active);
    if let Some(route) = best_match(active.iter().copied(), &p.dialplan_number) {
        let (carrier, pattern) = (route.carrier, route.line.pattern.as_str());
        c.show(
            "Route",
            format!("{} ({}), line {}: exten => {pattern}", carrier.carrier_id, carrier.carrier_name, route.line.line),
        );
        c.ok(format!("Carrier {} matches {} with {pattern}", carrier.carrier_id, p.dialplan_number));
        return c.done();
    }
    let tried: Vec<&str> = active.iter().take(6).map(|r| r.line.pattern.as_str()).collect();
    if !tried.is_empty() {
        c.show("Patterns tried", tried.join("  "));
    }
    match best_match(inactive.iter().copied(), &p.dialplan_number) {
        Some(route) => c.fail(
            format!(
                "Only the inactive carrier {} matches {} ({})",
                route.carrier.carrier_id,
                p.dialplan_number,
                route.line.pattern.as_str()
            ),
            format!("Activate carrier {}, or add a route on an active one", route.carrier.carrier_id),
        ),
        None => c.fail(
            format!("No active carrier pattern on server {server} matches {}", p.dialplan_number),
            "Store the number exactly as the dialer must dial it (with the outside-line prefix), or add a matching \
             dial pattern to a carrier",
        ),
    }
    c.done()
}

fn answer(input: &FlowInput) -> FlowNode {
    let p = &input.phone;
    let mut c = Check::new(NodeId::Answer);
    c.show("Ring timeout", format!("{} s", p.ring_timeout)).show("On-hook agent", yes_no(p.on_hook_agent));
    c.ok("The agent answers the call and joins the session");
    if p.ring_timeout > MOBILE_VOICEMAIL_SECONDS {
        c.warn(
            format!(
                "The phone rings {} s: a mobile's voicemail usually answers after about {MOBILE_VOICEMAIL_SECONDS} s, and \
                 the agent is then bridged to their own voicemail",
                p.ring_timeout
            ),
            format!("Set the ring timeout to {MOBILE_VOICEMAIL_SECONDS} s or less"),
        );
    }
    on_hook_warning(&mut c, p);
    c.done()
}

fn on_hook_warning(c: &mut Check, p: &FlowPhone) {
    if p.on_hook_agent {
        c.warn(
            "On-hook agent: the login call goes to 8300 and hangs up; the phone is rung only for inbound calls, so an \
             outbound agent is never connected",
            "Set on-hook agent to No for outbound agents",
        );
    }
}

fn end_silence(nodes: &[FlowNode], breaks_at: Option<NodeId>, verdict: Verdict) -> FlowNode {
    if verdict != Verdict::WillHearSilence {
        return skipped(NodeId::Silence, "no node on the path fails");
    }
    let cause = breaks_at.and_then(|id| nodes.iter().find(|n| n.id == id));
    FlowNode {
        id: NodeId::Silence,
        status: NodeStatus::Fail,
        reason: match cause {
            Some(n) => format!("The agent hears silence: the path breaks at \"{}\"", n.id.title()),
            None => "The agent hears silence".into(),
        },
        evidence: Vec::new(),
        // The fix is the failing node's: shown there and in the verdict, not a third time here.
        fix: None,
    }
}

fn end_bridged(input: &FlowInput, branch: Branch, verdict: Verdict) -> FlowNode {
    let mut c = Check::new(NodeId::Bridged);
    match verdict {
        Verdict::WillHearSilence => return skipped(NodeId::Bridged, "the path breaks before"),
        Verdict::Unknown => c.unknown(
            "Audio is bridged if the unknown step above passes",
            "Connect a registration source (the server's AMI) to know",
        ),
        Verdict::Ready => {
            c.ok("The agent's phone joins the session: audio is bridged (silence is normal until a call comes)")
        }
    }
    if branch == Branch::Registers {
        on_hook_warning(&mut c, &input.phone);
    }
    c.done()
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// "5 s ago", "3 min ago", "2 h ago", "4 days ago".
pub fn ago(now: i64, then: i64) -> String {
    let s = (now - then).max(0);
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86399 => format!("{} h ago", s / 3600),
        86400..=172_799 => "1 day ago".into(),
        _ => format!("{} days ago", s / 86400),
    }
}

/// A node's place in the diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Which node.
    pub id: NodeId,
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
    /// Drawn as a decision (diamond-ish) rather than a box.
    pub decision: bool,
}

impl Placed {
    fn bottom(&self) -> (i32, i32) {
        (self.x + self.w / 2, self.y + self.h)
    }

    fn top(&self) -> (i32, i32) {
        (self.x + self.w / 2, self.y)
    }
}

/// An arrow between two nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrow {
    /// From.
    pub from: NodeId,
    /// To.
    pub to: NodeId,
    /// The points of the line, start to end.
    pub points: Vec<(i32, i32)>,
    /// A label (the protocol choice, found / not found), placed clear of every line and box.
    pub label: Option<ArrowLabel>,
    /// The path taken runs along it.
    pub on_path: bool,
}

/// Where an arrow's label is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrowLabel {
    /// The words.
    pub text: &'static str,
    /// The baseline's anchor point.
    pub x: i32,
    /// The baseline.
    pub y: i32,
    /// The text ends at `x` (`text-anchor: end`) rather than starting there.
    pub end: bool,
}

impl ArrowLabel {
    /// Font size of a label, in diagram units (the page's CSS draws them at this size).
    pub const SIZE: i32 = 11;

    /// The box the text takes (left, top, right, bottom), from a generous average glyph width.
    pub fn bounds(&self) -> (i32, i32, i32, i32) {
        let width = i32::try_from(self.text.chars().count()).unwrap_or(i32::MAX / 8) * 7;
        let (left, right) = if self.end { (self.x - width, self.x) } else { (self.x, self.x + width) };
        (left, self.y - Self::SIZE + 2, right, self.y + 3)
    }
}

/// The diagram: a fixed layout 380 units wide (fits a 390 px screen at one unit per pixel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    /// Total width.
    pub width: i32,
    /// Total height.
    pub height: i32,
    /// Every node's box.
    pub nodes: Vec<Placed>,
    /// The arrows.
    pub arrows: Vec<Arrow>,
}

impl Diagram {
    /// The box of `id`.
    pub fn place(&self, id: NodeId) -> Option<&Placed> {
        self.nodes.iter().find(|p| p.id == id)
    }
}

/// Lays out the flow: the login and the protocol decision in the middle, the registering path on the
/// left, the dial-out path on the right, the two ends at the bottom; the arrows of the path taken
/// marked, ending at silence (from the node where it breaks) or at the bridged audio.
pub fn layout(report: &FlowReport) -> Diagram {
    const W: i32 = 164;
    const H: i32 = 58;
    const GAP: i32 = 30;
    const LEFT: i32 = 14;
    const RIGHT: i32 = LEFT + W + 28;
    const MID: i32 = (LEFT + RIGHT) / 2;
    let row = |r: i32| 8 + r * (H + GAP);
    let at = |id, x, r, decision| Placed { id, x, y: row(r), w: W, h: H, decision };
    let nodes = vec![
        at(NodeId::Login, MID, 0, false),
        at(NodeId::Protocol, MID, 1, true),
        at(NodeId::Peer, LEFT, 2, false),
        at(NodeId::Webphone, LEFT, 3, false),
        at(NodeId::Registration, LEFT, 4, false),
        at(NodeId::DialplanNumber, RIGHT, 2, false),
        at(NodeId::Trunk, RIGHT, 3, false),
        at(NodeId::Answer, RIGHT, 4, false),
        at(NodeId::Silence, LEFT, 5, false),
        at(NodeId::Bridged, RIGHT, 5, false),
    ];
    let mut d = Diagram { width: RIGHT + W + LEFT, height: row(6) - GAP + 8, nodes, arrows: Vec::new() };
    // Only what the login reaches is drawn as taken: nothing after the node where it breaks.
    let path = report.reached();
    let taken = |from: NodeId, to: NodeId| {
        path.windows(2).any(|w| w[0] == from && w[1] == to) || (to == NodeId::Silence && report.breaks_at == Some(from))
    };
    // A label sits beside the arrow's last vertical run (right of it, below its corner) for a straight
    // arrow; for one that turns, above its horizontal run, on the side away from the start's vertical
    // (so it crosses neither).
    let label_for = |text: &'static str, points: &[(i32, i32)]| -> ArrowLabel {
        match points {
            [s, _, (ex, ey), _] if *ex < s.0 => ArrowLabel { text, x: s.0 - 8, y: ey - 4, end: true },
            [s, _, (_, ey), _] => ArrowLabel { text, x: s.0 + 8, y: *ey - 4, end: false },
            _ => {
                // Left of a straight arrow: the arrow from the registration to the bridged audio turns
                // right just below its start.
                let (x, y) = points.first().copied().unwrap_or((0, 0));
                ArrowLabel { text, x: x - 6, y: y + GAP / 2 + 4, end: true }
            }
        }
    };
    let straight = |d: &Diagram, from: NodeId, to: NodeId, label: Option<&'static str>| -> Option<Arrow> {
        let (a, b) = (d.place(from)?, d.place(to)?);
        let (s, e) = (a.bottom(), b.top());
        let points = if s.0 == e.0 { vec![s, e] } else { vec![s, (s.0, s.1 + GAP / 2), (e.0, s.1 + GAP / 2), e] };
        let label = label.map(|text| label_for(text, &points));
        Some(Arrow { from, to, points, label, on_path: taken(from, to) })
    };
    let mut arrows = Vec::new();
    let pairs: [(NodeId, NodeId, Option<&'static str>); 8] = [
        (NodeId::Login, NodeId::Protocol, None),
        (NodeId::Protocol, NodeId::Peer, Some("SIP · IAX2 · PJSIP")),
        (NodeId::Protocol, NodeId::DialplanNumber, Some("EXTERNAL")),
        (NodeId::Peer, NodeId::Webphone, None),
        (NodeId::Webphone, NodeId::Registration, None),
        (NodeId::DialplanNumber, NodeId::Trunk, None),
        (NodeId::Trunk, NodeId::Answer, None),
        (NodeId::Registration, NodeId::Silence, Some("not found")),
    ];
    for (from, to, label) in pairs {
        arrows.extend(straight(&d, from, to, label));
    }
    arrows.extend(straight(&d, NodeId::Registration, NodeId::Bridged, Some("found")));
    arrows.extend(straight(&d, NodeId::Answer, NodeId::Bridged, None));
    // A registering phone that is not a webphone skips the webphone box: its path goes round it, in the
    // gap between the columns (no break arrow runs there on this branch: the right column is EXTERNAL's),
    // from the peer's right side to the registration's.
    let webphone_skipped = report.node(NodeId::Webphone).is_some_and(|n| n.status == NodeStatus::Skipped);
    if report.branch == Branch::Registers && webphone_skipped {
        if let (Some(a), Some(b)) = (d.place(NodeId::Peer), d.place(NodeId::Registration)) {
            let gap = LEFT + W + 14;
            let (start, end) = ((a.x + a.w, a.y + a.h / 2), (b.x + b.w, b.y + b.h / 2));
            let points = vec![start, (gap, start.1), (gap, end.1), end];
            let on_path = path.contains(&NodeId::Peer) && path.contains(&NodeId::Registration);
            arrows.push(Arrow { from: NodeId::Peer, to: NodeId::Registration, points, label: None, on_path });
        }
    }
    // Where the path breaks elsewhere than at the registration: an arrow to silence that runs in a
    // margin (the left one for the middle and left nodes, the gap between the columns for the right
    // ones), so it crosses no box.
    if let Some(from) = report.breaks_at.filter(|id| *id != NodeId::Registration) {
        if let (Some(a), Some(b)) = (d.place(from), d.place(NodeId::Silence)) {
            let start = (a.x, a.y + a.h / 2);
            let end_y = b.y + b.h / 2;
            let points = if a.x >= RIGHT {
                let gap = LEFT + W + 14;
                vec![start, (gap, start.1), (gap, end_y), (b.x + b.w, end_y)]
            } else {
                let margin = LEFT / 2;
                vec![start, (margin, start.1), (margin, end_y), (b.x, end_y)]
            };
            arrows.push(Arrow { from, to: NodeId::Silence, points, label: None, on_path: true });
        }
    }
    d.arrows = arrows;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip_phone() -> FlowPhone {
        FlowPhone {
            extension: "cc101".into(),
            server_ip: "10.10.10.15".into(),
            login: "cc101".into(),
            pass: "loginpw1".into(),
            conf_secret: "Reg5ecretXYZ".into(),
            protocol: "SIP".into(),
            phone_type: String::new(),
            dialplan_number: "101".into(),
            active: true,
            status: "ACTIVE".into(),
            is_webphone: "N".into(),
            webphone_auto_answer: true,
            use_external_server_ip: false,
            on_hook_agent: false,
            ring_timeout: 60,
            template_id: String::new(),
            template: None,
            peer_codecs: None,
        }
    }

    fn server() -> FlowServer {
        FlowServer {
            server_ip: "10.10.10.15".into(),
            server_id: "ast1".into(),
            active_asterisk_server: true,
            active_agent_login_server: true,
            allowed_sip_stacks: SipStacks::Sip,
            ext_context: "default".into(),
            external_server_ip: String::new(),
            web_socket_url: String::new(),
        }
    }

    fn registered() -> FlowRegistration {
        FlowRegistration {
            source: RegistrationSource::Connected(1_000),
            peer_status: "REGISTERED".into(),
            contact: "10.20.0.7:5060".into(),
            last_event_at: Some(1_990),
            ..FlowRegistration::default()
        }
    }

    fn input(phone: FlowPhone) -> FlowInput {
        FlowInput {
            phone,
            server: Some(server()),
            aliases: Vec::new(),
            carriers: Vec::new(),
            registration: registered(),
            conf: PhoneConfState::Applied,
            attempt: None,
            now: 2_000,
        }
    }

    fn external_phone() -> FlowPhone {
        FlowPhone {
            extension: "home101".into(),
            login: "home101".into(),
            protocol: "EXTERNAL".into(),
            phone_type: "external".into(),
            dialplan_number: "913125551234".into(),
            conf_secret: String::new(),
            ring_timeout: 18,
            ..sip_phone()
        }
    }

    fn carrier(id: &str, active: bool, entry: &str) -> FlowCarrier {
        FlowCarrier {
            carrier_id: id.into(),
            carrier_name: format!("{id} trunk"),
            active,
            dialplan_entry: entry.into(),
            codecs: None,
        }
    }

    #[test]
    fn a_flapping_registration_is_a_sip_alg_warning() {
        let flapping = |changes: i64, since: i64| {
            let mut i = input(sip_phone());
            i.registration = FlowRegistration {
                contact: "203.0.113.5:41290".into(),
                address_changes: changes,
                address_changes_since: Some(since),
                previous_address: "203.0.113.5:41234".into(),
                ..registered()
            };
            // A public contact needs the server's external address, or the NAT warning comes first.
            i.server.as_mut().expect("server").external_server_ip = "198.51.100.1".into();
            evaluate(&i)
        };
        let now = input(sip_phone()).now;
        let r = flapping(FLAPPING_CHANGES, now - 600);
        let node = r.node(NodeId::Registration).expect("registration");
        assert_eq!((r.verdict, node.status), (Verdict::Ready, NodeStatus::Warning));
        assert!(node.reason.starts_with("The registration flaps: the device's address or port changed 3 times"));
        assert!(node.reason.contains("(from 203.0.113.5:41234 to 203.0.113.5:41290)"), "{}", node.reason);
        assert!(node.fix.as_deref().is_some_and(|f| f.starts_with("Turn off SIP ALG")));
        assert!(node.evidence.iter().any(|e| e.label == "Previous address" && e.value == "203.0.113.5:41234"));
        assert_eq!(status(&flapping(FLAPPING_CHANGES - 1, now - 600), NodeId::Registration), NodeStatus::Ok);
        let old = flapping(10, now - ADDRESS_CHANGE_WINDOW - 1);
        assert_eq!(status(&old, NodeId::Registration), NodeStatus::Ok, "changes more than an hour ago");
    }

    #[test]
    fn codecs_the_carriers_do_not_share_are_a_warning() {
        let list = |c: &[&str]| Some(c.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let with = |phone: Option<Vec<String>>, carriers: Vec<FlowCarrier>| {
            let mut i = input(FlowPhone { peer_codecs: phone, ..sip_phone() });
            i.carriers = carriers;
            evaluate(&i)
        };
        let trunk = |id: &str, active: bool, codecs: Option<Vec<String>>| FlowCarrier {
            codecs,
            ..carrier(id, active, "exten => _9X.,1,Dial(SIP/t/${EXTEN})")
        };
        // g729 only on the phone, ulaw/alaw on the active carrier: a warning at the peer, still ready.
        let r = with(list(&["g729"]), vec![trunk("tk1", true, list(&["ulaw", "alaw"]))]);
        let peer = r.node(NodeId::Peer).expect("peer");
        assert_eq!((r.verdict, peer.status), (Verdict::Ready, NodeStatus::Warning));
        assert!(peer.reason.starts_with("No codec in common with the server's carriers (phone g729; tk1 ulaw, alaw)"));
        assert!(peer.fix.as_deref().is_some_and(|f| f.contains("ulaw or alaw")));
        assert!(peer.evidence.iter().any(|e| e.label == "Carriers' codecs" && e.value == "tk1 ulaw, alaw"));
        assert_eq!(r.first_problem().map(|n| n.id), Some(NodeId::Peer));
        // One shared codec with any active carrier is enough; inactive and unrestricted carriers do not count.
        let both = vec![trunk("tk1", true, list(&["ulaw"])), trunk("tk2", true, list(&["g729", "alaw"]))];
        assert_eq!(status(&with(list(&["g729"]), both), NodeId::Peer), NodeStatus::Ok);
        let idle = vec![trunk("tk1", false, list(&["ulaw"]))];
        assert_eq!(status(&with(list(&["g729"]), idle), NodeId::Peer), NodeStatus::Ok);
        let open = vec![trunk("tk1", true, None)];
        assert_eq!(status(&with(list(&["g729"]), open), NodeId::Peer), NodeStatus::Ok);
        // Asterisk's defaults on the phone: nothing to compare.
        let r = with(None, vec![trunk("tk1", true, list(&["ulaw"]))]);
        assert_eq!(status(&r, NodeId::Peer), NodeStatus::Ok);
        assert!(r.node(NodeId::Peer).is_some_and(|n| n.evidence.iter().all(|e| e.label != "Codecs")));
        // A peer allowing nothing carries no audio at all.
        let r = with(list(&[]), Vec::new());
        assert_eq!((r.verdict, r.breaks_at), (Verdict::WillHearSilence, Some(NodeId::Peer)));
        // EXTERNAL phones have no peer: not checked.
        let mut i = input(FlowPhone { peer_codecs: list(&["g729"]), ..external_phone() });
        i.carriers = vec![trunk("tk1", true, list(&["ulaw"]))];
        let r = evaluate(&i);
        assert_eq!(status(&r, NodeId::Peer), NodeStatus::Skipped);
    }

    fn status(r: &FlowReport, id: NodeId) -> NodeStatus {
        r.node(id).map(|n| n.status).expect("node present")
    }

    fn no_secret(r: &FlowReport, secrets: &[&str]) {
        let text = format!("{r:?}");
        for s in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(!text.contains(s), "secret {s:?} in {text}");
        }
    }

    #[test]
    fn a_registered_sip_phone_is_ready() {
        let r = evaluate(&input(sip_phone()));
        assert_eq!((r.verdict, r.branch, r.breaks_at), (Verdict::Ready, Branch::Registers, None));
        assert_eq!(r.path(), [NodeId::Login, NodeId::Protocol, NodeId::Peer, NodeId::Registration, NodeId::Bridged]);
        for id in [NodeId::DialplanNumber, NodeId::Trunk, NodeId::Answer, NodeId::Webphone, NodeId::Silence] {
            assert_eq!(status(&r, id), NodeStatus::Skipped, "{id:?}");
        }
        assert_eq!(status(&r, NodeId::Bridged), NodeStatus::Ok);
        assert!(r.first_problem().is_none());
        no_secret(&r, &["loginpw1", "Reg5ecretXYZ"]);
    }

    #[test]
    fn an_unregistered_sip_phone_fails_at_the_registration() {
        let mut i = input(sip_phone());
        i.registration.peer_status = "UNREGISTERED".into();
        i.registration.last_failure = "wrong password from 203.0.113.5".into();
        let r = evaluate(&i);
        assert_eq!((r.verdict, r.breaks_at), (Verdict::WillHearSilence, Some(NodeId::Registration)));
        let node = r.node(NodeId::Registration).expect("registration");
        assert!(node.reason.contains("No active registration"), "{}", node.reason);
        assert!(node.fix.as_deref().is_some_and(|f| f.contains("wrong password")));
        assert_eq!(status(&r, NodeId::Silence), NodeStatus::Fail);
        assert_eq!(status(&r, NodeId::Bridged), NodeStatus::Skipped);
        assert_eq!(*r.path().last().expect("end"), NodeId::Silence);
    }

    #[test]
    fn registration_states_map_to_statuses() {
        for (peer, expected) in [
            ("REACHABLE", NodeStatus::Ok),
            ("LAGGED", NodeStatus::Warning),
            ("UNREACHABLE", NodeStatus::Fail),
            ("UNKNOWN", NodeStatus::Unknown),
        ] {
            let mut i = input(sip_phone());
            i.registration.peer_status = peer.into();
            assert_eq!(status(&evaluate(&i), NodeId::Registration), expected, "{peer}");
        }
        let mut i = input(sip_phone());
        i.registration.peer_status = "UNREGISTERED".into();
        i.registration.known_to_asterisk = false;
        let r = evaluate(&i);
        assert!(r.node(NodeId::Registration).is_some_and(|n| n.reason.contains("no peer cc101")));
    }

    #[test]
    fn without_a_registration_source_the_verdict_is_unknown_and_says_how_to_connect_one() {
        for source in [
            RegistrationSource::NotConfigured,
            RegistrationSource::Connecting,
            RegistrationSource::Down("refused".into()),
        ] {
            let mut i = input(sip_phone());
            i.registration = FlowRegistration { source: source.clone(), ..FlowRegistration::default() };
            let r = evaluate(&i);
            assert_eq!(r.verdict, Verdict::Unknown, "{source:?}");
            assert_eq!(status(&r, NodeId::Registration), NodeStatus::Unknown);
            assert_eq!(status(&r, NodeId::Bridged), NodeStatus::Unknown);
            assert!(r.node(NodeId::Registration).and_then(|n| n.fix.clone()).is_some_and(|f| !f.is_empty()));
        }
        let mut i = input(sip_phone());
        i.registration = FlowRegistration::default();
        let fix = evaluate(&i).node(NodeId::Registration).and_then(|n| n.fix.clone()).unwrap_or_default();
        assert!(fix.contains("AMI"), "{fix}");
    }

    #[test]
    fn login_refusals() {
        let mut i = input(sip_phone());
        i.phone.active = false;
        let r = evaluate(&i);
        assert_eq!(r.breaks_at, Some(NodeId::Login));
        assert!(r.node(NodeId::Login).is_some_and(|n| n.reason.contains("inactive")));

        let mut i = input(sip_phone());
        i.server.as_mut().expect("server").active_agent_login_server = false;
        assert_eq!(evaluate(&i).breaks_at, Some(NodeId::Login));

        let mut i = input(sip_phone());
        i.server = None;
        let r = evaluate(&i);
        assert_eq!(r.breaks_at, Some(NodeId::Login));
        assert!(r.node(NodeId::Login).is_some_and(|n| n.reason.contains("does not exist")));

        // The phone login is an alias id: the alias is resolved first.
        let mut i = input(sip_phone());
        i.aliases = vec![FlowAlias { alias_id: "CC101".into(), members: vec![] }];
        let r = evaluate(&i);
        assert_eq!(r.breaks_at, Some(NodeId::Login));
        assert!(r.node(NodeId::Login).is_some_and(|n| n.reason.contains("alias id")));
    }

    #[test]
    fn alias_members_with_other_passwords_are_a_warning() {
        let mut i = input(sip_phone());
        i.aliases = vec![FlowAlias {
            alias_id: "team1".into(),
            members: vec![
                AliasMember { login: "cc101".into(), exists: true, same_password: true },
                AliasMember { login: "cc102".into(), exists: true, same_password: false },
                AliasMember { login: "gone9".into(), exists: false, same_password: false },
            ],
        }];
        let r = evaluate(&i);
        assert_eq!(r.verdict, Verdict::Ready);
        let login = r.node(NodeId::Login).expect("login");
        assert_eq!(login.status, NodeStatus::Warning);
        assert!(login.reason.contains("cc102"), "{}", login.reason);
    }

    #[test]
    fn a_simulated_login_checks_what_was_typed() {
        let attempt_as = |login: &str, password: &str, may_name_registration_password: bool| {
            let mut i = input(sip_phone());
            i.attempt =
                Some(LoginAttempt { login: login.into(), password: password.into(), may_name_registration_password });
            i.aliases = vec![FlowAlias {
                alias_id: "team1".into(),
                members: vec![AliasMember { login: "cc101".into(), exists: true, same_password: true }],
            }];
            evaluate(&i)
        };
        let attempt = |login: &str, password: &str| attempt_as(login, password, true);
        let ok = attempt("CC101", "loginpw1");
        assert_eq!((ok.verdict, ok.simulated), (Verdict::Ready, true));
        let alias = attempt("team1", "loginpw1");
        assert_eq!(alias.verdict, Verdict::Ready);
        assert!(alias
            .node(NodeId::Login)
            .is_some_and(|n| n.evidence.iter().any(|e| e.value.contains("team1 → cc101"))));
        let wrong = attempt("cc101", "nope");
        assert_eq!(wrong.breaks_at, Some(NodeId::Login));
        let reg = attempt("cc101", "Reg5ecretXYZ");
        assert!(reg.node(NodeId::Login).is_some_and(|n| n.reason.contains("registration password")));
        let other = attempt("cc999", "loginpw1");
        assert!(other.node(NodeId::Login).is_some_and(|n| n.reason.contains("not this phone's login")));
        // A user who may not reveal secrets is told only that the password is wrong.
        let reg_hidden = attempt_as("cc101", "Reg5ecretXYZ", false);
        let wrong_hidden = attempt_as("cc101", "nope", false);
        assert_eq!(reg_hidden.node(NodeId::Login), wrong_hidden.node(NodeId::Login));
        assert!(reg_hidden.node(NodeId::Login).is_some_and(|n| n.reason.starts_with("Wrong phone password")));
        for r in [ok, alias, wrong, reg, other, reg_hidden, wrong_hidden] {
            no_secret(&r, &["loginpw1", "Reg5ecretXYZ", "nope"]);
        }
    }

    #[test]
    fn conf_states_at_the_peer() {
        for (conf, expected) in [
            (PhoneConfState::Applied, NodeStatus::Ok),
            (PhoneConfState::Written, NodeStatus::Warning),
            (PhoneConfState::Pending, NodeStatus::Warning),
            (PhoneConfState::ReloadFailed("timeout".into()), NodeStatus::Fail),
            (PhoneConfState::NotGenerated, NodeStatus::Fail),
            (PhoneConfState::Refused("extension has ;".into()), NodeStatus::Fail),
        ] {
            let mut i = input(sip_phone());
            i.conf = conf.clone();
            assert_eq!(status(&evaluate(&i), NodeId::Peer), expected, "{conf:?}");
        }
    }

    #[test]
    fn peer_field_checks() {
        let mut i = input(FlowPhone { protocol: "PJSIP".into(), ..sip_phone() });
        assert_eq!(evaluate(&i).breaks_at, Some(NodeId::Peer));
        i.server.as_mut().expect("server").allowed_sip_stacks = SipStacks::SipAndPjsip;
        assert_eq!(evaluate(&i).breaks_at, None);

        let i = input(FlowPhone { extension: "cc-101".into(), ..sip_phone() });
        assert_eq!(evaluate(&i).breaks_at, Some(NodeId::Peer));
        let i = input(FlowPhone { conf_secret: "pa$$word".into(), ..sip_phone() });
        let r = evaluate(&i);
        assert!(r.node(NodeId::Peer).is_some_and(|n| n.reason.contains("strips")));
        no_secret(&r, &["pa$$word"]);
        let i = input(FlowPhone { conf_secret: "test".into(), ..sip_phone() });
        assert_eq!(status(&evaluate(&i), NodeId::Peer), NodeStatus::Warning);
    }

    #[test]
    fn a_sip_phone_on_a_pjsip_only_server_fails_at_the_peer() {
        let mut i = input(sip_phone());
        i.server.as_mut().expect("server").allowed_sip_stacks = SipStacks::Pjsip;
        let r = evaluate(&i);
        assert_eq!((r.breaks_at, r.verdict), (Some(NodeId::Peer), Verdict::WillHearSilence));
        let peer = r.node(NodeId::Peer).expect("peer node");
        assert!(peer.reason.contains("does not run SIP phones (it allows PJSIP only)"), "{}", peer.reason);
        assert!(peer.fix.as_deref().is_some_and(|f| f.contains("make the phone PJSIP")), "{:?}", peer.fix);
        assert!(peer.evidence.iter().any(|e| e.label == "Server's SIP stacks" && e.value == "PJSIP"));
        i.server.as_mut().expect("server").allowed_sip_stacks = SipStacks::SipAndPjsip;
        assert_eq!(evaluate(&i).breaks_at, None);
    }

    /// The phone form (`wizard::check_entry`) refuses a phone on a server exactly when its login path
    /// fails at the peer for the server's SIP stacks: one rule, [`SipStacks::allows`].
    #[test]
    fn the_phone_form_and_the_login_path_agree_on_sip_stacks() {
        use crate::domain::phone_entry::{PhoneEntryInput, Rule};
        use crate::domain::wizard::check_entry;
        for protocol in Protocol::ALL {
            for stacks in SipStacks::ALL {
                let form = PhoneEntryInput {
                    protocol: protocol.as_str().into(),
                    server_ip: "10.10.10.15".into(),
                    ..PhoneEntryInput::default()
                };
                let form_refuses =
                    check_entry(&form, Some(stacks)).iter().any(|e| matches!(e.rule, Rule::SipStack { .. }));
                let mut i = input(FlowPhone { protocol: protocol.as_str().into(), ..sip_phone() });
                i.server.as_mut().expect("server").allowed_sip_stacks = stacks;
                let r = evaluate(&i);
                let peer = r.node(NodeId::Peer).expect("peer node");
                let flow_refuses =
                    peer.status == NodeStatus::Fail && peer.evidence.iter().any(|e| e.label == "Server's SIP stacks");
                assert_eq!(form_refuses, flow_refuses, "{protocol} on {stacks}");
                assert_eq!(form_refuses, !stacks.allows(protocol), "{protocol} on {stacks}");
            }
        }
    }

    #[test]
    fn webphone_settings() {
        let webrtc = "type=friend\nencryption=yes\nicesupport=yes\ndtlsenable=yes\ndtlssetup=actpass\nrtcp_mux=yes\ntransport=wss\n";
        let web = || FlowPhone {
            is_webphone: "Y".into(),
            template_id: "webrtc".into(),
            template: Some(webrtc.into()),
            ..sip_phone()
        };
        let mut i = input(web());
        i.server.as_mut().expect("server").web_socket_url = "wss://dialer.example.com:8089/ws".into();
        let r = evaluate(&i);
        assert_eq!((r.verdict, status(&r, NodeId::Webphone)), (Verdict::Ready, NodeStatus::Ok));
        assert_eq!(r.path()[3], NodeId::Webphone);

        let mut no_ws = i.clone();
        no_ws.server.as_mut().expect("server").web_socket_url.clear();
        assert_eq!(evaluate(&no_ws).breaks_at, Some(NodeId::Webphone));
        let mut plain_ws = i.clone();
        plain_ws.server.as_mut().expect("server").web_socket_url = "ws://dialer:8088/ws".into();
        assert_eq!(status(&evaluate(&plain_ws), NodeId::Webphone), NodeStatus::Warning);
        let mut no_mux = i.clone();
        no_mux.phone.template = Some(webrtc.replace("rtcp_mux=yes\n", "").to_string());
        let r = evaluate(&no_mux);
        assert!(r.node(NodeId::Webphone).is_some_and(|n| n.reason.contains("rtcp_mux")));
        let mut no_template = i.clone();
        no_template.phone.template = None;
        assert_eq!(evaluate(&no_template).breaks_at, Some(NodeId::Webphone));
        let mut manual = i.clone();
        manual.phone.webphone_auto_answer = false;
        assert_eq!(status(&evaluate(&manual), NodeId::Webphone), NodeStatus::Warning);
        let mut ext_ip = i;
        ext_ip.phone.use_external_server_ip = true;
        assert_eq!(evaluate(&ext_ip).breaks_at, Some(NodeId::Webphone));
    }

    #[test]
    fn a_public_contact_without_an_external_server_address_is_a_nat_warning() {
        let mut i = input(sip_phone());
        i.registration.contact = "sip:cc101@203.0.113.5:5060;transport=udp".into();
        let r = evaluate(&i);
        assert_eq!(status(&r, NodeId::Registration), NodeStatus::Warning);
        i.server.as_mut().expect("server").external_server_ip = "198.51.100.1".into();
        assert_eq!(status(&evaluate(&i), NodeId::Registration), NodeStatus::Ok);
        assert!(!is_public_ipv4("172.20.1.1") && !is_public_ipv4("100.64.0.1") && is_public_ipv4("8.8.8.8"));
    }

    #[test]
    fn external_phone_routed_by_an_active_carrier_is_ready() {
        let mut i = input(external_phone());
        i.registration = FlowRegistration::default();
        i.conf = PhoneConfState::NoPeer("EXTERNAL phones are dialed, not registered");
        i.carriers = vec![
            carrier("OLD", false, "exten => _91NXXNXXXXXX,1,Dial(SIP/old/${EXTEN:1},,tTo)"),
            carrier(
                "MAIN",
                true,
                "exten => _9011.,1,Dial(SIP/main/${EXTEN:1})\nexten => _91NXXNXXXXXX,1,Dial(SIP/main/${EXTEN:1},,tTo)",
            ),
        ];
        let r = evaluate(&i);
        assert_eq!((r.verdict, r.branch), (Verdict::Ready, Branch::DialsOut));
        assert_eq!(status(&r, NodeId::Registration), NodeStatus::Skipped);
        let trunk = r.node(NodeId::Trunk).expect("trunk");
        assert!(trunk.reason.contains("MAIN") && trunk.reason.contains("_91NXXNXXXXXX"), "{}", trunk.reason);
        assert_eq!(
            r.path(),
            [NodeId::Login, NodeId::Protocol, NodeId::DialplanNumber, NodeId::Trunk, NodeId::Answer, NodeId::Bridged]
        );
    }

    #[test]
    fn external_phone_that_no_active_carrier_matches_fails_at_the_trunk() {
        let mut i = input(FlowPhone { dialplan_number: "3125551234".into(), ..external_phone() });
        i.carriers = vec![carrier("MAIN", true, "exten => _91NXXNXXXXXX,1,Dial(SIP/main/${EXTEN:1})")];
        let r = evaluate(&i);
        assert_eq!((r.verdict, r.breaks_at), (Verdict::WillHearSilence, Some(NodeId::Trunk)));
        assert!(r.node(NodeId::Trunk).is_some_and(|n| n.evidence.iter().any(|e| e.value.contains("_91NXXNXXXXXX"))));
        // Only an inactive carrier matches.
        i.phone.dialplan_number = "913125551234".into();
        i.carriers[0].active = false;
        let r = evaluate(&i);
        assert!(r.node(NodeId::Trunk).is_some_and(|n| n.reason.contains("inactive carrier MAIN")));
        // No carrier at all.
        i.carriers.clear();
        assert!(evaluate(&i).node(NodeId::Trunk).is_some_and(|n| n.reason.contains("has no carrier")));
    }

    #[test]
    fn external_number_checks() {
        let mut i = input(FlowPhone { dialplan_number: "(312) 555-1234".into(), ..external_phone() });
        i.carriers = vec![carrier("MAIN", true, "exten => _X.,1,Dial(SIP/main/${EXTEN})")];
        assert_eq!(evaluate(&i).breaks_at, Some(NodeId::DialplanNumber));
        i.phone.dialplan_number = "5551".into();
        assert_eq!(status(&evaluate(&i), NodeId::DialplanNumber), NodeStatus::Warning);
    }

    #[test]
    fn answer_warnings_for_mobiles_and_on_hook_agents() {
        let mut i = input(FlowPhone { ring_timeout: 45, ..external_phone() });
        i.carriers = vec![carrier("MAIN", true, "exten => _91NXXNXXXXXX,1,Dial(SIP/main/${EXTEN:1})")];
        let r = evaluate(&i);
        assert_eq!((r.verdict, status(&r, NodeId::Answer)), (Verdict::Ready, NodeStatus::Warning));
        assert!(r.first_problem().is_some_and(|n| n.id == NodeId::Answer));
        let mut on_hook = input(FlowPhone { on_hook_agent: true, ..sip_phone() });
        on_hook.registration.peer_status = "REGISTERED".into();
        assert_eq!(status(&evaluate(&on_hook), NodeId::Bridged), NodeStatus::Warning);
    }

    #[test]
    fn phone_type_and_protocol_must_be_set_together() {
        let i = input(FlowPhone { phone_type: "external".into(), ..sip_phone() });
        assert_eq!(status(&evaluate(&i), NodeId::Protocol), NodeStatus::Warning);
        let mut i = input(FlowPhone { phone_type: "deskphone".into(), ..external_phone() });
        i.carriers = vec![carrier("MAIN", true, "exten => _91NXXNXXXXXX,1,Dial(SIP/main/${EXTEN:1})")];
        assert_eq!(status(&evaluate(&i), NodeId::Protocol), NodeStatus::Warning);
    }

    #[test]
    fn zap_and_unknown_protocols() {
        let r = evaluate(&input(FlowPhone { protocol: "Zap".into(), extension: "25-1".into(), ..sip_phone() }));
        assert_eq!((r.branch, r.verdict), (Branch::Other, Verdict::Unknown));
        let r = evaluate(&input(FlowPhone { protocol: "WEBRTC".into(), ..sip_phone() }));
        assert_eq!(r.breaks_at, Some(NodeId::Protocol));
    }

    #[test]
    fn the_layout_fits_390_pixels_and_marks_the_path() {
        let mut i = input(sip_phone());
        i.registration.peer_status = "UNREGISTERED".into();
        let r = evaluate(&i);
        let d = layout(&r);
        assert!(d.width <= 390, "{}", d.width);
        assert_eq!(d.nodes.len(), NodeId::ALL.len());
        let on: Vec<(NodeId, NodeId)> = d.arrows.iter().filter(|a| a.on_path).map(|a| (a.from, a.to)).collect();
        assert!(on.contains(&(NodeId::Registration, NodeId::Silence)));
        assert!(!on.contains(&(NodeId::Protocol, NodeId::DialplanNumber)));
        assert!(!on.contains(&(NodeId::Peer, NodeId::Webphone)), "the path does not run through the grey box");
        assert!(on.contains(&(NodeId::Peer, NodeId::Registration)), "it goes round it");
        // A break at the login draws its own arrow down to silence.
        let mut i = input(sip_phone());
        i.phone.active = false;
        let d = layout(&evaluate(&i));
        assert!(d.arrows.iter().any(|a| a.from == NodeId::Login && a.to == NodeId::Silence && a.on_path));
        for p in &d.nodes {
            assert!(p.x >= 0 && p.x + p.w <= d.width && p.y + p.h <= d.height, "{p:?}");
        }
    }

    /// Whether the segment `a`-`b` (horizontal or vertical) enters the box (left, top, right, bottom).
    fn crosses(a: (i32, i32), b: (i32, i32), (l, t, r, btm): (i32, i32, i32, i32)) -> bool {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        x0 < r && x1 > l && y0 < btm && y1 > t
    }

    /// Reports of every branch: SIP registered / unregistered / inactive, IAX2, a webphone, EXTERNAL
    /// ready and broken at the trunk.
    fn sample_reports() -> Vec<(&'static str, FlowReport)> {
        let mut unregistered = input(sip_phone());
        unregistered.registration.peer_status = "UNREGISTERED".into();
        let inactive = input(FlowPhone { active: false, ..sip_phone() });
        let iax = input(FlowPhone { protocol: "IAX2".into(), ..sip_phone() });
        let mut web = input(FlowPhone { is_webphone: "Y".into(), ..sip_phone() });
        web.server.as_mut().expect("server").web_socket_url = "wss://pbx.example:8089/ws".into();
        let mut ext = input(external_phone());
        ext.carriers = vec![carrier("MAIN", true, "exten => _91NXXNXXXXXX,1,Dial(SIP/main/${EXTEN:1})")];
        let ext_broken = input(external_phone());
        vec![
            ("sip", evaluate(&input(sip_phone()))),
            ("sip unregistered", evaluate(&unregistered)),
            ("sip inactive", evaluate(&inactive)),
            ("iax", evaluate(&iax)),
            ("webphone", evaluate(&web)),
            ("external", evaluate(&ext)),
            ("external no trunk", evaluate(&ext_broken)),
        ]
    }

    #[test]
    fn nothing_after_the_break_is_reached_and_the_fix_is_not_repeated_at_the_end() {
        let r = evaluate(&input(FlowPhone { active: false, ..sip_phone() }));
        assert_eq!(r.breaks_at, Some(NodeId::Login));
        assert_eq!(r.reached(), [NodeId::Login, NodeId::Silence]);
        assert_eq!(r.not_reached(), [NodeId::Protocol, NodeId::Peer, NodeId::Registration]);
        let d = layout(&r);
        let on: Vec<(NodeId, NodeId)> = d.arrows.iter().filter(|a| a.on_path).map(|a| (a.from, a.to)).collect();
        assert_eq!(on, [(NodeId::Login, NodeId::Silence)], "only the arrow to silence is taken");
        assert!(r.node(NodeId::Login).and_then(|n| n.fix.as_ref()).is_some());
        assert_eq!(r.node(NodeId::Silence).map(|n| n.fix.clone()), Some(None), "the fix is the failing node's");
        // Nothing breaks: everything on the path is reached.
        let ok = evaluate(&input(sip_phone()));
        assert_eq!((ok.reached(), ok.not_reached()), (ok.path(), vec![]));
    }

    #[test]
    fn labels_and_the_path_clear_every_line_and_grey_box() {
        for (name, r) in sample_reports() {
            let d = layout(&r);
            let segments: Vec<((i32, i32), (i32, i32))> =
                d.arrows.iter().flat_map(|a| a.points.windows(2).map(|w| (w[0], w[1]))).collect();
            for label in d.arrows.iter().filter_map(|a| a.label) {
                let b = label.bounds();
                assert!(b.0 >= 0 && b.2 <= d.width, "{name}: {label:?} inside the diagram");
                for (s, e) in &segments {
                    assert!(!crosses(*s, *e, b), "{name}: {label:?} overlaps the line {s:?}-{e:?}");
                }
                for p in &d.nodes {
                    assert!(
                        !crosses((b.0, b.1), (b.2, b.3), (p.x, p.y, p.x + p.w, p.y + p.h)),
                        "{name}: {label:?} on {p:?}"
                    );
                }
            }
            // The taken path never runs through a box it does not reach (a grey or skipped one).
            let reached = r.reached();
            for a in d.arrows.iter().filter(|a| a.on_path) {
                for p in d.nodes.iter().filter(|p| !reached.contains(&p.id)) {
                    for w in a.points.windows(2) {
                        assert!(
                            !crosses(w[0], w[1], (p.x + 1, p.y + 1, p.x + p.w - 1, p.y + p.h - 1)),
                            "{name}: {a:?} through {:?}",
                            p.id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn ago_words() {
        assert_eq!(ago(100, 95), "5 s ago");
        assert_eq!(ago(1000, 100), "15 min ago");
        assert_eq!(ago(100_000, 0), "1 day ago");
        assert_eq!(ago(900_000, 0), "10 days ago");
    }
}
