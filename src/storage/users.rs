//! `vicidial_users` rows: API and admin accounts, their permission flags and failed-login state.

use sqlx::SqliteConnection;

/// A user row. Holds the password hash: not `Serialize`, and its `Debug` omits the hash.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    /// `user_id`
    pub user_id: i64,
    /// `user`
    pub user: String,
    /// `pass_hash`: argon2 PHC string.
    pub pass_hash: String,
    /// `user_level`
    pub user_level: i64,
    /// `user_group`
    pub user_group: String,
    /// `active`
    pub active: String,
    /// `ast_admin_access`
    pub ast_admin_access: String,
    /// `ast_delete_phones`
    pub ast_delete_phones: String,
    /// `modify_phones`
    pub modify_phones: String,
    /// `modify_servers`
    pub modify_servers: String,
    /// `vdc_agent_api_access`
    pub vdc_agent_api_access: String,
    /// `api_allowed_functions`
    pub api_allowed_functions: String,
    /// `failed_login_count`
    pub failed_login_count: i64,
    /// `last_login_date`, Unix seconds.
    pub last_login_date: i64,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("user", &self.user)
            .field("user_level", &self.user_level)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// Values for a new user.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// `user`
    pub user: &'a str,
    /// argon2 PHC string.
    pub pass_hash: &'a str,
    /// `user_level`
    pub user_level: i64,
    /// `active`
    pub active: bool,
    /// `vdc_agent_api_access`
    pub api_access: bool,
    /// `ast_admin_access`
    pub ast_admin: bool,
    /// `ast_delete_phones`
    pub delete_phones: bool,
    /// `modify_phones`
    pub modify_phones: bool,
    /// `modify_servers`
    pub modify_servers: bool,
    /// `api_allowed_functions`
    pub api_functions: &'a str,
}

/// Find a user by name.
const FIND_USER: &str = "SELECT user_id, user, pass_hash, user_level, user_group, active, ast_admin_access, \
    ast_delete_phones, modify_phones, modify_servers, vdc_agent_api_access, api_allowed_functions, failed_login_count, last_login_date FROM vicidial_users WHERE user = ?";

/// Inserts a user.
pub async fn insert_user(conn: &mut SqliteConnection, u: &NewUser<'_>) -> sqlx::Result<()> {
    let flag = |b: bool| if b { "1" } else { "0" };
    sqlx::query(
        "INSERT INTO vicidial_users (user, pass_hash, user_level, active, vdc_agent_api_access, ast_admin_access, \
         ast_delete_phones, modify_phones, modify_servers, api_allowed_functions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(u.user)
    .bind(u.pass_hash)
    .bind(u.user_level)
    .bind(if u.active { "Y" } else { "N" })
    .bind(flag(u.api_access))
    .bind(flag(u.ast_admin))
    .bind(flag(u.delete_phones))
    .bind(flag(u.modify_phones))
    .bind(flag(u.modify_servers))
    .bind(u.api_functions)
    .execute(conn)
    .await?;
    Ok(())
}

/// Finds a user by name (case-insensitive, as VICIdial's collation).
pub async fn find_user(conn: &mut SqliteConnection, user: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as::<_, UserRow>(FIND_USER).bind(user).fetch_optional(conn).await
}

/// Number of users.
pub async fn count_users(conn: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM vicidial_users").fetch_one(conn).await
}

/// Counts a login attempt as a failure before its password is checked, unless the account is locked
/// (10 or more failures with the stamp inside the lock, i.e. `last_login_date >= lock_over`); returns
/// whether it was counted. As VICIdial's `user_authorization`: below 10 failures the count grows; at 10
/// or more with the stamp older than `lock_over`, the count restarts at 1 and the stamp is set to now.
/// Unlike VICIdial, the failure that makes the count 10 also sets the stamp to now, so the lock lasts
/// 15 minutes from it. One statement: concurrent attempts are counted one after the other, and no
/// more than 10 pass.
pub async fn count_login_attempt(
    conn: &mut SqliteConnection,
    user_id: i64,
    now: i64,
    lock_over: i64,
) -> sqlx::Result<bool> {
    let counted = sqlx::query(
        "UPDATE vicidial_users SET \
           failed_login_count = CASE WHEN failed_login_count >= 10 THEN 1 ELSE failed_login_count + 1 END, \
           last_login_date = CASE WHEN failed_login_count >= 9 THEN ?1 ELSE last_login_date END \
         WHERE user_id = ?3 AND (failed_login_count < 10 OR last_login_date < ?2)",
    )
    .bind(now)
    .bind(lock_over)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(counted == 1)
}

/// Records a successful login: stamp, client IP, failed count reset.
pub async fn record_login(conn: &mut SqliteConnection, user_id: i64, now: i64, ip: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE vicidial_users SET last_login_date = ?, last_ip = ?, failed_login_count = 0 WHERE user_id = ?")
        .bind(now)
        .bind(ip)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
