//! Web admin sign-in, sessions and sign-out. Passwords are checked by the shared [`Authenticator`]
//! (argon2, VICIdial's level/active rules, 10 failures in 15 minutes lock the account, as for the
//! API); a session is a random 256-bit token the browser keeps in a cookie, stored only as its
//! SHA-256. Sign-ins, refusals and sign-outs are audited (never the password or the token).

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::access::{Viewer, SIGN_IN_MIN_LEVEL};
use crate::domain::limits::{wait_words, SIGN_IN_PER_ADDRESS};
use crate::service::attempts::{self, Claim};
use crate::service::auth::{AuthOutcome, Authenticator};
use crate::service::Actor;
use crate::storage::audit::insert_audit;
use crate::storage::sessions::{self, SessionUser};
use crate::storage::{now_unix, Db};

/// A session ends this long after sign-in, whatever happens (seconds).
pub const SESSION_MAX_AGE: i64 = 12 * 3600;
/// A session ends after this long unused (seconds).
pub const SESSION_IDLE: i64 = 2 * 3600;
/// A session's last use is written at most this often (seconds).
const TOUCH_INTERVAL: i64 = 60;

/// Why a sign-in was refused. The messages never say which of user or password was wrong.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown user, wrong password, inactive, or a level below 7.
    #[error("The user name or password is wrong, or this account may not sign in.")]
    Refused,
    /// Ten failures in the last 15 minutes.
    #[error("This account is locked after 10 failed sign-ins. Try again in 15 minutes.")]
    Locked,
    /// Too many failed sign-ins from this client address: the password was not checked; the number of
    /// seconds to wait.
    #[error("Too many failed sign-ins from your address. Try again in {}.", wait_words(*.0))]
    Slow(i64),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The hex SHA-256 of a token, as stored.
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored permission flags of a user (`'1'` = yes), as read from `vicidial_users`.
struct Flags<'a> {
    ast_admin: &'a str,
    modify_phones: &'a str,
    delete_phones: &'a str,
    modify_servers: &'a str,
}

/// A viewer from the stored user columns.
fn viewer(user: &str, level: i64, flags: Flags<'_>) -> Viewer {
    Viewer {
        user: user.to_string(),
        level,
        ast_admin: flags.ast_admin == "1",
        modify_phones: flags.modify_phones == "1",
        delete_phones: flags.delete_phones == "1",
        modify_servers: flags.modify_servers == "1",
    }
}

/// What an attempt is counted as against its client address (`dialtone_attempts.kind`).
const SIGN_IN_ADDRESS: &str = "sign-in address";

/// The audit log's user for a failed sign-in whose name matches no user: what was typed is not kept
/// (it may be a password typed into the wrong field, or anything an attacker sends).
pub const UNKNOWN_USER: &str = "(unknown user)";

/// Checks `user`/`password` and starts a session: returns the token for the cookie and the viewer.
///
/// Each attempt from `ip` is first counted against the address ([`SIGN_IN_PER_ADDRESS`]: after two
/// failures the next waits 2 then 4 seconds, and no more than five within 15 minutes are checked), so
/// one address can neither guess quickly nor lock an account out of the browser; a success takes its
/// count back. An attempt held back is not checked, not counted against the account, and not audited.
pub async fn sign_in(
    db: &Db,
    auth: &Authenticator,
    user: &str,
    password: &str,
    ip: &str,
) -> Result<(String, Viewer), SignInError> {
    let claim = [Claim { kind: SIGN_IN_ADDRESS, key: ip, limit: SIGN_IN_PER_ADDRESS }];
    let counted = match attempts::claim(db, &claim).await? {
        Ok(ids) => ids,
        Err(wait) => {
            tracing::warn!(ip, wait, "sign-in held back: too many failures from this address");
            return Err(SignInError::Slow(wait));
        }
    };
    let outcome = auth.authenticate(db, user, password, ip).await?;
    let row = match outcome {
        AuthOutcome::Good(row) if row.user_level >= SIGN_IN_MIN_LEVEL => row,
        other => {
            let (who, locked) = match other {
                AuthOutcome::Good(row) => (row.user, false),
                AuthOutcome::Bad(known) => (known.unwrap_or_else(|| UNKNOWN_USER.to_string()), false),
                AuthOutcome::Locked(user) => (user, true),
            };
            let actor = Actor { user: who, ip: ip.to_string() };
            let mut tx = db.write().await?;
            let note = if locked { "account locked" } else { "refused" };
            insert_audit(&mut tx, &actor.audit("USERS", "LOGIN", &actor.user, "WEB SIGN-IN FAILED", "{}", note))
                .await?;
            tx.commit().await?;
            return Err(if locked { SignInError::Locked } else { SignInError::Refused });
        }
    };
    attempts::release(db, &counted).await?;
    let actor = Actor { user: row.user.clone(), ip: ip.to_string() };
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let now = now_unix();
    let mut tx = db.write().await?;
    sessions::delete_expired(&mut tx, now - SESSION_MAX_AGE, now - SESSION_IDLE).await?;
    sessions::insert_session(&mut tx, &token_hash(&token), row.user_id, now, ip).await?;
    insert_audit(&mut tx, &actor.audit("USERS", "LOGIN", &row.user, "WEB SIGN-IN", "{}", "")).await?;
    tx.commit().await?;
    let flags = Flags {
        ast_admin: &row.ast_admin_access,
        modify_phones: &row.modify_phones,
        delete_phones: &row.ast_delete_phones,
        modify_servers: &row.modify_servers,
    };
    Ok((token, viewer(&row.user, row.user_level, flags)))
}

/// The viewer of a live session (`None` when unknown, expired, or its user may no longer sign in).
/// The user's flags are read on every call, so a permission change applies at once.
pub async fn session_viewer(db: &Db, token: &str) -> Result<Option<Viewer>, sqlx::Error> {
    let Some((hash, user, now)) = live_session(db, token).await? else { return Ok(None) };
    if user.last_seen < now - TOUCH_INTERVAL {
        let mut tx = db.write().await?;
        sessions::touch_session(&mut tx, &hash, now).await?;
        tx.commit().await?;
    }
    let flags = Flags {
        ast_admin: &user.ast_admin_access,
        modify_phones: &user.modify_phones,
        delete_phones: &user.ast_delete_phones,
        modify_servers: &user.modify_servers,
    };
    Ok(Some(viewer(&user.user, user.user_level, flags)))
}

/// Whether `token`'s session is still valid (as [`session_viewer`], without recording a use: a page
/// left open does not keep its session alive).
pub async fn session_is_live(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
    Ok(live_session(db, token).await?.is_some())
}

/// The stored hash, the user and the time now of a valid session.
async fn live_session(db: &Db, token: &str) -> Result<Option<(String, SessionUser, i64)>, sqlx::Error> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = now_unix();
    let mut conn = db.reader().acquire().await?;
    let found =
        sessions::find_session_user(&mut conn, &hash, now - SESSION_MAX_AGE, now - SESSION_IDLE, SIGN_IN_MIN_LEVEL)
            .await?;
    Ok(found.map(|user| (hash, user, now)))
}

/// Ends the session of `token` (nothing happens for an unknown token).
pub async fn sign_out(db: &Db, token: &str, ip: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.write().await?;
    if let Some(user) = sessions::delete_session(&mut tx, &token_hash(token)).await? {
        let actor = Actor { user: user.clone(), ip: ip.to_string() };
        insert_audit(&mut tx, &actor.audit("USERS", "LOGOUT", &user, "WEB SIGN-OUT", "{}", "")).await?;
    }
    tx.commit().await
}
