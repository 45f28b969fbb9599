//! What a report from Asterisk does to a phone's stored registration state: pure functions from
//! the old [`RegistrationRow`] and an event or a list entry to the new one, and the plain-words
//! failure texts. No I/O; the writer reads and stores the rows.

use crate::ami::registration::{
    Contact, ContactState, PeerState, PeerStatusEvent, SecurityEvent, SecurityKind, SipPeerDetail, Technology,
};
use crate::domain::registration::{PeerStatus, ADDRESS_CHANGE_WINDOW};
use crate::storage::registration::{PhoneRegistration, RegistrationRow};

/// A peer's state as a list reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The registration state.
    pub status: PeerStatus,
    /// The qualify round trip (ms), when reported.
    pub ping: Option<i64>,
    /// Where it registered from.
    pub contact: Option<String>,
    /// Its User-Agent, when reported (otherwise the stored one is kept).
    pub user_agent: Option<String>,
}

/// What a list's silence about a phone means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlisted {
    /// The list names every peer Asterisk has: an unlisted phone has no peer (`UNREGISTERED`, not
    /// known to Asterisk).
    NotKnown,
    /// The list names registered peers only: an unlisted phone is `UNREGISTERED`; whether Asterisk
    /// knows it stays as it was.
    Unregistered,
}

/// Notes in `new.moves` that the device registered from a new address: `new.contact` differs from the
/// last address it registered from (kept through unregistrations).
fn track_address(new: &mut RegistrationRow, now: i64) {
    let Some(address) = new.contact.clone() else { return };
    let moves = &mut new.moves;
    match &moves.last_address {
        Some(last) if *last == address => {}
        Some(_) => {
            if moves.since.is_none_or(|since| now - since > ADDRESS_CHANGE_WINDOW) {
                moves.since = Some(now);
                moves.changes = 0;
            }
            moves.changes += 1;
            moves.previous_address = moves.last_address.replace(address);
        }
        None => moves.last_address = Some(address),
    }
}

/// `new` with `last_event_at` set to `now` when it differs from `old` (or `old` was never
/// observed), and its address change counted; `None` when nothing changed.
fn changed(old: &RegistrationRow, mut new: RegistrationRow, now: i64) -> Option<RegistrationRow> {
    track_address(&mut new, now);
    new.last_event_at = old.last_event_at;
    if new == *old && old.last_event_at.is_some() {
        return None;
    }
    new.last_event_at = Some(now);
    Some(new)
}

/// The state after a list reported `observed` for this phone (`None`: the list did not name it).
pub fn apply_listed(
    old: &RegistrationRow,
    observed: Option<&Observed>,
    unlisted: Unlisted,
    now: i64,
) -> Option<RegistrationRow> {
    let mut new = old.clone();
    match observed {
        Some(o) => {
            new.peer_status = o.status;
            new.ping_time = o.ping;
            new.contact = o.contact.clone();
            if o.user_agent.is_some() {
                new.user_agent = o.user_agent.clone();
            }
            new.known_to_asterisk = true;
        }
        None => {
            new.peer_status = PeerStatus::Unregistered;
            new.ping_time = None;
            new.contact = None;
            if unlisted == Unlisted::NotKnown {
                new.known_to_asterisk = false;
            }
        }
    }
    changed(old, new, now)
}

/// The state after a `PeerStatus` event for this phone's peer.
pub fn apply_peer_status(old: &RegistrationRow, ev: &PeerStatusEvent, now: i64) -> Option<RegistrationRow> {
    let mut new = old.clone();
    new.known_to_asterisk = true;
    match ev.state {
        PeerState::Registered => {
            // A refresh from the same address keeps a qualify result already known.
            let same_place = ev.address.is_none() || ev.address == old.contact;
            if !(same_place && matches!(old.peer_status, PeerStatus::Reachable | PeerStatus::Lagged)) {
                new.peer_status = PeerStatus::Registered;
                new.ping_time = None;
            }
            if ev.address.is_some() {
                new.contact = ev.address.clone();
            }
        }
        PeerState::Unregistered => {
            new.peer_status = PeerStatus::Unregistered;
            new.ping_time = None;
            new.contact = None;
        }
        PeerState::Reachable | PeerState::Lagged => {
            new.peer_status = if ev.state == PeerState::Reachable { PeerStatus::Reachable } else { PeerStatus::Lagged };
            if ev.time_ms.is_some() {
                new.ping_time = ev.time_ms;
            }
            if ev.address.is_some() {
                new.contact = ev.address.clone();
            }
        }
        PeerState::Unreachable => {
            new.peer_status = PeerStatus::Unreachable;
            new.ping_time = None;
        }
        PeerState::Unknown => {
            new.peer_status = PeerStatus::Unknown;
            new.ping_time = None;
        }
        PeerState::Rejected => {
            let cause = ev.cause.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
            let from = ev.address.as_deref().map(|a| format!(" from {a}")).unwrap_or_default();
            new.last_failure = Some(format!("registration rejected by Asterisk{cause}{from}"));
            new.last_failure_at = Some(now);
        }
    }
    changed(old, new, now)
}

/// The state a PJSIP contact in `state` gives (`None` for `Removed`), keeping a qualify result
/// already known for the same contact.
fn contact_status(old: &RegistrationRow, c: &Contact) -> Option<(PeerStatus, Option<i64>)> {
    let registered = |old: &RegistrationRow| {
        if old.contact.as_deref() == Some(c.uri.as_str())
            && matches!(old.peer_status, PeerStatus::Reachable | PeerStatus::Lagged)
        {
            (old.peer_status, old.ping_time)
        } else {
            (PeerStatus::Registered, None)
        }
    };
    match c.state {
        ContactState::Removed => None,
        ContactState::Reachable => Some((PeerStatus::Reachable, c.roundtrip_usec.map(usec_to_ms))),
        ContactState::Unreachable => Some((PeerStatus::Unreachable, None)),
        ContactState::Created | ContactState::Updated | ContactState::NonQualified | ContactState::Unknown => {
            Some(registered(old))
        }
    }
}

/// Microseconds to whole milliseconds, rounded.
pub fn usec_to_ms(usec: i64) -> i64 {
    (usec.max(0) + 500) / 1000
}

/// The state after a `ContactStatus` event for this phone's endpoint.
pub fn apply_contact(old: &RegistrationRow, c: &Contact, now: i64) -> Option<RegistrationRow> {
    let mut new = old.clone();
    new.known_to_asterisk = true;
    match contact_status(old, c) {
        Some((status, ping)) => {
            new.peer_status = status;
            new.ping_time = ping;
            new.contact = Some(c.uri.clone());
            if c.user_agent.is_some() {
                new.user_agent = c.user_agent.clone();
            }
        }
        // Another contact of the endpoint may still be registered: only the stored one (or none)
        // being removed unregisters the phone.
        None if old.contact.is_none() || old.contact.as_deref() == Some(c.uri.as_str()) => {
            new.peer_status = PeerStatus::Unregistered;
            new.ping_time = None;
            new.contact = None;
        }
        None => {}
    }
    changed(old, new, now)
}

/// The state after `SIPshowpeer` described this phone's peer: its User-Agent (an empty one keeps
/// the stored value; the registration state itself comes from the lists and events).
pub fn apply_sip_detail(old: &RegistrationRow, detail: &SipPeerDetail, now: i64) -> Option<RegistrationRow> {
    let mut new = old.clone();
    new.known_to_asterisk = true;
    if detail.user_agent.is_some() {
        new.user_agent = detail.user_agent.clone();
    }
    changed(old, new, now)
}

/// How a security event's `AccountID` matched the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountMatch {
    /// `AccountID` is the phone's extension (its peer name).
    Extension,
    /// `AccountID` is the phone's login, not its extension.
    Login,
}

/// The failure text for a security event about `phone`.
pub fn failure_text(phone: &PhoneRegistration, ev: &SecurityEvent, matched: AccountMatch) -> String {
    let from = ev.remote_ip.as_deref().map(|ip| format!(" from {ip}")).unwrap_or_default();
    if matched == AccountMatch::Login {
        return format!(
            "registered with its phone login instead of the extension (login {}, extension {}){from}",
            phone.login, phone.extension
        );
    }
    match ev.kind {
        SecurityKind::InvalidPassword | SecurityKind::ChallengeResponseFailed => {
            format!("wrong password{from} (the device must use the registration password, not the login password)")
        }
        SecurityKind::InvalidAccountId if !same_stack(ev.technology, &phone.protocol) => format!(
            "tried to register over {} but this phone is {}: the device uses the wrong SIP stack or port{from}",
            ev.technology.name(),
            phone.protocol
        ),
        SecurityKind::InvalidAccountId => format!(
            "Asterisk has no peer {} (its conf files lack this phone, or were not reloaded yet); attempt{from}",
            phone.extension
        ),
    }
}

fn same_stack(technology: Technology, protocol: &str) -> bool {
    technology.name().eq_ignore_ascii_case(protocol)
}

/// The state after a security event about `phone`.
pub fn apply_security(
    phone: &PhoneRegistration,
    ev: &SecurityEvent,
    matched: AccountMatch,
    now: i64,
) -> Option<RegistrationRow> {
    let old = &phone.state;
    let mut new = old.clone();
    new.last_failure = Some(failure_text(phone, ev, matched));
    new.last_failure_at = Some(now);
    if matched == AccountMatch::Extension
        && ev.kind == SecurityKind::InvalidAccountId
        && same_stack(ev.technology, &phone.protocol)
    {
        new.known_to_asterisk = false;
    }
    changed(old, new, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::registration::AddressMoves;

    fn registered_row() -> RegistrationRow {
        RegistrationRow {
            peer_status: PeerStatus::Reachable,
            ping_time: Some(20),
            contact: Some("203.0.113.5:5060".into()),
            user_agent: Some("Yealink".into()),
            last_event_at: Some(100),
            last_failure: None,
            last_failure_at: None,
            known_to_asterisk: true,
            moves: AddressMoves { last_address: Some("203.0.113.5:5060".into()), ..AddressMoves::default() },
        }
    }

    fn peer(state: PeerState, address: Option<&str>, time_ms: Option<i64>) -> PeerStatusEvent {
        PeerStatusEvent {
            technology: Technology::Sip,
            peer: "1001".into(),
            state,
            address: address.map(String::from),
            time_ms,
            cause: None,
        }
    }

    fn phone(state: RegistrationRow) -> PhoneRegistration {
        PhoneRegistration { extension: "1001".into(), protocol: "SIP".into(), login: "cc1001".into(), state }
    }

    #[test]
    fn address_changes_are_counted_within_the_hour() {
        let at = |address: Option<&str>| PeerStatusEvent {
            technology: Technology::Sip,
            peer: "1001".into(),
            state: if address.is_some() { PeerState::Registered } else { PeerState::Unregistered },
            address: address.map(String::from),
            time_ms: None,
            cause: None,
        };
        let first = apply_peer_status(&RegistrationRow::default(), &at(Some("203.0.113.5:5060")), 1000).expect("new");
        assert_eq!((first.moves.last_address.as_deref(), first.moves.changes), (Some("203.0.113.5:5060"), 0));
        // Unregistering keeps the last address; coming back from the same one is not a change.
        let gone = apply_peer_status(&first, &at(None), 1010).expect("gone");
        assert_eq!(gone.moves, first.moves);
        let back = apply_peer_status(&gone, &at(Some("203.0.113.5:5060")), 1020).expect("back");
        assert_eq!(back.moves.changes, 0);
        // A new port each time (a SIP ALG rewriting it): counted, with the one before.
        let a = apply_peer_status(&back, &at(Some("203.0.113.5:41234")), 1030).expect("moved");
        let b = apply_peer_status(&a, &at(Some("203.0.113.5:41290")), 1040).expect("moved");
        assert_eq!((b.moves.changes, b.moves.since), (2, Some(1030)));
        assert_eq!(b.moves.previous_address.as_deref(), Some("203.0.113.5:41234"));
        assert_eq!(b.moves.last_address.as_deref(), Some("203.0.113.5:41290"));
        // More than an hour after the count started it starts again.
        let c = apply_peer_status(&b, &at(Some("198.51.100.9:5060")), 1030 + ADDRESS_CHANGE_WINDOW + 1).expect("moved");
        assert_eq!((c.moves.changes, c.moves.since), (1, Some(1030 + ADDRESS_CHANGE_WINDOW + 1)));
    }

    #[test]
    fn sip_details_give_the_user_agent() {
        let detail = |ua: Option<&str>| SipPeerDetail {
            name: "1001".into(),
            user_agent: ua.map(String::from),
            reg_contact: Some("sip:1001@203.0.113.5:5060".into()),
        };
        let new = apply_sip_detail(&registered_row(), &detail(Some("Zoiper rv2.10")), 300).expect("changed");
        assert_eq!(new.user_agent.as_deref(), Some("Zoiper rv2.10"));
        assert_eq!((new.peer_status, new.ping_time, new.last_event_at), (PeerStatus::Reachable, Some(20), Some(300)));
        assert_eq!(apply_sip_detail(&new, &detail(Some("Zoiper rv2.10")), 301), None, "nothing new");
        assert_eq!(apply_sip_detail(&new, &detail(None), 302), None, "an empty one keeps the stored value");
    }

    #[test]
    fn peer_status_transitions() {
        let never = RegistrationRow::default();
        let new = apply_peer_status(&never, &peer(PeerState::Registered, Some("203.0.113.5:5060"), None), 200)
            .expect("changed");
        assert_eq!(
            (new.peer_status, new.contact.as_deref(), new.known_to_asterisk, new.last_event_at),
            (PeerStatus::Registered, Some("203.0.113.5:5060"), true, Some(200))
        );
        let reach = apply_peer_status(&new, &peer(PeerState::Reachable, None, Some(31)), 201).expect("changed");
        assert_eq!((reach.peer_status, reach.ping_time), (PeerStatus::Reachable, Some(31)));
        assert_eq!(reach.contact.as_deref(), Some("203.0.113.5:5060"), "the contact stays");
        // A refresh from the same address keeps the qualify result (and changes nothing).
        assert_eq!(apply_peer_status(&reach, &peer(PeerState::Registered, Some("203.0.113.5:5060"), None), 202), None);
        // From elsewhere it starts over.
        let moved = apply_peer_status(&reach, &peer(PeerState::Registered, Some("198.51.100.1:5060"), None), 203)
            .expect("moved");
        assert_eq!((moved.peer_status, moved.ping_time), (PeerStatus::Registered, None));
        let lagged = apply_peer_status(&reach, &peer(PeerState::Lagged, None, Some(2500)), 204).expect("changed");
        assert_eq!((lagged.peer_status, lagged.ping_time), (PeerStatus::Lagged, Some(2500)));
        let gone =
            apply_peer_status(&registered_row(), &peer(PeerState::Unregistered, None, None), 205).expect("changed");
        assert_eq!((gone.peer_status, gone.ping_time, gone.contact), (PeerStatus::Unregistered, None, None));
        assert_eq!(gone.user_agent.as_deref(), Some("Yealink"), "the last user agent is kept");
        let down = apply_peer_status(&reach, &peer(PeerState::Unreachable, None, None), 206).expect("changed");
        assert_eq!((down.peer_status, down.ping_time), (PeerStatus::Unreachable, None));
        // The same report twice changes nothing the second time.
        assert_eq!(apply_peer_status(&down, &peer(PeerState::Unreachable, None, None), 207), None);
    }

    #[test]
    fn rejected_records_a_failure_and_keeps_the_state() {
        let mut ev = peer(PeerState::Rejected, Some("203.0.113.5:5060"), None);
        ev.cause = Some("AUTH_SECRET_FAILED".into());
        let new = apply_peer_status(&registered_row(), &ev, 300).expect("changed");
        assert_eq!(new.peer_status, PeerStatus::Reachable);
        assert_eq!(
            new.last_failure.as_deref(),
            Some("registration rejected by Asterisk (AUTH_SECRET_FAILED) from 203.0.113.5:5060")
        );
        assert_eq!(new.last_failure_at, Some(300));
    }

    #[test]
    fn contact_transitions() {
        let c = |state, usec| Contact {
            endpoint: "3001".into(),
            uri: "sip:3001@203.0.113.9:5060".into(),
            state,
            roundtrip_usec: usec,
            user_agent: Some("Zoiper".into()),
        };
        let created = apply_contact(&RegistrationRow::default(), &c(ContactState::Created, Some(0)), 10).expect("new");
        assert_eq!((created.peer_status, created.ping_time), (PeerStatus::Registered, None));
        assert_eq!(created.user_agent.as_deref(), Some("Zoiper"));
        let reach = apply_contact(&created, &c(ContactState::Reachable, Some(15_600)), 11).expect("changed");
        assert_eq!((reach.peer_status, reach.ping_time), (PeerStatus::Reachable, Some(16)));
        assert_eq!(apply_contact(&reach, &c(ContactState::Updated, None), 12), None, "a refresh keeps the ping");
        let mut other = c(ContactState::Removed, None);
        other.uri = "sip:3001@192.0.2.2:5060".into();
        assert_eq!(apply_contact(&reach, &other, 13), None, "another contact's removal");
        let removed = apply_contact(&reach, &c(ContactState::Removed, None), 14).expect("removed");
        assert_eq!((removed.peer_status, removed.contact), (PeerStatus::Unregistered, None));
        let unreachable = apply_contact(&reach, &c(ContactState::Unreachable, None), 15).expect("changed");
        assert_eq!((unreachable.peer_status, unreachable.ping_time), (PeerStatus::Unreachable, None));
        assert_eq!(usec_to_ms(1_499), 1);
        assert_eq!(usec_to_ms(-5), 0);
    }

    #[test]
    fn listed_and_unlisted() {
        let o = Observed {
            status: PeerStatus::Reachable,
            ping: Some(20),
            contact: Some("203.0.113.5:5060".into()),
            user_agent: None,
        };
        let old = registered_row();
        assert_eq!(apply_listed(&old, Some(&o), Unlisted::NotKnown, 500), None, "same as stored");
        let mut never = RegistrationRow { peer_status: PeerStatus::Unregistered, ..RegistrationRow::default() };
        let unlisted = apply_listed(&never, None, Unlisted::NotKnown, 501).expect("first observation is written");
        assert_eq!(
            (unlisted.peer_status, unlisted.known_to_asterisk, unlisted.last_event_at),
            (PeerStatus::Unregistered, false, Some(501))
        );
        never.known_to_asterisk = true;
        never.last_event_at = Some(1);
        assert_eq!(apply_listed(&never, None, Unlisted::Unregistered, 502), None);
        let gone = apply_listed(&old, None, Unlisted::Unregistered, 503).expect("changed");
        assert_eq!((gone.peer_status, gone.known_to_asterisk, gone.contact), (PeerStatus::Unregistered, true, None));
        let listed = apply_listed(&RegistrationRow::default(), Some(&o), Unlisted::NotKnown, 504).expect("changed");
        assert_eq!(
            (listed.peer_status, listed.ping_time, listed.known_to_asterisk),
            (PeerStatus::Reachable, Some(20), true)
        );
    }

    #[test]
    fn security_texts() {
        let ev = |kind, technology| SecurityEvent {
            kind,
            technology,
            account_id: "1001".into(),
            remote_ip: Some("203.0.113.5".into()),
        };
        let p = phone(registered_row());
        let wrong = apply_security(&p, &ev(SecurityKind::InvalidPassword, Technology::Sip), AccountMatch::Extension, 9)
            .expect("changed");
        assert_eq!(
            wrong.last_failure.as_deref(),
            Some("wrong password from 203.0.113.5 (the device must use the registration password, not the login password)")
        );
        assert_eq!(
            (wrong.last_failure_at, wrong.peer_status, wrong.known_to_asterisk),
            (Some(9), PeerStatus::Reachable, true)
        );
        assert_eq!(
            failure_text(&p, &ev(SecurityKind::ChallengeResponseFailed, Technology::Sip), AccountMatch::Extension),
            wrong.last_failure.clone().unwrap_or_default()
        );
        let login = failure_text(&p, &ev(SecurityKind::InvalidAccountId, Technology::Sip), AccountMatch::Login);
        assert_eq!(
            login,
            "registered with its phone login instead of the extension (login cc1001, extension 1001) from 203.0.113.5"
        );
        let unknown =
            apply_security(&p, &ev(SecurityKind::InvalidAccountId, Technology::Sip), AccountMatch::Extension, 10)
                .expect("changed");
        assert!(unknown.last_failure.as_deref().is_some_and(|t| t.starts_with("Asterisk has no peer 1001")));
        assert!(!unknown.known_to_asterisk);
        let stack =
            apply_security(&p, &ev(SecurityKind::InvalidAccountId, Technology::Pjsip), AccountMatch::Extension, 11)
                .expect("changed");
        assert_eq!(
            stack.last_failure.as_deref(),
            Some("tried to register over PJSIP but this phone is SIP: the device uses the wrong SIP stack or port from 203.0.113.5")
        );
        assert!(stack.known_to_asterisk, "chan_sip may still know the peer");
    }
}
