//! The phones list query: one page of phones and the number matching, for a [`PhoneListQuery`].
//!
//! Every value is a bound parameter; the SQL text is assembled only from the fixed fragments below (the
//! sort column comes from an enum). Search of three characters or more goes through the trigram index
//! `phones_search`; shorter text falls back to `LIKE` over the four columns. Nothing loads more than a
//! page of rows, but the reads of the list's in-memory index (every phone's rowid and filter values,
//! the rowids in a sort order, a text search's rowids). Knows nothing of HTTP or the UI.

use sqlx::SqliteConnection;

use crate::domain::phone_list::{PhoneListQuery, SortColumn};
use crate::storage::phones::PhoneRow;
use crate::storage::registration::RegistrationRow;
use crate::storage::remote_agents::{phone_with_registration, PHONE_WITH_REGISTRATION};

/// The list's columns of one phone (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PhoneListRow {
    /// `extension`
    pub extension: String,
    /// `protocol`
    pub protocol: String,
    /// `is_webphone`
    pub is_webphone: String,
    /// `server_ip`
    pub server_ip: String,
    /// `dialplan_number`
    pub dialplan_number: String,
    /// `voicemail_id`
    pub voicemail_id: String,
    /// `status`
    pub status: String,
    /// `fullname`
    pub fullname: String,
    /// `user_group`
    pub user_group: String,
    /// `peer_status`
    pub peer_status: String,
    /// `active`
    pub active: String,
}

/// How many sort-index entries walking costs as much as reading and sorting one matching row
/// (measured at 100,000 phones: about 30 ns an entry against 1 µs a match; kept low because the
/// extension's index, the unique one, does not hold the filter columns and its walk reads rows).
const WALK_COST_RATIO: u128 = 8;

/// The WHERE clause (possibly empty) and its values, in order.
fn where_clause(q: &PhoneListQuery, walk_sort_index: bool) -> (String, Vec<String>) {
    // An equality filter written `+column` is checked on the way instead of choosing its index. With a
    // text search the trigram index's matches are the rows to start from (they are few next to a
    // filter's); when the page walks the sort column's index, the filters on other columns are checked
    // in that index.
    let text = q.search.chars().count() >= 3;
    let unary = |column: SortColumn| text || (walk_sort_index && q.sort != column);
    let mut terms: Vec<&'static str> = Vec::new();
    let mut binds = Vec::new();
    if !q.search.is_empty() {
        if q.search.chars().count() >= 3 {
            terms.push("p.rowid IN (SELECT rowid FROM phones_search WHERE phones_search MATCH ?)");
            binds.push(fts_phrase(&q.search));
        } else {
            // One or two characters: too short for the trigram index, and "anywhere" would match most
            // phones. They match the start of the four values, through their indexes (NOCASE for
            // extension, login and name; the dialplan number is digits).
            terms.push(
                "(p.extension >= ? AND p.extension < ? OR p.login >= ? AND p.login < ? \
                 OR p.fullname COLLATE NOCASE >= ? AND p.fullname COLLATE NOCASE < ? \
                 OR p.dialplan_number >= ? AND p.dialplan_number < ?)",
            );
            // (sqlx numbers plain `?` on its own, so the two values are repeated rather than `?1`/`?2`.)
            for _ in 0..4 {
                binds.push(q.search.clone());
                binds.push(format!("{}\u{10FFFF}", q.search));
            }
        }
    }
    if let Some(p) = q.protocol {
        terms.push(if unary(SortColumn::Protocol) { "+p.protocol = ?" } else { "p.protocol = ?" });
        binds.push(p.as_str().to_string());
    }
    if let Some(s) = &q.server_ip {
        terms.push(if unary(SortColumn::Server) { "+p.server_ip = ?" } else { "p.server_ip = ?" });
        binds.push(s.clone());
    }
    if let Some(s) = q.status {
        terms.push(if unary(SortColumn::Status) { "+p.status = ?" } else { "p.status = ?" });
        binds.push(s.as_str().to_string());
    }
    if let Some(r) = &q.registration {
        terms.push(if unary(SortColumn::Registration) { "+p.peer_status = ?" } else { "p.peer_status = ?" });
        binds.push(r.clone());
    }
    let mut sql = String::new();
    for (i, t) in terms.iter().enumerate() {
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        sql.push_str(t);
    }
    (sql, binds)
}

/// `text` as one FTS5 string token: quoted, inner quotes doubled; the trigram index matches it anywhere
/// in a column.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The ORDER BY clause: the chosen column, then extension and server IP so pages are stable.
fn order_clause(sort: SortColumn, descending: bool) -> String {
    let column = match sort {
        SortColumn::Extension => "p.extension",
        SortColumn::Protocol => "p.protocol",
        SortColumn::Server => "p.server_ip",
        SortColumn::DialPlan => "p.dialplan_number",
        SortColumn::Voicemail => "p.voicemail_id",
        SortColumn::Status => "p.status",
        SortColumn::Name => "p.fullname COLLATE NOCASE",
        SortColumn::Group => "p.user_group",
        SortColumn::Registration => "p.peer_status",
        // The verdict is not stored: the rows come by extension and the caller orders them.
        SortColumn::Verdict => "p.extension",
    };
    let dir = if descending { "DESC" } else { "ASC" };
    if matches!(sort, SortColumn::Extension | SortColumn::Verdict) {
        format!(" ORDER BY p.extension {dir}, p.server_ip {dir}")
    } else if sort == SortColumn::Server {
        format!(" ORDER BY p.server_ip {dir}, p.extension {dir}")
    } else {
        format!(" ORDER BY {column} {dir}, p.extension {dir}, p.server_ip {dir}")
    }
}

/// The number of phones of every server that has any, by server IP (read from the `server_ip` index).
pub async fn count_by_server(conn: &mut SqliteConnection) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT server_ip, count(*) FROM phones GROUP BY server_ip").fetch_all(conn).await
}

/// How many phones match `q`'s search and filters.
pub async fn count_matching(conn: &mut SqliteConnection, q: &PhoneListQuery) -> sqlx::Result<u64> {
    let only_text_search = q.search.chars().count() >= 3
        && q.protocol.is_none()
        && q.server_ip.is_none()
        && q.status.is_none()
        && q.registration.is_none();
    if only_text_search {
        // Every indexed row is a phone: the trigram index counts on its own, without visiting rows.
        let (_, binds) = where_clause(q, false);
        let mut query = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM phones_search WHERE phones_search MATCH ?");
        for v in binds {
            query = query.bind(v);
        }
        return Ok(u64::try_from(query.fetch_one(conn).await?).unwrap_or(0));
    }
    let (filter, binds) = where_clause(q, false);
    let sql = format!("SELECT count(*) FROM phones p{filter}");
    let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
    for v in binds {
        query = query.bind(v);
    }
    let n = query.fetch_one(conn).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// One page of phones matching `q`, in its order (`q.page` as given; the caller clamps it). Every sort
/// column has an index (see the `list_sort_indexes` migration). `total` is the number matching
/// ([`count_matching`]): with equality filters it decides between walking the sort column's index and
/// checking the filters on the way (about `(offset + page) * all / total` entries; the filter columns
/// are in every sort index but the extension's), or taking a filter's index and sorting its `total`
/// matches, whichever costs less: an index entry walked costs about an eighth of a match read and
/// sorted ([`WALK_COST_RATIO`]).
pub async fn list_page(conn: &mut SqliteConnection, q: &PhoneListQuery, total: u64) -> sqlx::Result<Vec<PhoneListRow>> {
    let has_eq_filter = q.protocol.is_some() || q.server_ip.is_some() || q.status.is_some() || q.registration.is_some();
    // Sorted by extension, or by a filtered column, a filter's own index already gives the order
    // (`column = ?` then extension, server IP): SQLite picks it when nothing is written `+column`.
    let sorted_column_filtered = match q.sort {
        SortColumn::Extension | SortColumn::Verdict => true,
        SortColumn::Protocol => q.protocol.is_some(),
        SortColumn::Server => q.server_ip.is_some(),
        SortColumn::Status => q.status.is_some(),
        SortColumn::Registration => q.registration.is_some(),
        SortColumn::DialPlan | SortColumn::Voicemail | SortColumn::Name | SortColumn::Group => false,
    };
    let walk_sort_index = if has_eq_filter && !sorted_column_filtered && total > 0 {
        let all: i64 = sqlx::query_scalar("SELECT count(*) FROM phones").fetch_one(&mut *conn).await?;
        let walked = u128::from(q.offset() + u64::from(q.per_page)) * u128::from(u64::try_from(all).unwrap_or(0));
        walked <= WALK_COST_RATIO * u128::from(total) * u128::from(total)
    } else {
        false
    };
    let (filter, binds) = where_clause(q, walk_sort_index);
    let order = order_clause(q.sort, q.descending);
    // The page's rows are chosen from the indexes alone (the inner query), then only those rows are read:
    // skipping to a deep page does not read the rows it skips.
    let sql = format!(
        "SELECT p.extension, p.protocol, p.is_webphone, p.server_ip, p.dialplan_number, p.voicemail_id, p.status, \
         p.fullname, p.user_group, p.peer_status, p.active FROM phones p \
         WHERE p.rowid IN (SELECT p.rowid FROM phones p{filter}{order} LIMIT ? OFFSET ?){order}"
    );
    let mut query = sqlx::query_as::<_, PhoneListRow>(sqlx::AssertSqlSafe(sql));
    for v in binds {
        query = query.bind(v);
    }
    let offset = i64::try_from(q.offset()).unwrap_or(i64::MAX);
    query.bind(i64::from(q.per_page)).bind(offset).fetch_all(conn).await
}

/// Every phone matching `q`'s search and filters (its page and verdict aside), with its registration
/// state, handed to `each` one at a time (100,000 full rows are not kept), in `q`'s order (by extension
/// for a verdict sort, which the caller makes). For the list's verdict filter and sort, which need
/// every match's login path. Blocking, on its own read-only connection: call it from `spawn_blocking`.
pub fn each_matching(
    path: &str,
    q: &PhoneListQuery,
    each: &mut dyn FnMut(PhoneRow, RegistrationRow),
) -> rusqlite::Result<()> {
    let conn = super::conf::open_read_only(path)?;
    let (filter, binds) = where_clause(q, false);
    let order = order_clause(q.sort, q.descending);
    let mut stmt = conn.prepare(&format!("{PHONE_WITH_REGISTRATION}{filter}{order}"))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(binds))?;
    while let Some(r) = rows.next()? {
        let (phone, registration) = phone_with_registration(r)?;
        each(phone, registration);
    }
    Ok(())
}

/// The phones `(server_ip, extension)` of `keys` (one page's), with their registration states, in no
/// particular order. Blocking, like [`each_matching`].
pub fn phones_by_keys(path: &str, keys: &[(String, String)]) -> rusqlite::Result<Vec<(PhoneRow, RegistrationRow)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let conn = super::conf::open_read_only(path)?;
    let values = vec!["(?, ?)"; keys.len()].join(", ");
    let mut stmt =
        conn.prepare(&format!("{PHONE_WITH_REGISTRATION} WHERE (p.server_ip, p.extension) IN (VALUES {values})"))?;
    let binds = keys.iter().flat_map(|(ip, ext)| [ip.as_str(), ext.as_str()]);
    let rows = stmt.query_map(rusqlite::params_from_iter(binds), phone_with_registration)?;
    rows.collect()
}

/// How many phones have each value of the list column `column` (`peer_status` or `server_ip`: both
/// have an index, which the count walks), by value.
pub async fn count_by(conn: &mut SqliteConnection, column: CountColumn) -> sqlx::Result<Vec<(String, u64)>> {
    let sql = match column {
        CountColumn::Registration => "SELECT peer_status, count(*) FROM phones GROUP BY peer_status",
        CountColumn::Server => "SELECT server_ip, count(*) FROM phones GROUP BY server_ip",
    };
    let rows: Vec<(String, i64)> = sqlx::query_as(sql).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(v, n)| (v, u64::try_from(n).unwrap_or(0))).collect())
}

/// A column [`count_by`] groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountColumn {
    /// `peer_status`.
    Registration,
    /// `server_ip`.
    Server,
}

/// The rowid, server IP and extension of every phone matching `q`'s search and filters (its page
/// aside), handed to `each` in `q`'s order (by extension for a verdict sort), borrowed from the row (no
/// copy is made: a verdict view walks every match). Blocking, like [`each_matching`].
pub fn each_matching_key(
    path: &str,
    q: &PhoneListQuery,
    each: &mut dyn FnMut(i64, &str, &str),
) -> rusqlite::Result<()> {
    let conn = super::conf::open_read_only(path)?;
    let (filter, binds) = where_clause(q, false);
    let order = order_clause(q.sort, q.descending);
    let mut stmt = conn.prepare(&format!("SELECT p.rowid, p.server_ip, p.extension FROM phones p{filter}{order}"))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(binds))?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| text_at(r, i);
        each(r.get(0)?, text(1)?, text(2)?);
    }
    Ok(())
}

/// Column `i` of `r` as text borrowed from the row (NULL as empty).
fn text_at<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    Ok(r.get_ref(i)?
        .as_str_or_null()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))?
        .unwrap_or(""))
}

/// The list's columns of the phones `rowids` (one page's) with their rowids, in the order given (a
/// phone deleted since is left out).
pub async fn rows_by_rowid(conn: &mut SqliteConnection, rowids: &[i64]) -> sqlx::Result<Vec<(i64, PhoneListRow)>> {
    if rowids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; rowids.len()].join(", ");
    let sql = format!(
        "SELECT p.rowid, p.extension, p.protocol, p.is_webphone, p.server_ip, p.dialplan_number, p.voicemail_id, \
         p.status, p.fullname, p.user_group, p.peer_status, p.active FROM phones p WHERE p.rowid IN ({marks})"
    );
    let mut query = sqlx::query_as::<_, RowidRow>(sqlx::AssertSqlSafe(sql));
    for id in rowids {
        query = query.bind(id);
    }
    let mut found: std::collections::HashMap<i64, PhoneListRow> =
        query.fetch_all(conn).await?.into_iter().map(|r| (r.rowid, r.row)).collect();
    Ok(rowids.iter().filter_map(|id| found.remove(id).map(|row| (*id, row))).collect())
}

/// A [`PhoneListRow`] with its rowid.
#[derive(sqlx::FromRow)]
struct RowidRow {
    rowid: i64,
    #[sqlx(flatten)]
    row: PhoneListRow,
}

/// Every phone's rowid and list filter values (server IP, extension, protocol, status, registration
/// state), handed to `each` in no particular order (from the covering `phones_server_ip` index): the
/// base of the list's in-memory index. Blocking; `conn` is the caller's (one snapshot for every read).
pub fn each_list_key(conn: &rusqlite::Connection, each: &mut dyn FnMut(i64, [&str; 5])) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.rowid, p.server_ip, p.extension, p.protocol, p.status, p.peer_status FROM phones p",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| text_at(r, i);
        each(r.get(0)?, [text(1)?, text(2)?, text(3)?, text(4)?, text(5)?]);
    }
    Ok(())
}

/// Every phone's rowid in `sort`'s ascending order, exactly as [`list_page`] orders (the column, then
/// extension and server IP; by extension for the verdict, which the caller orders): walked from the
/// column's index. Blocking, like [`each_list_key`].
pub fn rowids_in_order(conn: &rusqlite::Connection, sort: SortColumn) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT p.rowid FROM phones p{}", order_clause(sort, false)))?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// The rowids of the phones whose extension, login, name or dialplan number contain `text` (three
/// characters or more, case-insensitive: the trigram index), in no particular order. Blocking, like
/// [`each_list_key`].
pub fn search_rowids(conn: &rusqlite::Connection, text: &str) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT rowid FROM phones_search WHERE phones_search MATCH ?1")?;
    let rows = stmt.query_map([fts_phrase(text)], |r| r.get(0))?;
    rows.collect()
}
