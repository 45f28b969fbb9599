//! `vicidial_admin_log` rows: the audit trail. Entries carry a JSON field diff with secrets already
//! redacted by the caller; this module only stores and reads them.

use sqlx::SqliteConnection;

/// An audit entry to store.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Unix seconds.
    pub event_date: i64,
    /// Who.
    pub user: &'a str,
    /// From where (client IP).
    pub ip_address: &'a str,
    /// `PHONES`, `PHONEALIASES`, `SERVERS`, `USERS`, `TEMPLATES`, `API`.
    pub event_section: &'a str,
    /// `ADD`, `MODIFY`, `DELETE`, `OTHER`, ...
    pub event_type: &'a str,
    /// The record (extension, alias id, ...).
    pub record_id: &'a str,
    /// VICIdial's event code (`ADMIN API ADD PHONE`, ...).
    pub event_code: &'a str,
    /// JSON field diff, secrets redacted.
    pub event_diff: &'a str,
    /// Free text (`phone: <ext>|<server_ip>`, an API result line without its data).
    pub event_notes: &'a str,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    /// Row id.
    pub admin_log_id: i64,
    /// Unix seconds.
    pub event_date: i64,
    /// Who.
    pub user: String,
    /// From where.
    pub ip_address: String,
    /// Section.
    pub event_section: String,
    /// Type.
    pub event_type: String,
    /// Record.
    pub record_id: String,
    /// Code.
    pub event_code: String,
    /// JSON diff.
    pub event_diff: String,
    /// Notes.
    pub event_notes: String,
}

/// Stores one audit entry (shared with the phone writer thread).
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO vicidial_admin_log (event_date, user, ip_address, event_section, \
     event_type, record_id, event_code, event_diff, event_notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Stores an audit entry.
pub async fn insert_audit(conn: &mut SqliteConnection, e: &AuditEntry<'_>) -> sqlx::Result<()> {
    sqlx::query(INSERT_AUDIT)
        .bind(e.event_date)
        .bind(e.user)
        .bind(e.ip_address)
        .bind(e.event_section)
        .bind(e.event_type)
        .bind(e.record_id)
        .bind(e.event_code)
        .bind(e.event_diff)
        .bind(e.event_notes)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every audit entry, oldest first (tests and exports).
pub async fn list_audit(conn: &mut SqliteConnection) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as::<_, AuditRow>(
        "SELECT admin_log_id, event_date, user, ip_address, event_section, event_type, record_id, event_code, \
         event_diff, event_notes FROM vicidial_admin_log ORDER BY admin_log_id",
    )
    .fetch_all(conn)
    .await
}

/// The newest `limit` entries of one record, newest first: `event_section = section`,
/// `record_id = record_id`, and notes equal to `notes` or starting with `notes` and a space (so entries
/// of a record id shared by several objects, such as one extension on two servers, can be told apart
/// by their notes). Uses the `(event_section, record_id)` index.
pub async fn list_record_audit(
    conn: &mut SqliteConnection,
    section: &str,
    record_id: &str,
    notes: &str,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as::<_, AuditRow>(
        "SELECT admin_log_id, event_date, user, ip_address, event_section, event_type, record_id, event_code, \
         event_diff, event_notes FROM vicidial_admin_log \
         WHERE event_section = ?1 AND record_id = ?2 \
         AND (event_notes = ?3 OR substr(event_notes, 1, length(?3) + 1) = ?3 || ' ') \
         ORDER BY admin_log_id DESC LIMIT ?4",
    )
    .bind(section)
    .bind(record_id)
    .bind(notes)
    .bind(limit)
    .fetch_all(conn)
    .await
}
