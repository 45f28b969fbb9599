//! The conf generator's reads and bookkeeping: which servers need work, the phones and templates a
//! server's files are built from, and the generation/reload state recorded on `servers`.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::domain::asterisk_conf::ConfPhone;

/// A server's conf-generation settings and state.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServerConfRow {
    /// `server_ip`
    pub server_ip: String,
    /// `server_id`
    pub server_id: String,
    /// `asterisk_version`
    pub asterisk_version: String,
    /// `generate_vicidial_conf`
    pub generate_vicidial_conf: String,
    /// `active_asterisk_server`
    pub active_asterisk_server: String,
    /// `rebuild_conf_files`
    pub rebuild_conf_files: String,
    /// `conf_generated_at` (Unix seconds)
    pub conf_generated_at: Option<i64>,
    /// `conf_refused`
    pub conf_refused: String,
    /// `conf_reload_pending`: file names waiting for a confirmed reload.
    pub conf_reload_pending: String,
    /// `conf_applied_at` (Unix seconds)
    pub conf_applied_at: Option<i64>,
    /// `conf_apply_error`
    pub conf_apply_error: String,
    /// `conf_apply_attempt_at` (Unix seconds)
    pub conf_apply_attempt_at: Option<i64>,
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

impl std::fmt::Debug for ServerConfRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfRow")
            .field("server_ip", &self.server_ip)
            .field("rebuild_conf_files", &self.rebuild_conf_files)
            .field("conf_generated_at", &self.conf_generated_at)
            .field("conf_reload_pending", &self.conf_reload_pending)
            .field("telnet_host", &self.telnet_host)
            .field("telnet_port", &self.telnet_port)
            .field("ami_secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl ServerConfRow {
    /// Whether VICIdial's keepalive would generate this server's files.
    pub fn generates(&self) -> bool {
        self.generate_vicidial_conf == "Y" && self.active_asterisk_server == "Y"
    }

    /// Whether the server has AMI settings (a host and a user).
    pub fn ami_configured(&self) -> bool {
        !self.telnet_host.is_empty() && !self.ami_username.is_empty()
    }
}

const SERVER_CONF_COLUMNS: &str = "SELECT server_ip, server_id, asterisk_version, generate_vicidial_conf, \
     active_asterisk_server, rebuild_conf_files, conf_generated_at, conf_refused, conf_reload_pending, \
     conf_applied_at, conf_apply_error, conf_apply_attempt_at, telnet_host, telnet_port, ASTmgrUSERNAME, \
     ASTmgrSECRET FROM servers";

/// One server's conf state.
pub async fn server_conf(conn: &mut SqliteConnection, server_ip: &str) -> sqlx::Result<Option<ServerConfRow>> {
    sqlx::query_as::<_, ServerConfRow>(sqlx::AssertSqlSafe(format!("{SERVER_CONF_COLUMNS} WHERE server_ip = ?")))
        .bind(server_ip)
        .fetch_optional(conn)
        .await
}

/// Every server's conf state, by IP.
pub async fn all_server_conf(conn: &mut SqliteConnection) -> sqlx::Result<Vec<ServerConfRow>> {
    sqlx::query_as::<_, ServerConfRow>(sqlx::AssertSqlSafe(format!("{SERVER_CONF_COLUMNS} ORDER BY server_ip")))
        .fetch_all(conn)
        .await
}

/// Servers with work for the generator: marked for a rebuild (and generating, as VICIdial requires),
/// or with a reload still to confirm whose last attempt is older than `retry_before`.
pub async fn servers_needing_work(conn: &mut SqliteConnection, retry_before: i64) -> sqlx::Result<Vec<ServerConfRow>> {
    sqlx::query_as::<_, ServerConfRow>(sqlx::AssertSqlSafe(format!(
        "{SERVER_CONF_COLUMNS} WHERE (rebuild_conf_files = 'Y' AND generate_vicidial_conf = 'Y' \
         AND active_asterisk_server = 'Y') OR (conf_reload_pending != '' \
         AND (conf_apply_attempt_at IS NULL OR conf_apply_attempt_at < ?)) ORDER BY server_ip"
    )))
    .bind(retry_before)
    .fetch_all(conn)
    .await
}

/// Clears a server's rebuild flag before its files are read and built (as VICIdial does), so a change
/// committed during the build marks it again. Returns whether the flag was set.
pub async fn claim_rebuild(conn: &mut SqliteConnection, server_ip: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("UPDATE servers SET rebuild_conf_files = 'N' WHERE server_ip = ? AND rebuild_conf_files = 'Y'")
        .bind(server_ip)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// Sets a server's rebuild flag again (after a failed build, so it is retried).
pub async fn remark_rebuild(conn: &mut SqliteConnection, server_ip: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE servers SET rebuild_conf_files = 'Y' WHERE server_ip = ?")
        .bind(server_ip)
        .execute(conn)
        .await?;
    Ok(())
}

const CONF_PHONE_COLUMNS: &str = "SELECT extension, dialplan_number, voicemail_id, protocol, active, conf_secret, \
     fullname, outbound_cid, phone_context, phone_ring_timeout, template_id, conf_override, codecs_list, \
     codecs_with_template, voicemail_instructions, unavail_dialplan_fwd_exten, unavail_dialplan_fwd_context, \
     conf_qualify, mohsuggest FROM phones";

/// Rows read per read transaction by [`ConfPhoneChunks`].
const CONF_CHUNK: i64 = 1000;

/// The active phones of a server that have a peer (the rows VICIdial's keepalive reads), in the order
/// the generator writes them: IAX2, SIP, then PJSIP, each by extension; read with `rusqlite` from a
/// read-only connection of its own, [`CONF_CHUNK`] rows per call of [`Self::next_chunk`], each in a read
/// transaction that has ended when the call returns. Tens of thousands of rows are never held at once,
/// and no snapshot is held while the rows are built into conf: the build runs at idle priority and can
/// wait seconds for a core under load, and a snapshot held that long stops the write-ahead log from
/// starting again (measured: 662 MB of log in 10 s at 8 connections with 120,000 phones). A phone
/// changed during a build may be seen before or after its change (a renamed one in both places or in
/// neither); its change marked the server again after the build claimed it, so the next build, a
/// debounce later, is exact. Blocking.
pub struct ConfPhoneChunks {
    conn: rusqlite::Connection,
    server_ip: String,
    /// Index in [`CONF_PROTOCOLS`] of the protocol being read; past the end when done.
    protocol: usize,
    /// The last extension read of that protocol.
    after: Option<String>,
}

/// The protocols with a peer, in the generator's order.
const CONF_PROTOCOLS: [&str; 3] = ["IAX2", "SIP", "PJSIP"];

impl ConfPhoneChunks {
    /// Opens the database file at `path` to read the phones of `server_ip`.
    pub fn open(path: &str, server_ip: &str) -> rusqlite::Result<ConfPhoneChunks> {
        Ok(ConfPhoneChunks { conn: open_read_only(path)?, server_ip: server_ip.to_string(), protocol: 0, after: None })
    }

    /// The next rows, at most [`CONF_CHUNK`]; `None` once every phone was read.
    pub fn next_chunk(&mut self) -> rusqlite::Result<Option<Vec<ConfPhone>>> {
        let select = |after: &str| {
            format!(
                "{CONF_PHONE_COLUMNS} WHERE server_ip = ?1 AND protocol = ?2 AND active = 'Y' {after} \
                 ORDER BY extension LIMIT {CONF_CHUNK}"
            )
        };
        while let Some(protocol) = CONF_PROTOCOLS.get(self.protocol) {
            let chunk = match &self.after {
                None => self
                    .conn
                    .prepare_cached(&select(""))?
                    .query_map(rusqlite::params![self.server_ip, protocol], conf_phone_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
                Some(last) => self
                    .conn
                    .prepare_cached(&select("AND extension > ?3"))?
                    .query_map(rusqlite::params![self.server_ip, protocol, last], conf_phone_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            };
            if i64::try_from(chunk.len()).unwrap_or(i64::MAX) < CONF_CHUNK {
                self.protocol += 1;
                self.after = None;
            } else {
                self.after = chunk.last().map(|p| p.extension.clone());
            }
            if !chunk.is_empty() {
                return Ok(Some(chunk));
            }
        }
        Ok(None)
    }
}

fn conf_phone_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConfPhone> {
    Ok(ConfPhone {
        extension: r.get(0)?,
        dialplan_number: r.get(1)?,
        voicemail_id: r.get(2)?,
        protocol: r.get(3)?,
        active: r.get::<_, String>(4)? == "Y",
        conf_secret: r.get(5)?,
        fullname: r.get(6)?,
        outbound_cid: r.get(7)?,
        phone_context: r.get(8)?,
        phone_ring_timeout: r.get(9)?,
        template_id: r.get(10)?,
        conf_override: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        codecs_list: r.get(12)?,
        codecs_with_template: r.get::<_, String>(13)? == "1",
        voicemail_instructions: r.get::<_, String>(14)? == "Y",
        unavail_dialplan_fwd_exten: r.get(15)?,
        unavail_dialplan_fwd_context: r.get(16)?,
        conf_qualify: r.get::<_, String>(17)? == "Y",
        mohsuggest: r.get(18)?,
    })
}

/// A read-only `rusqlite` connection to the database file (for bulk reads on a blocking thread).
pub(crate) fn open_read_only(path: &str) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// `PRAGMA data_version` of `conn`: it changes when any other connection, or process, commits. Inside a
/// read transaction it is the version of the transaction's snapshot.
pub(crate) fn data_version(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

/// One phone's generator columns (any protocol, active or not). Blocking, like [`ConfPhoneChunks`].
pub fn conf_phone(path: &str, extension: &str, server_ip: &str) -> rusqlite::Result<Option<ConfPhone>> {
    use rusqlite::OptionalExtension;
    open_read_only(path)?
        .query_row(
            &format!("{CONF_PHONE_COLUMNS} WHERE extension = ?1 AND server_ip = ?2"),
            [extension, server_ip],
            conf_phone_from_row,
        )
        .optional()
}

/// Every template's contents, keyed by lower-cased id (ids compare case-insensitively).
pub async fn templates_by_id(conn: &mut SqliteConnection) -> sqlx::Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT template_id, template_contents FROM vicidial_conf_templates").fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id, contents)| (id.to_ascii_lowercase(), contents)).collect())
}

/// One template's contents.
pub async fn template_contents(conn: &mut SqliteConnection, template_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT template_contents FROM vicidial_conf_templates WHERE template_id = ?")
        .bind(template_id)
        .fetch_optional(conn)
        .await
}

/// `system_settings.default_codecs` and `reload_timestamp` (Unix seconds, 0 when never).
pub async fn conf_settings(conn: &mut SqliteConnection) -> sqlx::Result<(String, i64)> {
    sqlx::query_as("SELECT default_codecs, reload_timestamp FROM system_settings WHERE id = 1").fetch_one(conn).await
}

/// Marks for a rebuild every generating server with a phone that uses `template_id`.
pub async fn mark_template_servers(conn: &mut SqliteConnection, template_id: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE servers SET rebuild_conf_files = 'Y' WHERE generate_vicidial_conf = 'Y' \
         AND active_asterisk_server = 'Y' AND rebuild_conf_files != 'Y' \
         AND server_ip IN (SELECT server_ip FROM phones WHERE template_id = ?)",
    )
    .bind(template_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Records a finished generation: when, the refused phones, and the files now waiting for a reload.
/// Clears the last error (a failed write, or a reload error that the reload following this generation
/// reports again if it persists).
pub async fn record_generation(
    conn: &mut SqliteConnection,
    server_ip: &str,
    at: i64,
    refused: &str,
    reload_pending: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE servers SET conf_generated_at = ?, conf_refused = ?, conf_reload_pending = ?, conf_apply_error = '' \
         WHERE server_ip = ?",
    )
    .bind(at)
    .bind(refused)
    .bind(reload_pending)
    .bind(server_ip)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a reload attempt: on success clears the pending files and the error and sets `applied_at`;
/// on failure keeps the pending files and stores the error.
pub async fn record_apply(
    conn: &mut SqliteConnection,
    server_ip: &str,
    at: i64,
    error: Option<&str>,
) -> sqlx::Result<()> {
    match error {
        None => sqlx::query(
            "UPDATE servers SET conf_applied_at = ?, conf_apply_attempt_at = ?, conf_apply_error = '', \
             conf_reload_pending = '' WHERE server_ip = ?",
        )
        .bind(at)
        .bind(at),
        Some(e) => {
            sqlx::query("UPDATE servers SET conf_apply_attempt_at = ?, conf_apply_error = ? WHERE server_ip = ?")
                .bind(at)
                .bind(e)
        }
    }
    .bind(server_ip)
    .execute(conn)
    .await?;
    Ok(())
}
