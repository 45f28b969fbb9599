//! A server's generated Asterisk conf files as downloads: `GET /servers/{server_ip}/conf/{file_name}`,
//! `text/plain` with `Content-Disposition: attachment`. Server only.
//!
//! Behind the session guard like every page (signed out: a redirect to the sign-in page). The files
//! hold the phones' registration passwords, so a download needs `ast_admin_access` (the right to
//! reveal phone secrets) and is audited by the service. Only the four generated file names are
//! served, and only for a server that exists with a dotted IPv4 address: nothing else on disk can be
//! reached (`service::conf::read_conf_file` checks the IP again).

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::domain::access::Viewer;
use crate::domain::asterisk_conf::ConfFile;
use crate::service::admin::download_conf_file;
use crate::service::Actor;
use crate::state::AppState;

/// The download route.
pub fn router() -> Router<AppState> {
    Router::new().route("/servers/{server_ip}/conf/{file_name}", get(download))
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

async fn download(
    State(state): State<AppState>,
    Path((server_ip, file_name)): Path<(String, String)>,
    req: Request,
) -> Response {
    // The guard put the viewer in; without one the request never gets here (second lock).
    let Some(viewer) = req.extensions().get::<Viewer>().cloned() else {
        return refuse(StatusCode::UNAUTHORIZED, "Sign in first.\n");
    };
    if !viewer.can_reveal_secrets() {
        return refuse(
            StatusCode::FORBIDDEN,
            "Downloading conf files needs ast_admin_access: they contain the phones' passwords.\n",
        );
    }
    let Some(file) = ConfFile::from_file_name(&file_name) else {
        return refuse(StatusCode::NOT_FOUND, "No such conf file.\n");
    };
    let actor = Actor { user: viewer.user.clone(), ip: crate::api::client_ip(&req) };
    match download_conf_file(&state.db, &state.conf, &actor, &server_ip, file).await {
        Ok(Some(text)) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.file_name())),
                (header::CACHE_CONTROL, "no-store".to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            ],
            text,
        )
            .into_response(),
        Ok(None) => refuse(StatusCode::NOT_FOUND, "No such server, or its files have not been generated yet.\n"),
        Err(e) => {
            tracing::error!("conf file download failed: {e}");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "The file could not be read.\n")
        }
    }
}
