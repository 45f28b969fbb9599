//! `dialtone_sessions` rows: web admin sessions, stored by the SHA-256 of their token.

use sqlx::SqliteConnection;

/// A live session's user, with the columns that decide what they may do.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionUser {
    /// `vicidial_users.user`
    pub user: String,
    /// `user_level`
    pub user_level: i64,
    /// `ast_admin_access`
    pub ast_admin_access: String,
    /// `modify_phones`
    pub modify_phones: String,
    /// `ast_delete_phones`
    pub ast_delete_phones: String,
    /// `modify_servers`
    pub modify_servers: String,
    /// When the session was last used (Unix seconds).
    pub last_seen: i64,
}

/// Stores a new session.
pub async fn insert_session(
    conn: &mut SqliteConnection,
    token_hash: &str,
    user_id: i64,
    now: i64,
    ip: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dialtone_sessions (token_hash, user_id, created_at, last_seen, ip) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(now)
    .bind(ip)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user of a session that is still valid: created after `created_after`, used after
/// `seen_after`, and whose user is still active with a level of at least `min_level`.
pub async fn find_session_user(
    conn: &mut SqliteConnection,
    token_hash: &str,
    created_after: i64,
    seen_after: i64,
    min_level: i64,
) -> sqlx::Result<Option<SessionUser>> {
    sqlx::query_as::<_, SessionUser>(
        "SELECT u.user, u.user_level, u.ast_admin_access, u.modify_phones, u.ast_delete_phones, u.modify_servers, \
         s.last_seen \
         FROM dialtone_sessions s JOIN vicidial_users u ON u.user_id = s.user_id \
         WHERE s.token_hash = ? AND s.created_at > ? AND s.last_seen > ? AND u.active = 'Y' AND u.user_level >= ?",
    )
    .bind(token_hash)
    .bind(created_after)
    .bind(seen_after)
    .bind(min_level)
    .fetch_optional(conn)
    .await
}

/// Records that a session was used.
pub async fn touch_session(conn: &mut SqliteConnection, token_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE dialtone_sessions SET last_seen = ? WHERE token_hash = ?")
        .bind(now)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a session; returns its user name when it existed.
pub async fn delete_session(conn: &mut SqliteConnection, token_hash: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "DELETE FROM dialtone_sessions WHERE token_hash = ? \
         RETURNING (SELECT user FROM vicidial_users u WHERE u.user_id = dialtone_sessions.user_id)",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Removes sessions created before `created_before` or unused since `seen_before`.
pub async fn delete_expired(conn: &mut SqliteConnection, created_before: i64, seen_before: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM dialtone_sessions WHERE created_at <= ? OR last_seen <= ?")
        .bind(created_before)
        .bind(seen_before)
        .execute(conn)
        .await?
        .rows_affected())
}
