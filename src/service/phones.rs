//! Phone use cases: add, update, delete, with the database rules (server exists, extension and login
//! unique, login not an alias id, template exists) checked inside the write transaction.

use crate::domain::{validate_phone_entry, InvalidPhoneEntry, PhoneEntry, PhoneEntryInput, ProtocolSet};
use crate::service::audit::phone_diff;
use crate::service::Actor;
use crate::storage::audit::insert_audit;
use crate::storage::phone_writer::{AddAudit, AddRefused};
use crate::storage::phones::{self, Conflicts, PhoneRow};
use crate::storage::{now_unix, servers, templates, Db};

/// Why a phone change was refused. Each variant is a rule; the entry points word it.
#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    /// A field broke a domain rule.
    #[error(transparent)]
    Invalid(#[from] InvalidPhoneEntry),
    /// No server has this IP.
    #[error("server {0} does not exist")]
    ServerNotFound(String),
    /// Another phone has this extension on this server.
    #[error("extension {extension} already exists on server {server_ip}")]
    ExtensionTaken {
        /// The extension.
        extension: String,
        /// The server.
        server_ip: String,
    },
    /// Another phone has this login.
    #[error("phone login {0} already exists")]
    LoginTaken(String),
    /// The login is a phone alias id (agents typing it would get the alias).
    #[error("phone login {0} is already a phone alias id")]
    LoginIsAlias(String),
    /// The template does not exist.
    #[error("template {0} does not exist")]
    TemplateNotFound(String),
    /// The phone to change does not exist.
    #[error("phone {extension} does not exist on server {server_ip}")]
    NotFound {
        /// The extension.
        extension: String,
        /// The server.
        server_ip: String,
    },
    /// The database failed; the message is logged, never shown.
    #[error("database error")]
    Db(#[from] sqlx::Error),
}

/// Maps the conflict flags to the first error, in VICIdial's order: server, extension, login, then
/// (Dialtone's addition) alias collision.
fn first_conflict(c: Conflicts, extension: &str, server_ip: &str, login: &str) -> Result<(), PhoneError> {
    if !c.server_exists {
        Err(PhoneError::ServerNotFound(server_ip.to_string()))
    } else if c.extension_taken {
        Err(PhoneError::ExtensionTaken { extension: extension.to_string(), server_ip: server_ip.to_string() })
    } else if c.login_taken {
        Err(PhoneError::LoginTaken(login.to_string()))
    } else if c.login_is_alias {
        Err(PhoneError::LoginIsAlias(login.to_string()))
    } else {
        Ok(())
    }
}

/// Read-only pre-check of the database rules for a new phone, for entry points that must report a
/// conflict before a later rule (the legacy API reports duplicates before an invalid GMT offset).
pub async fn check_new_phone_conflicts(
    db: &Db,
    extension: &str,
    server_ip: &str,
    login: &str,
) -> Result<(), PhoneError> {
    let mut conn = db.reader().acquire().await?;
    let c = phones::find_conflicts(&mut conn, extension, server_ip, login, None).await?;
    first_conflict(c, extension, server_ip, login)
}

/// Read-only pre-check of the login rules for changing the login of the phone `(extension, server_ip)`
/// to `login`: no other phone has it, and it is not a phone alias id. For entry points that must report
/// it before later rules (the legacy API's `update_phone` checks the login before the voicemail id and
/// the other fields after it); [`update_phone`] checks again inside its transaction.
pub async fn check_login_conflicts(db: &Db, extension: &str, server_ip: &str, login: &str) -> Result<(), PhoneError> {
    let mut conn = db.reader().acquire().await?;
    let c = phones::find_conflicts(&mut conn, extension, server_ip, login, Some((extension, server_ip))).await?;
    // Only the login matters here: the phone itself exists, and its key does not change.
    first_conflict(Conflicts { server_exists: true, extension_taken: false, ..c }, extension, server_ip, login)
}

/// Whether a conf template with this id exists (for entry points that report a missing template at a
/// given place in their order of checks; adds and updates check again in their transaction).
pub async fn template_exists(db: &Db, template_id: &str) -> Result<bool, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    templates::template_exists(&mut conn, template_id).await
}

/// Whether a server with this IP exists.
pub async fn server_exists(db: &Db, server_ip: &str) -> Result<bool, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    servers::server_exists(&mut conn, server_ip).await
}

/// Finds a phone.
pub async fn find_phone(db: &Db, extension: &str, server_ip: &str) -> Result<Option<PhoneRow>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    phones::find_phone(&mut conn, extension, server_ip).await
}

/// The phone that holds `login` as `(extension, server_ip)`, if any (for naming it when a login is
/// refused as taken).
pub async fn phone_holding_login(db: &Db, login: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    Ok(phones::find_phone_by_login(&mut conn, login).await?.map(|row| (row.extension, row.server_ip)))
}

/// The raw input of a stored phone, for editing.
pub fn row_to_input(row: &PhoneRow) -> PhoneEntryInput {
    PhoneEntryInput {
        extension: row.extension.clone(),
        dialplan_number: row.dialplan_number.clone(),
        voicemail_id: row.voicemail_id.clone(),
        phone_login: row.login.clone(),
        phone_pass: row.pass.clone(),
        server_ip: row.server_ip.clone(),
        protocol: row.protocol.clone(),
        registration_password: row.conf_secret.clone(),
        phone_full_name: row.fullname.clone(),
        local_gmt: row.local_gmt.clone(),
        outbound_cid: row.outbound_cid.clone(),
        email: row.email.clone(),
        phone_context: row.phone_context.clone(),
        admin_user_group: row.user_group.clone(),
        is_webphone: row.is_webphone.clone(),
        webphone_auto_answer: row.webphone_auto_answer.clone(),
        use_external_server_ip: row.use_external_server_ip.clone(),
        on_hook_agent: row.on_hook_agent.clone(),
        template_id: row.template_id.clone(),
        status: row.status.clone(),
        active: row.active.clone(),
        phone_type: row.phone_type.clone(),
        phone_ring_timeout: row.phone_ring_timeout.to_string(),
        outbound_alt_cid: row.outbound_alt_cid.clone(),
        delete_vm_after_email: row.delete_vm_after_email.clone(),
    }
}

/// Adds a validated phone: database rules, insert, audit entry and rebuild flag in one transaction.
/// They run on the phone writer thread, group-committed with concurrent adds; this returns once the
/// transaction has committed.
/// `event_code` is VICIdial's (`ADMIN API ADD PHONE` from the API, `ADMIN ADD PHONE` from the web).
pub async fn add_phone(db: &Db, actor: &Actor, entry: &PhoneEntry, event_code: &str) -> Result<(), PhoneError> {
    let audit = AddAudit {
        event_date: now_unix(),
        user: actor.user.clone(),
        ip_address: actor.ip.clone(),
        event_code: event_code.to_string(),
        event_diff: phone_diff(None, Some(entry)),
    };
    db.phone_writer().add(entry.clone(), audit).await.map_err(|refused| match refused {
        AddRefused::ServerNotFound => PhoneError::ServerNotFound(entry.server_ip.clone()),
        AddRefused::ExtensionTaken => {
            PhoneError::ExtensionTaken { extension: entry.extension.clone(), server_ip: entry.server_ip.clone() }
        }
        AddRefused::LoginTaken => PhoneError::LoginTaken(entry.phone_login.clone()),
        AddRefused::LoginIsAlias => PhoneError::LoginIsAlias(entry.phone_login.clone()),
        AddRefused::TemplateNotFound => PhoneError::TemplateNotFound(entry.template_id.clone()),
        AddRefused::Db(msg) => PhoneError::Db(sqlx::Error::Protocol(msg)),
    })
}

/// Validates `input` and adds it (the one call the web admin's server function makes).
pub async fn add_phone_input(
    db: &Db,
    actor: &Actor,
    input: &PhoneEntryInput,
    protocols: ProtocolSet,
) -> Result<PhoneEntry, PhoneError> {
    let entry = validate_phone_entry(input, protocols)?;
    add_phone(db, actor, &entry, "ADMIN ADD PHONE").await?;
    Ok(entry)
}

/// Updates the phone `(extension, server_ip)`: loads it, applies `change` to its input, validates the
/// whole result (so a protocol change re-checks the extension), checks the database rules, stores,
/// audits the field diff and marks the old and new servers for a rebuild. Returns the new entry.
pub async fn update_phone(
    db: &Db,
    actor: &Actor,
    extension: &str,
    server_ip: &str,
    change: impl FnOnce(&mut PhoneEntryInput),
    event_code: &str,
) -> Result<PhoneEntry, PhoneError> {
    let mut tx = db.write().await?;
    let Some(row) = phones::find_phone(&mut tx, extension, server_ip).await? else {
        return Err(PhoneError::NotFound { extension: extension.to_string(), server_ip: server_ip.to_string() });
    };
    let before_input = row_to_input(&row);
    // The stored row passed these rules when written; a row that no longer does (e.g. imported from
    // VICIdial) is compared as-is and must be fixed by this very update.
    let before = validate_phone_entry(&before_input, ProtocolSet::WebAdmin).ok();
    let mut input = before_input;
    change(&mut input);
    let after = validate_phone_entry(&input, ProtocolSet::WebAdmin)?;
    let c = phones::find_conflicts(
        &mut tx,
        &after.extension,
        &after.server_ip,
        &after.phone_login,
        Some((&row.extension, &row.server_ip)),
    )
    .await?;
    first_conflict(c, &after.extension, &after.server_ip, &after.phone_login)?;
    if !after.template_id.is_empty()
        && !after.template_id.eq_ignore_ascii_case(&row.template_id)
        && !templates::template_exists(&mut tx, &after.template_id).await?
    {
        return Err(PhoneError::TemplateNotFound(after.template_id.clone()));
    }
    phones::update_phone(&mut tx, &row.extension, &row.server_ip, &after).await?;
    insert_audit(
        &mut tx,
        &actor.audit(
            "PHONES",
            "MODIFY",
            &after.extension,
            event_code,
            &phone_diff(before.as_ref(), Some(&after)),
            &format!("phone: {}|{}", after.extension, after.server_ip),
        ),
    )
    .await?;
    servers::mark_rebuild(&mut tx, &row.server_ip).await?;
    if after.server_ip != row.server_ip {
        servers::mark_rebuild(&mut tx, &after.server_ip).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Deletes the phone `(extension, server_ip)`, audits it and marks its server for a rebuild.
pub async fn delete_phone(
    db: &Db,
    actor: &Actor,
    extension: &str,
    server_ip: &str,
    event_code: &str,
) -> Result<(), PhoneError> {
    let mut tx = db.write().await?;
    let Some(row) = phones::find_phone(&mut tx, extension, server_ip).await? else {
        return Err(PhoneError::NotFound { extension: extension.to_string(), server_ip: server_ip.to_string() });
    };
    let before = validate_phone_entry(&row_to_input(&row), ProtocolSet::WebAdmin).ok();
    phones::delete_phone(&mut tx, &row.extension, &row.server_ip).await?;
    insert_audit(
        &mut tx,
        &actor.audit(
            "PHONES",
            "DELETE",
            &row.extension,
            event_code,
            &phone_diff(before.as_ref(), None),
            &format!("phone: {}|{}", row.extension, row.server_ip),
        ),
    )
    .await?;
    servers::mark_rebuild(&mut tx, &row.server_ip).await?;
    tx.commit().await?;
    Ok(())
}

/// The event code of a secret reveal in the audit log.
pub const REVEAL_EVENT_CODE: &str = "ADMIN REVEAL PHONE SECRET";

/// The audit notes that tie an entry to one phone (`phone: <extension>|<server_ip>`), as every phone
/// entry writes them. An extension is unique per server only, so the history of a phone is found by
/// its record id (the extension) and these notes.
pub fn phone_notes(extension: &str, server_ip: &str) -> String {
    format!("phone: {extension}|{server_ip}")
}

/// Returns the stored value of a secret field (`phone_pass` or `registration_password`) of the phone
/// `(extension, server_ip)` and writes an audit entry (section `PHONES`, type `OTHER`, code
/// [`REVEAL_EVENT_CODE`], notes naming the field, never the value) in the same transaction, so no
/// value leaves without its entry. `Ok(None)` when `field` is not a secret: nothing is read or
/// audited. Who may reveal is the caller's check.
pub async fn reveal_phone_secret(
    db: &Db,
    actor: &Actor,
    extension: &str,
    server_ip: &str,
    field: crate::domain::Field,
) -> Result<Option<String>, PhoneError> {
    use crate::domain::Field;
    let column: fn(PhoneRow) -> String = match field {
        Field::PhonePass => |row| row.pass,
        Field::RegistrationPassword => |row| row.conf_secret,
        _ => return Ok(None),
    };
    let mut tx = db.write().await?;
    let Some(row) = phones::find_phone(&mut tx, extension, server_ip).await? else {
        return Err(PhoneError::NotFound { extension: extension.to_string(), server_ip: server_ip.to_string() });
    };
    let notes = format!("{} revealed {}", phone_notes(&row.extension, &row.server_ip), field.param());
    let record = row.extension.clone();
    let value = column(row);
    insert_audit(&mut tx, &actor.audit("PHONES", "OTHER", &record, REVEAL_EVENT_CODE, "{}", &notes)).await?;
    tx.commit().await?;
    Ok(Some(value))
}

/// The newest `limit` audit entries of the phone `(extension, server_ip)`, newest first: its adds,
/// changes, deletes and reveals (entries written under this extension and server; an entry that
/// moved the phone here from another extension or server is listed, earlier ones under the old key
/// are not).
pub async fn phone_history(
    db: &Db,
    extension: &str,
    server_ip: &str,
    limit: i64,
) -> Result<Vec<crate::storage::audit::AuditRow>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    crate::storage::audit::list_record_audit(&mut conn, "PHONES", extension, &phone_notes(extension, server_ip), limit)
        .await
}
