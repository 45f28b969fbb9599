//! The phones list's view state: what a list URL carries (search, filters, sort, page), parsed with a
//! clear error per field and written back, and the rows a page shows.
//!
//! Pure and wasm-safe: the page and the server read the same URL the same way. Knows nothing of SQL
//! (storage turns a [`PhoneListQuery`] into a query) or of HTTP.

use serde::{Deserialize, Serialize};

use super::decision_flow::Verdict;
use super::{PhoneStatus, Protocol};

/// The page sizes offered.
pub const PAGE_SIZES: [u32; 3] = [25, 50, 100];
/// Rows per page when the URL does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The longest search text accepted (characters).
pub const MAX_SEARCH_CHARS: usize = 100;
/// The registration states (`peer_status`), in the filter's order.
pub const REGISTRATION_STATES: [&str; 6] =
    ["REGISTERED", "REACHABLE", "LAGGED", "UNREACHABLE", "UNREGISTERED", "UNKNOWN"];

/// A column the list can be sorted by; the headings are VICIdial's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortColumn {
    /// EXTEN
    #[default]
    Extension,
    /// PROTO
    Protocol,
    /// SERVER
    Server,
    /// DIAL PLAN
    DialPlan,
    /// VMAIL
    Voicemail,
    /// STATUS
    Status,
    /// NAME
    Name,
    /// GROUP
    Group,
    /// Registration (`peer_status`).
    Registration,
    /// The login path's verdict (worst first ascending: will hear silence, unknown, ready).
    Verdict,
}

impl SortColumn {
    /// Every column, in the list's order.
    pub const ALL: [SortColumn; 10] = [
        SortColumn::Extension,
        SortColumn::Protocol,
        SortColumn::Server,
        SortColumn::DialPlan,
        SortColumn::Voicemail,
        SortColumn::Status,
        SortColumn::Name,
        SortColumn::Group,
        SortColumn::Registration,
        SortColumn::Verdict,
    ];

    /// The value in the URL (`sort=`).
    pub fn key(self) -> &'static str {
        match self {
            SortColumn::Extension => "exten",
            SortColumn::Protocol => "proto",
            SortColumn::Server => "server",
            SortColumn::DialPlan => "dialplan",
            SortColumn::Voicemail => "vmail",
            SortColumn::Status => "status",
            SortColumn::Name => "name",
            SortColumn::Group => "group",
            SortColumn::Registration => "reg",
            SortColumn::Verdict => "verdict",
        }
    }

    /// The column heading (VICIdial's names; "REGISTRATION" is Dialtone's).
    pub fn heading(self) -> &'static str {
        match self {
            SortColumn::Extension => "EXTEN",
            SortColumn::Protocol => "PROTO",
            SortColumn::Server => "SERVER",
            SortColumn::DialPlan => "DIAL PLAN",
            SortColumn::Voicemail => "VMAIL",
            SortColumn::Status => "STATUS",
            SortColumn::Name => "NAME",
            SortColumn::Group => "GROUP",
            SortColumn::Registration => "REGISTRATION",
            SortColumn::Verdict => "VERDICT",
        }
    }

    /// The column for a URL value.
    pub fn parse(key: &str) -> Option<SortColumn> {
        SortColumn::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// What the list shows: search, filters, sort and page. The default is VICIdial's list: every phone
/// by extension, first page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneListQuery {
    /// Text searched in extension, phone login, name and dialplan number, case-insensitive: three or
    /// more characters match anywhere in the value, one or two match its start; empty for none.
    pub search: String,
    /// Only this client protocol.
    pub protocol: Option<Protocol>,
    /// Only phones of this server.
    pub server_ip: Option<String>,
    /// Only this status.
    pub status: Option<PhoneStatus>,
    /// Only this registration state (`peer_status`).
    pub registration: Option<String>,
    /// Only phones whose login path comes to this verdict.
    pub verdict: Option<Verdict>,
    /// Sort column.
    pub sort: SortColumn,
    /// Descending order.
    pub descending: bool,
    /// Page number, from 1.
    pub page: u32,
    /// Rows per page (one of [`PAGE_SIZES`]).
    pub per_page: u32,
}

impl Default for PhoneListQuery {
    fn default() -> Self {
        PhoneListQuery {
            search: String::new(),
            protocol: None,
            server_ip: None,
            status: None,
            registration: None,
            verdict: None,
            sort: SortColumn::Extension,
            descending: false,
            page: 1,
            per_page: DEFAULT_PAGE_SIZE,
        }
    }
}

/// A list URL value that is not allowed: the parameter and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{param}: {rule}")]
pub struct ListQueryError {
    /// The URL parameter (`q`, `proto`, `sort` ...).
    pub param: &'static str,
    /// What it must be.
    pub rule: String,
}

fn refuse(param: &'static str, rule: impl Into<String>) -> ListQueryError {
    ListQueryError { param, rule: rule.into() }
}

impl PhoneListQuery {
    /// Reads the URL's query parameters (`q`, `proto`, `server`, `status`, `reg`, `verdict`, `sort`, `dir`,
    /// `page`, `per`); empty values mean "not set". Unknown parameters are ignored (links may carry
    /// others); a known one with a value outside its rule is refused.
    pub fn from_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ListQueryError> {
        let mut q = PhoneListQuery::default();
        for (name, value) in params {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name {
                "q" => {
                    if value.chars().count() > MAX_SEARCH_CHARS {
                        return Err(refuse("q", format!("search text must be at most {MAX_SEARCH_CHARS} characters")));
                    }
                    if value.chars().any(char::is_control) {
                        return Err(refuse("q", "search text must not contain control characters"));
                    }
                    q.search = value.to_string();
                }
                "proto" => {
                    q.protocol =
                        Some(Protocol::parse(value).ok_or_else(|| {
                            refuse("proto", "protocol must be one of SIP, PJSIP, IAX2, Zap, EXTERNAL")
                        })?);
                }
                "server" => {
                    if value.len() > 15 || !value.chars().all(|c| c.is_ascii_digit() || c == '.') {
                        return Err(refuse("server", "server must be a server IP address"));
                    }
                    q.server_ip = Some(value.to_string());
                }
                "status" => {
                    q.status = Some(PhoneStatus::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
                        refuse("status", "status must be one of ACTIVE, SUSPENDED, CLOSED, PENDING, ADMIN")
                    })?);
                }
                "reg" => {
                    q.registration =
                        Some(REGISTRATION_STATES.into_iter().find(|s| *s == value).map(str::to_string).ok_or_else(
                            || refuse("reg", format!("registration must be one of {}", REGISTRATION_STATES.join(", "))),
                        )?);
                }
                "verdict" => {
                    q.verdict = Some(
                        Verdict::ALL
                            .into_iter()
                            .find(|v| v.key() == value)
                            .ok_or_else(|| refuse("verdict", "verdict must be one of ready, silence, unknown"))?,
                    );
                }
                "sort" => {
                    q.sort = SortColumn::parse(value).ok_or_else(|| {
                        let keys: Vec<_> = SortColumn::ALL.iter().map(|c| c.key()).collect();
                        refuse("sort", format!("sort must be one of {}", keys.join(", ")))
                    })?;
                }
                "dir" => {
                    q.descending = match value {
                        "asc" => false,
                        "desc" => true,
                        _ => return Err(refuse("dir", "dir must be asc or desc")),
                    };
                }
                "page" => {
                    q.page = value
                        .parse::<u32>()
                        .ok()
                        .filter(|p| *p >= 1)
                        .ok_or_else(|| refuse("page", "page must be a whole number from 1"))?;
                }
                "per" => {
                    q.per_page = value
                        .parse::<u32>()
                        .ok()
                        .filter(|p| PAGE_SIZES.contains(p))
                        .ok_or_else(|| refuse("per", "rows per page must be 25, 50 or 100"))?;
                }
                _ => {}
            }
        }
        Ok(q)
    }

    /// The URL parameters of this view that differ from the default, in a fixed order.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut parts: Vec<(&'static str, String)> = Vec::new();
        if !self.search.is_empty() {
            parts.push(("q", self.search.clone()));
        }
        if let Some(p) = self.protocol {
            parts.push(("proto", p.as_str().to_string()));
        }
        if let Some(s) = &self.server_ip {
            parts.push(("server", s.clone()));
        }
        if let Some(s) = self.status {
            parts.push(("status", s.as_str().to_string()));
        }
        if let Some(r) = &self.registration {
            parts.push(("reg", r.clone()));
        }
        if let Some(v) = self.verdict {
            parts.push(("verdict", v.key().to_string()));
        }
        if self.sort != SortColumn::Extension {
            parts.push(("sort", self.sort.key().to_string()));
        }
        if self.descending {
            parts.push(("dir", "desc".to_string()));
        }
        if self.page != 1 {
            parts.push(("page", self.page.to_string()));
        }
        if self.per_page != DEFAULT_PAGE_SIZE {
            parts.push(("per", self.per_page.to_string()));
        }
        parts
    }

    /// The same view with URL parameter `param` set to `value` (empty: unset) and back on page 1, read
    /// by [`PhoneListQuery::from_params`]; a value it refuses leaves the view as it was.
    pub fn with_param(&self, param: &str, value: &str) -> PhoneListQuery {
        let mut pairs: Vec<(&str, String)> =
            self.params().into_iter().filter(|(k, _)| *k != param && *k != "page").collect();
        pairs.push((param, value.to_string()));
        PhoneListQuery::from_params(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap_or_else(|_| self.on_page(1))
    }

    /// The query string for this view (without `?`), carrying only what differs from the default, so
    /// the plain list is `/phones`.
    pub fn to_query_string(&self) -> String {
        self.params().iter().map(|(k, v)| format!("{k}={}", encode_component(v))).collect::<Vec<_>>().join("&")
    }

    /// The list URL for this view.
    pub fn href(&self) -> String {
        let qs = self.to_query_string();
        if qs.is_empty() {
            "/phones".to_string()
        } else {
            format!("/phones?{qs}")
        }
    }

    /// The same view on another page.
    pub fn on_page(&self, page: u32) -> PhoneListQuery {
        PhoneListQuery { page: page.max(1), ..self.clone() }
    }

    /// The view sorted by `column`: a new column sorts ascending; the current one flips direction.
    /// Back to page 1.
    pub fn sorted_by(&self, column: SortColumn) -> PhoneListQuery {
        let descending = self.sort == column && !self.descending;
        PhoneListQuery { sort: column, descending, page: 1, ..self.clone() }
    }

    /// Whether any search or filter is set (an empty result then means "nothing matches", not "no
    /// phones yet").
    pub fn is_filtered(&self) -> bool {
        !self.search.is_empty()
            || self.protocol.is_some()
            || self.server_ip.is_some()
            || self.status.is_some()
            || self.registration.is_some()
            || self.verdict.is_some()
    }

    /// Whether the page needs every matching phone's verdict (to filter or sort by it), not only
    /// the page's.
    pub fn needs_all_verdicts(&self) -> bool {
        self.verdict.is_some() || self.sort == SortColumn::Verdict
    }

    /// The first row's offset for `page`.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page)
    }
}

/// Percent-encodes a query-string component (everything but RFC 3986 unreserved characters).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a query string once (`application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte) into
/// its pairs, in order. A pair whose name or value is not UTF-8 after decoding is left out.
pub fn decode_query(query: &str) -> Vec<(String, String)> {
    fn decode(raw: &str) -> Option<String> {
        let bytes = raw.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => match (bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b))) {
                    (Some(h), Some(l)) => {
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

/// One row of the list: VICIdial's columns plus registration and conf state. No secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneListItem {
    /// `extension`
    pub extension: String,
    /// `protocol`
    pub protocol: String,
    /// `is_webphone` is Y or `Y_API_LAUNCH` (shown as "(w)" after the protocol).
    pub webphone: bool,
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
    pub registration: String,
    /// The conf state's label (`pending`, `applied`, `no peer` ...).
    pub conf_state: String,
    /// `active` is `Y` (an inactive phone cannot log in, whatever its status says).
    pub active: bool,
    /// The login path's verdict.
    pub verdict: Verdict,
}

impl PhoneListItem {
    /// The PROTO cell: the protocol, with VICIdial's "(w)" for webphones.
    pub fn proto_cell(&self) -> String {
        if self.webphone {
            format!("{} (w)", self.protocol)
        } else {
            self.protocol.clone()
        }
    }

    /// The STATUS cell: the status, and "inactive" after it when the phone is not active, so an
    /// inactive phone never reads as plainly ACTIVE.
    pub fn status_cell(&self) -> String {
        match (self.active, self.status.is_empty()) {
            (true, _) => self.status.clone(),
            (false, true) => "inactive".to_string(),
            (false, false) => format!("{} · inactive", self.status),
        }
    }

    /// The phone page's path.
    pub fn href(&self) -> String {
        phone_href(&self.server_ip, &self.extension)
    }
}

/// The phone page's path for a phone (`/phones/<server_ip>/<extension>`, extension percent-encoded).
pub fn phone_href(server_ip: &str, extension: &str) -> String {
    format!("/phones/{}/{}", encode_component(server_ip), encode_component(extension))
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneListPage {
    /// The view shown (its page clamped to the last page).
    pub query: PhoneListQuery,
    /// Phones matching the search and filters.
    pub total: u64,
    /// This page's rows.
    pub rows: Vec<PhoneListItem>,
}

impl PhoneListPage {
    /// The number of pages (at least 1).
    pub fn pages(&self) -> u32 {
        let per = u64::from(self.query.per_page.max(1));
        u32::try_from(self.total.div_ceil(per).max(1)).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(qs: &[(&str, &str)]) -> Result<PhoneListQuery, ListQueryError> {
        PhoneListQuery::from_params(qs.iter().copied())
    }

    #[test]
    fn query_strings_are_decoded_once() {
        assert_eq!(
            decode_query("q=Jos%C3%A9+x&next=%2F%2509&&e=&bad=%FF&n=%2"),
            [
                ("q".to_string(), "José x".to_string()),
                ("next".to_string(), "/%09".to_string()),
                ("e".to_string(), String::new()),
                ("n".to_string(), "%2".to_string())
            ]
        );
        for v in ["a b", "50%", "</title>", "x&y=z", "Jöhn"] {
            assert_eq!(decode_query(&format!("v={}", encode_component(v))), [("v".to_string(), v.to_string())]);
        }
    }

    #[test]
    fn the_default_view_is_the_bare_list() {
        let q = parse(&[]).expect("empty query");
        assert_eq!(q, PhoneListQuery::default());
        assert_eq!(q.href(), "/phones");
        assert!(!q.is_filtered());
    }

    #[test]
    fn a_view_round_trips_through_its_url() {
        let q = PhoneListQuery {
            search: "Smith & co/1".into(),
            protocol: Some(Protocol::Iax2),
            server_ip: Some("10.0.0.1".into()),
            status: Some(PhoneStatus::Suspended),
            registration: Some("LAGGED".into()),
            verdict: Some(Verdict::WillHearSilence),
            sort: SortColumn::Name,
            descending: true,
            page: 3,
            per_page: 100,
        };
        let qs = q.to_query_string();
        assert_eq!(qs, "q=Smith%20%26%20co%2F1&proto=IAX2&server=10.0.0.1&status=SUSPENDED&reg=LAGGED&verdict=silence&sort=name&dir=desc&page=3&per=100");
        let pairs: Vec<(String, String)> = qs
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("k=v");
                (k.to_string(), percent_decode(v))
            })
            .collect();
        let back = PhoneListQuery::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).expect("parses");
        assert_eq!(back, q);
    }

    fn percent_decode(v: &str) -> String {
        let bytes = v.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn each_bad_value_names_its_parameter() {
        for (param, value, rule) in [
            ("proto", "sip", "protocol must be one of"),
            ("server", "10.0.0.1;x", "server must be a server IP"),
            ("status", "GONE", "status must be one of"),
            ("reg", "OK", "registration must be one of"),
            ("verdict", "fine", "verdict must be one of"),
            ("sort", "pass", "sort must be one of"),
            ("dir", "up", "dir must be asc or desc"),
            ("page", "0", "page must be a whole number"),
            ("page", "-1", "page must be a whole number"),
            ("per", "1000", "rows per page must be"),
        ] {
            let e = parse(&[(param, value)]).expect_err(value);
            assert_eq!(e.param, param);
            assert!(e.rule.starts_with(rule), "{e}");
        }
        let long = "x".repeat(MAX_SEARCH_CHARS + 1);
        assert_eq!(parse(&[("q", &long)]).expect_err("long").param, "q");
        assert_eq!(parse(&[("q", "a\u{7}")]).expect_err("control").param, "q");
        assert_eq!(parse(&[("q", " 10 "), ("other", "x")]).expect("trim").search, "10");
    }

    #[test]
    fn sorting_flips_on_the_same_column_and_resets_the_page() {
        let q = PhoneListQuery { page: 4, ..PhoneListQuery::default() };
        let by_name = q.sorted_by(SortColumn::Name);
        assert_eq!((by_name.sort, by_name.descending, by_name.page), (SortColumn::Name, false, 1));
        assert!(by_name.sorted_by(SortColumn::Name).descending);
        assert!(!q.sorted_by(SortColumn::Extension).on_page(2).sorted_by(SortColumn::Name).descending);
    }

    #[test]
    fn setting_one_parameter_keeps_the_others_and_goes_back_to_page_one() {
        let q = PhoneListQuery { search: "ann".into(), page: 3, ..PhoneListQuery::default() };
        let iax = q.with_param("proto", "IAX2");
        assert_eq!((iax.protocol, iax.search.as_str(), iax.page), (Some(Protocol::Iax2), "ann", 1));
        assert_eq!(iax.with_param("proto", "").protocol, None);
        assert_eq!(iax.with_param("per", "25").per_page, 25);
        // A value the parser refuses changes nothing but the page.
        assert_eq!(iax.with_param("proto", "sip"), iax);
    }

    #[test]
    fn pages_round_up_and_never_drop_to_zero() {
        let page = |total| PhoneListPage { query: PhoneListQuery::default(), total, rows: vec![] }.pages();
        assert_eq!((page(0), page(1), page(50), page(51)), (1, 1, 1, 2));
    }

    #[test]
    fn phone_links_encode_the_extension() {
        assert_eq!(phone_href("10.0.0.1", "a b/c"), "/phones/10.0.0.1/a%20b%2Fc");
    }
}
