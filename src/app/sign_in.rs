//! The sign-in page. The form posts to the session guard (`web_session`), not to a server function.

use leptos::prelude::*;
use leptos_meta::Title;

use super::busy_button::BusyButton;
use super::SIGN_IN_ACTION;

/// The sign-in page: a plain form (works without JavaScript); the outcome of a refused attempt comes
/// back in the query string (`error=refused|locked`), never the user name or password.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let error = move || match query.read().get("error").as_deref() {
        Some("refused") => Some("The user name or password is wrong, or this account may not sign in."),
        Some("locked") => Some("This account is locked after 10 failed sign-ins. Try again in 15 minutes."),
        Some(_) => Some("Enter a user name and a password."),
        None => None,
    };
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_string());
    view! {
        <Title text="Sign in · Dialtone" />
        <section class="card sign-in" aria-labelledby="sign-in-h">
            <h1 id="sign-in-h">"Sign in"</h1>
            <p>"Use your VICIdial user (level 7 or more)."</p>
            {move || error().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <form method="post" action=SIGN_IN_ACTION>
                <input type="hidden" name="next" value=next />
                <label for="sign-in-user">"User name"</label>
                <input id="sign-in-user" name="user" autocomplete="username" required maxlength="20" />
                <label for="sign-in-pass">"Password"</label>
                <input id="sign-in-pass" name="pass" type="password" autocomplete="current-password" required maxlength="100" />
                <BusyButton label="Sign in".to_string() busy="Signing in…".to_string() />
            </form>
        </section>
    }
}
