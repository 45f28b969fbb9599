//! `phones_alias` rows: alias ids agents may type instead of a phone login.

use sqlx::SqliteConnection;

/// A phone alias.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AliasRow {
    /// `alias_id`
    pub alias_id: String,
    /// `alias_name`
    pub alias_name: String,
    /// `logins_list`: comma-separated phone logins.
    pub logins_list: String,
    /// `user_group`
    pub user_group: String,
}

/// Finds an alias (case-insensitive id).
pub async fn find_alias(conn: &mut SqliteConnection, alias_id: &str) -> sqlx::Result<Option<AliasRow>> {
    sqlx::query_as::<_, AliasRow>(
        "SELECT alias_id, alias_name, logins_list, user_group FROM phones_alias WHERE alias_id = ?",
    )
    .bind(alias_id)
    .fetch_optional(conn)
    .await
}

/// Every alias, by id.
pub async fn list_aliases(conn: &mut SqliteConnection) -> sqlx::Result<Vec<AliasRow>> {
    sqlx::query_as::<_, AliasRow>(
        "SELECT alias_id, alias_name, logins_list, user_group FROM phones_alias ORDER BY alias_id",
    )
    .fetch_all(conn)
    .await
}

/// Inserts an alias.
pub async fn insert_alias(
    conn: &mut SqliteConnection,
    alias_id: &str,
    alias_name: &str,
    logins_list: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO phones_alias (alias_id, alias_name, logins_list) VALUES (?, ?, ?)")
        .bind(alias_id)
        .bind(alias_name)
        .bind(logins_list)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces an alias's name and logins.
pub async fn update_alias(
    conn: &mut SqliteConnection,
    alias_id: &str,
    alias_name: &str,
    logins_list: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE phones_alias SET alias_name = ?, logins_list = ? WHERE alias_id = ?")
        .bind(alias_name)
        .bind(logins_list)
        .bind(alias_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes an alias.
pub async fn delete_alias(conn: &mut SqliteConnection, alias_id: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM phones_alias WHERE alias_id = ?").bind(alias_id).execute(conn).await?.rows_affected())
}
