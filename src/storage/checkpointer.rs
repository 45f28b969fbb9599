//! The WAL checkpointer: one thread with its own connection that copies the write-ahead log back
//! into the database file, so no request ever waits for it.
//!
//! Why it exists: SQLite checkpoints by default inside the commit that makes the WAL reach 1,000
//! pages, on the writer's own thread. That commit then writes about 4 MB into the database file and
//! waits for two `fsync`s (measured: 13 ms for the WAL's alone), and every request queued behind it
//! waits too: about one `add_phone` in fifty took 15-50 ms instead of 0.7 ms, and at 8 connections the
//! phone writer spent a quarter of its time blocked there. Here the writers never checkpoint
//! (`wal_autocheckpoint=0` on their connections) and this thread runs a `PASSIVE` checkpoint every
//! [`INTERVAL`] (with nothing to copy it only reads the log's header); a passive checkpoint takes no
//! lock a writer or reader needs. A writer starts the log again from its beginning only if, when its
//! transaction begins, every frame has been copied, which under a steady load never happens by
//! chance: so once the log holds [`RESTART_FRAMES`], this thread copies it, copies what arrived
//! meanwhile, and then asks the phone writer to copy the last few frames between two batches (a pause
//! of a few milliseconds instead of one per 1,000 pages), after which the log starts again.
//!
//! Knows SQLite only.

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::phone_writer::PhoneWriter;

/// How often the log is looked at. Each pass `fsync`s the log and the database file, and a commit that
/// meets a large write-back waits for it: every 100 ms, one `add_phone` in a hundred waited 30-40 ms at
/// one connection (p99 33-39 ms); every 25 ms the write-backs are a quarter of the size (p99 10-12 ms;
/// at 8 connections p99 28 ms instead of 55 and 4,345 requests/s instead of 4,076); every 10 ms gained
/// nothing more. With no checkpoint at all the p99 was 4 ms: the rest is the kernel's own write-back.
pub const INTERVAL: Duration = Duration::from_millis(25);
/// From this many frames in the log (64 MiB of 4 KiB pages), the phone writer is asked to copy the
/// last frames itself between two batches, so that its next transaction starts the log again.
pub const RESTART_FRAMES: i64 = 16384;

/// A handle to the checkpointer thread; stops it when the last clone is dropped or on [`Self::stop`].
#[derive(Debug, Clone)]
pub struct Checkpointer {
    stop: Sender<()>,
}

impl Checkpointer {
    /// Opens a connection to the database file at `path` and starts the thread.
    pub fn start(path: &str, writer: PhoneWriter) -> Result<Checkpointer, rusqlite::Error> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(1))?;
        // This connection never writes; its own automatic checkpoint is off like the writers'.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let (stop, stopped) = channel::<()>();
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    cycle(&conn, &writer);
                }
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Checkpointer { stop })
    }

    /// Asks the thread to stop (its connection closes; the last connection to close checkpoints the
    /// whole log and removes it).
    pub fn stop(&self) {
        let _ = self.stop.send(());
    }
}

/// One look at the log: copy it; once it is long, copy again what arrived during the last pass
/// until little did (each pass is shorter than the one before), then let the writer copy the rest.
fn cycle(conn: &Connection, writer: &PhoneWriter) {
    let Some((mut log, mut copied)) = passive_checkpoint(conn) else { return };
    if log < RESTART_FRAMES {
        return;
    }
    for _ in 0..MAX_PASSES {
        let Some((now_log, now_copied)) = passive_checkpoint(conn) else { return };
        let arrived = now_log - copied;
        (log, copied) = (now_log, now_copied);
        if log < RESTART_FRAMES || arrived <= FEW_FRAMES {
            break;
        }
    }
    // Unless a reader (a list page, the conf generator's read of every phone) still uses older frames:
    // then neither this thread nor the writer can copy past them now, and asking the writer would only
    // make it wait; the next cycle tries again. Otherwise the writer copies the rest (few frames when
    // the passes caught up, more on a machine too busy for them to), so the log stays bounded.
    if log >= RESTART_FRAMES && copied == log {
        let _ = writer.checkpoint_blocking();
    }
}

/// The writer copies the last frames itself only when at most this many arrived during a pass.
const FEW_FRAMES: i64 = 48;
/// Most passes in one cycle.
const MAX_PASSES: usize = 12;

/// One passive checkpoint: the log's frames and those copied; `None` when busy (another
/// checkpointer, e.g. a second process) or failed.
pub(super) fn passive_checkpoint(conn: &Connection) -> Option<(i64, i64)> {
    let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    });
    match result {
        Ok((0, log, copied)) => Some((log, copied)),
        Ok(_) => None,
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => None,
        Err(e) => {
            tracing::warn!(error = %e, "WAL checkpoint failed");
            None
        }
    }
}
