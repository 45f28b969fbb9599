//! Use cases shared by every entry point (the legacy API, server functions, the CLI): each runs the
//! domain rules, then the storage calls in one transaction, writes the audit entry and marks the
//! server for a conf rebuild.
//!
//! Knows the domain and storage; knows nothing of HTTP, response formats or the UI.

pub mod admin;
pub mod aliases;
pub mod attempts;
pub mod audit;
pub mod auth;
pub mod call_log;
pub mod carriers;
pub mod conf;
pub mod demo;
pub mod flow;
pub mod list_index;
pub mod phone_list;
pub mod phones;
pub mod registration;
pub mod sessions;
pub mod wizard;

use crate::storage::audit::AuditEntry;
use crate::storage::now_unix;

/// Who is acting, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user name.
    pub user: String,
    /// The client's IP address (or `cli`).
    pub ip: String,
}

impl Actor {
    /// An actor for the admin CLI.
    pub fn cli() -> Actor {
        Actor { user: "cli".into(), ip: "cli".into() }
    }

    /// An audit entry for something this actor did now. `diff` must already have its secrets redacted.
    pub(crate) fn audit<'a>(
        &'a self,
        section: &'a str,
        kind: &'a str,
        record: &'a str,
        code: &'a str,
        diff: &'a str,
        notes: &'a str,
    ) -> AuditEntry<'a> {
        AuditEntry {
            event_date: now_unix(),
            user: &self.user,
            ip_address: &self.ip,
            event_section: section,
            event_type: kind,
            record_id: record,
            event_code: code,
            event_diff: diff,
            event_notes: notes,
        }
    }
}
