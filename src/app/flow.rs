//! The decision-flow pages: one phone's agent-login path (`/phones/:server_ip/:extension/flow`) as a
//! diagram with the node where it breaks, the reason, the evidence and the fix; a simulated agent login
//! (the same page after a POST of a phone login and password, or `/login-check` for any login or
//! alias); and the remote agents' readiness board (`/remote-agents`).
//!
//! Server-rendered complete (works without JavaScript). The diagram is an island ([`FlowDiagram`]):
//! once hydrated it follows the page's event stream (`…/flow/events`, server-sent events) and redraws
//! within a second or two when the registration state or the record changes. The layout and every rule
//! come from `domain::decision_flow`; the data from `service::flow`. Passwords typed for a simulation
//! are posted, never put in a URL, and the answer is not cached.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use super::busy_button::BusyButton;
use crate::app::{AppError, PageTitle};
use crate::domain::decision_flow::{layout, Evidence, FlowNode, FlowReport, NodeId, NodeStatus, Verdict};
use crate::domain::phone_list::phone_href;

/// The flow page's path as axum writes it (the simulation form posts here).
pub const FLOW_PATH: &str = "/phones/{server_ip}/{extension}/flow";
/// The event stream of a flow page.
pub const FLOW_EVENTS_PATH: &str = "/phones/{server_ip}/{extension}/flow/events";
/// The login check (any phone login or alias).
pub const LOGIN_CHECK_PATH: &str = "/login-check";

/// The address of a phone's flow page.
pub fn flow_href(server_ip: &str, extension: &str) -> String {
    format!("{}/flow", phone_href(server_ip, extension))
}

/// Who a flow is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSubject {
    /// `extension`.
    pub extension: String,
    /// `server_ip`.
    pub server_ip: String,
    /// `fullname`.
    pub full_name: String,
    /// `login`.
    pub login: String,
    /// `protocol` (with `(w)` for webphones).
    pub protocol: String,
    /// `status`.
    pub status: String,
    /// `active` is `Y` (an inactive phone cannot log in, whatever its status says).
    pub active: bool,
}

/// What the flow page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowPageView {
    /// The phone and its flow, `None` when there is no such phone.
    pub flow: Option<(FlowSubject, FlowReport)>,
    /// The login typed, when this is a simulation (never the password).
    pub simulated_login: Option<String>,
    /// Why a login check found no phone.
    pub not_found: Option<String>,
    /// Why a login check was not made (too many in a minute).
    pub refused: Option<String>,
}

/// One phone's flow (`server_ip`, `extension`), or the simulated login posted to the page.
#[server(prefix = "/serverfn", endpoint = "get_phone_flow", input = server_fn::codec::Json)]
pub async fn get_phone_flow(
    /// The phone's server.
    server_ip: String,
    /// The phone's extension.
    extension: String,
) -> Result<FlowPageView, AppError> {
    use super::ssr;
    ssr::require_viewer()?;
    if let Some(server::PostedCheck(view)) = use_context::<server::PostedCheck>() {
        return Ok(view);
    }
    let state = ssr::state()?;
    server::page_view(&state, &server_ip, &extension).await
}

/// The flow page of a phone.
#[component]
pub fn PhoneFlowPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (p.get("server_ip").unwrap_or_default(), p.get("extension").unwrap_or_default())
    };
    let data = Resource::new(key, |(server_ip, extension)| get_phone_flow(server_ip, extension));
    view! {
        <div class="phone-page flow-page">
            <Suspense fallback=|| view! { <p aria-busy="true">"Following the path…"</p> }>
                {move || {
                    data.get()
                        .map(|r| match r {
                            Ok(view) => view! { <FlowPageBody view action=None /> }.into_any(),
                            Err(e) => {
                                view! { <p role="alert" class="error">{format!("Could not load the flow: {e}")}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </div>
    }
}

/// The login check: a form for any phone login or alias and password; after a POST, the flow of the
/// phone it resolves to.
#[component]
pub fn LoginCheckPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_login_check());
    view! {
        <div class="phone-page flow-page">
            <Suspense fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
                {move || {
                    data.get()
                        .map(|r| match r {
                            Ok(view) if view.flow.is_some() => {
                                view! { <FlowPageBody view action=Some(LOGIN_CHECK_PATH.to_string()) /> }.into_any()
                            }
                            Ok(view) => {
                                view! {
                                    <PageTitle text="Check an agent login" />
                                    <h1>"Check an agent login"</h1>
                                    <p>
                                        "Type what the agent types on the agent screen: the phone login (or a phone alias) \
                                         and the phone's login password. The path the dialer takes for that login is \
                                         shown, with where it breaks."
                                    </p>
                                    {view.not_found.map(|m| view! { <p role="alert" class="error">{m}</p> })}
                                    {view.refused.map(|m| view! { <p role="alert" class="error">{m}</p> })}
                                    <SimulateForm action=LOGIN_CHECK_PATH.to_string() login=String::new() />
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! { <p role="alert" class="error">{format!("Could not load the page: {e}")}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </div>
    }
}

/// The login check's data: the flow of the login posted, if any.
#[server(prefix = "/serverfn", endpoint = "get_login_check")]
pub async fn get_login_check() -> Result<FlowPageView, AppError> {
    use super::ssr;
    ssr::require_viewer()?;
    Ok(use_context::<server::PostedCheck>().map(|p| p.0).unwrap_or_default())
}

#[component]
fn FlowPageBody(view: FlowPageView, action: Option<String>) -> impl IntoView {
    let FlowPageView { flow, simulated_login, refused, .. } = view;
    let Some((subject, report)) = flow else {
        #[cfg(feature = "ssr")]
        {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(axum::http::StatusCode::NOT_FOUND);
            }
        }
        return view! {
            <PageTitle text="Phone not found" />
            <h1>"Phone not found"</h1>
            <p role="alert">"There is no such phone."</p>
            <p>
                <a href="/phones">"Back to the phones list"</a>
            </p>
        }
        .into_any();
    };
    let page = phone_href(&subject.server_ip, &subject.extension);
    let flow_page = flow_href(&subject.server_ip, &subject.extension);
    let action = action.unwrap_or_else(|| flow_page.clone());
    let live = simulated_login.is_none().then(|| format!("{flow_page}/events"));
    let title = format!("Agent login path of {} on {}", subject.extension, subject.server_ip);
    view! {
        <PageTitle text=title.to_string() />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/phones">"Phones"</a>
            " / "
            <a href=page.clone()>{format!("{} on {}", subject.extension, subject.server_ip)}</a>
            " / "
            <span aria-current="page">"Login path"</span>
        </nav>
        <h1>{title}</h1>
        <p class="summary">
            <span>{if subject.full_name.is_empty() { "(no name)".to_string() } else { subject.full_name.clone() }}</span>
            <span class="badge">{subject.protocol.clone()}</span>
            <span data-testid="flow-status">
                {format!("Status {}", subject.status)}
                {(!subject.active)
                    .then(|| {
                        view! {
                            " "
                            <span class="badge inactive">"inactive"</span>
                        }
                    })}
            </span>
            <span>{format!("Phone login {}", subject.login)}</span>
        </p>
        {refused.map(|m| view! { <p role="alert" class="error">{m}</p> })}
        {simulated_login
            .map(|login| {
                view! {
                    <p class="notice" role="status" data-testid="simulation-notice">
                        {format!("Simulated login as \"{login}\": the path for that attempt (not live). ")}
                        <a href=flow_page.clone()>"Back to the live path"</a>
                    </p>
                }
            })}
        <FlowDiagram report live />
        <section class="card flow-simulate" aria-labelledby="simulate-h">
            <h2 id="simulate-h">"Simulate an agent login"</h2>
            <p class="hint">
                "The phone login (or a phone alias) and the login password the agent types; nothing is stored."
            </p>
            <SimulateForm action login=subject.login.clone() />
        </section>
        <p class="flow-links">
            <a href=page>"Phone page"</a>
            <a href="/remote-agents">"Remote agents"</a>
        </p>
    }
    .into_any()
}

/// The simulation form: a POST (the password never goes into a URL).
#[component]
fn SimulateForm(action: String, login: String) -> impl IntoView {
    view! {
        <form class="simulate" method="post" action=action autocomplete="off">
            <div class="field">
                <label for="sim-login">"Phone login or alias"</label>
                <input id="sim-login" name="login" required maxlength="20" value=login />
            </div>
            <div class="field">
                <label for="sim-pass">"Login password"</label>
                <input id="sim-pass" name="password" type="password" required maxlength="100" />
            </div>
            <BusyButton label="Follow the path".to_string() busy="Following…".to_string() />
        </form>
    }
}

/// The diagram, the verdict and every step's reason, evidence and fix. An island: with `live` (the
/// event stream's address) it redraws when the server sends a new report.
///
/// ## Server-Side Rendering
/// Rendered complete on the server; following the stream needs JavaScript.
#[island]
fn FlowDiagram(report: FlowReport, live: Option<String>) -> impl IntoView {
    let report = RwSignal::new(report);
    let connected = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(url) = live.clone() {
            follow(url, report, connected);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (&live, connected);
    view! {
        <div class="flow" data-live=move || connected.get().then_some("true")>
            {move || {
                let r = report.get();
                view! {
                    <VerdictBanner report=r.clone() />
                    <div class="flow-grid">
                        <FlowSvg report=r.clone() />
                        <FlowSteps report=r />
                    </div>
                }
            }}
        </div>
    }
}

/// Opens the event stream at `url` and puts every report it sends into `report`.
#[cfg(feature = "hydrate")]
fn follow(url: String, report: RwSignal<FlowReport>, connected: RwSignal<bool>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Ok(source) = web_sys::EventSource::new(&url) else { return };
    let on_report = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        if let Some(text) = ev.data().as_string() {
            match serde_json::from_str::<FlowReport>(&text) {
                Ok(next) => report.set(next),
                Err(e) => leptos::logging::warn!("flow event not understood: {e}"),
            }
        }
    });
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| connected.set(true));
    let _ = source.add_event_listener_with_callback("flow", on_report.as_ref().unchecked_ref());
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    // The stream lives as long as the page.
    on_report.forget();
    on_open.forget();
    let source = send_wrapper::SendWrapper::new(source);
    on_cleanup(move || source.close());
}

#[component]
fn VerdictBanner(report: FlowReport) -> impl IntoView {
    let verdict = report.verdict;
    let problem = report.first_problem().cloned();
    let text = match (verdict, &problem) {
        (Verdict::Ready, None) => "the agent's audio will be bridged.".to_string(),
        (Verdict::Ready, Some(n)) => format!("with a warning at \"{}\": {}", n.id.title(), n.reason),
        (Verdict::WillHearSilence, Some(n)) => format!("the path breaks at \"{}\": {}", n.id.title(), n.reason),
        (Verdict::Unknown, Some(n)) => format!("\"{}\" cannot be told: {}", n.id.title(), n.reason),
        (_, None) => String::new(),
    };
    let fix = problem.and_then(|n| n.fix);
    view! {
        <div class=format!("verdict verdict-{}", verdict.key()) role="status" data-testid="flow-verdict">
            <p>
                <strong>{verdict.label().to_uppercase()}</strong>
                " · "
                {text}
            </p>
            {fix.map(|f| view! { <p class="fix">{format!("Fix: {f}")}</p> })}
        </div>
    }
}

/// The SVG diagram: boxes for the nodes, the path taken drawn strong, the failing node red, skipped
/// branches grey.
#[component]
fn FlowSvg(report: FlowReport) -> impl IntoView {
    let d = layout(&report);
    let not_reached = report.not_reached();
    let view_box = format!("0 0 {} {}", d.width, d.height);
    let label = format!("Agent login path: {}", report.verdict.label());
    let arrows = d
        .arrows
        .iter()
        .map(|a| {
            let points = a.points.iter().map(|(x, y)| format!("{x},{y}")).collect::<Vec<_>>().join(" ");
            let class = if a.on_path { "flow-arrow on-path" } else { "flow-arrow" };
            let marker = if a.on_path { "url(#flow-head-on)" } else { "url(#flow-head)" };
            let text = a.label.map(|l| {
                let anchor = if l.end { "end" } else { "start" };
                view! {
                    <text class="flow-arrow-label" x=l.x y=l.y text-anchor=anchor>
                        {l.text}
                    </text>
                }
            });
            view! {
                <polyline class=class points=points marker-end=marker />
                {text}
            }
        })
        .collect_view();
    let boxes = d
        .nodes
        .iter()
        .map(|p| {
            let node = report.node(p.id);
            let status = node.map_or(NodeStatus::Skipped, |n| n.status);
            let reached = report.reached().contains(&p.id);
            let shown = Shown::of(status, not_reached.contains(&p.id));
            let class = format!("flow-node {}{}", shown.key(), if reached { " reached" } else { "" });
            let (cx, w, h) = (p.x + p.w / 2, p.w, p.h);
            let shape = if p.decision {
                let pts = format!(
                    "{},{} {},{} {},{} {},{} {},{} {},{}",
                    p.x + 14,
                    p.y,
                    p.x + w - 14,
                    p.y,
                    p.x + w,
                    p.y + h / 2,
                    p.x + w - 14,
                    p.y + h,
                    p.x + 14,
                    p.y + h,
                    p.x,
                    p.y + h / 2
                );
                view! { <polygon points=pts /> }.into_any()
            } else {
                view! { <rect x=p.x y=p.y width=w height=h rx="8" /> }.into_any()
            };
            view! {
                <g class=class data-testid=format!("flow-node-{}", p.id.key()) data-status=shown.key()>
                    {shape}
                    <text x=cx y=p.y + 24 text-anchor="middle" class="flow-title">{p.id.title()}</text>
                    <text x=cx y=p.y + 43 text-anchor="middle" class="flow-status">{shown.word(p.id)}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="flow-svg" viewBox=view_box role="img" aria-label=label preserveAspectRatio="xMidYMin meet">
            <defs>
                <marker
                    id="flow-head"
                    viewBox="0 0 10 10"
                    refX="9"
                    refY="5"
                    markerWidth="9"
                    markerHeight="9"
                    markerUnits="userSpaceOnUse"
                    orient="auto"
                >
                    <path d="M0,0 L10,5 L0,10 z" class="flow-head" />
                </marker>
                <marker
                    id="flow-head-on"
                    viewBox="0 0 10 10"
                    refX="9"
                    refY="5"
                    markerWidth="11"
                    markerHeight="11"
                    markerUnits="userSpaceOnUse"
                    orient="auto"
                >
                    <path d="M0,0 L10,5 L0,10 z" class="flow-head on-path" />
                </marker>
            </defs>
            {arrows}
            {boxes}
        </svg>
    }
}

/// How a node is shown: its status, or "not reached" when it is on the path after the node where it
/// breaks (whatever it would say, the login never gets there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Status(NodeStatus),
    NotReached,
}

impl Shown {
    fn of(status: NodeStatus, not_reached: bool) -> Shown {
        if not_reached {
            Shown::NotReached
        } else {
            Shown::Status(status)
        }
    }

    /// CSS class and test id word.
    fn key(self) -> &'static str {
        match self {
            Shown::Status(s) => s.key(),
            Shown::NotReached => "not-reached",
        }
    }

    /// The word under a node's title.
    fn word(self, id: NodeId) -> &'static str {
        match (id, self) {
            (_, Shown::NotReached) => "not reached",
            (NodeId::Protocol, Shown::Status(NodeStatus::Ok)) => "decides the path",
            (_, Shown::Status(NodeStatus::Ok)) => "passes",
            (_, Shown::Status(NodeStatus::Warning)) => "passes, with a warning",
            (_, Shown::Status(NodeStatus::Fail)) => "breaks here",
            (_, Shown::Status(NodeStatus::Unknown)) => "cannot be told",
            (_, Shown::Status(NodeStatus::Skipped)) => "not on this path",
        }
    }
}

/// Every step on the path, in order, with its reason, evidence and fix; the skipped ones folded away.
#[component]
fn FlowSteps(report: FlowReport) -> impl IntoView {
    let path = report.path();
    let (on, off): (Vec<FlowNode>, Vec<FlowNode>) = report.nodes.iter().cloned().partition(|n| path.contains(&n.id));
    let mut on = on;
    on.sort_by_key(|n| path.iter().position(|id| *id == n.id));
    let off_count = off.len();
    let not_reached = report.not_reached();
    let breaks = report.breaks_at.map(|id| id.title()).unwrap_or_default();
    view! {
        <div class="flow-steps">
            <h2>"Steps"</h2>
            <ol>
                {on
                    .into_iter()
                    .map(|n| {
                        let reached = !not_reached.contains(&n.id);
                        view! { <FlowStep node=n reached breaks /> }
                    })
                    .collect_view()}
            </ol>
            <details>
                <summary>{format!("Not on this phone's path ({off_count})")}</summary>
                <ul class="flow-skipped">
                    {off
                        .into_iter()
                        .map(|n| view! { <li>{format!("{}: {}", n.id.title(), n.reason)}</li> })
                        .collect_view()}
                </ul>
            </details>
        </div>
    }
}

/// One step on the path; a step after the break (`reached` false) shows only that it is not reached.
#[component]
fn FlowStep(node: FlowNode, reached: bool, breaks: &'static str) -> impl IntoView {
    let FlowNode { id, status, reason, evidence, fix } = node;
    let shown = Shown::of(status, !reached);
    let head = view! {
        <h3>
            {id.title()}
            " "
            <span class=format!("badge step-{}", shown.key())>{shown.word(id)}</span>
        </h3>
    };
    if !reached {
        return view! {
            <li class="flow-step not-reached" data-testid=format!("flow-step-{}", id.key()) data-status=shown.key()>
                {head}
                <p class="reason">{format!("The login never gets here: the path breaks at \"{breaks}\".")}</p>
            </li>
        }
        .into_any();
    }
    view! {
        <li class=format!("flow-step {}", status.key()) data-testid=format!("flow-step-{}", id.key()) data-status=shown.key()>
            {head}
            <p class="reason">{reason}</p>
            {(!evidence.is_empty())
                .then(|| {
                    view! {
                        <dl class="evidence">
                            {evidence
                                .into_iter()
                                .map(|Evidence { label, value }| view! { <dt>{label}</dt><dd>{value}</dd> })
                                .collect_view()}
                        </dl>
                    }
                })}
            {fix.map(|f| view! { <p class="fix">{format!("Fix: {f}")}</p> })}
        </li>
    }
    .into_any()
}

/// One remote agent's phone on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteAgentRow {
    /// Who.
    pub subject: FlowSubject,
    /// `user_group`.
    pub user_group: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The first node that does not pass, and why.
    pub problem: Option<(NodeId, String)>,
}

/// Phones a page of the board shows.
pub const BOARD_PAGE: usize = 50;

/// The remote agents' board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteAgentsView {
    /// This page's phones, worst first.
    pub rows: Vec<RemoteAgentRow>,
    /// The page shown (from 1).
    pub page: usize,
    /// How many pages.
    pub pages: usize,
    /// Ready, will hear silence, unknown.
    pub counts: (usize, usize, usize),
    /// Server IPs for the filter.
    pub servers: Vec<String>,
    /// User groups for the filter.
    pub groups: Vec<String>,
    /// The server filter.
    pub server: Option<String>,
    /// The group filter.
    pub group: Option<String>,
    /// The verdict filter (the counts are of every phone the other filters keep).
    pub verdict: Option<Verdict>,
}

/// The remote agents' phones (EXTERNAL and webphones) with their verdicts, worst first.
#[server(prefix = "/serverfn", endpoint = "get_remote_agents", input = server_fn::codec::Json)]
pub async fn get_remote_agents(
    /// Only this server (empty: all).
    server: String,
    /// Only this user group (empty: all).
    group: String,
    /// Only this verdict's key (`ready`, `silence`, `unknown`; empty: all).
    verdict: String,
    /// The page (from 1; past the end shows the last).
    page: usize,
) -> Result<RemoteAgentsView, AppError> {
    use super::ssr;
    ssr::require_viewer()?;
    let state = ssr::state()?;
    let verdict = match verdict.as_str() {
        "" => None,
        key => Some(Verdict::ALL.into_iter().find(|v| v.key() == key).ok_or_else(|| {
            AppError::BadRequest("verdict: verdict must be one of ready, silence, unknown".to_string())
        })?),
    };
    server::remote_agents_view(&state, server, group, verdict, page).await
}

/// `/remote-agents`: every EXTERNAL and webphone phone with its verdict, counts on top.
#[component]
pub fn RemoteAgentsPage() -> impl IntoView {
    let query = super::use_query();
    let filters = move || {
        let q = query.read();
        let page = q.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1);
        (
            q.get("server").unwrap_or_default(),
            q.get("group").unwrap_or_default(),
            q.get("verdict").unwrap_or_default(),
            page,
        )
    };
    let data = Resource::new(filters, |(server, group, verdict, page)| get_remote_agents(server, group, verdict, page));
    view! {
        <PageTitle text="Remote agents" />
        <h1>"Remote agents"</h1>
        <p class="hint">
            "Home and mobile numbers (EXTERNAL) and browser webphones: will the agent hear the caller at login? \
             Worst first."
        </p>
        <Suspense fallback=|| view! { <p aria-busy="true">"Checking every remote agent…"</p> }>
            {move || {
                data.get()
                    .map(|r| match r {
                        Ok(view) => view! { <RemoteAgents view /> }.into_any(),
                        Err(e) => {
                            view! { <p role="alert" class="error">{format!("Could not load the board: {e}")}</p> }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn RemoteAgents(view: RemoteAgentsView) -> impl IntoView {
    let RemoteAgentsView {
        rows,
        page,
        pages,
        counts: (ready, silence, unknown),
        servers,
        groups,
        server,
        group,
        verdict,
    } = view;
    let verdict_key = verdict.map(Verdict::key).unwrap_or_default();
    // A board address with the server and group filters kept and `verdict` (a key, empty: any).
    let board_href = {
        let (server, group) = (server.clone().unwrap_or_default(), group.clone().unwrap_or_default());
        move |verdict: &str| {
            let q = form_urlencoded_pairs(&[("server", &server), ("group", &group), ("verdict", verdict)]);
            if q.is_empty() {
                "/remote-agents".to_string()
            } else {
                format!("/remote-agents?{}", q.join("&"))
            }
        }
    };
    let count = {
        let board_href = board_href.clone();
        move |v: Verdict, n: usize| {
            let current = (verdict == Some(v)).then_some("true");
            // The link of the verdict shown goes back to every verdict.
            let href = if verdict == Some(v) { board_href("") } else { board_href(v.key()) };
            let title = if verdict == Some(v) { "Show every verdict" } else { "Show only these" };
            view! {
                <li class=format!("verdict-{}", v.key()) data-testid=format!("count-{}", v.key())>
                    <a href=href aria-current=current title=title>
                        <strong>{n}</strong>
                        {format!(" {}", v.label())}
                    </a>
                </li>
            }
        }
    };
    let link = {
        let (server, group) = (server.clone().unwrap_or_default(), group.clone().unwrap_or_default());
        let verdict_key = verdict_key.to_string();
        move |label: &'static str, target: usize, enabled: bool| {
            let mut q = form_urlencoded_pairs(&[("server", &server), ("group", &group), ("verdict", &verdict_key)]);
            if target > 1 {
                q.push(format!("page={target}"));
            }
            let href =
                if q.is_empty() { "/remote-agents".to_string() } else { format!("/remote-agents?{}", q.join("&")) };
            if enabled {
                view! { <a href=href>{label}</a> }.into_any()
            } else {
                view! { <span aria-disabled="true">{label}</span> }.into_any()
            }
        }
    };
    let pager = (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {link("First", 1, page > 1)}
                {link("Previous", page.saturating_sub(1), page > 1)}
                <span>{format!("Page {page} of {pages}")}</span>
                {link("Next", page + 1, page < pages)}
                {link("Last", pages, page < pages)}
            </nav>
        }
    });
    let options = |all: Vec<String>, current: Option<String>| {
        std::iter::once((String::new(), "Any".to_string()))
            .chain(all.into_iter().map(|v| (v.clone(), v)))
            .map(|(value, text)| {
                let selected =
                    (Some(&value) == current.as_ref() || (value.is_empty() && current.is_none())).then_some("selected");
                view! { <option value=value selected=selected>{text}</option> }
            })
            .collect_view()
    };
    let verdict_options = std::iter::once((String::new(), "Any".to_string()))
        .chain(Verdict::ALL.iter().map(|v| (v.key().to_string(), v.label().to_string())))
        .map(|(value, text)| {
            let selected = (value == verdict_key).then_some("selected");
            view! { <option value=value selected=selected>{text}</option> }
        })
        .collect_view();
    let body = if rows.is_empty() && verdict.is_some() {
        view! {
            <p class="empty" role="status">
                {format!("No remote agent's phone here comes to \"{}\". ", verdict.map(Verdict::label).unwrap_or_default())}
                <a href=board_href("")>"Show every verdict"</a>
            </p>
        }
        .into_any()
    } else if rows.is_empty() {
        view! {
            <p class="empty" role="status">
                "No remote agents' phones here. EXTERNAL phones (home or mobile numbers) and browser webphones \
                 appear on this board."
            </p>
        }
        .into_any()
    } else {
        view! {
            <div class="table-wrap">
                <table class="remote-agents">
                    <caption class="visually-hidden">"Remote agents, worst first"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"VERDICT"</th>
                            <th scope="col">"EXTEN"</th>
                            <th scope="col">"NAME"</th>
                            <th scope="col">"PROTO"</th>
                            <th scope="col">"SERVER"</th>
                            <th scope="col">"GROUP"</th>
                            <th scope="col">"FIRST PROBLEM"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                let href = flow_href(&r.subject.server_ip, &r.subject.extension);
                                let problem = r
                                    .problem
                                    .map(|(id, why)| format!("{}: {why}", id.title()))
                                    .unwrap_or_else(|| super::phone_page::details::NOT_SET.to_string());
                                view! {
                                    <tr class="clickable" data-testid=format!("agent-{}", r.subject.extension)>
                                        <td data-label="VERDICT">
                                            <span class=format!("badge verdict-{}", r.verdict.key())>{r.verdict.label()}</span>
                                        </td>
                                        <td data-label="EXTEN">
                                            <a class="row-link" href=href>{r.subject.extension.clone()}</a>
                                        </td>
                                        <td data-label="NAME" class="name">
                                            {r.subject.full_name}
                                            {(!r.subject.active)
                                                .then(|| {
                                                    view! {
                                                        " "
                                                        <span class="badge inactive">"inactive"</span>
                                                    }
                                                })}
                                        </td>
                                        <td data-label="PROTO">{r.subject.protocol}</td>
                                        <td data-label="SERVER">{r.subject.server_ip}</td>
                                        <td data-label="GROUP">{r.user_group}</td>
                                        <td data-label="FIRST PROBLEM" class="problem">{problem}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <ul class="counts" aria-label="Counts by verdict">
            {count(Verdict::WillHearSilence, silence)}
            {count(Verdict::Unknown, unknown)}
            {count(Verdict::Ready, ready)}
        </ul>
        <form class="filters" method="get" action="/remote-agents">
            <div class="field">
                <label for="ra-server">"Server"</label>
                <select id="ra-server" name="server">{options(servers, server)}</select>
            </div>
            <div class="field">
                <label for="ra-group">"Group"</label>
                <select id="ra-group" name="group">{options(groups, group)}</select>
            </div>
            <div class="field">
                <label for="ra-verdict">"Verdict"</label>
                <select id="ra-verdict" name="verdict">{verdict_options}</select>
            </div>
            <button type="submit">"Filter"</button>
        </form>
        {body}
        {pager}
    }
}

/// `name=value` pairs of the non-empty values, each value percent-encoded.
fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::domain::phone_list::encode_component(v)))
        .collect()
}

/// The server side: building the views, the simulation form's POST and the event stream.
#[cfg(feature = "ssr")]
pub mod server {
    use std::convert::Infallible;
    use std::time::Duration;

    use axum::extract::{Path, Request, State};
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::sse::{Event, KeepAlive, Sse};
    use axum::response::{IntoResponse, Response};
    use leptos::prelude::*;

    use super::{FlowPageView, FlowSubject, RemoteAgentRow, RemoteAgentsView};
    use crate::app::{ssr, AppError};
    use crate::domain::access::Viewer;
    use crate::domain::decision_flow::{LoginAttempt, Verdict};
    use crate::domain::limits::{wait_words, LOGIN_CHECK_PER_USER};
    use crate::service::flow::{self, CheckTarget, LoginCheck, PhoneFlow};
    use crate::service::{sessions, Actor};
    use crate::state::AppState;
    use crate::web_session::session_token;

    /// The answer to a login check posted to a page (given to the page render as context).
    #[derive(Debug, Clone)]
    pub struct PostedCheck(pub FlowPageView);

    fn subject(f: &PhoneFlow) -> FlowSubject {
        FlowSubject {
            extension: f.extension.clone(),
            server_ip: f.server_ip.clone(),
            full_name: f.full_name.clone(),
            login: f.login.clone(),
            protocol: if f.webphone { format!("{} (w)", f.protocol) } else { f.protocol.clone() },
            status: f.status.clone(),
            active: f.active,
        }
    }

    /// The flow page's data: the phone's path as it stands.
    pub async fn page_view(state: &AppState, server_ip: &str, extension: &str) -> Result<FlowPageView, AppError> {
        let found = flow::phone_flow(&state.db, &state.ami, extension, server_ip).await.map_err(ssr::db_error)?;
        Ok(FlowPageView { flow: found.map(|f| (subject(&f), f.report)), ..FlowPageView::default() })
    }

    /// A login check posted to the flow page of (`server_ip`, `extension`) (`Some`) or to the login
    /// check page (`None`): counted, audited, then followed; the page's data and its HTTP status (429
    /// when over a limit).
    async fn check_view(
        state: &AppState,
        viewer: &Viewer,
        actor: &Actor,
        phone: Option<(&str, &str)>,
        attempt: LoginAttempt,
    ) -> Result<(FlowPageView, StatusCode), AppError> {
        let login = attempt.login.clone();
        let target = match phone {
            Some((server_ip, extension)) => CheckTarget::Phone { extension, server_ip },
            None => CheckTarget::TypedLogin,
        };
        let attempt = LoginAttempt { may_name_registration_password: viewer.can_reveal_secrets(), ..attempt };
        match flow::check_login(&state.db, &state.ami, actor, target, attempt).await.map_err(ssr::db_error)? {
            LoginCheck::TooMany(wait) => {
                let refused = Some(format!(
                    "Too many login checks: at most {} a minute per user and per phone. Try again in {}. \
                     Nothing was checked.",
                    LOGIN_CHECK_PER_USER.most,
                    wait_words(wait)
                ));
                let live = match phone {
                    Some((server_ip, extension)) => page_view(state, server_ip, extension).await?,
                    None => FlowPageView::default(),
                };
                Ok((FlowPageView { refused, ..live }, StatusCode::TOO_MANY_REQUESTS))
            }
            LoginCheck::Checked(Some(f)) => Ok((
                FlowPageView {
                    flow: Some((subject(&f), f.report)),
                    simulated_login: Some(login),
                    ..FlowPageView::default()
                },
                StatusCode::OK,
            )),
            LoginCheck::Checked(None) if phone.is_some() => Ok((FlowPageView::default(), StatusCode::NOT_FOUND)),
            LoginCheck::Checked(None) => Ok((
                FlowPageView {
                    not_found: Some(format!(
                        "No phone has the login \"{login}\", and no phone alias has that id: VICIdial refuses it \
                         (\"your phone login and password are not active in this system\")."
                    )),
                    ..FlowPageView::default()
                },
                StatusCode::OK,
            )),
        }
    }

    /// The remote agents' board.
    pub async fn remote_agents_view(
        state: &AppState,
        server: String,
        group: String,
        verdict: Option<Verdict>,
        page: usize,
    ) -> Result<RemoteAgentsView, AppError> {
        let server = (!server.is_empty()).then_some(server);
        let group = (!group.is_empty()).then_some(group);
        let flows = flow::remote_agents(&state.db, &state.ami, server.as_deref(), group.as_deref())
            .await
            .map_err(ssr::db_error)?;
        let counts = flow::verdict_counts(&flows);
        let flows: Vec<_> = flows.into_iter().filter(|a| verdict.is_none_or(|v| a.verdict == v)).collect();
        let (servers, groups) = {
            let mut conn = state.db.reader().acquire().await.map_err(ssr::db_error)?;
            let servers = crate::storage::servers::list_server_records(&mut conn)
                .await
                .map_err(ssr::db_error)?
                .into_iter()
                .map(|s| s.server_ip)
                .collect();
            let groups = crate::storage::phones::user_groups(&mut conn).await.map_err(ssr::db_error)?;
            (servers, groups)
        };
        let pages = flows.len().div_ceil(super::BOARD_PAGE).max(1);
        let page = page.clamp(1, pages);
        let rows = flows
            .into_iter()
            .skip((page - 1) * super::BOARD_PAGE)
            .take(super::BOARD_PAGE)
            .map(|a| RemoteAgentRow {
                subject: FlowSubject {
                    protocol: if a.webphone { format!("{} (w)", a.protocol) } else { a.protocol },
                    // The board does not show the status; an inactive phone is marked.
                    status: String::new(),
                    active: a.active,
                    extension: a.extension,
                    server_ip: a.server_ip,
                    full_name: a.full_name,
                    login: a.login,
                },
                user_group: a.user_group,
                verdict: a.verdict,
                problem: a.problem,
            })
            .collect();
        Ok(RemoteAgentsView { rows, page, pages, counts, servers, groups, server, group, verdict })
    }

    #[derive(serde::Deserialize)]
    struct LoginForm {
        login: String,
        password: String,
    }

    /// The longest phone login or alias id typed (VICIdial's `phones.login` and `phones_alias.alias_id`
    /// are 20 characters) and password.
    const MAX_LOGIN: usize = 20;
    const MAX_PASSWORD: usize = 100;

    /// Reads the simulation form: the login (1 to [`MAX_LOGIN`] characters, no control characters) and
    /// the password (at most [`MAX_PASSWORD`]), or why it cannot be checked.
    async fn attempt_of(req: Request, state: &AppState) -> (axum::http::request::Parts, Result<LoginAttempt, String>) {
        use axum::extract::FromRequest;
        let (parts, body) = req.into_parts();
        let form = axum::Form::<LoginForm>::from_request(Request::from_parts(parts.clone(), body), state).await;
        let attempt = match form {
            Err(_) => Err("Not checked: send the phone login or alias and the login password.".to_string()),
            Ok(axum::Form(f)) => {
                let login = f.login.trim().to_string();
                if login.is_empty() || login.chars().count() > MAX_LOGIN || login.chars().any(char::is_control) {
                    Err(format!(
                        "Not checked: the phone login or alias must be 1 to {MAX_LOGIN} characters, without control \
                         characters."
                    ))
                } else if f.password.chars().count() > MAX_PASSWORD {
                    Err(format!("Not checked: the login password must be at most {MAX_PASSWORD} characters."))
                } else {
                    Ok(LoginAttempt { login, password: f.password, may_name_registration_password: false })
                }
            }
        };
        (parts, attempt)
    }

    /// Answers a login check posted to a page: the page rendered with its answer (400 for a form that
    /// cannot be checked, 429 when over a limit).
    async fn answer_check(state: AppState, req: Request, phone: Option<(String, String)>) -> Response {
        let ip = crate::api::client_ip(&req);
        let (parts, attempt) = attempt_of(req, &state).await;
        let Some(viewer) = parts.extensions.get::<Viewer>().cloned() else {
            return (StatusCode::UNAUTHORIZED, "Sign in first.\n").into_response();
        };
        let phone = phone.as_ref().map(|(ip, ext)| (ip.as_str(), ext.as_str()));
        let answer = match attempt {
            Ok(attempt) => {
                let actor = Actor { user: viewer.user.clone(), ip };
                check_view(&state, &viewer, &actor, phone, attempt).await
            }
            Err(refused) => {
                let live = match phone {
                    Some((server_ip, extension)) => page_view(&state, server_ip, extension).await,
                    None => Ok(FlowPageView::default()),
                };
                live.map(|live| (FlowPageView { refused: Some(refused), ..live }, StatusCode::BAD_REQUEST))
            }
        };
        let (view, status) = match answer {
            Ok(answer) => answer,
            Err(e) => {
                let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return (status, e.to_string()).into_response();
            }
        };
        let posted = PostedCheck(view);
        let options = state.leptos_options.clone();
        let render = leptos_axum::render_app_async_with_context(
            move || {
                provide_context(state.clone());
                provide_context(posted.clone());
            },
            move || crate::app::shell(options.clone()),
        );
        let mut res = render(Request::from_parts(parts, axum::body::Body::empty())).await;
        *res.status_mut() = status;
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }

    /// `POST /phones/{server_ip}/{extension}/flow`: the page for the simulated login posted.
    pub async fn simulate_form(
        State(state): State<AppState>,
        Path((server_ip, extension)): Path<(String, String)>,
        req: Request,
    ) -> Response {
        answer_check(state, req, Some((server_ip, extension))).await
    }

    /// `POST /login-check`: the flow of the phone the posted login resolves to.
    pub async fn login_check_form(State(state): State<AppState>, req: Request) -> Response {
        answer_check(state, req, None).await
    }

    /// How often the stream looks at the phone again.
    const RECHECK: Duration = Duration::from_millis(800);

    /// What the event stream keeps between events.
    struct Follow {
        state: AppState,
        token: String,
        server_ip: String,
        extension: String,
        pending: Option<crate::domain::decision_flow::FlowReport>,
        last: Option<String>,
        ended: bool,
    }

    impl Follow {
        /// The next event: the first report at once, then a report whenever it changes (looking every
        /// [`RECHECK`]), `gone` once the phone is deleted; `None` (the stream ends) once the session is
        /// no longer valid (signed out, expired, the user deactivated), checked before every look.
        async fn next_event(mut self) -> Option<(Result<Event, Infallible>, Follow)> {
            loop {
                if self.ended {
                    return None;
                }
                let report = match self.pending.take() {
                    Some(r) => Some(r),
                    None => {
                        tokio::time::sleep(RECHECK).await;
                        match sessions::session_is_live(&self.state.db, &self.token).await {
                            Ok(true) => {}
                            Ok(false) => return None,
                            Err(e) => {
                                tracing::warn!("flow events: database error: {e}");
                                continue;
                            }
                        }
                        match flow::phone_flow(&self.state.db, &self.state.ami, &self.extension, &self.server_ip).await
                        {
                            Ok(found) => found.map(|f| f.report),
                            Err(e) => {
                                tracing::warn!("flow events: database error: {e}");
                                continue;
                            }
                        }
                    }
                };
                let Some(report) = report else {
                    self.ended = true;
                    return Some((Ok(Event::default().event("gone").data("the phone was deleted")), self));
                };
                let json = match serde_json::to_string(&report) {
                    Ok(j) => j,
                    Err(e) => {
                        tracing::error!("flow events: {e}");
                        continue;
                    }
                };
                if self.last.as_deref() != Some(json.as_str()) {
                    let event = Event::default().event("flow").data(json.clone());
                    self.last = Some(json);
                    return Some((Ok(event), self));
                }
            }
        }
    }

    /// `GET /phones/{server_ip}/{extension}/flow/events`: the phone's report as server-sent events
    /// (`event: flow`, JSON data), sent at once and again whenever it changes; `event: gone` when the
    /// phone no longer exists. The stream lives only as long as the session that opened it: the
    /// session is checked again before each look at the phone, and the stream ends when it is gone.
    pub async fn flow_events(
        State(state): State<AppState>,
        Path((server_ip, extension)): Path<(String, String)>,
        req: Request,
    ) -> Response {
        let (Some(token), true) = (session_token(req.headers()), req.extensions().get::<Viewer>().is_some()) else {
            return (StatusCode::UNAUTHORIZED, "Sign in first.\n").into_response();
        };
        let first = match flow::phone_flow(&state.db, &state.ami, &extension, &server_ip).await {
            Ok(Some(f)) => f.report,
            Ok(None) => return (StatusCode::NOT_FOUND, "No such phone.\n").into_response(),
            Err(e) => {
                tracing::error!("flow events: database error: {e}");
                return (StatusCode::SERVICE_UNAVAILABLE, "The database failed.\n").into_response();
            }
        };
        let follow = Follow { state, token, server_ip, extension, pending: Some(first), last: None, ended: false };
        let stream = futures_util::stream::unfold(follow, Follow::next_event);
        Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
    }
}
