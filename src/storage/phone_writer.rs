//! The phone writer: one thread that owns a direct SQLite connection and adds phones in batches
//! (group commit).
//!
//! Why it exists: through sqlx every statement is a round trip to sqlx's worker thread, and measured
//! under load the server spent most of its time in those thread hand-offs, not in SQLite. Here a
//! request costs one hand-off each way; the checks and inserts of every request waiting at that moment
//! run back to back in one `BEGIN IMMEDIATE` transaction, each inside its own savepoint, and every
//! caller is answered only after the `COMMIT` (so an acknowledged phone is on disk, in the WAL).
//!
//! Knows SQL and nothing of HTTP; the SQL text is shared with the sqlx functions of `storage`.

use std::collections::BTreeSet;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::domain::PhoneEntry;
use crate::storage::audit::INSERT_AUDIT;
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
    /// Close the connection and stop; answered once closed.
    Stop(oneshot::Sender<()>),
}

/// A handle to the writer thread; cheap to clone.
#[derive(Clone, Debug)]
pub struct PhoneWriter {
    jobs: SyncSender<Message>,
}

impl PhoneWriter {
    /// Opens a second connection to the database file at `path` and starts the writer thread.
    pub fn start(path: &str, durability: Durability) -> Result<PhoneWriter, rusqlite::Error> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
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
            .spawn(move || run(conn, rx))
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

fn run(mut conn: Connection, rx: Receiver<Message>) {
    let mut stop = None;
    while stop.is_none() {
        let mut batch = match rx.recv() {
            Ok(Message::Add(job)) => vec![*job],
            Ok(Message::Stop(done)) => {
                stop = Some(done);
                break;
            }
            Err(_) => break,
        };
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Add(job)) => batch.push(*job),
                Ok(Message::Stop(done)) => {
                    stop = Some(done);
                    break;
                }
                Err(_) => break,
            }
        }
        let results = commit_batch(&mut conn, &batch);
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
    drop(conn);
    if let Some(done) = stop {
        let _ = done.send(());
    }
}

/// Runs one batch in one transaction; returns each job's result (all errors if the commit fails).
fn commit_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Result<(), AddRefused>> {
    let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let msg = e.to_string();
            tracing::error!(error = %msg, "phone writer: could not begin");
            return batch.iter().map(|_| Err(AddRefused::Db(msg.clone()))).collect();
        }
    };
    let mut results = Vec::with_capacity(batch.len());
    let mut servers = BTreeSet::new();
    for job in batch {
        let result = add_one(&tx, job);
        if result.is_ok() {
            servers.insert(job.entry.server_ip.as_str());
        }
        results.push(result);
    }
    let finish = || -> Result<(), rusqlite::Error> {
        for ip in &servers {
            tx.prepare_cached(MARK_REBUILD)?.execute([ip])?;
        }
        Ok(())
    };
    if let Err(e) = finish().and_then(|()| tx.commit()) {
        let msg = e.to_string();
        tracing::error!(error = %msg, "phone writer: commit failed");
        return batch.iter().map(|_| Err(AddRefused::Db(msg.clone()))).collect();
    }
    results
}

/// Checks and inserts one phone inside its own savepoint.
fn add_one(tx: &rusqlite::Transaction<'_>, job: &Job) -> Result<(), AddRefused> {
    let e = &job.entry;
    let db_err = |err: rusqlite::Error| {
        tracing::error!(error = %err, "phone writer: statement failed");
        AddRefused::Db(err.to_string())
    };
    let (server, ext_taken, login_taken, alias) = tx
        .prepare_cached(FIND_CONFLICTS)
        .and_then(|mut s| {
            s.query_row(params![e.server_ip, e.extension, e.phone_login, "", ""], |r| {
                Ok((r.get::<_, bool>(0)?, r.get::<_, bool>(1)?, r.get::<_, bool>(2)?, r.get::<_, bool>(3)?))
            })
        })
        .map_err(db_err)?;
    if !server {
        return Err(AddRefused::ServerNotFound);
    }
    if ext_taken {
        return Err(AddRefused::ExtensionTaken);
    }
    if login_taken {
        return Err(AddRefused::LoginTaken);
    }
    if alias {
        return Err(AddRefused::LoginIsAlias);
    }
    if !e.template_id.is_empty() {
        let n: i64 = tx
            .prepare_cached(COUNT_TEMPLATE)
            .and_then(|mut s| s.query_row([&e.template_id], |r| r.get(0)))
            .map_err(db_err)?;
        if n == 0 {
            return Err(AddRefused::TemplateNotFound);
        }
    }
    tx.execute_batch("SAVEPOINT add_phone").map_err(db_err)?;
    let write = || -> Result<(), rusqlite::Error> {
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
        Ok(())
    };
    match write() {
        Ok(()) => tx.execute_batch("RELEASE add_phone").map_err(db_err),
        Err(err) => {
            let _ = tx.execute_batch("ROLLBACK TO add_phone; RELEASE add_phone");
            Err(db_err(err))
        }
    }
}
