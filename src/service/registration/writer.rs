//! The registration writer: one task that takes what every server's monitor reports (events and
//! finished list loads), gathers a burst (up to [`RegistrationSettings::batch`]) and applies it in
//! one write transaction through the writer pool. Only rows whose values change are written; nothing
//! marks a server for a conf rebuild.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::ami::registration::{RegistrationEvent, SipPeerDetail, Technology};
use crate::storage::registration::{self as store, PhoneRegistration};
use crate::storage::Db;

use super::apply::{self, AccountMatch};
use super::load::Snapshot;
use super::RegistrationSettings;

/// Most jobs applied in one transaction (a burst bigger than this is split).
const MAX_BATCH: usize = 20_000;

/// What a monitor reports.
#[derive(Debug)]
pub enum Report {
    /// An event.
    Event(RegistrationEvent),
    /// A finished list load of one technology.
    Snapshot(Snapshot),
    /// A `chan_sip` peer's details (`SIPshowpeer`).
    SipDetail(SipPeerDetail),
}

/// One report from one server, with when it was received.
#[derive(Debug)]
pub struct Job {
    /// The server.
    pub server_ip: Arc<str>,
    /// When it was received (Unix seconds).
    pub at: i64,
    /// The report.
    pub report: Report,
}

/// Starts the writer; it ends (after writing what it holds) once every sender is dropped.
pub fn start(db: Db, settings: RegistrationSettings) -> (mpsc::Sender<Job>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Job>(8192);
    let task = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + settings.batch;
            while batch.len() < MAX_BATCH {
                tokio::select! {
                    job = rx.recv() => match job {
                        Some(job) => batch.push(job),
                        None => break,
                    },
                    () = tokio::time::sleep_until(deadline) => break,
                }
            }
            let started = Instant::now();
            match apply_batch(&db, &batch).await {
                Ok(written) => {
                    let snapshots: Vec<String> = batch
                        .iter()
                        .filter_map(|j| match &j.report {
                            Report::Snapshot(s) => {
                                Some(format!("{} {} ({} listed)", j.server_ip, s.technology.name(), s.entries))
                            }
                            Report::Event(_) | Report::SipDetail(_) => None,
                        })
                        .collect();
                    if snapshots.is_empty() {
                        tracing::debug!(reports = batch.len(), written, elapsed = ?started.elapsed(), "registration batch");
                    } else {
                        tracing::info!(
                            reports = batch.len(),
                            written,
                            elapsed = ?started.elapsed(),
                            "registration: peer lists applied: {}",
                            snapshots.join(", ")
                        );
                    }
                }
                Err(e) => tracing::error!("registration: could not store {} report(s): {e}", batch.len()),
            }
        }
    });
    (tx, task)
}

/// Applies `batch` in order in one transaction; returns how many phones changed.
async fn apply_batch(db: &Db, batch: &[Job]) -> sqlx::Result<usize> {
    let mut tx = db.write().await?;
    let mut written = 0;
    for job in batch {
        written += match &job.report {
            Report::Snapshot(s) => apply_snapshot(&mut tx, &job.server_ip, s, job.at).await?,
            Report::Event(e) => apply_event(&mut tx, &job.server_ip, e, job.at).await?,
            Report::SipDetail(d) => apply_sip_detail(&mut tx, &job.server_ip, d, job.at).await?,
        };
    }
    tx.commit().await?;
    Ok(written)
}

async fn apply_snapshot(
    conn: &mut sqlx::SqliteConnection,
    server_ip: &str,
    snapshot: &Snapshot,
    now: i64,
) -> sqlx::Result<usize> {
    let phones = store::list_server_registrations(conn, server_ip, snapshot.technology.name()).await?;
    let mut written = 0;
    for phone in phones {
        let observed = snapshot.observed.get(&phone.extension.to_lowercase());
        if let Some(new) = apply::apply_listed(&phone.state, observed, snapshot.unlisted, now) {
            store::store_registration(conn, server_ip, &phone.extension, &phone.state, &new).await?;
            written += 1;
        }
    }
    Ok(written)
}

/// Stores `new` (when the report changed something) for `phone`; returns how many phones changed.
async fn write_new(
    conn: &mut sqlx::SqliteConnection,
    server_ip: &str,
    phone: &PhoneRegistration,
    new: Option<store::RegistrationRow>,
) -> sqlx::Result<usize> {
    match new {
        Some(new) => {
            store::store_registration(conn, server_ip, &phone.extension, &phone.state, &new).await?;
            Ok(1)
        }
        None => Ok(0),
    }
}

/// Applies `apply` to the phone whose extension is `peer` (Asterisk's peer name), when that phone
/// is of `technology` (a peer of another technology is not this phone); returns how many phones
/// changed.
async fn apply_to_peer(
    conn: &mut sqlx::SqliteConnection,
    server_ip: &str,
    peer: &str,
    technology: Technology,
    apply: impl FnOnce(&store::RegistrationRow) -> Option<store::RegistrationRow>,
) -> sqlx::Result<usize> {
    match store::find_phone_registration(conn, server_ip, peer).await? {
        Some(phone) if phone.protocol.eq_ignore_ascii_case(technology.name()) => {
            let new = apply(&phone.state);
            write_new(conn, server_ip, &phone, new).await
        }
        _ => Ok(0),
    }
}

async fn apply_sip_detail(
    conn: &mut sqlx::SqliteConnection,
    server_ip: &str,
    detail: &SipPeerDetail,
    now: i64,
) -> sqlx::Result<usize> {
    apply_to_peer(conn, server_ip, &detail.name, Technology::Sip, |old| apply::apply_sip_detail(old, detail, now)).await
}

async fn apply_event(
    conn: &mut sqlx::SqliteConnection,
    server_ip: &str,
    event: &RegistrationEvent,
    now: i64,
) -> sqlx::Result<usize> {
    match event {
        RegistrationEvent::Peer(ev) => {
            apply_to_peer(conn, server_ip, &ev.peer, ev.technology, |old| apply::apply_peer_status(old, ev, now)).await
        }
        RegistrationEvent::Contact(c) => {
            apply_to_peer(conn, server_ip, &c.endpoint, Technology::Pjsip, |old| apply::apply_contact(old, c, now))
                .await
        }
        RegistrationEvent::Security(ev) => {
            let (phone, matched) = match store::find_phone_registration(conn, server_ip, &ev.account_id).await? {
                Some(p) => (p, AccountMatch::Extension),
                None => match store::find_phone_by_login(conn, server_ip, &ev.account_id).await? {
                    Some(p) => (p, AccountMatch::Login),
                    None => return Ok(0),
                },
            };
            if matches!(phone.protocol.as_str(), "EXTERNAL" | "Zap") {
                return Ok(0);
            }
            let new = apply::apply_security(&phone, ev, matched, now);
            write_new(conn, server_ip, &phone, new).await
        }
        RegistrationEvent::Reloaded(_) => Ok(0),
    }
}
