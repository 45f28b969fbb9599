//! Phone alias use cases: add, update, delete, with the database rules (alias unique, listed logins
//! exist, alias id not a phone login) checked inside the write transaction.

use crate::service::audit::simple_diff;
use crate::service::Actor;
use crate::storage::aliases::{self, AliasRow};
use crate::storage::audit::insert_audit;
use crate::storage::{phones, Db};

/// Why an alias change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AliasError {
    /// An alias with this id exists.
    #[error("phone alias {0} already exists")]
    AliasExists(String),
    /// No alias with this id.
    #[error("phone alias {0} does not exist")]
    AliasNotFound(String),
    /// The alias id is a phone's login (agents typing it would never reach that phone).
    #[error("alias id {0} is already a phone login")]
    AliasIsLogin(String),
    /// A listed login has no phone.
    #[error("phone login {0} does not exist")]
    PhoneNotFound(String),
    /// The database failed.
    #[error("database error")]
    Db(#[from] sqlx::Error),
}

async fn check_logins(tx: &mut sqlx::SqliteConnection, logins: &[String]) -> Result<(), AliasError> {
    let refs: Vec<&str> = logins.iter().map(String::as_str).collect();
    match phones::missing_logins(tx, &refs).await?.into_iter().next() {
        Some(missing) => Err(AliasError::PhoneNotFound(missing)),
        None => Ok(()),
    }
}

/// Whether an alias exists.
pub async fn find_alias(db: &Db, alias_id: &str) -> Result<Option<AliasRow>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    aliases::find_alias(&mut conn, alias_id).await
}

/// Adds an alias (validated by `domain::phone_alias` first).
pub async fn add_alias(
    db: &Db,
    actor: &Actor,
    alias_id: &str,
    alias_name: &str,
    logins: &[String],
) -> Result<(), AliasError> {
    let mut tx = db.write().await?;
    if aliases::find_alias(&mut tx, alias_id).await?.is_some() {
        return Err(AliasError::AliasExists(alias_id.to_string()));
    }
    if phones::find_phone_by_login(&mut tx, alias_id).await?.is_some() {
        return Err(AliasError::AliasIsLogin(alias_id.to_string()));
    }
    check_logins(&mut tx, logins).await?;
    let list = logins.join(",");
    aliases::insert_alias(&mut tx, alias_id, alias_name, &list).await?;
    insert_audit(
        &mut tx,
        &actor.audit(
            "PHONEALIASES",
            "ADD",
            alias_id,
            "ADMIN API ADD PHONE ALIAS",
            &simple_diff(&[("alias_name", None, Some(alias_name)), ("logins_list", None, Some(&list))]),
            &format!("phones: {list}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Updates an alias's name and/or logins (`None` keeps the current value).
pub async fn update_alias(
    db: &Db,
    actor: &Actor,
    alias_id: &str,
    alias_name: Option<&str>,
    logins: Option<&[String]>,
) -> Result<(), AliasError> {
    let mut tx = db.write().await?;
    let Some(row) = aliases::find_alias(&mut tx, alias_id).await? else {
        return Err(AliasError::AliasNotFound(alias_id.to_string()));
    };
    if let Some(logins) = logins {
        check_logins(&mut tx, logins).await?;
    }
    let name = alias_name.unwrap_or(&row.alias_name);
    let list = logins.map_or_else(|| row.logins_list.clone(), |l| l.join(","));
    aliases::update_alias(&mut tx, &row.alias_id, name, &list).await?;
    insert_audit(
        &mut tx,
        &actor.audit(
            "PHONEALIASES",
            "MODIFY",
            &row.alias_id,
            "ADMIN API UPDATE PHONE ALIAS",
            &simple_diff(&[
                ("alias_name", Some(&row.alias_name), Some(name)),
                ("logins_list", Some(&row.logins_list), Some(&list)),
            ]),
            &format!("phones: {list}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an alias.
pub async fn delete_alias(db: &Db, actor: &Actor, alias_id: &str) -> Result<(), AliasError> {
    let mut tx = db.write().await?;
    let Some(row) = aliases::find_alias(&mut tx, alias_id).await? else {
        return Err(AliasError::AliasNotFound(alias_id.to_string()));
    };
    aliases::delete_alias(&mut tx, &row.alias_id).await?;
    insert_audit(
        &mut tx,
        &actor.audit(
            "PHONEALIASES",
            "DELETE",
            &row.alias_id,
            "ADMIN API DELETE PHONE ALIAS",
            &simple_diff(&[("alias_name", Some(&row.alias_name), None), ("logins_list", Some(&row.logins_list), None)]),
            "",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
