//! The phones list against a real SQLite file and over real HTTP: search (trigram index, and the
//! prefix match of short text) kept in step with adds, edits and deletes, filters, sorting, paging
//! and its clamp, the page's columns and links, the refusal of bad URL values, and who is offered
//! "Add a phone"; the login path's verdict per row (filtered and sorted by it, against each phone's own
//! flow), an inactive phone's status, and the pager shown only when there is more than one page.

mod common;

use common::{http_with, server_fn_json, session, start_fixture_server, TestServer};
use dialtone::domain::decision_flow::Verdict;
use dialtone::domain::phone_list::{PhoneListPage, PhoneListQuery, SortColumn};
use dialtone::domain::{PhoneStatus, Protocol, ProtocolSet};
use dialtone::service::flow::phone_flow;
use dialtone::service::phone_list::list_phones;
use dialtone::service::registration::AmiLinks;
use dialtone::service::{demo, phones, Actor};

/// Adds `n` phones: extension `7000+i`, names cycling through a few people, protocols and statuses.
async fn add_phones(server: &TestServer, n: usize) {
    let names = ["Ana Smith", "Ben O'Hara", "Carla Smithers", "Dmitri 100% Ivanov", "Eve_Under"];
    for i in 0..n {
        let mut p = common::phone(&format!("{}", 7000 + i), &format!("lg{i:03}"), "10.10.10.15");
        p.phone_full_name = format!("{} {i}", names[i % names.len()]);
        p.dialplan_number = format!("55{i:04}");
        p.protocol = ["SIP", "IAX2", "EXTERNAL"][i % 3].into();
        if p.protocol == "EXTERNAL" {
            p.phone_type = "external".into();
        }
        p.status = if i % 4 == 0 { "SUSPENDED".into() } else { String::new() };
        p.admin_user_group = format!("TEAM{}", i % 2);
        phones::add_phone_input(&server.db, &Actor::cli(), &p, ProtocolSet::WebAdmin).await.expect("add phone");
    }
}

async fn list(server: &TestServer, q: PhoneListQuery) -> PhoneListPage {
    list_phones(&server.db, &AmiLinks::default(), q).await.expect("list")
}

fn exts(page: &PhoneListPage) -> Vec<&str> {
    page.rows.iter().map(|r| r.extension.as_str()).collect()
}

fn search(text: &str) -> PhoneListQuery {
    PhoneListQuery { search: text.into(), per_page: 100, ..PhoneListQuery::default() }
}

#[tokio::test]
async fn search_matches_anywhere_in_the_four_columns_and_follows_changes() {
    let server = start_fixture_server().await;
    add_phones(&server, 30).await;
    // Name, anywhere and case-insensitive (trigram index): "mith" is in Smith and Smithers.
    let page = list(&server, search("MITH")).await;
    assert_eq!(page.total, 12);
    assert!(page.rows.iter().all(|r| r.fullname.to_lowercase().contains("mith")));
    // Extension, login and dialplan number.
    assert_eq!(exts(&list(&server, search("7017")).await), ["7017"]);
    assert_eq!(exts(&list(&server, search("lg021")).await), ["7021"]);
    assert_eq!(exts(&list(&server, search("550029")).await), ["7029"]);
    // One or two characters: the start of a value (case-insensitive), through the indexes; wildcards
    // are plain characters.
    assert_eq!(list(&server, search("ca")).await.total, 6);
    assert_eq!(list(&server, search("LG")).await.total, 30);
    assert_eq!(list(&server, search("55")).await.total, 30);
    assert_eq!(exts(&list(&server, search("70")).await).len(), 30);
    assert_eq!(list(&server, search("%")).await.total, 0);
    assert_eq!(list(&server, search("_")).await.total, 0);
    assert_eq!(list(&server, search("mi")).await.total, 0);
    // Quotes and FTS syntax are plain text.
    assert_eq!(list(&server, search("O'Hara")).await.total, 6);
    assert_eq!(list(&server, search("\"OR\" NEAR(")).await.total, 0);
    assert_eq!(list(&server, search("100%")).await.total, 6);

    // An edit and a delete are seen by the next search.
    let cli = Actor::cli();
    phones::update_phone(&server.db, &cli, "7017", "10.10.10.15", |p| p.phone_full_name = "Zed Quill".into(), "X")
        .await
        .expect("rename");
    assert_eq!(exts(&list(&server, search("quill")).await), ["7017"]);
    assert_eq!(list(&server, search("Smithers 17")).await.total, 0);
    phones::delete_phone(&server.db, &cli, "7017", "10.10.10.15", "X").await.expect("delete");
    assert_eq!(list(&server, search("quill")).await.total, 0);
}

#[tokio::test]
async fn filters_sort_and_pages() {
    let server = start_fixture_server().await;
    add_phones(&server, 30).await;
    // The fixture's seed phone plus 30.
    assert_eq!(list(&server, PhoneListQuery::default()).await.total, 31);

    let iax = list(&server, PhoneListQuery { protocol: Some(Protocol::Iax2), ..PhoneListQuery::default() }).await;
    assert_eq!(iax.total, 10);
    assert!(iax.rows.iter().all(|r| r.protocol == "IAX2"));
    let suspended_sip = list(
        &server,
        PhoneListQuery {
            protocol: Some(Protocol::Sip),
            status: Some(PhoneStatus::Suspended),
            ..PhoneListQuery::default()
        },
    )
    .await;
    assert_eq!(exts(&suspended_sip), ["7000", "7012", "7024"]);
    let elsewhere =
        list(&server, PhoneListQuery { server_ip: Some("10.10.10.16".into()), ..PhoneListQuery::default() }).await;
    assert_eq!(elsewhere.total, 0);
    let registered =
        list(&server, PhoneListQuery { registration: Some("REGISTERED".into()), ..PhoneListQuery::default() }).await;
    assert_eq!(registered.total, 0);
    let unknown =
        list(&server, PhoneListQuery { registration: Some("UNKNOWN".into()), ..PhoneListQuery::default() }).await;
    assert_eq!(unknown.total, 31);

    // Sorting: by name descending, ties broken by extension; the first page of 25 then the rest.
    let by_name =
        PhoneListQuery { sort: SortColumn::Name, descending: true, per_page: 25, ..PhoneListQuery::default() };
    let p1 = list(&server, by_name.clone()).await;
    let p2 = list(&server, by_name.on_page(2)).await;
    assert_eq!((p1.rows.len(), p2.rows.len(), p1.pages()), (25, 6, 2));
    let names: Vec<_> = p1.rows.iter().chain(&p2.rows).map(|r| r.fullname.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| std::cmp::Reverse(n.to_lowercase()));
    assert_eq!(names, sorted);
    // With a filter matching most phones, the page walks the name index and checks the filter row by
    // row (the first page) or sorts the matches (the second): the same order either way.
    let unknown_by_name = PhoneListQuery {
        registration: Some("UNKNOWN".into()),
        sort: SortColumn::Name,
        descending: true,
        per_page: 25,
        ..PhoneListQuery::default()
    };
    let w1 = list(&server, unknown_by_name.clone()).await;
    let w2 = list(&server, unknown_by_name.on_page(2)).await;
    let walked: Vec<_> = w1.rows.iter().chain(&w2.rows).map(|r| r.fullname.clone()).collect();
    assert_eq!(walked, names);
    // A page past the end shows the last page.
    let past = list(&server, by_name.on_page(9)).await;
    assert_eq!((past.query.page, exts(&past)), (2, exts(&p2)));
    // Extension order is VICIdial's default.
    let first = list(&server, PhoneListQuery { per_page: 25, ..PhoneListQuery::default() }).await;
    assert_eq!(&exts(&first)[..3], ["7000", "7001", "7002"]);
    // The conf state column: the fixture server generates conf; EXTERNAL phones have no peer.
    let ext_row = first.rows.iter().find(|r| r.extension == "7002").expect("7002");
    assert_eq!((ext_row.protocol.as_str(), ext_row.conf_state.as_str()), ("EXTERNAL", "no peer"));
    let sip_row = first.rows.iter().find(|r| r.extension == "7000").expect("7000");
    assert_eq!(sip_row.conf_state, "pending");
}

#[tokio::test]
async fn the_page_over_http() {
    let server = start_fixture_server().await;
    add_phones(&server, 60).await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let page = http_with(addr, "GET", "/phones?q=smith&sort=name&per=25", &[("Cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    for needle in [
        ">EXTEN",
        ">PROTO",
        ">SERVER",
        ">DIAL PLAN",
        ">VMAIL",
        ">STATUS",
        ">NAME",
        ">GROUP",
        ">REGISTRATION",
        ">CONF",
        "<label for=\"f-q\">Search</label>",
        "value=\"smith\"",
        "24 phones, showing 1–24",
        "href=\"/phones/10.10.10.15/7000\"",
        "Add a phone",
        "aria-sort=\"ascending\"",
    ] {
        assert!(page.body.contains(needle), "{needle} missing");
    }
    // The default view has a second page; the pager links to it.
    let all = http_with(addr, "GET", "/phones", &[("Cookie", &cookie)], None).await;
    assert!(all.body.contains("61 phones, showing 1–50") && all.body.contains("href=\"/phones?page=2\""));
    // A bad URL value is refused by name, nothing else breaks.
    let bad = http_with(addr, "GET", "/phones?sort=pass", &[("Cookie", &cookie)], None).await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("sort: sort must be one of"), "{}", bad.body);
    // Nothing matches: a way back.
    let none = http_with(addr, "GET", "/phones?q=nobody-here", &[("Cookie", &cookie)], None).await;
    assert!(none.body.contains("No phones match this search"));

    // A user without modify_phones / ast_admin_access is not offered "Add a phone".
    let viewer = session(addr, "noast", "noastpass").await;
    let page = http_with(addr, "GET", "/phones", &[("Cookie", &viewer)], None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("61 phones") && !page.body.contains("Add a phone"));
}

#[tokio::test]
async fn the_server_function_checks_its_caller_and_its_input() {
    let server = start_fixture_server().await;
    add_phones(&server, 5).await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let ok = server_fn_json(addr, &cookie, "get_phone_list", r#"{"params":[["proto","IAX2"]]}"#).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    let v: serde_json::Value = serde_json::from_str(&ok.body).expect("json");
    assert_eq!(v["page"]["Ok"]["total"], 2);
    assert!(!ok.body.contains("seedsecret1"), "no secrets in list rows");
    let bad = server_fn_json(addr, &cookie, "get_phone_list", r#"{"params":[["per","100000"]]}"#).await;
    let v: serde_json::Value = serde_json::from_str(&bad.body).expect("json");
    assert_eq!(v["page"]["Err"], "per: rows per page must be 25, 50 or 100");
    // No session: refused. Another origin: refused.
    let anon = http_with(
        addr,
        "POST",
        "/serverfn/get_phone_list",
        &[("Origin", &format!("http://{addr}")), ("Content-Type", "application/json")],
        Some(r#"{"params":[]}"#),
    )
    .await;
    assert_eq!(anon.status, 401);
    let cross = http_with(
        addr,
        "POST",
        "/serverfn/get_phone_list",
        &[("Cookie", &cookie), ("Origin", "http://evil.example"), ("Content-Type", "application/json")],
        Some(r#"{"params":[]}"#),
    )
    .await;
    assert_eq!(cross.status, 403);
}

/// The list column a sort orders by, as the database compares it (names without case).
fn sort_key(row: &dialtone::domain::phone_list::PhoneListItem, column: SortColumn) -> String {
    match column {
        SortColumn::Extension => row.extension.clone(),
        SortColumn::Protocol => row.protocol.clone(),
        SortColumn::Server => row.server_ip.clone(),
        SortColumn::DialPlan => row.dialplan_number.clone(),
        SortColumn::Voicemail => row.voicemail_id.clone(),
        SortColumn::Status => row.status.clone(),
        SortColumn::Name => row.fullname.to_lowercase(),
        SortColumn::Group => row.user_group.clone(),
        SortColumn::Registration => row.registration.clone(),
        SortColumn::Verdict => row.verdict.rank().to_string(),
    }
}

#[tokio::test]
async fn every_sort_filter_and_page_depth_gives_the_reference_order() {
    let server = start_fixture_server().await;
    add_phones(&server, 90).await;
    // Registration states spread over the phones (the list shows what the AMI monitor stores).
    let mut tx = server.db.write().await.expect("write");
    sqlx::query(
        "UPDATE phones SET peer_status = CASE rowid % 4 WHEN 0 THEN 'REGISTERED' WHEN 1 THEN 'UNREGISTERED' \
         WHEN 2 THEN 'LAGGED' ELSE 'UNKNOWN' END",
    )
    .execute(&mut *tx)
    .await
    .expect("registration states");
    tx.commit().await.expect("commit");
    let all = list(&server, PhoneListQuery { per_page: 100, ..PhoneListQuery::default() }).await;
    assert_eq!(all.total, 91);

    let filters: Vec<PhoneListQuery> = vec![
        PhoneListQuery::default(),
        PhoneListQuery { protocol: Some(Protocol::Iax2), ..PhoneListQuery::default() },
        PhoneListQuery { status: Some(PhoneStatus::Suspended), ..PhoneListQuery::default() },
        PhoneListQuery { registration: Some("REGISTERED".into()), ..PhoneListQuery::default() },
        PhoneListQuery {
            protocol: Some(Protocol::Sip),
            status: Some(PhoneStatus::Active),
            server_ip: Some("10.10.10.15".into()),
            ..PhoneListQuery::default()
        },
        PhoneListQuery { search: "smith".into(), ..PhoneListQuery::default() },
        PhoneListQuery { search: "smith".into(), registration: Some("LAGGED".into()), ..PhoneListQuery::default() },
    ];
    for filter in filters {
        let expected_rows: Vec<_> = all
            .rows
            .iter()
            .filter(|r| filter.protocol.is_none_or(|p| r.protocol == p.as_str()))
            .filter(|r| filter.status.is_none_or(|s| r.status == s.as_str()))
            .filter(|r| filter.registration.as_ref().is_none_or(|s| &r.registration == s))
            .filter(|r| filter.server_ip.as_ref().is_none_or(|s| &r.server_ip == s))
            .filter(|r| filter.search.is_empty() || r.fullname.to_lowercase().contains(&filter.search))
            .collect();
        assert!(!expected_rows.is_empty(), "{filter:?} matches some phones");
        for column in SortColumn::ALL {
            for descending in [false, true] {
                let mut expected = expected_rows.clone();
                expected.sort_by(|a, b| {
                    let key = |r: &dialtone::domain::phone_list::PhoneListItem| {
                        let (ext, ip) = (r.extension.clone(), r.server_ip.clone());
                        match column {
                            SortColumn::Extension => (ext, ip, String::new()),
                            SortColumn::Server => (ip, ext, String::new()),
                            _ => (sort_key(r, column), ext, ip),
                        }
                    };
                    let order = key(a).cmp(&key(b));
                    if descending {
                        order.reverse()
                    } else {
                        order
                    }
                });
                let expected: Vec<_> = expected.iter().map(|r| r.extension.as_str()).collect();
                let q = PhoneListQuery { sort: column, descending, per_page: 25, ..filter.clone() };
                let mut got = Vec::new();
                let pages = list(&server, q.clone()).await.pages();
                for page in 1..=pages {
                    let p = list(&server, q.on_page(page)).await;
                    assert_eq!(p.total, expected.len() as u64, "{q:?}");
                    got.extend(p.rows.iter().map(|r| r.extension.clone()));
                }
                assert_eq!(got, expected, "{q:?}");
            }
        }
    }
}

/// The fixture server with its seed phone removed and the demo data loaded (every verdict).
async fn demo_server() -> TestServer {
    let server = start_fixture_server().await;
    phones::delete_phone(&server.db, &Actor::cli(), "seed100", "10.10.10.15", "ADMIN DELETE PHONE")
        .await
        .expect("empty the fixture");
    demo::load_demo(&server.db).await.expect("demo");
    server
}

#[tokio::test]
async fn each_row_has_its_login_paths_verdict_filtered_and_sorted_by_it() {
    let server = demo_server().await;
    let all = list(&server, PhoneListQuery::default()).await;
    assert_eq!(all.total, 10);
    // Each row's verdict is its own flow's.
    let mut reference = Vec::new();
    for r in &all.rows {
        let f = phone_flow(&server.db, &AmiLinks::default(), &r.extension, &r.server_ip).await.expect("flow");
        let v = f.expect("phone").report.verdict;
        assert_eq!(r.verdict, v, "{}", r.extension);
        reference.push((v, r.extension.clone(), r.server_ip.clone()));
    }
    assert!(Verdict::ALL.iter().all(|v| reference.iter().any(|(r, _, _)| r == v)), "the demo shows every verdict");
    // Filtered by each verdict: exactly the phones of that verdict, by extension; with another filter too.
    for v in Verdict::ALL {
        let page = list(&server, PhoneListQuery { verdict: Some(v), ..PhoneListQuery::default() }).await;
        let expected: Vec<&str> = reference.iter().filter(|(r, _, _)| *r == v).map(|(_, e, _)| e.as_str()).collect();
        assert_eq!(exts(&page), expected, "{v:?}");
        assert_eq!(page.total, expected.len() as u64);
        let ext = PhoneListQuery { verdict: Some(v), protocol: Some(Protocol::External), ..PhoneListQuery::default() };
        let page = list(&server, ext).await;
        assert!(page.rows.iter().all(|r| r.verdict == v && r.protocol == "EXTERNAL"), "{v:?}");
    }
    // Sorted by verdict: worst first (silence, unknown, ready), then by extension; descending is the
    // reverse; pages of 25 cut the same order.
    let mut expected = reference.clone();
    expected.sort_by(|a, b| (a.0.rank(), &a.1, &a.2).cmp(&(b.0.rank(), &b.1, &b.2)));
    let order: Vec<&str> = expected.iter().map(|(_, e, _)| e.as_str()).collect();
    let by_verdict = PhoneListQuery { sort: SortColumn::Verdict, ..PhoneListQuery::default() };
    assert_eq!(exts(&list(&server, by_verdict.clone()).await), order);
    let mut reversed = order.clone();
    reversed.reverse();
    let down = list(&server, by_verdict.sorted_by(SortColumn::Verdict)).await;
    assert!(down.query.descending);
    assert_eq!(exts(&down), reversed);
    // A filter and a verdict sort, past the last page: the last page.
    let deep = PhoneListQuery { sort: SortColumn::Verdict, per_page: 25, page: 7, ..PhoneListQuery::default() };
    assert_eq!(list(&server, deep).await.query.page, 1);

    // Over HTTP: the column next to the path link, the filter select, the sort link, a bad value named.
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let page = http_with(addr, "GET", "/phones", &[("Cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    let verdict_at = page.body.find(">VERDICT").expect("VERDICT column");
    let path_at = page.body.find(">LOGIN PATH").expect("LOGIN PATH column");
    let conf_at = page.body.find(">CONF<").expect("CONF column");
    assert!(conf_at < verdict_at && verdict_at < path_at, "VERDICT sits next to LOGIN PATH");
    assert!(page.body.contains("href=\"/phones?sort=verdict\""), "the VERDICT heading sorts");
    assert!(page.body.contains("<label for=\"f-verdict\">Verdict</label>"));
    assert!(page.body.contains("<option value=\"silence\">will hear silence</option>"));
    let silence = http_with(addr, "GET", "/phones?verdict=silence", &[("Cookie", &cookie)], None).await;
    let n = reference.iter().filter(|(v, _, _)| *v == Verdict::WillHearSilence).count();
    assert!(silence.body.contains(&format!("{n} phones, showing 1–{n}")), "{}", silence.body);
    assert!(silence.body.contains("<option value=\"silence\" selected"));
    assert_eq!(silence.body.matches("badge verdict-silence").count(), n);
    assert!(!silence.body.contains("badge verdict-ready"));
    let sorted = http_with(addr, "GET", "/phones?sort=verdict&dir=desc", &[("Cookie", &cookie)], None).await;
    let first_ready = sorted.body.find("badge verdict-ready").expect("ready rows");
    let first_silence = sorted.body.find("badge verdict-silence").expect("silence rows");
    assert!(first_ready < first_silence, "descending: ready first");
    let bad = http_with(addr, "GET", "/phones?verdict=fine", &[("Cookie", &cookie)], None).await;
    assert!(bad.body.contains("verdict: verdict must be one of ready, silence, unknown"), "{}", bad.body);

    // Every verdict is kept between pages, and any change is seen by the next one: a phone made inactive,
    // then its server no longer an agent-login server (not a phone change).
    let ready = PhoneListQuery { verdict: Some(Verdict::Ready), ..PhoneListQuery::default() };
    assert!(exts(&list(&server, ready.clone()).await).contains(&"demohome1"));
    phones::update_phone(&server.db, &Actor::cli(), "demohome1", demo::DEMO_SERVER, |p| p.active = "N".into(), "X")
        .await
        .expect("deactivate");
    assert!(!exts(&list(&server, ready.clone()).await).contains(&"demohome1"), "the cache saw the phone change");
    let silence = PhoneListQuery { verdict: Some(Verdict::WillHearSilence), ..PhoneListQuery::default() };
    assert!(exts(&list(&server, silence).await).contains(&"demohome1"));
    assert!(!list(&server, ready.clone()).await.rows.is_empty());
    let mut tx = server.db.write().await.expect("write");
    sqlx::query("UPDATE servers SET active_agent_login_server = 'N'").execute(&mut *tx).await.expect("servers");
    tx.commit().await.expect("commit");
    assert!(list(&server, ready).await.rows.is_empty(), "the cache saw the servers change");
}

#[tokio::test]
async fn an_inactive_phone_never_reads_as_plainly_active() {
    let server = start_fixture_server().await;
    add_phones(&server, 3).await;
    phones::update_phone(&server.db, &Actor::cli(), "7001", "10.10.10.15", |p| p.active = "N".into(), "X")
        .await
        .expect("deactivate");
    let page = list(&server, PhoneListQuery::default()).await;
    let row = |ext: &str| page.rows.iter().find(|r| r.extension == ext).expect("row").clone();
    let (inactive, active) = (row("7001"), row("7002"));
    assert_eq!((inactive.status.as_str(), inactive.active), ("ACTIVE", false));
    assert_eq!(inactive.status_cell(), "ACTIVE · inactive");
    assert_eq!((active.active, active.status_cell().as_str()), (true, "ACTIVE"));
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let html = http_with(addr, "GET", "/phones", &[("Cookie", &cookie)], None).await.body;
    assert_eq!(html.matches("<span class=\"badge inactive\">inactive</span>").count(), 1, "{html}");
    let row_7001 = &html[html.find("href=\"/phones/10.10.10.15/7001\"").expect("7001")..];
    let row_7001 = &row_7001[..row_7001.find("</tr>").expect("row end")];
    assert!(
        row_7001.contains("ACTIVE <span class=\"badge inactive\">inactive</span>")
            || row_7001.contains("ACTIVE<!-- --> <span class=\"badge inactive\">inactive</span>"),
        "{row_7001}"
    );
}

#[tokio::test]
async fn the_pager_shows_only_when_there_is_more_than_one_page() {
    let server = start_fixture_server().await;
    add_phones(&server, 30).await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let one = http_with(addr, "GET", "/phones", &[("Cookie", &cookie)], None).await;
    assert!(one.body.contains("31 phones, showing 1–31"));
    assert!(!one.body.contains("aria-label=\"Pages\""), "one page: no pager");
    let two = http_with(addr, "GET", "/phones?per=25", &[("Cookie", &cookie)], None).await;
    assert!(two.body.contains("aria-label=\"Pages\"") && two.body.contains("Page 1 of 2"));
}

/// The number in the overview's link to `href` (`<a href="{href}" ...><span ...>label</span><strong>N</strong>`).
fn linked_count(body: &str, href: &str) -> u64 {
    let at = body.find(&format!("<a href=\"{href}\"")).unwrap_or_else(|| panic!("a link to {href}"));
    let rest = &body[at..];
    let n = &rest[rest.find("<strong>").expect("count") + 8..];
    n[..n.find('<').expect("end")].parse().expect("a number")
}

#[tokio::test]
async fn the_overview_counts_link_to_the_list_showing_them() {
    let server = demo_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let page = http_with(addr, "GET", "/", &[("Cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(body.contains("10 phones") && !body.contains("No phones yet"));
    // Each registration state and verdict count is a link to the list filtered by it, and says how
    // many phones that list holds.
    let mut by_registration = 0;
    for state in dialtone::domain::phone_list::REGISTRATION_STATES {
        let q = PhoneListQuery { registration: Some(state.into()), ..PhoneListQuery::default() };
        let total = list(&server, q.clone()).await.total;
        if total > 0 {
            assert_eq!(linked_count(body, &q.href()), total, "{state}");
            by_registration += total;
        } else {
            assert!(!body.contains(&format!("href=\"{}\"", q.href())), "{state}: no phones, no link");
        }
    }
    assert_eq!(by_registration, 10);
    for v in Verdict::ALL {
        let q = PhoneListQuery { verdict: Some(v), ..PhoneListQuery::default() };
        assert_eq!(linked_count(body, &q.href()), list(&server, q.clone()).await.total, "{v:?}");
    }
    // Each server: its phones, a link to the list of them; its conf state; its page.
    for ip in [demo::DEMO_SERVER, demo::DEMO_NO_LOGIN_SERVER] {
        let q = PhoneListQuery { server_ip: Some(ip.into()), ..PhoneListQuery::default() };
        let n = list(&server, q.clone()).await.total;
        assert!(n > 0);
        let link = format!("<a href=\"{}\" aria-label=\"{n} phones on ", q.href());
        assert!(body.contains(&link), "{link}");
        assert!(body.contains(&format!("href=\"/servers/{ip}\"")));
    }
    assert!(!body.contains("Legacy API: non_agent_api.php level"), "no developer box");
}

#[tokio::test]
async fn an_empty_overview_says_what_to_do_first() {
    let server = start_fixture_server().await;
    phones::delete_phone(&server.db, &Actor::cli(), "seed100", "10.10.10.15", "ADMIN DELETE PHONE")
        .await
        .expect("empty the fixture");
    let addr = server.addr;
    let admin = session(addr, "apiadmin", "apipass1").await;
    let page = http_with(addr, "GET", "/", &[("Cookie", &admin)], None).await;
    for needle in [
        "No phones yet",
        "<a class=\"button primary\" href=\"/phones/new\">Add a phone</a>",
        "Load demo data",
        "Import through the API",
        "<code>/vicidial/non_agent_api.php</code>",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    // A user who may not add phones is told whom to ask, and offered no demo data.
    let viewer = session(addr, "noast", "noastpass").await;
    let page = http_with(addr, "GET", "/", &[("Cookie", &viewer)], None).await;
    assert!(page.body.contains("No phones yet") && page.body.contains("ask an administrator"));
    assert!(!page.body.contains("href=\"/phones/new\"") && !page.body.contains("Load demo data"));
}

/// The in-memory index answers every view it takes exactly as SQL does (count, clamped page, rows,
/// verdicts), leaves searches of one or two characters to SQL, and follows a change at once.
#[tokio::test]
async fn the_in_memory_index_answers_every_view_as_sql_does() {
    use dialtone::service::phone_list::{list_phones_through_index, list_phones_through_sql};
    let server = demo_server().await;
    add_phones(&server, 70).await;
    let mut tx = server.db.write().await.expect("write");
    sqlx::query(
        "UPDATE phones SET peer_status = CASE rowid % 3 WHEN 0 THEN 'REGISTERED' WHEN 1 THEN 'LAGGED' \
         ELSE peer_status END WHERE server_ip = '10.10.10.15'",
    )
    .execute(&mut *tx)
    .await
    .expect("registration states");
    tx.commit().await.expect("commit");
    let links = AmiLinks::default();
    let base = PhoneListQuery { per_page: 25, ..PhoneListQuery::default() };
    let filters: Vec<PhoneListQuery> = vec![
        base.clone(),
        PhoneListQuery { protocol: Some(Protocol::Iax2), ..base.clone() },
        PhoneListQuery { protocol: Some(Protocol::Zap), ..base.clone() },
        PhoneListQuery { status: Some(PhoneStatus::Suspended), registration: Some("LAGGED".into()), ..base.clone() },
        PhoneListQuery { server_ip: Some(demo::DEMO_SERVER.into()), ..base.clone() },
        PhoneListQuery { server_ip: Some("10.9.9.9".into()), ..base.clone() },
        PhoneListQuery { registration: Some("NOPE".into()), ..base.clone() },
        PhoneListQuery { search: "SMITH".into(), ..base.clone() },
        PhoneListQuery { search: "smith".into(), protocol: Some(Protocol::Sip), ..base.clone() },
        PhoneListQuery { search: "lg01".into(), ..base.clone() },
        PhoneListQuery { search: "no such text".into(), ..base.clone() },
        PhoneListQuery { search: "O'Hara".into(), ..base.clone() },
        PhoneListQuery { search: "\"OR\" NEAR(".into(), ..base.clone() },
        PhoneListQuery { verdict: Some(Verdict::WillHearSilence), ..base.clone() },
        PhoneListQuery { verdict: Some(Verdict::Ready), protocol: Some(Protocol::Sip), ..base.clone() },
        PhoneListQuery { verdict: Some(Verdict::Unknown), search: "demo".into(), ..base.clone() },
    ];
    for filter in filters {
        for column in SortColumn::ALL {
            for descending in [false, true] {
                for page in [1, 2, 4, 99] {
                    let q = PhoneListQuery { sort: column, descending, page, ..filter.clone() };
                    let sql = list_phones_through_sql(&server.db, &links, q.clone()).await.expect("sql");
                    let indexed = list_phones_through_index(&server.db, &links, q.clone()).await.expect("index");
                    assert_eq!(indexed.as_ref(), Some(&sql), "{q:?}");
                }
            }
        }
    }
    // One or two characters: a prefix match, left to SQL.
    assert!(list_phones_through_index(&server.db, &links, search("70")).await.expect("index").is_none());
    // A change is seen by the next view, whichever path answers it.
    let before = list(&server, search("Quill")).await;
    assert_eq!(before.total, 0);
    let mut p = common::phone("7999", "lg999", "10.10.10.15");
    p.phone_full_name = "Zed Quill".into();
    phones::add_phone_input(&server.db, &Actor::cli(), &p, ProtocolSet::WebAdmin).await.expect("add phone");
    assert_eq!(exts(&list(&server, search("Quill")).await), ["7999"]);
    assert_eq!(exts(&list(&server, search("Quill")).await), ["7999"]);
    let indexed = list_phones_through_index(&server.db, &links, search("quill")).await.expect("index");
    assert_eq!(indexed.as_ref().map(exts), Some(vec!["7999"]));
}
