//! The decision-flow use cases: gather what the engine (`domain::decision_flow`) needs for a phone
//! (the phone, its server, the aliases naming it, its server's carriers, its registration as the AMI
//! monitor stored it, its conf state) and run it; for one phone, a simulated login, or every remote
//! agent's phone (EXTERNAL phones and webphones) with its verdict, worst first.
//!
//! Knows the domain and storage; nothing of HTTP or the UI. Passwords are read to compare them and
//! never leave this module: the reports hold none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::domain::asterisk_conf::{
    allowed_codecs, conf_state, peer_stanza, ConfPhone, PhoneConfState, ServerConfStatus,
};
use crate::domain::decision_flow::{
    evaluate, AliasMember, FlowAlias, FlowCarrier, FlowInput, FlowPhone, FlowRegistration, FlowReport, FlowServer,
    LoginAttempt, NodeId, RegistrationSource, Verdict,
};
use crate::domain::limits::{LOGIN_CHECK_PER_LOGIN, LOGIN_CHECK_PER_USER};
use crate::domain::registration::AmiLink;
use crate::domain::SipStacks;
use crate::service::attempts::{self, Claim};
use crate::service::conf::status_of;
use crate::service::registration::AmiLinks;
use crate::service::Actor;
use crate::storage::aliases::{list_aliases, AliasRow};
use crate::storage::audit::insert_audit;
use crate::storage::phones::{find_phone, find_phone_by_login, login_passwords, PhoneRow};
use crate::storage::registration::{find_registration, RegistrationRow};
use crate::storage::remote_agents::remote_phones;
use crate::storage::servers::{list_server_records, ServerRecord};
use crate::storage::{conf, now_unix, Db};

/// What one phone's flow shows besides the report: who the phone is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneFlow {
    /// `extension`.
    pub extension: String,
    /// `server_ip`.
    pub server_ip: String,
    /// `fullname`.
    pub full_name: String,
    /// `login`.
    pub login: String,
    /// `protocol`.
    pub protocol: String,
    /// `user_group`.
    pub user_group: String,
    /// `is_webphone` is `Y` or `Y_API_LAUNCH`.
    pub webphone: bool,
    /// `dialplan_number`.
    pub dialplan_number: String,
    /// `status`.
    pub status: String,
    /// `active` is `Y`.
    pub active: bool,
    /// The flow.
    pub report: FlowReport,
}

/// Everything shared by the phones whose flows are computed together: servers, their conf state and
/// carriers, the aliases, templates.
struct Context {
    servers: HashMap<String, (ServerRecord, ServerConfStatus, String)>,
    aliases: Vec<AliasRow>,
    passwords: HashMap<String, String>,
    carriers: HashMap<String, Vec<FlowCarrier>>,
    templates: HashMap<String, Option<String>>,
    /// By (server IP, lower-case extension).
    registrations: HashMap<(String, String), RegistrationRow>,
    links: HashMap<String, AmiLink>,
    /// `system_settings.default_codecs`.
    default_codecs: String,
    now: i64,
}

impl Context {
    /// Loads what the flows of `phones` read, in one read transaction; `registrations` are the phones'
    /// registration states when the caller read them already (by server IP and lower-case extension).
    async fn load(
        db: &Db,
        links: &AmiLinks,
        phones: &[PhoneRow],
        registrations: Option<HashMap<(String, String), RegistrationRow>>,
    ) -> Result<Context, sqlx::Error> {
        Context::load_with(db, links, Templates::Of(phones), registrations).await
    }

    /// [`Context::load`], with the templates of `templates`.
    async fn load_with(
        db: &Db,
        links: &AmiLinks,
        templates: Templates<'_>,
        registrations: Option<HashMap<(String, String), RegistrationRow>>,
    ) -> Result<Context, sqlx::Error> {
        let phones = match templates {
            Templates::Of(phones) => phones,
            Templates::All => &[],
        };
        let mut tx = db.reader().begin().await?;
        let records = list_server_records(&mut tx).await?;
        let confs = conf::all_server_conf(&mut tx).await?;
        let mut servers = HashMap::new();
        for record in records {
            if let Some(row) = confs.iter().find(|c| c.server_ip == record.server_ip) {
                servers.insert(record.server_ip.clone(), (record, status_of(row), row.conf_refused.clone()));
            }
        }
        let (default_codecs, _) = conf::conf_settings(&mut tx).await?;
        let aliases = list_aliases(&mut tx).await?;
        // The passwords of the aliases' phones (an alias logs in with one password for all of them).
        let mut logins: Vec<&str> = aliases.iter().flat_map(|a| alias_logins(&a.logins_list)).collect();
        logins.sort_unstable_by_key(|l| l.to_ascii_lowercase());
        logins.dedup_by_key(|l| l.to_ascii_lowercase());
        let passwords =
            login_passwords(&mut tx, &logins).await?.into_iter().map(|(l, p)| (l.to_ascii_lowercase(), p)).collect();
        let mut carriers: HashMap<String, Vec<FlowCarrier>> = HashMap::new();
        for row in crate::storage::carriers::list_carriers(&mut tx).await? {
            carriers.entry(row.server_ip.clone()).or_default().push(FlowCarrier {
                carrier_id: row.carrier_id,
                carrier_name: row.carrier_name,
                active: row.active == "Y",
                dialplan_entry: row.dialplan_entry,
                codecs: allowed_codecs(&row.account_entry),
            });
        }
        let mut template_ids: Vec<String> = match templates {
            Templates::Of(phones) => phones.iter().map(|p| p.template_id.clone()).collect(),
            Templates::All => crate::storage::templates::template_ids(&mut tx).await?,
        };
        template_ids.retain(|t| !t.is_empty());
        template_ids.sort_unstable();
        template_ids.dedup();
        let mut templates = HashMap::new();
        for id in template_ids {
            let contents = conf::template_contents(&mut tx, &id).await?;
            templates.insert(id, contents);
        }
        let registrations = match registrations {
            Some(r) => r,
            None => {
                let mut found = HashMap::new();
                for p in phones {
                    if let Some(r) = find_registration(&mut tx, &p.server_ip, &p.extension).await? {
                        found.insert((p.server_ip.clone(), p.extension.to_ascii_lowercase()), r);
                    }
                }
                found
            }
        };
        tx.commit().await?;
        let links = servers.keys().map(|ip| (ip.clone(), links.link(ip))).collect();
        Ok(Context {
            servers,
            aliases,
            passwords,
            carriers,
            templates,
            registrations,
            links,
            default_codecs,
            now: now_unix(),
        })
    }

    /// The codecs `row`'s generated peer allows (`None`: Asterisk's defaults, or no peer).
    fn peer_codecs(&self, row: &PhoneRow) -> Option<Vec<String>> {
        let phone = ConfPhone {
            extension: row.extension.clone(),
            protocol: row.protocol.clone(),
            template_id: row.template_id.clone(),
            codecs_list: row.codecs_list.clone(),
            codecs_with_template: row.codecs_with_template == "1",
            ..ConfPhone::default()
        };
        let template = self.templates.get(&row.template_id).and_then(Option::as_deref);
        allowed_codecs(&peer_stanza(&phone, template, &self.default_codecs))
    }

    /// The engine's input for `row`.
    fn input(&self, row: &PhoneRow, attempt: Option<LoginAttempt>) -> FlowInput {
        let registration = self.registrations.get(&(row.server_ip.clone(), row.extension.to_ascii_lowercase()));
        self.input_with(row, registration, attempt)
    }

    /// The engine's input for `row` with its registration state `registration` (`None`: none stored).
    fn input_with(
        &self,
        row: &PhoneRow,
        registration: Option<&RegistrationRow>,
        attempt: Option<LoginAttempt>,
    ) -> FlowInput {
        let server = self.servers.get(&row.server_ip);
        let phone = FlowPhone {
            extension: row.extension.clone(),
            server_ip: row.server_ip.clone(),
            login: row.login.clone(),
            pass: row.pass.clone(),
            conf_secret: row.conf_secret.clone(),
            protocol: row.protocol.clone(),
            phone_type: row.phone_type.clone(),
            dialplan_number: row.dialplan_number.clone(),
            active: row.active == "Y",
            status: row.status.clone(),
            is_webphone: row.is_webphone.clone(),
            webphone_auto_answer: row.webphone_auto_answer == "Y",
            use_external_server_ip: row.use_external_server_ip == "Y",
            on_hook_agent: row.on_hook_agent == "Y",
            ring_timeout: row.phone_ring_timeout,
            template_id: row.template_id.clone(),
            template: self.templates.get(&row.template_id).cloned().flatten(),
            peer_codecs: self.peer_codecs(row),
        };
        let conf = match server {
            Some((_, status, refused)) => {
                let prefix = format!("phone {}:", row.extension.escape_debug());
                let refusal = refused.lines().find_map(|l| l.strip_prefix(&prefix)).map(|r| r.trim().to_string());
                conf_state(&row.protocol, row.active == "Y", refusal, status)
            }
            None => PhoneConfState::NotGenerated,
        };
        let aliases = self
            .aliases
            .iter()
            .filter(|a| {
                a.alias_id.eq_ignore_ascii_case(&row.login)
                    || alias_logins(&a.logins_list).any(|l| l.eq_ignore_ascii_case(&row.login))
            })
            .map(|a| FlowAlias {
                alias_id: a.alias_id.clone(),
                members: alias_logins(&a.logins_list)
                    .map(|login| {
                        let pass = self.passwords.get(&login.to_ascii_lowercase());
                        AliasMember {
                            login: login.to_string(),
                            exists: pass.is_some(),
                            same_password: pass.is_some_and(|p| *p == row.pass),
                        }
                    })
                    .collect(),
            })
            .collect();
        FlowInput {
            server: server.map(|(r, _, _)| flow_server(r)),
            carriers: self.carriers.get(&row.server_ip).cloned().unwrap_or_default(),
            registration: self.registration(row, registration),
            aliases,
            conf,
            phone,
            attempt,
            now: self.now,
        }
    }

    /// The phone's registration as the AMI monitor stored it (`stored`), and whether that is current.
    fn registration(&self, row: &PhoneRow, stored: Option<&RegistrationRow>) -> FlowRegistration {
        let source = match self.links.get(&row.server_ip) {
            None | Some(AmiLink::NotConfigured) => RegistrationSource::NotConfigured,
            Some(AmiLink::Connecting { .. }) => RegistrationSource::Connecting,
            Some(AmiLink::Connected { since }) => RegistrationSource::Connected(*since),
            Some(AmiLink::Down { error, .. }) => RegistrationSource::Down(error.clone()),
        };
        let Some(r) = stored else {
            return FlowRegistration { source, ..FlowRegistration::default() };
        };
        FlowRegistration {
            source,
            peer_status: r.peer_status.as_str().to_string(),
            ping_ms: r.ping_time,
            contact: r.contact.clone().unwrap_or_default(),
            user_agent: r.user_agent.clone().unwrap_or_default(),
            last_event_at: r.last_event_at,
            last_failure: r.last_failure.clone().unwrap_or_default(),
            last_failure_at: r.last_failure_at,
            known_to_asterisk: r.known_to_asterisk || r.last_event_at.is_none(),
            address_changes: r.moves.changes,
            address_changes_since: r.moves.since,
            previous_address: r.moves.previous_address.clone().unwrap_or_default(),
        }
    }

    fn flow(&self, row: &PhoneRow, attempt: Option<LoginAttempt>) -> PhoneFlow {
        PhoneFlow {
            extension: row.extension.clone(),
            server_ip: row.server_ip.clone(),
            full_name: row.fullname.clone(),
            login: row.login.clone(),
            protocol: row.protocol.clone(),
            user_group: row.user_group.clone(),
            webphone: row.is_webphone.starts_with('Y'),
            dialplan_number: row.dialplan_number.clone(),
            status: row.status.clone(),
            active: row.active == "Y",
            report: evaluate(&self.input(row, attempt)),
        }
    }
}

/// Which templates a [`Context`] loads.
enum Templates<'a> {
    /// Those these phones use.
    Of(&'a [PhoneRow]),
    /// Every template (for phones read after the context).
    All,
}

/// The login-path verdicts of many phones at once (the phones list's verdict column, filter and sort):
/// what every flow shares (servers, conf state, carriers, aliases, templates, the AMI links) is read
/// once, then `read` hands over the phones one by one with their registration states, on a blocking
/// thread (it is given the database file's path), and each is evaluated as it comes; `keep` turns a
/// phone and its verdict into what the caller keeps (`None`: dropped), so the phones themselves are not
/// all held at once.
pub async fn each_verdict<T: Send + 'static>(
    db: &Db,
    links: &AmiLinks,
    read: impl FnOnce(&str, &mut dyn FnMut(PhoneRow, RegistrationRow)) -> rusqlite::Result<()> + Send + 'static,
    mut keep: impl FnMut(PhoneRow, Verdict) -> Option<T> + Send + 'static,
) -> Result<Vec<T>, sqlx::Error> {
    let ctx = Context::load_with(db, links, Templates::All, Some(HashMap::new())).await?;
    let path = db.path().to_string();
    tokio::task::spawn_blocking(move || {
        let mut kept = Vec::new();
        read(&path, &mut |row, registration| {
            let verdict = evaluate(&ctx.input_with(&row, Some(&registration), None)).verdict;
            kept.extend(keep(row, verdict));
        })
        .map(|()| kept)
    })
    .await
    .map_err(|e| sqlx::Error::Protocol(format!("evaluating the phones' login paths: {e}")))?
    .map_err(|e| sqlx::Error::Protocol(format!("reading the phones for their login paths: {e}")))
}

/// Every phone's verdict, by (server IP, lower-case extension).
pub type VerdictMap = HashMap<(String, String), Verdict>;

/// The last [`all_verdicts`] of one database, and what it was computed from.
struct CachedVerdicts {
    /// `PRAGMA data_version` of the watching connection when the computation started.
    data_version: i64,
    /// The AMI links then (the registration step reads them).
    links: HashMap<String, AmiLink>,
    verdicts: Arc<VerdictMap>,
}

/// One database's verdict cache: a read-only connection that only watches `PRAGMA data_version`
/// (it changes whenever any other connection, or process, commits), and the last result.
struct VerdictCache {
    watcher: Mutex<rusqlite::Connection>,
    last: Mutex<Option<CachedVerdicts>>,
}

/// The verdict caches, by database file (each test's database has its own).
static VERDICT_CACHES: OnceLock<Mutex<HashMap<String, Arc<VerdictCache>>>> = OnceLock::new();

/// The data version of `cache`'s database as its watching connection sees it.
fn data_version(cache: &VerdictCache) -> Result<i64, sqlx::Error> {
    let conn = cache.watcher.lock().unwrap_or_else(|p| p.into_inner());
    crate::storage::conf::data_version(&conn)
        .map_err(|e| sqlx::Error::Protocol(format!("reading the database's data version: {e}")))
}

/// Every phone's login-path verdict, by (server IP, lower-case extension): what the phones list needs
/// to filter or sort by verdict, and the overview to count them. The verdict depends on the database
/// (phones, registrations, servers, conf state, carriers, aliases, templates, settings) and on the AMI
/// links, not on the time; the result is kept and given again while neither has changed: any commit to
/// the database by anyone changes `PRAGMA data_version` on a connection that itself never writes, and
/// the links are compared whole. A change during a computation is seen by the next call (the version is
/// read before).
pub async fn all_verdicts(db: &Db, links: &AmiLinks) -> Result<Arc<VerdictMap>, sqlx::Error> {
    let path = db.path().to_string();
    let cache = {
        let mut caches = VERDICT_CACHES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
        match caches.get(&path) {
            Some(c) => Arc::clone(c),
            None => {
                let watcher = crate::storage::conf::open_read_only(&path)
                    .map_err(|e| sqlx::Error::Protocol(format!("opening the database to watch it: {e}")))?;
                let c = Arc::new(VerdictCache { watcher: Mutex::new(watcher), last: Mutex::new(None) });
                caches.insert(path.clone(), Arc::clone(&c));
                c
            }
        }
    };
    let version = data_version(&cache)?;
    let now_links = links.all();
    {
        let last = cache.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = last.as_ref().filter(|c| c.data_version == version && c.links == now_links) {
            return Ok(Arc::clone(&c.verdicts));
        }
    }
    let all = crate::domain::phone_list::PhoneListQuery::default();
    let verdicts: VerdictMap = each_verdict(
        db,
        links,
        move |path, each| crate::storage::phone_list::each_matching(path, &all, each),
        |row, v| Some(((row.server_ip, row.extension.to_ascii_lowercase()), v)),
    )
    .await?
    .into_iter()
    .collect();
    let verdicts = Arc::new(verdicts);
    *cache.last.lock().unwrap_or_else(|p| p.into_inner()) =
        Some(CachedVerdicts { data_version: version, links: now_links, verdicts: Arc::clone(&verdicts) });
    Ok(verdicts)
}

fn flow_server(r: &ServerRecord) -> FlowServer {
    FlowServer {
        server_ip: r.server_ip.clone(),
        server_id: r.server_id.clone(),
        active_asterisk_server: r.active_asterisk_server == "Y",
        active_agent_login_server: r.active_agent_login_server == "Y",
        allowed_sip_stacks: SipStacks::from_stored(&r.allowed_sip_stacks),
        ext_context: r.ext_context.clone(),
        external_server_ip: r.external_server_ip.clone(),
        web_socket_url: r.web_socket_url.clone(),
    }
}

/// The logins of an alias's comma-separated list.
fn alias_logins(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|l| !l.is_empty())
}

/// The flow of the phone `(extension, server_ip)` as it stands; `None` when there is no such phone. (A
/// simulated login goes through [`check_login`], which counts and audits it.)
pub async fn phone_flow(
    db: &Db,
    links: &AmiLinks,
    extension: &str,
    server_ip: &str,
) -> Result<Option<PhoneFlow>, sqlx::Error> {
    let row = {
        let mut conn = db.reader().acquire().await?;
        find_phone(&mut conn, extension, server_ip).await?
    };
    let Some(row) = row else { return Ok(None) };
    let ctx = Context::load(db, links, std::slice::from_ref(&row), None).await?;
    Ok(Some(ctx.flow(&row, None)))
}

/// The phone a login resolves to: the phone whose login was typed, or the first phone of the alias
/// typed that exists (VICIdial takes the least busy one; this is the one it can take when nobody is
/// logged in).
async fn phone_of_login(db: &Db, login: &str) -> Result<Option<PhoneRow>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    let Some(alias) = crate::storage::aliases::find_alias(&mut conn, login).await? else {
        return find_phone_by_login(&mut conn, login).await;
    };
    for login in alias_logins(&alias.logins_list) {
        if let Some(row) = find_phone_by_login(&mut conn, login).await? {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// Which phone a login check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckTarget<'a> {
    /// This phone (its login path page): the login typed is judged against it.
    Phone {
        /// `extension`.
        extension: &'a str,
        /// `server_ip`.
        server_ip: &'a str,
    },
    /// The phone the login typed resolves to (the login check page).
    TypedLogin,
}

/// What a login check came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginCheck {
    /// Checked: the phone's flow for that attempt (`None`: no such phone).
    Checked(Option<Box<PhoneFlow>>),
    /// Not checked: too many login checks by this user or of this phone; the seconds to wait.
    TooMany(i64),
}

/// What a login check is counted as (`dialtone_attempts.kind`): by the user, and of the phone.
const CHECKS_BY_USER: &str = "login check user";
const CHECKS_OF_PHONE: &str = "login check login";

/// A simulated agent login with a password: the path VICIdial's dialer takes for it. Since it tells
/// whether a password is a phone's, each check is counted against the user
/// ([`LOGIN_CHECK_PER_USER`]) and against the phone ([`LOGIN_CHECK_PER_LOGIN`]: the phone it resolves
/// to, or the login typed when none), and audited (`PHONES`/`OTHER`, `LOGIN CHECK`, the login typed,
/// never the password), in one transaction; a check over either limit is not made, and is audited as
/// `LOGIN CHECK REFUSED`.
pub async fn check_login(
    db: &Db,
    links: &AmiLinks,
    actor: &Actor,
    target: CheckTarget<'_>,
    attempt: LoginAttempt,
) -> Result<LoginCheck, sqlx::Error> {
    let row = match target {
        CheckTarget::Phone { extension, server_ip } => {
            let mut conn = db.reader().acquire().await?;
            find_phone(&mut conn, extension, server_ip).await?
        }
        CheckTarget::TypedLogin => phone_of_login(db, &attempt.login).await?,
    };
    let phone_key = match &row {
        Some(r) => format!("{}@{}", r.extension.to_lowercase(), r.server_ip),
        None => format!("login {}", attempt.login.to_lowercase()),
    };
    let claims = [
        Claim { kind: CHECKS_BY_USER, key: &actor.user, limit: LOGIN_CHECK_PER_USER },
        Claim { kind: CHECKS_OF_PHONE, key: &phone_key, limit: LOGIN_CHECK_PER_LOGIN },
    ];
    let mut tx = db.write().await?;
    let claimed = attempts::claim_in(&mut tx, &claims).await?;
    let (code, notes) = match claimed {
        Ok(_) => ("LOGIN CHECK", format!("phone: {phone_key}")),
        Err(wait) => ("LOGIN CHECK REFUSED", format!("phone: {phone_key} | too many login checks, wait {wait} s")),
    };
    insert_audit(&mut tx, &actor.audit("PHONES", "OTHER", &attempt.login, code, "{}", &notes)).await?;
    tx.commit().await?;
    if let Err(wait) = claimed {
        return Ok(LoginCheck::TooMany(wait));
    }
    let Some(row) = row else { return Ok(LoginCheck::Checked(None)) };
    let ctx = Context::load(db, links, std::slice::from_ref(&row), None).await?;
    Ok(LoginCheck::Checked(Some(Box::new(ctx.flow(&row, Some(attempt))))))
}

/// One remote agent's phone on the readiness board: who, the verdict and the first node that does
/// not pass (the full report is not kept: a board holds thousands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAgent {
    /// `extension`.
    pub extension: String,
    /// `server_ip`.
    pub server_ip: String,
    /// `fullname`.
    pub full_name: String,
    /// `login`.
    pub login: String,
    /// `protocol`.
    pub protocol: String,
    /// `user_group`.
    pub user_group: String,
    /// A webphone.
    pub webphone: bool,
    /// `active` is `Y`.
    pub active: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// The first node that does not pass, and why.
    pub problem: Option<(NodeId, String)>,
}

/// The remote agents' phones (EXTERNAL and webphones), optionally of one server and one user group,
/// each with its verdict, worst first (silence, unknown, ready), then by the first node that does not
/// pass, then by extension.
pub async fn remote_agents(
    db: &Db,
    links: &AmiLinks,
    server_ip: Option<&str>,
    user_group: Option<&str>,
) -> Result<Vec<RemoteAgent>, sqlx::Error> {
    let (path, server, group) = (db.path().to_string(), server_ip.map(str::to_string), user_group.map(str::to_string));
    let read = tokio::task::spawn_blocking(move || remote_phones(&path, server.as_deref(), group.as_deref()))
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("reading the remote agents' phones: {e}")))?
        .map_err(|e| sqlx::Error::Protocol(format!("reading the remote agents' phones: {e}")))?;
    let mut registrations = HashMap::with_capacity(read.len());
    let mut rows = Vec::with_capacity(read.len());
    for (phone, registration) in read {
        registrations.insert((phone.server_ip.clone(), phone.extension.to_ascii_lowercase()), registration);
        rows.push(phone);
    }
    let ctx = Context::load(db, links, &rows, Some(registrations)).await?;
    let mut agents: Vec<(u8, usize, RemoteAgent)> = rows
        .into_iter()
        .map(|row| {
            let report = evaluate(&ctx.input(&row, None));
            let problem = report.first_problem().map(|n| (n.id, n.reason.clone()));
            let rank =
                problem.as_ref().and_then(|(id, _)| NodeId::ALL.iter().position(|x| x == id)).unwrap_or(usize::MAX);
            let agent = RemoteAgent {
                webphone: row.is_webphone.starts_with('Y'),
                active: row.active == "Y",
                extension: row.extension,
                server_ip: row.server_ip,
                full_name: row.fullname,
                login: row.login,
                protocol: row.protocol,
                user_group: row.user_group,
                verdict: report.verdict,
                problem,
            };
            (report.verdict.rank(), rank, agent)
        })
        .collect();
    // The rows come in extension order, and the sort is stable: equal keys stay by extension.
    agents.sort_by_key(|(verdict, rank, _)| (*verdict, *rank));
    Ok(agents.into_iter().map(|(_, _, a)| a).collect())
}

/// How many of `agents` have each verdict: (ready, will hear silence, unknown).
pub fn verdict_counts(agents: &[RemoteAgent]) -> (usize, usize, usize) {
    let count = |v: Verdict| agents.iter().filter(|a| a.verdict == v).count();
    (count(Verdict::Ready), count(Verdict::WillHearSilence), count(Verdict::Unknown))
}
