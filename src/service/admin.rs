//! Administration use cases the CLI (and later the web admin) share: servers, users, templates, the
//! API call log, and the server refresh.

use rand::distr::{Alphanumeric, SampleString};

use crate::domain::asterisk_conf;
use crate::domain::phone_entry::{validate_server_ip, validate_template_id};
use crate::domain::FieldError;
use crate::service::audit::simple_diff;
use crate::service::auth::hash_password;
use crate::service::Actor;
use crate::storage::audit::insert_audit;
use crate::storage::servers::{self, NewServer, ServerRow};
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
    validate_server_ip(s.server_ip)?;
    if !id_ok(s.server_id, 10) {
        return Err(AdminError::Invalid("server_id must be 1 to 10 characters of letters, digits, _ and -".into()));
    }
    if s.description.chars().count() > 255 || s.description.chars().any(char::is_control) {
        return Err(AdminError::Invalid(
            "description must be at most 255 characters with no control characters".into(),
        ));
    }
    if s.asterisk_version.is_empty()
        || s.asterisk_version.len() > 20
        || !s.asterisk_version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(AdminError::Invalid(
            "asterisk_version must be 1 to 20 characters of letters, digits, '.', '-' and '_' (e.g. 18.21.0-vici)"
                .into(),
        ));
    }
    if let Some(ami) = &s.ami {
        if ami.host.is_empty()
            || ami.host.len() > 255
            || !ami.host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        {
            return Err(AdminError::Invalid(
                "ami host must be 1 to 255 characters of letters, digits, '.', '-' and ':'".into(),
            ));
        }
        if ami.port == 0 {
            return Err(AdminError::Invalid("ami port must be from 1 to 65535".into()));
        }
        if !id_ok(ami.username, 20) {
            return Err(AdminError::Invalid("ami user must be 1 to 20 characters of letters, digits, _ and -".into()));
        }
        if ami.secret.is_empty() || ami.secret.chars().count() > 100 || ami.secret.chars().any(char::is_control) {
            return Err(AdminError::Invalid(
                "ami secret must be 1 to 100 characters with no control characters".into(),
            ));
        }
    }
    Ok(())
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
    let id = validate_template_id(template_id)?;
    if id.is_empty() {
        return Err(AdminError::Invalid("template_id is required".into()));
    }
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

/// Records that a server's conf files are current: clears `rebuild_conf_files` (what the conf
/// generator does after writing the files).
pub async fn conf_files_built(db: &Db, server_ip: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.write().await?;
    conf::claim_rebuild(&mut tx, server_ip).await?;
    tx.commit().await
}
