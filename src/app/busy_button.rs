//! The submit button of a plain form (one that posts without JavaScript and gets a new page back),
//! which, once the browser has sent the form, disables itself and says what is happening, so a slow
//! answer is visible and a second click does not send the form twice.
//!
//! Not an island: the page script (`app/page_script.js`, inline in every page) does it for every
//! button with `data-busy`, so a page whose only interactive parts are such buttons (sign-in, the
//! servers' forms) loads no WebAssembly. Knows nothing of the form it is in; owns no rules.

use leptos::prelude::*;

/// A submit button showing `busy` (and `aria-busy`) from the moment its form is sent until the page
/// is replaced. A form the browser refuses to send (a `required` field left empty) leaves it as it is.
/// Coming back to the page with Back shows it ready again. Without JavaScript it is a plain button.
#[component]
pub fn BusyButton(
    /// The button's text.
    #[prop(into)]
    label: String,
    /// The text while the form is being sent.
    #[prop(into)]
    busy: String,
    /// CSS classes of the button.
    #[prop(optional, into)]
    class: Option<String>,
) -> impl IntoView {
    view! {
        <button type="submit" class=class data-busy=busy>
            {label}
        </button>
    }
}
