//! The submit button of a plain form (one that posts without JavaScript and gets a new page back):
//! an island that, once the browser has sent the form, disables itself and says what is happening,
//! so a slow answer is visible and a second click does not send the form twice.
//!
//! Knows nothing of the form it is in; owns no rules.

use leptos::prelude::*;

/// A submit button showing `busy` (and `aria-busy`) from the moment its form is sent until the page
/// is replaced. A form the browser refuses to send (a `required` field left empty) leaves it as it is.
/// Coming back to the page with Back shows it ready again.
///
/// The button is changed directly, not through a signal: once a form is sent, the browser is
/// navigating away and runs no more rendering effects of this page.
///
/// ## Server-Side Rendering
/// Rendered as a plain enabled submit button; the busy state needs JavaScript.
#[island]
pub fn BusyButton(
    /// The button's text.
    label: String,
    /// The text while the form is being sent.
    busy: String,
    /// CSS classes of the button.
    #[prop(optional)]
    class: Option<String>,
) -> impl IntoView {
    let button = NodeRef::<leptos::html::Button>::new();
    let on_click = move |_| {
        let Some(b) = button.get_untracked() else { return };
        if b.form().is_some_and(|f| f.check_validity()) {
            let busy = busy.clone();
            // After the click has started the submission: a button disabled during its own click
            // would cancel it.
            set_timeout(
                move || {
                    b.set_disabled(true);
                    let _ = b.set_attribute("aria-busy", "true");
                    b.set_text_content(Some(&busy));
                },
                std::time::Duration::ZERO,
            );
        }
    };
    // A page restored from the back-forward cache keeps its state: make the button usable again.
    let ready = label.clone();
    let restored = window_event_listener(leptos::ev::pageshow, move |_| {
        if let Some(b) = button.get_untracked() {
            b.set_disabled(false);
            let _ = b.remove_attribute("aria-busy");
            b.set_text_content(Some(&ready));
        }
    });
    on_cleanup(move || restored.remove());
    view! {
        <button type="submit" class=class node_ref=button on:click=on_click>
            {label}
        </button>
    }
}
