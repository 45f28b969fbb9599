//! The phones list use case: one page of phones for a view, with each phone's conf state and login-path
//! verdict, read in one snapshot. Knows the domain and storage; nothing of HTTP or the UI.
//!
//! The verdict is not stored (it follows the registrations, servers, carriers and aliases as they
//! change), so it is evaluated when the page is asked for: for the page's rows only, unless the view
//! filters or sorts by it; then every phone matching the other filters is evaluated, with what the
//! flows share read once ([`crate::service::flow::each_verdict`]).

use std::collections::HashMap;

use crate::domain::asterisk_conf::{conf_state, ServerConfStatus};
use crate::domain::decision_flow::Verdict;
use crate::domain::phone_list::{PhoneListItem, PhoneListPage, PhoneListQuery, SortColumn};
use crate::service::conf::status_of;
use crate::service::flow::each_verdict;
use crate::service::registration::AmiLinks;
use crate::storage::phone_list::{count_matching, each_matching, list_page, phones_by_keys, PhoneListRow};
use crate::storage::phones::PhoneRow;
use crate::storage::{conf, Db};

/// One page of the phones list for `query`, each phone with its verdict (`links`: the AMI monitors'
/// links, which the registration step reads). A page past the end shows the last page.
pub async fn list_phones(db: &Db, links: &AmiLinks, query: PhoneListQuery) -> Result<PhoneListPage, sqlx::Error> {
    if query.needs_all_verdicts() {
        return list_by_verdict(db, links, query).await;
    }
    let mut query = query;
    let mut tx = db.reader().begin().await?;
    let total = count_matching(&mut tx, &query).await?;
    let last = PhoneListPage { query: query.clone(), total, rows: Vec::new() }.pages();
    query.page = query.page.clamp(1, last);
    let rows = list_page(&mut tx, &query, total).await?;
    let servers = conf::all_server_conf(&mut tx).await?;
    tx.commit().await?;
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
    let statuses = conf_statuses(&servers);
    let rows = rows
        .into_iter()
        .map(|row| {
            // A phone deleted between the two reads has no verdict: unknown.
            let verdict =
                verdicts.get(&(row.server_ip.clone(), row.extension.clone())).copied().unwrap_or(Verdict::Unknown);
            item(row, verdict, &statuses)
        })
        .collect();
    Ok(PhoneListPage { query, total, rows })
}

/// A view filtered or sorted by verdict: every phone matching the other filters is evaluated, those of
/// the verdict kept (only the list's columns), sorted by verdict when asked (worst first ascending;
/// the rows come by extension, and the sort is stable), and the page cut from them.
async fn list_by_verdict(db: &Db, links: &AmiLinks, mut query: PhoneListQuery) -> Result<PhoneListPage, sqlx::Error> {
    let wanted = query.verdict;
    let filter = query.clone();
    let mut matching = each_verdict(
        db,
        links,
        move |path, each| each_matching(path, &filter, each),
        move |row, verdict| wanted.is_none_or(|w| w == verdict).then(|| (list_row(row), verdict)),
    )
    .await?;
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
    let servers = {
        let mut conn = db.reader().acquire().await?;
        conf::all_server_conf(&mut conn).await?
    };
    let statuses = conf_statuses(&servers);
    let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
    let per_page = usize::try_from(query.per_page).unwrap_or(usize::MAX);
    let rows =
        matching.into_iter().skip(offset).take(per_page).map(|(row, verdict)| item(row, verdict, &statuses)).collect();
    Ok(PhoneListPage { query, total, rows })
}

/// Each server's conf status and the phones its last conf refused, by server IP.
fn conf_statuses(servers: &[conf::ServerConfRow]) -> HashMap<&str, (ServerConfStatus, &str)> {
    servers.iter().map(|s| (s.server_ip.as_str(), (status_of(s), s.conf_refused.as_str()))).collect()
}

/// The list's columns of a phone read whole.
fn list_row(row: PhoneRow) -> PhoneListRow {
    PhoneListRow {
        extension: row.extension,
        protocol: row.protocol,
        is_webphone: row.is_webphone,
        server_ip: row.server_ip,
        dialplan_number: row.dialplan_number,
        voicemail_id: row.voicemail_id,
        status: row.status,
        fullname: row.fullname,
        user_group: row.user_group,
        peer_status: row.peer_status,
        active: row.active,
    }
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
