//! Registration state from Asterisk, kept current in the database: one monitor task per server with
//! AMI settings (and `active_asterisk_server=Y`) follows that Asterisk's manager events, and a writer
//! applies what they report to `phones.peer_status` / `phones.ping_time` and the
//! `dialtone_phone_registration` rows, batched.
//!
//! A monitor connects, logs in with `Events: system,security`, loads the peer lists (`SIPpeers`,
//! `PJSIPShowEndpoints` + `PJSIPShowContacts`, `IAXpeerlist`; an action Asterisk does not know means
//! that channel driver is not loaded, one it refuses is skipped), then follows `PeerStatus`,
//! `ContactStatus` and the security events, reloading a technology's lists after a reload and every
//! [`RegistrationSettings::resync`], and asks `chan_sip` for each newly registered peer's details
//! (`SIPshowpeer`, for its User-Agent; see `details`). It pings every 20 s (no answer within 10 s:
//! reconnect) and reconnects with exponential backoff (1 s doubling to 30 s). A supervisor re-reads
//! the servers table every couple of seconds and starts, restarts or stops monitors whose settings
//! changed.
//!
//! The state of each link is in memory ([`AmiLinks`], in `AppState`): pages read it, nothing waits
//! on AMI. Errors shown there never hold the AMI secret.
//!
//! Knows the AMI client, storage and the domain; nothing of HTTP or the UI.

mod apply;
mod details;
mod load;
mod writer;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::ami::registration::{parse_event, PeerState, RegistrationEvent, Technology};
use crate::ami::{AmiConfig, AmiSession, Message};
use crate::domain::registration::AmiLink;
use crate::storage::registration::{list_server_ami, ServerAmiRow};
use crate::storage::{now_unix, Db};

use details::{Answered, Details};
use load::{actions_for, Fed, Loads};
use writer::{Job, Report};

/// The event classes a monitor asks for: `PeerStatus`/`ContactStatus`/reloads are `system`, the
/// failed-registration events `security`.
pub const EVENT_CLASSES: &str = "system,security";

/// How the monitors run (defaults in [`RegistrationSettings::default`]).
#[derive(Debug, Clone)]
pub struct RegistrationSettings {
    /// How often the servers table is re-read for changed AMI settings.
    pub rescan: Duration,
    /// How long reports are gathered into one write transaction.
    pub batch: Duration,
    /// How often a connected monitor sends `Ping`.
    pub ping_every: Duration,
    /// How long it waits for the answer (and, while a list loads, for the next message).
    pub ping_timeout: Duration,
    /// The first reconnect delay; it doubles after each failure.
    pub backoff_min: Duration,
    /// The longest reconnect delay.
    pub backoff_max: Duration,
    /// Time limit of connecting, logging in and each write.
    pub ami_timeout: Duration,
    /// How often the peer lists are loaded again on a live connection (besides after reloads).
    pub resync: Duration,
}

impl Default for RegistrationSettings {
    /// Rescan every 2 s, batch 100 ms, ping every 20 s with 10 s to answer, backoff 1 s to 30 s,
    /// 5 s AMI time limit, lists again every 10 minutes.
    fn default() -> Self {
        RegistrationSettings {
            rescan: Duration::from_secs(2),
            batch: Duration::from_millis(100),
            ping_every: Duration::from_secs(20),
            ping_timeout: Duration::from_secs(10),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            ami_timeout: Duration::from_secs(5),
            resync: Duration::from_secs(600),
        }
    }
}

/// The state of every server's AMI link, shared between the monitors (which write it) and the pages
/// (which read it). Cheap to clone; reading never waits on AMI.
#[derive(Debug, Clone, Default)]
pub struct AmiLinks {
    /// Server IP → (the generation of the monitor that owns the entry, its link).
    inner: Arc<RwLock<HashMap<String, (u64, AmiLink)>>>,
}

impl AmiLinks {
    /// The link of `server_ip`: [`AmiLink::NotConfigured`] when no monitor runs for it.
    pub fn link(&self, server_ip: &str) -> AmiLink {
        let map = self.inner.read().unwrap_or_else(|p| p.into_inner());
        map.get(server_ip).map(|(_, l)| l.clone()).unwrap_or(AmiLink::NotConfigured)
    }

    /// Every monitored server's link.
    pub fn all(&self) -> HashMap<String, AmiLink> {
        let map = self.inner.read().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(ip, (_, l))| (ip.clone(), l.clone())).collect()
    }

    /// Sets the link of `server_ip` for monitor generation `generation`, unless a newer monitor owns
    /// it or it was removed (a stopped monitor can no longer overwrite its successor's state).
    fn set(&self, server_ip: &str, generation: u64, link: AmiLink) {
        let mut map = self.inner.write().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(server_ip) {
            Some((g, l)) if *g == generation => *l = link,
            _ => {}
        }
    }

    /// Gives `server_ip` to monitor `generation`, starting at `link`.
    fn claim(&self, server_ip: &str, generation: u64, link: AmiLink) {
        let mut map = self.inner.write().unwrap_or_else(|p| p.into_inner());
        map.insert(server_ip.to_string(), (generation, link));
    }

    /// Forgets `server_ip` (no monitor runs for it any more).
    fn remove(&self, server_ip: &str) {
        let mut map = self.inner.write().unwrap_or_else(|p| p.into_inner());
        map.remove(server_ip);
    }
}

/// The stored registration state of the phone `extension` on `server_ip` (as the monitor last
/// wrote it); `None` when there is no such phone.
pub async fn phone_registration(
    db: &Db,
    server_ip: &str,
    extension: &str,
) -> sqlx::Result<Option<crate::storage::registration::RegistrationRow>> {
    let mut conn = db.reader().acquire().await?;
    crate::storage::registration::find_registration(&mut conn, server_ip, extension).await
}

/// What a server's row asks for: a monitor with this configuration, nothing, or an error to show.
fn wanted(row: &ServerAmiRow, timeout: Duration) -> Option<Result<AmiConfig, String>> {
    if row.active_asterisk_server != "Y" || row.telnet_host.trim().is_empty() || row.ami_username.is_empty() {
        return None;
    }
    Some(match u16::try_from(row.telnet_port) {
        Ok(port) if port > 0 => Ok(AmiConfig {
            host: row.telnet_host.trim().to_string(),
            port,
            username: row.ami_username.clone(),
            secret: row.ami_secret.clone(),
            timeout,
        }),
        _ => Err(format!("AMI port (telnet_port) {} is not a TCP port (1-65535)", row.telnet_port)),
    })
}

/// The settings a running monitor was started with, to notice a change.
fn same_config(a: &Result<AmiConfig, String>, b: &Result<AmiConfig, String>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a.host == b.host && a.port == b.port && a.username == b.username && a.secret == b.secret,
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

/// One server's monitor as the supervisor keeps it.
struct Running {
    config: Result<AmiConfig, String>,
    stop: watch::Sender<bool>,
    /// The server's last confirmed reload: a new one (the conf worker reloaded Asterisk after a phone
    /// changed) makes the monitor list the peers again, so a new phone's state is known at once.
    applied: watch::Sender<Option<i64>>,
    task: Option<JoinHandle<()>>,
}

/// The registration monitors of every server, their supervisor and the writer. Stop it with
/// [`RegistrationMonitor::stop`].
pub struct RegistrationMonitor {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RegistrationMonitor {
    /// Starts the supervisor (which starts a monitor per server with AMI settings) and the writer.
    /// Link states go into `links`.
    pub fn start(db: Db, links: AmiLinks, settings: RegistrationSettings) -> RegistrationMonitor {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(supervise(db, links, settings, stopped));
        RegistrationMonitor { stop, task }
    }

    /// Stops every monitor (each logs off, bounded by its time limit), writes what was reported and
    /// waits for all of it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn supervise(db: Db, links: AmiLinks, settings: RegistrationSettings, mut stopped: watch::Receiver<bool>) {
    let (jobs, writer) = writer::start(db.clone(), settings.clone());
    let mut running: HashMap<String, Running> = HashMap::new();
    let mut generation: u64 = 0;
    loop {
        let rows = async {
            let mut conn = db.reader().acquire().await?;
            list_server_ami(&mut conn).await
        }
        .await;
        match rows {
            Err(e) => tracing::error!("registration: reading the servers: {e}"),
            Ok(rows) => {
                let desired: HashMap<String, Result<AmiConfig, String>> = rows
                    .iter()
                    .filter_map(|r| wanted(r, settings.ami_timeout).map(|c| (r.server_ip.clone(), c)))
                    .collect();
                let stale: Vec<String> = running
                    .iter()
                    .filter(|(ip, r)| desired.get(*ip).is_none_or(|c| !same_config(c, &r.config)))
                    .map(|(ip, _)| ip.clone())
                    .collect();
                for ip in stale {
                    if let Some(r) = running.remove(&ip) {
                        tracing::info!(server_ip = %ip, "registration: AMI settings changed or removed; stopping its monitor");
                        links.remove(&ip);
                        let _ = r.stop.send(true);
                        // It logs off on its own; not waiting here keeps the other servers' rescans on time.
                        drop(r.task);
                    }
                }
                for row in &rows {
                    if let Some(r) = running.get(&row.server_ip) {
                        r.applied
                            .send_if_modified(|at| std::mem::replace(at, row.conf_applied_at) != row.conf_applied_at);
                    }
                }
                for (ip, config) in desired {
                    if running.contains_key(&ip) {
                        continue;
                    }
                    generation += 1;
                    let (stop, stop_rx) = watch::channel(false);
                    let applied_at = rows.iter().find(|r| r.server_ip == ip).and_then(|r| r.conf_applied_at);
                    let (applied, applied_rx) = watch::channel(applied_at);
                    let task = match &config {
                        Ok(cfg) => {
                            links.claim(&ip, generation, AmiLink::Connecting { since: now_unix() });
                            let monitor = ServerMonitor {
                                server_ip: Arc::from(ip.as_str()),
                                generation,
                                config: cfg.clone(),
                                settings: settings.clone(),
                                links: links.clone(),
                                jobs: jobs.clone(),
                            };
                            Some(tokio::spawn(monitor.run(stop_rx, applied_rx)))
                        }
                        Err(error) => {
                            let now = now_unix();
                            let retry_at = now + settings.rescan.as_secs().max(1) as i64;
                            tracing::warn!(server_ip = %ip, "registration: {error}");
                            links.claim(&ip, generation, AmiLink::Down { error: error.clone(), since: now, retry_at });
                            None
                        }
                    };
                    running.insert(ip, Running { config, stop, applied, task });
                }
            }
        }
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(settings.rescan) => {}
        }
    }
    for (ip, r) in running.drain() {
        let _ = r.stop.send(true);
        if let Some(task) = r.task {
            // Logging off is bounded by the AMI time limit; abort a monitor that still hangs.
            let abort = task.abort_handle();
            if tokio::time::timeout(settings.ami_timeout + Duration::from_secs(1), task).await.is_err() {
                abort.abort();
            }
        }
        links.remove(&ip);
    }
    drop(jobs);
    let _ = writer.await;
}

/// Why a connection ended.
enum Ended {
    /// The monitor was asked to stop.
    Stopped,
    /// It failed; `connected` tells whether the login had succeeded.
    Failed { error: String, connected: bool },
}

/// One server's monitor.
struct ServerMonitor {
    server_ip: Arc<str>,
    generation: u64,
    config: AmiConfig,
    settings: RegistrationSettings,
    links: AmiLinks,
    jobs: mpsc::Sender<Job>,
}

impl ServerMonitor {
    fn set_link(&self, link: AmiLink) {
        self.links.set(&self.server_ip, self.generation, link);
    }

    async fn run(self, mut stop: watch::Receiver<bool>, mut applied: watch::Receiver<Option<i64>>) {
        let mut backoff = self.settings.backoff_min;
        let mut down_since: Option<i64> = None;
        loop {
            if *stop.borrow() {
                return;
            }
            self.set_link(AmiLink::Connecting { since: now_unix() });
            let ended = self.connection(&mut stop, &mut applied).await;
            let Ended::Failed { error, connected } = ended else {
                return;
            };
            if connected {
                // It was up: this is a new outage, and retries start over from the shortest delay.
                backoff = self.settings.backoff_min;
                down_since = None;
            }
            let now = now_unix();
            let since = *down_since.get_or_insert(now);
            let retry_at = now + backoff.as_secs_f64().ceil() as i64;
            tracing::warn!(server_ip = %self.server_ip, retry_in = ?backoff, "registration: {error}");
            self.set_link(AmiLink::Down { error, since, retry_at });
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(self.settings.backoff_max);
        }
    }

    /// Hands a report to the writer; `Err(Ended::Stopped)` when the writer is gone (shutting down).
    async fn send(&self, report: Report) -> Result<(), Ended> {
        let job = Job { server_ip: self.server_ip.clone(), at: now_unix(), report };
        self.jobs.send(job).await.map_err(|_| Ended::Stopped)
    }

    /// Sends the list actions of `technology` (unless they are in flight) and records them in `loads`.
    async fn start_load(
        &self,
        session: &mut AmiSession,
        loads: &mut Loads,
        technology: Technology,
    ) -> Result<(), Ended> {
        if loads.loading(technology) {
            return Ok(());
        }
        let mut ids = Vec::new();
        for action in actions_for(technology) {
            let id = session.send_action(Message::action(action.action())).await.map_err(failed)?;
            ids.push((id, *action));
        }
        loads.started(technology, ids);
        Ok(())
    }

    /// Handles one message of the event stream (not a `Ping` answer), then sends the `SIPshowpeer`
    /// actions it made due.
    async fn handle(
        &self,
        session: &mut AmiSession,
        loads: &mut Loads,
        details: &mut Details,
        message: &Message,
    ) -> Result<(), Ended> {
        self.take(session, loads, details, message).await?;
        while let Some(peer) = details.next_to_send() {
            let action = Message::action("SIPshowpeer").with_header("Peer", peer.as_str());
            let id = session.send_action(action).await.map_err(failed)?;
            details.sent(id, peer);
        }
        Ok(())
    }

    /// Applies one message: an answer to `SIPshowpeer`, part of a list load, or an event.
    async fn take(
        &self,
        session: &mut AmiSession,
        loads: &mut Loads,
        details: &mut Details,
        message: &Message,
    ) -> Result<(), Ended> {
        match details.feed(message) {
            Some(Answered::Detail(detail)) => return self.send(Report::SipDetail(detail)).await,
            Some(Answered::Nothing) => return Ok(()),
            Some(Answered::Unavailable(why)) => {
                tracing::warn!(
                    server_ip = %self.server_ip,
                    "registration: SIP user agents not read, Asterisk refused SIPshowpeer: {why}"
                );
                return Ok(());
            }
            None => {}
        }
        match loads.feed(message) {
            Fed::Consumed | Fed::Held => {}
            Fed::Finished(f) => {
                if let Some(why) = &f.refused {
                    tracing::warn!(
                        server_ip = %self.server_ip,
                        "registration: {} peers not loaded, Asterisk refused {why}",
                        f.technology.name()
                    );
                }
                if let Some(s) = f.snapshot {
                    if s.technology == Technology::Sip {
                        for (peer, o) in &s.observed {
                            if let Some(address) = &o.contact {
                                details.registered(peer, address);
                            }
                        }
                    }
                    self.send(Report::Snapshot(s)).await?;
                }
                for event in f.events {
                    note_registration(details, &event);
                    self.send(Report::Event(event)).await?;
                }
            }
            Fed::NotMine => match parse_event(message) {
                Some(RegistrationEvent::Reloaded(which)) => {
                    for tech in which.map_or_else(|| Technology::ALL.to_vec(), |t| vec![t]) {
                        self.start_load(session, loads, tech).await?;
                    }
                }
                Some(event) => {
                    note_registration(details, &event);
                    self.send(Report::Event(event)).await?
                }
                None => {}
            },
        }
        Ok(())
    }

    /// One connection: login, initial load, then events until it fails or the monitor is stopped.
    async fn connection(&self, stop: &mut watch::Receiver<bool>, applied: &mut watch::Receiver<Option<i64>>) -> Ended {
        let connect = AmiSession::connect_with_events(&self.config, EVENT_CLASSES);
        let mut session = tokio::select! {
            _ = stop.changed() => return Ended::Stopped,
            r = connect => match r {
                Ok(s) => s,
                Err(e) => return Ended::Failed { error: e.to_string(), connected: false },
            },
        };
        tracing::info!(
            server_ip = %self.server_ip,
            addr = %session.addr(),
            version = %session.server_version(),
            "registration: AMI connected"
        );
        self.set_link(AmiLink::Connected { since: now_unix() });
        match self.follow(&mut session, stop, applied).await {
            Ended::Stopped => {
                let _ = tokio::time::timeout(self.settings.ami_timeout, session.logoff()).await;
                Ended::Stopped
            }
            failed => failed,
        }
    }

    /// Loads the lists, then follows the events, pings and resyncs (and lists again after each reload
    /// the conf worker confirms) until an error or a stop.
    async fn follow(
        &self,
        session: &mut AmiSession,
        stop: &mut watch::Receiver<bool>,
        applied: &mut watch::Receiver<Option<i64>>,
    ) -> Ended {
        let s = &self.settings;
        applied.borrow_and_update();
        let mut loads = Loads::default();
        let mut details = Details::default();
        for tech in [Technology::Sip, Technology::Pjsip, Technology::Iax2] {
            if let Err(ended) = self.start_load(session, &mut loads, tech).await {
                return ended;
            }
        }
        let mut last_message = Instant::now();
        let mut next_ping = Instant::now() + s.ping_every;
        let mut ping: Option<(String, Instant)> = None;
        let mut next_resync = Instant::now() + s.resync;
        loop {
            // The next timer: the ping's deadline, the next ping (not while lists load or details are
            // awaited: their data shows the link is alive), silence meanwhile, or the next resync.
            let busy = loads.any() || details.any();
            let mut wake = next_resync;
            match &ping {
                Some((_, deadline)) => wake = wake.min(*deadline),
                None if !busy => wake = wake.min(next_ping),
                None => {}
            }
            if busy {
                wake = wake.min(last_message + s.ping_timeout);
            }
            tokio::select! {
                _ = stop.changed() => return Ended::Stopped,
                Ok(()) = applied.changed() => {
                    for tech in Technology::ALL {
                        if let Err(ended) = self.start_load(session, &mut loads, tech).await {
                            return ended;
                        }
                    }
                }
                received = session.next_message() => {
                    let message = match received {
                        Ok(m) => m,
                        Err(e) => return failed(e),
                    };
                    last_message = Instant::now();
                    let pong = ping.as_ref().is_some_and(|(id, _)| {
                        message.response().is_some() && message.action_id() == Some(id.as_str())
                    });
                    if pong {
                        ping = None;
                        next_ping = Instant::now() + s.ping_every;
                    } else if let Err(ended) = self.handle(session, &mut loads, &mut details, &message).await {
                        return ended;
                    }
                }
                () = tokio::time::sleep_until(wake) => {
                    let now = Instant::now();
                    let addr = session.addr().to_string();
                    if ping.as_ref().is_some_and(|(_, deadline)| now >= *deadline) {
                        return lost(format!("AMI {addr}: no answer to Ping within {:?}", s.ping_timeout));
                    }
                    if busy && now >= last_message + s.ping_timeout {
                        let what = if loads.any() { "peer list" } else { "SIPshowpeer" };
                        return lost(format!("AMI {addr}: {what}: no data within {:?}", s.ping_timeout));
                    }
                    if ping.is_none() && !busy && now >= next_ping {
                        match session.send_action(Message::action("Ping")).await {
                            Ok(id) => ping = Some((id, now + s.ping_timeout)),
                            Err(e) => return failed(e),
                        }
                    }
                    if now >= next_resync {
                        next_resync = now + s.resync;
                        for tech in Technology::ALL {
                            if let Err(ended) = self.start_load(session, &mut loads, tech).await {
                                return ended;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Notes a `chan_sip` peer's registration, so its details are asked for.
fn note_registration(details: &mut Details, event: &RegistrationEvent) {
    let RegistrationEvent::Peer(p) = event else { return };
    if p.technology != Technology::Sip {
        return;
    }
    match (p.state, &p.address) {
        (PeerState::Registered | PeerState::Reachable | PeerState::Lagged, Some(address)) => {
            details.registered(&p.peer, address)
        }
        (PeerState::Unregistered, _) => details.unregistered(&p.peer),
        _ => {}
    }
}

/// A failure of a connection that had logged in.
fn failed(e: crate::ami::AmiError) -> Ended {
    lost(e.to_string())
}

/// A connection that had logged in was lost for `error`.
fn lost(error: String) -> Ended {
    Ended::Failed { error, connected: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(host: &str, port: i64, active: &str) -> ServerAmiRow {
        ServerAmiRow {
            server_ip: "10.0.0.1".into(),
            active_asterisk_server: active.into(),
            telnet_host: host.into(),
            telnet_port: port,
            ami_username: "cron".into(),
            ami_secret: "s3cret".into(),
            conf_applied_at: None,
        }
    }

    #[test]
    fn which_servers_are_monitored() {
        let t = Duration::from_secs(5);
        assert!(wanted(&row("", 5038, "Y"), t).is_none(), "no host");
        assert!(wanted(&row("10.0.0.1", 5038, "N"), t).is_none(), "not an active Asterisk server");
        let ok = wanted(&row("10.0.0.1", 5038, "Y"), t).expect("monitored");
        assert!(ok.as_ref().is_ok_and(|c| c.port == 5038 && c.host == "10.0.0.1"));
        let bad = wanted(&row("10.0.0.1", 70000, "Y"), t).expect("shown");
        assert_eq!(
            bad.as_ref().err().map(String::as_str),
            Some("AMI port (telnet_port) 70000 is not a TCP port (1-65535)")
        );
        assert!(!bad.as_ref().err().is_some_and(|e| e.contains("s3cret")));
        let other =
            wanted(&ServerAmiRow { ami_secret: "new".into(), ..row("10.0.0.1", 5038, "Y") }, t).expect("monitored");
        assert!(!same_config(&ok, &other), "a changed secret restarts the monitor");
        assert!(same_config(&ok, &wanted(&row("10.0.0.1", 5038, "Y"), t).expect("monitored")));
    }

    #[test]
    fn links_belong_to_the_newest_monitor() {
        let links = AmiLinks::default();
        assert_eq!(links.link("10.0.0.1"), AmiLink::NotConfigured);
        links.claim("10.0.0.1", 1, AmiLink::Connecting { since: 1 });
        links.set("10.0.0.1", 1, AmiLink::Connected { since: 2 });
        assert_eq!(links.link("10.0.0.1"), AmiLink::Connected { since: 2 });
        links.claim("10.0.0.1", 2, AmiLink::Connecting { since: 3 });
        links.set("10.0.0.1", 1, AmiLink::Connected { since: 4 });
        assert_eq!(links.link("10.0.0.1"), AmiLink::Connecting { since: 3 }, "the old monitor is ignored");
        links.remove("10.0.0.1");
        links.set("10.0.0.1", 2, AmiLink::Connected { since: 5 });
        assert_eq!(links.link("10.0.0.1"), AmiLink::NotConfigured);
        assert!(links.all().is_empty());
    }
}
