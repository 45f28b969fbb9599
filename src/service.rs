//! Use cases shared by every entry point (the legacy API, server functions, the CLI): each runs the
//! domain rules, then the storage calls in one transaction, writes the audit entry and marks the
//! server for a conf rebuild.
//!
//! Knows the domain and storage; knows nothing of HTTP, response formats or the UI.

pub mod admin;
pub mod aliases;
pub mod audit;
pub mod auth;
pub mod phones;

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
}
