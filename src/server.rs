//! Process assembly for `dialtone serve`: first-start admin user, router (legacy API + Leptos pages
//! and server functions + the bundle's files (`assets`), behind the session guard and the security
//! headers, pages gzip-compressed (`compression`)), the
//! connection loop with its timeouts and cap (`connections`), graceful shutdown.

pub mod assets;
mod compression;
mod connections;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use axum::Router;
use leptos::config::get_configuration;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};

use crate::app::{shell, App};
use crate::service::admin::{self, UserSpec};
use crate::service::auth::Authenticator;
use crate::service::conf::{ConfSettings, ConfWorker};
use crate::service::registration::{AmiLinks, RegistrationMonitor, RegistrationSettings};
use crate::service::Actor;
use crate::state::AppState;
use crate::storage::Db;
pub use connections::{serve as serve_connections, ConnLimits, MAX_BODY};

/// The minimum user level for the legacy API (VICIdial: `user_level > 6`).
pub const API_MIN_LEVEL: i64 = 7;

/// Creates user `admin` (level 9, every flag) when there are no users: with `DIALTONE_ADMIN_PASSWORD`
/// if set, else a random password printed once on standard output.
pub async fn ensure_admin(db: &Db) -> anyhow::Result<()> {
    if admin::count_users(db).await? > 0 {
        return Ok(());
    }
    let (pass, generated) = match std::env::var("DIALTONE_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (admin::random_password(), true),
    };
    let spec = UserSpec {
        user: "admin",
        pass: &pass,
        level: 9,
        api_access: true,
        ast_admin: true,
        delete_phones: true,
        modify_phones: true,
        modify_servers: true,
        api_functions: " ALL_FUNCTIONS ",
        active: true,
    };
    admin::add_user(db, &Actor::cli(), &spec).await.context("could not create the first user")?;
    if generated {
        println!("Created user 'admin' with password: {pass}");
        println!("This password is shown only once; store it now.");
    } else {
        println!("Created user 'admin' with the password from DIALTONE_ADMIN_PASSWORD.");
    }
    Ok(())
}

/// The app's routes, generated once per process. Generating them runs the app with resource loading
/// switched off for the whole process (Leptos' `SuppressResourceLoad` is a global flag), and a
/// resource first polled meanwhile, in a page another router is rendering, would never finish
/// (leptos-rs/leptos#4773). Every router built after the first (the tests build many at once) reuses
/// this list instead of generating it again while pages render.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Builds the whole router for `state`.
pub fn app(state: AppState) -> Router {
    let routes = route_list();
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    let guard_state = state.clone();
    Router::new()
        .merge(crate::api::router())
        .merge(crate::web_session::router())
        .merge(crate::web_forms::router())
        .merge(assets::router())
        // The phone page's no-JavaScript reveal form posts to the page itself (GET is the Leptos route).
        .route(crate::app::phone_page::PAGE_PATH, axum::routing::post(crate::app::phone_page::reveal_form))
        // The flow page's simulated login posts to the page itself; its live updates are an event stream.
        .route(crate::app::flow::FLOW_PATH, axum::routing::post(crate::app::flow::server::simulate_form))
        .route(crate::app::flow::LOGIN_CHECK_PATH, axum::routing::post(crate::app::flow::server::login_check_form))
        .route(crate::app::flow::FLOW_EVENTS_PATH, axum::routing::get(crate::app::flow::server::flow_events))
        .merge(crate::app::conf_download_router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(compression::compress_pages))
        .layer(axum::middleware::from_fn_with_state(guard_state, crate::web_session::guard))
        .layer(axum::middleware::from_fn(crate::web_session::security_headers))
        .with_state(state)
}

/// The state for `db` and the conf generator's `conf` settings, with Leptos options from the
/// environment (`LEPTOS_SITE_ROOT`, ...).
pub fn state(db: Db, listen: SocketAddr, conf: ConfSettings) -> anyhow::Result<AppState> {
    let leptos = get_configuration(None).context("could not read the Leptos configuration")?;
    let mut leptos_options = leptos.leptos_options;
    leptos_options.site_addr = listen;
    let assets = assets::shared(std::path::Path::new(leptos_options.site_root.as_ref()));
    Ok(AppState {
        leptos_options,
        db,
        auth: Arc::new(Authenticator::new(API_MIN_LEVEL)),
        conf,
        ami: AmiLinks::default(),
        anonymous_calls: Arc::default(),
        first_gmt: Arc::default(),
        assets,
    })
}

/// Serves until Ctrl-C or SIGTERM, each connection within `limits`.
///
/// The conf generator and the registration monitor (AMI) run beside the server and stop with it.
pub async fn serve(db: Db, listen: SocketAddr, conf: ConfSettings, limits: ConnLimits) -> anyhow::Result<()> {
    ensure_admin(&db).await?;
    let worker = ConfWorker::start(db.clone(), conf.clone());
    let state = state(db.clone(), listen, conf)?;
    let registration = RegistrationMonitor::start(db, state.ami.clone(), RegistrationSettings::default());
    let router = app(state);
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("could not listen on {listen}"))?;
    tracing::info!("Dialtone listening on http://{listen}");
    serve_connections(listener, router, limits, shutdown_signal()).await;
    registration.stop().await;
    worker.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
