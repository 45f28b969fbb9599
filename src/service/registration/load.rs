//! Loading a server's peer lists over a live event session: which list actions are in flight, their
//! entries as they arrive, and the events that arrive meanwhile, so that the list and the events
//! are applied in the order Asterisk produced them. Pure: the session sends the actions and feeds
//! the messages in; finished loads come out as [`Snapshot`]s plus the events to apply after them.

use std::collections::{HashMap, HashSet};

use crate::ami::registration::{
    classify_list_response, parse_list_item, Contact, ContactState, ListAction, ListItem, ListStart, PeerEntry,
    QualifyStatus, RegistrationEvent, Technology,
};
use crate::ami::Message;
use crate::domain::registration::PeerStatus;

use super::apply::{usec_to_ms, Observed, Unlisted};

/// Everything one technology's lists said, ready to apply to that technology's phones on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Whose phones it covers.
    pub technology: Technology,
    /// Each listed peer's state, by lower-cased name.
    pub observed: HashMap<String, Observed>,
    /// What not being listed means.
    pub unlisted: Unlisted,
    /// Entries listed (for the log).
    pub entries: usize,
}

/// How one list action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ListResult {
    /// Entries so far; `done` once the complete event arrived.
    Items { items: Vec<ListItem>, done: bool },
    /// Empty without a list (`No Contacts found`).
    Empty,
    /// The module is not loaded.
    NotAvailable,
    /// Refused (e.g. permission); nothing learnt.
    Refused(String),
}

impl ListResult {
    fn done(&self) -> bool {
        !matches!(self, ListResult::Items { done: false, .. })
    }

    fn items(&self) -> &[ListItem] {
        match self {
            ListResult::Items { items, .. } => items,
            _ => &[],
        }
    }
}

/// An event that arrived while its technology's lists were loading.
#[derive(Debug, Clone)]
struct Held {
    event: RegistrationEvent,
    /// The lower-cased peer name it is about.
    peer: String,
    /// The lists had already named this peer when the event arrived (so the event is newer).
    listed_before: bool,
}

/// One technology's load in progress.
#[derive(Debug, Clone)]
struct TechLoad {
    /// Action id → action, for every action of this load.
    actions: HashMap<String, ListAction>,
    results: HashMap<ListAction, ListResult>,
    held: Vec<Held>,
    /// Peers the status-carrying list has named so far (lower case).
    listed: HashSet<String>,
}

/// A load that finished: the snapshot to apply (none when the lists were refused), then the events
/// that arrived during the load and must be applied after it, in order.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Whose lists.
    pub technology: Technology,
    /// What to apply (`None`: refused, nothing learnt).
    pub snapshot: Option<Snapshot>,
    /// Why the lists were refused, when they were.
    pub refused: Option<String>,
    /// Events to apply after the snapshot.
    pub events: Vec<RegistrationEvent>,
}

/// What [`Loads::feed`] made of a message.
#[derive(Debug)]
pub enum Fed {
    /// Part of a load (an answer or entry); nothing to do yet.
    Consumed,
    /// It completed a load.
    Finished(Finished),
    /// An event held until its technology's load finishes.
    Held,
    /// Not part of any load: handle it as usual.
    NotMine,
}

/// Loads in flight, per technology.
#[derive(Debug, Default)]
pub struct Loads {
    loads: HashMap<Technology, TechLoad>,
}

/// The lists that load one technology, in the order they are sent.
pub fn actions_for(technology: Technology) -> &'static [ListAction] {
    match technology {
        Technology::Sip => &[ListAction::SipPeers],
        Technology::Iax2 => &[ListAction::IaxPeerList],
        Technology::Pjsip => &[ListAction::PjsipEndpoints, ListAction::PjsipContacts],
    }
}

impl Loads {
    /// Whether a load of `technology` is in flight.
    pub fn loading(&self, technology: Technology) -> bool {
        self.loads.contains_key(&technology)
    }

    /// Whether any load is in flight.
    pub fn any(&self) -> bool {
        !self.loads.is_empty()
    }

    /// Records that the list actions of `technology` were sent with these ids (one per action of
    /// [`actions_for`], in order).
    pub fn started(&mut self, technology: Technology, ids: Vec<(String, ListAction)>) {
        let results = ids.iter().map(|(_, a)| (*a, ListResult::Items { items: Vec::new(), done: false })).collect();
        let load = TechLoad { actions: ids.into_iter().collect(), results, held: Vec::new(), listed: HashSet::new() };
        self.loads.insert(technology, load);
    }

    /// Feeds one received message.
    pub fn feed(&mut self, message: &Message) -> Fed {
        if let Some(id) = message.action_id() {
            let found = self.loads.iter().find_map(|(tech, load)| load.actions.get(id).map(|action| (*tech, *action)));
            if let Some((tech, action)) = found {
                return self.feed_list(tech, action, message);
            }
        }
        let Some(event) = crate::ami::registration::parse_event(message) else {
            return Fed::NotMine;
        };
        let (tech, peer) = match &event {
            RegistrationEvent::Peer(p) => (p.technology, p.peer.to_lowercase()),
            RegistrationEvent::Contact(c) => (Technology::Pjsip, c.endpoint.to_lowercase()),
            _ => return Fed::NotMine,
        };
        let Some(load) = self.loads.get_mut(&tech) else {
            return Fed::NotMine;
        };
        let listed_before = load.listed.contains(&peer);
        load.held.push(Held { event, peer, listed_before });
        Fed::Held
    }

    fn feed_list(&mut self, tech: Technology, action: ListAction, message: &Message) -> Fed {
        let Some(load) = self.loads.get_mut(&tech) else {
            return Fed::NotMine;
        };
        let Some(result) = load.results.get_mut(&action) else {
            return Fed::NotMine;
        };
        if message.response().is_some() {
            *result = match classify_list_response(message) {
                ListStart::Started => ListResult::Items { items: Vec::new(), done: false },
                ListStart::Empty => ListResult::Empty,
                ListStart::NotAvailable(_) => ListResult::NotAvailable,
                ListStart::Refused(m) => ListResult::Refused(m),
            };
        } else if message.event().is_some_and(|e| e.eq_ignore_ascii_case(action.complete_event())) {
            if let ListResult::Items { done, .. } = result {
                *done = true;
            }
        } else if let Some(item) = parse_list_item(action, message) {
            if let ListResult::Items { items, .. } = result {
                let status_name = match &item {
                    ListItem::Peer(p) => Some(p.name.to_lowercase()),
                    ListItem::Contact(c) => Some(c.endpoint.to_lowercase()),
                    ListItem::Endpoint(_) => None,
                };
                items.push(item);
                if let Some(name) = status_name {
                    load.listed.insert(name);
                }
            }
        }
        if !load.results.values().all(ListResult::done) {
            return Fed::Consumed;
        }
        let Some(load) = self.loads.remove(&tech) else {
            return Fed::Consumed;
        };
        let (snapshot, refused) = match build_snapshot(tech, &load.results) {
            Ok(s) => (Some(s), None),
            Err(why) => (None, Some(why)),
        };
        // An event the lists overtook (it arrived before the lists named its peer) is already in
        // them; every other held event is newer than the lists.
        let events = load
            .held
            .into_iter()
            .filter(|h| snapshot.is_none() || h.listed_before || !load.listed.contains(&h.peer))
            .map(|h| h.event)
            .collect();
        Fed::Finished(Finished { technology: tech, snapshot, refused, events })
    }
}

/// A `chan_sip` / IAX2 `PeerEntry` as a state.
fn observed_peer(p: &PeerEntry) -> Observed {
    let (status, ping) = match (&p.address, p.status) {
        (None, _) => (PeerStatus::Unregistered, None),
        (Some(_), Some(QualifyStatus::Ok(ms))) => (PeerStatus::Reachable, Some(ms)),
        (Some(_), Some(QualifyStatus::Lagged(ms))) => (PeerStatus::Lagged, Some(ms)),
        (Some(_), Some(QualifyStatus::Unreachable)) => (PeerStatus::Unreachable, None),
        (Some(_), _) => (PeerStatus::Registered, None),
    };
    Observed { status, ping, contact: p.address.clone(), user_agent: None }
}

/// How good a contact is for picking the one to show (higher is better).
fn contact_rank(c: &Contact) -> u8 {
    match c.state {
        ContactState::Reachable => 3,
        ContactState::Created | ContactState::Updated | ContactState::NonQualified | ContactState::Unknown => 2,
        ContactState::Unreachable => 1,
        ContactState::Removed => 0,
    }
}

/// A PJSIP contact as a state.
fn observed_contact(c: &Contact) -> Observed {
    let (status, ping) = match c.state {
        ContactState::Reachable => (PeerStatus::Reachable, c.roundtrip_usec.map(usec_to_ms)),
        ContactState::Unreachable => (PeerStatus::Unreachable, None),
        ContactState::Removed => (PeerStatus::Unregistered, None),
        _ => (PeerStatus::Registered, None),
    };
    let contact = (c.state != ContactState::Removed).then(|| c.uri.clone());
    Observed { status, ping, contact, user_agent: c.user_agent.clone() }
}

/// Turns one technology's finished list results into a snapshot, or says why nothing can be learnt.
fn build_snapshot(tech: Technology, results: &HashMap<ListAction, ListResult>) -> Result<Snapshot, String> {
    let result = |a: ListAction| results.get(&a).cloned().unwrap_or(ListResult::NotAvailable);
    let snapshot = |observed: HashMap<String, Observed>, unlisted, entries| Snapshot {
        technology: tech,
        observed,
        unlisted,
        entries,
    };
    match tech {
        Technology::Sip | Technology::Iax2 => {
            let action = actions_for(tech)[0];
            match result(action) {
                ListResult::Refused(m) => Err(format!("{}: {m}", action.action())),
                r => {
                    let mut observed = HashMap::new();
                    for item in r.items() {
                        if let ListItem::Peer(p) = item {
                            if p.technology == tech {
                                observed.insert(p.name.to_lowercase(), observed_peer(p));
                            }
                        }
                    }
                    let n = observed.len();
                    Ok(snapshot(observed, Unlisted::NotKnown, n))
                }
            }
        }
        Technology::Pjsip => {
            let (endpoints, contacts) = (result(ListAction::PjsipEndpoints), result(ListAction::PjsipContacts));
            if endpoints == ListResult::NotAvailable {
                // res_pjsip is not loaded: there are no PJSIP peers at all.
                return Ok(snapshot(HashMap::new(), Unlisted::NotKnown, 0));
            }
            if let ListResult::Refused(m) = &contacts {
                return Err(format!("{}: {m}", ListAction::PjsipContacts.action()));
            }
            let mut observed: HashMap<String, Observed> = HashMap::new();
            let mut best: HashMap<String, &Contact> = HashMap::new();
            for item in contacts.items() {
                if let ListItem::Contact(c) = item {
                    let key = c.endpoint.to_lowercase();
                    if best.get(&key).is_none_or(|b| contact_rank(c) > contact_rank(b)) {
                        best.insert(key, c);
                    }
                }
            }
            let unlisted = match &endpoints {
                ListResult::Refused(_) => Unlisted::Unregistered,
                _ => Unlisted::NotKnown,
            };
            for item in endpoints.items() {
                if let ListItem::Endpoint(e) = item {
                    observed.insert(
                        e.name.to_lowercase(),
                        Observed { status: PeerStatus::Unregistered, ping: None, contact: None, user_agent: None },
                    );
                }
            }
            for (key, c) in best {
                observed.insert(key, observed_contact(c));
            }
            let n = observed.len();
            Ok(snapshot(observed, unlisted, n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(headers: &[(&str, &str)]) -> Message {
        headers.iter().fold(Message::new(), |m, (k, v)| m.with_header(*k, *v))
    }

    fn start(id: &str) -> Message {
        msg(&[("Response", "Success"), ("ActionID", id), ("EventList", "start"), ("Message", "follows")])
    }

    fn sip_entry(id: &str, name: &str, ip: &str, status: &str) -> Message {
        msg(&[
            ("Event", "PeerEntry"),
            ("ActionID", id),
            ("Channeltype", "SIP"),
            ("ObjectName", name),
            ("IPaddress", ip),
            ("IPport", if ip == "-none-" { "0" } else { "5060" }),
            ("Status", status),
        ])
    }

    fn complete(id: &str, event: &str) -> Message {
        msg(&[("Event", event), ("ActionID", id), ("EventList", "Complete"), ("ListItems", "0")])
    }

    fn peer_status(name: &str, status: &str) -> Message {
        msg(&[
            ("Event", "PeerStatus"),
            ("ChannelType", "SIP"),
            ("Peer", &format!("SIP/{name}")),
            ("PeerStatus", status),
        ])
    }

    #[test]
    fn sip_load_with_events_in_wire_order() {
        let mut loads = Loads::default();
        loads.started(Technology::Sip, vec![("s1".into(), ListAction::SipPeers)]);
        assert!(loads.loading(Technology::Sip) && loads.any());
        assert!(matches!(loads.feed(&start("s1")), Fed::Consumed));
        // An event about 1002 before the list names it: the list is newer, the event is dropped.
        assert!(matches!(loads.feed(&peer_status("1002", "Registered")), Fed::Held));
        assert!(matches!(loads.feed(&sip_entry("s1", "1001", "203.0.113.5", "OK (12 ms)")), Fed::Consumed));
        assert!(matches!(loads.feed(&sip_entry("s1", "1002", "-none-", "UNKNOWN")), Fed::Consumed));
        // After the list named 1001, its event is newer and is kept; 1003 is not listed: kept.
        assert!(matches!(loads.feed(&peer_status("1001", "Unregistered")), Fed::Held));
        assert!(matches!(loads.feed(&peer_status("1003", "Registered")), Fed::Held));
        // Other messages pass through.
        assert!(matches!(loads.feed(&msg(&[("Event", "FullyBooted")])), Fed::NotMine));
        let Fed::Finished(f) = loads.feed(&complete("s1", "PeerlistComplete")) else { panic!("finished") };
        assert!(!loads.any());
        let snap = f.snapshot.expect("snapshot");
        assert_eq!(snap.unlisted, Unlisted::NotKnown);
        assert_eq!(snap.entries, 2);
        assert_eq!(snap.observed["1001"].status, PeerStatus::Reachable);
        assert_eq!(snap.observed["1001"].ping, Some(12));
        assert_eq!(snap.observed["1001"].contact.as_deref(), Some("203.0.113.5:5060"));
        assert_eq!(snap.observed["1002"].status, PeerStatus::Unregistered);
        let kept: Vec<String> = f
            .events
            .iter()
            .map(|e| match e {
                RegistrationEvent::Peer(p) => p.peer.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(kept, ["1001", "1003"]);
        // With no load in flight, events pass through.
        assert!(matches!(loads.feed(&peer_status("1001", "Registered")), Fed::NotMine));
    }

    #[test]
    fn a_module_that_is_not_loaded_means_no_peers_and_a_refusal_means_nothing_learnt() {
        let mut loads = Loads::default();
        loads.started(Technology::Sip, vec![("s".into(), ListAction::SipPeers)]);
        let unknown =
            msg(&[("Response", "Error"), ("ActionID", "s"), ("Message", "Invalid/unknown command: SIPpeers.")]);
        let Fed::Finished(f) = loads.feed(&unknown) else { panic!("finished") };
        let snap = f.snapshot.expect("snapshot");
        assert!(snap.observed.is_empty() && snap.unlisted == Unlisted::NotKnown);

        loads.started(Technology::Iax2, vec![("i".into(), ListAction::IaxPeerList)]);
        assert!(matches!(loads.feed(&peer_status("x", "Registered")), Fed::NotMine), "SIP is not loading");
        let denied = msg(&[("Response", "Error"), ("ActionID", "i"), ("Message", "Permission denied")]);
        let Fed::Finished(f) = loads.feed(&denied) else { panic!("finished") };
        assert_eq!(f.snapshot, None);
        assert_eq!(f.refused.as_deref(), Some("IAXpeerlist: Permission denied"));
    }

    #[test]
    fn pjsip_combines_endpoints_and_contacts() {
        let mut loads = Loads::default();
        loads.started(
            Technology::Pjsip,
            vec![("e".into(), ListAction::PjsipEndpoints), ("c".into(), ListAction::PjsipContacts)],
        );
        let endpoint = |id: &str, name: &str| {
            msg(&[("Event", "EndpointList"), ("ActionID", id), ("ObjectType", "endpoint"), ("ObjectName", name)])
        };
        let contact = |ep: &str, uri: &str, status: &str, rtt: &str| {
            msg(&[
                ("Event", "ContactList"),
                ("ActionID", "c"),
                ("ObjectName", &format!("{ep};@x")),
                ("Endpoint", ep),
                ("Uri", uri),
                ("UserAgent", "Zoiper"),
                ("Status", status),
                ("RoundtripUsec", rtt),
            ])
        };
        for m in [
            start("e"),
            endpoint("e", "3001"),
            endpoint("e", "3002"),
            complete("e", "EndpointListComplete"),
            start("c"),
        ] {
            assert!(matches!(loads.feed(&m), Fed::Consumed));
        }
        for m in [
            contact("3001", "sip:3001@192.0.2.1:5060", "Unreachable", "N/A"),
            contact("3001", "sip:3001@203.0.113.9:5060", "Reachable", "20400"),
            contact("3009", "sip:3009@203.0.113.10:5060", "NonQualified", "0"),
        ] {
            assert!(matches!(loads.feed(&m), Fed::Consumed));
        }
        let Fed::Finished(f) = loads.feed(&complete("c", "ContactListComplete")) else { panic!("finished") };
        let snap = f.snapshot.expect("snapshot");
        assert_eq!(snap.observed["3001"].status, PeerStatus::Reachable);
        assert_eq!(snap.observed["3001"].ping, Some(20));
        assert_eq!(snap.observed["3001"].contact.as_deref(), Some("sip:3001@203.0.113.9:5060"));
        assert_eq!(snap.observed["3001"].user_agent.as_deref(), Some("Zoiper"));
        assert_eq!(snap.observed["3002"].status, PeerStatus::Unregistered, "an endpoint without contacts");
        assert_eq!(snap.observed["3009"].status, PeerStatus::Registered);

        // No contacts at all: res_pjsip answers an error, which is an empty list.
        loads.started(
            Technology::Pjsip,
            vec![("e2".into(), ListAction::PjsipEndpoints), ("c2".into(), ListAction::PjsipContacts)],
        );
        for m in [start("e2"), endpoint("e2", "3001"), complete("e2", "EndpointListComplete")] {
            assert!(matches!(loads.feed(&m), Fed::Consumed));
        }
        let none = msg(&[("Response", "Error"), ("ActionID", "c2"), ("Message", "No Contacts found")]);
        let Fed::Finished(f) = loads.feed(&none) else { panic!("finished") };
        let snap = f.snapshot.expect("snapshot");
        assert_eq!(snap.observed["3001"].status, PeerStatus::Unregistered);
        assert_eq!(snap.unlisted, Unlisted::NotKnown);
    }

    #[test]
    fn pjsip_without_res_pjsip() {
        let mut results = HashMap::new();
        results.insert(ListAction::PjsipEndpoints, ListResult::NotAvailable);
        results.insert(ListAction::PjsipContacts, ListResult::NotAvailable);
        let snap = build_snapshot(Technology::Pjsip, &results).expect("snapshot");
        assert!(snap.observed.is_empty());
        results.insert(ListAction::PjsipEndpoints, ListResult::Refused("Permission denied".into()));
        results.insert(ListAction::PjsipContacts, ListResult::Empty);
        assert_eq!(build_snapshot(Technology::Pjsip, &results).expect("snapshot").unlisted, Unlisted::Unregistered);
        results.insert(ListAction::PjsipContacts, ListResult::Refused("Permission denied".into()));
        assert!(build_snapshot(Technology::Pjsip, &results).is_err());
    }
}
