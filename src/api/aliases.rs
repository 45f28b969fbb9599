//! `function=add_phone_alias` and `function=update_phone_alias` (`non_agent_api.php` 6409-6714).

use crate::domain::phone_alias::{validate_alias_id, validate_alias_name, validate_logins_list, InvalidAlias};
use crate::domain::Flag;
use crate::service::aliases::{self, AliasError};

use super::filters::kept_unchanged;
use super::{Call, Reply};

fn alias_error(call: &Call<'_>, function: &str, param: &str, e: &InvalidAlias) -> Reply {
    // The InvalidAlias message starts with the parameter name; keep only the rule after it.
    let text = e.to_string();
    let rule = text.strip_prefix(param).map_or(text.as_str(), str::trim_start);
    call.invalid(function, param, &rule)
}

/// Refuses a value VICIdial would have altered and the rules refuse.
fn refuse_altered(call: &Call<'_>, function: &str) -> Result<(), Reply> {
    let p = call.params;
    type Check = fn(&str) -> Result<(), InvalidAlias>;
    let checks: [(&str, Check); 3] = [
        ("alias_id", |v| validate_alias_id(v).map(|_| ())),
        ("alias_name", |v| validate_alias_name(v).map(|_| ())),
        ("phone_logins", |v| validate_logins_list(v).map(|_| ())),
    ];
    for (param, check) in checks {
        let v = p.get(param);
        if !v.is_empty() && !kept_unchanged(param, v) {
            if let Err(e) = check(v) {
                return Err(alias_error(call, function, param, &e));
            }
        }
    }
    Ok(())
}

fn service_error(call: &Call<'_>, function: &str, e: AliasError) -> Reply {
    let u = call.user_echo;
    match e {
        AliasError::AliasExists(id) => Reply::error(&format!("{function} PHONE ALIAS ALREADY EXISTS"), u, &id),
        AliasError::AliasNotFound(id) => Reply::error(&format!("{function} PHONE ALIAS DOES NOT EXIST"), u, &id),
        AliasError::AliasIsLogin(id) => Reply::error(&format!("{function} ALIAS ID IS A PHONE LOGIN"), u, &id),
        AliasError::PhoneNotFound(login) => Reply::error(&format!("{function} PHONE DOES NOT EXIST"), u, &login),
        AliasError::Db(e) => call.db_error(function, &e),
    }
}

/// Handles `add_phone_alias`.
pub(super) async fn add(call: &Call<'_>) -> Reply {
    const F: &str = "add_phone_alias";
    if let Err(reply) = call.preamble(F, "ADD PHONE ALIASES") {
        return reply;
    }
    if let Err(reply) = refuse_altered(call, F) {
        return reply;
    }
    let u = call.user_echo;
    let (id, name, logins) =
        (call.params.get("alias_id"), call.params.get("alias_name"), call.params.get("phone_logins"));
    if id.len() < 2 || logins.len() < 2 || name.is_empty() {
        return Reply::error("add_phone_alias YOU MUST USE ALL REQUIRED FIELDS", u, &format!("{id}|{name}|{logins}"));
    }
    let id_ok = validate_alias_id(id).map_err(|e| alias_error(call, F, "alias_id", &e));
    let name_ok = validate_alias_name(name).map_err(|e| alias_error(call, F, "alias_name", &e));
    let list = validate_logins_list(logins).map_err(|e| alias_error(call, F, "phone_logins", &e));
    let (id_v, name_v, list) = match (id_ok, name_ok, list) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    match aliases::add_alias(&call.state.db, &call.actor, &id_v, &name_v, &list).await {
        Ok(()) => Reply::success("add_phone_alias PHONE ALIAS HAS BEEN ADDED", u, &format!("{id}|{name}|{logins}")),
        Err(e) => service_error(call, F, e),
    }
}

/// Handles `update_phone_alias` (with `delete_alias=Y`).
pub(super) async fn update(call: &Call<'_>) -> Reply {
    const F: &str = "update_phone_alias";
    if let Err(reply) = call.preamble(F, "UPDATE PHONE ALIASES") {
        return reply;
    }
    if let Err(reply) = refuse_altered(call, F) {
        return reply;
    }
    let u = call.user_echo;
    let p = call.params;
    let (id, name, logins, del) =
        (p.get("alias_id"), p.get("alias_name"), p.get("phone_logins"), p.get("delete_alias"));
    let delete = match del {
        "" => None,
        d if d.eq_ignore_ascii_case("Y") => Some(Flag::Y),
        d if d.eq_ignore_ascii_case("N") => Some(Flag::N),
        _ => return call.invalid(F, "delete_alias", &"must be one of Y, N"),
    };
    if id.len() < 2 || (logins.len() < 2 && name.is_empty() && delete.is_none()) {
        return Reply::error(
            "update_phone_alias YOU MUST USE ALL REQUIRED FIELDS",
            u,
            &format!("{id}|{name}|{logins}"),
        );
    }
    match aliases::find_alias(&call.state.db, id).await {
        Ok(Some(_)) => {}
        Ok(None) => return Reply::error("update_phone_alias PHONE ALIAS DOES NOT EXIST", u, id),
        Err(e) => return call.db_error(F, &e),
    }
    if delete == Some(Flag::Y) {
        if !call.has_api_permission(true) {
            return Reply::notice("update_phone_alias USER DOES NOT HAVE PERMISSION TO DELETE PHONE ALIASES", u, "0");
        }
        return match aliases::delete_alias(&call.state.db, &call.actor, id).await {
            // VICIdial prints no trailing `|` here (its docs show one).
            Ok(()) => Reply::success("update_phone_alias PHONE ALIAS HAS BEEN DELETED", u, id),
            Err(e) => service_error(call, F, e),
        };
    }
    let name_v = if name.is_empty() {
        None
    } else {
        if !(2..=50).contains(&name.chars().count()) {
            return Reply::error("update_phone_alias YOU MUST USE A VALID ALIAS NAME", u, name);
        }
        match validate_alias_name(name) {
            Ok(n) => Some(n),
            Err(e) => return alias_error(call, F, "alias_name", &e),
        }
    };
    let list = if logins.is_empty() {
        None
    } else {
        match validate_logins_list(logins) {
            Ok(l) => Some(l),
            Err(e) => return alias_error(call, F, "phone_logins", &e),
        }
    };
    if name_v.is_none() && list.is_none() {
        return Reply::notice("update_phone_alias NO UPDATES DEFINED", u, "");
    }
    match aliases::update_alias(&call.state.db, &call.actor, id, name_v.as_deref(), list.as_deref()).await {
        Ok(()) => Reply::success("update_phone_alias PHONE ALIAS HAS BEEN UPDATED", u, &format!("{id}|")),
        Err(e) => service_error(call, F, e),
    }
}
