//! Carrier use cases shared by the web admin and the CLI: list, find, add, change and delete carriers
//! (`vicidial_server_carriers`). Each change runs `domain::carrier`'s rules, then the database rules
//! (the carrier's server exists, its id is free) and the write in one transaction, with an audit entry
//! in `vicidial_admin_log` (section `CARRIERS`, VICIdial's event codes; the registration string only as
//! `[redacted]`).
//!
//! Dialtone does not write carriers into Asterisk's conf files (VICIdial's trunks are not phone
//! entries), so a change marks no server for a rebuild. Knows the domain and storage; nothing of HTTP
//! or the UI.

use serde_json::{json, Map, Value};

use crate::domain::carrier::{
    validate_carrier, Carrier, CarrierField, CarrierFieldError, CarrierInput, InvalidCarrier,
};
use crate::domain::Rule;
use crate::service::audit::REDACTED;
use crate::service::Actor;
use crate::storage::audit::insert_audit;
use crate::storage::carriers::{self, CarrierRow};
use crate::storage::{servers, Db};

/// The audit log section of carrier changes (VICIdial's).
pub const AUDIT_SECTION: &str = "CARRIERS";

/// Why a carrier was not added, changed or deleted. Nothing is stored when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum CarrierError {
    /// Values broke rules (the domain's, or: the server does not exist, the id is taken).
    #[error("{0}")]
    Invalid(InvalidCarrier),
    /// No carrier has this id.
    #[error("no carrier with carrier_id {0}")]
    NotFound(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Every carrier, by id.
pub async fn list_carriers(db: &Db) -> Result<Vec<CarrierRow>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    carriers::list_carriers(&mut conn).await
}

/// The carriers of one server, active and inactive, by id.
pub async fn list_server_carriers(db: &Db, server_ip: &str) -> Result<Vec<CarrierRow>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    carriers::list_server_carriers(&mut conn, server_ip).await
}

/// One carrier.
pub async fn find_carrier(db: &Db, carrier_id: &str) -> Result<Option<CarrierRow>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    carriers::find_carrier(&mut conn, carrier_id).await
}

/// The audited columns of a carrier with their values, the registration string redacted.
fn audited(c: &Carrier) -> Vec<(&'static str, Option<String>)> {
    audited_values(
        &c.carrier_name,
        &c.server_ip,
        c.protocol.as_str(),
        &c.registration_string,
        &c.dialplan_entry,
        c.active.as_str(),
        &c.carrier_description,
    )
}

/// The same columns of a stored row.
fn audited_row(r: &CarrierRow) -> Vec<(&'static str, Option<String>)> {
    audited_values(
        &r.carrier_name,
        &r.server_ip,
        &r.protocol,
        &r.registration_string,
        &r.dialplan_entry,
        &r.active,
        &r.carrier_description,
    )
}

fn audited_values(
    name: &str,
    server_ip: &str,
    protocol: &str,
    registration: &str,
    dialplan: &str,
    active: &str,
    description: &str,
) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("carrier_name", Some(name.to_string())),
        ("server_ip", Some(server_ip.to_string())),
        ("protocol", Some(protocol.to_string())),
        ("registration_string", Some(registration.to_string())),
        ("dialplan_entry", Some(dialplan.to_string())),
        ("active", Some(active.to_string())),
        ("carrier_description", Some(description.to_string())),
    ]
}

/// The audit diff `{"column": {"old": .., "new": ..}}` of the columns that differ, and their names
/// (`old` and `new` list the same columns in the same order). A secret column shows `[redacted]` for a
/// value (`null` when empty), so a change is visible but never the value.
fn diff(old: &[(&'static str, Option<String>)], new: &[(&'static str, Option<String>)]) -> (String, Vec<&'static str>) {
    let mut map = Map::new();
    let mut changed = Vec::new();
    for ((name, before), (_, after)) in old.iter().zip(new) {
        if before == after {
            continue;
        }
        let secret = CarrierField::from_param(name).is_some_and(CarrierField::is_secret);
        let show = |v: &Option<String>| match v {
            None => Value::Null,
            Some(v) if secret && v.is_empty() => Value::Null,
            Some(_) if secret => Value::String(REDACTED.into()),
            Some(v) => Value::String(v.clone()),
        };
        map.insert((*name).to_string(), json!({ "old": show(before), "new": show(after) }));
        changed.push(*name);
    }
    (Value::Object(map).to_string(), changed)
}

/// The database rules: the server exists; when adding, the id is free.
async fn database_problems(
    conn: &mut sqlx::SqliteConnection,
    c: &Carrier,
    adding: bool,
) -> Result<Vec<CarrierFieldError>, sqlx::Error> {
    let mut problems = Vec::new();
    if adding {
        if let Some(other) = carriers::find_carrier(conn, &c.carrier_id).await? {
            let what = format!("carrier {} ({})", other.carrier_id, other.carrier_name);
            problems.push(CarrierFieldError::field(CarrierField::CarrierId, Rule::Taken(what)));
        }
    }
    if !servers::server_exists(conn, &c.server_ip).await? {
        let what = format!("no server has the IP {}", c.server_ip);
        problems.push(CarrierFieldError::field(CarrierField::ServerIp, Rule::Missing(what)));
    }
    Ok(problems)
}

/// Adds a carrier after every rule; audited (`ADMIN ADD CARRIER`). Returns the stored carrier.
pub async fn add_carrier(db: &Db, actor: &Actor, input: &CarrierInput) -> Result<Carrier, CarrierError> {
    let carrier = validate_carrier(input).map_err(CarrierError::Invalid)?;
    let mut tx = db.write().await?;
    let problems = database_problems(&mut tx, &carrier, true).await?;
    if !problems.is_empty() {
        return Err(CarrierError::Invalid(InvalidCarrier { errors: problems }));
    }
    carriers::insert_carrier(&mut tx, &carrier).await?;
    let mut after = audited(&carrier);
    after.insert(0, ("carrier_id", Some(carrier.carrier_id.clone())));
    let before: Vec<_> = after.iter().map(|(name, _)| (*name, None)).collect();
    let (diff, _) = diff(&before, &after);
    let notes = format!("server {}", carrier.server_ip);
    insert_audit(&mut tx, &actor.audit(AUDIT_SECTION, "ADD", &carrier.carrier_id, "ADMIN ADD CARRIER", &diff, &notes))
        .await?;
    tx.commit().await?;
    Ok(carrier)
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierUpdate {
    /// The columns that changed; empty when nothing did (then nothing was written or audited).
    pub changed: Vec<&'static str>,
}

/// Changes the carrier `input.carrier_id` (the id itself is not changed) after every rule; audited
/// with a field diff (`ADMIN MODIFY CARRIER`). The columns Dialtone does not edit are kept.
pub async fn update_carrier(db: &Db, actor: &Actor, input: &CarrierInput) -> Result<CarrierUpdate, CarrierError> {
    let carrier = validate_carrier(input).map_err(CarrierError::Invalid)?;
    let mut tx = db.write().await?;
    let Some(old) = carriers::find_carrier(&mut tx, &carrier.carrier_id).await? else {
        return Err(CarrierError::NotFound(carrier.carrier_id));
    };
    let problems = database_problems(&mut tx, &carrier, false).await?;
    if !problems.is_empty() {
        return Err(CarrierError::Invalid(InvalidCarrier { errors: problems }));
    }
    let (diff, changed) = diff(&audited_row(&old), &audited(&carrier));
    if changed.is_empty() {
        return Ok(CarrierUpdate { changed });
    }
    carriers::update_carrier(&mut tx, &carrier).await?;
    let notes = format!("server {}", carrier.server_ip);
    insert_audit(
        &mut tx,
        &actor.audit(AUDIT_SECTION, "MODIFY", &old.carrier_id, "ADMIN MODIFY CARRIER", &diff, &notes),
    )
    .await?;
    tx.commit().await?;
    Ok(CarrierUpdate { changed })
}

/// Deletes a carrier; audited (`ADMIN DELETE CARRIER`, the old values in the diff). Returns what was
/// deleted.
pub async fn delete_carrier(db: &Db, actor: &Actor, carrier_id: &str) -> Result<CarrierRow, CarrierError> {
    let mut tx = db.write().await?;
    let Some(old) = carriers::find_carrier(&mut tx, carrier_id).await? else {
        return Err(CarrierError::NotFound(carrier_id.to_string()));
    };
    carriers::delete_carrier(&mut tx, &old.carrier_id).await?;
    let mut before = audited_row(&old);
    before.insert(0, ("carrier_id", Some(old.carrier_id.clone())));
    let after: Vec<_> = before.iter().map(|(name, _)| (*name, None)).collect();
    let (diff, _) = diff(&before, &after);
    let notes = format!("server {}", old.server_ip);
    insert_audit(
        &mut tx,
        &actor.audit(AUDIT_SECTION, "DELETE", &old.carrier_id, "ADMIN DELETE CARRIER", &diff, &notes),
    )
    .await?;
    tx.commit().await?;
    Ok(old)
}
