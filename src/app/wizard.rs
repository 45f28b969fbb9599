//! The phone form: the add-phone wizard (`/phones/new`, also "copy" with `?copy=<server_ip>/<extension>`)
//! and the edit form (`/phones/:server_ip/:extension/edit`), one component in three modes.
//!
//! With JavaScript it is six steps; every field is checked as the user types by `domain::wizard` (the
//! same functions the server runs), the review previews the Asterisk configuration, and "Create" calls
//! a server function whose refusals come back to their field. Without JavaScript the same markup is one
//! form that posts to the page's own URL (`phone_form_post`, on the server), which saves or renders the
//! form again with the errors next to their fields. Owns no rules and no SQL.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::app::{AppError, PageTitle};
use crate::domain::phone_entry::{Field, FieldError, PhoneEntryInput};
use crate::domain::phone_list::phone_href;
use crate::domain::wizard::{asks, check_entry, Device, Step};
use crate::domain::{PhoneStatus, Protocol, SipStacks, GMT_OFFSETS};

/// Which form: a new phone (possibly copied from another) or an edit of a stored one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FormMode {
    /// A new phone; `copy` names the phone whose values it starts from (`server_ip`, `extension`).
    New {
        /// The phone copied, if any.
        copy: Option<(String, String)>,
    },
    /// The stored phone (`server_ip`, `extension`).
    Edit(String, String),
}

/// A server the form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerOption {
    /// `server_ip`
    pub server_ip: String,
    /// `server_id`
    pub server_id: String,
    /// `allowed_sip_stacks`
    pub sip_stacks: SipStacks,
}

/// Everything the form starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSetup {
    /// The mode.
    pub mode: FormMode,
    /// Initial values (in an edit the two passwords are empty: "leave blank to keep").
    pub input: PhoneEntryInput,
    /// Servers to choose from.
    pub servers: Vec<ServerOption>,
    /// Template ids to choose from.
    pub templates: Vec<String>,
    /// Errors of a refused submission (the form posted without JavaScript).
    pub errors: Vec<FieldError>,
    /// A refusal that is no field's fault.
    pub message: Option<String>,
    /// The viewer may save (else the page says so and offers nothing).
    pub allowed: bool,
    /// The phone to edit or copy was not found.
    pub missing: bool,
}

/// A form posted without JavaScript and refused: what the page renders again (server side only).
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct PostedForm {
    /// The values posted.
    pub input: PhoneEntryInput,
    /// The errors.
    pub errors: Vec<FieldError>,
    /// A refusal that is no field's fault.
    pub message: Option<String>,
}

/// What "Create"/"Save" came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaveOutcome {
    /// Saved: the phone page.
    Saved(String),
    /// Refused by field.
    Fields(Vec<FieldError>),
    /// Refused, no field's fault.
    Message(String),
}

/// The form's starting point for `mode`.
#[server(prefix = "/serverfn", endpoint = "phone_form_setup", input = server_fn::codec::Json)]
pub async fn phone_form_setup(mode: FormMode) -> Result<FormSetup, AppError> {
    use super::ssr;
    use crate::service::{phones, wizard};
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let servers = wizard::server_choices(&state.db)
        .await
        .map_err(ssr::db_error)?
        .into_iter()
        .map(|(server_ip, server_id, sip_stacks)| ServerOption { server_ip, server_id, sip_stacks })
        .collect::<Vec<_>>();
    let templates = wizard::template_ids(&state.db).await.map_err(ssr::db_error)?;
    let mut missing = false;
    let mut input = match &mode {
        FormMode::New { copy: None } => PhoneEntryInput {
            server_ip: servers.first().map(|s| s.server_ip.clone()).unwrap_or_default(),
            protocol: "SIP".into(),
            local_gmt: crate::service::admin::first_active_gmt(&state.db)
                .await
                .map_err(ssr::db_error)?
                .unwrap_or_else(|| "-5.00".into()),
            phone_context: "default".into(),
            phone_ring_timeout: "60".into(),
            // What an empty value would store, written out so the selects and the review agree with it.
            status: "ACTIVE".into(),
            active: "Y".into(),
            webphone_auto_answer: "Y".into(),
            use_external_server_ip: "N".into(),
            on_hook_agent: "N".into(),
            delete_vm_after_email: "N".into(),
            ..PhoneEntryInput::default()
        },
        FormMode::New { copy: Some((ip, ext)) } | FormMode::Edit(ip, ext) => {
            match phones::find_phone(&state.db, ext, ip).await.map_err(ssr::db_error)? {
                Some(row) => {
                    let mut input = phones::row_to_input(&row);
                    input.phone_pass.clear();
                    input.registration_password.clear();
                    if matches!(mode, FormMode::New { .. }) {
                        input.extension.clear();
                        input.phone_login.clear();
                    }
                    input
                }
                None => {
                    missing = true;
                    PhoneEntryInput::default()
                }
            }
        }
    };
    if matches!(mode, FormMode::New { .. }) {
        input.registration_password = wizard::new_registration_password();
    }
    let (mut errors, mut message) = (Vec::new(), None);
    if let Some(posted) = use_context::<PostedForm>() {
        input = posted.input;
        errors = posted.errors;
        message = posted.message;
    }
    Ok(FormSetup { mode, input, servers, templates, errors, message, allowed: viewer.can_manage_phones(), missing })
}

/// A new strong registration password (the "Generate another" button).
#[server(prefix = "/serverfn", endpoint = "new_registration_password")]
pub async fn new_registration_password() -> Result<String, AppError> {
    super::ssr::require_phone_manager()?;
    Ok(crate::service::wizard::new_registration_password())
}

/// The Asterisk configuration `input` would produce on its server (the review step): the peer stanza
/// and dialplan lines, or why there is none.
#[server(prefix = "/serverfn", endpoint = "preview_phone_conf", input = server_fn::codec::Json)]
pub async fn preview_phone_conf(input: PhoneEntryInput) -> Result<String, AppError> {
    use super::ssr;
    use crate::domain::asterisk_conf::ConfPhone;
    use crate::domain::{validate_phone_entry, ProtocolSet};
    ssr::require_viewer()?;
    let state = ssr::state()?;
    let mut input = input;
    if input.registration_password.is_empty() {
        // An edit that keeps the stored password: preview with a placeholder, never the secret.
        input.registration_password = "unchanged".into();
    }
    if input.phone_pass.is_empty() {
        input.phone_pass = "unchanged".into();
    }
    let entry = match validate_phone_entry(&input, ProtocolSet::WebAdmin) {
        Ok(e) => e,
        Err(e) => return Ok(format!("; not previewed: {e}")),
    };
    if !entry.protocol.registers() {
        return Ok(format!(
            "; no peer: {} phones are dialed, not registered",
            if entry.protocol == Protocol::External { "EXTERNAL" } else { "Zap" }
        ));
    }
    let phone = ConfPhone::from_entry(&entry);
    match crate::service::conf::preview_phone_conf(&state.db, &phone, &entry.server_ip).await {
        Ok(Ok(conf)) if conf.stanza.is_empty() && conf.dialplan.is_empty() => {
            Ok("; no configuration: this server does not generate conf files".into())
        }
        Ok(Ok(conf)) => Ok(format!(
            "; {}\n{}\n; extensions-vicidial.conf\n{}",
            conf.peer_file.map(|f| f.file_name()).unwrap_or("peer"),
            conf.stanza.trim_end(),
            conf.dialplan.trim_end()
        )),
        Ok(Err(refusal)) => Ok(format!("; refused by the generator: {}", refusal.describe())),
        Err(e) => Err(ssr::db_error(e)),
    }
}

/// Saves the form (a new phone, a copy, or an edit), after the viewer's permission and every rule.
#[server(prefix = "/serverfn", endpoint = "save_phone_form", input = server_fn::codec::Json)]
pub async fn save_phone_form(mode: FormMode, input: PhoneEntryInput) -> Result<SaveOutcome, AppError> {
    use super::ssr;
    let viewer = ssr::require_phone_manager()?;
    let state = ssr::state()?;
    Ok(save(&state, &viewer, &ssr::actor(&viewer), &mode, input).await)
}

/// The one save path of the server function and the no-JavaScript post.
#[cfg(feature = "ssr")]
pub(crate) async fn save(
    state: &crate::state::AppState,
    viewer: &crate::domain::access::Viewer,
    actor: &crate::service::Actor,
    mode: &FormMode,
    input: PhoneEntryInput,
) -> SaveOutcome {
    use crate::service::wizard::{save_phone, FormRefused, PhoneKey};
    if !viewer.can_manage_phones() {
        return SaveOutcome::Message(
            "Your user may not add or change phones (it needs ast_admin_access or modify_phones).".into(),
        );
    }
    let editing = match mode {
        FormMode::Edit(server_ip, extension) => {
            Some(PhoneKey { extension: extension.clone(), server_ip: server_ip.clone() })
        }
        FormMode::New { .. } => None,
    };
    match save_phone(&state.db, actor, editing.as_ref(), input).await {
        Ok(key) => SaveOutcome::Saved(phone_href(&key.server_ip, &key.extension)),
        Err(FormRefused::Fields(errors)) => SaveOutcome::Fields(errors),
        Err(FormRefused::Other(message)) => SaveOutcome::Message(message),
    }
}

/// Reads a posted form (field names are the legacy API's parameter names, plus `device`) into an input.
#[cfg(feature = "ssr")]
pub fn input_from_form(pairs: &[(String, String)], start: PhoneEntryInput) -> PhoneEntryInput {
    let mut input = start;
    for (name, value) in pairs {
        if name == "device" {
            if let Some(d) = Device::parse(value) {
                d.apply(&mut input);
            }
        } else if let Some(field) = Field::ALL.into_iter().find(|f| f.param() == name) {
            input.set(field, value.clone());
        }
    }
    input
}

/// `/phones/new`: the wizard (a copy when the URL has `?copy=<server_ip>/<extension>`).
#[component]
pub fn NewPhonePage() -> impl IntoView {
    let query = super::use_query();
    let mode = move || {
        let copy =
            query.read().get("copy").and_then(|c| c.split_once('/').map(|(a, b)| (a.to_string(), b.to_string())));
        FormMode::New { copy }
    };
    view! { <FormPage mode=Signal::derive(mode) /> }
}

/// `/phones/:server_ip/:extension/edit`: the edit form.
#[component]
pub fn EditPhonePage() -> impl IntoView {
    let params = use_params_map();
    let mode = move || {
        let p = params.read();
        FormMode::Edit(p.get("server_ip").unwrap_or_default(), p.get("extension").unwrap_or_default())
    };
    view! { <FormPage mode=Signal::derive(mode) /> }
}

#[component]
fn FormPage(mode: Signal<FormMode>) -> impl IntoView {
    let setup = Resource::new(move || mode.get(), phone_form_setup);
    view! {
        <Suspense fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || {
                setup
                    .get()
                    .map(|r| match r {
                        Ok(s) if s.missing => {
                            view! {
                                <h1>"Phone not found"</h1>
                                <p role="alert" class="error">"That phone does not exist (any more)."</p>
                                <a href="/phones">"Back to the phones"</a>
                            }
                                .into_any()
                        }
                        Ok(s) if !s.allowed => {
                            view! {
                                <h1>"Phones"</h1>
                                <p role="alert" class="error">
                                    "Your user may not add or change phones (it needs ast_admin_access or modify_phones)."
                                </p>
                                <a href="/phones">"Back to the phones"</a>
                            }
                                .into_any()
                        }
                        Ok(s) => {
                            let title = form_title(&s.mode);
                            view! {
                                <PageTitle text=title.to_string() />
                                <PhoneForm setup=s />
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p role="alert" class="error">{format!("Could not load the form: {e}")}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// How the review shows a value: yes/no as words, and what an empty optional value means.
fn review_text(field: Field, value: &str) -> String {
    let yes_no = matches!(
        field,
        Field::WebphoneAutoAnswer
            | Field::UseExternalServerIp
            | Field::OnHookAgent
            | Field::Active
            | Field::DeleteVmAfterEmail
    );
    match (value, field) {
        ("Y", _) if yes_no => "Yes".into(),
        ("N", _) if yes_no => "No".into(),
        ("", Field::TemplateId) => "None".into(),
        ("", Field::AdminUserGroup) => "---ALL--- (every group)".into(),
        ("", _) => super::phone_page::details::NOT_SET.into(),
        _ => value.to_string(),
    }
}

/// A field's element id.
fn field_id(field: Field) -> String {
    format!("pf-{}", field.param())
}

/// The form's heading.
fn form_title(mode: &FormMode) -> &'static str {
    match mode {
        FormMode::New { copy: None } => "Add a phone",
        FormMode::New { copy: Some(_) } => "Copy a phone",
        FormMode::Edit(..) => "Edit phone",
    }
}

/// The phone form: an island (hydrated on its own; the rest of the page is plain server HTML).
#[island]
fn PhoneForm(setup: FormSetup) -> impl IntoView {
    let FormSetup { mode, input: start, servers, templates, errors: posted_errors, message, .. } = setup;
    let editing = matches!(mode, FormMode::Edit(..));
    let title = form_title(&mode);
    let (create_label, busy_label) =
        if editing { ("Save changes", "Saving…") } else { ("Create phone", "Creating…") };
    let action_url = match &mode {
        FormMode::Edit(ip, ext) => format!("{}/edit", phone_href(ip, ext)),
        FormMode::New { .. } => "/phones/new".to_string(),
    };
    let input = RwSignal::new(start);
    let step = RwSignal::new(Step::Device);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // Fields the user has edited (or a step the user tried to leave): their errors show.
    let touched = RwSignal::new(HashSet::<Field>::new());
    // Refusals from the server, shown until the field is edited.
    let server_errors = RwSignal::new(posted_errors.clone());
    let notice = RwSignal::new(message);
    let posted_fields: HashSet<Field> = posted_errors.iter().map(|e| e.field).collect();
    touched.update(|t| t.extend(posted_fields));
    let stacks_of = {
        let servers = servers.clone();
        move |ip: &str| servers.iter().find(|s| s.server_ip == ip).map(|s| s.sip_stacks)
    };
    let live_errors = {
        let stacks_of = stacks_of.clone();
        Memo::new(move |_| {
            let i = input.get();
            let mut errs = check_entry(&i, stacks_of(&i.server_ip));
            if editing {
                // Empty passwords keep the stored ones in an edit.
                errs.retain(|e| {
                    !((e.field == Field::PhonePass && i.phone_pass.is_empty())
                        || (e.field == Field::RegistrationPassword && i.registration_password.is_empty()))
                });
            }
            if !Device::of(&i).is_none_or(Device::registers) {
                errs.retain(|e| e.field != Field::RegistrationPassword);
            }
            errs
        })
    };
    let error_for = move |field: Field| -> Option<String> {
        if let Some(e) = server_errors.read().iter().find(|e| e.field == field) {
            return Some(e.labelled());
        }
        if !hydrated.get() || !touched.read().contains(&field) {
            return None;
        }
        live_errors.read().iter().find(|e| e.field == field).map(FieldError::labelled)
    };
    let set_field = move |field: Field, value: String| {
        input.update(|i| i.set(field, value));
        touched.update(|t| {
            t.insert(field);
        });
        server_errors.update(|e| e.retain(|x| x.field != field));
    };
    let device = Memo::new(move |_| Device::of(&input.read()));

    let save_action =
        Action::new(move |(mode, input): &(FormMode, PhoneEntryInput)| save_phone_form(mode.clone(), input.clone()));
    Effect::new(move |_| {
        if let Some(result) = save_action.value().get() {
            match result {
                Ok(SaveOutcome::Saved(href)) => super::go_to(&href),
                Ok(SaveOutcome::Fields(errors)) => {
                    if let Some(first) = errors.first() {
                        step.set(Step::of(first.field));
                    }
                    touched.update(|t| t.extend(errors.iter().map(|e| e.field)));
                    server_errors.set(errors);
                    notice.set(Some("Not saved: fix the fields marked below.".into()));
                }
                Ok(SaveOutcome::Message(m)) => notice.set(Some(m)),
                Err(e) => notice.set(Some(format!("Not saved: {e}"))),
            }
        }
    });
    let stored_mode = StoredValue::new(mode.clone());
    // "Next": the step's fields are checked (their errors show) and the wizard moves on only without errors.
    let go_next = move || {
        let current = step.get_untracked();
        touched.update(|t| t.extend(current.fields().iter().copied()));
        let blocking = live_errors.get_untracked().iter().any(|e| Step::of(e.field) == current);
        if !blocking {
            step.set(current.next());
        }
    };
    // "Create"/"Save": every field is checked first; the first step with an error is shown.
    let save_now = move || {
        let errors = live_errors.get_untracked();
        if let Some(first) = errors.first() {
            touched.update(|t| t.extend(errors.iter().map(|e| e.field)));
            step.set(Step::of(first.field));
            notice.set(Some("Not saved: fix the fields marked below.".into()));
            return;
        }
        notice.set(None);
        save_action.dispatch((stored_mode.get_value(), input.get_untracked()));
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // An edit saves from any step; a new phone goes step by step to the review.
        if editing || step.get_untracked() == Step::Review {
            save_now();
        } else {
            go_next();
        }
    };
    let text = move |field: Field, kind: &'static str, hint: &'static str| {
        let id = field_id(field);
        let err_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described = format!("{hint_id} {err_id}");
        let initial = input.read_untracked().get(field).to_string();
        let autocomplete = if field.is_secret() { "new-password" } else { "off" };
        let for_id = id.clone();
        view! {
            <div class="field">
                <label for=for_id>{field.label()}</label>
                <input
                    id=id
                    name=field.param()
                    type=kind
                    value=initial
                    autocomplete=autocomplete
                    aria-describedby=described
                    aria-invalid=move || if error_for(field).is_some() { "true" } else { "false" }
                    on:input=move |ev| set_field(field, event_target_value(&ev))
                    prop:value=move || input.read().get(field).to_string()
                />
                <p class="hint" id=hint_id>{hint}</p>
                <p class="field-error" id=err_id aria-live="polite">{move || error_for(field)}</p>
            </div>
        }
    };
    let select = move |field: Field, options: Vec<(String, String)>, hint: &'static str| {
        let id = field_id(field);
        let err_id = format!("{id}-error");
        let current = input.read_untracked().get(field).to_string();
        let for_id = id.clone();
        view! {
            <div class="field">
                <label for=for_id>{field.label()}</label>
                <select
                    id=id
                    name=field.param()
                    aria-describedby=err_id.clone()
                    on:change=move |ev| set_field(field, event_target_value(&ev))
                >
                    {options
                        .into_iter()
                        .map(|(value, label)| {
                            let selected = (value == current).then_some("selected");
                            view! { <option value=value selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
                <p class="hint">{hint}</p>
                <p class="field-error" id=err_id aria-live="polite">{move || error_for(field)}</p>
            </div>
        }
    };
    let yes_no = |default_yes: bool| {
        let (a, b) = if default_yes { ("Y", "N") } else { ("N", "Y") };
        vec![
            (a.to_string(), if a == "Y" { "Yes" } else { "No" }.to_string()),
            (b.to_string(), if b == "Y" { "Yes" } else { "No" }.to_string()),
        ]
    };
    let extension_hint = move || match Protocol::parse(&input.read().protocol) {
        Some(p) if p.allows_dash_in_extension() => "2–100 letters, digits and dashes.",
        _ => "2–100 letters and digits: it is the peer name the phone registers with (no dashes).",
    };
    let step_hidden = move |s: Step| move || hydrated.get() && step.get() != s;
    let secret_hint: &'static str =
        if editing { "Leave blank to keep the current password." } else { "Letters, digits, _ and -." };
    let regenerate = Action::new(|_: &()| new_registration_password());
    Effect::new(move |_| {
        if let Some(Ok(p)) = regenerate.value().get() {
            set_field(Field::RegistrationPassword, p);
        }
    });
    let server_options: Vec<(String, String)> = servers
        .iter()
        .map(|s| (s.server_ip.clone(), format!("{} — {} ({})", s.server_ip, s.server_id, s.sip_stacks.describe())))
        .collect();
    let template_options: Vec<(String, String)> = std::iter::once((String::new(), "None".to_string()))
        .chain(templates.iter().map(|t| (t.clone(), t.clone())))
        .collect();
    let gmt_options: Vec<(String, String)> = GMT_OFFSETS.iter().map(|g| (g.to_string(), g.to_string())).collect();
    let status_options: Vec<(String, String)> =
        PhoneStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.as_str().to_string())).collect();
    // The review's preview, asked for each time the review step shows the values (an action, not a
    // resource: nothing is loaded for the other steps, and the bundle needs no async-resource machinery).
    let preview = Action::new(|i: &PhoneEntryInput| preview_phone_conf(i.clone()));
    Effect::new(move |_| {
        if step.get() == Step::Review {
            preview.dispatch(input.get());
        }
    });
    let pending = save_action.pending();

    let part_device = view! {
            <fieldset class="step" hidden=step_hidden(Step::Device)>
                <legend>{format!("1. {}", Step::Device.title())}</legend>
                <div class="choices" role="radiogroup" aria-label="Audio device">
                    {Device::ALL
                        .into_iter()
                        .map(|d| {
                            let id = format!("device-{}", d.key());
                            let for_id = id.clone();
                            let checked = (device.get_untracked() == Some(d)).then_some("checked");
                            view! {
                                <label class="choice" for=for_id>
                                    <input
                                        type="radio"
                                        id=id
                                        name="device"
                                        value=d.key()
                                        checked=checked
                                        on:change=move |_| {
                                            input.update(|i| d.apply(i));
                                            server_errors.update(|e| e.retain(|x| x.field != Field::Protocol));
                                        }
                                    />
                                    <span class="choice-label">{d.label()}</span>
                                    <span class="choice-help">{d.explains()}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <p class="field-error" aria-live="polite">{move || error_for(Field::Protocol)}</p>
            </fieldset>
    }
    .into_any();
    let part_identity = view! {
            <fieldset class="step" hidden=step_hidden(Step::Identity)>
                <legend>{format!("2. {}", Step::Identity.title())}</legend>
                {text(Field::Extension, "text", "")}
                <p class="hint rule" data-testid="extension-rule">{extension_hint}</p>
                {text(Field::DialplanNumber, "text", "Digits: the number the dialer dials to ring this phone.")}
                {text(Field::VoicemailId, "text", "Digits: the voicemail box.")}
            </fieldset>
    }
    .into_any();
    let part_server = view! {
            <fieldset class="step" hidden=step_hidden(Step::Server)>
                <legend>{format!("3. {}", Step::Server.title())}</legend>
                {select(Field::ServerIp, server_options, "The Asterisk server the phone belongs to.")}
                {text(Field::PhoneLogin, "text", "What the agent types as phone login: letters, digits, _ and -.")}
                {text(Field::PhonePass, "password", secret_hint)}
                <div class="with-button" hidden=move || hydrated.get() && !asks(device.get(), Field::RegistrationPassword)>
                    {text(
                        Field::RegistrationPassword,
                        "text",
                        if editing {
                            "Leave blank to keep the current password. Not used by home/mobile numbers."
                        } else {
                            "Generated for you; the device uses it to register. Not used by home/mobile numbers."
                        },
                    )}
                    <button
                        type="button"
                        class="secondary"
                        hidden=move || !hydrated.get()
                        on:click=move |_| {
                            regenerate.dispatch(());
                        }
                    >
                        "Generate another"
                    </button>
                </div>
            </fieldset>
    }
    .into_any();
    let part_person = view! {
            <fieldset class="step" hidden=step_hidden(Step::Person)>
                <legend>{format!("4. {}", Step::Person.title())}</legend>
                {text(Field::PhoneFullName, "text", "The agent's name; also the caller ID name.")}
                {text(Field::OutboundCid, "text", "Digits: the caller ID number for calls from this phone.")}
                {select(Field::LocalGmt, gmt_options, "The phone's time zone offset from GMT.")}
                {text(Field::Email, "email", "Optional: voicemail is sent here.")}
                {text(Field::AdminUserGroup, "text", "Optional: the admin user group that may see this phone.")}
            </fieldset>
    }
    .into_any();
    let part_options = view! {
            <fieldset class="step" hidden=step_hidden(Step::Options)>
                <legend>{format!("5. {}", Step::Options.title())}</legend>
                {text(Field::PhoneContext, "text", "The dialplan context the phone's calls start in (default).")}
                <div hidden=move || hydrated.get() && device.get() != Some(Device::Webphone)>
                    {select(Field::WebphoneAutoAnswer, yes_no(true), "Webphone only: answer calls automatically.")}
                </div>
                {select(Field::UseExternalServerIp, yes_no(false), "Register to the server's external IP.")}
                {select(Field::OnHookAgent, yes_no(false), "The agent's phone rings for each call instead of staying connected.")}
                {select(Field::TemplateId, template_options, "A conf template for the peer stanza.")}
                {text(Field::PhoneRingTimeout, "number", "Seconds the phone rings before voicemail (default 60).")}
                {select(Field::Status, status_options, "")}
                {select(Field::Active, yes_no(true), "Inactive phones get no Asterisk peer.")}
                {text(Field::OutboundAltCid, "text", "Optional alternate caller ID.")}
                {select(Field::DeleteVmAfterEmail, yes_no(false), "")}
            </fieldset>
    }
    .into_any();
    let part_review = view! {
            <section class="step review" hidden=move || !hydrated.get() || step.get() != Step::Review aria-labelledby="review-h">
                <h2 id="review-h">{format!("6. {}", Step::Review.title())}</h2>
                <dl class="review-list">
                    {move || {
                        let i = input.get();
                        Field::ALL
                            .into_iter()
                            .filter(|f| asks(Device::of(&i), *f) && !matches!(f, Field::IsWebphone | Field::PhoneType))
                            .map(|f| {
                                let value = if f.is_secret() {
                                    if i.get(f).is_empty() { "(unchanged)".to_string() } else { "••••••••".to_string() }
                                } else if f == Field::Protocol {
                                    Device::of(&i).map(|d| d.label().to_string()).unwrap_or_default()
                                } else {
                                    review_text(f, i.get(f))
                                };
                                view! {
                                    <div>
                                        <dt>{f.label()}</dt>
                                        <dd>{value}</dd>
                                    </div>
                                }
                            })
                            .collect_view()
                    }}
                </dl>
                <h3>"Asterisk configuration this phone will produce"</h3>
                <p aria-busy="true" hidden=move || !preview.pending().get()>"Building the preview…"</p>
                <pre class="conf" data-testid="conf-preview">
                    {move || match preview.value().get() {
                        Some(Ok(text)) => text,
                        Some(Err(e)) => format!("; preview unavailable: {e}"),
                        None => String::new(),
                    }}
                </pre>
            </section>
    }
    .into_any();
    let part_actions = view! {
            <div class="form-actions">
                {move || {
                    if !hydrated.get() {
                        view! { <button type="submit" class="primary">{create_label}</button> }.into_any()
                    } else {
                        let s = step.get();
                        let submit_label = move || match (editing, s == Step::Review, pending.get()) {
                            (_, _, true) => busy_label,
                            (true, _, false) | (false, true, false) => create_label,
                            (false, false, false) => "Next",
                        };
                        view! {
                            <button
                                type="button"
                                class="secondary"
                                disabled=s == Step::Device
                                on:click=move |_| step.update(|s| *s = s.previous())
                            >
                                "Back"
                            </button>
                            {(editing && s != Step::Review)
                                .then(|| {
                                    view! {
                                        <button type="button" class="secondary" on:click=move |_| go_next()>
                                            "Next"
                                        </button>
                                    }
                                })}
                            <button
                                type="submit"
                                class="primary"
                                disabled=move || pending.get()
                                aria-busy=move || pending.get().then_some("true")
                            >
                                {submit_label}
                            </button>
                        }
                            .into_any()
                    }
                }}
                <a href="/phones" class="cancel">"Cancel"</a>
            </div>
    }
    .into_any();

    view! {
        <h1>{title}</h1>
        {move || notice.get().map(|m| view! { <p role="alert" class="error notice">{m}</p> })}
        <ol class="steps" aria-label="Steps" hidden=move || !hydrated.get()>
            {Step::ALL
                .into_iter()
                .map(|s| {
                    view! {
                        <li aria-current=move || (step.get() == s).then_some("step")>
                            {format!("{}. {}", s.number(), s.short_title())}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        <form class="wizard" method="post" action=action_url on:submit=on_submit novalidate>
            {part_device}
            {part_identity}
            {part_server}
            {part_person}
            {part_options}
            {part_review}
            {part_actions}
        </form>
    }
}
