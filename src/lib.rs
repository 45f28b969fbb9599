//! Dialtone: a fast, secure web admin and a drop-in `non_agent_api.php` for VICIdial phone entries.
//!
//! Layout: `domain` holds the rules (pure, compiled for the browser and the server); `storage` the
//! SQLite schema and queries; `service` the use cases both entry points share; `api` the legacy HTTP
//! API; `app` the Leptos UI and its server functions; `server` and `cli` assemble the process.

// Leptos views are nested generic types; the flow page's is deeper than rustc's default limit.
#![recursion_limit = "256"]

pub mod app;
pub mod domain;

#[cfg(feature = "ssr")]
pub mod ami;
#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod storage;
#[cfg(feature = "ssr")]
pub mod web_forms;
#[cfg(feature = "ssr")]
pub mod web_session;

/// Entry point of the browser bundle: hydrates the islands of the server-rendered page (the
/// interactive parts; the rest stays plain HTML). A server function's redirect is a page load.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `set_redirect_hook` fails only when a hook is already set, and nothing else sets one.
    let _ = leptos::server_fn::redirect::set_redirect_hook(app::go_to);
    leptos::mount::hydrate_islands();
}
