//! Administration use cases the CLI (and later the web admin) share: servers, users, templates, the
//! API call log, and the server refresh.

use rand::distr::{Alphanumeric, SampleString};

use crate::domain::asterisk_conf;
use crate::domain::phone_entry::{validate_new_template_id, validate_server_ip};
use crate::domain::{FieldError, SipStacks};
use crate::service::audit::{simple_diff, REDACTED};
use crate::service::auth::hash_password;
use crate::service::Actor;
use crate::storage::audit::insert_audit;
use crate::storage::servers::{self, AmiSettings, NewServer, ServerRecord, ServerRow, ServerSettings};
use crate::storage::users::{self, NewUser};
use crate::storage::{conf, now_unix, templates, Db};

/// Why an administrative change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A value broke a rule; the message names the field and the rule.
    #[error("{0}")]
    Invalid(String),
    /// The record exists already.
    #[error("{0} already exists")]
    Exists(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<FieldError> for AdminError {
    fn from(e: FieldError) -> Self {
        AdminError::Invalid(e.to_string())
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// The Asterisk version new servers get when none is given (`ViciBox` 12's Asterisk).
pub const DEFAULT_ASTERISK_VERSION: &str = "18.21.0-vici";

/// 1 to `max` characters of ASCII letters, digits, `_` and `-` (ids and user names).
fn id_ok(v: &str, max: usize) -> bool {
    !v.is_empty() && v.len() <= max && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn check_new_server(s: &NewServer<'_>) -> Result<(), AdminError> {
    match new_server_problems(s).into_iter().next() {
        Some(problem) => Err(AdminError::Invalid(problem.message)),
        None => Ok(()),
    }
}

/// The rules a new server's values must pass, shared by the CLI's `server add` (which reports the
/// first problem) and the web admin (which shows each next to its field). In field order.
fn new_server_problems(s: &NewServer<'_>) -> Vec<InvalidServerField> {
    let mut problems = Vec::new();
    let mut refuse = |field: &'static str, message: &str| {
        problems.push(InvalidServerField { field, message: message.to_string() });
    };
    if let Err(e) = validate_server_ip(s.server_ip) {
        refuse("server_ip", &e.to_string());
    }
    if !id_ok(s.server_id, 10) {
        refuse("server_id", "server_id must be 1 to 10 characters of letters, digits, _ and -");
    }
    if s.description.chars().count() > 255 || s.description.chars().any(char::is_control) {
        refuse("server_description", "description must be at most 255 characters with no control characters");
    }
    if s.asterisk_version.is_empty()
        || s.asterisk_version.len() > 20
        || !s.asterisk_version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        refuse(
            "asterisk_version",
            "asterisk_version must be 1 to 20 characters of letters, digits, '.', '-' and '_' (e.g. 18.21.0-vici)",
        );
    }
    if let Some(ami) = &s.ami {
        if ami.host.is_empty()
            || ami.host.len() > 255
            || !ami.host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        {
            refuse("ami_host", "ami host must be 1 to 255 characters of letters, digits, '.', '-' and ':'");
        }
        if ami.port == 0 {
            refuse("ami_port", "ami port must be from 1 to 65535");
        }
        if !id_ok(ami.username, 20) {
            refuse("ami_user", "ami user must be 1 to 20 characters of letters, digits, _ and -");
        }
        if ami.secret.is_empty() || ami.secret.chars().count() > 100 || ami.secret.chars().any(char::is_control) {
            refuse("ami_secret", "ami secret must be 1 to 100 characters with no control characters");
        }
    }
    problems
}

/// Adds a server (marked for a conf build, so its files appear within seconds).
pub async fn add_server(db: &Db, actor: &Actor, spec: &NewServer<'_>) -> Result<(), AdminError> {
    check_new_server(spec)?;
    let NewServer { server_ip, server_id, description, generate_vicidial_conf, .. } = *spec;
    let mut tx = db.write().await?;
    servers::insert_server(&mut tx, spec).await.map_err(|e| {
        if is_unique_violation(&e) {
            AdminError::Exists(format!("server {server_ip} / {server_id}"))
        } else {
            e.into()
        }
    })?;
    insert_audit(
        &mut tx,
        &actor.audit(
            "SERVERS",
            "ADD",
            server_id,
            "ADMIN ADD SERVER",
            &simple_diff(&[
                ("server_ip", None, Some(server_ip)),
                ("server_description", None, Some(description)),
                ("generate_vicidial_conf", None, Some(if generate_vicidial_conf { "Y" } else { "N" })),
                ("asterisk_version", None, Some(spec.asterisk_version)),
                ("telnet_host", None, Some(spec.ami.as_ref().map_or("", |a| a.host))),
                ("ASTmgrSECRET", None, spec.ami.as_ref().map(|_| "[redacted]")),
            ]),
            "",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new user's settings.
#[derive(Debug, Clone)]
pub struct UserSpec<'a> {
    /// User name.
    pub user: &'a str,
    /// Plain password (hashed here, never stored or logged).
    pub pass: &'a str,
    /// 1-9.
    pub level: i64,
    /// `vdc_agent_api_access`.
    pub api_access: bool,
    /// `ast_admin_access`.
    pub ast_admin: bool,
    /// `ast_delete_phones`.
    pub delete_phones: bool,
    /// `modify_phones`.
    pub modify_phones: bool,
    /// `modify_servers`.
    pub modify_servers: bool,
    /// `api_allowed_functions`, e.g. ` add_phone version ` or ` ALL_FUNCTIONS `.
    pub api_functions: &'a str,
    /// `active`.
    pub active: bool,
}

/// Every server, by IP.
pub async fn list_servers(db: &Db) -> Result<Vec<ServerRow>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    servers::list_servers(&mut conn).await
}

/// Adds a user with an argon2 hash of the password.
pub async fn add_user(db: &Db, actor: &Actor, spec: &UserSpec<'_>) -> Result<(), AdminError> {
    let u = spec.user;
    if !id_ok(u, 20) {
        return Err(AdminError::Invalid("user must be 1 to 20 characters of letters, digits, _ and -".into()));
    }
    if spec.pass.is_empty() || spec.pass.chars().count() > 100 || spec.pass.chars().any(char::is_control) {
        return Err(AdminError::Invalid("pass must be 1 to 100 characters with no control characters".into()));
    }
    if !(1..=9).contains(&spec.level) {
        return Err(AdminError::Invalid("level must be a whole number from 1 to 9".into()));
    }
    if spec.api_functions.chars().count() > 1000
        || spec.api_functions.chars().any(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == ' '))
    {
        return Err(AdminError::Invalid("api-functions must be function names separated by spaces".into()));
    }
    // Space-delimited as VICIdial matches it (` add_phone `).
    let functions = format!(" {} ", spec.api_functions.split_whitespace().collect::<Vec<_>>().join(" "));
    let pass = spec.pass.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pass))
        .await
        .map_err(|_| AdminError::Invalid("password hashing was interrupted".into()))?
        .map_err(|_| AdminError::Invalid("password could not be hashed".into()))?;
    let mut tx = db.write().await?;
    users::insert_user(
        &mut tx,
        &NewUser {
            user: u,
            pass_hash: &hash,
            user_level: spec.level,
            active: spec.active,
            api_access: spec.api_access,
            ast_admin: spec.ast_admin,
            delete_phones: spec.delete_phones,
            modify_phones: spec.modify_phones,
            modify_servers: spec.modify_servers,
            api_functions: &functions,
        },
    )
    .await
    .map_err(|e| if is_unique_violation(&e) { AdminError::Exists(format!("user {u}")) } else { e.into() })?;
    let level = spec.level.to_string();
    insert_audit(
        &mut tx,
        &actor.audit(
            "USERS",
            "ADD",
            u,
            "ADMIN ADD USER",
            &simple_diff(&[("user_level", None, Some(&level)), ("pass", None, Some("[redacted]"))]),
            "",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Number of users (first start creates `admin` when there are none).
pub async fn count_users(db: &Db) -> Result<i64, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    users::count_users(&mut conn).await
}

/// A random password of 20 letters and digits.
pub fn random_password() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 20)
}

/// Adds or replaces a conf template.
pub async fn put_template(db: &Db, actor: &Actor, template_id: &str, contents: &str) -> Result<(), AdminError> {
    let id = validate_new_template_id(template_id)?;
    // Line endings are normalised (a template written on Windows has CRLF); nothing else is changed.
    let contents = contents.replace("\r\n", "\n");
    if contents.len() > 65_535 {
        return Err(AdminError::Invalid("template contents must be at most 65535 bytes".into()));
    }
    if let Some((n, _)) = contents.split('\n').enumerate().find(|(_, line)| !asterisk_conf::block_is_safe(line)) {
        return Err(AdminError::Invalid(format!("template contents line {}: {}", n + 1, asterisk_conf::LINE_RULE)));
    }
    let mut tx = db.write().await?;
    templates::upsert_template(&mut tx, &id, &id, &contents).await?;
    // Every server with a phone using this template gets new files.
    conf::mark_template_servers(&mut tx, &id).await?;
    insert_audit(
        &mut tx,
        &actor.audit("TEMPLATES", "ADD", &id, "ADMIN ADD TEMPLATE", "{}", &format!("{} bytes", contents.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks every server for a conf rebuild (`server_refresh`); returns how many servers changed.
pub async fn refresh_servers(db: &Db, actor: &Actor) -> Result<u64, sqlx::Error> {
    let mut tx = db.write().await?;
    let now = now_unix();
    servers::touch_reload_timestamp(&mut tx, now).await?;
    let changed = servers::mark_all_rebuild(&mut tx).await?;
    insert_audit(
        &mut tx,
        &actor.audit("SERVERS", "OTHER", "refresh", "ADMIN API SERVERS REFRESH", "{}", &format!("servers: {changed}")),
    )
    .await?;
    tx.commit().await?;
    Ok(changed)
}

/// Records one legacy API call that changed nothing (errors, version): the function, the outcome's
/// reason (never its data part, which can echo passwords) and the names of the parameters sent.
pub async fn log_api_call(
    db: &Db,
    actor: &Actor,
    function: &str,
    reason: &str,
    params: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.write().await?;
    insert_audit(
        &mut tx,
        &actor.audit("API", "OTHER", function, "ADMIN API CALL", "{}", &format!("{reason} | params: {params}")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The first active server's GMT offset (VICIdial's `version` TZ).
pub async fn first_active_gmt(db: &Db) -> Result<Option<String>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    servers::first_active_gmt(&mut conn).await
}

/// How long [`FirstGmtCache`] reuses what it read.
pub const FIRST_GMT_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// [`first_active_gmt`], read at most once per [`FIRST_GMT_TTL`]: `function=version` asks for it on
/// every call, and the read (a hand-off to a database thread and back) was most of that call's cost.
/// A server's GMT changed here or elsewhere shows in `version` within the TTL.
#[derive(Debug, Default)]
pub struct FirstGmtCache(std::sync::Mutex<Option<(std::time::Instant, Option<String>)>>);

impl FirstGmtCache {
    /// The first active server's GMT offset, from the last second's read when there was one.
    pub async fn get(&self, db: &Db) -> Result<Option<String>, sqlx::Error> {
        if let Ok(kept) = self.0.lock() {
            if let Some((at, gmt)) = kept.as_ref() {
                if at.elapsed() < FIRST_GMT_TTL {
                    return Ok(gmt.clone());
                }
            }
        }
        let gmt = first_active_gmt(db).await?;
        if let Ok(mut kept) = self.0.lock() {
            *kept = Some((std::time::Instant::now(), gmt.clone()));
        }
        Ok(gmt)
    }
}

/// Records that a server's conf files are current: clears `rebuild_conf_files` (what the conf
/// generator does after writing the files).
pub async fn conf_files_built(db: &Db, server_ip: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.write().await?;
    conf::claim_rebuild(&mut tx, server_ip).await?;
    tx.commit().await
}

// ---- Servers in the web admin: add, edit, read, and download the generated files ----

/// A server setting that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidServerField {
    /// The setting: `server_ip`, `server_id`, `server_description`, `asterisk_version`, `local_gmt`,
    /// `ext_context`, `external_server_ip`, `web_socket_url`, `allowed_sip_stacks`, `ami_host`, `ami_port`,
    /// `ami_user` or `ami_secret`.
    pub field: &'static str,
    /// What is wrong, naming the field and the rule.
    pub message: String,
}

/// Why a server could not be added or changed. Nothing is stored when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum ServerChangeError {
    /// Values broke rules: at least one, each naming its field and the rule.
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<InvalidServerField>),
    /// No server has this `server_ip`.
    #[error("no server with server_ip {0}")]
    NotFound(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The settings the conf generator reads (the dialplan syntax, and whether the files are generated at
/// all): changing one marks the server for a rebuild.
pub const CONF_SETTINGS: [&str; 3] = ["asterisk_version", "generate_vicidial_conf", "active_asterisk_server"];

/// Every rule a server's web admin settings must pass: the CLI's rules for a new server, then the
/// settings only the web admin writes.
fn server_settings_problems(s: &ServerSettings<'_>) -> Vec<InvalidServerField> {
    let shared = NewServer {
        server_id: s.server_id,
        server_ip: s.server_ip,
        description: s.description,
        generate_vicidial_conf: s.generate_vicidial_conf,
        asterisk_version: s.asterisk_version,
        ami: s.ami.clone(),
    };
    let mut problems = new_server_problems(&shared);
    let mut refuse = |field: &'static str, message: &str| {
        problems.push(InvalidServerField { field, message: message.to_string() });
    };
    if let Some(gmt) = s.local_gmt {
        if !crate::domain::GMT_OFFSETS.contains(&gmt) {
            refuse("local_gmt", "local_gmt must be one of VICIdial's 33 offsets, written as -5.00 or 5.50");
        }
    }
    if !id_ok(s.ext_context, 20) {
        refuse("ext_context", "ext_context must be 1 to 20 characters of letters, digits, _ and -");
    }
    if s.external_server_ip.len() > 100
        || !s.external_server_ip.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    {
        refuse(
            "external_server_ip",
            "external_server_ip must be empty or up to 100 characters of letters, digits, '.', '-' and ':'",
        );
    }
    let url = s.web_socket_url;
    let url_ok = url.is_empty()
        || ((url.starts_with("ws://") || url.starts_with("wss://"))
            && url.len() <= 255
            && url.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`')));
    if !url_ok {
        refuse(
            "web_socket_url",
            "web_socket_url must be empty or a ws:// or wss:// address of at most 255 characters, with no spaces or quotes",
        );
    }
    if SipStacks::parse(s.allowed_sip_stacks).is_none() {
        refuse("allowed_sip_stacks", &format!("allowed_sip_stacks {}", SipStacks::RULE));
    }
    problems
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// The stored columns (but the secret) of a server as `settings` writes them; `local_gmt` is `None`
/// when it is left unchanged.
fn settings_columns(s: &ServerSettings<'_>) -> Vec<(&'static str, Option<String>)> {
    let ami = s.ami.as_ref();
    vec![
        ("server_id", Some(s.server_id.to_string())),
        ("server_description", Some(s.description.to_string())),
        ("active", Some(yes_no(s.active).to_string())),
        ("asterisk_version", Some(s.asterisk_version.to_string())),
        ("local_gmt", s.local_gmt.map(str::to_string)),
        ("ext_context", Some(s.ext_context.to_string())),
        ("active_asterisk_server", Some(yes_no(s.active_asterisk_server).to_string())),
        ("generate_vicidial_conf", Some(yes_no(s.generate_vicidial_conf).to_string())),
        ("active_agent_login_server", Some(yes_no(s.active_agent_login_server).to_string())),
        ("external_server_ip", Some(s.external_server_ip.to_string())),
        ("web_socket_url", Some(s.web_socket_url.to_string())),
        ("allowed_sip_stacks", Some(s.allowed_sip_stacks.to_string())),
        ("telnet_host", Some(ami.map_or("", |a| a.host).to_string())),
        ("telnet_port", Some(ami.map_or(5038, |a| a.port).to_string())),
        ("ASTmgrUSERNAME", Some(ami.map_or("", |a| a.username).to_string())),
    ]
}

/// The same columns of a stored server.
fn record_columns(r: &ServerRecord) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("server_id", Some(r.server_id.clone())),
        ("server_description", Some(r.server_description.clone())),
        ("active", Some(r.active.clone())),
        ("asterisk_version", Some(r.asterisk_version.clone())),
        ("local_gmt", Some(r.local_gmt.clone())),
        ("ext_context", Some(r.ext_context.clone())),
        ("active_asterisk_server", Some(r.active_asterisk_server.clone())),
        ("generate_vicidial_conf", Some(r.generate_vicidial_conf.clone())),
        ("active_agent_login_server", Some(r.active_agent_login_server.clone())),
        ("external_server_ip", Some(r.external_server_ip.clone())),
        ("web_socket_url", Some(r.web_socket_url.clone())),
        ("allowed_sip_stacks", Some(r.allowed_sip_stacks.clone())),
        ("telnet_host", Some(r.telnet_host.clone())),
        ("telnet_port", Some(r.telnet_port.to_string())),
        ("ASTmgrUSERNAME", Some(r.ami_username.clone())),
    ]
}

/// The audit diff `{"column": {"old": .., "new": ..}}` of the changed columns; the AMI secret
/// (`ASTmgrSECRET`) appears only as `[redacted]` (or `null` when empty), so a change is visible but
/// never the value.
fn server_diff(
    old: &[(&'static str, Option<String>)],
    new: &[(&'static str, Option<String>)],
    secret: (&str, &str),
) -> (String, Vec<&'static str>) {
    use serde_json::{json, Map, Value};
    let mut map = Map::new();
    let mut changed = Vec::new();
    for ((name, before), (_, after)) in old.iter().zip(new) {
        if after.is_some() && before != after {
            map.insert((*name).to_string(), json!({ "old": before, "new": after }));
            changed.push(*name);
        }
    }
    if secret.0 != secret.1 {
        let show = |v: &str| if v.is_empty() { Value::Null } else { Value::String(REDACTED.into()) };
        map.insert("ASTmgrSECRET".into(), json!({ "old": show(secret.0), "new": show(secret.1) }));
        changed.push("ASTmgrSECRET");
    }
    (Value::Object(map).to_string(), changed)
}

/// The refusal of a `server_ip` or `server_id` another server already has.
async fn taken(
    conn: &mut sqlx::SqliteConnection,
    s: &ServerSettings<'_>,
    adding: bool,
) -> Result<Vec<InvalidServerField>, sqlx::Error> {
    let mut problems = Vec::new();
    if adding && servers::server_exists(conn, s.server_ip).await? {
        problems.push(InvalidServerField {
            field: "server_ip",
            message: format!("server_ip {} is already used by another server", s.server_ip),
        });
    }
    if let Some(owner) = servers::server_id_owner(conn, s.server_id).await? {
        if adding || owner != s.server_ip {
            problems.push(InvalidServerField {
                field: "server_id",
                message: format!("server_id {} is already used by server {owner}", s.server_id),
            });
        }
    }
    Ok(problems)
}

/// Adds a server with every web admin setting, after the same rules as `dialtone server add` plus
/// those of the settings only the web admin writes; audited (secret redacted) and marked for a conf
/// build, so its files appear within seconds.
pub async fn create_server(db: &Db, actor: &Actor, s: &ServerSettings<'_>) -> Result<(), ServerChangeError> {
    let problems = server_settings_problems(s);
    if !problems.is_empty() {
        return Err(ServerChangeError::Invalid(problems));
    }
    let mut tx = db.write().await?;
    let problems = taken(&mut tx, s, true).await?;
    if !problems.is_empty() {
        return Err(ServerChangeError::Invalid(problems));
    }
    servers::insert_server_settings(&mut tx, s).await?;
    let mut after = settings_columns(s);
    after.insert(0, ("server_ip", Some(s.server_ip.to_string())));
    let before: Vec<(&'static str, Option<String>)> = after.iter().map(|(name, _)| (*name, None)).collect();
    let (diff, _) = server_diff(&before, &after, ("", s.ami.as_ref().map_or("", |a| a.secret)));
    insert_audit(&mut tx, &actor.audit("SERVERS", "ADD", s.server_id, "ADMIN ADD SERVER", &diff, "web admin")).await?;
    tx.commit().await?;
    Ok(())
}

/// What an edit changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUpdate {
    /// The columns that changed (`ASTmgrSECRET` when the secret did); empty when nothing did, and
    /// then nothing was written or audited.
    pub changed: Vec<&'static str>,
    /// The server was marked for a conf rebuild (a [`CONF_SETTINGS`] value changed).
    pub rebuild: bool,
}

/// Changes the settings of the server `s.server_ip` (the IP itself is not changed). An empty AMI
/// secret with an AMI host keeps the stored secret ("leave blank to keep"). Same rules as
/// [`create_server`]; the change is audited with a field diff (secret redacted) and, when a setting
/// the generator reads changed, the server is marked for a conf rebuild.
pub async fn update_server(db: &Db, actor: &Actor, s: &ServerSettings<'_>) -> Result<ServerUpdate, ServerChangeError> {
    let mut tx = db.write().await?;
    let Some(old) = servers::find_server_record(&mut tx, s.server_ip).await? else {
        return Err(ServerChangeError::NotFound(s.server_ip.to_string()));
    };
    let ami = s.ami.as_ref().map(|a| AmiSettings {
        secret: if a.secret.is_empty() { old.ami_secret.as_str() } else { a.secret },
        ..a.clone()
    });
    let effective = ServerSettings { ami, ..s.clone() };
    let mut problems = server_settings_problems(&effective);
    if problems.is_empty() {
        problems = taken(&mut tx, &effective, false).await?;
    }
    if !problems.is_empty() {
        return Err(ServerChangeError::Invalid(problems));
    }
    let new_secret = effective.ami.as_ref().map_or("", |a| a.secret);
    let (diff, changed) =
        server_diff(&record_columns(&old), &settings_columns(&effective), (&old.ami_secret, new_secret));
    if changed.is_empty() {
        return Ok(ServerUpdate { changed, rebuild: false });
    }
    servers::update_server_settings(&mut tx, &effective).await?;
    let rebuild = changed.iter().any(|c| CONF_SETTINGS.contains(c));
    if rebuild {
        // Marks only a server that generates files (with its new settings), as after a phone change.
        servers::mark_rebuild(&mut tx, s.server_ip).await?;
    }
    insert_audit(
        &mut tx,
        &actor.audit("SERVERS", "MODIFY", effective.server_id, "ADMIN MODIFY SERVER", &diff, "web admin"),
    )
    .await?;
    tx.commit().await?;
    Ok(ServerUpdate { changed, rebuild })
}

/// One server with every setting the web admin shows (the record holds the AMI secret: callers must
/// not show it).
pub async fn find_server(db: &Db, server_ip: &str) -> Result<Option<ServerRecord>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    servers::find_server_record(&mut conn, server_ip).await
}

/// Every server with every setting the web admin shows, by IP (the records hold the AMI secrets:
/// callers must not show them).
pub async fn list_server_records(db: &Db) -> Result<Vec<ServerRecord>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    servers::list_server_records(&mut conn).await
}

/// Why a generated file could not be handed out.
#[derive(Debug, thiserror::Error)]
pub enum ConfDownloadError {
    /// Reading the file failed.
    #[error("reading the conf file: {0}")]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// One generated conf file of a server for `actor` to download: `None` when there is no such server
/// or the file has not been generated yet. The files hold the phones' passwords, so every download is
/// audited (the file name, never its content).
pub async fn download_conf_file(
    db: &Db,
    settings: &crate::service::conf::ConfSettings,
    actor: &Actor,
    server_ip: &str,
    file: asterisk_conf::ConfFile,
) -> Result<Option<String>, ConfDownloadError> {
    let Some(server) = find_server(db, server_ip).await? else { return Ok(None) };
    let Some(text) = crate::service::conf::read_conf_file(settings, &server.server_ip, file).await? else {
        return Ok(None);
    };
    let mut tx = db.write().await?;
    let notes = format!("{} of {}", file.file_name(), server.server_ip);
    insert_audit(
        &mut tx,
        &actor.audit("SERVERS", "EXPORT", &server.server_id, "ADMIN DOWNLOAD CONF FILE", "{}", &notes),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(text))
}
