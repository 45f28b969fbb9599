//! Registration state as Asterisk reports it: VICIdial's `peer_status` values and the state of
//! Dialtone's link to a server's Asterisk Manager Interface (AMI), as pages show them.
//!
//! Plain data, wasm-safe: no I/O, no clock (times are Unix seconds given by the caller). The monitor
//! that produces these values lives in `service::registration`.

use serde::{Deserialize, Serialize};

/// VICIdial's `phones.peer_status`: what Asterisk last said about the phone's peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PeerStatus {
    /// Nothing known (never observed, or Asterisk said `Unknown`).
    #[default]
    Unknown,
    /// The device registered (no qualify result yet, or qualify is off).
    Registered,
    /// No registration: expired, unregistered, or never registered.
    Unregistered,
    /// Registered and answering qualify (`OPTIONS`) within the peer's limit.
    Reachable,
    /// Registered, answering qualify more slowly than the peer's limit.
    Lagged,
    /// Registered once, but not answering qualify.
    Unreachable,
}

impl PeerStatus {
    /// Every value, in the order of the phones list's filter.
    pub const ALL: [PeerStatus; 6] = [
        PeerStatus::Registered,
        PeerStatus::Reachable,
        PeerStatus::Lagged,
        PeerStatus::Unreachable,
        PeerStatus::Unregistered,
        PeerStatus::Unknown,
    ];

    /// The stored value (`REGISTERED` ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PeerStatus::Unknown => "UNKNOWN",
            PeerStatus::Registered => "REGISTERED",
            PeerStatus::Unregistered => "UNREGISTERED",
            PeerStatus::Reachable => "REACHABLE",
            PeerStatus::Lagged => "LAGGED",
            PeerStatus::Unreachable => "UNREACHABLE",
        }
    }

    /// Parses a stored value (exact, upper case); `None` for anything else.
    pub fn parse(value: &str) -> Option<PeerStatus> {
        PeerStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether the device has a registration (registered, reachable, lagged or unreachable).
    pub fn is_registered(self) -> bool {
        matches!(self, PeerStatus::Registered | PeerStatus::Reachable | PeerStatus::Lagged | PeerStatus::Unreachable)
    }
}

impl std::fmt::Display for PeerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long changes of a phone's registered address are counted together (seconds): the count
/// starts again once its start is older, and only changes within it can mark a flapping
/// registration.
pub const ADDRESS_CHANGE_WINDOW: i64 = 3600;

/// The state of Dialtone's event connection to one server's AMI. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmiLink {
    /// The server has no AMI settings, or `active_asterisk_server` is `N`: nothing is monitored.
    NotConfigured,
    /// Connecting and logging in.
    Connecting {
        /// When this attempt started.
        since: i64,
    },
    /// Logged in and following events.
    Connected {
        /// When the login succeeded.
        since: i64,
    },
    /// The connection failed or was lost; the next attempt is scheduled.
    Down {
        /// The last error (never holds the AMI secret).
        error: String,
        /// When the link went down (the first failure of this outage).
        since: i64,
        /// When the next attempt starts.
        retry_at: i64,
    },
}

impl AmiLink {
    /// A short name for the state: `not-configured`, `connecting`, `connected` or `down` (for
    /// styling and tests).
    pub fn kind(&self) -> &'static str {
        match self {
            AmiLink::NotConfigured => "not-configured",
            AmiLink::Connecting { .. } => "connecting",
            AmiLink::Connected { .. } => "connected",
            AmiLink::Down { .. } => "down",
        }
    }

    /// One line for pages, with times formatted by `stamp` (e.g. `connected since 2026-12-01 10:00:00
    /// UTC`, `down: <error>, retrying at …`, `not configured`).
    pub fn summary(&self, stamp: impl Fn(i64) -> String) -> String {
        match self {
            AmiLink::NotConfigured => "not configured".to_string(),
            AmiLink::Connecting { since } => format!("connecting since {}", stamp(*since)),
            AmiLink::Connected { since } => format!("connected since {}", stamp(*since)),
            AmiLink::Down { error, retry_at, .. } => format!("down: {error}, retrying at {}", stamp(*retry_at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_status_round_trips_vicidial_values() {
        for s in PeerStatus::ALL {
            assert_eq!(PeerStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PeerStatus::parse("registered"), None);
        assert_eq!(PeerStatus::parse(""), None);
        let listed: Vec<&str> = PeerStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(listed, crate::domain::phone_list::REGISTRATION_STATES);
        assert!(PeerStatus::Lagged.is_registered() && !PeerStatus::Unregistered.is_registered());
    }

    #[test]
    fn link_summaries() {
        let stamp = |t: i64| format!("t{t}");
        assert_eq!(AmiLink::NotConfigured.summary(stamp), "not configured");
        assert_eq!(AmiLink::Connected { since: 5 }.summary(stamp), "connected since t5");
        assert_eq!(AmiLink::Connecting { since: 4 }.summary(stamp), "connecting since t4");
        let down = AmiLink::Down { error: "AMI h:1: connect: refused".into(), since: 1, retry_at: 9 };
        assert_eq!(down.summary(stamp), "down: AMI h:1: connect: refused, retrying at t9");
        assert_eq!(down.kind(), "down");
    }
}
