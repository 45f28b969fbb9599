//! The overview page: the counts that matter to a daily admin (phones by registration state and by
//! login-path verdict, each server's phones and conf state), each a link to the list or board showing
//! them; on an empty system, what to do first (add a phone, load the demo data, or import through the
//! legacy API). No island: the page loads no WebAssembly.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::domain::decision_flow::Verdict;
use crate::domain::phone_list::{encode_component, PhoneListQuery};

/// One server in the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSummary {
    /// `server_id`
    pub server_id: String,
    /// `server_ip`
    pub server_ip: String,
    /// Its phones.
    pub phones: u64,
    /// The Asterisk conf state in one line (generated, applied, pending ...).
    pub conf: String,
    /// A change waits to be generated or applied.
    pub pending: bool,
    /// The last reload failed, or the generator refused phones.
    pub failed: bool,
}

/// What the overview page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// Phones stored.
    pub phones: u64,
    /// Phones by registration state (`peer_status`), those with any, in the list filter's order.
    pub by_registration: Vec<(String, u64)>,
    /// Phones by login-path verdict, worst first.
    pub by_verdict: Vec<(Verdict, u64)>,
    /// Servers.
    pub servers: Vec<ServerSummary>,
    /// The legacy API level matched.
    pub api_version: String,
    /// The viewer may add phones.
    pub can_add: bool,
    /// The viewer may load the demo data (no phones yet, and the user manages phones and servers).
    pub can_load_demo: bool,
}

/// Counts for the overview page.
#[server(prefix = "/serverfn", endpoint = "get_overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    use super::ssr;
    use crate::storage::servers;
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let counts = crate::service::phone_list::phone_counts(&state.db, &state.ami).await.map_err(ssr::db_error)?;
    let rows = {
        let mut conn = state.db.reader().acquire().await.map_err(ssr::db_error)?;
        servers::list_servers(&mut conn).await.map_err(ssr::db_error)?
    };
    let views = crate::service::conf::server_conf_views(&state.db).await.map_err(ssr::db_error)?;
    Ok(Overview {
        phones: counts.total,
        by_registration: counts.by_registration,
        by_verdict: counts.by_verdict,
        servers: rows
            .into_iter()
            .map(|s| {
                let view = views.iter().find(|v| v.server_ip == s.server_ip);
                let status = view.map(|v| &v.status);
                ServerSummary {
                    phones: counts.by_server.get(&s.server_ip).copied().unwrap_or(0),
                    conf: view.map(|v| v.summary()).unwrap_or_default(),
                    pending: status.is_some_and(|c| c.generates && (c.rebuild_pending || c.reload_pending)),
                    failed: status.is_some_and(|c| !c.apply_error.is_empty())
                        || view.is_some_and(|v| !v.refused.is_empty()),
                    server_id: s.server_id,
                    server_ip: s.server_ip,
                }
            })
            .collect(),
        api_version: crate::api::API_VERSION.to_string(),
        can_add: viewer.can_manage_phones(),
        can_load_demo: counts.total == 0 && viewer.can_manage_phones() && viewer.can_manage_servers(),
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

/// The demo data, offered on an empty system.
#[component]
fn DemoOffer() -> impl IntoView {
    let action = ServerAction::<LoadDemoData>::new();
    let error = move || action.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <div class="next-step demo" data-testid="demo-offer">
            <h3>"Load demo data"</h3>
            <p>
                "Two servers, two carriers and ten phones, each showing a way an agent is ready, will hear \
                 silence, or cannot be told. Then open a phone's login path."
            </p>
            {move || error().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <leptos::form::ActionForm action>
                <super::busy_button::BusyButton label="Load demo data".to_string() busy="Loading…".to_string() />
            </leptos::form::ActionForm>
        </div>
    }
}

/// The overview: the counts, each a link, or what to do first on an empty system; and a live check of
/// the extension rule.
#[component]
pub fn HomePage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <super::PageTitle text="Overview" />
        <h1>"Overview"</h1>
        <Suspense fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || {
                overview
                    .get()
                    .map(|r| match r {
                        Ok(o) if o.phones == 0 => view! { <GettingStarted overview=o /> }.into_any(),
                        Ok(o) => view! { <Counts overview=o /> }.into_any(),
                        Err(e) => {
                            view! { <p role="alert" class="error">{format!("Could not load the overview: {e}")}</p> }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// The list's address for a view.
fn list_href(q: PhoneListQuery) -> String {
    q.href()
}

/// No phones yet: what to do next.
#[component]
fn GettingStarted(overview: Overview) -> impl IntoView {
    let Overview { can_add, can_load_demo, api_version, servers, .. } = overview;
    view! {
        <p data-testid="phone-count" class="visually-hidden">"0 phones"</p>
        <section class="card getting-started" aria-labelledby="start-h">
            <h2 id="start-h">"No phones yet"</h2>
            <p>"A phone entry lets an agent's device, webphone or home number reach the dialer. To begin:"</p>
            <div class="next-steps">
                {can_add
                    .then(|| {
                        view! {
                            <div class="next-step">
                                <h3>"Add a phone"</h3>
                                <p>"A step-by-step form with the defaults the login path accepts."</p>
                                <a class="button primary" href="/phones/new">"Add a phone"</a>
                            </div>
                        }
                    })}
                {can_load_demo.then(|| view! { <DemoOffer /> })}
                <div class="next-step">
                    <h3>"Import through the API"</h3>
                    <p>
                        "Scripts that call VICIdial's "
                        <code>"non_agent_api.php"</code>
                        " (function "
                        <code>"add_phone"</code>
                        ") work unchanged against "
                        <code>"/vicidial/non_agent_api.php"</code>
                        {format!(" (API level {api_version}).")}
                    </p>
                </div>
            </div>
            {(!can_add).then(|| view! { <p>"Your user may not add phones: ask an administrator."</p> })}
        </section>
        <ServersCard servers />
    }
}

/// The counts, each a link to the list or board showing those phones.
#[component]
fn Counts(overview: Overview) -> impl IntoView {
    let Overview { phones, by_registration, by_verdict, servers, .. } = overview;
    let all = PhoneListQuery::default();
    let registration = by_registration
        .into_iter()
        .map(|(state, n)| {
            let href = list_href(PhoneListQuery { registration: Some(state.clone()), ..all.clone() });
            view! {
                <li>
                    <a href=href data-testid=format!("reg-{}", state.to_lowercase())>
                        <span class=format!("badge reg-{}", state.to_lowercase())>{state.clone()}</span>
                        <strong>{n}</strong>
                    </a>
                </li>
            }
        })
        .collect_view();
    let verdicts = by_verdict
        .into_iter()
        .map(|(v, n)| {
            let href = list_href(PhoneListQuery { verdict: Some(v), ..all.clone() });
            view! {
                <li>
                    <a href=href data-testid=format!("verdict-{}", v.key())>
                        <span class=format!("badge verdict-{}", v.key())>{v.label()}</span>
                        <strong>{n}</strong>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="overview-grid">
            <section class="card" aria-labelledby="phones-h">
                <h2 id="phones-h">"Phones"</h2>
                <p class="big-count">
                    <a href="/phones" data-testid="phone-count">
                        {format!("{phones} phone{}", if phones == 1 { "" } else { "s" })}
                    </a>
                </p>
                <h3 id="reg-h">"By registration"</h3>
                <ul class="count-links" aria-labelledby="reg-h">
                    {registration}
                </ul>
            </section>
            <section class="card" aria-labelledby="verdicts-h">
                <h2 id="verdicts-h">"Login path"</h2>
                <p class="hint">"Will the agent hear the caller after logging in with the phone?"</p>
                <ul class="count-links" aria-labelledby="verdicts-h">
                    {verdicts}
                </ul>
                <p>
                    <a href="/remote-agents">"Remote agents' board"</a>
                </p>
            </section>
        </div>
        <ServersCard servers />
    }
}

/// Each server: its phones (a link to the list filtered by it) and its conf state.
#[component]
fn ServersCard(servers: Vec<ServerSummary>) -> impl IntoView {
    if servers.is_empty() {
        return view! {
            <section class="card" aria-labelledby="servers-h">
                <h2 id="servers-h">"Servers"</h2>
                <p>"No servers yet: phones are stored on a server. " <a href="/servers/new">"Add a server"</a></p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card" aria-labelledby="servers-h">
            <h2 id="servers-h">"Servers"</h2>
            <div class="table-wrap">
                <table class="overview-servers">
                    <caption class="visually-hidden">"Servers"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"SERVER"</th>
                            <th scope="col">"PHONES"</th>
                            <th scope="col">"ASTERISK CONF"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {servers
                            .into_iter()
                            .map(|s| {
                                let list = list_href(PhoneListQuery {
                                    server_ip: Some(s.server_ip.clone()),
                                    ..PhoneListQuery::default()
                                });
                                let page = format!("/servers/{}", encode_component(&s.server_ip));
                                let state = if s.failed {
                                    Some(("failed", "conf-refused"))
                                } else if s.pending {
                                    Some(("pending", "conf-pending"))
                                } else {
                                    None
                                };
                                view! {
                                    <tr>
                                        <td>
                                            <a href=page>{s.server_id.clone()}</a>
                                            <br />
                                            <span class="muted">{s.server_ip.clone()}</span>
                                        </td>
                                        <td>
                                            <a href=list aria-label=format!("{} phones on {}", s.phones, s.server_id)>
                                                {s.phones}
                                            </a>
                                        </td>
                                        <td>
                                            {state
                                                .map(|(word, class)| {
                                                    view! {
                                                        <span class=format!("badge {class}")>{word}</span>
                                                        " "
                                                    }
                                                })}
                                            {s.conf}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
