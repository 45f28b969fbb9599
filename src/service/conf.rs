//! Asterisk conf generation as a running service: regenerate a server's files from its phones, write
//! them into `<conf dir>/<server_ip>/` when changed, record the state, and ask Asterisk (over AMI) to
//! reload what changed; plus the background worker that does this within seconds of a change, and the
//! read side the pages use (a phone's stanza and state, a server's files).
//!
//! Knows the domain generator, storage and the AMI client; nothing of HTTP or the UI.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ami::{self, AmiConfig};
use crate::domain::asterisk_conf::{
    self, phone_conf_state, ConfBuilder, ConfFile, ConfPhone, ConfServer, PhoneConf, PhoneConfState, Refusal,
    ServerConfStatus,
};
use crate::domain::phone_entry::validate_server_ip;
use crate::storage::conf::{self, ServerConfRow};
use crate::storage::{conf_files, now_unix, Db};

/// How the generator runs.
#[derive(Debug, Clone)]
pub struct ConfSettings {
    /// Root of the generated files (`--conf-dir`).
    pub conf_dir: PathBuf,
    /// How often the worker looks for marked servers.
    pub poll: Duration,
    /// How long the worker waits after seeing a marked server, so a burst of changes makes one build.
    pub debounce: Duration,
    /// How long after a failed reload it is tried again.
    pub retry: Duration,
    /// Time limit of each AMI step (connect, login, each command).
    pub ami_timeout: Duration,
}

impl ConfSettings {
    /// Defaults for `conf_dir`: poll every 500 ms, debounce 400 ms (a change is applied in about a
    /// second, at most two), retry a failed reload every 30 s, 5 s AMI time limit.
    pub fn new(conf_dir: PathBuf) -> Self {
        ConfSettings {
            conf_dir,
            poll: Duration::from_millis(500),
            debounce: Duration::from_millis(400),
            retry: Duration::from_secs(30),
            ami_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a generation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConfError {
    /// No server with this IP.
    #[error("no server with server_ip {0}")]
    UnknownServer(String),
    /// The server's IP is not a dotted IPv4 address, so it cannot name a directory safely.
    #[error("server_ip {0:?} is not a dotted IPv4 address; its files are not written")]
    BadServerIp(String),
    /// Writing a file failed.
    #[error("writing {file}: {error}")]
    Write {
        /// The file path.
        file: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Reading the phones failed.
    #[error("reading the phones: {0}")]
    Read(String),
}

/// What one regeneration of a server did.
#[derive(Debug, Clone)]
pub struct GenerationReport {
    /// The server.
    pub server_ip: String,
    /// Phones written.
    pub written: usize,
    /// Phones refused (one line each).
    pub refused: Vec<String>,
    /// Files whose content changed (and were replaced).
    pub changed: Vec<ConfFile>,
    /// Time to read the phones and build the files.
    pub build_time: Duration,
    /// Time to compare and write the files.
    pub write_time: Duration,
    /// The reload result: `None` when nothing needed a reload or the server has no AMI settings.
    pub reload: Option<Result<Vec<&'static str>, String>>,
}

/// Formats `system_settings.reload_timestamp` as VICIdial prints it (UTC here), empty when never set.
fn reload_stamp(ts: i64) -> String {
    if ts <= 0 {
        return String::new();
    }
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

async fn conf_server(db: &Db, row: &ServerConfRow) -> Result<ConfServer, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    let (default_codecs, reload_timestamp) = conf::conf_settings(&mut conn).await?;
    Ok(ConfServer {
        asterisk_version: row.asterisk_version.clone(),
        default_codecs,
        reload_timestamp: reload_stamp(reload_timestamp),
    })
}

/// What building and writing one server's files produced.
struct Built {
    written: usize,
    refused: Vec<Refusal>,
    changed: Vec<ConfFile>,
    build_time: Duration,
    write_time: Duration,
}

/// Streams the server's phones through the generator into staged files beside the live ones, then
/// replaces the files whose content changed. Runs on a thread of its own at the idle scheduling
/// priority ([`in_background`]): reading and building tens of thousands of stanzas is CPU work (about
/// 0.4 s per 100,000 phones), which must not be taken from the requests; memory stays flat (text is
/// written out every 64 KiB).
async fn build_and_write(db: &Db, row: &ServerConfRow, dir: PathBuf) -> Result<Built, ConfError> {
    let server = conf_server(db, row).await?;
    let templates = {
        let mut conn = db.reader().acquire().await?;
        conf::templates_by_id(&mut conn).await?
    };
    // The rows are read on a thread at normal priority, a chunk ahead of the build: each chunk's read
    // transaction takes a millisecond or two, while the idle-priority build may wait seconds for a core
    // and must not hold a snapshot meanwhile (see `ConfPhoneChunks`).
    let chunks = read_ahead(db.path(), &row.server_ip)?;
    in_background(move || {
        let started = Instant::now();
        let mut write_time = Duration::ZERO;
        let write_error =
            |file: ConfFile, error| ConfError::Write { file: dir.join(file.file_name()).display().to_string(), error };
        let mut staged = Vec::new();
        for file in ConfFile::ALL {
            staged.push((
                file,
                conf_files::StagedFile::create(&dir, file.file_name()).map_err(|e| write_error(file, e))?,
            ));
        }
        let mut builder = ConfBuilder::new(&server);
        let mut failure = None;
        for chunk in chunks {
            for phone in chunk.map_err(|e| ConfError::Read(e.to_string()))? {
                let template = if phone.template_id.len() > 1 {
                    templates.get(&phone.template_id.to_ascii_lowercase()).map(String::as_str)
                } else {
                    None
                };
                builder.push(&phone, template);
                for (file, out) in &mut staged {
                    if failure.is_none() && builder.buffered(*file) >= 64 * 1024 {
                        let t = Instant::now();
                        if let Err(e) = out.write(&builder.drain(*file)) {
                            failure = Some(write_error(*file, e));
                        }
                        write_time += t.elapsed();
                    }
                }
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let rest = builder.finish();
        let t = Instant::now();
        let mut changed = Vec::new();
        for ((file, mut out), (_, text)) in staged.into_iter().zip(rest.files) {
            out.write(&text).map_err(|e| write_error(file, e))?;
            if out.commit().map_err(|e| write_error(file, e))? {
                changed.push(file);
            }
        }
        write_time += t.elapsed();
        Ok(Built {
            written: rest.written,
            refused: rest.refused,
            changed,
            build_time: started.elapsed().saturating_sub(write_time),
            write_time,
        })
    })
    .await
    .unwrap_or_else(|e| Err(ConfError::Read(e)))
}

/// Starts a thread (at the caller's priority) that reads the phones of `server_ip` chunk by chunk
/// ([`conf::ConfPhoneChunks`]) and hands each over, at most two ahead of the build; it stops when the
/// receiver is dropped.
fn read_ahead(path: &str, server_ip: &str) -> Result<Receiver<rusqlite::Result<Vec<ConfPhone>>>, ConfError> {
    let (send, chunks) = sync_channel(2);
    let (path, ip) = (path.to_string(), server_ip.to_string());
    std::thread::Builder::new()
        .name("conf-read".into())
        .spawn(move || {
            // Every chunk is handed over; the first error is handed over and ends the reading.
            let read = || -> rusqlite::Result<()> {
                let mut reader = conf::ConfPhoneChunks::open(&path, &ip)?;
                while let Some(chunk) = reader.next_chunk()? {
                    if send.send(Ok(chunk)).is_err() {
                        break;
                    }
                }
                Ok(())
            };
            if let Err(e) = read() {
                let _ = send.send(Err(e));
            }
        })
        .map_err(|e| ConfError::Read(format!("could not start the reading thread: {e}")))?;
    Ok(chunks)
}

/// Runs `work` on a new thread with the idle scheduling policy (Linux `SCHED_IDLE`: it gets a core only
/// when no other thread wants it) and awaits its result. Measured at 8 connections adding phones to a
/// server with 120,000 phones, a build at normal priority took a core for about half a second each time
/// and cut `add_phone`'s throughput by a fifth, with a p99 of 154 ms instead of 58 ms. Where the policy
/// cannot be set, the build runs at normal priority (logged once per build).
async fn in_background<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    use thread_priority::unix::{
        set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy, ThreadSchedulePolicy,
    };
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("conf-build".into())
        .spawn(move || {
            let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
            if let Err(e) =
                set_thread_priority_and_policy(thread_native_id(), thread_priority::ThreadPriority::Min, idle)
            {
                tracing::warn!("conf generation: could not lower the build's priority: {e:?}");
            }
            let _ = done.send(work());
        })
        .map_err(|e| format!("could not start the build thread: {e}"))?;
    result.await.map_err(|_| "the build thread stopped without a result".to_string())
}

fn ami_config(row: &ServerConfRow, timeout: Duration) -> AmiConfig {
    AmiConfig {
        host: row.telnet_host.clone(),
        port: u16::try_from(row.telnet_port).unwrap_or(5038),
        username: row.ami_username.clone(),
        secret: row.ami_secret.clone(),
        timeout,
    }
}

/// What testing a server's AMI settings found (see [`check_ami`]). Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmiCheck {
    /// The server has no AMI settings (no host or no user): nothing was tried.
    NotConfigured,
    /// Connected and logged in (then logged off); the AMI version from Asterisk's greeting.
    LoggedIn {
        /// e.g. `5.0.1`.
        version: String,
    },
    /// The connection was refused: nothing listens on that port (Asterisk down, manager disabled,
    /// wrong port) or a firewall rejects it.
    Refused,
    /// The host could not be reached or its name did not resolve.
    Unreachable,
    /// No answer within the time limit (while connecting, or waiting for the greeting or the login's
    /// answer).
    Timeout,
    /// Asterisk refused the login (wrong user or secret, or the user is not allowed from this address).
    AuthFailed,
    /// Something answered, but not as an Asterisk manager does (closed the connection, another
    /// protocol).
    NotAmi,
    /// The stored user or secret cannot be sent (it holds a line break); nothing was sent.
    BadSettings,
}

/// Tests `server_ip`'s AMI settings: connects, reads the greeting, logs in and logs off, each step
/// bounded by `timeout`. `None` when there is no such server. Changes nothing and writes no log line
/// with the secret (the client redacts it from every error).
pub async fn check_ami(db: &Db, server_ip: &str, timeout: Duration) -> Result<Option<AmiCheck>, sqlx::Error> {
    let row = {
        let mut conn = db.reader().acquire().await?;
        conf::server_conf(&mut conn, server_ip).await?
    };
    let Some(row) = row else { return Ok(None) };
    if !row.ami_configured() {
        return Ok(Some(AmiCheck::NotConfigured));
    }
    let cfg = ami_config(&row, timeout);
    let check = match ami::AmiSession::connect(&cfg).await {
        Ok(session) => {
            let version = session.server_version().to_string();
            if let Err(e) = session.logoff().await {
                tracing::debug!(server_ip, "AMI test: logoff: {e}");
            }
            AmiCheck::LoggedIn { version }
        }
        Err(e) => {
            tracing::info!(server_ip, "AMI test failed: {e}");
            match e {
                ami::AmiError::Connect { source, .. } if source.kind() == std::io::ErrorKind::ConnectionRefused => {
                    AmiCheck::Refused
                }
                ami::AmiError::Connect { .. } => AmiCheck::Unreachable,
                ami::AmiError::Timeout { .. } => AmiCheck::Timeout,
                ami::AmiError::LoginRejected { .. } => AmiCheck::AuthFailed,
                ami::AmiError::InvalidAction { .. } => AmiCheck::BadSettings,
                _ => AmiCheck::NotAmi,
            }
        }
    };
    Ok(Some(check))
}

fn parse_pending(text: &str) -> BTreeSet<ConfFile> {
    text.split_whitespace().filter_map(ConfFile::from_file_name).collect()
}

fn format_pending(files: &BTreeSet<ConfFile>) -> String {
    ConfFile::ALL.iter().filter(|f| files.contains(f)).map(|f| f.file_name()).collect::<Vec<_>>().join(" ")
}

/// Regenerates one server now: clears its rebuild flag first (a change committed meanwhile marks it
/// again), builds its files, writes the changed ones, records the generation, then reloads what
/// changed (or was still waiting) over AMI when the server has AMI settings. `force` rebuilds a server
/// that is not marked.
pub async fn regenerate_server(
    db: &Db,
    settings: &ConfSettings,
    server_ip: &str,
    force: bool,
) -> Result<Option<GenerationReport>, ConfError> {
    let row = {
        let mut conn = db.reader().acquire().await?;
        conf::server_conf(&mut conn, server_ip).await?.ok_or_else(|| ConfError::UnknownServer(server_ip.into()))?
    };
    if validate_server_ip(&row.server_ip).is_err() {
        return Err(ConfError::BadServerIp(row.server_ip));
    }
    let mut tx = db.write().await?;
    let claimed = conf::claim_rebuild(&mut tx, &row.server_ip).await?;
    tx.commit().await?;
    if !claimed && !force {
        return Ok(None);
    }
    let dir = conf_files::server_dir(&settings.conf_dir, &row.server_ip);
    let built = match build_and_write(db, &row, dir).await {
        Ok(built) => built,
        Err(e @ ConfError::Write { .. }) => return Err(remark_after_failure(db, &row.server_ip, e).await),
        Err(e) => return Err(e),
    };
    let Built { written, refused, changed, build_time, write_time } = built;
    let refused: Vec<String> = refused.iter().map(Refusal::describe).collect();
    for r in &refused {
        tracing::warn!(server_ip = %row.server_ip, "conf generator refused {r}");
    }
    // Without AMI nothing can confirm a reload, so nothing is kept pending (the state says "written").
    let mut pending = BTreeSet::new();
    if row.ami_configured() {
        pending = parse_pending(&row.conf_reload_pending);
        pending.extend(changed.iter().copied());
    }
    let now = now_unix();
    let mut tx = db.write().await?;
    conf::record_generation(&mut tx, &row.server_ip, now, &refused.join("\n"), &format_pending(&pending)).await?;
    tx.commit().await?;
    tracing::info!(
        server_ip = %row.server_ip,
        phones = written,
        refused = refused.len(),
        changed = changed.len(),
        build_ms = build_time.as_millis() as u64,
        "conf files generated"
    );
    let reload = if row.ami_configured() && !pending.is_empty() {
        Some(apply(db, settings, &row, &pending).await?)
    } else {
        None
    };
    Ok(Some(GenerationReport { server_ip: row.server_ip, written, refused, changed, build_time, write_time, reload }))
}

/// A failed write: the error is recorded, and the server marked again so a later pass retries.
async fn remark_after_failure(db: &Db, server_ip: &str, error: ConfError) -> ConfError {
    tracing::error!(server_ip, "conf generation failed: {error}");
    let message = error.to_string();
    let recorded = async {
        let mut tx = db.write().await?;
        conf::remark_rebuild(&mut tx, server_ip).await?;
        conf::record_apply(&mut tx, server_ip, now_unix(), Some(&message)).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = recorded {
        tracing::error!(server_ip, "could not record the conf failure: {e}");
    }
    error
}

/// Sends the reload commands for `pending` (VICIdial's order: dialplan, sip, pjsip, iax2) and records
/// the outcome. Returns the commands sent, or the error.
async fn apply(
    db: &Db,
    settings: &ConfSettings,
    row: &ServerConfRow,
    pending: &BTreeSet<ConfFile>,
) -> Result<Result<Vec<&'static str>, String>, ConfError> {
    let commands: Vec<&'static str> =
        ConfFile::ALL.iter().filter(|f| pending.contains(f)).map(|f| f.reload_command()).collect();
    let result = ami::run_commands(&ami_config(row, settings.ami_timeout), &commands).await.map_err(|e| e.to_string());
    let mut tx = db.write().await?;
    conf::record_apply(&mut tx, &row.server_ip, now_unix(), result.as_ref().err().map(String::as_str)).await?;
    tx.commit().await?;
    match &result {
        Ok(()) => tracing::info!(server_ip = %row.server_ip, ?commands, "Asterisk reloaded"),
        Err(e) => tracing::warn!(server_ip = %row.server_ip, "Asterisk reload failed: {e}"),
    }
    Ok(result.map(|()| commands))
}

/// Retries the reload of a server whose last reload failed.
pub async fn retry_reload(db: &Db, settings: &ConfSettings, server_ip: &str) -> Result<(), ConfError> {
    let row = {
        let mut conn = db.reader().acquire().await?;
        conf::server_conf(&mut conn, server_ip).await?.ok_or_else(|| ConfError::UnknownServer(server_ip.into()))?
    };
    let pending = parse_pending(&row.conf_reload_pending);
    if !pending.is_empty() && row.ami_configured() {
        // The outcome is recorded and logged by `apply`.
        apply(db, settings, &row, &pending).await?.ok();
    } else if !pending.is_empty() {
        // AMI settings were removed: nothing can confirm a reload any more.
        let mut tx = db.write().await?;
        conf::record_generation(
            &mut tx,
            &row.server_ip,
            row.conf_generated_at.unwrap_or_else(now_unix),
            &row.conf_refused,
            "",
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// One pass of the worker: regenerate every marked server and retry due reloads. Returns the reports.
pub async fn run_pass(db: &Db, settings: &ConfSettings) -> Result<Vec<GenerationReport>, ConfError> {
    Ok(run_pass_where(db, settings, |_| true).await?.0)
}

/// [`run_pass`] over the servers `due` accepts (the worker's rest periods); also returns the servers
/// that failed.
async fn run_pass_where(
    db: &Db,
    settings: &ConfSettings,
    due: impl Fn(&str) -> bool,
) -> Result<(Vec<GenerationReport>, Vec<String>), ConfError> {
    let retry_before = now_unix() - settings.retry.as_secs() as i64;
    let work = {
        let mut conn = db.reader().acquire().await?;
        conf::servers_needing_work(&mut conn, retry_before).await?
    };
    let (mut reports, mut failed) = (Vec::new(), Vec::new());
    for row in work.into_iter().filter(|r| due(&r.server_ip)) {
        let result = if row.rebuild_conf_files == "Y" && row.generates() {
            regenerate_server(db, settings, &row.server_ip, false).await.map(|r| reports.extend(r))
        } else {
            retry_reload(db, settings, &row.server_ip).await
        };
        if let Err(e) = result {
            tracing::error!(server_ip = %row.server_ip, "conf generation: {e}");
            failed.push(row.server_ip);
        }
    }
    Ok((reports, failed))
}

/// The background generator; stops when dropped or on [`ConfWorker::stop`].
#[derive(Debug)]
pub struct ConfWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ConfWorker {
    /// Starts the worker: every `poll` it looks for servers with work; when one is marked it waits
    /// `debounce` (so a burst of changes is built once), then runs a pass. A server whose build took
    /// longer than `debounce` rests for twice its build time before the next one, so under a constant
    /// stream of changes to a very large server the generator takes at most about a third of a core,
    /// and only a core no request wants (builds run at idle priority); a server whose generation
    /// failed rests for `retry`.
    pub fn start(db: Db, settings: ConfSettings) -> ConfWorker {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            tracing::info!(conf_dir = %settings.conf_dir.display(), "conf generator started");
            let mut rest_until: HashMap<String, Instant> = HashMap::new();
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    () = tokio::time::sleep(settings.poll) => {}
                }
                let retry_before = now_unix() - settings.retry.as_secs() as i64;
                let work = async {
                    let mut conn = db.reader().acquire().await?;
                    conf::servers_needing_work(&mut conn, retry_before).await
                }
                .await;
                match work {
                    Ok(w) if w.is_empty() => continue,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!("conf generator: {e}");
                        continue;
                    }
                }
                tokio::select! {
                    _ = stopped.changed() => break,
                    () = tokio::time::sleep(settings.debounce) => {}
                }
                let now = Instant::now();
                rest_until.retain(|_, until| *until > now);
                match run_pass_where(&db, &settings, |ip| !rest_until.contains_key(ip)).await {
                    Ok((reports, failed)) => {
                        for r in reports.iter().filter(|r| r.build_time > settings.debounce) {
                            rest_until.insert(r.server_ip.clone(), Instant::now() + r.build_time * 2);
                        }
                        // A server that failed (unwritable directory, bad IP) is retried after `retry`,
                        // not at every poll.
                        for ip in failed {
                            rest_until.insert(ip, Instant::now() + settings.retry);
                        }
                    }
                    Err(e) => tracing::error!("conf generator: {e}"),
                }
            }
        });
        ConfWorker { stop, task }
    }

    /// Stops the worker and waits for the pass in progress to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// A server's generation state as the pages show it.
#[derive(Debug, Clone)]
pub struct ServerConfView {
    /// The server.
    pub server_ip: String,
    /// Its state for phones.
    pub status: ServerConfStatus,
    /// Refused phones at the last generation.
    pub refused: Vec<String>,
    /// Files waiting for a reload.
    pub reload_pending: Vec<&'static str>,
}

impl ServerConfView {
    /// One line for pages and the CLI, e.g. `generated 2026-11-23 16:49:58 UTC; applied 2026-11-23
    /// 16:49:58 UTC` or `rebuild pending`.
    pub fn summary(&self) -> String {
        let s = &self.status;
        if !s.generates {
            return "not generated (generate_vicidial_conf or active_asterisk_server is N)".into();
        }
        if s.rebuild_pending {
            return "rebuild pending".into();
        }
        let Some(generated) = s.generated_at else { return "not generated yet".into() };
        let mut line = format!("generated {}", utc_stamp(generated));
        if !s.ami_configured {
            line.push_str("; reload by hand (no AMI settings)");
        } else if !s.apply_error.is_empty() {
            line.push_str(&format!("; reload failed: {}", s.apply_error));
        } else if s.reload_pending {
            line.push_str("; reload pending");
        } else if let Some(applied) = s.applied_at {
            line.push_str(&format!("; applied {}", utc_stamp(applied)));
        }
        if !self.refused.is_empty() {
            line.push_str(&format!("; {} phone(s) refused", self.refused.len()));
        }
        line
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc_stamp(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map_or_else(String::new, |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// A server's generation state from its stored row.
pub(crate) fn status_of(row: &ServerConfRow) -> ServerConfStatus {
    ServerConfStatus {
        generates: row.generates(),
        rebuild_pending: row.rebuild_conf_files == "Y",
        generated_at: row.conf_generated_at,
        applied_at: row.conf_applied_at,
        reload_pending: !row.conf_reload_pending.is_empty(),
        apply_error: row.conf_apply_error.clone(),
        ami_configured: row.ami_configured(),
    }
}

/// Every server's generation state.
pub async fn server_conf_views(db: &Db) -> Result<Vec<ServerConfView>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    let rows = conf::all_server_conf(&mut conn).await?;
    Ok(rows
        .iter()
        .map(|row| ServerConfView {
            server_ip: row.server_ip.clone(),
            status: status_of(row),
            refused: row.conf_refused.lines().map(str::to_string).collect(),
            reload_pending: parse_pending(&row.conf_reload_pending).iter().map(|f| f.file_name()).collect(),
        })
        .collect())
}

/// One phone's stanza (or why it has none / is refused) and its state on its server.
pub async fn phone_conf_view(
    db: &Db,
    extension: &str,
    server_ip: &str,
) -> Result<Option<(Result<PhoneConf, Refusal>, PhoneConfState)>, ConfError> {
    let (path, ext, ip) = (db.path().to_string(), extension.to_string(), server_ip.to_string());
    let phone = tokio::task::spawn_blocking(move || conf::conf_phone(&path, &ext, &ip))
        .await
        .map_err(|e| ConfError::Read(e.to_string()))?
        .map_err(|e| ConfError::Read(e.to_string()))?;
    let Some(phone) = phone else { return Ok(None) };
    let mut conn = db.reader().acquire().await?;
    let Some(row) = conf::server_conf(&mut conn, server_ip).await? else { return Ok(None) };
    let template = conf::template_contents(&mut conn, &phone.template_id).await?;
    drop(conn);
    let server = conf_server(db, &row).await?;
    let conf = asterisk_conf::phone_conf(&server, &phone, template.as_deref());
    let state = phone_conf_state(&phone, conf.as_ref().err(), &status_of(&row));
    Ok(Some((conf, state)))
}

/// A preview of the configuration a phone not yet stored would produce on `server_ip` (the wizard's
/// review step).
pub async fn preview_phone_conf(
    db: &Db,
    phone: &ConfPhone,
    server_ip: &str,
) -> Result<Result<PhoneConf, Refusal>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    let Some(row) = conf::server_conf(&mut conn, server_ip).await? else {
        return Ok(Ok(PhoneConf { peer_file: None, stanza: String::new(), dialplan: String::new() }));
    };
    let template = conf::template_contents(&mut conn, &phone.template_id).await?;
    drop(conn);
    let server = conf_server(db, &row).await?;
    Ok(asterisk_conf::phone_conf(&server, phone, template.as_deref()))
}

/// One generated file of a server as written on disk (for download), `None` when not generated yet.
pub async fn read_conf_file(
    settings: &ConfSettings,
    server_ip: &str,
    file: ConfFile,
) -> std::io::Result<Option<String>> {
    if validate_server_ip(server_ip).is_err() {
        return Ok(None);
    }
    let dir = conf_files::server_dir(&settings.conf_dir, server_ip);
    tokio::task::spawn_blocking(move || conf_files::read(&dir, file.file_name()))
        .await
        .map_err(std::io::Error::other)?
}
