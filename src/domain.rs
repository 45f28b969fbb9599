//! Phone-entry and carrier rules: every check a phone entry or a carrier must pass before it is stored,
//! as plain functions over plain types, with a typed error per field.
//!
//! Compiled for WASM (the browser wizard) and for the server (server functions and the legacy
//! `non_agent_api.php`) from the same source, so the rules exist exactly once. This module must not
//! depend on sqlx, axum, tokio, leptos or any I/O, and contains no `cfg(feature)` switches. Rules that
//! need the database (uniqueness, a referenced server or template existing) live in `service`.

pub mod access;
pub mod asterisk_conf;
pub mod carrier;
pub mod decision_flow;
pub mod dial_pattern;
pub mod gmt;
pub mod limits;
pub mod phone_alias;
pub mod phone_entry;
pub mod phone_list;
pub mod registration;
pub mod sip_stacks;
pub mod wizard;

pub use gmt::{canonical_gmt, GMT_OFFSETS};
pub use phone_entry::{
    validate_phone_entry, Field, FieldError, Flag, InvalidPhoneEntry, PhoneEntry, PhoneEntryInput, PhoneStatus,
    Protocol, ProtocolSet, Rule, Webphone,
};
pub use sip_stacks::SipStacks;
