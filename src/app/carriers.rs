//! The carriers pages and their server functions: the list (`/carriers`), the add form
//! (`/carriers/new`) and a carrier's page (`/carriers/:carrier_id`: its settings and edit form, the
//! extensions of its dialplan entry, a "test a number" form, and delete with confirmation).
//!
//! Built as the servers pages are: plain forms over server functions (`ActionForm` rendered on the
//! server; no code of theirs is in the browser bundle). The browser posts a form to its server
//! function, which answers with a redirect: on success to the carrier's page (`?added=1` /
//! `?saved=1`), on a refusal back to the form with the error in the URL (`__err`, Leptos'
//! form-redirect), from which the page's `ServerAction` shows the messages next to their fields and the
//! values that were sent. The registration string may hold the trunk's password: it is never put in a
//! URL (a refused form comes back without it), and only users who may change carriers see it. "Test a
//! number" is a plain GET form answered by the page itself.
//!
//! Dialtone does not write carriers into Asterisk's conf files; the pages say so. Rules and storage are
//! the service's (`service::carriers`, the same rules as `dialtone carrier add`); every server function
//! checks who is asking.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use super::busy_button::BusyButton;
use super::form_kit::{
    described_by, error_of, problems_of, refusal_of, CheckField, FormNames, FormOutcome, FormRefusal, Refusal,
    SelectField, SubmitButton, TextField,
};
use crate::app::{AppError, PageTitle};
use crate::domain::carrier::CarrierField;
use crate::domain::Protocol;

/// The longest number the "test a number" form takes.
pub const TEST_NUMBER_MAX: usize = 80;

/// How many patterns the list shows per carrier.
#[cfg(feature = "ssr")]
const LIST_PATTERNS: usize = 3;

/// What the pages say about Asterisk's files.
const NOT_WRITTEN: &str = "Dialtone stores carriers and checks numbers against their dial patterns; it does not \
     write them into Asterisk's conf files (VICIdial's own trunk setup does, or you do by hand).";

/// The carrier form's values as typed: every value a string, the ticked "active" checkbox `Some` (its
/// value `Y`), unticked absent. Field names are the columns', as in the service's refusals.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CarrierForm {
    /// `carrier_id` (the key: read-only when editing).
    pub carrier_id: String,
    /// `carrier_name`
    pub carrier_name: String,
    /// `server_ip`
    pub server_ip: String,
    /// `protocol`
    pub protocol: String,
    /// `registration_string` (may hold the trunk's password: never put in a URL).
    pub registration_string: String,
    /// `dialplan_entry`
    pub dialplan_entry: String,
    /// `active`
    pub active: Option<String>,
    /// `carrier_description`
    pub carrier_description: String,
}

impl std::fmt::Debug for CarrierForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierForm")
            .field("carrier_id", &self.carrier_id)
            .field("server_ip", &self.server_ip)
            .field("registration_string", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "ssr")]
impl CarrierForm {
    /// The add form's starting values: active, SIP, on the first server.
    pub fn new_carrier(server_ip: &str) -> CarrierForm {
        CarrierForm {
            server_ip: server_ip.to_string(),
            protocol: "SIP".into(),
            active: Some("Y".into()),
            ..CarrierForm::default()
        }
    }

    /// The same values without the registration string (what may go into a URL).
    pub fn without_secret(&self) -> CarrierForm {
        CarrierForm { registration_string: String::new(), ..self.clone() }
    }
}

pub use super::form_kit::FieldProblem;

/// Why adding, changing or deleting a carrier was refused. Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CarrierFormError {
    /// Values broke rules; `input` is what was sent, without the registration string, so the form can
    /// show it again (also without JavaScript, where the error comes back in the URL).
    #[error("{}", .problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// Each refused value.
        problems: Vec<FieldProblem>,
        /// The values sent.
        input: Box<CarrierForm>,
    },
    /// Refused as a whole (not allowed, not confirmed, no such carrier, a malformed call, the database
    /// failed): the message and the HTTP status it is answered with.
    #[error("{0}")]
    Refused(AppError),
}

impl FormRefusal for CarrierFormError {
    fn refusal(&self) -> Refusal {
        match self {
            CarrierFormError::Invalid { problems, .. } => Refusal::Fields(problems.clone()),
            other => Refusal::Other(other.to_string()),
        }
    }
}

/// How the carrier form names its fields (ids `carrier-…`).
const NAMES: FormNames = FormNames { id_prefix: "carrier", noun: "carrier", label_of };

impl FromServerFnError for CarrierFormError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        CarrierFormError::Refused(AppError::from_server_fn_error(value))
    }

    fn ser(&self) -> leptos::server_fn::Bytes {
        let status = match self {
            CarrierFormError::Invalid { .. } => 422,
            CarrierFormError::Refused(e) => e.status(),
        };
        super::error::encode_with_status(self, status)
    }
}

/// A server a carrier can be on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerChoice {
    /// `server_ip`
    pub server_ip: String,
    /// `server_id`
    pub server_id: String,
}

/// One carrier in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierListItem {
    /// `carrier_id`
    pub carrier_id: String,
    /// `carrier_name`
    pub carrier_name: String,
    /// `server_ip`
    pub server_ip: String,
    /// `protocol`
    pub protocol: String,
    /// `active` is `Y`.
    pub active: bool,
    /// How many distinct dial patterns its dialplan entry has.
    pub pattern_count: usize,
    /// The first of them.
    pub first_patterns: Vec<String>,
    /// The first wrong line of a stored entry (rows written by other tools), if any.
    pub problem: Option<String>,
}

/// What the list page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierListView {
    /// Every carrier, by id.
    pub carriers: Vec<CarrierListItem>,
    /// The viewer may add carriers.
    pub can_manage: bool,
}

/// A dial pattern as the carrier's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternView {
    /// The line it is first written on.
    pub line: usize,
    /// The pattern.
    pub pattern: String,
    /// The lengths of the numbers it matches, in words.
    pub length: String,
}

/// The answer of "test a number".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberTest {
    /// The number as given.
    pub number: String,
    /// The pattern Asterisk would use for it, if any.
    pub matched: Option<PatternView>,
    /// Why the number could not be tested.
    pub refused: Option<String>,
}

/// What the add page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCarrierForm {
    /// The starting values.
    pub form: CarrierForm,
    /// The servers to choose from.
    pub servers: Vec<ServerChoice>,
}

/// What a carrier's page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierPage {
    /// The stored values (the registration string empty unless the viewer may change carriers).
    pub form: CarrierForm,
    /// A registration string is stored.
    pub registration_set: bool,
    /// The servers to choose from.
    pub servers: Vec<ServerChoice>,
    /// The dial patterns of the stored dialplan entry.
    pub patterns: Vec<PatternView>,
    /// The wrong lines of a stored entry (rows written by other tools), one message each.
    pub problems: Vec<String>,
    /// The viewer may change and delete carriers (`modify_servers`).
    pub can_manage: bool,
    /// The answer to `?number=`, if asked.
    pub test: Option<NumberTest>,
}

/// The signed-in user if they may add, change and delete carriers, or the refusal to show. VICIdial's
/// `modify_carriers` permission does not exist in this schema: carriers are part of a server's setup,
/// so they need `modify_servers`, as servers do.
#[cfg(feature = "ssr")]
fn require_carrier_manager() -> Result<crate::domain::access::Viewer, AppError> {
    let viewer = super::ssr::require_viewer()?;
    if viewer.can_manage_servers() {
        Ok(viewer)
    } else {
        Err(AppError::Forbidden("your user may not add, change or delete carriers (needs modify_servers)".into()))
    }
}

/// The servers to choose from.
#[cfg(feature = "ssr")]
async fn server_choices(db: &crate::storage::Db) -> Result<Vec<ServerChoice>, AppError> {
    let rows = crate::service::admin::list_servers(db).await.map_err(super::ssr::db_error)?;
    Ok(rows.into_iter().map(|r| ServerChoice { server_ip: r.server_ip, server_id: r.server_id }).collect())
}

/// Every carrier with its dial patterns, and whether the viewer may add carriers.
#[server(prefix = "/serverfn", endpoint = "get_carriers")]
pub async fn get_carriers() -> Result<CarrierListView, AppError> {
    use super::ssr;
    use crate::domain::dial_pattern::parse_dialplan_entry;
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let rows = crate::service::carriers::list_carriers(&state.db).await.map_err(ssr::db_error)?;
    let carriers = rows
        .into_iter()
        .map(|r| {
            let entry = parse_dialplan_entry(&r.dialplan_entry);
            CarrierListItem {
                pattern_count: entry.patterns.len(),
                first_patterns: entry
                    .patterns
                    .iter()
                    .take(LIST_PATTERNS)
                    .map(|p| p.pattern.as_str().to_string())
                    .collect(),
                problem: entry.problems.first().map(ToString::to_string),
                active: r.active == "Y",
                carrier_id: r.carrier_id,
                carrier_name: r.carrier_name,
                server_ip: r.server_ip,
                protocol: r.protocol,
            }
        })
        .collect();
    Ok(CarrierListView { carriers, can_manage: viewer.can_manage_servers() })
}

/// One carrier (`None` when there is no such carrier), and the answer to `number` when given.
#[server(prefix = "/serverfn", endpoint = "get_carrier")]
pub async fn get_carrier(carrier_id: String, number: Option<String>) -> Result<Option<CarrierPage>, AppError> {
    use super::ssr;
    use crate::domain::dial_pattern::parse_dialplan_entry;
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let Some(row) = crate::service::carriers::find_carrier(&state.db, &carrier_id).await.map_err(ssr::db_error)? else {
        return Ok(None);
    };
    let can_manage = viewer.can_manage_servers();
    let entry = parse_dialplan_entry(&row.dialplan_entry);
    let view = |p: &crate::domain::dial_pattern::PatternLine| PatternView {
        line: p.line,
        pattern: p.pattern.as_str().to_string(),
        length: p.pattern.describe_length(),
    };
    let test = number.map(|number| {
        let count = number.chars().count();
        let refused = if number.is_empty() {
            Some("Enter a number to test.".to_string())
        } else if count > TEST_NUMBER_MAX || number.chars().any(char::is_control) {
            Some(format!("The number must be at most {TEST_NUMBER_MAX} characters, with no control characters."))
        } else {
            None
        };
        let matched = if refused.is_none() { entry.best_match(&number).map(view) } else { None };
        NumberTest { number, matched, refused }
    });
    let form = CarrierForm {
        carrier_id: row.carrier_id.clone(),
        carrier_name: row.carrier_name.clone(),
        server_ip: row.server_ip.clone(),
        protocol: row.protocol.clone(),
        registration_string: if can_manage { row.registration_string.clone() } else { String::new() },
        dialplan_entry: row.dialplan_entry.clone(),
        active: (row.active == "Y").then(|| "Y".to_string()),
        carrier_description: row.carrier_description.clone(),
    };
    Ok(Some(CarrierPage {
        form,
        registration_set: !row.registration_string.is_empty(),
        servers: server_choices(&state.db).await?,
        patterns: entry.patterns.iter().map(view).collect(),
        problems: entry.problems.iter().map(ToString::to_string).collect(),
        can_manage,
        test,
    }))
}

/// The add form's starting values and the servers, or `None` when the viewer may not add carriers
/// (the page then offers no form).
#[server(prefix = "/serverfn", endpoint = "get_new_carrier_form")]
pub async fn get_new_carrier_form() -> Result<Option<NewCarrierForm>, AppError> {
    let viewer = super::ssr::require_viewer()?;
    if !viewer.can_manage_servers() {
        return Ok(None);
    }
    let state = super::ssr::state()?;
    let servers = server_choices(&state.db).await?;
    let first = servers.first().map(|s| s.server_ip.clone()).unwrap_or_default();
    Ok(Some(NewCarrierForm { form: CarrierForm::new_carrier(&first), servers }))
}

/// Adds a carrier (needs `modify_servers`). On success the browser goes to the carrier's page.
#[server(prefix = "/serverfn", endpoint = "add_carrier")]
pub async fn add_carrier(#[server(flatten)] form: CarrierForm) -> Result<(), CarrierFormError> {
    use super::ssr;
    let viewer = require_carrier_manager().map_err(CarrierFormError::Refused)?;
    let state = ssr::state().map_err(CarrierFormError::Refused)?;
    match crate::service::carriers::add_carrier(&state.db, &ssr::actor(&viewer), &input_of(&form)).await {
        Ok(carrier) => {
            leptos_axum::redirect(&format!("{}?added=1", carrier_href(&carrier.carrier_id)));
            Ok(())
        }
        Err(e) => Err(change_refused(e, &form)),
    }
}

/// Changes a carrier (needs `modify_servers`); `carrier_id` names it and is not changed. On success the
/// browser goes back to the carrier's page (`?saved=1`, or `?unchanged=1` when nothing changed).
#[server(prefix = "/serverfn", endpoint = "update_carrier")]
pub async fn update_carrier(#[server(flatten)] form: CarrierForm) -> Result<(), CarrierFormError> {
    use super::ssr;
    let viewer = require_carrier_manager().map_err(CarrierFormError::Refused)?;
    let state = ssr::state().map_err(CarrierFormError::Refused)?;
    match crate::service::carriers::update_carrier(&state.db, &ssr::actor(&viewer), &input_of(&form)).await {
        Ok(update) => {
            let outcome = if update.changed.is_empty() { "unchanged=1" } else { "saved=1" };
            leptos_axum::redirect(&format!("{}?{outcome}", carrier_href(&form.carrier_id)));
            Ok(())
        }
        Err(e) => Err(change_refused(e, &form)),
    }
}

/// Deletes a carrier: only for users with `modify_servers`, and only with `confirm=yes` (the
/// "I understand" checkbox). Audited; then the browser goes to the list with a notice.
#[server(prefix = "/serverfn", endpoint = "delete_carrier")]
pub async fn delete_carrier(
    /// The carrier.
    carrier_id: String,
    /// `yes` when the user ticked "I understand".
    confirm: Option<String>,
) -> Result<(), CarrierFormError> {
    use super::ssr;
    use crate::service::carriers::CarrierError;
    let viewer = require_carrier_manager().map_err(CarrierFormError::Refused)?;
    if confirm.as_deref() != Some("yes") {
        return Err(CarrierFormError::Refused(AppError::BadRequest(
            "tick \"I understand\" to confirm the delete".into(),
        )));
    }
    let state = ssr::state().map_err(CarrierFormError::Refused)?;
    match crate::service::carriers::delete_carrier(&state.db, &ssr::actor(&viewer), &carrier_id).await {
        Ok(old) => {
            leptos_axum::redirect(&format!(
                "/carriers?deleted={}",
                crate::domain::phone_list::encode_component(&old.carrier_id)
            ));
            Ok(())
        }
        Err(CarrierError::NotFound(id)) => {
            Err(CarrierFormError::Refused(AppError::NotFound(format!("there is no carrier {id} (already deleted?)"))))
        }
        Err(e) => Err(CarrierFormError::Refused(ssr::db_error(e))),
    }
}

/// The form as the domain's input (an unticked "active" is `N`).
#[cfg(feature = "ssr")]
fn input_of(form: &CarrierForm) -> crate::domain::carrier::CarrierInput {
    crate::domain::carrier::CarrierInput {
        carrier_id: form.carrier_id.clone(),
        carrier_name: form.carrier_name.clone(),
        server_ip: form.server_ip.clone(),
        protocol: form.protocol.clone(),
        registration_string: form.registration_string.clone(),
        dialplan_entry: form.dialplan_entry.clone(),
        active: if form.active.is_some() { "Y" } else { "N" }.to_string(),
        carrier_description: form.carrier_description.clone(),
    }
}

/// A refused change as the form shows it.
#[cfg(feature = "ssr")]
fn change_refused(e: crate::service::carriers::CarrierError, form: &CarrierForm) -> CarrierFormError {
    use crate::service::carriers::CarrierError;
    match e {
        CarrierError::Invalid(invalid) => CarrierFormError::Invalid {
            problems: invalid
                .errors
                .iter()
                .map(|e| FieldProblem { field: e.field.param().to_string(), message: e.to_string() })
                .collect(),
            input: Box::new(form.without_secret()),
        },
        CarrierError::NotFound(id) => {
            CarrierFormError::Refused(AppError::NotFound(format!("there is no carrier with carrier_id {id}")))
        }
        CarrierError::Db(e) => CarrierFormError::Refused(super::ssr::db_error(e)),
    }
}

/// The address of a carrier's page.
fn carrier_href(carrier_id: &str) -> String {
    format!("/carriers/{}", crate::domain::phone_list::encode_component(carrier_id))
}

/// The carriers list page.
#[component]
pub fn CarriersPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_carriers());
    let query = super::use_query();
    let deleted = move || {
        query.read().get("deleted").map(|id| {
            view! {
                <p role="status" class="carriers-notice" data-testid="deleted-notice">
                    {format!("Carrier {id} was deleted.")}
                </p>
            }
        })
    };
    view! {
        <PageTitle text="Carriers" />
        {deleted}
        <Suspense fallback=|| view! { <p aria-busy="true">"Loading carriers…"</p> }>
            {move || {
                data.get()
                    .map(|r| match r {
                        Ok(data) => view! { <CarrierList data /> }.into_any(),
                        Err(e) => {
                            view! { <p role="alert" class="error">{format!("Could not load the carriers: {e}")}</p> }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn CarrierList(data: CarrierListView) -> impl IntoView {
    let CarrierListView { carriers, can_manage } = data;
    let add = move || can_manage.then(|| view! { <a class="button primary" href="/carriers/new">"Add a carrier"</a> });
    let body = if carriers.is_empty() {
        view! {
            <section class="card carriers-empty" aria-labelledby="carriers-empty-h">
                <h2 id="carriers-empty-h">"No carriers yet"</h2>
                <p>
                    "A home or mobile number (an EXTERNAL phone) is dialed out through a carrier: without one \
                     whose dial pattern matches the number on the phone's server, the agent hears nothing."
                </p>
                {if can_manage {
                    add().into_any()
                } else {
                    view! { <p>"Ask an administrator with server rights (modify_servers) to add one."</p> }.into_any()
                }}
            </section>
        }
        .into_any()
    } else {
        view! {
            <div class="carriers-table-wrap">
                <table class="carriers-table">
                    <caption class="carriers-visually-hidden">"Carriers"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"ID"</th>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Server"</th>
                            <th scope="col">"Protocol"</th>
                            <th scope="col">"Active"</th>
                            <th scope="col">"Patterns"</th>
                            <th scope="col">"First patterns"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {carriers
                            .into_iter()
                            .map(|c| {
                                let more = c.pattern_count > c.first_patterns.len();
                                let patterns = match (&c.problem, c.first_patterns.is_empty()) {
                                    (Some(p), _) => format!("stored entry is wrong: {p}"),
                                    (None, true) => super::phone_page::details::NOT_SET.to_string(),
                                    (None, false) => {
                                        format!("{}{}", c.first_patterns.join(", "), if more { ", …" } else { "" })
                                    }
                                };
                                let href = carrier_href(&c.carrier_id);
                                view! {
                                    <tr>
                                        <td>
                                            <a href=href>{c.carrier_id}</a>
                                        </td>
                                        <td>{c.carrier_name}</td>
                                        <td>{c.server_ip}</td>
                                        <td>{c.protocol}</td>
                                        <td>{if c.active { "Yes" } else { "No" }}</td>
                                        <td>{c.pattern_count}</td>
                                        <td class="carriers-patterns-cell">{patterns}</td>
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
        <div class="page-head carriers-head">
            <h1>"Carriers"</h1>
            {add()}
        </div>
        <p class="form-hint">{NOT_WRITTEN}</p>
        {body}
    }
}

/// The add form page.
#[component]
pub fn NewCarrierPage() -> impl IntoView {
    let defaults = Resource::new(|| (), |_| get_new_carrier_form());
    let action = ServerAction::<AddCarrier>::new();
    let outcome = Signal::derive(move || action.value().get());
    view! {
        <PageTitle text="Add a carrier" />
        <p class="carriers-back">
            <a href="/carriers">"← All carriers"</a>
        </p>
        <h1>"Add a carrier"</h1>
        <Suspense fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || {
                defaults
                    .get()
                    .map(|r| match r {
                        Ok(Some(NewCarrierForm { form, servers })) => {
                            let refused = matches!(action.value().get_untracked(), Some(Err(_)));
                            let values = match action.value().get_untracked() {
                                Some(Err(CarrierFormError::Invalid { input, .. })) => *input,
                                _ => form,
                            };
                            if servers.is_empty() {
                                return view! {
                                    <p role="alert" class="error">
                                        "A carrier belongs to an Asterisk server: add a server first. "
                                        <a href="/servers/new">"Add a server"</a>
                                    </p>
                                }
                                    .into_any();
                            }
                            view! {
                                <div class="card form-card">
                                    <p class="form-hint">{NOT_WRITTEN}</p>
                                    <ActionForm action>
                                        <FormOutcome names=NAMES refusal=refusal_of(outcome) />
                                        <CarrierFields
                                            values
                                            servers
                                            problems=problems_of(refusal_of(outcome))
                                            editing=false
                                            registration_resent=refused
                                        />
                                        <SubmitButton label="Add carrier" busy="Adding…" />
                                    </ActionForm>
                                </div>
                            }
                                .into_any()
                        }
                        Ok(None) => {
                            view! {
                                <p role="alert" class="error">
                                    "Your user may not add carriers (needs modify_servers). "
                                    <a href="/carriers">"Back to the carriers"</a>
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! { <p role="alert" class="error">{format!("Could not load the form: {e}")}</p> }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// A carrier's page: outcome of the last change, its dial patterns and the number test, its settings
/// (editable with `modify_servers`) and delete.
#[component]
pub fn CarrierDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = super::use_query();
    let carrier_id = move || params.read().get("carrier_id").unwrap_or_default();
    let number = move || query.read().get("number");
    let action = ServerAction::<UpdateCarrier>::new();
    let outcome = Signal::derive(move || action.value().get());
    let data = Resource::new(move || (carrier_id(), number(), action.version().get()), |(id, n, _)| get_carrier(id, n));
    let notice = move || {
        if matches!(outcome.get(), Some(Err(_))) {
            return None;
        }
        let q = query.read();
        if q.has("added") {
            Some("Carrier added.")
        } else if q.has("saved") {
            Some("Changes saved.")
        } else if q.has("unchanged") {
            Some("Nothing was changed.")
        } else {
            None
        }
    };
    view! {
        <PageTitle text=format!("Carrier {}", carrier_id()) />
        <p class="carriers-back">
            <a href="/carriers">"← All carriers"</a>
        </p>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the carrier…"</p> }>
            {move || {
                data.get()
                    .map(|r| match r {
                        Ok(Some(page)) => {
                            let refused = matches!(action.value().get_untracked(), Some(Err(_)));
                            let values = match action.value().get_untracked() {
                                // The refused values, with the stored registration string (it is not
                                // sent back through the URL).
                                Some(Err(CarrierFormError::Invalid { input, .. })) => CarrierForm {
                                    registration_string: page.form.registration_string.clone(),
                                    ..*input
                                },
                                _ => page.form.clone(),
                            };
                            let href = carrier_href(&page.form.carrier_id);
                            view! {
                                <div class="page-head carriers-head">
                                    <h1>{format!("Carrier {}", page.form.carrier_id)}</h1>
                                    <span class="carriers-sub">{page.form.carrier_name.clone()}</span>
                                </div>
                                {move || notice().map(|n| view! { <p role="status" class="carriers-notice">{n}</p> })}
                                <PatternsSection
                                    patterns=page.patterns.clone()
                                    problems=page.problems.clone()
                                    active=page.form.active.is_some()
                                />
                                <TestNumber href=href.clone() test=page.test.clone() />
                                {if page.can_manage {
                                    view! {
                                        <section class="card form-card" aria-labelledby="carrier-edit-h">
                                            <h2 id="carrier-edit-h">"Settings"</h2>
                                            <ActionForm action>
                                                <FormOutcome names=NAMES refusal=refusal_of(outcome) />
                                                <CarrierFields
                                                    values
                                                    servers=page.servers.clone()
                                                    problems=problems_of(refusal_of(outcome))
                                                    editing=true
                                                    registration_resent=refused
                                                />
                                                <SubmitButton label="Save changes" busy="Saving…" />
                                            </ActionForm>
                                        </section>
                                        <DeleteSection carrier_id=page.form.carrier_id.clone() href=href.clone() />
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <FormOutcome names=NAMES refusal=refusal_of(outcome) />
                                        <SettingsView form=page.form.clone() registration_set=page.registration_set />
                                    }
                                        .into_any()
                                }}
                            }
                                .into_any()
                        }
                        Ok(None) => {
                            view! {
                                <h1>"No such carrier"</h1>
                                <p role="alert" class="error">
                                    {format!("There is no carrier {}. ", carrier_id())}
                                    <a href="/carriers">"Show all carriers"</a>
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! { <p role="alert" class="error">{format!("Could not load the carrier: {e}")}</p> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// A field's label, by field name.
fn label_of(field: &str) -> &'static str {
    CarrierField::from_param(field).map_or("Field", CarrierField::label)
}

/// The dialplan entry's text area with its label, hint and refusal.
#[component]
fn DialplanField(value: String, problems: Signal<Vec<FieldProblem>>) -> impl IntoView {
    let name = "dialplan_entry";
    let id = NAMES.id(name);
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let error = error_of(problems, name);
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || described_by(Some(&hint_id), &error_id, error().is_some())
    };
    view! {
        <div class="field form-field carriers-wide">
            <label for=id.clone()>{label_of(name)}</label>
            <textarea
                id=id
                name=name
                rows="8"
                maxlength="10000"
                spellcheck="false"
                autocomplete="off"
                aria-invalid=move || error().map(|_| "true")
                aria-describedby=described
            >
                {textarea_text(&value)}
            </textarea>
            <p class="form-hint" id=hint_id>
                "Only exten => and same => lines, e.g. exten => _91NXXNXXXXXX,1,Dial(SIP/mytrunk/${EXTEN:1},,tTo). "
                "Comments start with ;. No [context] headers, #include or include/switch lines."
            </p>
            {move || error().map(|e| view! { <p class="form-field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// `value` as the content of a `<textarea>`, escaped here: Leptos writes a text area's children
/// unescaped (tachys' `ESCAPE_CHILDREN` is false for `textarea`, as for `script`), so a value holding
/// `</textarea>` would end the element and inject markup. The browser decodes the entities back into
/// the value. A line break first, because a browser drops one right after `<textarea>`: this one, not the
/// value's own.
fn textarea_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 1);
    out.push('\n');
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Every field of the carrier form (the same for adding and editing; when editing the id is
/// read-only). `registration_resent` says the last submission was refused: the registration string
/// was not sent back and must be typed again (when adding) or shows the stored one (when editing).
#[component]
fn CarrierFields(
    values: CarrierForm,
    servers: Vec<ServerChoice>,
    problems: Signal<Vec<FieldProblem>>,
    editing: bool,
    registration_resent: bool,
) -> impl IntoView {
    let v = values;
    let server_options: Vec<(String, String)> =
        servers.into_iter().map(|s| (s.server_ip.clone(), format!("{} ({})", s.server_ip, s.server_id))).collect();
    let protocols: Vec<(String, String)> =
        Protocol::ALL.iter().map(|p| (p.as_str().to_string(), p.as_str().to_string())).collect();
    let id_hint =
        if editing { "The ID cannot be changed here." } else { "2 to 15 letters, digits, _ or -, e.g. mytrunk." };
    let registration_hint = match (registration_resent, editing) {
        (true, false) => "Type it again: it may hold the trunk's password, so a refused form does not send it back.",
        (true, true) => "Shows the stored value: a refused form does not send a changed one back (it may hold a password).",
        _ => "Optional, one line, e.g. register => user:secret@sip.example.com:5060/user. Holds a password: shown only to users who may change carriers.",
    };
    view! {
        <fieldset class="form-group">
            <legend>"Carrier"</legend>
            <TextField names=NAMES
                name="carrier_id"
                value=v.carrier_id
                problems
                hint=id_hint
                readonly=editing
                required=true
                maxlength="15"
            />
            <TextField names=NAMES name="carrier_name" value=v.carrier_name problems hint="1 to 50 characters." required=true maxlength="50" />
            <TextField names=NAMES
                name="carrier_description"
                value=v.carrier_description
                problems
                hint="Optional, up to 255 characters."
                maxlength="255"
            />
            <CheckField names=NAMES name="active" checked=v.active.is_some() hint="Only active carriers route calls; an active carrier needs at least one exten => line." />
        </fieldset>
        <fieldset class="form-group">
            <legend>"Trunk"</legend>
            <SelectField names=NAMES
                name="server_ip"
                value=v.server_ip
                options=server_options
                problems
                hint="The Asterisk server the trunk is on: its EXTERNAL phones are dialed through it."
            />
            <SelectField names=NAMES name="protocol" value=v.protocol options=protocols problems hint="The trunk's channel driver." />
            <TextField names=NAMES
                name="registration_string"
                value=v.registration_string
                problems
                hint=registration_hint
                maxlength="255"
            />
        </fieldset>
        <fieldset class="form-group">
            <legend>"Dialplan"</legend>
            <DialplanField value=v.dialplan_entry problems />
        </fieldset>
    }
}

/// The dial patterns of the stored dialplan entry.
#[component]
fn PatternsSection(patterns: Vec<PatternView>, problems: Vec<String>, active: bool) -> impl IntoView {
    let state = if active {
        "Active: Asterisk uses these patterns once the carrier's lines are in its dialplan."
    } else {
        "Inactive: no call goes out through this carrier."
    };
    let list = if patterns.is_empty() {
        view! { <p>"This carrier's dialplan entry has no exten => line."</p> }.into_any()
    } else {
        view! {
            <div class="carriers-table-wrap">
                <table class="carriers-table">
                    <caption class="carriers-visually-hidden">"Dial patterns"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Line"</th>
                            <th scope="col">"Pattern"</th>
                            <th scope="col">"Matches"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {patterns
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <tr>
                                        <td>{p.line}</td>
                                        <td>
                                            <code>{p.pattern}</code>
                                        </td>
                                        <td>{p.length}</td>
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
    let problems = (!problems.is_empty()).then(|| {
        view! {
            <div role="alert" class="error form-alert">
                <p>"The stored dialplan entry has lines Dialtone cannot use:"</p>
                <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
            </div>
        }
    });
    view! {
        <section class="card" aria-labelledby="carrier-patterns-h">
            <h2 id="carrier-patterns-h">"Dial patterns"</h2>
            <p class="form-hint">{state}</p>
            {problems}
            {list}
            <p class="form-hint">{NOT_WRITTEN}</p>
        </section>
    }
}

/// "Test a number": a plain GET form to the page itself, answered with the pattern Asterisk would use.
#[component]
fn TestNumber(href: String, test: Option<NumberTest>) -> impl IntoView {
    let number = test.as_ref().map(|t| t.number.clone()).unwrap_or_default();
    let answer = test.map(|t| match (t.refused, t.matched) {
        (Some(refused), _) => {
            view! { <p role="alert" class="error" data-testid="number-test">{refused}</p> }.into_any()
        }
        (None, Some(m)) => view! {
            <p role="status" class="carriers-match" data-testid="number-test">
                {format!("{} matches {} (line {}).", t.number, m.pattern, m.line)}
            </p>
        }
        .into_any(),
        (None, None) => view! {
            <p role="status" class="carriers-nomatch" data-testid="number-test">
                {format!("No pattern of this carrier matches {}.", t.number)}
            </p>
        }
        .into_any(),
    });
    view! {
        <section class="card carriers-test" aria-labelledby="carrier-test-h">
            <h2 id="carrier-test-h">"Test a number"</h2>
            <form method="get" action=href>
                <div class="field form-field">
                    <label for="carrier-test-number">"Number"</label>
                    <input
                        id="carrier-test-number"
                        name="number"
                        type="text"
                        inputmode="tel"
                        value=number
                        maxlength=TEST_NUMBER_MAX.to_string()
                        autocomplete="off"
                        aria-describedby="carrier-test-hint"
                    />
                    <p class="form-hint" id="carrier-test-hint">
                        "As the dialer dials it, e.g. an EXTERNAL phone's dialplan number such as 913125551234."
                    </p>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button secondary">"Test"</button>
                </div>
            </form>
            {answer}
        </section>
    }
}

/// Delete with confirmation: a disclosure holding the form, whose "I understand" checkbox is required
/// (by the browser and again by the server function). A refusal shows at the top.
#[component]
fn DeleteSection(carrier_id: String, href: String) -> impl IntoView {
    let action = ServerAction::<DeleteCarrier>::new();
    let error = move || action.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <section class="card carriers-delete" aria-labelledby="carrier-delete-h">
            <h2 id="carrier-delete-h">"Delete"</h2>
            {move || error().map(|e| view! { <p role="alert" class="error">{format!("The carrier was not deleted: {e}")}</p> })}
            <details>
                <summary>"Delete carrier…"</summary>
                <ActionForm action>
                    <p>
                        {format!(
                            "Are you sure? This removes carrier {carrier_id} from Dialtone; the history stays in the audit log.",
                        )}
                    </p>
                    <input type="hidden" name="carrier_id" value=carrier_id.clone() />
                    <label class="carriers-confirm">
                        <input type="checkbox" name="confirm" value="yes" required />
                        {format!("I understand: delete carrier {carrier_id}")}
                    </label>
                    <div class="form-actions">
                        <BusyButton label="Delete".to_string() busy="Deleting…".to_string() class="danger".to_string() />
                        <a class="button secondary" href=href>
                            "Cancel"
                        </a>
                    </div>
                </ActionForm>
            </details>
        </section>
    }
}

/// The settings, read-only (for viewers who may not change carriers; the registration string is not
/// shown to them).
#[component]
fn SettingsView(form: CarrierForm, registration_set: bool) -> impl IntoView {
    let or_none = |v: &str| if v.is_empty() { super::phone_page::details::NOT_SET.to_string() } else { v.to_string() };
    let rows = vec![
        ("Carrier ID", form.carrier_id.clone()),
        ("Name", form.carrier_name.clone()),
        ("Description", or_none(&form.carrier_description)),
        ("Active", if form.active.is_some() { "Yes" } else { "No" }.to_string()),
        ("Server", form.server_ip.clone()),
        ("Protocol", form.protocol.clone()),
        (
            "Registration string",
            if registration_set {
                "set (hidden: it may hold the trunk's password)"
            } else {
                super::phone_page::details::NOT_SET
            }
            .to_string(),
        ),
    ];
    view! {
        <section class="card" aria-labelledby="carrier-settings-h">
            <h2 id="carrier-settings-h">"Settings"</h2>
            <dl class="settings-dl">
                {rows
                    .into_iter()
                    .map(|(k, v)| {
                        view! {
                            <dt>{k}</dt>
                            <dd>{v}</dd>
                        }
                    })
                    .collect_view()}
            </dl>
            <h3>"Dialplan entry"</h3>
            <pre class="carriers-pre">{form.dialplan_entry.clone()}</pre>
            <p class="form-hint">"Changing carriers needs server rights (modify_servers)."</p>
        </section>
    }
}
