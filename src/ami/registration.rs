//! What Asterisk's manager says about peer registration, parsed into plain structs: the peer lists
//! (`SIPpeers`, `IAXpeerlist`, `PJSIPShowEndpoints`, `PJSIPShowContacts`), a `chan_sip` peer's
//! details (`SIPshowpeer`) and the events that change registration state (`PeerStatus`,
//! `ContactStatus`, the security events `InvalidPassword`, `ChallengeResponseFailed` and
//! `InvalidAccountID`, and reloads).
//!
//! Formats follow Asterisk's own code (`chan_sip.c` `_sip_show_peers_one`, `chan_iax2.c`
//! `_iax2_show_peers_one`, `res_pjsip` `ami_show_contacts`/`ami_show_endpoints`, the stasis
//! `PeerStatus`/`ContactStatus` events, `main/security_events.c`) and its AMI documentation.
//! Anything missing or malformed makes a parser return `None` (or a field `None`), never a panic.
//!
//! Protocol only: knows nothing of phones, storage or how the state is used.

use super::message::Message;

/// A channel technology whose peers register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Technology {
    /// `chan_sip` (`SIP/<peer>`).
    Sip,
    /// `chan_iax2` (`IAX2/<peer>`).
    Iax2,
    /// `res_pjsip` (`PJSIP/<endpoint>`).
    Pjsip,
}

impl Technology {
    /// Every technology.
    pub const ALL: [Technology; 3] = [Technology::Sip, Technology::Iax2, Technology::Pjsip];

    /// The technology of a `ChannelType` (`SIP`, `IAX2`, `IAX`, `PJSIP`; any case).
    pub fn from_channel_type(value: &str) -> Option<Technology> {
        match value.trim().to_ascii_uppercase().as_str() {
            "SIP" => Some(Technology::Sip),
            "IAX2" | "IAX" => Some(Technology::Iax2),
            "PJSIP" => Some(Technology::Pjsip),
            _ => None,
        }
    }

    /// The name Asterisk uses in channel names and `ChannelType` (`SIP`, `IAX2`, `PJSIP`); also
    /// VICIdial's `phones.protocol` value for it.
    pub fn name(self) -> &'static str {
        match self {
            Technology::Sip => "SIP",
            Technology::Iax2 => "IAX2",
            Technology::Pjsip => "PJSIP",
        }
    }
}

/// A list action whose answer is a series of events ending with a `...Complete` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListAction {
    /// `SIPpeers`: a `PeerEntry` per `chan_sip` peer, then `PeerlistComplete`.
    SipPeers,
    /// `IAXpeerlist`: a `PeerEntry` per IAX2 peer, then `PeerlistComplete`.
    IaxPeerList,
    /// `PJSIPShowEndpoints`: an `EndpointList` per endpoint, then `EndpointListComplete`.
    PjsipEndpoints,
    /// `PJSIPShowContacts`: a `ContactList` per contact, then `ContactListComplete`.
    PjsipContacts,
}

impl ListAction {
    /// Every list action, in the order a monitor loads them.
    pub const ALL: [ListAction; 4] =
        [ListAction::SipPeers, ListAction::PjsipEndpoints, ListAction::PjsipContacts, ListAction::IaxPeerList];

    /// The action's name (`Action:` value).
    pub fn action(self) -> &'static str {
        match self {
            ListAction::SipPeers => "SIPpeers",
            ListAction::IaxPeerList => "IAXpeerlist",
            ListAction::PjsipEndpoints => "PJSIPShowEndpoints",
            ListAction::PjsipContacts => "PJSIPShowContacts",
        }
    }

    /// The event carrying one list entry.
    pub fn item_event(self) -> &'static str {
        match self {
            ListAction::SipPeers | ListAction::IaxPeerList => "PeerEntry",
            ListAction::PjsipEndpoints => "EndpointList",
            ListAction::PjsipContacts => "ContactList",
        }
    }

    /// The event that ends the list.
    pub fn complete_event(self) -> &'static str {
        match self {
            ListAction::SipPeers | ListAction::IaxPeerList => "PeerlistComplete",
            ListAction::PjsipEndpoints => "EndpointListComplete",
            ListAction::PjsipContacts => "ContactListComplete",
        }
    }

    /// The technology whose peers it lists.
    pub fn technology(self) -> Technology {
        match self {
            ListAction::SipPeers => Technology::Sip,
            ListAction::IaxPeerList => Technology::Iax2,
            ListAction::PjsipEndpoints | ListAction::PjsipContacts => Technology::Pjsip,
        }
    }
}

/// How Asterisk answered a list action (its `Response`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListStart {
    /// `Response: Success`: the entries follow, then the complete event.
    Started,
    /// The list is empty and no events follow: `res_pjsip` answers `Response: Error` with `No
    /// Contacts found` / `No endpoints found` instead of an empty list.
    Empty,
    /// Asterisk does not know the action (`Invalid/unknown command`): the module (`chan_sip`,
    /// `res_pjsip`, `chan_iax2`) is not loaded, so it has no such peers at all.
    NotAvailable(String),
    /// Refused for another reason (e.g. `Permission denied`: the AMI user lacks the `system` write
    /// class). Nothing is known about these peers.
    Refused(String),
}

/// Classifies the `Response` to a list action.
pub fn classify_list_response(response: &Message) -> ListStart {
    let message = response.get("Message").unwrap_or_default().trim().to_string();
    match response.response() {
        Some(r) if r.eq_ignore_ascii_case("Success") => ListStart::Started,
        Some(r) if r.eq_ignore_ascii_case("Error") => {
            let lower = message.to_ascii_lowercase();
            if lower.starts_with("invalid/unknown command") {
                ListStart::NotAvailable(message)
            } else if lower == "no contacts found" || lower == "no endpoints found" {
                ListStart::Empty
            } else {
                ListStart::Refused(if message.is_empty() { "(no message)".to_string() } else { message })
            }
        }
        other => ListStart::Refused(format!("unexpected response {:?}", other.unwrap_or_default())),
    }
}

/// A qualify (`OPTIONS` ping) result as `SIPpeers` and `IAXpeerlist` print it in `Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualifyStatus {
    /// `OK (12 ms)`.
    Ok(i64),
    /// `LAGGED (950 ms)`.
    Lagged(i64),
    /// `UNREACHABLE`.
    Unreachable,
    /// `UNKNOWN`: qualify is on but has no result yet.
    Unknown,
    /// `Unmonitored`: qualify is off.
    Unmonitored,
}

impl QualifyStatus {
    /// Parses `OK (12 ms)`, `LAGGED (950 ms)`, `UNREACHABLE`, `UNKNOWN` or `Unmonitored` (any
    /// case); `None` for anything else.
    pub fn parse(value: &str) -> Option<QualifyStatus> {
        let lower = value.trim().to_ascii_lowercase();
        let ms = |rest: &str| -> Option<i64> {
            let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
            inner.trim().strip_suffix("ms")?.trim().parse().ok()
        };
        if let Some(rest) = lower.strip_prefix("ok") {
            return ms(rest).map(QualifyStatus::Ok);
        }
        if let Some(rest) = lower.strip_prefix("lagged") {
            return ms(rest).map(QualifyStatus::Lagged);
        }
        match lower.as_str() {
            "unreachable" => Some(QualifyStatus::Unreachable),
            "unknown" => Some(QualifyStatus::Unknown),
            "unmonitored" => Some(QualifyStatus::Unmonitored),
            _ => None,
        }
    }
}

/// One `PeerEntry` of `SIPpeers` or `IAXpeerlist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerEntry {
    /// SIP or IAX2.
    pub technology: Technology,
    /// `ObjectName`: the peer name (for VICIdial phones, the extension).
    pub name: String,
    /// Where the peer registered from, `ip:port` (`[v6]:port`); `None` when unregistered
    /// (`IPaddress: -none-`, `(null)`, `(Unspecified)`, empty or `0.0.0.0`).
    pub address: Option<String>,
    /// `Status`, when it has a known shape.
    pub status: Option<QualifyStatus>,
}

/// One `EndpointList` event of `PJSIPShowEndpoints`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointEntry {
    /// `ObjectName`: the endpoint name.
    pub name: String,
    /// `DeviceState` (e.g. `Unavailable`, `Not in use`), as sent.
    pub device_state: String,
}

/// A PJSIP contact's state (`Status` of `ContactList`, `ContactStatus` of the `ContactStatus` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactState {
    /// A new registration (`Created`).
    Created,
    /// A refreshed registration (`Updated`).
    Updated,
    /// The contact was removed: unregistered or expired (`Removed`).
    Removed,
    /// Answering qualify (`Reachable`).
    Reachable,
    /// Not answering qualify (`Unreachable`).
    Unreachable,
    /// Qualify is off (`NonQualified`, `Unqualified`).
    NonQualified,
    /// No qualify result (`Unknown`).
    Unknown,
}

impl ContactState {
    /// Parses a contact state (any case); `None` for anything else.
    pub fn parse(value: &str) -> Option<ContactState> {
        match value.trim().to_ascii_lowercase().as_str() {
            "created" => Some(ContactState::Created),
            "updated" => Some(ContactState::Updated),
            "removed" => Some(ContactState::Removed),
            "reachable" => Some(ContactState::Reachable),
            "unreachable" => Some(ContactState::Unreachable),
            "nonqualified" | "unqualified" => Some(ContactState::NonQualified),
            "unknown" => Some(ContactState::Unknown),
            _ => None,
        }
    }
}

/// One PJSIP contact, from a `ContactList` entry or a `ContactStatus` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The endpoint it belongs to (`Endpoint` / `EndpointName`; otherwise the AOR, which VICIdial's
    /// PJSIP wizard names after the endpoint).
    pub endpoint: String,
    /// `Uri` / `URI`, e.g. `sip:1001@203.0.113.5:5060`.
    pub uri: String,
    /// The state.
    pub state: ContactState,
    /// `RoundtripUsec` in microseconds (`None` for `N/A` or absent).
    pub roundtrip_usec: Option<i64>,
    /// `UserAgent`, when present and not empty.
    pub user_agent: Option<String>,
}

/// An entry of one of the lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListItem {
    /// `PeerEntry`.
    Peer(PeerEntry),
    /// `EndpointList`.
    Endpoint(EndpointEntry),
    /// `ContactList`.
    Contact(Contact),
}

/// Parses an entry event of `action`'s list; `None` when it is not one (another event, or a
/// required header is missing).
pub fn parse_list_item(action: ListAction, event: &Message) -> Option<ListItem> {
    if !event.event()?.eq_ignore_ascii_case(action.item_event()) {
        return None;
    }
    match action {
        ListAction::SipPeers | ListAction::IaxPeerList => {
            let technology = event.get("Channeltype").and_then(Technology::from_channel_type)?;
            let name = non_empty(event.get("ObjectName"))?;
            let port = event.get("IPport").or_else(|| event.get("Port"));
            Some(ListItem::Peer(PeerEntry {
                technology,
                name,
                address: join_address(event.get("IPaddress"), port),
                status: event.get("Status").and_then(QualifyStatus::parse),
            }))
        }
        ListAction::PjsipEndpoints => Some(ListItem::Endpoint(EndpointEntry {
            name: non_empty(event.get("ObjectName"))?,
            device_state: event.get("DeviceState").unwrap_or_default().to_string(),
        })),
        ListAction::PjsipContacts => {
            let uri = non_empty(event.get("Uri"))?;
            let endpoint =
                non_empty(event.get("Endpoint")).or_else(|| event.get("ObjectName").and_then(aor_of_contact_id))?;
            Some(ListItem::Contact(Contact {
                endpoint,
                uri,
                state: event.get("Status").and_then(ContactState::parse).unwrap_or(ContactState::Unknown),
                roundtrip_usec: event.get("RoundtripUsec").and_then(parse_int),
                user_agent: non_empty(event.get("UserAgent")),
            }))
        }
    }
}

/// What `SIPshowpeer` tells about one `chan_sip` peer beyond its `PeerEntry`: the device's
/// `User-Agent` and the full contact it registered (`chan_sip.c` `_sip_show_peer`, manager form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipPeerDetail {
    /// `ObjectName`: the peer name.
    pub name: String,
    /// `SIP-Useragent`, when not empty.
    pub user_agent: Option<String>,
    /// `Reg-Contact` (older `chan_sip` writes `Reg-Contact :`), when not empty.
    pub reg_contact: Option<String>,
}

/// How Asterisk answered `SIPshowpeer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SipShowPeer {
    /// `Response: Success` with the peer's details.
    Found(SipPeerDetail),
    /// `Response: Error`, `Message: Peer <name> not found.` (or `Peer: <name> not found`): the peer
    /// went away meanwhile.
    NotFound,
    /// The action is unknown (`chan_sip` is not loaded) or refused: asking again is pointless.
    Unavailable(String),
}

/// Parses the answer to `SIPshowpeer` (one response message, not an event list).
pub fn parse_sip_show_peer(response: &Message) -> SipShowPeer {
    let message = response.get("Message").unwrap_or_default().trim().to_string();
    match response.response() {
        Some(r) if r.eq_ignore_ascii_case("Success") => match non_empty(response.get("ObjectName")) {
            Some(name) => SipShowPeer::Found(SipPeerDetail {
                name,
                user_agent: non_empty(response.get("SIP-Useragent")),
                reg_contact: non_empty(response.get("Reg-Contact")),
            }),
            None => SipShowPeer::NotFound,
        },
        Some(r) if r.eq_ignore_ascii_case("Error") => {
            let lower = message.to_ascii_lowercase();
            if lower.contains("not found") {
                SipShowPeer::NotFound
            } else {
                SipShowPeer::Unavailable(if message.is_empty() { "(no message)".to_string() } else { message })
            }
        }
        other => SipShowPeer::Unavailable(format!("unexpected response {:?}", other.unwrap_or_default())),
    }
}

/// A peer's new state from a `PeerStatus` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerState {
    /// `Registered`.
    Registered,
    /// `Unregistered` (also expired).
    Unregistered,
    /// `Reachable`.
    Reachable,
    /// `Lagged`.
    Lagged,
    /// `Unreachable`.
    Unreachable,
    /// `Rejected`: a registration attempt was refused.
    Rejected,
    /// `Unknown`.
    Unknown,
}

impl PeerState {
    /// Parses a `PeerStatus` value (any case); `None` for anything else.
    pub fn parse(value: &str) -> Option<PeerState> {
        match value.trim().to_ascii_lowercase().as_str() {
            "registered" => Some(PeerState::Registered),
            "unregistered" => Some(PeerState::Unregistered),
            "reachable" => Some(PeerState::Reachable),
            "lagged" => Some(PeerState::Lagged),
            "unreachable" => Some(PeerState::Unreachable),
            "rejected" => Some(PeerState::Rejected),
            "unknown" => Some(PeerState::Unknown),
            _ => None,
        }
    }
}

/// A `PeerStatus` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStatusEvent {
    /// `ChannelType`.
    pub technology: Technology,
    /// The peer name, without the `SIP/` prefix of `Peer`.
    pub peer: String,
    /// `PeerStatus`.
    pub state: PeerState,
    /// `Address` (with `Port` when sent apart, as IAX2 does): `ip:port`.
    pub address: Option<String>,
    /// `Time`: the qualify round trip in milliseconds (`None` when absent or negative).
    pub time_ms: Option<i64>,
    /// `Cause` (e.g. `Expired`, `AUTH_SECRET_FAILED`), when sent.
    pub cause: Option<String>,
}

/// Which security event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityKind {
    /// `InvalidPassword`: a known account, the wrong password.
    InvalidPassword,
    /// `ChallengeResponseFailed`: the digest answer did not match (a wrong password).
    ChallengeResponseFailed,
    /// `InvalidAccountID`: Asterisk has no account (peer) with that name.
    InvalidAccountId,
}

/// A security event from a channel driver (`Service` `SIP`, `PJSIP` or `IAX2`; events of other
/// services, such as the AMI's own logins, are not parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    /// Which event.
    pub kind: SecurityKind,
    /// `Service`.
    pub technology: Technology,
    /// `AccountID`: the user name the device sent.
    pub account_id: String,
    /// The IP address of `RemoteAddress` (`IPV4/UDP/203.0.113.5/5060` gives `203.0.113.5`).
    pub remote_ip: Option<String>,
}

/// An event the registration monitor follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationEvent {
    /// `PeerStatus`.
    Peer(PeerStatusEvent),
    /// `ContactStatus` (PJSIP).
    Contact(Contact),
    /// A security event.
    Security(SecurityEvent),
    /// A reload that may have changed the peers: `Reload` (with `Module` naming a channel driver, or
    /// `All`) or `chan_sip`'s `ChannelReload`. `None`: every technology.
    Reloaded(Option<Technology>),
}

/// Parses an event the registration monitor follows; `None` for every other message (answers,
/// other events, and events missing a required header).
pub fn parse_event(event: &Message) -> Option<RegistrationEvent> {
    let name = event.event()?;
    if name.eq_ignore_ascii_case("PeerStatus") {
        let technology = event.get("ChannelType").and_then(Technology::from_channel_type)?;
        let raw_peer = event.get("Peer")?.trim();
        let peer = match raw_peer.split_once('/') {
            Some((_, rest)) => rest.to_string(),
            None => raw_peer.to_string(),
        };
        if peer.is_empty() {
            return None;
        }
        return Some(RegistrationEvent::Peer(PeerStatusEvent {
            technology,
            peer,
            state: event.get("PeerStatus").and_then(PeerState::parse)?,
            address: join_address(event.get("Address"), event.get("Port")),
            time_ms: event.get("Time").and_then(parse_int).filter(|t| *t >= 0),
            cause: non_empty(event.get("Cause")),
        }));
    }
    if name.eq_ignore_ascii_case("ContactStatus") {
        let uri = non_empty(event.get("URI"))?;
        let endpoint = non_empty(event.get("EndpointName")).or_else(|| non_empty(event.get("AOR")))?;
        return Some(RegistrationEvent::Contact(Contact {
            endpoint,
            uri,
            state: event.get("ContactStatus").and_then(ContactState::parse)?,
            roundtrip_usec: event.get("RoundtripUsec").and_then(parse_int),
            user_agent: non_empty(event.get("UserAgent")),
        }));
    }
    let kind = if name.eq_ignore_ascii_case("InvalidPassword") {
        Some(SecurityKind::InvalidPassword)
    } else if name.eq_ignore_ascii_case("ChallengeResponseFailed") {
        Some(SecurityKind::ChallengeResponseFailed)
    } else if name.eq_ignore_ascii_case("InvalidAccountID") {
        Some(SecurityKind::InvalidAccountId)
    } else {
        None
    };
    if let Some(kind) = kind {
        return Some(RegistrationEvent::Security(SecurityEvent {
            kind,
            technology: event.get("Service").and_then(Technology::from_channel_type)?,
            account_id: non_empty(event.get("AccountID"))?,
            remote_ip: event.get("RemoteAddress").and_then(remote_ip),
        }));
    }
    if name.eq_ignore_ascii_case("Reload") {
        let module = event.get("Module").unwrap_or_default().trim().to_ascii_lowercase();
        let module = module.strip_suffix(".so").unwrap_or(&module);
        return match module {
            "all" => Some(RegistrationEvent::Reloaded(None)),
            "chan_sip" => Some(RegistrationEvent::Reloaded(Some(Technology::Sip))),
            "chan_iax2" => Some(RegistrationEvent::Reloaded(Some(Technology::Iax2))),
            m if m.starts_with("res_pjsip") => Some(RegistrationEvent::Reloaded(Some(Technology::Pjsip))),
            _ => None,
        };
    }
    if name.eq_ignore_ascii_case("ChannelReload") {
        return event
            .get("ChannelType")
            .and_then(Technology::from_channel_type)
            .map(|t| RegistrationEvent::Reloaded(Some(t)));
    }
    None
}

/// The IP address in a security event's `RemoteAddress` (`IPV4/UDP/203.0.113.5/5060`,
/// `IPV6/TCP/2001:db8::5/5061`).
pub fn remote_ip(value: &str) -> Option<String> {
    let mut parts = value.trim().splitn(4, '/');
    let family = parts.next()?;
    if !family.to_ascii_uppercase().starts_with("IPV") {
        return None;
    }
    let _transport = parts.next()?;
    let ip = parts.next()?.trim();
    (!ip.is_empty()).then(|| ip.to_string())
}

/// The AOR of a PJSIP contact's sorcery id (`1001;@a1b2c3`, older `1001@@a1b2c3`).
fn aor_of_contact_id(id: &str) -> Option<String> {
    let id = id.trim();
    let aor = id.split(";@").next().and_then(|s| s.split("@@").next()).unwrap_or(id);
    (!aor.is_empty() && aor != id).then(|| aor.to_string())
}

/// An address and an optional separate port as `ip:port`; `None` for the placeholders Asterisk
/// prints for "no address".
fn join_address(address: Option<&str>, port: Option<&str>) -> Option<String> {
    let address = address?.trim();
    let placeholder = ["", "-none-", "(null)", "(unspecified)", "0.0.0.0", "[::]", "::"];
    if placeholder.iter().any(|p| address.eq_ignore_ascii_case(p)) {
        return None;
    }
    let port = port.map(str::trim).filter(|p| !p.is_empty() && *p != "0" && !p.eq_ignore_ascii_case("(null)"));
    let has_port = if address.starts_with('[') { address.contains("]:") } else { address.matches(':').count() == 1 };
    match port {
        Some(port) if !has_port => {
            if address.contains(':') && !address.starts_with('[') {
                Some(format!("[{address}]:{port}"))
            } else {
                Some(format!("{address}:{port}"))
            }
        }
        _ => Some(address.to_string()),
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

fn parse_int(value: &str) -> Option<i64> {
    value.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(headers: &[(&str, &str)]) -> Message {
        headers.iter().fold(Message::new(), |m, (k, v)| m.with_header(*k, *v))
    }

    /// A `PeerEntry` exactly as `chan_sip` (Asterisk 13-18) writes it.
    fn sip_entry(name: &str, ip: &str, port: &str, status: &str) -> Message {
        msg(&[
            ("Event", "PeerEntry"),
            ("ActionID", "a1"),
            ("Channeltype", "SIP"),
            ("ObjectName", name),
            ("ChanObjectType", "peer"),
            ("IPaddress", ip),
            ("IPport", port),
            ("Dynamic", "yes"),
            ("AutoForcerport", "no"),
            ("Forcerport", "yes"),
            ("AutoComedia", "no"),
            ("Comedia", "yes"),
            ("VideoSupport", "no"),
            ("TextSupport", "no"),
            ("ACL", "no"),
            ("Status", status),
            ("RealtimeDevice", "no"),
            ("Description", ""),
            ("Accountcode", ""),
        ])
    }

    #[test]
    fn sip_peer_entries() {
        let item = parse_list_item(ListAction::SipPeers, &sip_entry("1001", "203.0.113.5", "5062", "OK (23 ms)"));
        assert_eq!(
            item,
            Some(ListItem::Peer(PeerEntry {
                technology: Technology::Sip,
                name: "1001".into(),
                address: Some("203.0.113.5:5062".into()),
                status: Some(QualifyStatus::Ok(23)),
            }))
        );
        let Some(ListItem::Peer(p)) =
            parse_list_item(ListAction::SipPeers, &sip_entry("1002", "-none-", "0", "UNKNOWN"))
        else {
            panic!("a peer entry");
        };
        assert_eq!((p.address, p.status), (None, Some(QualifyStatus::Unknown)));
        assert_eq!(parse_list_item(ListAction::SipPeers, &sip_entry("", "-none-", "0", "UNKNOWN")), None);
        let other = msg(&[("Event", "PeerlistComplete"), ("EventList", "Complete"), ("ListItems", "2")]);
        assert_eq!(parse_list_item(ListAction::SipPeers, &other), None);
    }

    #[test]
    fn iax_peer_entries_have_a_separate_port() {
        let e = msg(&[
            ("Event", "PeerEntry"),
            ("Channeltype", "IAX"),
            ("ObjectName", "2001"),
            ("ChanObjectType", "peer"),
            ("IPaddress", "198.51.100.7"),
            ("Mask", "255.255.255.255"),
            ("Port", "4569"),
            ("Dynamic", "yes"),
            ("Trunk", "no"),
            ("Encryption", "no"),
            ("Status", "LAGGED (1200 ms)"),
        ]);
        let Some(ListItem::Peer(p)) = parse_list_item(ListAction::IaxPeerList, &e) else { panic!("peer") };
        assert_eq!(p.technology, Technology::Iax2);
        assert_eq!(p.address.as_deref(), Some("198.51.100.7:4569"));
        assert_eq!(p.status, Some(QualifyStatus::Lagged(1200)));
        let unregistered = msg(&[
            ("Event", "PeerEntry"),
            ("Channeltype", "IAX"),
            ("ObjectName", "2002"),
            ("IPaddress", "(null)"),
            ("Port", "0"),
            ("Status", "Unmonitored"),
        ]);
        let Some(ListItem::Peer(p)) = parse_list_item(ListAction::IaxPeerList, &unregistered) else { panic!("peer") };
        assert_eq!((p.address, p.status), (None, Some(QualifyStatus::Unmonitored)));
    }

    #[test]
    fn qualify_status_shapes() {
        assert_eq!(QualifyStatus::parse("OK (1 ms)"), Some(QualifyStatus::Ok(1)));
        assert_eq!(QualifyStatus::parse(" lagged (2001 ms) "), Some(QualifyStatus::Lagged(2001)));
        assert_eq!(QualifyStatus::parse("UNREACHABLE"), Some(QualifyStatus::Unreachable));
        assert_eq!(QualifyStatus::parse("Unmonitored"), Some(QualifyStatus::Unmonitored));
        for bad in ["OK", "OK (x ms)", "OK 12 ms", "", "LAGGED ()", "fine"] {
            assert_eq!(QualifyStatus::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pjsip_endpoints_and_contacts() {
        let ep = msg(&[
            ("Event", "EndpointList"),
            ("ObjectType", "endpoint"),
            ("ObjectName", "3001"),
            ("Transport", ""),
            ("Aor", "3001"),
            ("Auths", "3001"),
            ("OutboundAuths", ""),
            ("DeviceState", "Unavailable"),
            ("ActiveChannels", ""),
        ]);
        assert_eq!(
            parse_list_item(ListAction::PjsipEndpoints, &ep),
            Some(ListItem::Endpoint(EndpointEntry { name: "3001".into(), device_state: "Unavailable".into() }))
        );
        let contact = msg(&[
            ("Event", "ContactList"),
            ("ObjectType", "contact"),
            ("ObjectName", "3001;@9b0c6d3e4f"),
            ("ViaAddr", "203.0.113.9"),
            ("ViaPort", "5060"),
            ("QualifyTimeout", "3.000000"),
            ("CallId", "abc"),
            ("RegServer", ""),
            ("PruneOnBoot", "no"),
            ("Path", ""),
            ("Endpoint", "3001"),
            ("AuthenticateQualify", "false"),
            ("Uri", "sip:3001@203.0.113.9:5060;ob"),
            ("QualifyFrequency", "60"),
            ("UserAgent", "Zoiper rv2.10"),
            ("ExpirationTime", "1733050000"),
            ("OutboundProxy", ""),
            ("Status", "Reachable"),
            ("RoundtripUsec", "15321"),
        ]);
        assert_eq!(
            parse_list_item(ListAction::PjsipContacts, &contact),
            Some(ListItem::Contact(Contact {
                endpoint: "3001".into(),
                uri: "sip:3001@203.0.113.9:5060;ob".into(),
                state: ContactState::Reachable,
                roundtrip_usec: Some(15321),
                user_agent: Some("Zoiper rv2.10".into()),
            }))
        );
        // Older versions: no Endpoint header, RoundtripUsec N/A; the AOR comes from the id.
        let old = msg(&[
            ("Event", "ContactList"),
            ("ObjectName", "3002@@a88df67525"),
            ("Uri", "sip:3002@192.0.2.1:5060"),
            ("Status", "NonQualified"),
            ("RoundtripUsec", "N/A"),
        ]);
        let Some(ListItem::Contact(c)) = parse_list_item(ListAction::PjsipContacts, &old) else { panic!("contact") };
        assert_eq!((c.endpoint.as_str(), c.state, c.roundtrip_usec), ("3002", ContactState::NonQualified, None));
        assert_eq!(c.user_agent, None);
    }

    #[test]
    fn list_responses() {
        let ok = msg(&[
            ("Response", "Success"),
            ("ActionID", "1"),
            ("EventList", "start"),
            ("Message", "Peer status list will follow"),
        ]);
        assert_eq!(classify_list_response(&ok), ListStart::Started);
        let unknown = msg(&[
            ("Response", "Error"),
            ("Message", "Invalid/unknown command: SIPpeers. Use Action: ListCommands to show available commands."),
        ]);
        assert!(matches!(classify_list_response(&unknown), ListStart::NotAvailable(_)));
        let none = msg(&[("Response", "Error"), ("Message", "No Contacts found")]);
        assert_eq!(classify_list_response(&none), ListStart::Empty);
        let denied = msg(&[("Response", "Error"), ("Message", "Permission denied")]);
        assert_eq!(classify_list_response(&denied), ListStart::Refused("Permission denied".into()));
        assert!(matches!(classify_list_response(&msg(&[("Response", "Goodbye")])), ListStart::Refused(_)));
    }

    #[test]
    fn peer_status_events() {
        let registered = msg(&[
            ("Event", "PeerStatus"),
            ("Privilege", "system,all"),
            ("ChannelType", "SIP"),
            ("Peer", "SIP/1001"),
            ("PeerStatus", "Registered"),
            ("Address", "203.0.113.5:5060"),
        ]);
        assert_eq!(
            parse_event(&registered),
            Some(RegistrationEvent::Peer(PeerStatusEvent {
                technology: Technology::Sip,
                peer: "1001".into(),
                state: PeerState::Registered,
                address: Some("203.0.113.5:5060".into()),
                time_ms: None,
                cause: None,
            }))
        );
        let iax = msg(&[
            ("Event", "PeerStatus"),
            ("ChannelType", "IAX2"),
            ("Peer", "IAX2/2001"),
            ("PeerStatus", "Registered"),
            ("Address", "198.51.100.7"),
            ("Port", "4569"),
        ]);
        let Some(RegistrationEvent::Peer(p)) = parse_event(&iax) else { panic!("peer") };
        assert_eq!(p.address.as_deref(), Some("198.51.100.7:4569"));
        let v6 = msg(&[
            ("Event", "PeerStatus"),
            ("ChannelType", "IAX2"),
            ("Peer", "IAX2/2001"),
            ("PeerStatus", "Registered"),
            ("Address", "2001:db8::7"),
            ("Port", "4569"),
        ]);
        let Some(RegistrationEvent::Peer(p)) = parse_event(&v6) else { panic!("peer") };
        assert_eq!(p.address.as_deref(), Some("[2001:db8::7]:4569"));
        let reachable = msg(&[
            ("Event", "PeerStatus"),
            ("ChannelType", "SIP"),
            ("Peer", "SIP/1001"),
            ("PeerStatus", "Reachable"),
            ("Time", "42"),
        ]);
        let Some(RegistrationEvent::Peer(p)) = parse_event(&reachable) else { panic!("peer") };
        assert_eq!((p.state, p.time_ms), (PeerState::Reachable, Some(42)));
        let unreachable = msg(&[
            ("Event", "PeerStatus"),
            ("ChannelType", "SIP"),
            ("Peer", "SIP/1001"),
            ("PeerStatus", "Unreachable"),
            ("Time", "-1"),
        ]);
        let Some(RegistrationEvent::Peer(p)) = parse_event(&unreachable) else { panic!("peer") };
        assert_eq!((p.state, p.time_ms), (PeerState::Unreachable, None));
        let rejected = msg(&[
            ("Event", "PeerStatus"),
            ("ChannelType", "SIP"),
            ("Peer", "SIP/1001"),
            ("PeerStatus", "Rejected"),
            ("Cause", "AUTH_SECRET_FAILED"),
        ]);
        let Some(RegistrationEvent::Peer(p)) = parse_event(&rejected) else { panic!("peer") };
        assert_eq!((p.state, p.cause.as_deref()), (PeerState::Rejected, Some("AUTH_SECRET_FAILED")));
        // Unknown technology, status or missing peer: not parsed.
        for bad in [
            msg(&[
                ("Event", "PeerStatus"),
                ("ChannelType", "DAHDI"),
                ("Peer", "DAHDI/1"),
                ("PeerStatus", "Registered"),
            ]),
            msg(&[("Event", "PeerStatus"), ("ChannelType", "SIP"), ("Peer", "SIP/1"), ("PeerStatus", "Sleeping")]),
            msg(&[("Event", "PeerStatus"), ("ChannelType", "SIP"), ("Peer", "SIP/"), ("PeerStatus", "Registered")]),
            msg(&[("Event", "PeerStatus"), ("ChannelType", "SIP"), ("PeerStatus", "Registered")]),
        ] {
            assert_eq!(parse_event(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn contact_status_events() {
        let e = msg(&[
            ("Event", "ContactStatus"),
            ("Privilege", "system,all"),
            ("URI", "sip:3001@203.0.113.9:5060"),
            ("ContactStatus", "Created"),
            ("AOR", "3001"),
            ("EndpointName", "3001"),
            ("RoundtripUsec", "0"),
            ("UserAgent", "Linphone/5.2"),
        ]);
        assert_eq!(
            parse_event(&e),
            Some(RegistrationEvent::Contact(Contact {
                endpoint: "3001".into(),
                uri: "sip:3001@203.0.113.9:5060".into(),
                state: ContactState::Created,
                roundtrip_usec: Some(0),
                user_agent: Some("Linphone/5.2".into()),
            }))
        );
        let no_endpoint = msg(&[
            ("Event", "ContactStatus"),
            ("URI", "sip:3001@203.0.113.9:5060"),
            ("ContactStatus", "Removed"),
            ("AOR", "3001"),
        ]);
        let Some(RegistrationEvent::Contact(c)) = parse_event(&no_endpoint) else { panic!("contact") };
        assert_eq!((c.endpoint.as_str(), c.state), ("3001", ContactState::Removed));
    }

    #[test]
    fn security_events() {
        let e = msg(&[
            ("Event", "InvalidPassword"),
            ("Privilege", "security,all"),
            ("EventTV", "2026-12-01T10:00:00.000+0000"),
            ("Severity", "Error"),
            ("Service", "SIP"),
            ("EventVersion", "2"),
            ("AccountID", "1001"),
            ("SessionID", "0x7f"),
            ("LocalAddress", "IPV4/UDP/10.10.10.15/5060"),
            ("RemoteAddress", "IPV4/UDP/203.0.113.5/5060"),
        ]);
        assert_eq!(
            parse_event(&e),
            Some(RegistrationEvent::Security(SecurityEvent {
                kind: SecurityKind::InvalidPassword,
                technology: Technology::Sip,
                account_id: "1001".into(),
                remote_ip: Some("203.0.113.5".into()),
            }))
        );
        let ami_login = msg(&[
            ("Event", "InvalidPassword"),
            ("Service", "AMI"),
            ("AccountID", "cron"),
            ("RemoteAddress", "IPV4/TCP/127.0.0.1/40000"),
        ]);
        assert_eq!(parse_event(&ami_login), None, "the AMI's own logins are not phones");
        let unknown = msg(&[
            ("Event", "InvalidAccountID"),
            ("Service", "PJSIP"),
            ("AccountID", "agent7"),
            ("RemoteAddress", "IPV6/TCP/2001:db8::5/5061"),
        ]);
        let Some(RegistrationEvent::Security(s)) = parse_event(&unknown) else { panic!("security") };
        assert_eq!((s.kind, s.technology), (SecurityKind::InvalidAccountId, Technology::Pjsip));
        assert_eq!(s.remote_ip.as_deref(), Some("2001:db8::5"));
        assert_eq!(remote_ip("garbage"), None);
        assert_eq!(remote_ip("IPV4/UDP//5060"), None);
    }

    #[test]
    fn reload_events() {
        let reload = |module: &str| parse_event(&msg(&[("Event", "Reload"), ("Module", module), ("Status", "0")]));
        assert_eq!(reload("chan_sip.so"), Some(RegistrationEvent::Reloaded(Some(Technology::Sip))));
        assert_eq!(reload("res_pjsip.so"), Some(RegistrationEvent::Reloaded(Some(Technology::Pjsip))));
        assert_eq!(reload("All"), Some(RegistrationEvent::Reloaded(None)));
        assert_eq!(reload("pbx_config.so"), None);
        let channel = msg(&[("Event", "ChannelReload"), ("ChannelType", "SIP"), ("ReloadReason", "CLIRELOAD")]);
        assert_eq!(parse_event(&channel), Some(RegistrationEvent::Reloaded(Some(Technology::Sip))));
        assert_eq!(parse_event(&msg(&[("Event", "FullyBooted"), ("Status", "Fully Booted")])), None);
        assert_eq!(parse_event(&msg(&[("Response", "Success")])), None);
    }

    #[test]
    fn sip_show_peer_answers() {
        // The manager form of chan_sip's `_sip_show_peer` (abridged: the fields around the ones read).
        let found = msg(&[
            ("Response", "Success"),
            ("ActionID", "a9"),
            ("Channeltype", "SIP"),
            ("ObjectName", "1001"),
            ("ChanObjectType", "peer"),
            ("SecretExist", "Y"),
            ("Dynamic", "Y"),
            ("Address-IP", "203.0.113.5"),
            ("Address-Port", "5062"),
            ("Default-Username", "1001"),
            ("Codecs", "(ulaw|alaw)"),
            ("Status", "OK (23 ms)"),
            ("SIP-Useragent", "Zoiper rv2.10.20"),
            ("Reg-Contact", "sip:1001@203.0.113.5:5062;ob"),
            ("QualifyFreq", "60000 ms"),
        ]);
        assert_eq!(
            parse_sip_show_peer(&found),
            SipShowPeer::Found(SipPeerDetail {
                name: "1001".into(),
                user_agent: Some("Zoiper rv2.10.20".into()),
                reg_contact: Some("sip:1001@203.0.113.5:5062;ob".into()),
            })
        );
        let unregistered =
            msg(&[("Response", "Success"), ("ObjectName", "1002"), ("SIP-Useragent", ""), ("Reg-Contact", "")]);
        assert_eq!(
            parse_sip_show_peer(&unregistered),
            SipShowPeer::Found(SipPeerDetail { name: "1002".into(), user_agent: None, reg_contact: None })
        );
        let gone = msg(&[("Response", "Error"), ("ActionID", "a9"), ("Message", "Peer not found")]);
        assert_eq!(parse_sip_show_peer(&gone), SipShowPeer::NotFound);
        let unknown = msg(&[("Response", "Error"), ("Message", "Invalid/unknown command: SIPshowpeer.")]);
        assert!(
            matches!(parse_sip_show_peer(&unknown), SipShowPeer::Unavailable(m) if m.starts_with("Invalid/unknown"))
        );
        let denied = msg(&[("Response", "Error"), ("Message", "Permission denied")]);
        assert_eq!(parse_sip_show_peer(&denied), SipShowPeer::Unavailable("Permission denied".into()));
    }
}
