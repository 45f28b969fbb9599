//! Server-side helpers for the server functions: the shared state, the signed-in viewer and the
//! audit actor from the request, and permission checks, each refusal an [`AppError`] with its HTTP
//! status. Server only; pages never see these.

use leptos::prelude::*;

use super::error::AppError;
use crate::domain::access::Viewer;
use crate::service::Actor;
use crate::state::AppState;

/// The shared state (provided by the router for every server function and page render).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::Internal("server state missing".into()))
}

/// The signed-in user the session guard put into the request, if any.
pub fn viewer() -> Option<Viewer> {
    use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<Viewer>().cloned())
}

/// The signed-in user, or [`AppError::SignIn`] (the guard already refuses anonymous calls; every
/// server function checks again, so no route or guard mistake can expose one).
pub fn require_viewer() -> Result<Viewer, AppError> {
    viewer().ok_or(AppError::SignIn)
}

/// The signed-in user if they may add, edit and copy phones.
pub fn require_phone_manager() -> Result<Viewer, AppError> {
    let viewer = require_viewer()?;
    if viewer.can_manage_phones() {
        Ok(viewer)
    } else {
        Err(AppError::Forbidden(
            "Your user may not add or change phones (it needs ast_admin_access or modify_phones).".into(),
        ))
    }
}

/// The signed-in user if they may add and edit servers and carriers (`modify_servers`).
pub fn require_server_manager() -> Result<Viewer, AppError> {
    let viewer = require_viewer()?;
    if viewer.can_manage_servers() {
        Ok(viewer)
    } else {
        Err(AppError::Forbidden("your user may not add or change servers (needs modify_servers)".into()))
    }
}

/// The client's address from the connection (`unknown` without one).
pub fn client_ip() -> String {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// The audit actor for `viewer`, with the client's address from the request.
pub fn actor(viewer: &Viewer) -> Actor {
    Actor { user: viewer.user.clone(), ip: client_ip() }
}

/// A database failure as the user sees it: logged in full, shown without detail.
pub fn db_error(e: impl std::fmt::Display) -> AppError {
    AppError::db(e)
}
