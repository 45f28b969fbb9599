//! The Leptos application: the HTML shell, the router and the pages, with their server functions.
//!
//! Components render and react; rules come from `domain`, data from server functions that call
//! `service`/`storage` on the server only.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, StaticSegment};
use serde::{Deserialize, Serialize};

use crate::domain::access::Viewer;
use crate::domain::phone_entry::validate_extension;
use crate::domain::Protocol;

/// The HTML document around the app (server-side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes. Pages render with `SsrMode::Async` (the HTML is sent once
/// every resource has loaded) so they are complete without JavaScript.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/dialtone.css" />
        <Title text="Dialtone" />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Dialtone"</a>
                <nav aria-label="Main">
                    <a href="/">"Overview"</a>
                </nav>
                <UserMenu />
            </header>
            <main>
                <Routes fallback=|| view! { <p>"Page not found."</p> }>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route path=StaticSegment("sign-in") view=SignInPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// The signed-in user (`None` on the sign-in page). On the server it comes from the request, where
/// the session guard put it.
#[server(prefix = "/serverfn", endpoint = "get_viewer")]
pub async fn get_viewer() -> Result<Option<Viewer>, ServerFnError> {
    Ok(use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<Viewer>().cloned()))
}

/// Who is signed in, and the sign-out button.
#[component]
fn UserMenu() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                viewer
                    .get()
                    .and_then(Result::ok)
                    .flatten()
                    .map(|v| {
                        view! {
                            <form class="user-menu" method="post" action=SIGN_OUT_ACTION>
                                <span>{format!("Signed in as {}", v.user)}</span>
                                <button type="submit">"Sign out"</button>
                            </form>
                        }
                    })
            }}
        </Suspense>
    }
}

/// Where the sign-in form posts (handled by the server's session guard, not a server function, so it
/// works without JavaScript and sets an `HttpOnly` cookie).
pub const SIGN_IN_ACTION: &str = "/auth/sign-in";
/// Where the sign-out form posts.
pub const SIGN_OUT_ACTION: &str = "/auth/sign-out";

/// The sign-in page: a plain form (works without JavaScript); the outcome of a refused attempt comes
/// back in the query string (`error=refused|locked`), never the user name or password.
#[component]
fn SignInPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let error = move || match query.read().get("error").as_deref() {
        Some("refused") => Some("The user name or password is wrong, or this account may not sign in."),
        Some("locked") => Some("This account is locked after 10 failed sign-ins. Try again in 15 minutes."),
        Some(_) => Some("Enter a user name and a password."),
        None => None,
    };
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_string());
    view! {
        <Title text="Sign in · Dialtone" />
        <section class="card sign-in" aria-labelledby="sign-in-h">
            <h1 id="sign-in-h">"Sign in"</h1>
            <p>"Use your VICIdial user (level 7 or more)."</p>
            {move || error().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <form method="post" action=SIGN_IN_ACTION>
                <input type="hidden" name="next" value=next />
                <label for="sign-in-user">"User name"</label>
                <input id="sign-in-user" name="user" autocomplete="username" required maxlength="20" />
                <label for="sign-in-pass">"Password"</label>
                <input id="sign-in-pass" name="pass" type="password" autocomplete="current-password" required maxlength="100" />
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    }
}

/// One server in the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSummary {
    /// `server_id`
    pub server_id: String,
    /// `server_ip`
    pub server_ip: String,
    /// The Asterisk conf state (generated, applied, pending ...).
    pub conf: String,
}

/// What the overview page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// Phones stored.
    pub phones: i64,
    /// Servers.
    pub servers: Vec<ServerSummary>,
    /// The legacy API level matched.
    pub api_version: String,
}

/// Counts for the overview page.
#[server(prefix = "/serverfn", endpoint = "get_overview")]
pub async fn get_overview() -> Result<Overview, ServerFnError> {
    use crate::state::AppState;
    use crate::storage::{phones, servers};
    let state = use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state missing"))?;
    let mut conn = state.db.reader().acquire().await.map_err(|_| ServerFnError::new("database unavailable"))?;
    let count = phones::count_phones(&mut conn).await.map_err(|_| ServerFnError::new("database error"))?;
    let rows = servers::list_servers(&mut conn).await.map_err(|_| ServerFnError::new("database error"))?;
    drop(conn);
    let views =
        crate::service::conf::server_conf_views(&state.db).await.map_err(|_| ServerFnError::new("database error"))?;
    Ok(Overview {
        phones: count,
        servers: rows
            .into_iter()
            .map(|s| ServerSummary {
                conf: views.iter().find(|v| v.server_ip == s.server_ip).map(|v| v.summary()).unwrap_or_default(),
                server_id: s.server_id,
                server_ip: s.server_ip,
            })
            .collect(),
        api_version: crate::api::API_VERSION.to_string(),
    })
}

/// The overview: phone and server counts, and a live check of the extension rule.
#[component]
fn HomePage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <h1>"Overview"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                overview
                    .get()
                    .map(|r| match r {
                        Ok(o) => view! { <OverviewCard overview=o /> }.into_any(),
                        Err(_) => view! { <p role="alert">"Could not load the overview."</p> }.into_any(),
                    })
            }}
        </Suspense>
        <ExtensionCheck />
    }
}

#[component]
fn OverviewCard(overview: Overview) -> impl IntoView {
    let servers = overview.servers.clone();
    view! {
        <section class="card" aria-labelledby="counts-h">
            <h2 id="counts-h">"Phone entries"</h2>
            <p data-testid="phone-count">{format!("{} phones", overview.phones)}</p>
            <p>{format!("Legacy API: non_agent_api.php level {}", overview.api_version)}</p>
            <table>
                <caption>"Servers"</caption>
                <thead>
                    <tr>
                        <th scope="col">"ID"</th>
                        <th scope="col">"IP"</th>
                        <th scope="col">"Asterisk conf"</th>
                    </tr>
                </thead>
                <tbody>
                    {servers
                        .into_iter()
                        .map(|s| {
                            view! {
                                <tr>
                                    <td>{s.server_id}</td>
                                    <td>{s.server_ip}</td>
                                    <td>{s.conf}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// Checks an extension against the protocol's naming rule as the user types, with the same
/// `domain` function the server uses.
#[component]
fn ExtensionCheck() -> impl IntoView {
    let (protocol, set_protocol) = signal(Protocol::Sip);
    let (extension, set_extension) = signal(String::new());
    let verdict = move || {
        let ext = extension.get();
        if ext.is_empty() {
            return String::new();
        }
        match validate_extension(&ext, Some(protocol.get())) {
            Ok(_) => format!("{ext} is a valid {} extension", protocol.get()),
            Err(e) => e.labelled(),
        }
    };
    view! {
        <section class="card" aria-labelledby="check-h">
            <h2 id="check-h">"Check an extension"</h2>
            <div class="field">
                <label for="check-protocol">"Client protocol"</label>
                <select
                    id="check-protocol"
                    on:change=move |ev| {
                        if let Some(p) = Protocol::parse(&event_target_value(&ev)) {
                            set_protocol.set(p);
                        }
                    }
                >
                    {Protocol::ALL
                        .into_iter()
                        .map(|p| view! { <option value=p.as_str()>{p.as_str()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="check-extension">"Extension"</label>
                <input
                    id="check-extension"
                    type="text"
                    autocomplete="off"
                    on:input=move |ev| set_extension.set(event_target_value(&ev))
                    prop:value=extension
                />
            </div>
            <p role="status" aria-live="polite" data-testid="extension-verdict">{verdict}</p>
        </section>
    }
}
