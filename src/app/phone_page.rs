//! The phone page (`/phones/:server_ip/:extension`): one phone's details grouped as the wizard's
//! steps (secrets masked), its registration state, its Asterisk configuration and conf state, and its
//! audit history; for users allowed to, reveal of a secret (audited), delete with confirmation, and
//! the links to edit and copy it (pages of the wizard). Also the "phone deleted" notice of the list.
//!
//! Complete without JavaScript: "Reveal" is a POST form to the page's own address, answered by
//! [`reveal_form`] (which checks, audits and renders the page with the value); "Delete" is a form
//! posting to the server function [`delete_phone_entry`], inside a `<details>` with a required
//! "I understand" checkbox, which answers with a redirect to the list (or back here with the refusal).
//! With JavaScript a secret is revealed in place (an island calling [`reveal_phone_secret`]).
//!
//! Owns no rules: permissions come from `domain::access` (and are checked again by every server
//! function and handler), data and audit entries from `service`.

pub mod details;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use super::busy_button::BusyButton;
use crate::app::{AppError, PageTitle};
use crate::domain::phone_list::{encode_component, phone_href};
use crate::domain::Field;
use details::{ConfView, DetailGroup, HistoryEntry, MASK, NOT_SET};

/// How many history entries the page shows (the newest).
pub const HISTORY_LIMIT: i64 = 50;

/// The page's path as axum writes it; the no-JavaScript reveal form posts here.
pub const PAGE_PATH: &str = "/phones/{server_ip}/{extension}";

/// The form field the no-JavaScript reveal form sends: the secret's API parameter name.
pub const REVEAL_PARAM: &str = "reveal";

/// The event code of a delete from the web admin.
pub const DELETE_EVENT_CODE: &str = "ADMIN DELETE PHONE";

/// Everything the page shows for a phone. Never carries a secret's value, except one the viewer
/// revealed through the no-JavaScript form (in the response to that POST only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhonePageView {
    /// The server IP asked for.
    pub server_ip: String,
    /// The extension asked for.
    pub extension: String,
    /// The phone, `None` when there is no such phone.
    pub phone: Option<PhoneDetails>,
    /// The viewer may edit and copy phones.
    pub can_manage: bool,
    /// The viewer may delete phones.
    pub can_delete: bool,
    /// The viewer may reveal secrets.
    pub can_reveal: bool,
}

/// A stored phone as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneDetails {
    /// The stored extension.
    pub extension: String,
    /// The stored server IP.
    pub server_ip: String,
    /// `fullname`, for the heading.
    pub full_name: String,
    /// `protocol`, with " (w)" for a webphone (the list's spelling).
    pub protocol: String,
    /// `status`.
    pub status: String,
    /// `active` is `Y`: an inactive phone is left out of the conf files and cannot be used.
    pub active: bool,
    /// The fields, grouped; secrets masked.
    pub groups: Vec<DetailGroup>,
    /// `peer_status` (`UNKNOWN`, `REGISTERED` …).
    pub registration: String,
    /// Whether this protocol registers at all (EXTERNAL and Zap do not).
    pub registers: bool,
    /// What is known of the registration beyond its state (label, value), for registering
    /// protocols: the server's AMI link, round trip, address, device, last change, last failure.
    pub registration_facts: Vec<(String, String)>,
    /// The Asterisk configuration and its state.
    pub conf: ConfView,
    /// The newest [`HISTORY_LIMIT`] audit entries, newest first.
    pub history: Vec<HistoryEntry>,
    /// Values revealed by the no-JavaScript form in this very response.
    pub revealed: Vec<(Field, String)>,
    /// Why that reveal was refused.
    pub reveal_error: Option<String>,
}

/// The phone page's data for the phone `(extension, server_ip)`.
#[server(prefix = "/serverfn", endpoint = "get_phone_page", input = server_fn::codec::Json)]
pub async fn get_phone_page(
    /// The phone's server.
    server_ip: String,
    /// The phone's extension.
    extension: String,
) -> Result<PhonePageView, AppError> {
    use super::ssr;
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let form_reveal = use_context::<server::FormReveal>();
    server::page_view(&state, &viewer, &server_ip, &extension, form_reveal).await
}

/// Reveals a secret (`PhonePass` or `RegistrationPassword`) of the phone `(extension, server_ip)`:
/// only for users with `ast_admin_access`, and written to the audit log (never the value).
#[server(prefix = "/serverfn", endpoint = "reveal_phone_secret", input = server_fn::codec::Json)]
pub async fn reveal_phone_secret(
    /// The phone's server.
    server_ip: String,
    /// The phone's extension.
    extension: String,
    /// The secret to reveal.
    field: Field,
) -> Result<String, AppError> {
    use super::ssr;
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let actor = ssr::actor(&viewer);
    server::reveal(&state, &viewer, &actor, &server_ip, &extension, field).await
}

/// Deletes the phone `(extension, server_ip)`: only for users with `ast_delete_phones`, and only with
/// `confirm=yes` (the "I understand" checkbox). Audited; marks the server's conf for a rebuild; then
/// sends the browser to the phones list with a notice.
#[server(prefix = "/serverfn", endpoint = "delete_phone_entry")]
pub async fn delete_phone_entry(
    /// The phone's server.
    server_ip: String,
    /// The phone's extension.
    extension: String,
    /// `yes` when the user ticked "I understand".
    confirm: Option<String>,
) -> Result<(), AppError> {
    use super::ssr;
    use crate::service::phones::{delete_phone, PhoneError};
    let viewer = ssr::require_viewer()?;
    if !viewer.can_delete_phones() {
        return Err(AppError::Forbidden("Your user may not delete phones (it needs ast_delete_phones).".into()));
    }
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::BadRequest("Tick \"I understand\" to confirm the delete.".into()));
    }
    let state = ssr::state()?;
    match delete_phone(&state.db, &ssr::actor(&viewer), &extension, &server_ip, DELETE_EVENT_CODE).await {
        Ok(()) => {
            leptos_axum::redirect(&deleted_href(&server_ip, &extension));
            Ok(())
        }
        Err(PhoneError::NotFound { .. }) => {
            Err(AppError::NotFound(format!("No phone {extension} on server {server_ip} (already deleted?).")))
        }
        Err(e) => Err(ssr::db_error(e)),
    }
}

/// The phones list with the "deleted" notice for this phone.
pub fn deleted_href(server_ip: &str, extension: &str) -> String {
    format!("/phones?deleted={}/{}", encode_component(server_ip), encode_component(extension))
}

/// The wizard's edit page for a phone.
pub fn edit_href(server_ip: &str, extension: &str) -> String {
    format!("{}/edit", phone_href(server_ip, extension))
}

/// The wizard's add page, prefilled from a phone (new extension and login, everything else copied).
pub fn copy_href(server_ip: &str, extension: &str) -> String {
    format!("/phones/new?copy={}/{}", encode_component(server_ip), encode_component(extension))
}

/// The phone page.
#[component]
pub fn PhonePage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (p.get("server_ip").unwrap_or_default(), p.get("extension").unwrap_or_default())
    };
    let data = Resource::new(key, |(server_ip, extension)| get_phone_page(server_ip, extension));
    view! {
        <div class="phone-page">
            <Suspense fallback=|| view! { <p aria-busy="true">"Loading the phone…"</p> }>
                {move || {
                    data.get()
                        .map(|r| match r {
                            Ok(PhonePageView { phone: Some(phone), can_manage, can_delete, can_reveal, .. }) => {
                                view! { <PhoneView phone can_manage can_delete can_reveal /> }.into_any()
                            }
                            Ok(PhonePageView { server_ip, extension, phone: None, .. }) => {
                                view! { <NotFound server_ip extension /> }.into_any()
                            }
                            Err(e) => {
                                view! {
                                    <p role="alert" class="error">
                                        {format!("Could not load the phone: {e}")}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </div>
    }
}

/// "No phone X on server Y", with HTTP status 404 when rendered on the server.
#[component]
fn NotFound(server_ip: String, extension: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <PageTitle text="Phone not found" />
        <section class="card" aria-labelledby="not-found-h">
            <h1 id="not-found-h">"Phone not found"</h1>
            <p role="alert">{format!("No phone {extension} on server {server_ip}.")}</p>
            <p>
                <a href="/phones">"Back to the phones list"</a>
            </p>
        </section>
    }
}

/// The page for a phone that exists.
#[component]
fn PhoneView(phone: PhoneDetails, can_manage: bool, can_delete: bool, can_reveal: bool) -> impl IntoView {
    let PhoneDetails {
        extension,
        server_ip,
        full_name,
        protocol,
        status,
        active,
        groups,
        registration,
        registers,
        registration_facts,
        conf,
        history,
        revealed,
        reveal_error,
    } = phone;
    let key = PhoneKey { href: phone_href(&server_ip, &extension), server_ip, extension };
    let title = format!("Phone {} on {}", key.extension, key.server_ip);
    let conf_label = conf.label.clone();
    view! {
        <PageTitle text=title.clone() />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/phones">"Phones"</a>
            " / "
            <span aria-current="page">{format!("{} on {}", key.extension, key.server_ip)}</span>
        </nav>
        <div class="head">
            <div>
                <h1>{title.clone()}</h1>
                <p class="summary">
                    <span>{if full_name.is_empty() { NOT_SET.to_string() } else { full_name.clone() }}</span>
                    <span class="badge">{protocol}</span>
                    <span class="badge">{if status.is_empty() { NOT_SET.to_string() } else { status.clone() }}</span>
                    {(!active)
                        .then(|| {
                            view! {
                                <span class="badge status-inactive" data-testid="inactive">
                                    "inactive"
                                </span>
                            }
                        })}
                    {registers
                        .then(|| {
                            view! {
                                <span class=format!("badge reg-{}", registration.to_lowercase())>
                                    {format!("Registration: {registration}")}
                                </span>
                            }
                        })}
                    <span class=format!("badge conf-{}", conf_label.replace(' ', "-"))>
                        {format!("Conf: {conf_label}")}
                    </span>
                </p>
                {(!active)
                    .then(|| {
                        view! {
                            <p class="hint inactive-note">
                                {format!(
                                    "Status {}, but the phone is inactive: it is left out of the conf files and \
                                     cannot be used until Active is set to Yes.",
                                    if status.is_empty() { NOT_SET } else { status.as_str() },
                                )}
                            </p>
                        }
                    })}
            </div>
            <div class="actions">
                <a class="button secondary" href=crate::app::flow::flow_href(&key.server_ip, &key.extension)>
                    "Login path"
                </a>
                {can_manage
                    .then(|| {
                        view! {
                            <a class="button" href=edit_href(&key.server_ip, &key.extension)>
                                "Edit"
                            </a>
                            <a class="button secondary" href=copy_href(&key.server_ip, &key.extension)>
                                "Copy to a new phone"
                            </a>
                        }
                    })}
            </div>
        </div>
        {reveal_error.map(|e| view! { <p role="alert" class="error">{e}</p> })}
        <div class="groups">
            {groups
                .into_iter()
                .enumerate()
                .map(|(i, group)| {
                    let heading = format!("group-{i}-h");
                    view! {
                        <section class="card group" aria-labelledby=heading.clone()>
                            <h2 id=heading.clone()>{group.title}</h2>
                            <dl>
                                {group
                                    .items
                                    .into_iter()
                                    .map(|item| {
                                        let field = item.field;
                                        let value = if field.is_secret() {
                                            let shown =
                                                revealed.iter().find(|(f, _)| *f == field).map(|(_, v)| v.clone());
                                            view! { <SecretValue field key=key.clone() can_reveal revealed=shown /> }
                                                .into_any()
                                        } else {
                                            view! { <span data-testid=format!("value-{}", field.param())>{item.value}</span> }
                                                .into_any()
                                        };
                                        view! {
                                            <dt>{field.label()}</dt>
                                            <dd>{value}</dd>
                                        }
                                    })
                                    .collect_view()}
                            </dl>
                        </section>
                    }
                })
                .collect_view()}
        </div>
        <ConfSection conf registration registers registration_facts />
        <HistorySection history />
        {can_delete.then(|| view! { <DeleteSection key /> })}
    }
}

/// Which phone, and its page's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PhoneKey {
    server_ip: String,
    extension: String,
    href: String,
}

/// A secret: masked, with "Reveal" for those who may (a POST form to the page without JavaScript,
/// the reveal server function with it) and "Hide" once shown. An island: `revealed` is the value the
/// no-JavaScript form revealed in this very response (the page is then `no-store`), else `None`.
#[island]
fn SecretValue(field: Field, key: PhoneKey, can_reveal: bool, revealed: Option<String>) -> impl IntoView {
    let label = field.label().to_lowercase();
    let testid = format!("value-{}", field.param());
    let revealed = RwSignal::new(revealed);
    let error = RwSignal::new(None::<String>);
    let shown = move || revealed.get();
    let reveal = {
        let key = key.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (server_ip, extension) = (key.server_ip.clone(), key.extension.clone());
            leptos::task::spawn_local(async move {
                match reveal_phone_secret(server_ip, extension, field).await {
                    Ok(value) => {
                        error.set(None);
                        revealed.set(Some(value));
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        }
    };
    let hide = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        revealed.set(None);
    };
    view! {
        <span class="secret">
            {move || error.get().map(|e| view! { <span role="alert" class="error">{e}</span> })}
            {move || match shown() {
                Some(value) => {
                    view! {
                        <code data-testid=testid.clone()>{value}</code>
                        <a class="button small secondary" href=key.href.clone() on:click=hide>
                            {format!("Hide {label}")}
                        </a>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <span data-testid=testid.clone()>
                            <span aria-hidden="true">{MASK}</span>
                            <span class="visually-hidden">"hidden"</span>
                        </span>
                        {can_reveal
                            .then(|| {
                                view! {
                                    <form class="reveal" method="post" action=key.href.clone() on:submit=reveal.clone()>
                                        <input type="hidden" name=REVEAL_PARAM value=field.param() />
                                        <button type="submit" class="small secondary">
                                            {format!("Reveal {label}")}
                                        </button>
                                    </form>
                                }
                            })}
                    }
                        .into_any()
                }
            }}
        </span>
    }
}

/// The registration state and the Asterisk configuration (stanza, dialplan, state).
#[component]
fn ConfSection(
    conf: ConfView,
    registration: String,
    registers: bool,
    registration_facts: Vec<(String, String)>,
) -> impl IntoView {
    let ConfView { label, detail, peer_file, stanza, dialplan, refusal } = conf;
    let registration = if registers {
        registration
    } else {
        "not applicable: this protocol does not register; nothing to wait for".to_string()
    };
    view! {
        <section class="card conf" aria-labelledby="conf-h">
            <h2 id="conf-h">"Asterisk configuration"</h2>
            <dl>
                <dt>"Registration"</dt>
                <dd data-testid="registration">{registration}</dd>
                {registration_facts
                    .into_iter()
                    .map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> })
                    .collect_view()}
                <dt>"Configuration state"</dt>
                <dd data-testid="conf-state">
                    <span class=format!("badge conf-{}", label.replace(' ', "-"))>{label.clone()}</span>
                    {format!(": {detail}")}
                </dd>
            </dl>
            {refusal.map(|r| view! { <p role="alert" class="error">{format!("Left out of the files: {r}")}</p> })}
            {match peer_file {
                Some(file) => {
                    view! {
                        <h3 id="stanza-h">{format!("Peer in {file}")}</h3>
                        <pre tabindex="0" aria-labelledby="stanza-h" data-testid="stanza">{stanza}</pre>
                        <h3 id="dialplan-h">"Dialplan in extensions-vicidial.conf"</h3>
                        <pre tabindex="0" aria-labelledby="dialplan-h" data-testid="dialplan">{dialplan}</pre>
                    }
                        .into_any()
                }
                None => view! { <p>"This phone has no peer and no dialplan lines in the generated files."</p> }.into_any(),
            }}
        </section>
    }
}

/// The phone's audit history, newest first.
#[component]
fn HistorySection(history: Vec<HistoryEntry>) -> impl IntoView {
    let limited = history.len() as i64 >= HISTORY_LIMIT;
    let value = |v: Option<String>| v.unwrap_or_else(|| NOT_SET.to_string());
    view! {
        <section class="card history" aria-labelledby="history-h">
            <h2 id="history-h">"History"</h2>
            <p class="hint">
                "Newest first. Passwords are never recorded: a change shows as [redacted]."
                {limited.then(|| format!(" Showing the last {HISTORY_LIMIT} entries."))}
            </p>
            {if history.is_empty() {
                view! { <p>"No recorded changes."</p> }.into_any()
            } else {
                view! {
                    <ol>
                        {history
                            .into_iter()
                            .map(|h| {
                                let count = h.changes.len();
                                let table = (count > 0)
                                    .then(|| {
                                        view! {
                                            <div class="table-wrap">
                                                <table>
                                                    <caption class="visually-hidden">"Changed fields"</caption>
                                                    <thead>
                                                        <tr>
                                                            <th scope="col">"Field"</th>
                                                            <th scope="col">"Before"</th>
                                                            <th scope="col">"After"</th>
                                                        </tr>
                                                    </thead>
                                                    <tbody>
                                                        {h
                                                            .changes
                                                            .into_iter()
                                                            .map(|c| {
                                                                view! {
                                                                    <tr>
                                                                        <th scope="row">{c.field}</th>
                                                                        <td>{value(c.old)}</td>
                                                                        <td>{value(c.new)}</td>
                                                                    </tr>
                                                                }
                                                            })
                                                            .collect_view()}
                                                    </tbody>
                                                </table>
                                            </div>
                                        }
                                    });
                                let changes = if h.event_type == "ADD" {
                                    table
                                        .map(|t| {
                                            view! {
                                                <details>
                                                    <summary>{format!("Values when added ({count} fields)")}</summary>
                                                    {t}
                                                </details>
                                            }
                                                .into_any()
                                        })
                                } else {
                                    table.map(IntoAny::into_any)
                                };
                                view! {
                                    <li>
                                        <p class="entry-head">
                                            <span class="date">{h.date}</span>
                                            <span>{h.user}</span>
                                            <code>{h.event_code}</code>
                                        </p>
                                        {(!h.note.is_empty()).then(|| view! { <p class="note">{h.note}</p> })}
                                        {changes}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}

/// Delete with confirmation: a disclosure holding the form, whose "I understand" checkbox is
/// required (by the browser and again by the server function). "Cancel" reloads the page, which
/// closes the disclosure. A refusal (the server function's redirect back, `__err`) shows at the top.
#[component]
fn DeleteSection(key: PhoneKey) -> impl IntoView {
    let action = ServerAction::<DeletePhoneEntry>::new();
    let error = move || action.value().get().and_then(Result::err).map(|e| e.to_string());
    let what = format!("extension {} from server {}", key.extension, key.server_ip);
    view! {
        <section class="card delete" aria-labelledby="delete-h">
            <h2 id="delete-h">"Delete"</h2>
            {move || error().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <details>
                <summary>"Delete phone…"</summary>
                <ActionForm action>
                    <p>
                        {format!(
                            "Are you sure? This removes {what}. Its Asterisk peer goes at the next rebuild; \
                             the history stays in the audit log.",
                        )}
                    </p>
                    <input type="hidden" name="server_ip" value=key.server_ip.clone() />
                    <input type="hidden" name="extension" value=key.extension.clone() />
                    <label class="confirm">
                        <input type="checkbox" name="confirm" value="yes" required />
                        {format!("I understand: delete {what}")}
                    </label>
                    <div class="actions">
                        <BusyButton label="Delete".to_string() busy="Deleting…".to_string() class="danger".to_string() />
                        <a class="button secondary" href=key.href.clone()>
                            "Cancel"
                        </a>
                    </div>
                </ActionForm>
            </details>
        </section>
    }
}

/// The phones list's notice after a delete (`?deleted=<server_ip>/<extension>`).
#[component]
pub fn DeletedNotice() -> impl IntoView {
    let query = super::use_query();
    move || {
        query.read().get("deleted").and_then(|d| {
            d.split_once('/').map(|(server_ip, extension)| {
                view! {
                    <p class="notice phone-deleted-notice" role="status" data-testid="deleted-notice">
                        {format!("Phone {extension} was deleted from server {server_ip}.")}
                    </p>
                }
            })
        })
    }
}

/// The no-JavaScript reveal: the page's POST handler. Checks the viewer may reveal, reveals (which
/// audits), then renders the page with the value; the answer is marked `no-store`.
#[cfg(feature = "ssr")]
pub async fn reveal_form(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::Path((server_ip, extension)): axum::extract::Path<(String, String)>,
    req: axum::extract::Request,
) -> axum::response::Response {
    server::reveal_form(state, server_ip, extension, req).await
}

#[cfg(feature = "ssr")]
mod server {
    //! The server side of the page: building its data, the reveal shared by the server function and
    //! the form handler.

    use axum::extract::{FromRequest, Request};
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::{IntoResponse, Response};
    use leptos::prelude::*;
    use serde::Deserialize;

    use super::details::{conf_state_text, detail_groups, diff_changes, mask_conf_secrets, ConfView, HistoryEntry};
    use super::{PhoneDetails, PhonePageView, HISTORY_LIMIT, REVEAL_PARAM};
    use crate::app::{ssr, AppError};
    use crate::domain::access::Viewer;
    use crate::domain::registration::AmiLink;
    use crate::domain::{Field, Protocol};
    use crate::service::phones::{self, PhoneError};
    use crate::service::{admin, conf, registration, Actor};
    use crate::state::AppState;
    use crate::storage::registration::RegistrationRow;

    /// The outcome of a no-JavaScript reveal, given to the page render as context.
    #[derive(Debug, Clone)]
    pub struct FormReveal(pub Result<(Field, String), String>);

    /// Builds the page's data.
    pub async fn page_view(
        state: &AppState,
        viewer: &Viewer,
        server_ip: &str,
        extension: &str,
        form_reveal: Option<FormReveal>,
    ) -> Result<PhonePageView, AppError> {
        let mut view = PhonePageView {
            server_ip: server_ip.to_string(),
            extension: extension.to_string(),
            phone: None,
            can_manage: viewer.can_manage_phones(),
            can_delete: viewer.can_delete_phones(),
            can_reveal: viewer.can_reveal_secrets(),
        };
        let Some(row) = phones::find_phone(&state.db, extension, server_ip).await.map_err(ssr::db_error)? else {
            return Ok(view);
        };
        let server_id = admin::list_servers(&state.db)
            .await
            .map_err(ssr::db_error)?
            .into_iter()
            .find(|s| s.server_ip == row.server_ip)
            .map(|s| s.server_id);
        let registers = Protocol::parse(&row.protocol).is_some_and(Protocol::registers);
        let groups = detail_groups(&phones::row_to_input(&row), server_id.as_deref(), registers);
        let conf = conf_view(state, &row.extension, &row.server_ip).await?;
        let prefix = phones::phone_notes(&row.extension, &row.server_ip);
        let history = phones::phone_history(&state.db, &row.extension, &row.server_ip, HISTORY_LIMIT)
            .await
            .map_err(ssr::db_error)?
            .into_iter()
            .map(|a| HistoryEntry {
                date: conf::utc_stamp(a.event_date),
                user: a.user,
                event_type: a.event_type,
                event_code: a.event_code,
                note: a.event_notes.strip_prefix(&prefix).unwrap_or_default().trim().to_string(),
                changes: diff_changes(&a.event_diff),
            })
            .collect();
        let (revealed, reveal_error) = match form_reveal {
            Some(FormReveal(Ok(value))) => (vec![value], None),
            Some(FormReveal(Err(e))) => (Vec::new(), Some(e)),
            None => (Vec::new(), None),
        };
        let registration_facts = if registers {
            let stored = registration::phone_registration(&state.db, &row.server_ip, &row.extension)
                .await
                .map_err(ssr::db_error)?;
            registration_facts(&state.ami.link(&row.server_ip), stored.as_ref())
        } else {
            Vec::new()
        };
        view.phone = Some(PhoneDetails {
            registers,
            registration_facts,
            extension: row.extension,
            server_ip: row.server_ip,
            full_name: row.fullname,
            protocol: if row.is_webphone.starts_with('Y') { format!("{} (w)", row.protocol) } else { row.protocol },
            status: row.status,
            active: row.active == "Y",
            groups,
            registration: row.peer_status,
            conf,
            history,
            revealed,
            reveal_error,
        });
        Ok(view)
    }

    /// The registration facts the page lists under the state (label, value).
    fn registration_facts(link: &AmiLink, stored: Option<&RegistrationRow>) -> Vec<(String, String)> {
        let mut facts = vec![(
            "Registration source".to_string(),
            match link {
                AmiLink::NotConfigured => {
                    "none: give this server AMI settings (Servers, edit) to follow registrations live".to_string()
                }
                other => format!("Asterisk manager {}", other.summary(conf::utc_stamp)),
            },
        )];
        let Some(r) = stored else {
            return facts;
        };
        let mut fact = |label: &str, value: Option<String>| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                facts.push((label.to_string(), value));
            }
        };
        fact("Round trip", r.ping_time.map(|ms| format!("{ms} ms")));
        fact("Registered from", r.contact.clone());
        fact("Device (User-Agent)", r.user_agent.clone());
        fact("Last change seen", r.last_event_at.map(conf::utc_stamp));
        fact(
            "Address changes",
            r.moves.since.filter(|_| r.moves.changes > 0).map(|since| {
                let before = r.moves.previous_address.as_deref().map(|p| format!(" (before: {p})")).unwrap_or_default();
                format!("{} since {}{before}", r.moves.changes, conf::utc_stamp(since))
            }),
        );
        fact(
            "Last failure",
            r.last_failure.as_ref().map(|f| match r.last_failure_at {
                Some(at) => format!("{f} ({})", conf::utc_stamp(at)),
                None => f.clone(),
            }),
        );
        if r.last_event_at.is_some() && !r.known_to_asterisk {
            fact("Asterisk", Some("has no peer of this name: its configuration was not loaded yet".to_string()));
        }
        facts
    }

    /// The phone's stanza (secret lines masked) and conf state.
    async fn conf_view(state: &AppState, extension: &str, server_ip: &str) -> Result<ConfView, AppError> {
        let Some((built, conf_state)) =
            conf::phone_conf_view(&state.db, extension, server_ip).await.map_err(ssr::db_error)?
        else {
            return Ok(ConfView {
                label: "unknown".into(),
                detail: "the phone or its server could not be read".into(),
                peer_file: None,
                stanza: String::new(),
                dialplan: String::new(),
                refusal: None,
            });
        };
        let (label, detail) = conf_state_text(&conf_state);
        Ok(match built {
            Ok(pc) => ConfView {
                label,
                detail,
                peer_file: pc.peer_file.map(|f| f.file_name().to_string()),
                stanza: mask_conf_secrets(&pc.stanza),
                dialplan: mask_conf_secrets(&pc.dialplan),
                refusal: None,
            },
            Err(refusal) => ConfView {
                label,
                detail,
                peer_file: None,
                stanza: String::new(),
                dialplan: String::new(),
                refusal: Some(refusal.describe()),
            },
        })
    }

    /// Reveals a secret for `viewer` (checked here), audited as `actor`. The error is the message the
    /// user sees.
    pub async fn reveal(
        state: &AppState,
        viewer: &Viewer,
        actor: &Actor,
        server_ip: &str,
        extension: &str,
        field: Field,
    ) -> Result<String, AppError> {
        if !viewer.can_reveal_secrets() {
            return Err(AppError::Forbidden(
                "Your user may not reveal phone passwords (it needs ast_admin_access).".into(),
            ));
        }
        match phones::reveal_phone_secret(&state.db, actor, extension, server_ip, field).await {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(AppError::BadRequest(format!("{} is not a secret; nothing to reveal.", field.label()))),
            Err(PhoneError::NotFound { .. }) => {
                Err(AppError::NotFound(format!("No phone {extension} on server {server_ip}.")))
            }
            Err(e) => Err(ssr::db_error(e)),
        }
    }

    /// The reveal form's body.
    #[derive(Deserialize)]
    struct RevealBody {
        #[serde(rename = "reveal")]
        field: String,
    }

    /// See [`super::reveal_form`].
    pub async fn reveal_form(state: AppState, server_ip: String, extension: String, req: Request) -> Response {
        let ip = crate::api::client_ip(&req);
        let (parts, body) = req.into_parts();
        // The session guard has put the viewer here (and answered 401 without a session).
        let Some(viewer) = parts.extensions.get::<Viewer>().cloned() else {
            return (StatusCode::UNAUTHORIZED, "Sign in first.\n").into_response();
        };
        let form = axum::Form::<RevealBody>::from_request(Request::from_parts(parts.clone(), body), &state).await;
        let field = form.ok().and_then(|f| Field::ALL.into_iter().find(|x| x.param() == f.0.field));
        let outcome = match field {
            None => Err(AppError::BadRequest(format!("Choose a password to reveal (form field {REVEAL_PARAM})."))),
            Some(field) => {
                let actor = Actor { user: viewer.user.clone(), ip };
                reveal(&state, &viewer, &actor, &server_ip, &extension, field).await.map(|v| (field, v))
            }
        };
        let status = outcome.as_ref().err().and_then(|e| StatusCode::from_u16(e.status()).ok());
        let outcome = FormReveal(outcome.map_err(|e| e.to_string()));
        let options = state.leptos_options.clone();
        let render = leptos_axum::render_app_async_with_context(
            move || {
                provide_context(state.clone());
                provide_context(outcome.clone());
            },
            move || crate::app::shell(options.clone()),
        );
        let mut res = render(Request::from_parts(parts, axum::body::Body::empty())).await;
        if let Some(status) = status {
            *res.status_mut() = status;
        }
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}
