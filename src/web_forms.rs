//! The web admin's form posts without JavaScript: the phone form (`POST /phones/new`,
//! `POST /phones/{server_ip}/{extension}/edit`) saves through the same function as its server
//! function, then redirects to the phone page (303), or renders the page again with the posted values
//! and the errors next to their fields. A new home or mobile number (EXTERNAL) posted with the
//! wizard's default ring timeout gets the one the login path accepts. Behind the session guard
//! (same-origin, signed in). Secrets posted are never put into a URL or a log.

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use leptos::prelude::provide_context;

use crate::app::shell;
use crate::app::wizard::{accepted_weak, input_from_form, save, FormMode, PostedForm, SaveOutcome};
use crate::domain::access::Viewer;
use crate::domain::wizard::{Device, DEFAULT_RING_TIMEOUT};
use crate::domain::PhoneEntryInput;
use crate::service::{phones, Actor};
use crate::state::AppState;

/// The largest form accepted (bytes).
const MAX_FORM: usize = 64 * 1024;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/phones/new", post(new_phone)).route("/phones/{server_ip}/{extension}/edit", post(edit_phone))
}

async fn new_phone(State(state): State<AppState>, req: Request) -> Response {
    phone_form(state, FormMode::New { copy: None }, req).await
}

async fn edit_phone(
    State(state): State<AppState>,
    Path((server_ip, extension)): Path<(String, String)>,
    req: Request,
) -> Response {
    phone_form(state, FormMode::Edit(server_ip, extension), req).await
}

async fn phone_form(state: AppState, mode: FormMode, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(viewer) = parts.extensions.get::<Viewer>().cloned() else {
        return Redirect::to("/sign-in").into_response();
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The form is larger than 64 KB.").into_response();
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    // An edit starts from the stored values so that fields the post leaves out keep them, except the
    // two passwords: those start empty ("keep the stored one" when saved), so a refused post, which
    // renders the form again with the values it holds, never carries a stored secret into the page.
    let start = match &mode {
        FormMode::Edit(ip, ext) => match phones::find_phone(&state.db, ext, ip).await {
            Ok(Some(row)) => PhoneEntryInput {
                phone_pass: String::new(),
                registration_password: String::new(),
                ..phones::row_to_input(&row)
            },
            Ok(None) => PhoneEntryInput::default(),
            Err(e) => {
                tracing::error!("phone form: database error: {e}");
                return (StatusCode::SERVICE_UNAVAILABLE, "The database failed; nothing was saved.").into_response();
            }
        },
        FormMode::New { .. } => PhoneEntryInput::default(),
    };
    let mut input = input_from_form(&pairs, start);
    if let (FormMode::New { .. }, Some(device)) = (&mode, Device::of(&input)) {
        // The field showed the wizard's default without JavaScript to change it with the device.
        if input.phone_ring_timeout == DEFAULT_RING_TIMEOUT {
            input.phone_ring_timeout = device.default_ring_timeout();
        }
    }
    let accept_weak = accepted_weak(&pairs);
    let ip = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string());
    let actor = Actor { user: viewer.user.clone(), ip: ip.unwrap_or_else(|| "unknown".into()) };
    let posted = match save(&state, &viewer, &actor, &mode, input.clone(), &accept_weak).await {
        SaveOutcome::Saved(href) => return Redirect::to(&href).into_response(),
        SaveOutcome::Fields(errors) => {
            PostedForm { input, errors, message: Some("Not saved: fix the fields marked below.".into()), accept_weak }
        }
        SaveOutcome::Message(m) => PostedForm { input, errors: Vec::new(), message: Some(m), accept_weak },
    };
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(state.clone());
            provide_context(posted.clone());
        },
        move || shell(options.clone()),
    );
    render(Request::from_parts(parts, Body::empty())).await
}
