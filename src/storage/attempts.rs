//! `dialtone_attempts` rows: attempts counted against a limit (see `domain::limits`). Every function
//! runs inside the caller's write transaction, so counting and adding are one atomic step.

use sqlx::SqliteConnection;

/// How long attempts are kept (seconds); longer than any limit's window.
pub const KEEP_SECONDS: i64 = 3600;

/// The times of the attempts of `kind` by `key` after `since`.
pub async fn attempt_times(conn: &mut SqliteConnection, kind: &str, key: &str, since: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT at FROM dialtone_attempts WHERE kind = ? AND key = ? AND at > ? ORDER BY at")
        .bind(kind)
        .bind(key)
        .bind(since)
        .fetch_all(conn)
        .await
}

/// Counts an attempt; returns its row id.
pub async fn add_attempt(conn: &mut SqliteConnection, kind: &str, key: &str, at: i64) -> sqlx::Result<i64> {
    let id = sqlx::query("INSERT INTO dialtone_attempts (kind, key, at) VALUES (?, ?, ?)")
        .bind(kind)
        .bind(key)
        .bind(at)
        .execute(conn)
        .await?
        .last_insert_rowid();
    Ok(id)
}

/// Takes back an attempt that turned out not to count (a successful sign-in).
pub async fn remove_attempt(conn: &mut SqliteConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM dialtone_attempts WHERE attempt_id = ?").bind(id).execute(conn).await?;
    Ok(())
}

/// Forgets attempts older than `before`.
pub async fn prune_attempts(conn: &mut SqliteConnection, before: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM dialtone_attempts WHERE at < ?").bind(before).execute(conn).await?;
    Ok(())
}
