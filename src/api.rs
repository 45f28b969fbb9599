//! The legacy HTTP API: a drop-in `/vicidial/non_agent_api.php` answering VICIdial's phone functions
//! (`version`, `add_phone`, `update_phone`, `add_phone_alias`, `update_phone_alias`,
//! `server_refresh`) with VICIdial's checks in VICIdial's order and byte-identical response lines.
//!
//! A thin adapter: it parses parameters, authenticates, words outcomes the legacy way and calls the
//! same `service` functions as the web admin. It owns no rules and no SQL.
//!
//! # Known quirks (where Dialtone deliberately differs from VICIdial 2.14-202)
//! Do not "fix" these back without reading the reason.
//! 1. VICIdial silently strips characters outside each parameter's filter and `MySQL` silently
//!    truncates over-long values. Dialtone stores nothing altered: such a request gets
//!    `ERROR: <function> INVALID <FIELD>, <field> <rule>: |<user>|<field>` (HTTP 200) naming the field
//!    and the rule, and the hostile value itself is never echoed.
//! 2. Values VICIdial accepts only by accident are canonicalised or refused by the shared rules:
//!    `local_gmt=-5` is stored as `-5.00` (VICIdial stores `-5`); `dialplan_number` must be digits
//!    (VICIdial keeps letters, `*`, `#`); SIP/IAX2 extensions may not contain dashes; optional flags
//!    (`is_webphone=MAYBE`) are errors instead of being ignored; `phone_full_name` keeps Unicode
//!    letters (VICIdial strips them); email keeps `+` (VICIdial turns it into a space).
//! 3. A phone login may not equal a phone alias id, and an alias id may not equal a phone login
//!    (`PHONE LOGIN IS A PHONE ALIAS ID`, `ALIAS ID IS A PHONE LOGIN`): VICIdial's API allows both,
//!    and the agent then can never log in with that phone.
//! 4. Phone logins are unique in the database (VICIdial's `update_phone` misses duplicates that share
//!    the extension or the server, and truncation can create them). `update_phone` answers
//!    `ERROR: update_phone LOGIN ALREADY EXISTS` for every duplicate.
//! 5. (Removed: a one-character `template_id` is now ignored as VICIdial ignores it, `add_phone`
//!    storing no template and `update_phone` keeping the stored one, instead of being looked up;
//!    cases `template_one_char_ignored` in `add_phone_dialtone_cases.tsv` and
//!    `update_phone_cases.tsv`. The number is kept so the others keep theirs.)
//! 6. Y/N flags are case-insensitive everywhere (`delete_phone=y` deletes, `active=n` deactivates,
//!    `delete_vm_after_email=y` is accepted); VICIdial filters lower case away or rejects it.
//! 7. `phone_context=--BLANK--` resets the context to `default` (VICIdial stores an empty context,
//!    which breaks the peer); `phone_full_name`/`registration_password=--BLANK--` are refused (both
//!    are required). `voicemail_id`/`outbound_alt_cid=--BLANK--` clear the value where the rules
//!    allow it (VICIdial stores or rejects the text `BLANK`).
//! 8. Failures never produce HTTP 500 (VICIdial answers 500 with an empty body for an email with an
//!    apostrophe, and for SQL errors); a database failure is `ERROR: <function> DATABASE ERROR`.
//! 9. A password is compared as sent: VICIdial strips characters from it first (`apipass1 ` logs in
//!    as `apipass1`). The failed-login line echoes the user and password with VICIdial's filter
//!    applied, as VICIdial does, so no markup is ever echoed.
//! 10. The call log (`vicidial_admin_log`, section `API`) records the function, the outcome's reason
//!     and the parameter *names* (at most 20, each at most 32 characters, the rest counted); VICIdial's
//!     `vicidial_api_urls` stores the full URL with the password. Calls nobody authenticated (a wrong
//!     password, an unknown user, `version`) are logged one by one up to 60 a minute per process, the
//!     rest as one count, so anonymous traffic cannot grow the database without limit.
//! 11. `version`'s BUILD is Dialtone's version (`<version>-dialtone`), VERSION is the API level matched.
//! 12. VICIdial functions Dialtone does not implement answer
//!     `ERROR: <function> IS NOT AVAILABLE IN DIALTONE: |<user>|<function>` instead of
//!     `ERROR: NO FUNCTION SPECIFIED`, which is kept for unknown names.
//! 13. At most 10 passwords of one user are ever checked within 15 minutes, however many requests
//!     arrive at once: each is counted as a failure before it is checked, and the 10th failure starts
//!     the 15-minute lock. VICIdial reads the count before and writes it after the check (so 32
//!     concurrent guesses got 40-51 checks), and measures the lock from the last success (so an
//!     account unused for 15 minutes took 20). As in VICIdial, anyone can lock a user this way.

mod add_phone;
mod aliases;
pub mod filters;
pub mod params;
mod reply;
mod server_refresh;
mod update_phone;
mod version;

use std::net::SocketAddr;

use axum::body::to_bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use crate::service::admin::log_api_call;
use crate::service::auth::AuthOutcome;
use crate::service::call_log::names_for_log;
use crate::service::Actor;
use crate::state::AppState;
use crate::storage::users::UserRow;
use filters::{kept_unchanged, vicidial_filtered};
use params::Params;
use reply::Reply;

/// The path VICIdial serves the API on.
pub const API_PATH: &str = "/vicidial/non_agent_api.php";
/// The API level matched.
pub const API_VERSION: &str = "2.14-202";
/// Largest accepted POST body.
const MAX_BODY: usize = 64 * 1024;

/// VICIdial non-agent functions that exist but are not phone functions Dialtone implements.
const OTHER_VICIDIAL_FUNCTIONS: &[&str] = &[
    "add_lead",
    "update_lead",
    "add_user",
    "update_user",
    "copy_user",
    "add_group_alias",
    "agent_stats_export",
    "blind_monitor",
    "callid_info",
    "campaigns_list",
    "did_log_export",
    "in_groups_list",
    "lead_callback_info",
    "lead_field_info",
    "lead_search",
    "lead_status_search",
    "list_info",
    "logged_in_agents",
    "moh_list",
    "phone_number_log",
    "recording_lookup",
    "sounds_list",
    "update_campaign",
    "update_did",
    "update_list",
    "user_group_status",
    "vm_list",
    "add_list",
    "batch_update_lead",
    "check_phone_number",
    "user_details",
    "update_remote_agent",
    "update_log_entry",
    "update_cid_group_entry",
    "container_list",
    "call_status_stats",
];

/// The router for the legacy API (GET and POST, like PHP).
pub fn router() -> Router<AppState> {
    Router::new().route(API_PATH, any(handle))
}

/// Everything a function handler needs about the authenticated call.
pub(crate) struct Call<'a> {
    state: &'a AppState,
    params: &'a Params,
    user: &'a UserRow,
    /// The user name as sent (VICIdial echoes the request's user).
    user_echo: &'a str,
    actor: Actor,
}

impl Call<'_> {
    /// VICIdial's preamble for every phone function: source, allowed functions, API permission.
    fn preamble(&self, function: &str, permission: &str) -> Result<(), Reply> {
        let source = self.params.get("source");
        if !kept_unchanged("source", source) || source.chars().count() > 20 {
            return Err(Reply::raw(
                "ERROR: Invalid Source - source must be 2 to 20 letters or digits: |source|\n".to_string(),
                "Invalid Source",
            ));
        }
        if source.len() < 2 {
            return Err(Reply::raw(
                format!("ERROR: Invalid Source - {source}\nERROR: Invalid Source: |{source}|\n"),
                "Invalid Source",
            ));
        }
        let allowed = &self.user.api_allowed_functions;
        if !allowed.contains(&format!(" {function} ")) && !allowed.contains("ALL_FUNCTIONS") {
            return Err(Reply::error(
                "auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION",
                self.user_echo,
                &format!("{function}|"),
            ));
        }
        if !self.has_api_permission(false) {
            return Err(Reply::error(
                &format!("{function} USER DOES NOT HAVE PERMISSION TO {permission}"),
                self.user_echo,
                "0",
            ));
        }
        Ok(())
    }

    /// VICIdial's permission query: API access, Asterisk admin (or delete-phones), level 8+, active.
    fn has_api_permission(&self, delete: bool) -> bool {
        let u = self.user;
        let flag = if delete { &u.ast_delete_phones } else { &u.ast_admin_access };
        u.vdc_agent_api_access == "1" && flag == "1" && u.user_level >= 8 && u.active == "Y"
    }

    /// `ERROR: <function> INVALID <FIELD>, <field> <rule>: |<user>|<field>`.
    fn invalid(&self, function: &str, field: &str, rule: &dyn std::fmt::Display) -> Reply {
        Reply::error(
            &format!("{function} INVALID {}, {field} {rule}", field.to_ascii_uppercase()),
            self.user_echo,
            field,
        )
    }

    /// A database failure: logged here (without parameters), answered without detail.
    fn db_error(&self, function: &str, e: &dyn std::fmt::Display) -> Reply {
        tracing::error!(function, error = %e, "database error in legacy API");
        Reply::error(&format!("{function} DATABASE ERROR, PLEASE RETRY"), self.user_echo, "")
    }
}

/// Whether VICIdial leaves this `template_id` alone: it looks a template up only when the value has 2 or
/// more characters (`non_agent_api.php` 5845 in `add_phone`, 6337 in `update_phone`) and otherwise
/// sets nothing, so `add_phone` stores `''` (the column's implicit default) and `update_phone` keeps
/// the stored template. A value VICIdial's filter would alter is not ignored: the rules refuse it.
/// (No template has a one-character id: creating one needs 2 or more, as in VICIdial's admin.php.)
pub(crate) fn template_id_ignored(value: &str) -> bool {
    value.chars().count() < 2 && kept_unchanged("template_id", value)
}

/// The client's IP address (`unknown` without connection info).
pub(crate) fn client_ip(req: &Request) -> String {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let ip = client_ip(&req);
    let query = req.uri().query().map(str::to_string);
    let body = if req.method() == Method::POST {
        match to_bytes(req.into_body(), MAX_BODY).await {
            Ok(b) => match String::from_utf8(b.to_vec()) {
                Ok(s) => Some(s),
                Err(_) => {
                    return Reply::raw("ERROR: INVALID REQUEST, the body must be valid UTF-8: ||\n".into(), "bad body")
                        .into_response()
                }
            },
            Err(_) => {
                return Reply::raw(
                    format!("ERROR: INVALID REQUEST, the body must be at most {MAX_BODY} bytes: ||\n"),
                    "bad body",
                )
                .into_response()
            }
        }
    } else {
        drop(req.into_body());
        None
    };
    let params = match Params::parse(query.as_deref(), body.as_deref()) {
        Ok(p) => p,
        Err(bad) => {
            let name = if kept_unchanged("function", &bad.name) { bad.name } else { "(parameter)".into() };
            return Reply::raw(
                format!("ERROR: INVALID REQUEST, {name} must be valid UTF-8 after decoding: ||\n"),
                "bad encoding",
            )
            .into_response();
        }
    };
    let (reply, caller) = dispatch(&state, &params, &ip).await;
    if !reply.logged {
        log_call(&state, &params, &ip, &reply, caller).await;
    }
    reply.into_response()
}

/// Who made a call, as far as authentication got.
enum Caller {
    /// Authenticated: the stored user name.
    User(String),
    /// Not authenticated (a failed login, an unknown user, `version`, a malformed request): the stored
    /// name of the user the request named, when one exists.
    Anonymous(Option<String>),
}

/// Writes the call's one row to the call log (`vicidial_admin_log`, section `API`): the function, the
/// outcome's reason and the parameter names (capped, see [`names_for_log`]), never values. Anonymous
/// calls are logged within a budget per minute; the calls over it are counted and stored as one row.
async fn log_call(state: &AppState, params: &Params, ip: &str, reply: &Reply, caller: Caller) {
    let (user, admission) = match caller {
        Caller::User(user) => (user, None),
        Caller::Anonymous(known) => {
            (known.unwrap_or_else(|| ANONYMOUS.to_string()), Some(state.anonymous_calls.admit()))
        }
    };
    let actor = Actor { user, ip: ip.to_string() };
    if let Some(not_logged) = admission.and_then(|a| a.not_logged_before) {
        let summary = Actor { user: ANONYMOUS.to_string(), ip: "(several)".to_string() };
        let reason = format!("{not_logged} more anonymous calls in the minute before were not logged one by one");
        if let Err(e) = log_api_call(&state.db, &summary, "(several)", &reason, "").await {
            tracing::error!(error = %e, "could not write the API call log");
        }
    }
    if admission.is_some_and(|a| !a.log) {
        return;
    }
    let function = params.get("function");
    let function = if kept_unchanged("function", function) && function.len() <= 40 { function } else { "(invalid)" };
    let names = names_for_log(params.names());
    if let Err(e) = log_api_call(&state.db, &actor, function, &reply.reason, &names).await {
        tracing::error!(error = %e, "could not write the API call log");
    }
}

/// The call log's user for an anonymous call that named no existing user.
const ANONYMOUS: &str = "(anonymous)";

async fn dispatch(state: &AppState, params: &Params, ip: &str) -> (Reply, Caller) {
    let function = params.get("function");
    match function {
        "version" => return (version::reply(state).await, Caller::Anonymous(None)),
        "coffee" | "start_coffee" | "make_coffee" | "brew_coffee" => {
            return (Reply::teapot(function), Caller::Anonymous(None))
        }
        _ => {}
    }
    let (user, pass) = (params.get("user"), params.get("pass"));
    let outcome = state.auth.authenticate(&state.db, user, pass, ip).await;
    let user_row = match outcome {
        Ok(AuthOutcome::Good(row)) => row,
        Ok(AuthOutcome::Locked(known)) => {
            let reply = Reply::raw(
                format!(
                    "ERROR: Too many login attempts, try again in 15 minutes: |{}|LOCK|\n",
                    vicidial_filtered("user", user)
                ),
                "Too many login attempts",
            );
            return (reply, Caller::Anonymous(Some(known)));
        }
        Ok(AuthOutcome::Bad(known)) => {
            let reply = Reply::raw(
                format!(
                    "ERROR: Login incorrect, please try again: |{}|{}|BAD|\n",
                    vicidial_filtered("user", user),
                    vicidial_filtered("pass", pass)
                ),
                "Login incorrect",
            );
            return (reply, Caller::Anonymous(known));
        }
        Err(e) => {
            tracing::error!(error = %e, "database error during API authentication");
            let reply = Reply::raw("ERROR: DATABASE ERROR, PLEASE RETRY: ||\n".into(), "database error");
            return (reply, Caller::Anonymous(None));
        }
    };
    let call = Call {
        state,
        params,
        user: &user_row,
        user_echo: user,
        actor: Actor { user: user_row.user.clone(), ip: ip.to_string() },
    };
    let reply = match function {
        "add_phone" => add_phone::handle(&call).await,
        "update_phone" => update_phone::handle(&call).await,
        "add_phone_alias" => aliases::add(&call).await,
        "update_phone_alias" => aliases::update(&call).await,
        "server_refresh" => server_refresh::handle(&call).await,
        f if OTHER_VICIDIAL_FUNCTIONS.contains(&f) => {
            Reply::error(&format!("{f} IS NOT AVAILABLE IN DIALTONE"), call.user_echo, f)
        }
        _ => Reply::raw("ERROR: NO FUNCTION SPECIFIED\n".into(), "NO FUNCTION SPECIFIED"),
    };
    (reply, Caller::User(user_row.user.clone()))
}

/// Builds a request body for tests and tools: `k=v&...` with values percent-encoded.
pub fn encode_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", k, percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}
