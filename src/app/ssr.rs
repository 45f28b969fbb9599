//! Server-side helpers for the server functions: the shared state, the signed-in viewer and the
//! audit actor from the request, and permission checks. Server only; pages never see these.

use leptos::prelude::*;

use crate::domain::access::Viewer;
use crate::service::Actor;
use crate::state::AppState;

/// The shared state (provided by the router for every server function and page render).
pub fn state() -> Result<AppState, ServerFnError> {
    use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state missing"))
}

/// The signed-in user the session guard put into the request, if any.
pub fn viewer() -> Option<Viewer> {
    use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<Viewer>().cloned())
}

/// The signed-in user, or an error (the guard already refuses anonymous calls; this is the second lock).
pub fn require_viewer() -> Result<Viewer, ServerFnError> {
    viewer().ok_or_else(|| ServerFnError::new("sign in first"))
}

/// The signed-in user if they may add, edit and copy phones.
pub fn require_phone_manager() -> Result<Viewer, ServerFnError> {
    let viewer = require_viewer()?;
    if viewer.can_manage_phones() {
        Ok(viewer)
    } else {
        Err(ServerFnError::new("your user may not change phones (needs ast_admin_access or modify_phones)"))
    }
}

/// The audit actor for `viewer`, with the client's address from the request.
pub fn actor(viewer: &Viewer) -> Actor {
    let ip = use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    Actor { user: viewer.user.clone(), ip }
}

/// A database failure as the user sees it: logged in full, shown without detail.
pub fn db_error(e: impl std::fmt::Display) -> ServerFnError {
    tracing::error!("database error in a server function: {e}");
    ServerFnError::new("database error")
}

/// The signed-in user if they may add and edit servers (`modify_servers`), or the refusal to show.
pub fn require_server_manager() -> Result<Viewer, String> {
    let viewer = viewer().ok_or_else(|| "sign in first".to_string())?;
    if viewer.can_manage_servers() {
        Ok(viewer)
    } else {
        Err("your user may not add or change servers (needs modify_servers)".to_string())
    }
}
