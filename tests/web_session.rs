//! Web admin sign-in, sessions and request guards over real HTTP against a real SQLite file: the
//! redirect of signed-out pages, the HttpOnly/SameSite=Strict cookie, permission-free viewing, the
//! lock after 10 failures, sign-out, and the refusal of cross-origin and unauthenticated calls.

mod common;

use common::{header, http_with, session, sign_in, start_fixture_server};

#[tokio::test]
async fn signed_out_pages_redirect_and_signing_in_sets_a_strict_http_only_cookie() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let r = http_with(addr, "GET", "/?tab=1", &[], None).await;
    assert_eq!((r.status, header(&r, "location")), (303, Some("/sign-in?next=%2F%3Ftab%3D1")));
    let page = http_with(addr, "GET", "/sign-in?next=%2F", &[], None).await;
    assert_eq!(page.status, 200);
    for needle in [
        "<label for=\"sign-in-user\">User name</label>",
        "<label for=\"sign-in-pass\">Password</label>",
        "action=\"/auth/sign-in\"",
    ] {
        assert!(page.body.contains(needle), "{needle} missing");
    }

    let r = sign_in(addr, "apiadmin", "apipass1").await;
    assert_eq!((r.status, header(&r, "location")), (303, Some("/")));
    let cookie = header(&r, "set-cookie").expect("cookie");
    assert!(
        cookie.starts_with("dialtone_session=")
            && cookie.contains("; HttpOnly")
            && cookie.contains("; SameSite=Strict")
            && cookie.contains("; Path=/"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair");
    let home = http_with(addr, "GET", "/", &[("Cookie", pair)], None).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Signed in as apiadmin") && home.body.contains("Sign out"));
    // The token is stored only as a hash, and the password nowhere.
    let snapshot = common::snapshot(&server.db).await;
    let token = pair.trim_start_matches("dialtone_session=");
    let mut conn = server.db.reader().acquire().await.expect("conn");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM dialtone_sessions").fetch_all(&mut *conn).await.expect("rows");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(!snapshot.contains(token));
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT event_code || ' ' || event_notes || event_diff FROM vicidial_admin_log WHERE event_section = 'USERS'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("audit");
    assert!(audit.iter().any(|a| a.starts_with("WEB SIGN-IN")), "{audit:?}");
    assert!(audit.iter().all(|a| !a.contains("apipass1") && !a.contains(token)));
}

#[tokio::test]
async fn who_may_sign_in() {
    let server = start_fixture_server().await;
    // Level 7 may view; level 1, inactive, unknown users and wrong passwords may not.
    assert_eq!(sign_in(server.addr, "level7", "level7pass").await.status, 303);
    let origin = format!("http://{}", server.addr);
    let refused = [("agent1", "agentpass"), ("inactive", "inactpass"), ("nobody", "x"), ("apiadmin", "wrong")];
    for (i, (user, pass)) in (1u8..).zip(refused) {
        // Each from its own address, so the per-address slow-down does not answer instead.
        let from = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 3, i));
        let body = format!("user={user}&pass={pass}&next=%2F");
        let r =
            common::http_from(from, server.addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(&body)).await;
        assert_eq!(header(&r, "location"), Some("/sign-in?error=refused&next=%2F"), "{user}");
        assert!(header(&r, "set-cookie").is_none_or(|c| !c.starts_with("dialtone_session=")), "no session");
    }
    let page = http_with(server.addr, "GET", "/sign-in?error=refused&next=%2F", &[], None).await;
    assert!(page.body.contains("role=\"alert\"") && page.body.contains("The user name or password is wrong"));
}

#[tokio::test]
async fn ten_failures_lock_the_account_for_the_web_as_for_the_api() {
    let server = start_fixture_server().await;
    let origin = format!("http://{}", server.addr);
    // Each failure from its own address: one address alone is slowed down long before ten.
    let from = |i: u8| std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 2, i));
    let attempt = |i: u8, pass: &'static str| {
        let origin = origin.clone();
        let addr = server.addr;
        async move {
            let body = format!("user=nodelete&pass={pass}&next=%2F");
            common::http_from(from(i), addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(&body)).await
        }
    };
    // Ten failures lock the account, whether it was used lately or not (VICIdial's count restart
    // would let an account unused for 15 minutes take twenty).
    for i in 0..10 {
        assert_eq!(header(&attempt(i, "bad").await, "location"), Some("/sign-in?error=refused&next=%2F"), "{i}");
    }
    let r = attempt(10, "nodelpass1").await;
    assert_eq!(header(&r, "location"), Some("/sign-in?error=locked&next=%2F"));
    assert!(header(&r, "set-cookie").is_none_or(|c| !c.starts_with("dialtone_session=")), "no session");
    let page = http_with(server.addr, "GET", "/sign-in?error=locked", &[], None).await;
    assert!(page.body.contains("locked after 10 failed sign-ins"));
    // The API shares the lock.
    let api = common::api_get(server.addr, "source=test&user=nodelete&pass=nodelpass1&function=add_phone").await;
    assert!(api.body.starts_with("ERROR: Too many login attempts"), "{}", api.body);
}

#[tokio::test]
async fn server_functions_refuse_cross_origin_and_unauthenticated_calls() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "apiadmin", "apipass1").await;
    let ours = format!("http://{addr}");
    let call = |headers: Vec<(&'static str, String)>| async move {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        http_with(addr, "POST", "/serverfn/get_overview", &h, Some("")).await
    };
    let ok = call(vec![("Cookie", cookie.clone()), ("Origin", ours.clone())]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("10.10.10.15"));
    let referer = call(vec![("Cookie", cookie.clone()), ("Referer", format!("{ours}/"))]).await;
    assert_eq!(referer.status, 200);
    for (why, headers) in [
        ("other origin", vec![("Cookie", cookie.clone()), ("Origin", "http://evil.example".to_string())]),
        ("look-alike host", vec![("Cookie", cookie.clone()), ("Origin", format!("{ours}.evil.example"))]),
        ("no origin or referer", vec![("Cookie", cookie.clone())]),
    ] {
        let r = call(headers).await;
        assert_eq!(r.status, 403, "{why}");
        assert!(!r.body.contains("10.10.10.15"), "{why}");
    }
    let r = call(vec![("Origin", ours.clone())]).await;
    assert_eq!(r.status, 401);
    let r = call(vec![("Origin", ours.clone()), ("Cookie", format!("dialtone_session={}", "0".repeat(64)))]).await;
    assert_eq!(r.status, 401, "an unknown token");
    // A cross-origin sign-in form post is refused too (login CSRF).
    let body = "user=apiadmin&pass=apipass1&next=%2F";
    let r = http_with(addr, "POST", "/auth/sign-in", &[("Origin", "http://evil.example")], Some(body)).await;
    assert_eq!(r.status, 403);
    // The legacy API keeps working without a session or an Origin.
    let r = common::api_get(addr, "source=test&user=apiadmin&pass=apipass1&function=version").await;
    assert!(r.body.starts_with("VERSION: "), "{}", r.body);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let cookie = session(addr, "level8", "level8pass").await;
    assert_eq!(http_with(addr, "GET", "/", &[("Cookie", &cookie)], None).await.status, 200);
    let origin = format!("http://{addr}");
    let r = http_with(addr, "POST", "/auth/sign-out", &[("Cookie", &cookie), ("Origin", &origin)], Some("")).await;
    assert_eq!((r.status, header(&r, "location")), (303, Some("/sign-in")));
    assert!(header(&r, "set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    let after = http_with(addr, "GET", "/", &[("Cookie", &cookie)], None).await;
    assert_eq!(after.status, 303, "the old cookie no longer works");
    // A deactivated user's session stops at once.
    let cookie = session(addr, "level8", "level8pass").await;
    {
        let mut tx = server.db.write().await.expect("tx");
        sqlx::query("UPDATE vicidial_users SET active = 'N' WHERE user = 'level8'")
            .execute(&mut *tx)
            .await
            .expect("update");
        tx.commit().await.expect("commit");
    }
    assert_eq!(http_with(addr, "GET", "/", &[("Cookie", &cookie)], None).await.status, 303);
}

#[tokio::test]
async fn a_refused_sign_in_keeps_the_user_name_escaped_and_never_the_password() {
    let server = start_fixture_server().await;
    let addr = server.addr;
    let origin = format!("http://{addr}");
    let sign_in_as = |user: &'static str, pass: &'static str| {
        let origin = origin.clone();
        async move {
            let body = format!(
                "user={}&pass={}&next=%2Fphones",
                percent_encoding::utf8_percent_encode(user, percent_encoding::NON_ALPHANUMERIC),
                percent_encoding::utf8_percent_encode(pass, percent_encoding::NON_ALPHANUMERIC)
            );
            http_with(addr, "POST", "/auth/sign-in", &[("Origin", &origin)], Some(&body)).await
        }
    };
    let cookies = |r: &common::HttpResponse| -> Vec<String> {
        r.headers.iter().filter(|(k, _)| k == "set-cookie").map(|(_, v)| v.clone()).collect()
    };

    // Refused: the same redirect as before, plus a short-lived, HttpOnly cookie for the sign-in page
    // holding the name only.
    let r = sign_in_as("apiadmin", "Wr0ngPassw0rd").await;
    assert_eq!((r.status, header(&r, "location")), (303, Some("/sign-in?error=refused&next=%2Fphones")));
    let set = cookies(&r);
    assert_eq!(set.len(), 1, "{set:?}");
    let kept = &set[0];
    assert!(kept.starts_with("dialtone_sign_in_user=apiadmin;"), "{kept}");
    for part in ["; Path=/sign-in", "; HttpOnly", "; SameSite=Strict", "; Max-Age=300"] {
        assert!(kept.contains(part), "{part} missing in {kept}");
    }
    assert!(!kept.contains("Wr0ngPassw0rd") && !header(&r, "location").unwrap_or_default().contains("apiadmin"));
    let pair = kept.split(';').next().expect("pair");
    let page = http_with(addr, "GET", "/sign-in?error=refused&next=%2Fphones", &[("Cookie", pair)], None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("user name or password is wrong"));
    let user_input = page.body.split("id=\"sign-in-user\"").nth(1).and_then(|r| r.split('>').next()).expect("input");
    assert!(user_input.contains("value=\"apiadmin\""), "{user_input}");
    let pass_input = page.body.split("id=\"sign-in-pass\"").nth(1).and_then(|r| r.split('>').next()).expect("input");
    assert!(!pass_input.contains("value=") && pass_input.contains("autofocus"), "{pass_input}");
    assert!(!page.body.contains("Wr0ngPassw0rd"));

    // A hostile name comes back escaped, never as markup.
    let hostile = "\"><script>alert(1)</script>";
    let r = sign_in_as(hostile, "x").await;
    let set = cookies(&r);
    let pair = set[0].split(';').next().expect("pair");
    assert!(!pair.contains('<') && !pair.contains('"') && !pair.contains(' '), "encoded in the cookie: {pair}");
    let page = http_with(addr, "GET", "/sign-in?error=refused&next=%2Fphones", &[("Cookie", pair)], None).await;
    assert!(!page.body.contains("<script>alert(1)"), "reflected unescaped");
    assert!(page.body.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""), "{}", page.body);

    // Signing in forgets the name.
    let r = sign_in_as("apiadmin", "apipass1").await;
    assert_eq!(r.status, 303);
    let set = cookies(&r);
    assert!(set[0].starts_with("dialtone_session="), "{set:?}");
    assert!(set.iter().any(|c| c.starts_with("dialtone_sign_in_user=;") && c.contains("Max-Age=0")), "{set:?}");
    // Without the cookie the field is empty.
    let page = http_with(addr, "GET", "/sign-in", &[], None).await;
    let user_input = page.body.split("id=\"sign-in-user\"").nth(1).and_then(|r| r.split('>').next()).expect("input");
    assert!(!user_input.contains("value="), "{user_input}");
}
