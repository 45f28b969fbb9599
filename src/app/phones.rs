//! The phones list (`/phones`): server-side search, filters, sort and paging, all carried by the URL
//! (so a view can be shared and the back button works). Renders complete on the server; the filter
//! form is an island: with JavaScript a select applies as it changes (a page load to the new URL).
//! A whole row opens its phone through the extension's link, stretched over the row by CSS.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::app::{AppError, PageTitle};
use crate::domain::decision_flow::Verdict;
use crate::domain::phone_list::{PhoneListPage, PhoneListQuery, SortColumn, PAGE_SIZES, REGISTRATION_STATES};
use crate::domain::{PhoneStatus, Protocol};

/// The URL parameters the list reads.
const PARAMS: [&str; 10] = ["q", "proto", "server", "status", "reg", "verdict", "sort", "dir", "page", "per"];

/// A server in the list's filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerChoice {
    /// `server_ip`
    pub server_ip: String,
    /// `server_id`
    pub server_id: String,
}

/// What the list page needs: the page of phones, the servers for the filter, and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneListView {
    /// The page, or why the URL was refused (the parameter and rule).
    pub page: Result<PhoneListPage, String>,
    /// Every server, for the filter.
    pub servers: Vec<ServerChoice>,
    /// The viewer may add phones.
    pub can_add: bool,
}

/// One page of the phones list for the URL's parameters (`name`, `value` pairs).
#[server(prefix = "/serverfn", endpoint = "get_phone_list", input = server_fn::codec::Json)]
pub async fn get_phone_list(params: Vec<(String, String)>) -> Result<PhoneListView, AppError> {
    use super::ssr;
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let servers = crate::service::admin::list_servers(&state.db)
        .await
        .map_err(ssr::db_error)?
        .into_iter()
        .map(|s| ServerChoice { server_ip: s.server_ip, server_id: s.server_id })
        .collect();
    let page = match PhoneListQuery::from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ok(query) => {
            Ok(crate::service::phone_list::list_phones(&state.db, &state.ami, query).await.map_err(ssr::db_error)?)
        }
        Err(e) => Err(e.to_string()),
    };
    Ok(PhoneListView { page, servers, can_add: viewer.can_manage_phones() })
}

/// The phones list page.
#[component]
pub fn PhonesPage() -> impl IntoView {
    let query_map = super::use_query();
    let params = move || {
        let map = query_map.read();
        PARAMS.iter().filter_map(|k| map.get(k).map(|v| (k.to_string(), v))).collect::<Vec<_>>()
    };
    let view_data = Resource::new(params, get_phone_list);
    view! {
        <PageTitle text="Phones" />
        <super::phone_page::DeletedNotice />
        <Suspense fallback=|| view! { <p aria-busy="true">"Loading phones…"</p> }>
            {move || {
                view_data
                    .get()
                    .map(|r| match r {
                        Ok(data) => view! { <PhoneList data /> }.into_any(),
                        Err(e) => {
                            view! { <p role="alert" class="error">{format!("Could not load the phones: {e}")}</p> }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn PhoneList(data: PhoneListView) -> impl IntoView {
    let PhoneListView { page, servers, can_add } = data;
    let query = page.as_ref().map(|p| p.query.clone()).unwrap_or_default();
    view! {
        <div class="page-head">
            <h1>"Phones"</h1>
            {can_add.then(|| view! { <a class="button primary" href="/phones/new">"Add a phone"</a> })}
        </div>
        <Filters query=query.clone() servers />
        {match page {
            Err(e) => {
                view! {
                    <p role="alert" class="error">
                        {format!("This list address is not valid ({e}). ")}
                        <a href="/phones">"Show all phones"</a>
                    </p>
                }
                    .into_any()
            }
            Ok(page) if page.total == 0 && !page.query.is_filtered() => {
                view! {
                    <section class="empty card" aria-labelledby="empty-h">
                        <h2 id="empty-h">"No phones yet"</h2>
                        <p>"A phone entry lets an agent's device reach the dialer."</p>
                        {if can_add {
                            view! { <a class="button primary" href="/phones/new">"Add a phone"</a> }.into_any()
                        } else {
                            view! { <p>"Ask an administrator to add one."</p> }.into_any()
                        }}
                    </section>
                }
                    .into_any()
            }
            Ok(page) if page.total == 0 => {
                view! {
                    <p class="empty" role="status">
                        "No phones match this search. " <a href="/phones">"Clear the search and filters"</a>
                    </p>
                }
                    .into_any()
            }
            Ok(page) => view! { <PhoneTable page /> }.into_any(),
        }}
    }
}

/// The search box and filters: a GET form (works without JavaScript); with JavaScript (an island),
/// selects apply at once and the URL carries only what is set. Every control is a URL parameter, read
/// back by the same parser as the page's URL.
#[island]
fn Filters(query: PhoneListQuery, servers: Vec<ServerChoice>) -> impl IntoView {
    let form = RwSignal::new(query.clone());
    let go = Callback::new(move |q: PhoneListQuery| super::go_to(&q.href()));
    // Set once the island runs in the browser (effects do not run on the server): until then a select
    // changes nothing by itself, and tests wait for this before changing one.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // Back to this page from the browser's back-forward cache shows the controls as they were left
    // (a select already changed for the next page): put them back to what this page's URL says.
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let shown = query.clone();
    let restored = window_event_listener(leptos::ev::pageshow, move |ev| {
        if ev.persisted() {
            form.set(shown.clone());
            if let Some(f) = form_ref.get_untracked() {
                f.reset();
            }
        }
    });
    on_cleanup(move || restored.remove());
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go.run(form.get_untracked().on_page(1));
    };
    let pick = Callback::new(move |(param, value): (&'static str, String)| {
        go.run(form.get_untracked().with_param(param, &value));
    });
    let any = || (String::new(), "Any".to_string());
    let current =
        |param: &str| query.params().into_iter().find(|(k, _)| *k == param).map(|(_, v)| v).unwrap_or_default();
    let (sort, dir) = (query.sort.key(), if query.descending { "desc" } else { "asc" });
    let protocols = std::iter::once(any()).chain(Protocol::ALL.iter().map(|p| (p.as_str().into(), p.as_str().into())));
    let server_options = std::iter::once(any())
        .chain(servers.iter().map(|s| (s.server_ip.clone(), format!("{} ({})", s.server_ip, s.server_id))));
    let statuses =
        std::iter::once(any()).chain(PhoneStatus::ALL.iter().map(|s| (s.as_str().into(), s.as_str().into())));
    let registrations =
        std::iter::once(any()).chain(REGISTRATION_STATES.iter().map(|r| (r.to_string(), r.to_string())));
    let verdicts = std::iter::once(any()).chain(Verdict::ALL.iter().map(|v| (v.key().into(), v.label().into())));
    let sizes = PAGE_SIZES.iter().map(|n| (n.to_string(), n.to_string()));
    view! {
        <form
            class="filters"
            role="search"
            method="get"
            action="/phones"
            on:submit=apply
            node_ref=form_ref
            // The browser would otherwise put back, on Back, the values last chosen on this page.
            autocomplete="off"
            data-hydrated=move || hydrated.get().then_some("true")
        >
            <div class="field grow">
                <label for="f-q">"Search"</label>
                <input
                    id="f-q"
                    name="q"
                    type="search"
                    maxlength="100"
                    placeholder="Extension, login, name or number"
                    value=query.search.clone()
                    on:input=move |ev| form.update(|q| q.search = event_target_value(&ev).trim().to_string())
                />
            </div>
            <FilterSelect param="proto" label="Protocol" options=protocols.collect() current=current("proto") pick />
            <FilterSelect param="server" label="Server" options=server_options.collect() current=current("server") pick />
            <FilterSelect param="status" label="Status" options=statuses.collect() current=current("status") pick />
            <FilterSelect param="reg" label="Registration" options=registrations.collect() current=current("reg") pick />
            <FilterSelect param="verdict" label="Verdict" options=verdicts.collect() current=current("verdict") pick />
            <FilterSelect
                param="per"
                label="Rows per page"
                options=sizes.collect()
                current=query.per_page.to_string()
                pick
            />
            <input type="hidden" name="sort" value=sort />
            <input type="hidden" name="dir" value=dir />
            <button type="submit">"Search"</button>
        </form>
    }
}

/// One filter: a labelled select named as its URL parameter; picking a value applies it (with JavaScript).
#[component]
fn FilterSelect(
    param: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    current: String,
    pick: Callback<(&'static str, String)>,
) -> impl IntoView {
    let id = format!("f-{param}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=param on:change=move |ev| pick.run((param, event_target_value(&ev)))>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let selected = (value == current).then_some("selected");
                        view! { <option value=value selected=selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// The table of one page, with sortable headings and the pager.
#[component]
fn PhoneTable(page: PhoneListPage) -> impl IntoView {
    let pages = page.pages();
    let PhoneListPage { query, total, rows } = page;
    let first = query.offset() + 1;
    let last = query.offset() + rows.len() as u64;
    let heading = {
        let query = query.clone();
        move |column: SortColumn| {
            let sorted = query.sort == column;
            let aria = if !sorted {
                "none"
            } else if query.descending {
                "descending"
            } else {
                "ascending"
            };
            let arrow = match (sorted, query.descending) {
                (false, _) => "",
                (true, false) => " ▲",
                (true, true) => " ▼",
            };
            view! {
                <th scope="col" aria-sort=aria>
                    <a href=query.sorted_by(column).href()>{column.heading()}{arrow}</a>
                </th>
            }
        }
    };
    view! {
        <p class="count" role="status" data-testid="phone-total">
            {format!("{total} phone{}, showing {first}–{last}", if total == 1 { "" } else { "s" })}
        </p>
        <div class="table-wrap">
            <table class="phones">
                <caption class="visually-hidden">"Phones"</caption>
                <thead>
                    <tr>
                        {SortColumn::ALL
                            .into_iter()
                            .filter(|c| *c != SortColumn::Verdict)
                            .map(heading.clone())
                            .collect_view()}
                        <th scope="col">"CONF"</th>
                        {heading(SortColumn::Verdict)}
                        <th scope="col">"LOGIN PATH"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr class="clickable">
                                    <td data-label="EXTEN">
                                        <a class="row-link" href=r.href()>{r.extension.clone()}</a>
                                    </td>
                                    <td data-label="PROTO">{r.proto_cell()}</td>
                                    <td data-label="SERVER">{r.server_ip.clone()}</td>
                                    <td data-label="DIAL PLAN">{r.dialplan_number.clone()}</td>
                                    <td data-label="VMAIL">{r.voicemail_id.clone()}</td>
                                    <td data-label="STATUS" data-testid="status-cell">
                                        {r.status.clone()}
                                        {(!r.active)
                                            .then(|| {
                                                view! {
                                                    " "
                                                    <span class="badge inactive">"inactive"</span>
                                                }
                                            })}
                                    </td>
                                    <td data-label="NAME" class="name">{r.fullname.clone()}</td>
                                    <td data-label="GROUP">{r.user_group.clone()}</td>
                                    <td data-label="REGISTRATION" class="reg">
                                        <span class=format!("badge reg-{}", r.registration.to_lowercase())>
                                            {r.registration.clone()}
                                        </span>
                                    </td>
                                    <td data-label="CONF">
                                        <span class=format!("badge conf-{}", r.conf_state.replace(' ', "-"))>
                                            {r.conf_state.clone()}
                                        </span>
                                    </td>
                                    <td data-label="VERDICT" data-testid="verdict-cell">
                                        <span class=format!("badge verdict-{}", r.verdict.key())>{r.verdict.label()}</span>
                                    </td>
                                    <td data-label="LOGIN PATH">
                                        <a
                                            class="over-row"
                                            href=crate::app::flow::flow_href(&r.server_ip, &r.extension)
                                            aria-label=format!("Login path of {}", r.extension)
                                        >
                                            "path"
                                        </a>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {(pages > 1).then(|| view! { <Pager query pages /> })}
    }
}

#[component]
fn Pager(query: PhoneListQuery, pages: u32) -> impl IntoView {
    let page = query.page;
    let link = |label: &'static str, target: u32, enabled: bool| {
        if enabled {
            view! { <a href=query.on_page(target).href()>{label}</a> }.into_any()
        } else {
            view! { <span aria-disabled="true">{label}</span> }.into_any()
        }
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {link("First", 1, page > 1)}
            {link("Previous", page.saturating_sub(1), page > 1)}
            <span>{format!("Page {page} of {pages}")}</span>
            {link("Next", page + 1, page < pages)}
            {link("Last", pages, page < pages)}
        </nav>
    }
}
