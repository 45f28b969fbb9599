//! The sign-in page. The form posts to the session guard (`web_session`), not to a server function.

use leptos::prelude::*;

use super::busy_button::BusyButton;
use super::{PageTitle, SIGN_IN_ACTION};

/// The sign-in page: a plain form (works without JavaScript); the outcome of a refused attempt comes
/// back in the query string (`error=refused|locked`), never the user name or password. The user name
/// of a refused attempt comes back in a short-lived cookie only the server reads (see
/// `web_session::SIGN_IN_USER_COOKIE`) and is put back in the field (escaped as every attribute
/// value), with the focus on the password.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = super::use_query();
    let kept_user = kept_user_name();
    let focus_password = !kept_user.is_empty();
    let error = move || match query.read().get("error").as_deref() {
        Some("refused") => Some("The user name or password is wrong, or this account may not sign in."),
        Some("locked") => Some("This account is locked after 10 failed sign-ins. Try again in 15 minutes."),
        Some("slow") => Some(
            "Too many failed sign-ins from your address: wait a little (up to 15 minutes after many), then try again.",
        ),
        Some(_) => Some("Enter a user name and a password."),
        None => None,
    };
    let next = move || safe_return_path(&query.read().get("next").unwrap_or_default()).to_string();
    view! {
        <PageTitle text="Sign in" />
        <section class="card sign-in" aria-labelledby="sign-in-h">
            <h1 id="sign-in-h">"Sign in"</h1>
            <p>"Use your VICIdial user (level 7 or more)."</p>
            {move || error().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <form method="post" action=SIGN_IN_ACTION>
                <input type="hidden" name="next" value=next />
                <label for="sign-in-user">"User name"</label>
                <input
                    id="sign-in-user"
                    name="user"
                    autocomplete="username"
                    required
                    maxlength="20"
                    value=(!kept_user.is_empty()).then_some(kept_user)
                />
                <label for="sign-in-pass">"Password"</label>
                <input
                    id="sign-in-pass"
                    name="pass"
                    type="password"
                    autocomplete="current-password"
                    required
                    maxlength="100"
                    autofocus=focus_password
                />
                <BusyButton label="Sign in".to_string() busy="Signing in…".to_string() />
            </form>
        </section>
    }
}

/// The user name of the refused sign-in that led here, from its cookie; empty when there is none (or
/// when not rendering on the server).
fn kept_user_name() -> String {
    #[cfg(feature = "ssr")]
    {
        use crate::web_session::SIGN_IN_USER_COOKIE;
        let Some(parts) = use_context::<axum::http::request::Parts>() else { return String::new() };
        parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SIGN_IN_USER_COOKIE)
            .map(|(_, value)| {
                percent_encoding::percent_decode_str(value).decode_utf8_lossy().chars().take(100).collect()
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}

/// Where to go after signing in: `next` when it is a path of this site written in a strict character
/// set, else `/`. The value is used as it arrives (decoded once, by the query string or the form), and
/// must be a path (`/` not followed by another `/`), printable ASCII without spaces, quotes, angle
/// brackets or backslashes, with each `%` escape naming a printable byte other than `%`, `/` and `\`
/// (no escaped controls or separators, no double encoding). A browser strips tabs and line breaks from a URL, so
/// `/<TAB>/evil.example` would leave the site: no such character ever passes. The sign-in page's form
/// (`/auth/sign-in`) is not a place to return to.
pub fn safe_return_path(next: &str) -> &str {
    fn escape_ok(hex: &[u8]) -> bool {
        let digit = |b: u8| char::from(b).to_digit(16);
        match hex {
            [h, l, ..] => match (digit(*h), digit(*l)) {
                (Some(h), Some(l)) => {
                    let byte = h * 16 + l;
                    byte >= 0x20 && byte != 0x7f && !matches!(char::from_u32(byte), Some('%' | '/' | '\\'))
                }
                _ => false,
            },
            _ => false,
        }
    }
    let bytes = next.as_bytes();
    let shape = next.starts_with('/') && !next.starts_with("//") && !next.starts_with(super::SIGN_IN_ACTION);
    let chars_ok = bytes.iter().enumerate().all(|(i, &b)| match b {
        b'%' => escape_ok(&bytes[i + 1..]),
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
        _ => b"-._~/?#=&+:@,;!*()$".contains(&b),
    });
    if shape && chars_ok && next.len() <= 2048 {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn only_strict_local_paths_are_returned_to() {
        for good in ["/", "/phones?q=smith&proto=SIP", "/phones/10.10.10.15/cc101/flow", "/phones?q=Jos%C3%A9"] {
            assert_eq!(safe_return_path(good), good);
        }
        for bad in [
            "",
            "phones",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example/",
            "/\n/evil.example",
            "/\r/x",
            "/\u{1}",
            "/\u{7f}",
            "/a b",
            "/\"><script>",
            "/a\u{a0}b",
            "/%09/evil.example",
            "/%2509",
            "/%0a",
            "/%2F%2Fevil.example",
            "/%5c%5cevil.example",
            "/%zz",
            "/%4",
            "https://evil.example",
            "/auth/sign-in",
        ] {
            assert_eq!(safe_return_path(bad), "/", "{bad:?}");
        }
        assert_eq!(safe_return_path(&format!("/{}", "a".repeat(3000))), "/");
    }
}
