//! The phones list use case: one page of phones for a view, with each phone's conf state, read in one
//! snapshot. Knows the domain and storage; nothing of HTTP or the UI.

use std::collections::HashMap;

use crate::domain::asterisk_conf::{conf_state, ServerConfStatus};
use crate::domain::phone_list::{PhoneListItem, PhoneListPage, PhoneListQuery};
use crate::service::conf::status_of;
use crate::storage::phone_list::{count_matching, list_page, PhoneListRow};
use crate::storage::{conf, Db};

/// One page of the phones list for `query`. A page past the end shows the last page.
pub async fn list_phones(db: &Db, mut query: PhoneListQuery) -> Result<PhoneListPage, sqlx::Error> {
    let mut tx = db.reader().begin().await?;
    let total = count_matching(&mut tx, &query).await?;
    let last = PhoneListPage { query: query.clone(), total, rows: Vec::new() }.pages();
    query.page = query.page.clamp(1, last);
    let rows = list_page(&mut tx, &query, total).await?;
    let servers = conf::all_server_conf(&mut tx).await?;
    tx.commit().await?;
    let statuses: HashMap<&str, (ServerConfStatus, &str)> =
        servers.iter().map(|s| (s.server_ip.as_str(), (status_of(s), s.conf_refused.as_str()))).collect();
    let rows = rows.into_iter().map(|row| item(row, &statuses)).collect();
    Ok(PhoneListPage { query, total, rows })
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

fn item(row: PhoneListRow, servers: &HashMap<&str, (ServerConfStatus, &str)>) -> PhoneListItem {
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
    }
}
