//! User authentication with VICIdial's semantics (level > 6, active, 10 failures in 15 minutes lock
//! the account) and argon2 password hashes, with a short-lived cache of successful verifications so
//! the API stays fast.
//!
//! The cache is keyed by an HMAC (with a random per-process key) of the user id and the password, so
//! the plain password is never kept; an entry is only used while the user's stored hash is the one it
//! was verified against (a password change drops it) and for at most [`CACHE_TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::storage::users::{self, UserRow};
use crate::storage::{now_unix, Db};

/// How long a successful verification is remembered.
pub const CACHE_TTL: Duration = Duration::from_secs(300);
/// Most argon2 verifications running at once.
const VERIFY_CONCURRENCY: usize = 2;
/// How long a user's row (level, flags, failed-login state) is reused without reading it again.
pub const ROW_TTL: Duration = Duration::from_secs(1);
/// Most entries kept; the cache is emptied when full.
const CACHE_MAX: usize = 10_000;
/// Failures that lock an account.
pub const LOCK_ATTEMPTS: i64 = 10;
/// How long a lock lasts, in seconds.
pub const LOCK_SECONDS: i64 = 900;
/// A successful login updates `last_login_date` at most this often (seconds), so the API does not
/// write the user row on every call.
const LOGIN_STAMP_INTERVAL: i64 = 60;

/// The result of an authentication attempt.
#[derive(Debug)]
pub enum AuthOutcome {
    /// Authenticated.
    Good(Box<UserRow>),
    /// Unknown user, wrong password, level too low or inactive; the stored user name when the user
    /// exists (`None`: no such user; what was typed is not worth keeping).
    Bad(Option<String>),
    /// Too many failures in the last 15 minutes; the stored user name.
    Locked(String),
}

/// How a password check went.
enum Check {
    /// Verified a moment ago (the cache): not counted, not checked again.
    Remembered,
    /// Counted as an attempt, then checked: whether it matched.
    Counted(bool),
    /// Not counted: the account is locked.
    Locked,
}

struct CacheEntry {
    user_id: i64,
    pass_hash: String,
    expires: Instant,
}

/// Verifies user passwords; one per process, shared by all requests.
pub struct Authenticator {
    key: [u8; 32],
    cache: Mutex<HashMap<[u8; 32], CacheEntry>>,
    rows: Mutex<HashMap<String, (UserRow, Instant)>>,
    /// Bounds concurrent argon2 verifications (each needs ~19 MiB and tens of milliseconds), so a
    /// burst of requests with the same new credentials verifies once and the rest hit the cache, and
    /// a password-guessing flood cannot exhaust memory.
    verify_gate: tokio::sync::Semaphore,
    min_level: i64,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

/// Hashes a password with argon2id (random salt, default parameters).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

impl Authenticator {
    /// A new authenticator accepting users above `min_level - 1` (VICIdial's API: level > 6, so 7).
    pub fn new(min_level: i64) -> Authenticator {
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        Authenticator {
            key,
            cache: Mutex::new(HashMap::new()),
            rows: Mutex::new(HashMap::new()),
            verify_gate: tokio::sync::Semaphore::new(VERIFY_CONCURRENCY),
            min_level,
        }
    }

    fn cache_key(&self, user_id: i64, password: &str) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(&user_id.to_le_bytes());
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn cached(&self, key: &[u8; 32], user: &UserRow) -> bool {
        let Ok(cache) = self.cache.lock() else {
            return false;
        };
        cache
            .get(key)
            .is_some_and(|e| e.user_id == user.user_id && e.pass_hash == user.pass_hash && e.expires > Instant::now())
    }

    fn remember(&self, key: [u8; 32], user: &UserRow) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(
                key,
                CacheEntry {
                    user_id: user.user_id,
                    pass_hash: user.pass_hash.clone(),
                    expires: Instant::now() + CACHE_TTL,
                },
            );
        }
    }

    fn forget_row(&self, user: &str) {
        if let Ok(mut rows) = self.rows.lock() {
            rows.remove(&user.to_ascii_lowercase());
        }
    }

    /// The user's row, read from the database at most once per [`ROW_TTL`] per user (a change made
    /// through this process drops it at once; one made by another process is seen within the TTL).
    async fn user_row(&self, db: &Db, user: &str) -> Result<Option<UserRow>, sqlx::Error> {
        let key = user.to_ascii_lowercase();
        if let Ok(rows) = self.rows.lock() {
            if let Some((row, at)) = rows.get(&key) {
                if at.elapsed() < ROW_TTL {
                    return Ok(Some(row.clone()));
                }
            }
        }
        let row = {
            let mut conn = db.reader().acquire().await?;
            users::find_user(&mut conn, user).await?
        };
        if let (Some(row), Ok(mut rows)) = (&row, self.rows.lock()) {
            if rows.len() >= CACHE_MAX {
                rows.clear();
            }
            rows.insert(key, (row.clone(), Instant::now()));
        }
        Ok(row)
    }

    /// Checks `password` for `row`: a match remembered from a moment ago needs no check (it is no
    /// guess); otherwise, at most [`VERIFY_CONCURRENCY`] at once, the attempt is first counted as a
    /// failure (refused once the account is locked), then, for an eligible user, checked against the
    /// argon2 hash. A request that waited for its turn may find the same credentials verified meanwhile,
    /// so a burst of requests with one new password checks (and counts) it once or twice, not once each.
    async fn check(
        &self,
        db: &Db,
        row: &UserRow,
        password: &str,
        eligible: bool,
        now: i64,
    ) -> Result<Check, sqlx::Error> {
        let key = self.cache_key(row.user_id, password);
        if eligible && self.cached(&key, row) {
            return Ok(Check::Remembered);
        }
        let Ok(_permit) = self.verify_gate.acquire().await else { return Ok(Check::Counted(false)) };
        if eligible && self.cached(&key, row) {
            return Ok(Check::Remembered);
        }
        let counted = {
            let mut tx = db.write().await?;
            let counted = users::count_login_attempt(&mut tx, row.user_id, now, now - LOCK_SECONDS).await?;
            tx.commit().await?;
            counted
        };
        self.forget_row(&row.user);
        if !counted {
            return Ok(Check::Locked);
        }
        if !eligible {
            return Ok(Check::Counted(false));
        }
        let (pw, phc) = (password.to_string(), row.pass_hash.clone());
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &phc)).await.unwrap_or(false);
        if ok {
            self.remember(key, row);
        }
        Ok(Check::Counted(ok))
    }

    /// Authenticates `user`/`password` from `ip` as VICIdial's `user_authorization` does: the account
    /// must exist, be active, have a level of at least `min_level`, and not be locked (10 failures with
    /// the last stamp inside 15 minutes). A failure is counted; a success resets the count.
    ///
    /// Unlike VICIdial, the lock holds however many attempts arrive at once: every password that
    /// needs checking is first counted as a failure, in one atomic update that refuses once the
    /// account is locked, and only then checked (a match takes the count back to 0). The update that
    /// makes the 10th failure also stamps the lock's start, so at most 10 passwords are ever checked
    /// within 15 minutes (VICIdial measures from the last success, so an account unused for a while
    /// allows 20). A password verified a moment ago (the cache) is no guess and is not counted.
    pub async fn authenticate(
        &self,
        db: &Db,
        user: &str,
        password: &str,
        ip: &str,
    ) -> Result<AuthOutcome, sqlx::Error> {
        if user.is_empty() {
            return Ok(AuthOutcome::Bad(None));
        }
        let Some(row) = self.user_row(db, user).await? else {
            return Ok(AuthOutcome::Bad(None));
        };
        let now = now_unix();
        let lock_over = now - LOCK_SECONDS;
        if row.failed_login_count >= LOCK_ATTEMPTS && row.last_login_date >= lock_over {
            return Ok(AuthOutcome::Locked(row.user));
        }
        let eligible = row.user_level >= self.min_level && row.active == "Y";
        let counted = match self.check(db, &row, password, eligible, now).await? {
            Check::Remembered => false,
            Check::Counted(true) => true,
            Check::Counted(false) => return Ok(AuthOutcome::Bad(Some(row.user))),
            Check::Locked => return Ok(AuthOutcome::Locked(row.user)),
        };
        // A checked password was counted as a failure: the success takes the count back.
        if counted || row.failed_login_count > 0 || row.last_login_date < now - LOGIN_STAMP_INTERVAL {
            let mut tx = db.write().await?;
            users::record_login(&mut tx, row.user_id, now, ip).await?;
            tx.commit().await?;
            self.forget_row(user);
        }
        Ok(AuthOutcome::Good(Box::new(row)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("s3cret").expect("hash");
        let b = hash_password("s3cret").expect("hash");
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &a));
        assert!(!verify_password("s3cret ", &a));
        assert!(!verify_password("s3cret", "not a hash"));
    }
}
