//! The Leptos application: the HTML shell, the router and the pages, with their server functions.
//!
//! Components render and react; rules come from `domain`, data from server functions that call
//! `service`/`storage` on the server only.

mod busy_button;
mod carriers;
mod error;
pub mod flow;
mod form_kit;
mod overview;
pub mod phone_page;
mod phones;
mod servers;
mod sign_in;
#[cfg(feature = "ssr")]
pub(crate) mod ssr;
pub(crate) mod wizard;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::domain::access::Viewer;
use carriers::{CarrierDetailPage, CarriersPage, NewCarrierPage};
use flow::{LoginCheckPage, PhoneFlowPage, RemoteAgentsPage};
use overview::HomePage;
use phone_page::PhonePage;
use phones::PhonesPage;
use servers::{NewServerPage, ServerDetailPage, ServersPage};
use sign_in::SignInPage;
use wizard::{EditPhonePage, NewPhonePage};

pub use error::AppError;
pub use overview::{get_overview, Overview, ServerSummary};
#[cfg(feature = "ssr")]
pub use servers::conf_download_router;
pub use sign_in::safe_return_path;

/// The HTML document around the app (server-side only): the stylesheet and the page script under
/// their content-hashed names (`server::assets`), and the request's CSP nonce (which the
/// security-header middleware put into the request) on the inline scripts.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let _ = options;
    #[cfg(feature = "ssr")]
    if let Some(nonce) = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<leptos::nonce::Nonce>().cloned())
    {
        provide_context(nonce);
    }
    #[cfg(feature = "ssr")]
    let assets = use_context::<crate::state::AppState>().map(|s| s.assets.clone()).unwrap_or_default();
    #[cfg(feature = "ssr")]
    let (css, js, wasm) = (assets.css.clone(), assets.js.clone(), assets.wasm.clone());
    #[cfg(not(feature = "ssr"))]
    let (css, js, wasm) = (String::new(), String::new(), String::new());
    // Islands mode: the server renders everything outside islands without hydration markers (what
    // Leptos' own `HydrationScripts` does for islands, which this shell replaces).
    if let Some(sc) = Owner::current_shared_context() {
        sc.set_is_hydrating(false);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // Marks the document as scripted before anything paints, so styles can show an island's
                // first state (the add wizard's current step) from the first frame, with nothing for
                // hydration to move; without JavaScript the class is absent and the page stays whole.
                <script nonce=leptos::nonce::use_nonce()>"document.documentElement.classList.add('js')"</script>
                <link rel="stylesheet" href=css />
                <link rel="icon" href="/favicon.ico" sizes="32x32" />
                <MetaTags />
            </head>
            <body>
                <App />
                <PageScript js wasm />
            </body>
        </html>
    }
}

/// The page script (`app/page_script.js`), inline with the request's nonce: busy submit buttons, and
/// the bundle loaded only on a page that has an island.
#[component]
fn PageScript(js: String, wasm: String) -> impl IntoView {
    let call = format!("{}({js:?}, {wasm:?});", include_str!("app/page_script.js").trim_end());
    view! { <script type="module" nonce=leptos::nonce::use_nonce()>{call}</script> }
}

/// The application: layout and routes, rendered on the server only. Pages render with
/// `SsrMode::Async` (the HTML is sent once every resource has loaded) so they are complete without
/// JavaScript; the interactive parts are islands (`#[island]`), the only code in the browser bundle.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Dialtone" />
        <Router>
            <a class="skip-link" href="#main">"Skip to main content"</a>
            <header class="topbar">
                <a class="brand" href="/">"Dialtone"</a>
                <TopNav />
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <p>"Page not found."</p> }>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route path=StaticSegment("sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("phones") view=PhonesPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("phones"), StaticSegment("new"))
                        view=NewPhonePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("phones"), ParamSegment("server_ip"), ParamSegment("extension"))
                        view=PhonePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(
                            StaticSegment("phones"),
                            ParamSegment("server_ip"),
                            ParamSegment("extension"),
                            StaticSegment("edit"),
                        )
                        view=EditPhonePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(
                            StaticSegment("phones"),
                            ParamSegment("server_ip"),
                            ParamSegment("extension"),
                            StaticSegment("flow"),
                        )
                        view=PhoneFlowPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("login-check") view=LoginCheckPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("remote-agents") view=RemoteAgentsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("servers") view=ServersPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("servers"), StaticSegment("new"))
                        view=NewServerPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("servers"), ParamSegment("server_ip"))
                        view=ServerDetailPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("carriers") view=CarriersPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("carriers"), StaticSegment("new"))
                        view=NewCarrierPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("carriers"), ParamSegment("carrier_id"))
                        view=CarrierDetailPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// The signed-in user (`None` on the sign-in page). On the server it comes from the request, where
/// the session guard put it.
#[server(prefix = "/serverfn", endpoint = "get_viewer")]
pub async fn get_viewer() -> Result<Option<Viewer>, ServerFnError> {
    Ok(ssr::viewer())
}

/// The main navigation, who is signed in and the sign-out button; nothing when nobody is signed in
/// (the sign-in page leads nowhere else).
#[component]
fn TopNav() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                viewer
                    .get()
                    .and_then(Result::ok)
                    .flatten()
                    .map(|v| {
                        view! {
                            <nav aria-label="Main">
                                <a href="/">"Overview"</a>
                                <a href="/phones">"Phones"</a>
                                <a href="/remote-agents">"Remote agents"</a>
                                <a href="/login-check">"Login check"</a>
                                <a href="/servers">"Servers"</a>
                                <a href="/carriers">"Carriers"</a>
                            </nav>
                            <form class="user-menu" method="post" action=SIGN_OUT_ACTION>
                                <span>{format!("Signed in as {}", v.user)}</span>
                                <button type="submit">"Sign out"</button>
                            </form>
                        }
                    })
            }}
        </Suspense>
    }
}

/// The page's query parameters, decoded exactly once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// The last value of `name`, if sent.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// Whether `name` was sent.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// The page's query parameters. Pages read them here, not through `leptos_router`'s `use_query_map`,
/// which decodes every value twice (`url::Url::query_pairs`, then `ParamsMap::insert` unescapes again,
/// read in `leptos_router` 0.8.17), so `%2509` arrives as a tab and `50%25` as a broken escape.
pub(crate) fn use_query() -> Memo<Query> {
    let location = leptos_router::hooks::use_location();
    Memo::new(move |_| Query(crate::domain::phone_list::decode_query(&location.search.get())))
}

/// Text made safe for HTML: `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's `<title>`: `text · Dialtone`. Every page names its title here and nowhere else, because
/// `leptos_meta`'s `Title` writes its text into `<title>` as it is, without escaping (read in
/// `leptos_meta` 0.8.7: `MetaContext::inject_meta_context` pushes the string between the tags), so a
/// title holding request text (a server IP or carrier id from the URL) could close `<title>` and run
/// script. This escapes it. Titles are only rendered on the server (no island sets one), so the
/// escaped text is what the browser decodes and shows.
#[component]
pub fn PageTitle(
    /// The page's own part of the title.
    #[prop(into)]
    text: String,
) -> impl IntoView {
    view! { <Title text=format!("{} · Dialtone", escape_html(&text)) /> }
}

/// Goes to `href` with a full page load. Islands have no client-side router: every page is
/// rendered by the server, so leaving a page is a plain navigation (Back and Forward work as usual).
/// Only called from event handlers and effects, which run in the browser.
pub(crate) fn go_to(href: &str) {
    if let Err(e) = window().location().set_href(href) {
        leptos::logging::error!("could not open {href}: {e:?}");
    }
}

/// Where the sign-in form posts (handled by the server's session guard, not a server function, so it
/// works without JavaScript and sets an `HttpOnly` cookie).
pub const SIGN_IN_ACTION: &str = "/auth/sign-in";
/// Where the sign-out form posts.
pub const SIGN_OUT_ACTION: &str = "/auth/sign-out";
