//! `phones` rows: insert, find, update, delete, and the single-query conflict check the service runs
//! inside its write transaction.

use sqlx::SqliteConnection;

use crate::domain::PhoneEntry;

/// The phone columns a [`PhoneEntry`] covers, in one SELECT list (a macro so queries stay `&'static str`).
macro_rules! entry_columns {
    () => {
        "extension, dialplan_number, voicemail_id, login, pass, server_ip, protocol, conf_secret, \
     fullname, local_gmt, outbound_cid, email, phone_context, user_group, is_webphone, webphone_auto_answer, \
     use_external_server_ip, on_hook_agent, template_id, status, active, phone_type, phone_ring_timeout, \
     outbound_alt_cid, delete_vm_after_email, install_directory, peer_status, codecs_list, codecs_with_template"
    };
}

/// A stored phone, as text columns (VICIdial's names). Holds secrets: not `Serialize`, never logged.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PhoneRow {
    /// `extension`
    pub extension: String,
    /// `dialplan_number`
    pub dialplan_number: String,
    /// `voicemail_id`
    pub voicemail_id: String,
    /// `login`
    pub login: String,
    /// `pass` (secret)
    pub pass: String,
    /// `server_ip`
    pub server_ip: String,
    /// `protocol`
    pub protocol: String,
    /// `conf_secret` (secret)
    pub conf_secret: String,
    /// `fullname`
    pub fullname: String,
    /// `local_gmt`
    pub local_gmt: String,
    /// `outbound_cid`
    pub outbound_cid: String,
    /// `email`
    pub email: String,
    /// `phone_context`
    pub phone_context: String,
    /// `user_group`
    pub user_group: String,
    /// `is_webphone`
    pub is_webphone: String,
    /// `webphone_auto_answer`
    pub webphone_auto_answer: String,
    /// `use_external_server_ip`
    pub use_external_server_ip: String,
    /// `on_hook_agent`
    pub on_hook_agent: String,
    /// `template_id`
    pub template_id: String,
    /// `status`
    pub status: String,
    /// `active`
    pub active: String,
    /// `phone_type`
    pub phone_type: String,
    /// `phone_ring_timeout`
    pub phone_ring_timeout: i64,
    /// `outbound_alt_cid`
    pub outbound_alt_cid: String,
    /// `delete_vm_after_email`
    pub delete_vm_after_email: String,
    /// `install_directory`
    pub install_directory: String,
    /// `peer_status`
    pub peer_status: String,
    /// `codecs_list`: the codecs the generated peer allows (empty: the system default).
    pub codecs_list: String,
    /// `codecs_with_template`: `1` writes the codecs even when the template has its own.
    pub codecs_with_template: String,
}

impl std::fmt::Debug for PhoneRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneRow")
            .field("extension", &self.extension)
            .field("server_ip", &self.server_ip)
            .field("login", &self.login)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

/// Inserts a phone; parameters in [`PhoneEntry`] field order (used by the phone writer thread).
pub(crate) const INSERT_PHONE: &str = "INSERT INTO phones (extension, dialplan_number, voicemail_id, login, pass, \
     server_ip, protocol, conf_secret, fullname, local_gmt, outbound_cid, email, phone_context, user_group, is_webphone, \
     webphone_auto_answer, use_external_server_ip, on_hook_agent, template_id, status, active, phone_type, \
     phone_ring_timeout, outbound_alt_cid, delete_vm_after_email) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Replaces the entry columns of the phone `(extension, server_ip)` with `e` (which may change the
/// key itself). `install_directory` is blanked, as VICIdial's `update_phone` does.
pub async fn update_phone(
    conn: &mut SqliteConnection,
    extension: &str,
    server_ip: &str,
    e: &PhoneEntry,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE phones SET install_directory = '', extension = ?, dialplan_number = ?, voicemail_id = ?, login = ?, \
         pass = ?, server_ip = ?, protocol = ?, conf_secret = ?, fullname = ?, local_gmt = ?, outbound_cid = ?, \
         email = ?, phone_context = ?, user_group = ?, is_webphone = ?, webphone_auto_answer = ?, \
         use_external_server_ip = ?, on_hook_agent = ?, template_id = ?, status = ?, active = ?, phone_type = ?, \
         phone_ring_timeout = ?, outbound_alt_cid = ?, delete_vm_after_email = ? \
         WHERE extension = ? AND server_ip = ?",
    )
    .bind(&e.extension)
    .bind(&e.dialplan_number)
    .bind(&e.voicemail_id)
    .bind(&e.phone_login)
    .bind(&e.phone_pass)
    .bind(&e.server_ip)
    .bind(e.protocol.as_str())
    .bind(&e.registration_password)
    .bind(&e.phone_full_name)
    .bind(&e.local_gmt)
    .bind(&e.outbound_cid)
    .bind(&e.email)
    .bind(&e.phone_context)
    .bind(&e.user_group)
    .bind(e.is_webphone.as_str())
    .bind(e.webphone_auto_answer.as_str())
    .bind(e.use_external_server_ip.as_str())
    .bind(e.on_hook_agent.as_str())
    .bind(&e.template_id)
    .bind(e.status.as_str())
    .bind(e.active.as_str())
    .bind(&e.phone_type)
    .bind(i64::from(e.phone_ring_timeout))
    .bind(&e.outbound_alt_cid)
    .bind(e.delete_vm_after_email.as_str())
    .bind(extension)
    .bind(server_ip)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Finds the phone `(extension, server_ip)` (case-insensitive extension, as VICIdial's collation).
pub async fn find_phone(
    conn: &mut SqliteConnection,
    extension: &str,
    server_ip: &str,
) -> sqlx::Result<Option<PhoneRow>> {
    sqlx::query_as::<_, PhoneRow>(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM phones WHERE extension = ? AND server_ip = ?"
    ))
    .bind(extension)
    .bind(server_ip)
    .fetch_optional(conn)
    .await
}

/// Finds a phone by its login.
pub async fn find_phone_by_login(conn: &mut SqliteConnection, login: &str) -> sqlx::Result<Option<PhoneRow>> {
    sqlx::query_as::<_, PhoneRow>(concat!("SELECT ", entry_columns!(), " FROM phones WHERE login = ?"))
        .bind(login)
        .fetch_optional(conn)
        .await
}

/// The login passwords of the phones with these logins, as `(login, pass)` (secrets: for comparing
/// only, never shown).
pub async fn login_passwords(conn: &mut SqliteConnection, logins: &[&str]) -> sqlx::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for login in logins {
        if let Some(row) = sqlx::query_as::<_, (String, String)>("SELECT login, pass FROM phones WHERE login = ?")
            .bind(login)
            .fetch_optional(&mut *conn)
            .await?
        {
            out.push(row);
        }
    }
    Ok(out)
}

/// The distinct user groups of the phones, in order (the remote-agents filter).
pub async fn user_groups(conn: &mut SqliteConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT DISTINCT user_group FROM phones ORDER BY user_group").fetch_all(conn).await
}

/// Deletes the phone `(extension, server_ip)`; returns the rows deleted.
pub async fn delete_phone(conn: &mut SqliteConnection, extension: &str, server_ip: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM phones WHERE extension = ? AND server_ip = ?")
        .bind(extension)
        .bind(server_ip)
        .execute(conn)
        .await?
        .rows_affected())
}

/// What stands in the way of a new phone, found with one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Conflicts {
    /// The server row exists.
    pub server_exists: bool,
    /// Another phone has this extension on this server.
    pub extension_taken: bool,
    /// Another phone has this login (any server).
    pub login_taken: bool,
    /// A phone alias has this login as its id.
    pub login_is_alias: bool,
}

/// The conflict check: `?1` server IP, `?2` extension, `?3` login, `?4`/`?5` the phone to ignore
/// (shared with the phone writer thread).
pub(crate) const FIND_CONFLICTS: &str = "SELECT \
       EXISTS (SELECT 1 FROM servers WHERE server_ip = ?1) AS server_exists, \
       EXISTS (SELECT 1 FROM phones WHERE extension = ?2 AND server_ip = ?1 \
               AND NOT (extension = ?4 AND server_ip = ?5)) AS extension_taken, \
       EXISTS (SELECT 1 FROM phones WHERE login = ?3 AND NOT (extension = ?4 AND server_ip = ?5)) AS login_taken, \
       EXISTS (SELECT 1 FROM phones_alias WHERE alias_id = ?3) AS login_is_alias";

/// Checks server existence, extension and login uniqueness and alias collision for a phone
/// `(extension, server_ip, login)`, ignoring the phone currently stored as `exclude` (for updates).
pub async fn find_conflicts(
    conn: &mut SqliteConnection,
    extension: &str,
    server_ip: &str,
    login: &str,
    exclude: Option<(&str, &str)>,
) -> sqlx::Result<Conflicts> {
    let (ex_ext, ex_ip) = exclude.unwrap_or(("", ""));
    sqlx::query_as::<_, Conflicts>(FIND_CONFLICTS)
        .bind(server_ip)
        .bind(extension)
        .bind(login)
        .bind(ex_ext)
        .bind(ex_ip)
        .fetch_one(conn)
        .await
}

/// Which of `logins` have no phone; in the given order.
pub async fn missing_logins(conn: &mut SqliteConnection, logins: &[&str]) -> sqlx::Result<Vec<String>> {
    let mut missing = Vec::new();
    for login in logins {
        let found: i64 = sqlx::query_scalar("SELECT count(*) FROM phones WHERE login = ?")
            .bind(*login)
            .fetch_one(&mut *conn)
            .await?;
        if found == 0 {
            missing.push((*login).to_string());
        }
    }
    Ok(missing)
}

/// Number of phones stored.
pub async fn count_phones(conn: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM phones").fetch_one(conn).await
}
