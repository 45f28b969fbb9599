//! Attempts counted against a limit (`domain::limits`): checking the limits and counting the attempt
//! happen in one write transaction, so any number of concurrent attempts (from any process on the
//! database) cannot pass a limit together.

use sqlx::SqliteConnection;

use crate::domain::limits::AttemptLimit;
use crate::storage::attempts::{self, KEEP_SECONDS};
use crate::storage::{now_unix, Db};

/// One limit an attempt is counted against.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// What is limited (`dialtone_attempts.kind`).
    pub kind: &'a str,
    /// Whose attempts (`dialtone_attempts.key`).
    pub key: &'a str,
    /// The limit.
    pub limit: AttemptLimit,
}

/// The attempt may go ahead (the ids of its rows, to take back with [`release`]), or must wait
/// this many seconds (nothing was counted).
pub type Claimed = Result<Vec<i64>, i64>;

/// [`claim`] inside the caller's write transaction.
pub(crate) async fn claim_in(conn: &mut SqliteConnection, claims: &[Claim<'_>]) -> sqlx::Result<Claimed> {
    let now = now_unix();
    attempts::prune_attempts(conn, now - KEEP_SECONDS).await?;
    let mut longest = None;
    for c in claims {
        let times = attempts::attempt_times(conn, c.kind, c.key, now - c.limit.window).await?;
        if let Some(wait) = c.limit.wait(&times, now) {
            longest = Some(longest.map_or(wait, |l: i64| l.max(wait)));
        }
    }
    if let Some(wait) = longest {
        return Ok(Err(wait));
    }
    let mut ids = Vec::with_capacity(claims.len());
    for c in claims {
        ids.push(attempts::add_attempt(conn, c.kind, c.key, now).await?);
    }
    Ok(Ok(ids))
}

/// Counts an attempt against every limit in `claims`, or, if any of them is reached, against none
/// and answers the wait.
pub async fn claim(db: &Db, claims: &[Claim<'_>]) -> Result<Claimed, sqlx::Error> {
    let mut tx = db.write().await?;
    let claimed = claim_in(&mut tx, claims).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Takes back attempts that turned out not to count (a successful sign-in is not a failure).
pub async fn release(db: &Db, ids: &[i64]) -> Result<(), sqlx::Error> {
    let mut tx = db.write().await?;
    for id in ids {
        attempts::remove_attempt(&mut tx, *id).await?;
    }
    tx.commit().await
}
