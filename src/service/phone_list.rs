//! The phones list use case: one page of phones for a view, with each phone's conf state and login-path
//! verdict, read in one snapshot. Knows the domain and storage; nothing of HTTP or the UI.
//!
//! The verdict is not stored (it follows the registrations, servers, carriers and aliases as they
//! change), so it is evaluated when the page is asked for: for the page's rows only, unless the view
//! filters or sorts by it; then every phone's verdict is needed ([`all_verdicts`]: evaluated with what
//! the flows share read once, and kept until the database or the AMI links change).
//!
//! A view is answered from the list's in-memory index ([`list_index`]) while the database has not
//! changed since it was read, else through SQL; either way only the page's rows are read in full.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::asterisk_conf::{conf_state, ServerConfStatus};
use crate::domain::decision_flow::Verdict;
use crate::domain::phone_list::{PhoneListItem, PhoneListPage, PhoneListQuery, SortColumn};
use crate::service::conf::status_of;
use crate::service::flow::{all_verdicts, each_verdict, VerdictMap};
use crate::service::list_index::{self, Build};
use crate::service::registration::AmiLinks;
use crate::storage::phone_list::{
    count_matching, each_matching_key, list_page, phones_by_keys, rows_by_rowid, PhoneListRow,
};
use crate::storage::{conf, Db};

/// One page of the phones list for `query`, each phone with its verdict (`links`: the AMI monitors'
/// links, which the registration step reads). A page past the end shows the last page. Answered from
/// the in-memory index ([`crate::service::list_index`]) when it is current, else through SQL.
pub async fn list_phones(db: &Db, links: &AmiLinks, query: PhoneListQuery) -> Result<PhoneListPage, sqlx::Error> {
    let verdicts = if query.needs_all_verdicts() { Some(all_verdicts(db, links).await?) } else { None };
    if let Some(page) = list_from_index(db, links, &query, verdicts.as_ref(), Build::OnSecondView).await? {
        return Ok(page);
    }
    match verdicts {
        Some(verdicts) => list_by_verdict(db, verdicts, query).await,
        None => list_through_sql(db, links, query).await,
    }
}

/// [`list_phones`] from the in-memory index alone, built now if it is stale; `None` when it cannot
/// answer this view (a search of one or two characters, or a commit while it was read). Tests compare
/// it with [`list_phones_through_sql`].
pub async fn list_phones_through_index(
    db: &Db,
    links: &AmiLinks,
    query: PhoneListQuery,
) -> Result<Option<PhoneListPage>, sqlx::Error> {
    let verdicts = if query.needs_all_verdicts() { Some(all_verdicts(db, links).await?) } else { None };
    list_from_index(db, links, &query, verdicts.as_ref(), Build::Now).await
}

/// [`list_phones`] through SQL alone, never the in-memory index (what it answers while the index is
/// stale). Tests compare it with [`list_phones_through_index`].
pub async fn list_phones_through_sql(
    db: &Db,
    links: &AmiLinks,
    query: PhoneListQuery,
) -> Result<PhoneListPage, sqlx::Error> {
    if query.needs_all_verdicts() {
        let verdicts = all_verdicts(db, links).await?;
        return list_by_verdict(db, verdicts, query).await;
    }
    list_through_sql(db, links, query).await
}

/// The view from the index (see [`list_index::page`]), then the page's rows read by rowid.
async fn list_from_index(
    db: &Db,
    links: &AmiLinks,
    query: &PhoneListQuery,
    verdicts: Option<&Arc<VerdictMap>>,
    build: Build,
) -> Result<Option<PhoneListPage>, sqlx::Error> {
    let (path, q, all) = (db.path().to_string(), query.clone(), verdicts.cloned());
    let hit = tokio::task::spawn_blocking(move || list_index::page(&path, &q, all.as_ref(), build))
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("reading the phones list's index: {e}")))?
        .map_err(|e| sqlx::Error::Protocol(format!("reading the phones list's index: {e}")))?;
    let Some(hit) = hit else { return Ok(None) };
    let mut query = query.clone();
    query.page = hit.page;
    let rows = if verdicts.is_some() {
        let page: Vec<(i64, Verdict)> = hit.rows.iter().filter_map(|(id, v)| v.map(|v| (*id, v))).collect();
        items_by_rowid(db, &page).await?
    } else {
        let rowids: Vec<i64> = hit.rows.iter().map(|(id, _)| *id).collect();
        let (rows, servers) = rows_and_servers(db, &rowids).await?;
        let rows: Vec<PhoneListRow> = rows.into_iter().map(|(_, row)| row).collect();
        with_page_verdicts(db, links, rows, &conf_statuses(&servers)).await?
    };
    Ok(Some(PhoneListPage { query, total: hit.total, rows }))
}

/// A view that needs no verdict but its page's, through SQL: the number matching, the page, the
/// servers' conf states, in one snapshot.
async fn list_through_sql(db: &Db, links: &AmiLinks, query: PhoneListQuery) -> Result<PhoneListPage, sqlx::Error> {
    let mut query = query;
    let mut tx = db.reader().begin().await?;
    let total = count_matching(&mut tx, &query).await?;
    let last = PhoneListPage { query: query.clone(), total, rows: Vec::new() }.pages();
    query.page = query.page.clamp(1, last);
    let rows = list_page(&mut tx, &query, total).await?;
    let servers = conf::all_server_conf(&mut tx).await?;
    tx.commit().await?;
    let statuses = conf_statuses(&servers);
    let rows = with_page_verdicts(db, links, rows, &statuses).await?;
    Ok(PhoneListPage { query, total, rows })
}

/// The page's rows as list items, each with its own verdict (evaluated for these rows only).
async fn with_page_verdicts(
    db: &Db,
    links: &AmiLinks,
    rows: Vec<PhoneListRow>,
    statuses: &HashMap<&str, (ServerConfStatus, &str)>,
) -> Result<Vec<PhoneListItem>, sqlx::Error> {
    let keys: Vec<(String, String)> = rows.iter().map(|r| (r.server_ip.clone(), r.extension.clone())).collect();
    let verdicts: HashMap<(String, String), Verdict> = each_verdict(
        db,
        links,
        move |path, each| {
            for (phone, registration) in phones_by_keys(path, &keys)? {
                each(phone, registration);
            }
            Ok(())
        },
        |row, verdict| Some(((row.server_ip, row.extension), verdict)),
    )
    .await?
    .into_iter()
    .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            // A phone deleted between the two reads has no verdict: unknown.
            let verdict =
                verdicts.get(&(row.server_ip.clone(), row.extension.clone())).copied().unwrap_or(Verdict::Unknown);
            item(row, verdict, statuses)
        })
        .collect())
}

/// How many phones match `query`'s search and filters: the total the list shows for that view.
pub async fn count_phones(db: &Db, query: &PhoneListQuery) -> Result<u64, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    count_matching(&mut conn, query).await
}

/// The number of phones of every server that has any, by server IP.
pub async fn phones_per_server(db: &Db) -> Result<HashMap<String, u64>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    let counts = crate::storage::phone_list::count_by_server(&mut conn).await?;
    Ok(counts.into_iter().map(|(ip, n)| (ip, u64::try_from(n).unwrap_or(0))).collect())
}

/// A view filtered or sorted by verdict: every phone's verdict ([`all_verdicts`], kept while nothing
/// changes), then the rowids of the phones matching the other filters, in the view's order (by
/// extension for a verdict sort), those of the verdict kept, sorted by verdict when asked (worst first
/// ascending; the sort is stable), and only the page's rows read. (A phone added between the two reads
/// shows as unknown until the next page load.)
async fn list_by_verdict(
    db: &Db,
    verdicts: Arc<VerdictMap>,
    mut query: PhoneListQuery,
) -> Result<PhoneListPage, sqlx::Error> {
    let wanted = query.verdict;
    let filter = query.clone();
    let path = db.path().to_string();
    let read = tokio::task::spawn_blocking(move || {
        let mut kept: Vec<(i64, Verdict)> = Vec::new();
        // One key, refilled for each row: no allocation per phone.
        let mut key = (String::new(), String::new());
        each_matching_key(&path, &filter, &mut |rowid, server_ip, extension| {
            key.0.clear();
            key.0.push_str(server_ip);
            key.1.clear();
            key.1.extend(extension.chars().map(|c| c.to_ascii_lowercase()));
            let verdict = verdicts.get(&key).copied().unwrap_or(Verdict::Unknown);
            if wanted.is_none_or(|w| w == verdict) {
                kept.push((rowid, verdict));
            }
        })
        .map(|()| kept)
    })
    .await
    .map_err(|e| sqlx::Error::Protocol(format!("reading the phones list: {e}")))?;
    let mut matching = read.map_err(|e| sqlx::Error::Protocol(format!("reading the phones list: {e}")))?;
    if query.sort == SortColumn::Verdict {
        if query.descending {
            matching.sort_by_key(|(_, v)| std::cmp::Reverse(v.rank()));
        } else {
            matching.sort_by_key(|(_, v)| v.rank());
        }
    }
    let total = matching.len() as u64;
    let last = PhoneListPage { query: query.clone(), total, rows: Vec::new() }.pages();
    query.page = query.page.clamp(1, last);
    let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
    let per_page = usize::try_from(query.per_page).unwrap_or(usize::MAX);
    let page: Vec<(i64, Verdict)> = matching.into_iter().skip(offset).take(per_page).collect();
    let rows = items_by_rowid(db, &page).await?;
    Ok(PhoneListPage { query, total, rows })
}

/// The phones `rowids` (one page's, in that order; a phone deleted since is left out) and every
/// server's conf state, read in one snapshot.
async fn rows_and_servers(
    db: &Db,
    rowids: &[i64],
) -> Result<(Vec<(i64, PhoneListRow)>, Vec<conf::ServerConfRow>), sqlx::Error> {
    let mut tx = db.reader().begin().await?;
    let rows = rows_by_rowid(&mut tx, rowids).await?;
    let servers = conf::all_server_conf(&mut tx).await?;
    tx.commit().await?;
    Ok((rows, servers))
}

/// The page's phones (rowid and the verdict already known, in order) as list items.
async fn items_by_rowid(db: &Db, page: &[(i64, Verdict)]) -> Result<Vec<PhoneListItem>, sqlx::Error> {
    let rowids: Vec<i64> = page.iter().map(|(id, _)| *id).collect();
    let (rows, servers) = rows_and_servers(db, &rowids).await?;
    let statuses = conf_statuses(&servers);
    let by_rowid: HashMap<i64, Verdict> = page.iter().copied().collect();
    Ok(rows
        .into_iter()
        .map(|(id, row)| {
            let verdict = by_rowid.get(&id).copied().unwrap_or(Verdict::Unknown);
            item(row, verdict, &statuses)
        })
        .collect())
}

/// Each server's conf status and the phones its last conf refused, by server IP.
fn conf_statuses(servers: &[conf::ServerConfRow]) -> HashMap<&str, (ServerConfStatus, &str)> {
    servers.iter().map(|s| (s.server_ip.as_str(), (status_of(s), s.conf_refused.as_str()))).collect()
}

fn item(row: PhoneListRow, verdict: Verdict, servers: &HashMap<&str, (ServerConfStatus, &str)>) -> PhoneListItem {
    let state = match servers.get(row.server_ip.as_str()) {
        Some((status, refused)) => {
            let prefix = format!("phone {}:", row.extension.escape_debug());
            let refusal = refused.lines().find_map(|l| l.strip_prefix(&prefix)).map(|r| r.trim().to_string());
            conf_state(&row.protocol, row.active == "Y", refusal, status).label().to_string()
        }
        None => "no server".to_string(),
    };
    PhoneListItem {
        webphone: row.is_webphone.starts_with('Y'),
        active: row.active == "Y",
        extension: row.extension,
        protocol: row.protocol,
        server_ip: row.server_ip,
        dialplan_number: row.dialplan_number,
        voicemail_id: row.voicemail_id,
        status: row.status,
        fullname: row.fullname,
        user_group: row.user_group,
        registration: row.peer_status,
        conf_state: state,
        verdict,
    }
}

/// What the overview counts: every phone by registration state and by server, and by the login path's
/// verdict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhoneCounts {
    /// Phones stored.
    pub total: u64,
    /// By `peer_status`, in [`crate::domain::phone_list::REGISTRATION_STATES`] order, those with phones.
    pub by_registration: Vec<(String, u64)>,
    /// By `server_ip`.
    pub by_server: HashMap<String, u64>,
    /// By verdict, in [`Verdict::ALL`] order (worst first).
    pub by_verdict: Vec<(Verdict, u64)>,
}

/// Counts every phone by registration state, server and verdict (every phone's login path is
/// evaluated, with what the flows share read once).
pub async fn phone_counts(db: &Db, links: &AmiLinks) -> Result<PhoneCounts, sqlx::Error> {
    use crate::domain::phone_list::REGISTRATION_STATES;
    use crate::storage::phone_list::{count_by, CountColumn};
    let (registration, by_server) = {
        let mut tx = db.reader().begin().await?;
        let registration = count_by(&mut tx, CountColumn::Registration).await?;
        let by_server: HashMap<String, u64> = count_by(&mut tx, CountColumn::Server).await?.into_iter().collect();
        tx.commit().await?;
        (registration, by_server)
    };
    let total = by_server.values().sum();
    let by_registration = REGISTRATION_STATES
        .iter()
        .filter_map(|state| {
            let n: u64 = registration.iter().filter(|(s, _)| s == state).map(|(_, n)| n).sum();
            (n > 0).then(|| (state.to_string(), n))
        })
        .collect();
    let verdicts = all_verdicts(db, links).await?;
    let by_verdict = Verdict::ALL.iter().map(|v| (*v, verdicts.values().filter(|x| *x == v).count() as u64)).collect();
    Ok(PhoneCounts { total, by_registration, by_server, by_verdict })
}
