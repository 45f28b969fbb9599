//! The servers pages and their server functions: the list (`/servers`), the add form
//! (`/servers/new`) and a server's page (`/servers/:server_ip`: its settings and edit form, the state of
//! its Asterisk conf generation, and its generated files for download).
//!
//! The forms are plain forms over server functions (`ActionForm` rendered on the server; no code of
//! theirs is in the browser bundle): the browser posts a form to its server function, which answers
//! with a redirect: on success to the server's page (`?added=1` / `?saved=1`), on a refusal back to
//! the form with the error in the URL (`__err`, Leptos' form-redirect), from which the page's
//! `ServerAction` renders the messages next to their fields and the values that were sent. With
//! JavaScript the submit button shows that the form is being sent ([`BusyButton`]). The AMI secret is
//! never sent back, shown or put in a URL.
//!
//! Rules and storage are the service's (`service::admin`, the same rules as `dialtone server add`);
//! the generated files are served by a plain GET route (`conf_download`, server only).

#[cfg(feature = "ssr")]
mod conf_download;

#[cfg(feature = "ssr")]
pub use conf_download::router as conf_download_router;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use super::busy_button::BusyButton;
use super::form_kit::{
    problems_of, refusal_of, CheckField, FormNames, FormOutcome, FormRefusal, Refusal, SelectField, SubmitButton,
    TextField,
};
use super::phone_page::details::NOT_SET;
use crate::app::{AppError, PageTitle};
use crate::domain::asterisk_conf::ConfFile;
use crate::domain::{SipStacks, GMT_OFFSETS};

/// The server form's values as typed: every value a string, a ticked checkbox `Some` (its value `Y`),
/// an unticked one absent. Field names are the names the service uses in its refusals.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerForm {
    /// `server_ip` (the key: read-only when editing).
    pub server_ip: String,
    /// `server_id`
    pub server_id: String,
    /// `server_description`
    pub server_description: String,
    /// `active`
    pub active: Option<String>,
    /// `asterisk_version`
    pub asterisk_version: String,
    /// `active_asterisk_server`
    pub active_asterisk_server: Option<String>,
    /// `generate_vicidial_conf`
    pub generate_vicidial_conf: Option<String>,
    /// `active_agent_login_server`
    pub active_agent_login_server: Option<String>,
    /// `ext_context`
    pub ext_context: String,
    /// `external_server_ip`
    pub external_server_ip: String,
    /// `web_socket_url`
    pub web_socket_url: String,
    /// `allowed_sip_stacks`
    pub allowed_sip_stacks: String,
    /// `local_gmt`; empty keeps the stored value (the column default for a new server).
    pub local_gmt: String,
    /// AMI host (`telnet_host`); empty: no AMI.
    pub ami_host: String,
    /// AMI port (`telnet_port`).
    pub ami_port: String,
    /// AMI user (`ASTmgrUSERNAME`).
    pub ami_user: String,
    /// AMI secret (`ASTmgrSECRET`, secret); empty when editing keeps the stored one. Never sent to the
    /// browser: cleared in everything the server returns.
    pub ami_secret: String,
}

impl std::fmt::Debug for ServerForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerForm")
            .field("server_ip", &self.server_ip)
            .field("server_id", &self.server_id)
            .field("ami_host", &self.ami_host)
            .field("ami_secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl ServerForm {
    /// The add form's starting values: VICIdial's defaults, and `asterisk_version` (the CLI's default,
    /// which the server knows).
    pub fn new_server(asterisk_version: &str) -> ServerForm {
        let yes = || Some("Y".to_string());
        ServerForm {
            active: yes(),
            asterisk_version: asterisk_version.into(),
            active_asterisk_server: yes(),
            generate_vicidial_conf: yes(),
            active_agent_login_server: yes(),
            ext_context: "default".into(),
            allowed_sip_stacks: SipStacks::default().as_str().into(),
            local_gmt: "-5.00".into(),
            ami_port: "5038".into(),
            ami_user: "cron".into(),
            ..ServerForm::default()
        }
    }

    /// The same values without the AMI secret (what may go back to the browser).
    pub fn without_secret(&self) -> ServerForm {
        ServerForm { ami_secret: String::new(), ..self.clone() }
    }
}

pub use super::form_kit::FieldProblem;

/// Why adding or changing a server was refused. Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ServerFormError {
    /// Values broke rules; `input` is what was sent, without the AMI secret, so the form can show it
    /// again (also without JavaScript, where the error comes back in the URL).
    #[error("{}", .problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// Each refused value.
        problems: Vec<FieldProblem>,
        /// The values sent.
        input: Box<ServerForm>,
    },
    /// Refused as a whole (not allowed, not confirmed, no such server, a malformed call, the database
    /// failed): the message and the HTTP status it is answered with.
    #[error("{0}")]
    Refused(AppError),
}

impl FormRefusal for ServerFormError {
    fn refusal(&self) -> Refusal {
        match self {
            ServerFormError::Invalid { problems, .. } => Refusal::Fields(problems.clone()),
            other => Refusal::Other(other.to_string()),
        }
    }
}

/// How the server form names its fields (ids `server-…`).
const NAMES: FormNames = FormNames { id_prefix: "server", noun: "server", label_of };

impl FromServerFnError for ServerFormError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ServerFormError::Refused(AppError::from_server_fn_error(value))
    }

    fn ser(&self) -> leptos::server_fn::Bytes {
        let status = match self {
            ServerFormError::Invalid { .. } => 422,
            ServerFormError::Refused(e) => e.status(),
        };
        super::error::encode_with_status(self, status)
    }
}

/// One server in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerListItem {
    /// `server_id`
    pub server_id: String,
    /// `server_ip`
    pub server_ip: String,
    /// `server_description`
    pub description: String,
    /// `active` is `Y`.
    pub active: bool,
    /// `asterisk_version`
    pub asterisk_version: String,
    /// `allowed_sip_stacks`
    pub allowed_sip_stacks: String,
    /// The conf generation state in one line.
    pub conf: String,
    /// The AMI link (registration monitor) in one line, e.g. `connected since …`.
    pub ami: String,
    /// Its state: `connected`, `connecting`, `down` or `not-configured`.
    pub ami_state: String,
    /// How many phones belong to it.
    pub phone_count: u64,
}

/// What the list page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerListView {
    /// Every server, by IP.
    pub servers: Vec<ServerListItem>,
    /// The viewer may add servers.
    pub can_manage: bool,
}

/// A server's conf generation state as its page shows it (times as `YYYY-MM-DD HH:MM:SS UTC`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfStateView {
    /// The state in one line.
    pub summary: String,
    /// Files are generated for this server.
    pub generates: bool,
    /// A rebuild is waiting.
    pub rebuild_pending: bool,
    /// When the files were last generated.
    pub generated_at: Option<String>,
    /// When Asterisk last confirmed a reload.
    pub applied_at: Option<String>,
    /// The last reload (or write) error, empty after a success.
    pub apply_error: String,
    /// The server has AMI settings (Dialtone reloads Asterisk itself).
    pub ami_configured: bool,
    /// Files waiting for a confirmed reload.
    pub reload_pending: Vec<String>,
    /// Phones the generator refused at the last generation, one line each.
    pub refused: Vec<String>,
}

/// What a server's page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerPage {
    /// The stored settings as form values (the AMI secret empty).
    pub form: ServerForm,
    /// An AMI secret is stored.
    pub ami_secret_set: bool,
    /// The conf generation state.
    pub conf: ConfStateView,
    /// The viewer may change the server (`modify_servers`).
    pub can_manage: bool,
    /// The viewer may download the generated files (`ast_admin_access`: they hold phone passwords).
    pub can_download: bool,
    /// The AMI link (registration monitor) in one line.
    pub ami: String,
    /// Its state: `connected`, `connecting`, `down` or `not-configured`.
    pub ami_state: String,
    /// How many phones belong to the server.
    pub phone_count: u64,
}

/// The outcome of "Test AMI connection", as the page's address carries it (`?ami_test=<code>`) after
/// the test's redirect, so it shows the same with and without JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmiTestResult {
    /// Connected and logged in.
    LoggedIn,
    /// No AMI settings to test.
    NotConfigured,
    /// Connection refused.
    Refused,
    /// Host unreachable or unknown.
    Unreachable,
    /// No answer in time.
    Timeout,
    /// Login refused.
    AuthFailed,
    /// Not an Asterisk manager.
    NotAmi,
    /// User or secret not sendable.
    BadSettings,
}

impl AmiTestResult {
    /// Every outcome.
    pub const ALL: [AmiTestResult; 8] = [
        AmiTestResult::LoggedIn,
        AmiTestResult::NotConfigured,
        AmiTestResult::Refused,
        AmiTestResult::Unreachable,
        AmiTestResult::Timeout,
        AmiTestResult::AuthFailed,
        AmiTestResult::NotAmi,
        AmiTestResult::BadSettings,
    ];

    /// The value of `ami_test` in the page's address.
    pub fn code(self) -> &'static str {
        match self {
            AmiTestResult::LoggedIn => "ok",
            AmiTestResult::NotConfigured => "not-configured",
            AmiTestResult::Refused => "refused",
            AmiTestResult::Unreachable => "unreachable",
            AmiTestResult::Timeout => "timeout",
            AmiTestResult::AuthFailed => "auth-failed",
            AmiTestResult::NotAmi => "not-ami",
            AmiTestResult::BadSettings => "bad-settings",
        }
    }

    /// The outcome named by `code`, if any.
    pub fn parse(code: &str) -> Option<AmiTestResult> {
        AmiTestResult::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether the test succeeded.
    pub fn ok(self) -> bool {
        self == AmiTestResult::LoggedIn
    }

    /// What it means, for the server reached at `address` (`host:port`) as `user`.
    pub fn message(self, address: &str, user: &str) -> String {
        match self {
            AmiTestResult::LoggedIn => {
                format!("Connected: {address} answered as an Asterisk manager and accepted the login as {user}.")
            }
            AmiTestResult::NotConfigured => {
                "Not tested: this server has no AMI settings (AMI host and user).".to_string()
            }
            AmiTestResult::Refused => format!(
                "Failed: connection refused by {address}. Nothing listens there: check that Asterisk runs, that \
                 manager.conf has enabled = yes and this port, and that no firewall rejects it."
            ),
            AmiTestResult::Unreachable => {
                format!("Failed: {address} could not be reached (no route to the host, or its name does not resolve).")
            }
            AmiTestResult::Timeout => format!(
                "Failed: timeout. {address} did not answer in time (a firewall dropping the packets, or a busy host)."
            ),
            AmiTestResult::AuthFailed => format!(
                "Failed: authentication failed. {address} refused the login as {user}: check the AMI user and \
                 secret, and that manager.conf permits this address (permit/deny)."
            ),
            AmiTestResult::NotAmi => {
                format!("Failed: something answered at {address}, but not as an Asterisk manager. Check the port.")
            }
            AmiTestResult::BadSettings => {
                "Failed: the stored AMI user or secret holds a line break, so it was not sent. Enter them again."
                    .to_string()
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::service::conf::AmiCheck> for AmiTestResult {
    fn from(check: crate::service::conf::AmiCheck) -> Self {
        use crate::service::conf::AmiCheck;
        match check {
            AmiCheck::NotConfigured => AmiTestResult::NotConfigured,
            AmiCheck::LoggedIn { .. } => AmiTestResult::LoggedIn,
            AmiCheck::Refused => AmiTestResult::Refused,
            AmiCheck::Unreachable => AmiTestResult::Unreachable,
            AmiCheck::Timeout => AmiTestResult::Timeout,
            AmiCheck::AuthFailed => AmiTestResult::AuthFailed,
            AmiCheck::NotAmi => AmiTestResult::NotAmi,
            AmiCheck::BadSettings => AmiTestResult::BadSettings,
        }
    }
}

/// The Asterisk CLI commands that load this server's generated files by hand, in VICIdial's order
/// (dialplan first): `sip reload` and `pjsip reload` only for the SIP stacks the server allows.
pub fn manual_reload_commands(allowed_sip_stacks: &str) -> Vec<String> {
    use crate::domain::Protocol;
    let stacks = SipStacks::from_stored(allowed_sip_stacks);
    ConfFile::ALL
        .into_iter()
        .filter(|f| match f {
            ConfFile::Sip => stacks.allows(Protocol::Sip),
            ConfFile::PjsipWizard => stacks.allows(Protocol::Pjsip),
            ConfFile::Extensions | ConfFile::Iax => true,
        })
        .map(|f| format!("asterisk -rx \"{}\"", f.reload_command()))
        .collect()
}

/// Every server with its conf state, and whether the viewer may add servers.
#[server(prefix = "/serverfn", endpoint = "get_servers")]
pub async fn get_servers() -> Result<ServerListView, AppError> {
    use super::ssr;
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let records = crate::service::admin::list_server_records(&state.db).await.map_err(ssr::db_error)?;
    let views = crate::service::conf::server_conf_views(&state.db).await.map_err(ssr::db_error)?;
    let counts = crate::service::phone_list::phones_per_server(&state.db).await.map_err(ssr::db_error)?;
    let servers = records
        .into_iter()
        .map(|r| {
            let link = state.ami.link(&r.server_ip);
            ServerListItem {
                phone_count: counts.get(&r.server_ip).copied().unwrap_or(0),
                conf: views.iter().find(|v| v.server_ip == r.server_ip).map(|v| v.summary()).unwrap_or_default(),
                ami: ami_line(&link),
                ami_state: link.kind().to_string(),
                active: r.active == "Y",
                server_id: r.server_id,
                server_ip: r.server_ip,
                description: r.server_description,
                asterisk_version: r.asterisk_version,
                allowed_sip_stacks: r.allowed_sip_stacks,
            }
        })
        .collect();
    Ok(ServerListView { servers, can_manage: viewer.can_manage_servers() })
}

/// One server's settings and conf state (`None` when there is no such server).
#[server(prefix = "/serverfn", endpoint = "get_server")]
pub async fn get_server(server_ip: String) -> Result<Option<ServerPage>, AppError> {
    use super::ssr;
    use crate::service::conf::utc_stamp;
    let viewer = ssr::require_viewer()?;
    let state = ssr::state()?;
    let Some(record) = crate::service::admin::find_server(&state.db, &server_ip).await.map_err(ssr::db_error)? else {
        return Ok(None);
    };
    let views = crate::service::conf::server_conf_views(&state.db).await.map_err(ssr::db_error)?;
    let conf = views
        .into_iter()
        .find(|v| v.server_ip == record.server_ip)
        .map(|v| ConfStateView {
            summary: v.summary(),
            generates: v.status.generates,
            rebuild_pending: v.status.rebuild_pending,
            generated_at: v.status.generated_at.map(utc_stamp),
            applied_at: v.status.applied_at.map(utc_stamp),
            apply_error: v.status.apply_error.clone(),
            ami_configured: v.status.ami_configured,
            reload_pending: v.reload_pending.iter().map(|f| f.to_string()).collect(),
            refused: v.refused,
        })
        .unwrap_or_default();
    let link = state.ami.link(&record.server_ip);
    let phones =
        crate::domain::phone_list::PhoneListQuery { server_ip: Some(record.server_ip.clone()), ..Default::default() };
    let phone_count = crate::service::phone_list::count_phones(&state.db, &phones).await.map_err(ssr::db_error)?;
    Ok(Some(ServerPage {
        phone_count,
        ami: ami_line(&link),
        ami_state: link.kind().to_string(),
        form: form_of(&record),
        ami_secret_set: !record.ami_secret.is_empty(),
        conf,
        can_manage: viewer.can_manage_servers(),
        can_download: viewer.can_reveal_secrets(),
    }))
}

/// The add form's starting values, or `None` when the viewer may not add servers (the page then
/// offers no form).
#[server(prefix = "/serverfn", endpoint = "get_new_server_form")]
pub async fn get_new_server_form() -> Result<Option<ServerForm>, AppError> {
    let viewer = super::ssr::require_viewer()?;
    Ok(viewer.can_manage_servers().then(|| ServerForm::new_server(crate::service::admin::DEFAULT_ASTERISK_VERSION)))
}

/// Adds a server (needs `modify_servers`). On success the browser goes to the server's page.
#[server(prefix = "/serverfn", endpoint = "add_server")]
pub async fn add_server(#[server(flatten)] form: ServerForm) -> Result<(), ServerFormError> {
    use super::ssr;
    let viewer = ssr::require_server_manager().map_err(ServerFormError::Refused)?;
    let state = ssr::state().map_err(ServerFormError::Refused)?;
    let form = form.trimmed();
    match crate::service::admin::create_server(&state.db, &ssr::actor(&viewer), &form.settings()).await {
        Ok(()) => {
            leptos_axum::redirect(&format!("{}?added=1", server_href(&form.server_ip)));
            Ok(())
        }
        Err(e) => Err(change_refused(e, &form)),
    }
}

/// Changes a server's settings (needs `modify_servers`); `server_ip` names the server and is not
/// changed, an empty AMI secret keeps the stored one. On success the browser goes back to the
/// server's page (`?saved=1`, plus `rebuild=1` when the change marked the server for a conf rebuild).
#[server(prefix = "/serverfn", endpoint = "update_server")]
pub async fn update_server(#[server(flatten)] form: ServerForm) -> Result<(), ServerFormError> {
    use super::ssr;
    let viewer = ssr::require_server_manager().map_err(ServerFormError::Refused)?;
    let state = ssr::state().map_err(ServerFormError::Refused)?;
    let form = form.trimmed();
    match crate::service::admin::update_server(&state.db, &ssr::actor(&viewer), &form.settings()).await {
        Ok(update) => {
            let outcome = match (update.changed.is_empty(), update.rebuild) {
                (true, _) => "unchanged=1",
                (false, false) => "saved=1",
                (false, true) => "saved=1&rebuild=1",
            };
            leptos_axum::redirect(&format!("{}?{outcome}", server_href(&form.server_ip)));
            Ok(())
        }
        Err(e) => Err(change_refused(e, &form)),
    }
}

/// Tests the server's AMI settings (connect, greeting, login, logoff; needs `modify_servers`, as the
/// stored secret is sent), then sends the browser back to the server's page with the outcome
/// (`?ami_test=<code>`, see [`AmiTestResult`]). Changes nothing; the secret is never in the answer.
#[server(prefix = "/serverfn", endpoint = "test_ami_connection")]
pub async fn test_ami_connection(server_ip: String) -> Result<(), AppError> {
    use super::ssr;
    let viewer = ssr::require_viewer()?;
    if !viewer.can_manage_servers() {
        return Err(AppError::Forbidden("Your user may not test AMI connections (needs modify_servers).".into()));
    }
    let state = ssr::state()?;
    let check = crate::service::conf::check_ami(&state.db, &server_ip, state.conf.ami_timeout)
        .await
        .map_err(ssr::db_error)?
        .ok_or_else(|| AppError::NotFound(format!("there is no server with server_ip {server_ip}")))?;
    let result = AmiTestResult::from(check);
    leptos_axum::redirect(&format!("{}?ami_test={}#ami-test", server_href(&server_ip), result.code()));
    Ok(())
}

/// A server's AMI link in one line (times as `YYYY-MM-DD HH:MM:SS UTC`).
#[cfg(feature = "ssr")]
fn ami_line(link: &crate::domain::registration::AmiLink) -> String {
    link.summary(crate::service::conf::utc_stamp)
}

/// The address of a server's page.
fn server_href(server_ip: &str) -> String {
    format!("/servers/{}", crate::domain::phone_list::encode_component(server_ip))
}

/// The download address of one generated file.
fn conf_file_href(server_ip: &str, file: ConfFile) -> String {
    format!("{}/conf/{}", server_href(server_ip), file.file_name())
}

/// The form values of a stored server (the AMI secret left out).
#[cfg(feature = "ssr")]
fn form_of(r: &crate::storage::servers::ServerRecord) -> ServerForm {
    let flag = |v: &str| (v == "Y").then(|| "Y".to_string());
    ServerForm {
        server_ip: r.server_ip.clone(),
        server_id: r.server_id.clone(),
        server_description: r.server_description.clone(),
        active: flag(&r.active),
        asterisk_version: r.asterisk_version.clone(),
        active_asterisk_server: flag(&r.active_asterisk_server),
        generate_vicidial_conf: flag(&r.generate_vicidial_conf),
        active_agent_login_server: flag(&r.active_agent_login_server),
        ext_context: r.ext_context.clone(),
        external_server_ip: r.external_server_ip.clone(),
        web_socket_url: r.web_socket_url.clone(),
        allowed_sip_stacks: r.allowed_sip_stacks.clone(),
        local_gmt: r.local_gmt.clone(),
        ami_host: r.telnet_host.clone(),
        ami_port: r.telnet_port.to_string(),
        ami_user: r.ami_username.clone(),
        ami_secret: String::new(),
    }
}

#[cfg(feature = "ssr")]
impl ServerForm {
    /// Surrounding spaces removed from every value but the description and the secret.
    fn trimmed(self) -> ServerForm {
        let t = |s: String| s.trim().to_string();
        ServerForm {
            server_ip: t(self.server_ip),
            server_id: t(self.server_id),
            asterisk_version: t(self.asterisk_version),
            ext_context: t(self.ext_context),
            external_server_ip: t(self.external_server_ip),
            web_socket_url: t(self.web_socket_url),
            allowed_sip_stacks: t(self.allowed_sip_stacks),
            local_gmt: t(self.local_gmt),
            ami_host: t(self.ami_host),
            ami_port: t(self.ami_port),
            ami_user: t(self.ami_user),
            ..self
        }
    }

    /// The settings to store. Without an AMI host the server has no AMI (the other AMI values are
    /// ignored); a port that is not a number from 1 to 65535 becomes 0, which the service refuses.
    fn settings(&self) -> crate::storage::servers::ServerSettings<'_> {
        use crate::storage::servers::{AmiSettings, ServerSettings};
        let ami = (!self.ami_host.is_empty()).then(|| AmiSettings {
            host: &self.ami_host,
            port: self.ami_port.parse().unwrap_or(0),
            username: &self.ami_user,
            secret: &self.ami_secret,
        });
        ServerSettings {
            server_id: &self.server_id,
            server_ip: &self.server_ip,
            description: &self.server_description,
            active: self.active.is_some(),
            asterisk_version: &self.asterisk_version,
            local_gmt: (!self.local_gmt.is_empty()).then_some(self.local_gmt.as_str()),
            ext_context: &self.ext_context,
            active_asterisk_server: self.active_asterisk_server.is_some(),
            generate_vicidial_conf: self.generate_vicidial_conf.is_some(),
            active_agent_login_server: self.active_agent_login_server.is_some(),
            external_server_ip: &self.external_server_ip,
            web_socket_url: &self.web_socket_url,
            allowed_sip_stacks: &self.allowed_sip_stacks,
            ami,
        }
    }
}

/// A refused add or edit as the form shows it.
#[cfg(feature = "ssr")]
fn change_refused(e: crate::service::admin::ServerChangeError, form: &ServerForm) -> ServerFormError {
    use crate::service::admin::ServerChangeError;
    match e {
        ServerChangeError::Invalid(problems) => ServerFormError::Invalid {
            problems: problems
                .into_iter()
                .map(|p| FieldProblem { field: p.field.to_string(), message: p.message })
                .collect(),
            input: Box::new(form.without_secret()),
        },
        ServerChangeError::NotFound(ip) => {
            ServerFormError::Refused(AppError::NotFound(format!("there is no server with server_ip {ip}")))
        }
        ServerChangeError::Db(e) => ServerFormError::Refused(super::ssr::db_error(e)),
    }
}

/// The servers list page.
#[component]
pub fn ServersPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_servers());
    view! {
        <PageTitle text="Servers" />
        <Suspense fallback=|| view! { <p aria-busy="true">"Loading servers…"</p> }>
            {move || {
                data.get()
                    .map(|r| match r {
                        Ok(data) => view! { <ServerList data /> }.into_any(),
                        Err(e) => {
                            view! { <p role="alert" class="error">{format!("Could not load the servers: {e}")}</p> }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn ServerList(data: ServerListView) -> impl IntoView {
    let ServerListView { servers, can_manage } = data;
    let add = move || can_manage.then(|| view! { <a class="button primary" href="/servers/new">"Add a server"</a> });
    let body = if servers.is_empty() {
        view! {
            <section class="card servers-empty" aria-labelledby="servers-empty-h">
                <h2 id="servers-empty-h">"No servers yet"</h2>
                <p>"Every phone belongs to an Asterisk server: add the server before its phones."</p>
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
            <div class="table-wrap servers-table-wrap">
                <table class="servers-table">
                    <caption class="visually-hidden">"Servers"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"ID"</th>
                            <th scope="col">"IP"</th>
                            <th scope="col">"Description"</th>
                            <th scope="col">"Phones"</th>
                            <th scope="col">"Active"</th>
                            <th scope="col">"Asterisk"</th>
                            <th scope="col">"SIP stacks"</th>
                            <th scope="col">"Asterisk conf"</th>
                            <th scope="col">"AMI"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {servers
                            .into_iter()
                            .map(|s| {
                                let phones = phones_href(&s.server_ip);
                                let phones_label = format!("{} phones on {}", s.phone_count, s.server_id);
                                view! {
                                    <tr>
                                        <td>
                                            <a href=server_href(&s.server_ip)>{s.server_id}</a>
                                        </td>
                                        <td>{s.server_ip}</td>
                                        <td>{s.description}</td>
                                        <td class="num">
                                            <a href=phones aria-label=phones_label>
                                                {s.phone_count}
                                            </a>
                                        </td>
                                        <td>{if s.active { "Yes" } else { "No" }}</td>
                                        <td>{s.asterisk_version}</td>
                                        <td>{s.allowed_sip_stacks}</td>
                                        <td>{s.conf}</td>
                                        <td data-ami=s.ami_state>{s.ami}</td>
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
        <div class="page-head servers-head">
            <h1>"Servers"</h1>
            {add()}
        </div>
        {body}
    }
}

/// The add form page.
#[component]
pub fn NewServerPage() -> impl IntoView {
    let defaults = Resource::new(|| (), |_| get_new_server_form());
    let action = ServerAction::<AddServer>::new();
    let outcome = Signal::derive(move || action.value().get());
    view! {
        <PageTitle text="Add a server" />
        <p class="servers-back">
            <a href="/servers">"← All servers"</a>
        </p>
        <h1>"Add a server"</h1>
        <Suspense fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || {
                defaults
                    .get()
                    .map(|r| match r {
                        Ok(Some(defaults)) => {
                            let values = match action.value().get_untracked() {
                                Some(Err(ServerFormError::Invalid { input, .. })) => *input,
                                _ => defaults,
                            };
                            view! {
                                <div class="card form-card">
                                    <ActionForm action>
                                        <FormOutcome names=NAMES refusal=refusal_of(outcome) />
                                        <ServerFields
                                            values
                                            problems=problems_of(refusal_of(outcome))
                                            editing=false
                                            secret_set=false
                                        />
                                        <SubmitButton label="Add server" busy="Adding…" />
                                    </ActionForm>
                                </div>
                            }
                                .into_any()
                        }
                        Ok(None) => {
                            view! {
                                <p role="alert" class="error">
                                    "Your user may not add servers (needs modify_servers). "
                                    <a href="/servers">"Back to the servers"</a>
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

/// A server's page: outcome of the last change, conf state and files, settings (editable with
/// `modify_servers`).
#[component]
pub fn ServerDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = super::use_query();
    let server_ip = move || params.read().get("server_ip").unwrap_or_default();
    let action = ServerAction::<UpdateServer>::new();
    let ami_test = ServerAction::<TestAmiConnection>::new();
    let outcome = Signal::derive(move || action.value().get());
    let data = Resource::new(move || (server_ip(), action.version().get()), |(ip, _)| get_server(ip));
    let ami_result = move || query.read().get("ami_test").and_then(|c| AmiTestResult::parse(&c));
    let ami_refusal = move || ami_test.value().get().and_then(Result::err).map(|e| e.to_string());
    // What the redirect after a change says (with or without JavaScript); hidden once a later attempt fails.
    let notice = move || {
        if matches!(outcome.get(), Some(Err(_))) {
            return None;
        }
        let q = query.read();
        if q.has("added") {
            Some("Server added. Its conf files are being generated.")
        } else if q.has("rebuild") {
            Some("Changes saved. The server's conf files are being rebuilt.")
        } else if q.has("saved") {
            Some("Changes saved.")
        } else if q.has("unchanged") {
            Some("Nothing was changed.")
        } else {
            None
        }
    };
    view! {
        <PageTitle text=format!("Server {}", server_ip()) />
        <p class="servers-back">
            <a href="/servers">"← All servers"</a>
        </p>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the server…"</p> }>
            {move || {
                data.get()
                    .map(|r| match r {
                        Ok(Some(page)) => {
                            let values = match action.value().get_untracked() {
                                Some(Err(ServerFormError::Invalid { input, .. })) => *input,
                                _ => page.form.clone(),
                            };
                            view! {
                                <div class="page-head servers-head">
                                    <h1>{format!("Server {}", page.form.server_id)}</h1>
                                    <span class="servers-ip">{page.form.server_ip.clone()}</span>
                                </div>
                                <PhoneCount server_ip=page.form.server_ip.clone() count=page.phone_count />
                                {move || notice().map(|n| view! { <p role="status" class="servers-notice">{n}</p> })}
                                <AmiState summary=page.ami.clone() state=page.ami_state.clone() />
                                <ConfState
                                    server_ip=page.form.server_ip.clone()
                                    conf=page.conf.clone()
                                    can_download=page.can_download
                                />
                                <ApplySection
                                    form=page.form.clone()
                                    can_manage=page.can_manage
                                    action=ami_test
                                    result=ami_result()
                                    refusal=ami_refusal()
                                />
                                {if page.can_manage {
                                    view! {
                                        <section class="card form-card" aria-labelledby="server-edit-h">
                                            <h2 id="server-edit-h">"Settings"</h2>
                                            <ActionForm action>
                                                <FormOutcome names=NAMES refusal=refusal_of(outcome) />
                                                <ServerFields
                                                    values
                                                    problems=problems_of(refusal_of(outcome))
                                                    editing=true
                                                    secret_set=page.ami_secret_set
                                                />
                                                <SubmitButton label="Save changes" busy="Saving…" />
                                            </ActionForm>
                                        </section>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <FormOutcome names=NAMES refusal=refusal_of(outcome) />
                                        <SettingsView form=page.form.clone() secret_set=page.ami_secret_set />
                                    }
                                        .into_any()
                                }}
                            }
                                .into_any()
                        }
                        Ok(None) => {
                            view! {
                                <h1>"No such server"</h1>
                                <p role="alert" class="error">
                                    {format!("There is no server with IP {}. ", server_ip())}
                                    <a href="/servers">"Show all servers"</a>
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! { <p role="alert" class="error">{format!("Could not load the server: {e}")}</p> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// Every field's label, by field name.
fn label_of(field: &str) -> &'static str {
    match field {
        "server_ip" => "Server IP",
        "server_id" => "Server ID",
        "server_description" => "Description",
        "active" => "Active",
        "asterisk_version" => "Asterisk version",
        "active_asterisk_server" => "Active Asterisk server",
        "generate_vicidial_conf" => "Generate conf files",
        "active_agent_login_server" => "Active agent login server",
        "ext_context" => "Extension context",
        "external_server_ip" => "External server IP",
        "web_socket_url" => "WebSocket URL",
        "allowed_sip_stacks" => "Allowed SIP stacks",
        "local_gmt" => "Local GMT offset",
        "ami_host" => "AMI host",
        "ami_port" => "AMI port",
        "ami_user" => "AMI user",
        "ami_secret" => "AMI secret",
        _ => "Field",
    }
}

/// Every field of the server form (the same for adding and editing; when editing the IP is read-only
/// and a blank AMI secret keeps the stored one).
#[component]
fn ServerFields(
    values: ServerForm,
    problems: Signal<Vec<FieldProblem>>,
    editing: bool,
    secret_set: bool,
) -> impl IntoView {
    let v = values;
    let stacks: Vec<(String, String)> =
        SipStacks::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
    let offsets: Vec<(String, String)> = GMT_OFFSETS.iter().map(|g| (g.to_string(), g.to_string())).collect();
    let secret_hint = if editing && secret_set {
        "Leave blank to keep the current secret. Never shown."
    } else {
        "Needed with an AMI host (manager.conf). Never shown again."
    };
    let ip_hint = if editing {
        "The IP cannot be changed here: phones and the conf files refer to it."
    } else {
        "Dotted IPv4 address, e.g. 10.10.10.15."
    };
    view! {
        <fieldset class="form-group">
            <legend>"Server"</legend>
            <TextField names=NAMES
                name="server_ip"
                value=v.server_ip
                problems
                hint=ip_hint
                readonly=editing
                required=true
                maxlength="15"
            />
            <TextField names=NAMES
                name="server_id"
                value=v.server_id
                problems
                hint="1 to 10 letters, digits, _ or -."
                required=true
                maxlength="10"
            />
            <TextField names=NAMES name="server_description" value=v.server_description problems maxlength="255" />
            <CheckField names=NAMES name="active" checked=v.active.is_some() hint="Inactive servers stay in the lists." />
        </fieldset>
        <fieldset class="form-group">
            <legend>"Asterisk"</legend>
            <TextField names=NAMES
                name="asterisk_version"
                value=v.asterisk_version
                problems
                hint="Below 1.6 the dialplan is written in Asterisk 1.4's | syntax."
                required=true
                maxlength="20"
            />
            <CheckField names=NAMES
                name="active_asterisk_server"
                checked=v.active_asterisk_server.is_some()
                hint="Asterisk runs on this server."
            />
            <CheckField names=NAMES
                name="generate_vicidial_conf"
                checked=v.generate_vicidial_conf.is_some()
                hint="Dialtone writes this server's phone conf files."
            />
            <SelectField names=NAMES
                name="allowed_sip_stacks"
                value=v.allowed_sip_stacks
                options=stacks
                problems
                hint="The SIP channel drivers phones on this server may use."
            />
            <TextField names=NAMES
                name="ext_context"
                value=v.ext_context
                problems
                hint="Dialplan context for external dialing, 1 to 20 letters, digits, _ or -."
                required=true
                maxlength="20"
            />
            <SelectField names=NAMES name="local_gmt" value=v.local_gmt options=offsets problems hint="Hours from GMT." />
        </fieldset>
        <fieldset class="form-group">
            <legend>"Agents and webphones"</legend>
            <CheckField names=NAMES
                name="active_agent_login_server"
                checked=v.active_agent_login_server.is_some()
                hint="Agents may log in with phones on this server."
            />
            <TextField names=NAMES
                name="external_server_ip"
                value=v.external_server_ip
                problems
                hint="Address remote webphones use; may be empty."
                maxlength="100"
            />
            <TextField names=NAMES
                name="web_socket_url"
                value=v.web_socket_url
                problems
                hint="e.g. wss://dialer.example.com:8089/ws; may be empty."
                maxlength="255"
            />
        </fieldset>
        <fieldset class="form-group">
            <legend>"Asterisk Manager Interface (AMI)"</legend>
            <p class="form-hint">
                "With AMI settings Dialtone reloads Asterisk after writing the files; without, reload it by hand."
            </p>
            <TextField names=NAMES name="ami_host" value=v.ami_host problems hint="Empty: no AMI." maxlength="255" />
            <TextField names=NAMES name="ami_port" value=v.ami_port problems kind="number" hint="Usually 5038." />
            <TextField names=NAMES name="ami_user" value=v.ami_user problems maxlength="20" />
            <TextField names=NAMES
                name="ami_secret"
                value=String::new()
                problems
                kind="password"
                hint=secret_hint
                maxlength="100"
                autocomplete="new-password"
            />
        </fieldset>
    }
}

/// The settings, read-only (for viewers who may not change servers).
#[component]
fn SettingsView(form: ServerForm, secret_set: bool) -> impl IntoView {
    let yes_no = |v: &Option<String>| if v.is_some() { "Yes" } else { "No" }.to_string();
    let or_none = |v: &str| if v.is_empty() { NOT_SET.to_string() } else { v.to_string() };
    let ami = if form.ami_host.is_empty() {
        "No AMI: Asterisk is reloaded by hand".to_string()
    } else {
        format!(
            "{}:{} as {} (secret {})",
            form.ami_host,
            form.ami_port,
            form.ami_user,
            if secret_set { "set" } else { "not set" }
        )
    };
    let rows = vec![
        ("Server IP", form.server_ip.clone()),
        ("Server ID", form.server_id.clone()),
        ("Description", or_none(&form.server_description)),
        ("Active", yes_no(&form.active)),
        ("Asterisk version", form.asterisk_version.clone()),
        ("Active Asterisk server", yes_no(&form.active_asterisk_server)),
        ("Generate conf files", yes_no(&form.generate_vicidial_conf)),
        ("Allowed SIP stacks", form.allowed_sip_stacks.clone()),
        ("Extension context", form.ext_context.clone()),
        ("Local GMT offset", form.local_gmt.clone()),
        ("Active agent login server", yes_no(&form.active_agent_login_server)),
        ("External server IP", or_none(&form.external_server_ip)),
        ("WebSocket URL", or_none(&form.web_socket_url)),
        ("AMI", ami),
    ];
    view! {
        <section class="card" aria-labelledby="server-settings-h">
            <h2 id="server-settings-h">"Settings"</h2>
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
            <p class="form-hint">"Changing servers needs server rights (modify_servers)."</p>
        </section>
    }
}

/// The phones list filtered to one server.
fn phones_href(server_ip: &str) -> String {
    crate::domain::phone_list::PhoneListQuery { server_ip: Some(server_ip.to_string()), ..Default::default() }.href()
}

/// The number of the server's phones, a link to the phones list filtered to this server.
#[component]
fn PhoneCount(server_ip: String, count: u64) -> impl IntoView {
    let href = phones_href(&server_ip);
    let text = match count {
        0 => "No phones on this server yet".to_string(),
        1 => "1 phone on this server".to_string(),
        n => format!("{n} phones on this server"),
    };
    view! {
        <p class="servers-phones">
            <a href=href data-testid="server-phones">
                {text}
            </a>
            {(count == 0).then(|| view! { " · " <a href="/phones/new">"Add a phone"</a> })}
        </p>
    }
}

/// How the generated files reach Asterisk: with AMI settings Dialtone reloads it itself (and the
/// settings can be tested here); without, the exact commands to reload it by hand.
#[component]
fn ApplySection(
    form: ServerForm,
    can_manage: bool,
    action: ServerAction<TestAmiConnection>,
    result: Option<AmiTestResult>,
    refusal: Option<String>,
) -> impl IntoView {
    let configured = !form.ami_host.is_empty() && !form.ami_user.is_empty();
    let address = if form.ami_host.contains(':') {
        format!("[{}]:{}", form.ami_host, form.ami_port)
    } else {
        format!("{}:{}", form.ami_host, form.ami_port)
    };
    let how = if configured {
        view! {
            <p>
                {format!(
                    "Dialtone reloads Asterisk itself over AMI ({address} as {}) within seconds of every change.",
                    form.ami_user,
                )}
            </p>
        }
        .into_any()
    } else {
        let commands = manual_reload_commands(&form.allowed_sip_stacks).join("\n");
        view! {
            <p>
                "This server has no AMI settings, so Dialtone writes the files but cannot reload Asterisk. \
                 After a change (its state reads \"written\"), run these on the Asterisk server:"
            </p>
            <pre tabindex="0" aria-label="Reload commands" data-testid="manual-reload">{commands}</pre>
            <p class="form-hint">
                "Only the files that changed need their command; reloading all of them is harmless. \
                 With AMI settings (below) Dialtone does this itself."
            </p>
        }
        .into_any()
    };
    let shown = result.map(|r| {
        let class = if r.ok() { "ami-test-result ok" } else { "ami-test-result bad" };
        view! {
            <p role="status" class=class data-testid="ami-test-result" data-result=r.code()>
                {r.message(&address, &form.ami_user)}
            </p>
        }
    });
    view! {
        <section class="card servers-apply" id="ami-test" aria-labelledby="server-apply-h">
            <h2 id="server-apply-h">"Apply changes to Asterisk"</h2>
            {how}
            {refusal.map(|e| view! { <p role="alert" class="error">{e}</p> })}
            {shown}
            {(configured && can_manage)
                .then(|| {
                    view! {
                        <ActionForm action>
                            <input type="hidden" name="server_ip" value=form.server_ip.clone() />
                            <BusyButton
                                label="Test AMI connection".to_string()
                                busy="Testing…".to_string()
                                class="button".to_string()
                            />
                        </ActionForm>
                    }
                })}
        </section>
    }
}

/// The AMI link of the registration monitor (server-rendered; no island).
#[component]
fn AmiState(summary: String, state: String) -> impl IntoView {
    let hint = match state.as_str() {
        "not-configured" => Some(
            "Registration state is read from Asterisk over AMI when the server has AMI settings and Active Asterisk server is on.",
        ),
        "down" => Some("Dialtone retries by itself; phones keep their last known registration state meanwhile."),
        _ => None,
    };
    view! {
        <section class="card servers-ami" aria-labelledby="server-ami-h">
            <h2 id="server-ami-h">"Registration state (AMI)"</h2>
            <p data-testid="ami-link" data-ami=state>
                {format!("AMI: {summary}")}
            </p>
            {hint.map(|h| view! { <p class="form-hint">{h}</p> })}
        </section>
    }
}

/// The conf generation state and the generated files.
#[component]
fn ConfState(server_ip: String, conf: ConfStateView, can_download: bool) -> impl IntoView {
    let or_never = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
    let reload_error = if conf.apply_error.is_empty() { NOT_SET.to_string() } else { conf.apply_error.clone() };
    let waiting = if conf.reload_pending.is_empty() { NOT_SET.to_string() } else { conf.reload_pending.join(", ") };
    let applied =
        if conf.ami_configured { or_never(&conf.applied_at) } else { "by hand (no AMI settings)".to_string() };
    let files = if !conf.generates {
        view! {
            <p>
                "No files: conf generation is off for this server (Generate conf files or Active Asterisk server is off)."
            </p>
        }
            .into_any()
    } else if conf.generated_at.is_none() {
        view! { <p>"The files have not been generated yet."</p> }.into_any()
    } else if !can_download {
        view! {
            <p>"Downloading the files needs ast_admin_access: they contain the phones' registration passwords."</p>
        }
        .into_any()
    } else {
        view! {
            <ul class="servers-files">
                {ConfFile::ALL
                    .into_iter()
                    .map(|f| {
                        view! {
                            <li>
                                <a href=conf_file_href(&server_ip, f) download=f.file_name() rel="external">
                                    {f.file_name()}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let refused = if conf.refused.is_empty() {
        view! { <p>"No phone was refused at the last generation."</p> }.into_any()
    } else {
        view! {
            <ul class="servers-refused">
                {conf.refused.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card servers-conf" aria-labelledby="server-conf-h">
            <h2 id="server-conf-h">"Asterisk configuration"</h2>
            <p data-testid="conf-summary">{conf.summary.clone()}</p>
            <dl class="settings-dl">
                <dt>"Last generated"</dt>
                <dd>{or_never(&conf.generated_at)}</dd>
                <dt>"Last applied"</dt>
                <dd>{applied}</dd>
                <dt>"Reload error"</dt>
                <dd>{reload_error}</dd>
                <dt>"Waiting for a reload"</dt>
                <dd>{waiting}</dd>
                <dt>"Rebuild pending"</dt>
                <dd>{if conf.rebuild_pending { "yes" } else { "no" }}</dd>
            </dl>
            <h3>"Refused phones"</h3>
            {refused}
            <h3>"Generated files"</h3>
            {files}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_reload_commands_follow_the_allowed_sip_stacks() {
        let cmd = |c: &str| format!("asterisk -rx \"{c}\"");
        assert_eq!(manual_reload_commands("SIP"), [cmd("dialplan reload"), cmd("sip reload"), cmd("iax2 reload")]);
        assert_eq!(manual_reload_commands("PJSIP"), [cmd("dialplan reload"), cmd("pjsip reload"), cmd("iax2 reload")]);
        assert_eq!(
            manual_reload_commands("SIP_and_PJSIP"),
            [cmd("dialplan reload"), cmd("sip reload"), cmd("pjsip reload"), cmd("iax2 reload")]
        );
    }

    #[test]
    fn ami_test_codes_read_back_and_messages_name_the_failure() {
        for r in AmiTestResult::ALL {
            assert_eq!(AmiTestResult::parse(r.code()), Some(r));
        }
        assert_eq!(AmiTestResult::parse("<script>"), None);
        let failures = AmiTestResult::ALL.into_iter().filter(|r| !r.ok());
        for r in failures {
            let m = r.message("10.0.0.5:5038", "cron");
            assert!(m.starts_with("Failed:") || m.starts_with("Not tested:"), "{m}");
        }
        assert!(AmiTestResult::Refused
            .message("10.0.0.5:5038", "cron")
            .contains("connection refused by 10.0.0.5:5038"));
        assert!(AmiTestResult::Timeout.message("10.0.0.5:5038", "cron").contains("timeout"));
        assert!(AmiTestResult::AuthFailed.message("10.0.0.5:5038", "cron").contains("authentication failed"));
    }
}
