//! Storage: the SQLite database (VICIdial's schema), its connection pools, and one function per query.
//!
//! Knows SQL and nothing of HTTP, the UI or the rules' wording: functions take a connection or an
//! executor and return `sqlx::Result`. The service layer composes them into transactions.

pub mod aliases;
pub mod attempts;
pub mod audit;
pub mod carriers;
pub mod checkpointer;
pub mod conf;
pub mod conf_files;
pub mod phone_list;
pub mod phone_writer;
pub mod phones;
pub mod registration;
pub mod remote_agents;
pub mod servers;
pub mod sessions;
pub mod templates;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use checkpointer::Checkpointer;
use phone_writer::PhoneWriter;

/// How hard a commit is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// WAL + `synchronous=NORMAL`: a committed change survives the process being killed (`kill -9`);
    /// the last commits before an operating-system crash or power loss may be lost.
    #[default]
    Process,
    /// WAL + `synchronous=FULL`: the WAL is fsynced at every commit, so a commit also survives power loss.
    PowerLoss,
}

/// The database: a single-connection writer pool (SQLite has one writer; serialising writes in the
/// pool avoids lock contention and busy retries) and a pool of read-only connections.
#[derive(Clone, Debug)]
pub struct Db {
    writer: SqlitePool,
    reader: SqlitePool,
    phones: PhoneWriter,
    turns: phone_writer::WriteTurns,
    checkpoints: Checkpointer,
    path: std::sync::Arc<str>,
}

impl Db {
    /// Opens (creating if missing) the database file at `url` (`sqlite://path` or a plain path),
    /// applies the pragmas, runs the embedded migrations and starts the phone writer thread.
    /// In-memory databases are refused: the writer thread needs a second connection to the same file.
    pub async fn open(url: &str, durability: Durability) -> Result<Db, sqlx::Error> {
        let url = if url.starts_with("sqlite:") { url.to_string() } else { format!("sqlite://{url}") };
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(sqlx::Error::Configuration("in-memory databases are not supported; give a file path".into()));
        }
        let base = SqliteConnectOptions::from_str(&url)?;
        create_private(base.get_filename()).map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        let base = base
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                Durability::Process => SqliteSynchronous::Normal,
                Durability::PowerLoss => SqliteSynchronous::Full,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-16000")
            .pragma("temp_store", "memory")
            // The checkpointer thread copies the log back (see `checkpointer`); no commit does.
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT.to_string());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(base.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let path = base.get_filename().to_string_lossy().into_owned();
        let turns = phone_writer::WriteTurns::default();
        let phones = PhoneWriter::start(&path, durability, turns.clone())
            .map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        let checkpoints =
            Checkpointer::start(&path, phones.clone()).map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            // Readers do not map the file: a mapping counts every page it touched in the process's
            // resident memory, once per connection (374 MB at 100,000 phones with four readers). The
            // list's heavy views are answered from its in-memory index (`service::list_index`), and
            // reading through `read()` cost nothing measurable on the others.
            .connect_with(base.read_only(true))
            .await?;
        Ok(Db { writer, reader, phones, turns, checkpoints, path: path.into() })
    }

    /// The phone writer thread (group-committed phone inserts).
    pub fn phone_writer(&self) -> &PhoneWriter {
        &self.phones
    }

    /// The database file's path (for bulk reads on a blocking thread, see [`conf::conf_phones_bulk`])..
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The read-only pool (any number of concurrent readers).
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// Begins a write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so a transaction
    /// that reads (duplicate checks) and then writes cannot fail on a stale snapshot.
    ///
    /// While it waits for the lock, the phone writer pauses between its batches (see
    /// [`phone_writer::WriteTurns`]): under a steady `add_phone` load it would otherwise hold the lock
    /// almost without a break, and SQLite's busy handler, which sleeps up to 100 ms between tries,
    /// would rarely find the gap.
    pub async fn write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        let _waiting = self.turns.wait();
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    /// Stops the phone writer and closes both pools, flushing the WAL.
    pub async fn close(&self) {
        self.checkpoints.stop();
        self.phones.stop().await;
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// The size the write-ahead log is cut back to when it starts again from its beginning (128 MiB, above the 64 MiB at which the
/// checkpointer restarts it, so that cutting, which took 7-11 ms, is rare), so a
/// burst of writes does not leave a large file behind.
pub const JOURNAL_SIZE_LIMIT: i64 = 128 << 20;

/// Creates the database file, readable only by its owner (`0600`), when it does not exist yet; SQLite
/// gives its `-wal` and `-shm` files the same mode. The file holds every phone's passwords and the
/// servers' AMI secrets. An existing file keeps its mode.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Current Unix time in seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
