//! Phones' registration state: VICIdial's `phones.peer_status` and `phones.ping_time`, and the
//! `dialtone_phone_registration` row beside each phone (contact, user agent, last event, last
//! failure, whether Asterisk knows the peer).
//!
//! Queries only; the registration monitor (`service::registration`) decides what to write. Nothing
//! here marks a server for a conf rebuild.

use sqlx::SqliteConnection;

use crate::domain::registration::PeerStatus;

/// A phone's registration state as Asterisk last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegistrationRow {
    /// `phones.peer_status`.
    pub peer_status: PeerStatus,
    /// `phones.ping_time`: the last qualify round trip in milliseconds.
    pub ping_time: Option<i64>,
    /// Where the device registered from: `ip:port` (`chan_sip`, IAX2) or the contact URI (PJSIP).
    pub contact: Option<String>,
    /// The device's User-Agent, when Asterisk reported it (PJSIP contacts).
    pub user_agent: Option<String>,
    /// When Asterisk last reported a change for this peer (Unix seconds); `None`: never observed.
    pub last_event_at: Option<i64>,
    /// Why the last failed registration attempt failed, in plain words (kept after later successes).
    pub last_failure: Option<String>,
    /// When that failure was seen (Unix seconds).
    pub last_failure_at: Option<i64>,
    /// Asterisk listed the peer at the last load, or reported on it since. `false` also when nothing
    /// was observed yet (then `last_event_at` is `None`).
    pub known_to_asterisk: bool,
    /// How the registered address moved (registration flapping).
    pub moves: AddressMoves,
}

/// How a phone's registered address changed: the last one (kept while unregistered), the one before,
/// and how many changes were seen since when (the count starts again after an hour).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressMoves {
    /// The last address the device registered from.
    pub last_address: Option<String>,
    /// The address before it.
    pub previous_address: Option<String>,
    /// Changes counted since `since`.
    pub changes: i64,
    /// When the count started (Unix seconds).
    pub since: Option<i64>,
}

/// A phone of a server with the identity the monitor matches Asterisk's names against, and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneRegistration {
    /// `extension`: the peer name in Asterisk.
    pub extension: String,
    /// `protocol` (`SIP`, `IAX2`, `PJSIP`, `EXTERNAL`, `Zap`).
    pub protocol: String,
    /// `login`: what agents type; a device that registers with it instead of the extension fails.
    pub login: String,
    /// The stored state.
    pub state: RegistrationRow,
}

#[derive(sqlx::FromRow)]
struct Raw {
    extension: String,
    protocol: String,
    login: String,
    peer_status: String,
    ping_time: Option<i64>,
    contact: Option<String>,
    user_agent: Option<String>,
    last_event_at: Option<i64>,
    last_failure: Option<String>,
    last_failure_at: Option<i64>,
    known_to_asterisk: Option<i64>,
    last_address: Option<String>,
    previous_address: Option<String>,
    address_changes: Option<i64>,
    address_changes_since: Option<i64>,
}

impl From<Raw> for PhoneRegistration {
    fn from(r: Raw) -> Self {
        PhoneRegistration {
            extension: r.extension,
            protocol: r.protocol,
            login: r.login,
            state: RegistrationRow {
                // The column's CHECK allows only VICIdial's values; anything else reads as unknown.
                peer_status: PeerStatus::parse(&r.peer_status).unwrap_or_default(),
                ping_time: r.ping_time,
                contact: r.contact,
                user_agent: r.user_agent,
                last_event_at: r.last_event_at,
                last_failure: r.last_failure,
                last_failure_at: r.last_failure_at,
                known_to_asterisk: r.known_to_asterisk.unwrap_or(0) != 0,
                moves: AddressMoves {
                    last_address: r.last_address,
                    previous_address: r.previous_address,
                    changes: r.address_changes.unwrap_or(0),
                    since: r.address_changes_since,
                },
            },
        }
    }
}

/// The `SELECT` of a [`PhoneRegistration`] followed by `$tail` (`p` is `phones`, `r` the side row).
macro_rules! registration_query {
    ($tail:literal) => {
        concat!(
            "SELECT p.extension, p.protocol, p.login, p.peer_status, p.ping_time, r.contact, r.user_agent, \
             r.last_event_at, r.last_failure, r.last_failure_at, r.known_to_asterisk, r.last_address, \
             r.previous_address, r.address_changes, r.address_changes_since FROM phones p \
             LEFT JOIN dialtone_phone_registration r ON r.server_ip = p.server_ip AND r.extension = p.extension ",
            $tail
        )
    };
}

/// The registration state of the phone `extension` on `server_ip` (extension compared without case,
/// as the phones table does); `None` when there is no such phone.
pub async fn find_registration(
    conn: &mut SqliteConnection,
    server_ip: &str,
    extension: &str,
) -> sqlx::Result<Option<RegistrationRow>> {
    Ok(find_phone_registration(conn, server_ip, extension).await?.map(|p| p.state))
}

/// The phone `extension` on `server_ip` with its registration state.
pub async fn find_phone_registration(
    conn: &mut SqliteConnection,
    server_ip: &str,
    extension: &str,
) -> sqlx::Result<Option<PhoneRegistration>> {
    let raw = sqlx::query_as::<_, Raw>(registration_query!("WHERE p.server_ip = ? AND p.extension = ?"))
        .bind(server_ip)
        .bind(extension)
        .fetch_optional(conn)
        .await?;
    Ok(raw.map(PhoneRegistration::from))
}

/// The phone on `server_ip` whose `login` is `login` (compared without case), with its state.
pub async fn find_phone_by_login(
    conn: &mut SqliteConnection,
    server_ip: &str,
    login: &str,
) -> sqlx::Result<Option<PhoneRegistration>> {
    let raw = sqlx::query_as::<_, Raw>(registration_query!("WHERE p.login = ? AND p.server_ip = ?"))
        .bind(login)
        .bind(server_ip)
        .fetch_optional(conn)
        .await?;
    Ok(raw.map(PhoneRegistration::from))
}

/// Every phone of `server_ip` with protocol `protocol`, with its state (any order).
pub async fn list_server_registrations(
    conn: &mut SqliteConnection,
    server_ip: &str,
    protocol: &str,
) -> sqlx::Result<Vec<PhoneRegistration>> {
    let rows = sqlx::query_as::<_, Raw>(registration_query!("WHERE p.server_ip = ? AND p.protocol = ?"))
        .bind(server_ip)
        .bind(protocol)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(PhoneRegistration::from).collect())
}

/// Writes `new` for the phone `extension` of `server_ip`, whose stored state is `old`: the phones row
/// only when `peer_status` or `ping_time` changed, the side row only when one of its values changed.
/// Returns whether anything was written.
pub async fn store_registration(
    conn: &mut SqliteConnection,
    server_ip: &str,
    extension: &str,
    old: &RegistrationRow,
    new: &RegistrationRow,
) -> sqlx::Result<bool> {
    let mut wrote = false;
    if old.peer_status != new.peer_status || old.ping_time != new.ping_time {
        sqlx::query("UPDATE phones SET peer_status = ?, ping_time = ? WHERE server_ip = ? AND extension = ?")
            .bind(new.peer_status.as_str())
            .bind(new.ping_time)
            .bind(server_ip)
            .bind(extension)
            .execute(&mut *conn)
            .await?;
        wrote = true;
    }
    let side_changed = old.contact != new.contact
        || old.user_agent != new.user_agent
        || old.last_event_at != new.last_event_at
        || old.last_failure != new.last_failure
        || old.last_failure_at != new.last_failure_at
        || old.known_to_asterisk != new.known_to_asterisk
        || old.moves != new.moves;
    if side_changed {
        sqlx::query(
            "INSERT INTO dialtone_phone_registration (server_ip, extension, contact, user_agent, last_event_at, \
             last_failure, last_failure_at, known_to_asterisk, last_address, previous_address, address_changes, \
             address_changes_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (server_ip, extension) DO UPDATE SET contact = excluded.contact, \
             user_agent = excluded.user_agent, last_event_at = excluded.last_event_at, \
             last_failure = excluded.last_failure, last_failure_at = excluded.last_failure_at, \
             known_to_asterisk = excluded.known_to_asterisk, last_address = excluded.last_address, \
             previous_address = excluded.previous_address, address_changes = excluded.address_changes, \
             address_changes_since = excluded.address_changes_since",
        )
        .bind(server_ip)
        .bind(extension)
        .bind(new.contact.as_deref())
        .bind(new.user_agent.as_deref())
        .bind(new.last_event_at)
        .bind(new.last_failure.as_deref())
        .bind(new.last_failure_at)
        .bind(i64::from(new.known_to_asterisk))
        .bind(new.moves.last_address.as_deref())
        .bind(new.moves.previous_address.as_deref())
        .bind(new.moves.changes)
        .bind(new.moves.since)
        .execute(&mut *conn)
        .await?;
        wrote = true;
    }
    Ok(wrote)
}

/// AMI settings of one server, as the registration monitor needs them. Holds the AMI secret: its
/// `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServerAmiRow {
    /// `server_ip`
    pub server_ip: String,
    /// `active_asterisk_server`
    pub active_asterisk_server: String,
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
    /// `conf_applied_at`: when Asterisk last confirmed a reload of the generated files (Unix seconds).
    pub conf_applied_at: Option<i64>,
}

impl std::fmt::Debug for ServerAmiRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAmiRow")
            .field("server_ip", &self.server_ip)
            .field("active_asterisk_server", &self.active_asterisk_server)
            .field("telnet_host", &self.telnet_host)
            .field("telnet_port", &self.telnet_port)
            .field("ami_username", &self.ami_username)
            .field("ami_secret", &"[redacted]")
            .finish()
    }
}

/// Every server's AMI settings, by IP.
pub async fn list_server_ami(conn: &mut SqliteConnection) -> sqlx::Result<Vec<ServerAmiRow>> {
    sqlx::query_as::<_, ServerAmiRow>(
        "SELECT server_ip, active_asterisk_server, telnet_host, telnet_port, ASTmgrUSERNAME, ASTmgrSECRET, \
         conf_applied_at FROM servers ORDER BY server_ip",
    )
    .fetch_all(conn)
    .await
}
