//! The overview page: counts, servers with their conf state, and a live check of the extension rule.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::domain::phone_entry::validate_extension;
use crate::domain::Protocol;

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
    /// The viewer may load the demo data (no phones yet, and the user manages phones and servers).
    pub can_load_demo: bool,
}

/// Counts for the overview page.
#[server(prefix = "/serverfn", endpoint = "get_overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    use super::ssr;
    use crate::storage::{phones, servers};
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let mut conn = state.db.reader().acquire().await.map_err(ssr::db_error)?;
    let count = phones::count_phones(&mut conn).await.map_err(ssr::db_error)?;
    let rows = servers::list_servers(&mut conn).await.map_err(ssr::db_error)?;
    drop(conn);
    let views = crate::service::conf::server_conf_views(&state.db).await.map_err(ssr::db_error)?;
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
        can_load_demo: count == 0 && viewer.can_manage_phones() && viewer.can_manage_servers(),
    })
}

/// Loads the demo data (servers, carriers and phones showing every verdict of the login path) into an
/// empty system, then opens the remote agents' board. Needs phone and server rights.
#[server(prefix = "/serverfn", endpoint = "load_demo_data")]
pub async fn load_demo_data() -> Result<(), AppError> {
    use super::ssr;
    let viewer = ssr::require_viewer()?;
    if !(viewer.can_manage_phones() && viewer.can_manage_servers()) {
        return Err(AppError::Forbidden(
            "Your user may not load demo data (it needs phone rights and modify_servers).".into(),
        ));
    }
    let state = ssr::state()?;
    match crate::service::demo::load_demo(&state.db).await {
        Ok(_) => {
            leptos_axum::redirect("/remote-agents");
            Ok(())
        }
        Err(crate::service::demo::DemoError::Db(e)) => Err(ssr::db_error(e)),
        Err(e @ crate::service::demo::DemoError::NotEmpty) => Err(AppError::BadRequest(e.to_string())),
        Err(e) => Err(AppError::Internal(e.to_string())),
    }
}

/// "New here?": the demo data, offered on an empty system.
#[component]
fn DemoOffer() -> impl IntoView {
    let action = ServerAction::<LoadDemoData>::new();
    let error = move || action.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <section class="card demo" aria-labelledby="demo-h">
            <h2 id="demo-h">"New here?"</h2>
            <p>
                "Load demo data: two servers, two carriers and ten phones, each showing a way an agent is ready, \
                 will hear silence, or cannot be told. Then open a phone's login path."
            </p>
            {move || error().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <leptos::form::ActionForm action>
                <super::busy_button::BusyButton label="Load demo data".to_string() busy="Loading…".to_string() />
            </leptos::form::ActionForm>
        </section>
    }
}

/// The overview: phone and server counts, and a live check of the extension rule.
#[component]
pub fn HomePage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <h1>"Overview"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                overview
                    .get()
                    .map(|r| match r {
                        Ok(o) => {
                            let demo = o.can_load_demo;
                            view! {
                                {demo.then(|| view! { <DemoOffer /> })}
                                <OverviewCard overview=o />
                            }
                                .into_any()
                        }
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
/// `domain` function the server uses (an island: it runs in the browser).
#[island]
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
