//! Asking `chan_sip` for the details of each registered peer (`SIPshowpeer`): the device's
//! User-Agent is in neither `SIPpeers` nor `PeerStatus`. A peer is asked about when it is seen
//! registered from an address it was not yet asked about on this connection (so re-registrations
//! from the same place, a resync or a reload cost nothing), with a few actions in flight at a time so
//! a server with thousands of phones is asked at a pace Asterisk's manager absorbs.
//!
//! Pure bookkeeping: the monitor sends the actions and feeds the answers in.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::ami::registration::{parse_sip_show_peer, SipPeerDetail, SipShowPeer};
use crate::ami::Message;

/// Most `SIPshowpeer` actions waiting for their answers at once.
pub const MAX_IN_FLIGHT: usize = 8;

/// What an answer gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// The peer's details, to store.
    Detail(SipPeerDetail),
    /// Nothing to store (the peer went away meanwhile).
    Nothing,
    /// Asterisk will not answer `SIPshowpeer` (not loaded, not permitted): the queue was dropped
    /// and nothing more is asked on this connection.
    Unavailable(String),
}

/// The peers to ask about, the actions in flight, and the address each peer was last asked about.
#[derive(Debug, Default)]
pub struct Details {
    queue: VecDeque<String>,
    queued: HashSet<String>,
    /// Action id → peer.
    in_flight: HashMap<String, String>,
    /// Peer → the address it was registered from when it was last queued.
    asked: HashMap<String, String>,
    unavailable: bool,
}

impl Details {
    /// Notes that `peer` (any case) is registered from `address`: it is queued unless it was
    /// already asked about at that address.
    pub fn registered(&mut self, peer: &str, address: &str) {
        if self.unavailable {
            return;
        }
        let key = peer.to_lowercase();
        if self.asked.get(&key).is_some_and(|a| a == address) {
            return;
        }
        self.asked.insert(key.clone(), address.to_string());
        if self.queued.insert(key.clone()) {
            self.queue.push_back(key);
        }
    }

    /// Notes that `peer` unregistered: its next registration is asked about even from the same
    /// address (the device there may have changed).
    pub fn unregistered(&mut self, peer: &str) {
        self.asked.remove(&peer.to_lowercase());
    }

    /// The next peer to ask about, when fewer than [`MAX_IN_FLIGHT`] actions are in flight.
    pub fn next_to_send(&mut self) -> Option<String> {
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            return None;
        }
        let peer = self.queue.pop_front()?;
        self.queued.remove(&peer);
        Some(peer)
    }

    /// Records that the action asking about `peer` was sent with `action_id`.
    pub fn sent(&mut self, action_id: String, peer: String) {
        self.in_flight.insert(action_id, peer);
    }

    /// Whether an answer is awaited.
    pub fn any(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Takes `message` when it answers one of the actions in flight; `None` otherwise.
    pub fn feed(&mut self, message: &Message) -> Option<Answered> {
        message.response()?;
        let peer = self.in_flight.remove(message.action_id()?)?;
        Some(match parse_sip_show_peer(message) {
            SipShowPeer::Found(detail) => Answered::Detail(detail),
            SipShowPeer::NotFound => {
                self.asked.remove(&peer);
                Answered::Nothing
            }
            SipShowPeer::Unavailable(why) => {
                self.unavailable = true;
                self.queue.clear();
                self.queued.clear();
                Answered::Unavailable(why)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: &str, headers: &[(&str, &str)]) -> Message {
        headers.iter().fold(Message::new().with_header("ActionID", id), |m, (k, v)| m.with_header(*k, *v))
    }

    #[test]
    fn asks_once_per_address_a_few_at_a_time() {
        let mut d = Details::default();
        for n in 0..20 {
            d.registered(&format!("P{n}"), "203.0.113.5:5060");
        }
        d.registered("p0", "203.0.113.5:5060");
        let mut sent = Vec::new();
        while let Some(peer) = d.next_to_send() {
            d.sent(format!("id-{peer}"), peer.clone());
            sent.push(peer);
        }
        assert_eq!(sent.len(), MAX_IN_FLIGHT, "no more than {MAX_IN_FLIGHT} in flight");
        assert_eq!(sent[0], "p0", "in the order seen, by lower-cased name");
        assert!(d.any());
        let got = d.feed(&answer(
            "id-p0",
            &[("Response", "Success"), ("ObjectName", "P0"), ("SIP-Useragent", "Yealink SIP-T46S")],
        ));
        assert!(matches!(got, Some(Answered::Detail(ref x)) if x.user_agent.as_deref() == Some("Yealink SIP-T46S")));
        assert_eq!(d.next_to_send().as_deref(), Some("p8"), "an answer frees a slot");
        assert_eq!(d.feed(&answer("id-p0", &[("Response", "Success")])), None, "answered already");
        assert_eq!(d.feed(&answer("other", &[("Response", "Success")])), None, "not ours");

        d.registered("P0", "203.0.113.5:5060");
        d.registered("P1", "198.51.100.7:5060");
        let rest: Vec<String> = std::iter::from_fn(|| d.queue.pop_front()).collect();
        assert_eq!(rest.last().map(String::as_str), Some("p1"), "a new address is asked about again");
        assert!(!rest.contains(&"p0".to_string()), "the same address is not");
    }

    #[test]
    fn a_refusal_stops_the_asking() {
        let mut d = Details::default();
        d.registered("1001", "a");
        d.registered("1002", "a");
        let peer = d.next_to_send().expect("queued");
        d.sent("x".into(), peer);
        let got = d.feed(&answer("x", &[("Response", "Error"), ("Message", "Permission denied")]));
        assert_eq!(got, Some(Answered::Unavailable("Permission denied".into())));
        assert_eq!(d.next_to_send(), None);
        d.registered("1003", "b");
        assert_eq!(d.next_to_send(), None, "nothing more is asked on this connection");
    }

    #[test]
    fn a_peer_gone_meanwhile_is_asked_again_when_it_returns() {
        let mut d = Details::default();
        d.registered("1001", "a");
        let peer = d.next_to_send().expect("queued");
        d.sent("x".into(), peer);
        assert_eq!(
            d.feed(&answer("x", &[("Response", "Error"), ("Message", "Peer not found")])),
            Some(Answered::Nothing)
        );
        d.registered("1001", "a");
        assert_eq!(d.next_to_send().as_deref(), Some("1001"));
    }
}
