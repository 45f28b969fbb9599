//! The phones list (`/phones`): server-side search, filters, sort and paging, all carried by the URL
//! (so a view can be shared and the back button works). Renders complete on the server; with
//! JavaScript the filters apply as they change and navigation stays client-side.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Serialize};

use crate::domain::phone_list::{PhoneListPage, PhoneListQuery, SortColumn, PAGE_SIZES, REGISTRATION_STATES};
use crate::domain::{PhoneStatus, Protocol};

/// The URL parameters the list reads.
const PARAMS: [&str; 9] = ["q", "proto", "server", "status", "reg", "sort", "dir", "page", "per"];

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
pub async fn get_phone_list(params: Vec<(String, String)>) -> Result<PhoneListView, ServerFnError> {
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
        Ok(query) => Ok(crate::service::phone_list::list_phones(&state.db, query).await.map_err(ssr::db_error)?),
        Err(e) => Err(e.to_string()),
    };
    Ok(PhoneListView { page, servers, can_add: viewer.can_manage_phones() })
}

/// The phones list page.
#[component]
pub fn PhonesPage() -> impl IntoView {
    let query_map = use_query_map();
    let params = move || {
        let map = query_map.read();
        PARAMS.iter().filter_map(|k| map.get_str(k).map(|v| (k.to_string(), v.to_string()))).collect::<Vec<_>>()
    };
    let view_data = Resource::new(params, get_phone_list);
    view! {
        <Title text="Phones · Dialtone" />
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

/// The search box and filters: a GET form (works without JavaScript); with JavaScript, selects apply
/// at once and the URL carries only what is set.
#[component]
fn Filters(query: PhoneListQuery, servers: Vec<ServerChoice>) -> impl IntoView {
    let form = RwSignal::new(query.clone());
    let navigate = use_navigate();
    let go = move || {
        let q = PhoneListQuery { page: 1, ..form.get_untracked() };
        navigate(&q.href(), Default::default());
    };
    let apply = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            go();
        }
    };
    let selected = |a: bool| a.then_some("selected");
    let (sort, dir) = (query.sort.key(), if query.descending { "desc" } else { "asc" });
    let go_select = move |set: fn(&mut PhoneListQuery, String)| {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            form.update(|q| set(q, event_target_value(&ev)));
            go();
        }
    };
    view! {
        <form class="filters" role="search" method="get" action="/phones" on:submit=apply>
            <div class="field grow">
                <label for="f-q">"Search"</label>
                <input
                    id="f-q"
                    name="q"
                    type="search"
                    maxlength="100"
                    placeholder="Extension, login, name or dialplan number"
                    value=query.search.clone()
                    on:input=move |ev| form.update(|q| q.search = event_target_value(&ev).trim().to_string())
                />
            </div>
            <div class="field">
                <label for="f-proto">"Protocol"</label>
                <select
                    id="f-proto"
                    name="proto"
                    on:change=go_select(|q, v| q.protocol = Protocol::parse(&v))
                >
                    <option value="">"Any"</option>
                    {Protocol::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=selected(query.protocol == Some(p))>
                                    {p.as_str()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-server">"Server"</label>
                <select
                    id="f-server"
                    name="server"
                    on:change=go_select(|q, v| q.server_ip = (!v.is_empty()).then_some(v))
                >
                    <option value="">"Any"</option>
                    {servers
                        .into_iter()
                        .map(|s| {
                            let is = query.server_ip.as_deref() == Some(s.server_ip.as_str());
                            view! {
                                <option value=s.server_ip.clone() selected=selected(is)>
                                    {format!("{} ({})", s.server_ip, s.server_id)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-status">"Status"</label>
                <select
                    id="f-status"
                    name="status"
                    on:change=go_select(|q, v| q.status = PhoneStatus::ALL.into_iter().find(|s| s.as_str() == v))
                >
                    <option value="">"Any"</option>
                    {PhoneStatus::ALL
                        .into_iter()
                        .map(|s| {
                            view! {
                                <option value=s.as_str() selected=selected(query.status == Some(s))>{s.as_str()}</option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-reg">"Registration"</label>
                <select
                    id="f-reg"
                    name="reg"
                    on:change=go_select(|q, v| q.registration = (!v.is_empty()).then_some(v))
                >
                    <option value="">"Any"</option>
                    {REGISTRATION_STATES
                        .into_iter()
                        .map(|r| {
                            let is = query.registration.as_deref() == Some(r);
                            view! { <option value=r selected=selected(is)>{r}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-per">"Rows per page"</label>
                <select
                    id="f-per"
                    name="per"
                    on:change=go_select(|q, v| q.per_page = v.parse().unwrap_or(q.per_page))
                >
                    {PAGE_SIZES
                        .into_iter()
                        .map(|n| {
                            view! { <option value=n.to_string() selected=selected(query.per_page == n)>{n}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <input type="hidden" name="sort" value=sort />
            <input type="hidden" name="dir" value=dir />
            <button type="submit">"Search"</button>
        </form>
    }
}

/// The table of one page, with sortable headings and the pager.
#[component]
fn PhoneTable(page: PhoneListPage) -> impl IntoView {
    let pages = page.pages();
    let PhoneListPage { query, total, rows } = page;
    let first = query.offset() + 1;
    let last = query.offset() + rows.len() as u64;
    let navigate = use_navigate();
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
                        {SortColumn::ALL.into_iter().map(heading).collect_view()}
                        <th scope="col">"CONF"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let href = r.href();
                            let navigate = navigate.clone();
                            let open = {
                                let href = href.clone();
                                move |_| navigate(&href, Default::default())
                            };
                            view! {
                                <tr class="clickable" on:click=open>
                                    <td>
                                        <a href=href>{r.extension.clone()}</a>
                                    </td>
                                    <td>{r.proto_cell()}</td>
                                    <td>{r.server_ip.clone()}</td>
                                    <td>{r.dialplan_number.clone()}</td>
                                    <td>{r.voicemail_id.clone()}</td>
                                    <td>{r.status.clone()}</td>
                                    <td>{r.fullname.clone()}</td>
                                    <td>{r.user_group.clone()}</td>
                                    <td>
                                        <span class=format!("badge reg-{}", r.registration.to_lowercase())>
                                            {r.registration.clone()}
                                        </span>
                                    </td>
                                    <td>
                                        <span class=format!("badge conf-{}", r.conf_state.replace(' ', "-"))>
                                            {r.conf_state.clone()}
                                        </span>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <Pager query pages />
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
