//! The phones list's in-memory index: for one snapshot of the database, every phone's list filter
//! values (server, protocol, status, registration state, each interned), its place in each sort order
//! (read from that column's index the first time a view sorts by it) and, for the verdict views, its
//! login-path verdict. A view is then answered by walking arrays (about a millisecond at 100,000
//! phones) instead of joining rows in SQL, which costs a row lookup per match (about 1.3 µs: 13-27 ms
//! for a text search of a common name with a sort or filter, 45-60 ms for the verdict views); only the
//! page's rows are then read from the table.
//!
//! The index is kept while the database's `PRAGMA data_version` is unchanged (any commit, by any
//! connection or process, changes it). It is built on the second view asked at one version, so under a
//! stream of writes the list reads through SQL and nothing is built to be thrown away. Every part (the
//! base, a sort order, a text search's matches) is read in a read transaction whose snapshot is checked
//! to be the index's version; a part that cannot be read at that version leaves the view to SQL.
//! Searches of one or two characters (a prefix match through the column indexes) are left to SQL.
//!
//! Knows the domain and storage (a read-only connection of its own per database file); nothing of HTTP
//! or the UI.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::Connection;

use crate::domain::decision_flow::Verdict;
use crate::domain::phone_list::{PhoneListPage, PhoneListQuery, SortColumn};
use crate::service::flow::VerdictMap;
use crate::storage::conf::data_version;
use crate::storage::phone_list::{each_list_key, rowids_in_order, search_rowids};

/// When a stale index may be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Build {
    /// On the second view asked at the same data version (the list's normal use).
    OnSecondView,
    /// Now (tests compare the index with SQL).
    Now,
}

/// A view answered by the index: the number matching, the page shown (clamped) and the page's rowids
/// in order, each with its verdict when the view needed every verdict.
#[derive(Debug)]
pub(crate) struct IndexedPage {
    /// Phones matching the view.
    pub total: u64,
    /// The page shown: the one asked, clamped to the last.
    pub page: u32,
    /// The page's rows: rowid and, for a verdict view, the verdict.
    pub rows: Vec<(i64, Option<Verdict>)>,
}

/// The page of `query` from the index of the database at `path`, or `None` when the index cannot
/// answer (stale, a one- or two-character search, or a part not readable at its version).
/// `verdicts` (every phone's, from [`crate::service::flow::all_verdicts`]) is needed when the view
/// filters or sorts by verdict. Blocking: call it from `spawn_blocking`.
pub(crate) fn page(
    path: &str,
    query: &PhoneListQuery,
    verdicts: Option<&Arc<VerdictMap>>,
    build: Build,
) -> rusqlite::Result<Option<IndexedPage>> {
    let text_search = !query.search.is_empty();
    if text_search && query.search.chars().count() < 3 {
        return Ok(None);
    }
    if query.needs_all_verdicts() && verdicts.is_none() {
        return Ok(None);
    }
    let cache = cache_of(path)?;
    let (index, order, matched) = {
        let conn = cache.conn.lock().unwrap_or_else(|p| p.into_inner());
        let version = data_version(&conn)?;
        let index = {
            let mut state = cache.state.lock().unwrap_or_else(|p| p.into_inner());
            match &state.index {
                Some(ix) if ix.version == version => Arc::clone(ix),
                _ if build == Build::Now || state.seen == Some(version) => match ListIndex::read(&conn, version)? {
                    Some(ix) => {
                        let ix = Arc::new(ix);
                        state.index = Some(Arc::clone(&ix));
                        ix
                    }
                    None => return Ok(None),
                },
                _ => {
                    state.seen = Some(version);
                    return Ok(None);
                }
            }
        };
        let column = if query.sort == SortColumn::Verdict { SortColumn::Extension } else { query.sort };
        let Some(order) = index.order(&conn, column)? else { return Ok(None) };
        let matched = if text_search {
            let Some(rowids) = at_version(&conn, index.version, |c| search_rowids(c, &query.search))? else {
                return Ok(None);
            };
            let mut matched = vec![false; index.rowids.len()];
            for rowid in rowids {
                // A match the index does not know: the index is no longer the database.
                let Some(slot) = index.slots.get(rowid) else { return Ok(None) };
                matched[slot as usize] = true;
            }
            Some(matched)
        } else {
            None
        };
        (index, order, matched)
    };
    let slot_verdicts = verdicts.map(|v| index.verdicts(v));
    Ok(Some(index.answer(query, &order, matched.as_deref(), slot_verdicts.as_deref().map(Vec::as_slice))))
}

/// One database file's index: the read-only connection it reads through (and whose data version it
/// watches), the version last seen and the index last built.
struct IndexCache {
    conn: Mutex<Connection>,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    /// The data version of the last view that found the index stale.
    seen: Option<i64>,
    index: Option<Arc<ListIndex>>,
}

/// The indexes, by database file (each test's database has its own).
static CACHES: OnceLock<Mutex<HashMap<String, Arc<IndexCache>>>> = OnceLock::new();

fn cache_of(path: &str) -> rusqlite::Result<Arc<IndexCache>> {
    let mut caches = CACHES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = caches.get(path) {
        return Ok(Arc::clone(c));
    }
    let conn = crate::storage::conf::open_read_only(path)?;
    let c = Arc::new(IndexCache { conn: Mutex::new(conn), state: Mutex::default() });
    caches.insert(path.to_string(), Arc::clone(&c));
    Ok(c)
}

/// `read` in one read transaction on `conn`, kept only when its snapshot is at `version` (no commit
/// since the version was read).
fn at_version<T>(
    conn: &Connection,
    version: i64,
    read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let tx = conn.unchecked_transaction()?;
    let value = read(&tx)?;
    let snapshot = data_version(&tx)?;
    tx.commit()?;
    Ok((snapshot == version).then_some(value))
}

/// One text column's values, interned: a code per phone, and the distinct values.
#[derive(Default)]
struct Interned {
    codes: Vec<u32>,
    values: Vec<String>,
    lookup: HashMap<String, u32>,
}

impl Interned {
    fn push(&mut self, value: &str) {
        let code = match self.lookup.get(value) {
            Some(c) => *c,
            None => {
                let c = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
                self.values.push(value.to_string());
                self.lookup.insert(value.to_string(), c);
                c
            }
        };
        self.codes.push(code);
    }

    /// The code of `value`; `None` when no phone has it.
    fn code(&self, value: &str) -> Option<u32> {
        self.lookup.get(value).copied()
    }
}

/// Rowid to slot (a phone's place in the index's arrays).
enum Slots {
    /// Rowids close together (the usual case): a table from the smallest.
    Dense { first: i64, slots: Vec<u32> },
    /// Rowids spread wide.
    Sparse(HashMap<i64, u32>),
}

impl Slots {
    fn new(rowids: &[i64]) -> Slots {
        let (first, last) = (rowids.iter().min().copied().unwrap_or(0), rowids.iter().max().copied().unwrap_or(0));
        let span = u64::try_from(last.saturating_sub(first)).unwrap_or(u64::MAX);
        if span <= 4 * rowids.len() as u64 + 1024 {
            let mut slots = vec![u32::MAX; usize::try_from(span).unwrap_or(0) + 1];
            for (slot, rowid) in rowids.iter().enumerate() {
                if let Ok(i) = usize::try_from(rowid - first) {
                    slots[i] = u32::try_from(slot).unwrap_or(u32::MAX);
                }
            }
            Slots::Dense { first, slots }
        } else {
            Slots::Sparse(rowids.iter().enumerate().map(|(s, r)| (*r, u32::try_from(s).unwrap_or(u32::MAX))).collect())
        }
    }

    fn get(&self, rowid: i64) -> Option<u32> {
        match self {
            Slots::Dense { first, slots } => usize::try_from(rowid.checked_sub(*first)?)
                .ok()
                .and_then(|i| slots.get(i))
                .copied()
                .filter(|s| *s != u32::MAX),
            Slots::Sparse(map) => map.get(&rowid).copied(),
        }
    }
}

/// The index of one snapshot.
struct ListIndex {
    /// The data version it was read at.
    version: i64,
    /// Slot to rowid.
    rowids: Vec<i64>,
    slots: Slots,
    server: Interned,
    protocol: Interned,
    status: Interned,
    registration: Interned,
    /// Lower-case extensions, one after another (`extension_ends[slot]` is where a slot's ends): with
    /// the server IP, the key of [`VerdictMap`].
    extensions: String,
    extension_ends: Vec<u32>,
    /// Slots in each sort column's ascending order, by [`SortColumn::ALL`] position.
    orders: [OnceLock<Arc<Vec<u32>>>; SortColumn::ALL.len()],
    /// Each slot's verdict, and the verdicts it was taken from.
    verdicts: Mutex<Option<SlotVerdicts>>,
}

/// Each slot's verdict, and the verdicts it was taken from.
type SlotVerdicts = (Arc<VerdictMap>, Arc<Vec<Verdict>>);

impl ListIndex {
    /// The base at `version` (`None` when the database is no longer at that version).
    fn read(conn: &Connection, version: i64) -> rusqlite::Result<Option<ListIndex>> {
        let mut ix = ListIndex {
            version,
            rowids: Vec::new(),
            slots: Slots::Sparse(HashMap::new()),
            server: Interned::default(),
            protocol: Interned::default(),
            status: Interned::default(),
            registration: Interned::default(),
            extensions: String::new(),
            extension_ends: Vec::new(),
            orders: Default::default(),
            verdicts: Mutex::new(None),
        };
        let read = at_version(conn, version, |c| {
            each_list_key(c, &mut |rowid, [server, extension, protocol, status, registration]| {
                ix.rowids.push(rowid);
                ix.server.push(server);
                ix.protocol.push(protocol);
                ix.status.push(status);
                ix.registration.push(registration);
                ix.extensions.extend(extension.chars().map(|c| c.to_ascii_lowercase()));
                ix.extension_ends.push(u32::try_from(ix.extensions.len()).unwrap_or(u32::MAX));
            })
        })?;
        if read.is_none() || u32::try_from(ix.rowids.len()).is_err() || u32::try_from(ix.extensions.len()).is_err() {
            return Ok(None);
        }
        ix.slots = Slots::new(&ix.rowids);
        Ok(Some(ix))
    }

    /// The slots in `column`'s ascending order, read from its index the first time (`None` when the
    /// database is no longer at the index's version).
    fn order(&self, conn: &Connection, column: SortColumn) -> rusqlite::Result<Option<Arc<Vec<u32>>>> {
        let at = SortColumn::ALL.iter().position(|c| *c == column).unwrap_or(0);
        if let Some(order) = self.orders[at].get() {
            return Ok(Some(Arc::clone(order)));
        }
        let Some(rowids) = at_version(conn, self.version, |c| rowids_in_order(c, column))? else { return Ok(None) };
        if rowids.len() != self.rowids.len() {
            return Ok(None);
        }
        let mut order = Vec::with_capacity(rowids.len());
        for rowid in rowids {
            let Some(slot) = self.slots.get(rowid) else { return Ok(None) };
            order.push(slot);
        }
        Ok(Some(Arc::clone(self.orders[at].get_or_init(|| Arc::new(order)))))
    }

    /// Each slot's verdict in `verdicts` (unknown for a phone it does not hold), kept for the next view
    /// with the same verdicts.
    fn verdicts(&self, verdicts: &Arc<VerdictMap>) -> Arc<Vec<Verdict>> {
        let mut kept = self.verdicts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((from, by_slot)) = kept.as_ref() {
            if Arc::ptr_eq(from, verdicts) {
                return Arc::clone(by_slot);
            }
        }
        // One key, refilled for each phone: no allocation per phone.
        let mut key = (String::new(), String::new());
        let mut start = 0usize;
        let by_slot: Vec<Verdict> = self
            .extension_ends
            .iter()
            .enumerate()
            .map(|(slot, end)| {
                let end = *end as usize;
                key.0.clear();
                key.0.push_str(&self.server.values[self.server.codes[slot] as usize]);
                key.1.clear();
                key.1.push_str(&self.extensions[start..end]);
                start = end;
                verdicts.get(&key).copied().unwrap_or(Verdict::Unknown)
            })
            .collect();
        let by_slot = Arc::new(by_slot);
        *kept = Some((Arc::clone(verdicts), Arc::clone(&by_slot)));
        by_slot
    }

    /// `query`'s page: its filters checked per slot (`matched`: the text search's matches;
    /// `verdicts`: each slot's, for a verdict view), walked in `order` (the sort column's ascending
    /// order; the extension's for a verdict sort).
    fn answer(
        &self,
        query: &PhoneListQuery,
        order: &[u32],
        matched: Option<&[bool]>,
        verdicts: Option<&[Verdict]>,
    ) -> IndexedPage {
        // A filter value no phone has: nothing matches (`Some(None)`).
        let code = |column: &Interned, value: Option<&str>| value.map(|v| column.code(v));
        let protocol = code(&self.protocol, query.protocol.map(|p| p.as_str()));
        let server = code(&self.server, query.server_ip.as_deref());
        let status = code(&self.status, query.status.map(|s| s.as_str()));
        let registration = code(&self.registration, query.registration.as_deref());
        let no_match = [protocol, server, status, registration].iter().any(|c| matches!(c, Some(None)));
        let is = |column: &Interned, wanted: Option<Option<u32>>, slot: usize| {
            wanted.is_none_or(|w| w == Some(column.codes[slot]))
        };
        let keep = |slot: usize| {
            !no_match
                && matched.is_none_or(|m| m[slot])
                && is(&self.protocol, protocol, slot)
                && is(&self.server, server, slot)
                && is(&self.status, status, slot)
                && is(&self.registration, registration, slot)
                && query.verdict.is_none_or(|w| verdicts.is_some_and(|v| v[slot] == w))
        };
        let total = (0..self.rowids.len()).filter(|s| keep(*s)).count() as u64;
        let last = PhoneListPage { query: query.clone(), total, rows: Vec::new() }.pages();
        let page = query.page.clamp(1, last);
        let offset = usize::try_from(query.on_page(page).offset()).unwrap_or(usize::MAX);
        let per_page = usize::try_from(query.per_page).unwrap_or(usize::MAX);
        let verdict_of = |slot: usize| verdicts.map(|v| v[slot]);
        let take = |slots: &mut dyn Iterator<Item = usize>| -> Vec<(i64, Option<Verdict>)> {
            slots.filter(|s| keep(*s)).skip(offset).take(per_page).map(|s| (self.rowids[s], verdict_of(s))).collect()
        };
        let rows = match (query.sort, verdicts) {
            // Worst first ascending, by extension within a verdict; descending is the exact reverse.
            (SortColumn::Verdict, Some(v)) => {
                let ranks: Vec<u8> = Verdict::ALL.iter().map(|v| v.rank()).collect();
                if query.descending {
                    take(
                        &mut ranks
                            .iter()
                            .rev()
                            .flat_map(|r| order.iter().rev().map(|s| *s as usize).filter(move |s| v[*s].rank() == *r)),
                    )
                } else {
                    take(
                        &mut ranks
                            .iter()
                            .flat_map(|r| order.iter().map(|s| *s as usize).filter(move |s| v[*s].rank() == *r)),
                    )
                }
            }
            _ if query.descending => take(&mut order.iter().rev().map(|s| *s as usize)),
            _ => take(&mut order.iter().map(|s| *s as usize)),
        };
        IndexedPage { total, page, rows }
    }
}
