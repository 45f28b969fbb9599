//! The state every request handler and server function shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::assets::Assets;
use crate::service::admin::FirstGmtCache;
use crate::service::auth::Authenticator;
use crate::service::call_log::AnonymousBudget;
use crate::service::conf::ConfSettings;
use crate::service::registration::AmiLinks;
use crate::storage::Db;

/// Shared application state.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    /// Leptos rendering options.
    pub leptos_options: LeptosOptions,
    /// The database.
    pub db: Db,
    /// Password verification with its cache.
    pub auth: Arc<Authenticator>,
    /// Where the generated Asterisk conf files are (the servers pages offer them for download).
    pub conf: ConfSettings,
    /// Each server's AMI link as the registration monitor last saw it (the servers pages show it).
    pub ami: AmiLinks,
    /// How many anonymous legacy API calls are still logged one by one this minute.
    pub anonymous_calls: Arc<AnonymousBudget>,
    /// The browser bundle's files, read once from the site directory.
    pub assets: Arc<Assets>,
    /// The first active server's GMT offset for the legacy `version` call, read at most once a second.
    pub first_gmt: Arc<FirstGmtCache>,
}
