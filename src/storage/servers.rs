//! `servers` rows: Asterisk servers phones belong to.

use sqlx::SqliteConnection;

/// A server row (the columns Dialtone uses).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServerRow {
    /// `server_id`
    pub server_id: String,
    /// `server_description`
    pub server_description: String,
    /// `server_ip`
    pub server_ip: String,
    /// `active`
    pub active: String,
    /// `local_gmt`
    pub local_gmt: String,
    /// `generate_vicidial_conf`
    pub generate_vicidial_conf: String,
    /// `active_asterisk_server`
    pub active_asterisk_server: String,
    /// `rebuild_conf_files`
    pub rebuild_conf_files: String,
    /// `active_agent_login_server`
    pub active_agent_login_server: String,
}

/// Values for a new server (`local_gmt` and the other columns keep VICIdial's defaults).
#[derive(Debug, Clone)]
pub struct NewServer<'a> {
    /// `server_id` (1-10 letters, digits, `_`, `-`).
    pub server_id: &'a str,
    /// `server_ip`: dotted IPv4 address.
    pub server_ip: &'a str,
    /// `server_description`
    pub description: &'a str,
    /// `generate_vicidial_conf`
    pub generate_vicidial_conf: bool,
    /// `asterisk_version` (decides the dialplan syntax written for its phones).
    pub asterisk_version: &'a str,
    /// AMI settings (`telnet_host`, `telnet_port`, `ASTmgrUSERNAME`, `ASTmgrSECRET`); `None` stores an
    /// empty host: the server has no AMI and its Asterisk is reloaded by hand.
    pub ami: Option<AmiSettings<'a>>,
}

/// A server's Asterisk Manager Interface settings.
#[derive(Clone)]
pub struct AmiSettings<'a> {
    /// Host name or IP.
    pub host: &'a str,
    /// TCP port (5038).
    pub port: u16,
    /// Manager user.
    pub username: &'a str,
    /// Manager secret (secret).
    pub secret: &'a str,
}

impl std::fmt::Debug for AmiSettings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmiSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// Inserts a server.
pub async fn insert_server(conn: &mut SqliteConnection, s: &NewServer<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO servers (server_id, server_ip, server_description, generate_vicidial_conf, \
         asterisk_version, telnet_host, telnet_port, ASTmgrUSERNAME, ASTmgrSECRET) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(s.server_id)
    .bind(s.server_ip)
    .bind(s.description)
    .bind(if s.generate_vicidial_conf { "Y" } else { "N" })
    .bind(s.asterisk_version)
    .bind(s.ami.as_ref().map_or("", |a| a.host))
    .bind(s.ami.as_ref().map_or(5038, |a| a.port))
    .bind(s.ami.as_ref().map_or("", |a| a.username))
    .bind(s.ami.as_ref().map_or("", |a| a.secret))
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a server with this IP exists (VICIdial ignores `active` here).
pub async fn server_exists(conn: &mut SqliteConnection, server_ip: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM servers WHERE server_ip = ?")
        .bind(server_ip)
        .fetch_one(conn)
        .await
        .map(|n| n > 0)
}

/// Lists every server, by IP.
pub async fn list_servers(conn: &mut SqliteConnection) -> sqlx::Result<Vec<ServerRow>> {
    sqlx::query_as::<_, ServerRow>(
        "SELECT server_id, server_description, server_ip, active, local_gmt, generate_vicidial_conf, \
         active_asterisk_server, rebuild_conf_files, active_agent_login_server FROM servers ORDER BY server_ip",
    )
    .fetch_all(conn)
    .await
}

/// Marks one server for a rebuild (shared with the phone writer thread).
pub(crate) const MARK_REBUILD: &str = "UPDATE servers SET rebuild_conf_files = 'Y' WHERE generate_vicidial_conf = 'Y' \
     AND active_asterisk_server = 'Y' AND server_ip = ? AND rebuild_conf_files != 'Y'";

/// Marks one server for a conf rebuild, as VICIdial does after a phone change: only servers that
/// generate conf files and run Asterisk.
pub async fn mark_rebuild(conn: &mut SqliteConnection, server_ip: &str) -> sqlx::Result<()> {
    sqlx::query(MARK_REBUILD).bind(server_ip).execute(conn).await?;
    Ok(())
}

/// Marks every server for a rebuild (`server_refresh`); returns the number of rows VICIdial would
/// report as affected (servers whose flag changed).
pub async fn mark_all_rebuild(conn: &mut SqliteConnection) -> sqlx::Result<u64> {
    Ok(sqlx::query("UPDATE servers SET rebuild_conf_files = 'Y' WHERE rebuild_conf_files != 'Y'")
        .execute(conn)
        .await?
        .rows_affected())
}

/// The GMT offset of the first active server (VICIdial's `version` TZ).
pub async fn first_active_gmt(conn: &mut SqliteConnection) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT local_gmt FROM servers WHERE active = 'Y' ORDER BY rowid LIMIT 1")
        .fetch_optional(conn)
        .await
}

/// Sets `system_settings.reload_timestamp`.
pub async fn touch_reload_timestamp(conn: &mut SqliteConnection, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE system_settings SET reload_timestamp = ? WHERE id = 1").bind(now).execute(conn).await?;
    Ok(())
}

// ---- Server records and settings for the web admin's servers pages ----

/// Every column of a server the web admin shows or edits. Holds the AMI secret: not `Serialize`, and
/// its `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServerRecord {
    /// `server_id`
    pub server_id: String,
    /// `server_description`
    pub server_description: String,
    /// `server_ip`
    pub server_ip: String,
    /// `active`
    pub active: String,
    /// `asterisk_version`
    pub asterisk_version: String,
    /// `local_gmt`
    pub local_gmt: String,
    /// `ext_context`
    pub ext_context: String,
    /// `active_asterisk_server`
    pub active_asterisk_server: String,
    /// `generate_vicidial_conf`
    pub generate_vicidial_conf: String,
    /// `rebuild_conf_files`
    pub rebuild_conf_files: String,
    /// `active_agent_login_server`
    pub active_agent_login_server: String,
    /// `external_server_ip`
    pub external_server_ip: String,
    /// `web_socket_url`
    pub web_socket_url: String,
    /// `allowed_sip_stacks`: `SIP`, `PJSIP` or `SIP_and_PJSIP`.
    pub allowed_sip_stacks: String,
    /// `telnet_host`: the AMI host; empty when the server has no AMI settings.
    pub telnet_host: String,
    /// `telnet_port`
    pub telnet_port: i64,
    /// `ASTmgrUSERNAME`
    #[sqlx(rename = "ASTmgrUSERNAME")]
    pub ami_username: String,
    /// `ASTmgrSECRET` (secret)
    #[sqlx(rename = "ASTmgrSECRET")]
    pub ami_secret: String,
}

impl std::fmt::Debug for ServerRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerRecord")
            .field("server_id", &self.server_id)
            .field("server_ip", &self.server_ip)
            .field("telnet_host", &self.telnet_host)
            .field("ami_secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// The `SELECT` of a [`ServerRecord`] followed by `$tail` (sqlx wants `'static` query text).
macro_rules! server_record_query {
    ($tail:literal) => {
        concat!(
            "SELECT server_id, server_description, server_ip, active, asterisk_version, local_gmt, ext_context, \
             active_asterisk_server, generate_vicidial_conf, rebuild_conf_files, active_agent_login_server, \
             external_server_ip, web_socket_url, allowed_sip_stacks, telnet_host, telnet_port, ASTmgrUSERNAME, \
             ASTmgrSECRET FROM servers ",
            $tail
        )
    };
}

/// Every setting of a server the web admin writes; the other columns keep their values (or, for a new
/// server, VICIdial's defaults).
#[derive(Debug, Clone)]
pub struct ServerSettings<'a> {
    /// `server_id` (1-10 letters, digits, `_`, `-`).
    pub server_id: &'a str,
    /// `server_ip`: dotted IPv4 address. The key: an update never changes it.
    pub server_ip: &'a str,
    /// `server_description`
    pub description: &'a str,
    /// `active`
    pub active: bool,
    /// `asterisk_version`
    pub asterisk_version: &'a str,
    /// `local_gmt`; `None` keeps the stored value (the column default for a new server).
    pub local_gmt: Option<&'a str>,
    /// `ext_context`
    pub ext_context: &'a str,
    /// `active_asterisk_server`
    pub active_asterisk_server: bool,
    /// `generate_vicidial_conf`
    pub generate_vicidial_conf: bool,
    /// `active_agent_login_server`
    pub active_agent_login_server: bool,
    /// `external_server_ip`
    pub external_server_ip: &'a str,
    /// `web_socket_url`
    pub web_socket_url: &'a str,
    /// `allowed_sip_stacks`
    pub allowed_sip_stacks: &'a str,
    /// AMI settings; `None` stores an empty host, user and secret (no AMI), as [`NewServer`] does.
    pub ami: Option<AmiSettings<'a>>,
}

fn yn(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// One server with every column the web admin uses.
pub async fn find_server_record(conn: &mut SqliteConnection, server_ip: &str) -> sqlx::Result<Option<ServerRecord>> {
    sqlx::query_as::<_, ServerRecord>(server_record_query!("WHERE server_ip = ?"))
        .bind(server_ip)
        .fetch_optional(conn)
        .await
}

/// Every server with every column the web admin uses, by IP.
pub async fn list_server_records(conn: &mut SqliteConnection) -> sqlx::Result<Vec<ServerRecord>> {
    sqlx::query_as::<_, ServerRecord>(server_record_query!("ORDER BY server_ip")).fetch_all(conn).await
}

/// The `server_ip` of the server whose `server_id` is `server_id` (compared as VICIdial does,
/// case-insensitively), if any.
pub async fn server_id_owner(conn: &mut SqliteConnection, server_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT server_ip FROM servers WHERE server_id = ?").bind(server_id).fetch_optional(conn).await
}

/// Inserts a server with every web admin setting (`rebuild_conf_files` keeps its default `Y`, so the
/// new server's files are built at once; `local_gmt` its default when not given).
pub async fn insert_server_settings(conn: &mut SqliteConnection, s: &ServerSettings<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO servers (server_id, server_ip, server_description, active, asterisk_version, \
         ext_context, active_asterisk_server, generate_vicidial_conf, active_agent_login_server, external_server_ip, \
         web_socket_url, allowed_sip_stacks, telnet_host, telnet_port, ASTmgrUSERNAME, ASTmgrSECRET) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(s.server_id)
    .bind(s.server_ip)
    .bind(s.description)
    .bind(yn(s.active))
    .bind(s.asterisk_version)
    .bind(s.ext_context)
    .bind(yn(s.active_asterisk_server))
    .bind(yn(s.generate_vicidial_conf))
    .bind(yn(s.active_agent_login_server))
    .bind(s.external_server_ip)
    .bind(s.web_socket_url)
    .bind(s.allowed_sip_stacks)
    .bind(s.ami.as_ref().map_or("", |a| a.host))
    .bind(s.ami.as_ref().map_or(5038, |a| a.port))
    .bind(s.ami.as_ref().map_or("", |a| a.username))
    .bind(s.ami.as_ref().map_or("", |a| a.secret))
    .execute(&mut *conn)
    .await?;
    if let Some(gmt) = s.local_gmt {
        sqlx::query("UPDATE servers SET local_gmt = ? WHERE server_ip = ?")
            .bind(gmt)
            .bind(s.server_ip)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Writes every web admin setting of the server `s.server_ip` (which is the key and is not changed);
/// returns whether the server exists.
pub async fn update_server_settings(conn: &mut SqliteConnection, s: &ServerSettings<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE servers SET server_id = ?, server_description = ?, active = ?, asterisk_version = ?, \
         local_gmt = coalesce(?, local_gmt), ext_context = ?, active_asterisk_server = ?, generate_vicidial_conf = ?, \
         active_agent_login_server = ?, external_server_ip = ?, web_socket_url = ?, allowed_sip_stacks = ?, \
         telnet_host = ?, telnet_port = ?, ASTmgrUSERNAME = ?, ASTmgrSECRET = ? WHERE server_ip = ?",
    )
    .bind(s.server_id)
    .bind(s.description)
    .bind(yn(s.active))
    .bind(s.asterisk_version)
    .bind(s.local_gmt)
    .bind(s.ext_context)
    .bind(yn(s.active_asterisk_server))
    .bind(yn(s.generate_vicidial_conf))
    .bind(yn(s.active_agent_login_server))
    .bind(s.external_server_ip)
    .bind(s.web_socket_url)
    .bind(s.allowed_sip_stacks)
    .bind(s.ami.as_ref().map_or("", |a| a.host))
    .bind(s.ami.as_ref().map_or(5038, |a| a.port))
    .bind(s.ami.as_ref().map_or("", |a| a.username))
    .bind(s.ami.as_ref().map_or("", |a| a.secret))
    .bind(s.server_ip)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A server's `allowed_sip_stacks` (`None` when no server has this IP).
pub async fn sip_stacks(conn: &mut SqliteConnection, server_ip: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar::<_, String>("SELECT allowed_sip_stacks FROM servers WHERE server_ip = ?")
        .bind(server_ip)
        .fetch_optional(conn)
        .await
}

/// Every server as (`server_ip`, `server_id`, `allowed_sip_stacks`), by IP.
pub async fn server_choices(conn: &mut SqliteConnection) -> sqlx::Result<Vec<(String, String, String)>> {
    sqlx::query_as::<_, (String, String, String)>(
        "SELECT server_ip, server_id, allowed_sip_stacks FROM servers ORDER BY server_ip",
    )
    .fetch_all(conn)
    .await
}
