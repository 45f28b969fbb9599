//! The Leptos application: the HTML shell, the router and the pages, with their server functions.
//!
//! Components render and react; rules come from `domain`, data from server functions that call
//! `service`/`storage` on the server only.

mod busy_button;
mod carriers;
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
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
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

pub use overview::{get_overview, Overview, ServerSummary};
#[cfg(feature = "ssr")]
pub use servers::conf_download_router;

/// The HTML document around the app (server-side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes, rendered on the server only. Pages render with
/// `SsrMode::Async` (the HTML is sent once every resource has loaded) so they are complete without
/// JavaScript; the interactive parts are islands (`#[island]`), the only code in the browser bundle.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/dialtone.css" />
        <Title text="Dialtone" />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Dialtone"</a>
                <nav aria-label="Main">
                    <a href="/">"Overview"</a>
                    <a href="/phones">"Phones"</a>
                    <a href="/remote-agents">"Remote agents"</a>
                    <a href="/login-check">"Login check"</a>
                    <a href="/servers">"Servers"</a>
                    <a href="/carriers">"Carriers"</a>
                </nav>
                <UserMenu />
            </header>
            <main>
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

/// Who is signed in, and the sign-out button.
#[component]
fn UserMenu() -> impl IntoView {
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
