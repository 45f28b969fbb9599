//! The phone writer: one thread that owns a direct SQLite connection and adds phones in batches
//! (group commit).
//!
//! Why it exists: through sqlx every statement is a round trip to sqlx's worker thread, and measured
//! under load the server spent most of its time in those thread hand-offs, not in SQLite. Here a
//! request costs one hand-off each way; the checks and inserts of every request waiting at that moment
//! run back to back in one `BEGIN IMMEDIATE` transaction, the batch is indexed for search in one
//! statement, and every caller is answered only after the `COMMIT` (so an acknowledged phone is on
//! disk, in the WAL).
//!
//! Knows SQL and nothing of HTTP; the SQL text is shared with the sqlx functions of `storage`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::domain::PhoneEntry;
use crate::storage::audit::INSERT_AUDIT;
use crate::storage::checkpointer::passive_checkpoint;
use crate::storage::phones::{FIND_CONFLICTS, INSERT_PHONE};
use crate::storage::servers::MARK_REBUILD;
use crate::storage::templates::COUNT_TEMPLATE;
use crate::storage::Durability;

/// Most requests committed together.
const MAX_BATCH: usize = 256;
/// Queue length before callers wait.
const QUEUE: usize = 4096;

/// Why a phone was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddRefused {
    /// No server with this IP.
    ServerNotFound,
    /// The extension exists on this server.
    ExtensionTaken,
    /// The login exists.
    LoginTaken,
    /// The login is a phone alias id.
    LoginIsAlias,
    /// The template does not exist.
    TemplateNotFound,
    /// SQLite failed (message for the log only).
    Db(String),
}

/// The audit entry written with the phone.
#[derive(Debug, Clone)]
pub struct AddAudit {
    /// Unix seconds.
    pub event_date: i64,
    /// Who.
    pub user: String,
    /// From where.
    pub ip_address: String,
    /// VICIdial event code.
    pub event_code: String,
    /// JSON diff, secrets redacted.
    pub event_diff: String,
}

struct Job {
    entry: PhoneEntry,
    audit: AddAudit,
    reply: oneshot::Sender<Result<(), AddRefused>>,
}

enum Message {
    Add(Box<Job>),
    /// A passive checkpoint on the writer's own connection between two batches: it copies what the
    /// checkpointer thread has not yet copied, so the next transaction starts the log from its
    /// beginning (see [`PhoneWriter::checkpoint_blocking`]).
    Checkpoint(std::sync::mpsc::Sender<Option<(i64, i64)>>),
    /// Close the connection and stop; answered once closed.
    Stop(oneshot::Sender<()>),
}

/// Other writers of the database that are waiting for the write lock (the sqlx writer's
/// transactions): the phone writer lets them go first, pausing between two batches while any waits
/// (at most [`YIELD_MAX`] at a time).
#[derive(Debug, Clone, Default)]
pub struct WriteTurns(Arc<AtomicUsize>);

impl WriteTurns {
    /// Counts a writer as waiting until the returned guard is dropped.
    pub fn wait(&self) -> WaitingWriter {
        self.0.fetch_add(1, Ordering::SeqCst);
        WaitingWriter(self.0.clone())
    }

    fn anyone_waiting(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }

    /// Pauses while another writer waits, up to [`YIELD_MAX`].
    fn let_others_go_first(&self) {
        let started = std::time::Instant::now();
        while self.anyone_waiting() && started.elapsed() < YIELD_MAX {
            std::thread::sleep(BUSY_STEP);
        }
    }
}

/// A writer waiting for the lock; stops counting when dropped.
#[derive(Debug)]
pub struct WaitingWriter(Arc<AtomicUsize>);

impl Drop for WaitingWriter {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The longest the phone writer pauses for other writers at a time.
const YIELD_MAX: Duration = Duration::from_millis(50);

/// How long the writer waits for another connection's write lock, in tries of [`BUSY_STEP`] (10 s).
const BUSY_TRIES: i32 = 200_000;
/// The pause between two tries for the write lock.
const BUSY_STEP: Duration = Duration::from_micros(50);

/// The triggers on the tables the writer changes (phones: insert; `vicidial_admin_log`: insert; servers:
/// the rebuild mark). The writer runs with triggers off, so a trigger added by a later migration that
/// it does not know would be skipped silently; it refuses to start instead, naming the trigger.
const KNOWN_TRIGGERS: [&str; 5] = [
    // Its work is done by `index_for_search`.
    "phones_search_insert",
    // On delete or update of a phone, which the writer never does.
    "phones_search_delete",
    "phones_search_update",
    "dialtone_phone_registration_phone_delete",
    "dialtone_phone_registration_phone_move",
];

/// Refuses a trigger on a table the writer changes that [`KNOWN_TRIGGERS`] does not list.
fn check_triggers(conn: &Connection) -> Result<(), rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'trigger' \
         AND tbl_name IN ('phones', 'vicidial_admin_log', 'servers')",
    )?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    match names.into_iter().find(|n| !KNOWN_TRIGGERS.contains(&n.as_str())) {
        Some(unknown) => Err(rusqlite::Error::InvalidParameterName(format!(
            "the phone writer runs without triggers and does not do the work of trigger {unknown}"
        ))),
        None => Ok(()),
    }
}

/// The writer's busy handler: try again after [`BUSY_STEP`], up to [`BUSY_TRIES`] times.
fn busy_wait(tries: i32) -> bool {
    if tries >= BUSY_TRIES {
        return false;
    }
    std::thread::sleep(BUSY_STEP);
    true
}

/// A handle to the writer thread; cheap to clone.
#[derive(Clone, Debug)]
pub struct PhoneWriter {
    jobs: SyncSender<Message>,
}

impl PhoneWriter {
    /// Opens a second connection to the database file at `path` and starts the writer thread.
    pub fn start(path: &str, durability: Durability, turns: WriteTurns) -> Result<PhoneWriter, rusqlite::Error> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        // Another connection's write (the web admin's, the conf generator's marks) holds the lock for
        // well under a millisecond; SQLite's own busy handler sleeps 1, 2, 5, 10 ms... between tries,
        // which added whole milliseconds to the add_phone behind it. This one looks every 50 µs.
        conn.busy_handler(Some(busy_wait))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Any trigger on a table an insert writes makes SQLite keep a statement journal of every page
        // the insert changes (~7% of the server's CPU samples at 8 connections); and FTS5 writes its
        // pending entries out at the start of each later statement, one index segment per phone. So
        // this connection runs without triggers and does their work itself, once per batch.
        check_triggers(&conn)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        // Statement journals stay in memory (a temporary file was created and removed per commit),
        // and the checkpointer thread, not this one, copies the log back (see `checkpointer`).
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // A small page cache: SQLite walks the cache's hash table at the end of every write
        // transaction (`pcache1TruncateUnsafe`, 11.5% of this thread's samples at 120,000 phones with
        // 16 MB); with 2 MB a phone costs ~185 µs of this thread instead of ~218, and the pages a batch
        // touches (the right-hand edges of the indexes) still fit.
        conn.pragma_update(None, "cache_size", -2000)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "journal_size_limit", crate::storage::JOURNAL_SIZE_LIMIT)?;
        conn.pragma_update(
            None,
            "synchronous",
            match durability {
                Durability::Process => "NORMAL",
                Durability::PowerLoss => "FULL",
            },
        )?;
        let (jobs, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("phone-writer".into())
            .spawn(move || run(conn, rx, turns))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(PhoneWriter { jobs })
    }

    /// Adds a validated phone with its audit entry; marks its server for a conf rebuild. Resolves
    /// once the transaction holding it has committed.
    pub async fn add(&self, entry: PhoneEntry, audit: AddAudit) -> Result<(), AddRefused> {
        let (reply, answer) = oneshot::channel();
        if !self.send(Message::Add(Box::new(Job { entry, audit, reply }))).await {
            return Err(AddRefused::Db("phone writer stopped".into()));
        }
        answer.await.unwrap_or_else(|_| Err(AddRefused::Db("phone writer stopped".into())))
    }

    /// Stops the thread after the jobs already queued, closing its connection (which checkpoints
    /// the WAL); returns once it is closed.
    pub async fn stop(&self) {
        let (done, closed) = oneshot::channel();
        if self.send(Message::Stop(done)).await {
            let _ = closed.await;
        }
    }

    /// From a plain thread (the checkpointer): asks the writer to checkpoint between two batches and
    /// waits for it. Returns the log's frames and those copied, `None` when the checkpoint was busy,
    /// failed, or the writer has stopped.
    pub fn checkpoint_blocking(&self) -> Option<(i64, i64)> {
        let (done, answer) = std::sync::mpsc::channel();
        self.jobs.send(Message::Checkpoint(done)).ok()?;
        answer.recv().ok().flatten()
    }

    /// Hands a message over without blocking the async runtime (waiting a little when the queue is
    /// full); `false` when the thread has stopped.
    async fn send(&self, mut message: Message) -> bool {
        loop {
            match self.jobs.try_send(message) {
                Ok(()) => return true,
                Err(TrySendError::Full(m)) => {
                    message = m;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err(TrySendError::Disconnected(_)) => return false,
            }
        }
    }
}

fn run(mut conn: Connection, rx: Receiver<Message>, turns: WriteTurns) {
    let mut stop = None;
    while stop.is_none() {
        let mut batch = match rx.recv() {
            Ok(Message::Add(job)) => vec![*job],
            Ok(Message::Checkpoint(done)) => {
                let _ = done.send(passive_checkpoint(&conn));
                continue;
            }
            Ok(Message::Stop(done)) => {
                stop = Some(done);
                break;
            }
            Err(_) => break,
        };
        let mut checkpoint_after = None;
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Add(job)) => batch.push(*job),
                Ok(Message::Checkpoint(done)) => {
                    checkpoint_after = Some(done);
                    break;
                }
                Ok(Message::Stop(done)) => {
                    stop = Some(done);
                    break;
                }
                Err(_) => break,
            }
        }
        turns.let_others_go_first();
        let results = commit_batch(&mut conn, &batch);
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
        if let Some(done) = checkpoint_after {
            let _ = done.send(passive_checkpoint(&conn));
        }
    }
    drop(conn);
    if let Some(done) = stop {
        let _ = done.send(());
    }
}

/// Runs one batch in one transaction; returns each job's result (all errors if the commit fails).
///
/// The checks come before any write, so a refused phone (duplicate, unknown server) leaves nothing
/// behind and needs no savepoint (a savepoint per phone cost a statement journal of every page it
/// touched). Should a write itself fail (which the checks make unexpected), the whole batch is rolled
/// back and its phones are added again one transaction each, so one failure refuses only its phone.
fn commit_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Result<(), AddRefused>> {
    match try_batch(conn, batch) {
        Ok(results) => results,
        Err(_) if batch.len() > 1 => {
            tracing::warn!(phones = batch.len(), "phone writer: a batch failed; adding its phones one by one");
            batch
                .iter()
                .flat_map(|job| try_batch(conn, std::slice::from_ref(job)).unwrap_or_else(|e| vec![Err(e)]))
                .collect()
        }
        Err(e) => vec![Err(e)],
    }
}

/// One transaction for `batch`: per phone its refusal or `Ok`; `Err` when a write or the commit
/// failed (the transaction is rolled back: nothing of the batch is stored).
fn try_batch(conn: &mut Connection, batch: &[Job]) -> Result<Vec<Result<(), AddRefused>>, AddRefused> {
    let db_err = |err: rusqlite::Error| {
        tracing::error!(error = %err, "phone writer: statement failed");
        AddRefused::Db(err.to_string())
    };
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
    let mut results = Vec::with_capacity(batch.len());
    let mut servers = BTreeSet::new();
    let mut added = Vec::with_capacity(batch.len());
    for job in batch {
        let refusal = check_one(&tx, &job.entry).map_err(db_err)?;
        if refusal.is_none() {
            added.push(write_one(&tx, job).map_err(db_err)?);
            servers.insert(job.entry.server_ip.as_str());
        }
        results.push(refusal.map_or(Ok(()), Err));
    }
    for ip in &servers {
        tx.prepare_cached(MARK_REBUILD).and_then(|mut s| s.execute([ip])).map_err(db_err)?;
    }
    index_for_search(&tx, &added).map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(results)
}

/// The database rules for a new phone, in VICIdial's order; `None` when it may be added.
fn check_one(tx: &rusqlite::Transaction<'_>, e: &PhoneEntry) -> Result<Option<AddRefused>, rusqlite::Error> {
    let (server, ext_taken, login_taken, alias) = tx
        .prepare_cached(FIND_CONFLICTS)?
        .query_row(params![e.server_ip, e.extension, e.phone_login, "", ""], |r| {
            Ok((r.get::<_, bool>(0)?, r.get::<_, bool>(1)?, r.get::<_, bool>(2)?, r.get::<_, bool>(3)?))
        })?;
    let refusal = if !server {
        Some(AddRefused::ServerNotFound)
    } else if ext_taken {
        Some(AddRefused::ExtensionTaken)
    } else if login_taken {
        Some(AddRefused::LoginTaken)
    } else if alias {
        Some(AddRefused::LoginIsAlias)
    } else if !e.template_id.is_empty()
        && tx.prepare_cached(COUNT_TEMPLATE)?.query_row([&e.template_id], |r| r.get::<_, i64>(0))? == 0
    {
        Some(AddRefused::TemplateNotFound)
    } else {
        None
    };
    Ok(refusal)
}

/// Indexes the phones of rowids `?1..=?2` for search.
const INDEX_RANGE: &str = "INSERT INTO phones_search (rowid, extension, login, fullname, dialplan_number) \
     SELECT rowid, extension, login, fullname, dialplan_number FROM phones WHERE rowid BETWEEN ?1 AND ?2";

/// Does what the trigger `phones_search_insert` does for the other connections (this one runs without
/// triggers): indexes the batch's new phones (`rowids`, in insert order) for search, in one statement
/// when their rowids are consecutive (they are: the writer holds the write lock and each insert takes
/// the next rowid), else one per run of consecutive rowids. One statement makes one FTS5 segment.
fn index_for_search(tx: &rusqlite::Transaction<'_>, rowids: &[i64]) -> Result<(), rusqlite::Error> {
    let mut index = tx.prepare_cached(INDEX_RANGE)?;
    let mut rest = rowids;
    while let Some((&first, _)) = rest.split_first() {
        let run = rest.windows(2).take_while(|w| w[1] == w[0] + 1).count() + 1;
        index.execute([first, rest[run - 1]])?;
        rest = &rest[run..];
    }
    Ok(())
}

/// Inserts the phone and its audit entry; returns the phone's rowid.
fn write_one(tx: &rusqlite::Transaction<'_>, job: &Job) -> Result<i64, rusqlite::Error> {
    let e = &job.entry;
    tx.prepare_cached(INSERT_PHONE)?.execute(params![
        e.extension,
        e.dialplan_number,
        e.voicemail_id,
        e.phone_login,
        e.phone_pass,
        e.server_ip,
        e.protocol.as_str(),
        e.registration_password,
        e.phone_full_name,
        e.local_gmt,
        e.outbound_cid,
        e.email,
        e.phone_context,
        e.user_group,
        e.is_webphone.as_str(),
        e.webphone_auto_answer.as_str(),
        e.use_external_server_ip.as_str(),
        e.on_hook_agent.as_str(),
        e.template_id,
        e.status.as_str(),
        e.active.as_str(),
        e.phone_type,
        i64::from(e.phone_ring_timeout),
        e.outbound_alt_cid,
        e.delete_vm_after_email.as_str(),
    ])?;
    let rowid = tx.last_insert_rowid();
    let a = &job.audit;
    tx.prepare_cached(INSERT_AUDIT)?.execute(params![
        a.event_date,
        a.user,
        a.ip_address,
        "PHONES",
        "ADD",
        e.extension,
        a.event_code,
        a.event_diff,
        format!("phone: {}|{}", e.extension, e.server_ip),
    ])?;
    Ok(rowid)
}
