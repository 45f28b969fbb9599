//! A server's SIP stacks (`servers.allowed_sip_stacks`): whether its Asterisk serves `SIP` phones
//! (`chan_sip`), `PJSIP` phones (`chan_pjsip`) or both. One parse, one rule and one wording, used by
//! the phone form's rule (`wizard::check_entry`), the login path's peer check (`decision_flow`) and the
//! server settings (the web admin's choices and their check).
//!
//! Pure and wasm-safe: knows nothing of the UI, SQL or HTTP.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::phone_entry::Protocol;

/// `servers.allowed_sip_stacks`: which SIP channel drivers the server's Asterisk runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SipStacks {
    /// `SIP`: `chan_sip` only (VICIdial's default).
    #[default]
    Sip,
    /// `PJSIP`: `chan_pjsip` only.
    Pjsip,
    /// `SIP_and_PJSIP`: both (on different ports, as `docs/PJSIP_SUPPORT.txt` describes).
    SipAndPjsip,
}

impl SipStacks {
    /// Every value, in the order the server form offers them.
    pub const ALL: [SipStacks; 3] = [SipStacks::Sip, SipStacks::Pjsip, SipStacks::SipAndPjsip];

    /// The rule a stored or submitted value must pass, for messages.
    pub const RULE: &'static str = "must be SIP, PJSIP or SIP_and_PJSIP";

    /// VICIdial's spelling, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SipStacks::Sip => "SIP",
            SipStacks::Pjsip => "PJSIP",
            SipStacks::SipAndPjsip => "SIP_and_PJSIP",
        }
    }

    /// Exact (case-sensitive) parse of VICIdial's spelling; `None` for anything else.
    pub fn parse(text: &str) -> Option<SipStacks> {
        SipStacks::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// A value read from `servers.allowed_sip_stacks`. The schema's CHECK admits only the three
    /// spellings; anything else (a row written around it) reads as VICIdial's default, `SIP`.
    pub fn from_stored(text: &str) -> SipStacks {
        SipStacks::parse(text).unwrap_or_default()
    }

    /// In plain words, for messages and lists: `SIP`, `PJSIP`, `SIP and PJSIP`.
    pub fn describe(self) -> &'static str {
        match self {
            SipStacks::Sip => "SIP",
            SipStacks::Pjsip => "PJSIP",
            SipStacks::SipAndPjsip => "SIP and PJSIP",
        }
    }

    /// The server form's label for the choice.
    pub fn label(self) -> &'static str {
        match self {
            SipStacks::Sip => "SIP (chan_sip)",
            SipStacks::Pjsip => "PJSIP",
            SipStacks::SipAndPjsip => "SIP and PJSIP",
        }
    }

    /// Whether a phone of `protocol` can have a working peer on a server with these stacks: `SIP` needs
    /// `chan_sip`, `PJSIP` needs `chan_pjsip`; IAX2, Zap and EXTERNAL do not depend on the SIP stacks.
    pub fn allows(self, protocol: Protocol) -> bool {
        match protocol {
            Protocol::Sip => self != SipStacks::Pjsip,
            Protocol::Pjsip => self != SipStacks::Sip,
            Protocol::Iax2 | Protocol::Zap | Protocol::External => true,
        }
    }

    /// Why a `protocol` phone cannot work on a server with these stacks, to follow "the server ..." or a
    /// server's name: `does not run PJSIP phones (it allows SIP only)`.
    pub fn refusal(self, protocol: Protocol) -> String {
        let only = if self == SipStacks::SipAndPjsip { "" } else { " only" };
        format!("does not run {protocol} phones (it allows {}{only})", self.describe())
    }

    /// What to do about a `protocol` phone these stacks refuse.
    pub fn fix(self, protocol: Protocol) -> String {
        let other = if protocol == Protocol::Pjsip { Protocol::Sip } else { Protocol::Pjsip };
        format!("Allow {protocol} in the server's SIP stacks, or make the phone {other} (or choose another server)")
    }
}

impl fmt::Display for SipStacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vicidials_spellings_only() {
        for s in SipStacks::ALL {
            assert_eq!(SipStacks::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        for bad in ["", "sip", "Pjsip", "SIP_AND_PJSIP", "SIP and PJSIP", "IAX", " SIP"] {
            assert_eq!(SipStacks::parse(bad), None, "{bad:?}");
        }
        assert_eq!(SipStacks::default(), SipStacks::Sip, "VICIdial's schema default");
        assert_eq!(SipStacks::from_stored("SIP_and_PJSIP"), SipStacks::SipAndPjsip);
        assert_eq!(SipStacks::from_stored("garbage"), SipStacks::Sip);
    }

    #[test]
    fn sip_needs_chan_sip_and_pjsip_needs_chan_pjsip() {
        let table = [
            (SipStacks::Sip, Protocol::Sip, true),
            (SipStacks::Sip, Protocol::Pjsip, false),
            (SipStacks::Pjsip, Protocol::Sip, false),
            (SipStacks::Pjsip, Protocol::Pjsip, true),
            (SipStacks::SipAndPjsip, Protocol::Sip, true),
            (SipStacks::SipAndPjsip, Protocol::Pjsip, true),
        ];
        for (stacks, protocol, allowed) in table {
            assert_eq!(stacks.allows(protocol), allowed, "{stacks} {protocol}");
        }
        for stacks in SipStacks::ALL {
            for protocol in [Protocol::Iax2, Protocol::Zap, Protocol::External] {
                assert!(stacks.allows(protocol), "{stacks} {protocol}");
            }
        }
    }

    #[test]
    fn the_refusal_names_the_protocol_and_what_the_server_allows() {
        assert_eq!(SipStacks::Sip.refusal(Protocol::Pjsip), "does not run PJSIP phones (it allows SIP only)");
        assert_eq!(SipStacks::Pjsip.refusal(Protocol::Sip), "does not run SIP phones (it allows PJSIP only)");
        assert!(SipStacks::Pjsip
            .fix(Protocol::Sip)
            .starts_with("Allow SIP in the server's SIP stacks, or make the phone PJSIP"));
        assert!(SipStacks::Sip.fix(Protocol::Pjsip).contains("make the phone SIP"));
    }
}
