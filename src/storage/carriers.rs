//! `vicidial_server_carriers` rows: the trunks of each Asterisk server and their dialplan entries.
//!
//! SQL only: takes a connection, returns `sqlx::Result`; the rules are `domain::carrier`'s and the
//! transactions and audit entries the service's.

use sqlx::SqliteConnection;

use crate::domain::carrier::Carrier;

/// A stored carrier, every column. `registration_string` and `account_entry` may hold the trunk's
/// password: not `Debug`-printed, and never to be shown or logged.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CarrierRow {
    /// `carrier_id`
    pub carrier_id: String,
    /// `carrier_name`
    pub carrier_name: String,
    /// `registration_string` (may hold a secret).
    pub registration_string: String,
    /// `template_id` (kept as stored; Dialtone does not edit it).
    pub template_id: String,
    /// `account_entry`: the trunk's peer definition (may hold a secret; kept as stored, never shown).
    pub account_entry: String,
    /// `protocol`: SIP, PJSIP, `PJSIP_WIZ`, IAX2, Zap or EXTERNAL.
    pub protocol: String,
    /// `globals_string` (kept as stored).
    pub globals_string: String,
    /// `dialplan_entry`: the `exten =>` lines.
    pub dialplan_entry: String,
    /// `server_ip`
    pub server_ip: String,
    /// `active`: Y or N.
    pub active: String,
    /// `carrier_description`
    pub carrier_description: String,
    /// `user_group` (kept as stored).
    pub user_group: String,
}

impl std::fmt::Debug for CarrierRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierRow")
            .field("carrier_id", &self.carrier_id)
            .field("server_ip", &self.server_ip)
            .field("protocol", &self.protocol)
            .field("active", &self.active)
            .field("registration_string", &"[redacted]")
            .field("account_entry", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// `SELECT` of every column, followed by `$rest` (a literal, so the query stays a static string).
macro_rules! select_carriers {
    ($rest:literal) => {
        concat!(
            "SELECT carrier_id, carrier_name, registration_string, template_id, account_entry, protocol, \
             globals_string, dialplan_entry, server_ip, active, carrier_description, user_group \
             FROM vicidial_server_carriers ",
            $rest
        )
    };
}

/// Every carrier, by `carrier_id`.
pub async fn list_carriers(conn: &mut SqliteConnection) -> sqlx::Result<Vec<CarrierRow>> {
    sqlx::query_as::<_, CarrierRow>(select_carriers!("ORDER BY carrier_id")).fetch_all(conn).await
}

/// The carriers of one server, active and inactive, by `carrier_id` (the `(server_ip, carrier_id)`
/// index). Its callers decide what an inactive carrier means.
pub async fn list_server_carriers(conn: &mut SqliteConnection, server_ip: &str) -> sqlx::Result<Vec<CarrierRow>> {
    sqlx::query_as::<_, CarrierRow>(select_carriers!("WHERE server_ip = ? ORDER BY carrier_id"))
        .bind(server_ip)
        .fetch_all(conn)
        .await
}

/// One carrier (`carrier_id` compared case-insensitively, as VICIdial's collation does).
pub async fn find_carrier(conn: &mut SqliteConnection, carrier_id: &str) -> sqlx::Result<Option<CarrierRow>> {
    sqlx::query_as::<_, CarrierRow>(select_carriers!("WHERE carrier_id = ?"))
        .bind(carrier_id)
        .fetch_optional(conn)
        .await
}

/// Inserts a carrier; the columns Dialtone does not edit (`template_id`, `account_entry`,
/// `globals_string`, `user_group`) take their defaults.
pub async fn insert_carrier(conn: &mut SqliteConnection, c: &Carrier) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO vicidial_server_carriers (carrier_id, carrier_name, registration_string, protocol, \
         dialplan_entry, server_ip, active, carrier_description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&c.carrier_id)
    .bind(&c.carrier_name)
    .bind(&c.registration_string)
    .bind(c.protocol.as_str())
    .bind(&c.dialplan_entry)
    .bind(&c.server_ip)
    .bind(c.active.as_str())
    .bind(&c.carrier_description)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes the carrier `c.carrier_id` (its id itself is not changed; the columns Dialtone does not
/// edit are kept). Returns how many rows changed (0: no such carrier).
pub async fn update_carrier(conn: &mut SqliteConnection, c: &Carrier) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE vicidial_server_carriers SET carrier_name = ?, registration_string = ?, protocol = ?, \
         dialplan_entry = ?, server_ip = ?, active = ?, carrier_description = ? WHERE carrier_id = ?",
    )
    .bind(&c.carrier_name)
    .bind(&c.registration_string)
    .bind(c.protocol.as_str())
    .bind(&c.dialplan_entry)
    .bind(&c.server_ip)
    .bind(c.active.as_str())
    .bind(&c.carrier_description)
    .bind(&c.carrier_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes a carrier. Returns how many rows went (0: no such carrier).
pub async fn delete_carrier(conn: &mut SqliteConnection, carrier_id: &str) -> sqlx::Result<u64> {
    let done =
        sqlx::query("DELETE FROM vicidial_server_carriers WHERE carrier_id = ?").bind(carrier_id).execute(conn).await?;
    Ok(done.rows_affected())
}
