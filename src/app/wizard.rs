//! The phone form: the add-phone wizard (`/phones/new`, also "copy" with `?copy=<server_ip>/<extension>`)
//! and the edit form (`/phones/:server_ip/:extension/edit`), one component in three modes.
//!
//! A new phone is six steps with JavaScript: the server draws the step the user is on and styles under
//! `html.js` hide the others, so hydration changes nothing visible; passed steps can be clicked; after
//! a step change the focus goes to the step's heading and the change is announced. An edit and a copy
//! are one page: the same groups as sections with jump links and a save bar. Every field is checked as
//! the user types by `domain::wizard` (the same functions the server runs), weak passwords get a meter
//! and a box to accept them anyway, the review previews the Asterisk configuration (secrets masked until
//! revealed), and "Create"/"Save" call a server function whose refusals come back to their field (the
//! first one focused). Without JavaScript the same markup is one form that posts to the page's own URL
//! (`web_forms`), which saves or renders the form again with a summary and the errors next to their
//! fields. Owns no rules and no SQL.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::app::{AppError, PageTitle};
use crate::domain::phone_entry::{Field, FieldError, PhoneEntryInput, Rule};
use crate::domain::phone_list::phone_href;
use crate::domain::wizard::{asks, check_form, password_strength, Device, Step, Strength};
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
    /// The passwords the user accepted as weak (a refused post keeps the boxes ticked).
    pub accept_weak: Vec<Field>,
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
    /// The passwords accepted as weak.
    pub accept_weak: Vec<Field>,
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
            phone_ring_timeout: crate::domain::wizard::DEFAULT_RING_TIMEOUT.into(),
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
    let (mut errors, mut message, mut accept_weak) = (Vec::new(), None, Vec::new());
    if let Some(posted) = use_context::<PostedForm>() {
        input = posted.input;
        errors = posted.errors;
        message = posted.message;
        accept_weak = posted.accept_weak;
    }
    Ok(FormSetup {
        mode,
        input,
        servers,
        templates,
        errors,
        message,
        allowed: viewer.can_manage_phones(),
        missing,
        accept_weak,
    })
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

/// Saves the form (a new phone, a copy, or an edit), after the viewer's permission and every rule;
/// `accept_weak` names the passwords the user accepted as weak.
#[server(prefix = "/serverfn", endpoint = "save_phone_form", input = server_fn::codec::Json)]
pub async fn save_phone_form(
    mode: FormMode,
    input: PhoneEntryInput,
    #[server(default)] accept_weak: Vec<Field>,
) -> Result<SaveOutcome, AppError> {
    use super::ssr;
    let viewer = ssr::require_phone_manager()?;
    let state = ssr::state()?;
    Ok(save(&state, &viewer, &ssr::actor(&viewer), &mode, input, &accept_weak).await)
}

/// The one save path of the server function and the no-JavaScript post.
#[cfg(feature = "ssr")]
pub(crate) async fn save(
    state: &crate::state::AppState,
    viewer: &crate::domain::access::Viewer,
    actor: &crate::service::Actor,
    mode: &FormMode,
    input: PhoneEntryInput,
    accept_weak: &[Field],
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
    match save_phone(&state.db, actor, editing.as_ref(), input, accept_weak).await {
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

/// The passwords a posted form accepts as weak (its ticked `accept_weak` boxes).
#[cfg(feature = "ssr")]
pub fn accepted_weak(pairs: &[(String, String)]) -> Vec<Field> {
    pairs
        .iter()
        .filter(|(name, _)| name == "accept_weak")
        .filter_map(|(_, value)| {
            [Field::PhonePass, Field::RegistrationPassword].into_iter().find(|f| f.param() == value)
        })
        .collect()
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
                                <PageTitle text=title.clone() />
                                <Breadcrumb mode=s.mode.clone() />
                                <h1 class="pf-title">{title}</h1>
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

/// The way back: Phones › the phone › Edit (or Copy), or Phones › Add.
#[component]
fn Breadcrumb(mode: FormMode) -> impl IntoView {
    let (phone, here) = match &mode {
        FormMode::Edit(ip, ext) => (Some((ip.clone(), ext.clone())), "Edit"),
        FormMode::New { copy: Some((ip, ext)) } => (Some((ip.clone(), ext.clone())), "Copy"),
        FormMode::New { copy: None } => (None, "Add a phone"),
    };
    view! {
        <nav aria-label="Breadcrumb" class="pf-breadcrumb">
            <ol>
                <li>
                    <a href="/phones">"Phones"</a>
                </li>
                {phone
                    .map(|(ip, ext)| {
                        view! {
                            <li>
                                <a href=phone_href(&ip, &ext)>{format!("{ext} on {ip}")}</a>
                            </li>
                        }
                    })}
                <li aria-current="page">{here}</li>
            </ol>
        </nav>
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

/// The element a refusal of `field` points to: the field, or for the protocol the checked device (the
/// first one when none is).
fn target_id(field: Field, device: Option<Device>) -> String {
    if field == Field::Protocol {
        format!("device-{}", device.unwrap_or(Device::ALL[0]).key())
    } else {
        field_id(field)
    }
}

/// A section's (or step's) element id and its heading's.
fn section_id(step: Step) -> String {
    format!("sec-{}", step.short_title().to_ascii_lowercase().split(' ').next().unwrap_or("step"))
}

/// The form's heading: the phone edited or copied by name and server.
fn form_title(mode: &FormMode) -> String {
    match mode {
        FormMode::New { copy: None } => "Add a phone".into(),
        FormMode::New { copy: Some((ip, ext)) } => format!("Copy {ext} on {ip}"),
        FormMode::Edit(ip, ext) => format!("Edit {ext} on {ip}"),
    }
}

/// The conf preview with every secret (`secret=`, `password=`) replaced by bullets, until revealed.
fn mask_secrets(conf: &str) -> String {
    conf.lines()
        .map(|line| {
            let t = line.trim_start();
            match ["secret=", "password="].into_iter().find(|k| t.starts_with(k)) {
                Some(key) => format!("{}{key}••••••••", &line[..line.len() - t.len()]),
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Moves the focus to the element `id` (after the next paint, so a step just shown is there).
fn focus_later(id: String) {
    request_animation_frame(move || {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) = document().get_element_by_id(&id) {
            let _ = el.unchecked_into::<leptos::web_sys::HtmlElement>().focus();
        }
    });
}

/// Copies `text` to the clipboard (Clipboard API); whether the browser took it.
fn copy_to_clipboard(text: &str) -> bool {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::js_sys::{Function, Reflect};
    let clipboard = Reflect::get(&window(), &JsValue::from_str("navigator"))
        .and_then(|n| Reflect::get(&n, &JsValue::from_str("clipboard")));
    let Ok(clipboard) = clipboard else { return false };
    match Reflect::get(&clipboard, &JsValue::from_str("writeText")).map(JsCast::dyn_into::<Function>) {
        Ok(Ok(write)) => write.call1(&clipboard, &JsValue::from_str(text)).is_ok(),
        _ => false,
    }
}

/// The phone form: an island (hydrated on its own; the rest of the page is plain server HTML). A new
/// phone walks the steps (the server draws the step the user is on, so hydration changes nothing
/// visible); an edit or a copy is one page of sections with jump links and a save bar.
#[island]
fn PhoneForm(setup: FormSetup) -> impl IntoView {
    let FormSetup { mode, input: start, servers, templates, errors: posted_errors, message, accept_weak, .. } = setup;
    let editing = matches!(mode, FormMode::Edit(..));
    // A new phone walks the steps; an edit and a copy are one page.
    let stepped = matches!(mode, FormMode::New { copy: None });
    let copying = matches!(mode, FormMode::New { copy: Some(_) });
    let (create_label, busy_label) =
        if editing { ("Save changes", "Saving…") } else { ("Create phone", "Creating…") };
    let action_url = match &mode {
        FormMode::Edit(ip, ext) => format!("{}/edit", phone_href(ip, ext)),
        FormMode::New { .. } => "/phones/new".to_string(),
    };
    // The first refused field gets the focus when the page loads (a refused post without JavaScript);
    // a copy starts in the extension.
    let first_posted = posted_errors.first().map(|e| e.field);
    let autofocus_field = first_posted.or(copying.then_some(Field::Extension));
    let first_step = first_posted.map(Step::of).unwrap_or(Step::Device);
    let input = RwSignal::new(start);
    let step = RwSignal::new(first_step);
    let furthest = RwSignal::new(first_step);
    let announce = RwSignal::new(String::new());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let accepted = RwSignal::new(accept_weak);
    // Fields the user has edited (or a step the user tried to leave): their errors show.
    let touched = RwSignal::new(HashSet::<Field>::new());
    // Refusals from the server, shown until the field is edited.
    let server_errors = RwSignal::new(posted_errors.clone());
    // The refusal summary at the top: every refused field, linked.
    let summary = RwSignal::new(posted_errors.clone());
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
            let mut errs = check_form(&i, stacks_of(&i.server_ip), &accepted.read());
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
    let error_for = move |field: Field| -> Option<FieldError> {
        if let Some(e) = server_errors.read().iter().find(|e| e.field == field) {
            return Some(e.clone());
        }
        if !hydrated.get() || !touched.read().contains(&field) {
            return None;
        }
        live_errors.read().iter().find(|e| e.field == field).cloned()
    };
    let set_field = move |field: Field, value: String| {
        input.update(|i| i.set(field, value));
        touched.update(|t| {
            t.insert(field);
        });
        server_errors.update(|e| e.retain(|x| x.field != field));
    };
    let device = Memo::new(move |_| Device::of(&input.read()));
    // Refused: the summary lists the fields, the step of the first one shows, and it gets the focus.
    // The element to focus after the next step change instead of the step's heading (a refused field).
    let focus_after_step = StoredValue::new(None::<String>);
    let refuse = move |errors: Vec<FieldError>| {
        if let Some(first) = errors.first() {
            let target = target_id(first.field, device.get_untracked());
            let its_step = Step::of(first.field);
            if stepped && step.get_untracked() != its_step {
                focus_after_step.set_value(Some(target));
                step.set(its_step);
            } else {
                focus_later(target);
            }
        }
        touched.update(|t| t.extend(errors.iter().map(|e| e.field)));
        summary.set(errors);
        notice.set(Some("Not saved: fix the fields marked below.".into()));
    };

    let save_action = Action::new(move |(mode, input, weak): &(FormMode, PhoneEntryInput, Vec<Field>)| {
        save_phone_form(mode.clone(), input.clone(), weak.clone())
    });
    Effect::new(move |_| {
        if let Some(result) = save_action.value().get() {
            match result {
                Ok(SaveOutcome::Saved(href)) => super::go_to(&href),
                Ok(SaveOutcome::Fields(errors)) => {
                    server_errors.set(errors.clone());
                    refuse(errors);
                }
                Ok(SaveOutcome::Message(m)) => notice.set(Some(m)),
                Err(e) => notice.set(Some(format!("Not saved: {e}"))),
            }
        }
    });
    // A step change: its heading gets the focus and the change is announced.
    Effect::watch(
        move || step.get(),
        move |s, before, _| {
            if before.is_some_and(|b| b != s) && stepped {
                announce.set(format!("Step {} of {}: {}", s.number(), Step::ALL.len(), s.title()));
                let target = focus_after_step.try_update_value(Option::take).flatten();
                focus_later(target.unwrap_or_else(|| format!("{}-h", section_id(*s))));
            }
        },
        false,
    );
    let go_to_step = move |s: Step| {
        step.set(s);
        if s.number() > furthest.get_untracked().number() {
            furthest.set(s);
        }
    };
    let stored_mode = StoredValue::new(mode.clone());
    // "Next": the step's fields are checked (their errors show) and the wizard moves on only without
    // errors; else the first bad field gets the focus.
    let go_next = move || {
        let current = step.get_untracked();
        touched.update(|t| t.extend(current.fields().iter().copied()));
        match live_errors.get_untracked().iter().find(|e| Step::of(e.field) == current) {
            Some(first) => focus_later(target_id(first.field, device.get_untracked())),
            None => go_to_step(current.next()),
        }
    };
    // "Create"/"Save": every field is checked first; the first bad field is shown and focused.
    let save_now = move || {
        let errors = live_errors.get_untracked();
        if !errors.is_empty() {
            refuse(errors);
            return;
        }
        notice.set(None);
        summary.set(Vec::new());
        save_action.dispatch((stored_mode.get_value(), input.get_untracked(), accepted.get_untracked()));
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // One page saves from anywhere; a new phone goes step by step to the review.
        if !stepped || step.get_untracked() == Step::Review {
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
                    autofocus=autofocus_field == Some(field)
                    aria-describedby=described
                    aria-invalid=move || if error_for(field).is_some() { "true" } else { "false" }
                    on:input=move |ev| set_field(field, event_target_value(&ev))
                    prop:value=move || input.read().get(field).to_string()
                />
                <p class="hint" id=hint_id>{hint}</p>
                <p class="field-error" id=err_id aria-live="polite">{move || error_for(field).map(error_text)}</p>
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
                    autofocus=autofocus_field == Some(field)
                    aria-describedby=err_id.clone()
                    aria-invalid=move || if error_for(field).is_some() { "true" } else { "false" }
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
                <p class="field-error" id=err_id aria-live="polite">{move || error_for(field).map(error_text)}</p>
            </div>
        }
    };
    // A password's strength meter and, when weak, the box that accepts it anyway.
    let strength = move |field: Field| {
        let id = format!("{}-strength", field_id(field));
        let judged = move || {
            let i = input.read();
            let value = i.get(field);
            (!value.is_empty()).then(|| password_strength(value))
        };
        let weak = move || matches!(judged(), Some((Strength::Weak, _)));
        let accept_id = format!("{}-accept-weak", field_id(field));
        let for_id = accept_id.clone();
        let checked = accepted.read_untracked().contains(&field);
        view! {
            <div class="pf-strength" hidden=move || judged().is_none()>
                <meter
                    min="0"
                    max="3"
                    low="1.5"
                    high="2.5"
                    optimum="3"
                    value=move || judged().map(|(s, _)| s.level()).unwrap_or(0).to_string()
                    aria-label=format!("{} strength", field.label())
                ></meter>
                <span id=id class=move || format!("pf-strength-word pf-{}", judged().map(|(s, _)| s.word()).unwrap_or("none"))>
                    {move || match judged() {
                        Some((s, Some(why))) => format!("Strength: {} ({why})", s.word()),
                        Some((s, None)) => format!("Strength: {}", s.word()),
                        None => String::new(),
                    }}
                </span>
            </div>
            <div class="pf-accept-weak" hidden=move || !weak()>
                <input
                    type="checkbox"
                    id=accept_id
                    name="accept_weak"
                    value=field.param()
                    checked=checked
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        accepted.update(|a| {
                            a.retain(|f| *f != field);
                            if on {
                                a.push(field);
                            }
                        });
                        server_errors.update(|e| e.retain(|x| x.field != field));
                    }
                />
                <label for=for_id>"Use this weak password anyway"</label>
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
    let secret_hint: &'static str =
        if editing { "Leave blank to keep the current password." } else { "Letters, digits, _ and -." };
    let regenerate = Action::new(|_: &()| new_registration_password());
    Effect::new(move |_| {
        if let Some(Ok(p)) = regenerate.value().get() {
            set_field(Field::RegistrationPassword, p);
        }
    });
    let copied = RwSignal::new(String::new());
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
        if stepped && step.get() == Step::Review {
            preview.dispatch(input.get());
        }
    });
    let revealed = RwSignal::new(false);
    let pending = save_action.pending();
    // A section's heading: numbered in the steps, plain on one page; the focus lands on it after a step
    // change.
    let legend = move |s: Step| {
        let text = if stepped { format!("{}. {}", s.number(), s.title()) } else { s.short_title().to_string() };
        view! {
            <legend>
                <h2 id=format!("{}-h", section_id(s)) tabindex="-1">{text}</h2>
            </legend>
        }
    };
    let step_class = move |s: Step| move || if step.get() == s { "step current" } else { "step" };

    let part_device = view! {
            <fieldset class=step_class(Step::Device) id=section_id(Step::Device)>
                {legend(Step::Device)}
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
                <p class="field-error" aria-live="polite">{move || error_for(Field::Protocol).map(error_text)}</p>
            </fieldset>
    }
    .into_any();
    let part_identity = view! {
            <fieldset class=step_class(Step::Identity) id=section_id(Step::Identity)>
                {legend(Step::Identity)}
                {text(Field::Extension, "text", "")}
                <p class="hint rule" data-testid="extension-rule">{extension_hint}</p>
                {text(Field::DialplanNumber, "text", "Digits: the number the dialer dials to ring this phone.")}
                {text(Field::VoicemailId, "text", "Digits: the voicemail box.")}
            </fieldset>
    }
    .into_any();
    let part_server = view! {
            <fieldset class=step_class(Step::Server) id=section_id(Step::Server)>
                {legend(Step::Server)}
                {select(Field::ServerIp, server_options, "The Asterisk server the phone belongs to.")}
                {text(Field::PhoneLogin, "text", "What the agent types as phone login: letters, digits, _ and -.")}
                {text(Field::PhonePass, "password", secret_hint)}
                {strength(Field::PhonePass)}
                <div class="pf-secret" hidden=move || !asks(device.get(), Field::RegistrationPassword)>
                    <div class="with-button">
                        {text(
                            Field::RegistrationPassword,
                            "text",
                            if editing {
                                "Leave blank to keep the current password."
                            } else {
                                "Generated for you (no look-alike characters); the device uses it to register."
                            },
                        )}
                        <span class="pf-js-only pf-secret-buttons">
                            <button
                                type="button"
                                class="secondary"
                                on:click=move |_| {
                                    regenerate.dispatch(());
                                    copied.set(String::new());
                                }
                            >
                                "Generate another"
                            </button>
                            <button
                                type="button"
                                class="secondary"
                                aria-describedby="pf-copied"
                                on:click=move |_| {
                                    let value = input.read_untracked().registration_password.clone();
                                    copied.set(if value.is_empty() {
                                        "Nothing to copy: the password is blank.".into()
                                    } else if copy_to_clipboard(&value) {
                                        "Copied to the clipboard.".into()
                                    } else {
                                        "This browser did not allow copying: select the password and copy it.".into()
                                    });
                                }
                            >
                                "Copy"
                            </button>
                        </span>
                    </div>
                    <p class="hint" id="pf-copied" aria-live="polite">{move || copied.get()}</p>
                    {strength(Field::RegistrationPassword)}
                </div>
            </fieldset>
    }
    .into_any();
    let part_person = view! {
            <fieldset class=step_class(Step::Person) id=section_id(Step::Person)>
                {legend(Step::Person)}
                {text(Field::PhoneFullName, "text", "The agent's name; also the caller ID name.")}
                {text(Field::OutboundCid, "text", "Digits: the caller ID number for calls from this phone.")}
                {select(Field::LocalGmt, gmt_options, "The phone's time zone offset from GMT.")}
                {text(Field::Email, "email", "Optional: voicemail is sent here.")}
                {text(Field::AdminUserGroup, "text", "Optional: the admin user group that may see this phone.")}
            </fieldset>
    }
    .into_any();
    let part_options = view! {
            <fieldset class=step_class(Step::Options) id=section_id(Step::Options)>
                {legend(Step::Options)}
                {text(Field::PhoneContext, "text", "The dialplan context the phone's calls start in (default).")}
                <div hidden=move || device.get() != Some(Device::Webphone)>
                    {select(Field::WebphoneAutoAnswer, yes_no(true), "Webphone only: answer calls automatically.")}
                </div>
                {select(Field::UseExternalServerIp, yes_no(false), "Register to the server's external IP.")}
                {select(Field::OnHookAgent, yes_no(false), "The agent's phone rings for each call instead of staying connected.")}
                {select(Field::TemplateId, template_options, "A conf template for the peer stanza.")}
                {text(
                    Field::PhoneRingTimeout,
                    "number",
                    "Seconds the phone rings before voicemail (60; 20 for a home or mobile number, whose own voicemail answers after about 20 s).",
                )}
                {select(Field::Status, status_options, "")}
                {select(Field::Active, yes_no(true), "Inactive phones get no Asterisk peer.")}
                {text(Field::OutboundAltCid, "text", "Optional alternate caller ID.")}
                {select(Field::DeleteVmAfterEmail, yes_no(false), "")}
            </fieldset>
    }
    .into_any();
    let part_review = stepped.then(|| {
        view! {
            <section class=move || if step.get() == Step::Review { "step review current" } else { "step review" } aria-labelledby="sec-review-h">
                <h2 id="sec-review-h" tabindex="-1">{format!("6. {}", Step::Review.title())}</h2>
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
                <div class="pf-conf-head">
                    <h3>"Asterisk configuration this phone will produce"</h3>
                    <button
                        type="button"
                        class="secondary"
                        aria-pressed=move || if revealed.get() { "true" } else { "false" }
                        on:click=move |_| revealed.update(|r| *r = !*r)
                    >
                        "Show passwords"
                    </button>
                </div>
                <p aria-busy="true" hidden=move || !preview.pending().get()>"Building the preview…"</p>
                <pre class="conf" data-testid="conf-preview">
                    {move || match preview.value().get() {
                        Some(Ok(text)) if revealed.get() => text,
                        Some(Ok(text)) => mask_secrets(&text),
                        Some(Err(e)) => format!("; preview unavailable: {e}"),
                        None => String::new(),
                    }}
                </pre>
            </section>
        }
    });
    let submit_label = move || match (stepped, step.get() == Step::Review, pending.get()) {
        (_, _, true) => busy_label,
        (true, false, false) => "Next",
        _ => create_label,
    };
    let part_actions = view! {
            <div class=if stepped { "form-actions" } else { "form-actions pf-save-bar" }>
                {stepped
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="secondary pf-js-only"
                                disabled=move || step.get() == Step::Device
                                on:click=move |_| step.update(|s| *s = s.previous())
                            >
                                "Back"
                            </button>
                        }
                    })}
                <button
                    type="submit"
                    class="primary"
                    disabled=move || pending.get()
                    aria-busy=move || pending.get().then_some("true")
                >
                    {if stepped {
                        view! {
                            <span class="pf-nojs-only">{create_label}</span>
                            <span class="pf-js-only">{submit_label}</span>
                        }
                            .into_any()
                    } else {
                        view! { <span>{submit_label}</span> }.into_any()
                    }}
                </button>
                <a href="/phones" class="cancel">"Cancel"</a>
            </div>
    }
    .into_any();
    let step_list = stepped.then(|| {
        view! {
            <ol class="steps pf-js-only" aria-label="Steps">
                {Step::ALL
                    .into_iter()
                    .map(|s| {
                        let label = format!("{}. {}", s.number(), s.short_title());
                        view! {
                            <li aria-current=move || (step.get() == s).then_some("step")>
                                {move || {
                                    let reachable = s.number() <= furthest.get().number() && step.get() != s;
                                    if reachable {
                                        let label = label.clone();
                                        view! {
                                            <button type="button" class="pf-step-link" on:click=move |_| step.set(s)>
                                                {label}
                                            </button>
                                        }
                                            .into_any()
                                    } else {
                                        view! { <span>{label.clone()}</span> }.into_any()
                                    }
                                }}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            <p class="visually-hidden" aria-live="polite" data-testid="step-announcer">{move || announce.get()}</p>
        }
    });
    let section_nav = (!stepped).then(|| {
        view! {
            <nav class="pf-sections" aria-label="Sections">
                <ul>
                    {Step::ALL
                        .into_iter()
                        .filter(|s| *s != Step::Review)
                        .map(|s| {
                            view! {
                                <li>
                                    <a href=format!("#{}", section_id(s))>{s.short_title()}</a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        }
    });

    view! {
        {move || {
            notice
                .get()
                .map(|m| {
                    let d = device.get_untracked();
                    view! {
                        <div role="alert" class="error notice form-alert">
                            <p>{m}</p>
                            <ul hidden=summary.read().is_empty()>
                                {summary
                                    .get()
                                    .into_iter()
                                    .map(|e| {
                                        view! {
                                            <li>
                                                <a href=format!("#{}", target_id(e.field, d))>{e.field.label()}</a>
                                                {rule_text(e)}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </div>
                    }
                })
        }}
        {step_list}
        {section_nav}
        <form
            class=if stepped { "wizard stepped" } else { "wizard single" }
            method="post"
            action=action_url
            on:submit=on_submit
            data-hydrated=move || hydrated.get().then_some("true")
            novalidate
        >
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

/// A refusal as a field shows it: the label and the rule, the phone that holds a login as a link to it.
fn error_text(e: FieldError) -> AnyView {
    let label = e.field.label();
    view! {
        {label}
        {rule_text(e)}
    }
    .into_any()
}

/// The rule part of a refusal (after the label), the phone that holds a login as a link.
fn rule_text(e: FieldError) -> AnyView {
    match e.rule {
        Rule::TakenByPhone { extension, server_ip } => {
            let href = phone_href(&server_ip, &extension);
            view! {
                " is already used by "
                <a href=href>{format!("phone {extension} on {server_ip}")}</a>
            }
            .into_any()
        }
        rule => format!(" {rule}").into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_hides_secrets_until_revealed() {
        let conf = "; sip.conf\n[cc101]\ntype=friend\nsecret=Zx9strong\n  password=abc\ncontext=default";
        let masked = mask_secrets(conf);
        assert!(!masked.contains("Zx9strong") && !masked.contains("abc"), "{masked}");
        assert!(masked.contains("\nsecret=••••••••\n") && masked.contains("  password=••••••••"), "{masked}");
        assert!(masked.contains("[cc101]") && masked.ends_with("context=default"));
    }

    #[test]
    fn titles_name_the_phone_and_sections_have_ids() {
        assert_eq!(form_title(&FormMode::Edit("10.90.0.1".into(), "demodesk7".into())), "Edit demodesk7 on 10.90.0.1");
        assert_eq!(form_title(&FormMode::New { copy: None }), "Add a phone");
        assert_eq!(section_id(Step::Server), "sec-server");
        assert_eq!(section_id(Step::Device), "sec-device");
        assert_eq!(target_id(Field::Protocol, None), "device-sip");
        assert_eq!(target_id(Field::PhoneLogin, None), "pf-phone_login");
    }
}
