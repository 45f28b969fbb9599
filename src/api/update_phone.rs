//! `function=update_phone` (with `delete_phone=Y`): VICIdial's checks in VICIdial's order
//! (`non_agent_api.php` 5912-6403), then the shared rules on the whole updated entry.
//!
//! The order, each check answering the first failure: REQUIRED FIELDS (extension, server IP), the
//! server exists, the phone exists, `delete_phone`, then each field sent: `local_gmt`, `email`,
//! `phone_context`, `phone_full_name`, `registration_password`, `protocol`, `phone_pass`, `phone_login`
//! (then the database: another phone has it, or, Dialtone's addition, it is an alias id),
//! `voicemail_id`, `dialplan_number`, `active`, `outbound_cid`, `admin_user_group`, `outbound_alt_cid`,
//! `phone_ring_timeout`, `delete_vm_after_email`, the four optional flags, `template_id` (then the
//! database: the template exists). Within one field: a value VICIdial would alter and the rules
//! refuse (Dialtone's line, so nothing altered is echoed), VICIdial's own line, then the shared rule.
//! Rules over the whole updated entry (a protocol change re-checks the extension; stored values) come
//! last, from the service.

use crate::domain::phone_entry::{validate_dialplan_number, validate_extension, ALL_GROUPS};
use crate::domain::phone_entry::{
    validate_email, validate_flag, validate_full_name, validate_is_webphone, validate_local_gmt,
    validate_outbound_alt_cid, validate_outbound_cid, validate_password, validate_phone_context, validate_phone_login,
    validate_protocol, validate_ring_timeout, validate_server_ip, validate_template_id, validate_user_group,
    validate_voicemail_id, BLANK, DEFAULT_PHONE_CONTEXT,
};
use crate::domain::{Field, FieldError, Flag, ProtocolSet, Rule};
use crate::service::phones::{self, PhoneError};

use super::filters::kept_unchanged;
use super::{template_id_ignored, Call, Reply};

const F: &str = "update_phone";

/// VICIdial's own check for one optional field: the length bounds it applies (in characters) and the
/// reason it prints.
struct LegacyLen {
    min: usize,
    max: usize,
    reason: &'static str,
}

fn len_ok(value: &str, l: &LegacyLen) -> bool {
    (l.min..=l.max).contains(&value.chars().count())
}

/// Handles one `update_phone` call.
pub(super) async fn handle(call: &Call<'_>) -> Reply {
    if let Err(reply) = call.preamble(F, "UPDATE PHONES") {
        return reply;
    }
    let u = call.user_echo;
    let (ext, ip) = (call.params.get("extension"), call.params.get("server_ip"));
    if !kept_unchanged("extension", ext) {
        if let Err(e) = validate_extension(ext, None) {
            return call.invalid(F, "extension", &e.rule);
        }
    }
    if !kept_unchanged("server_ip", ip) {
        if let Err(e) = validate_server_ip(ip) {
            return call.invalid(F, "server_ip", &e.rule);
        }
    }
    if ext.chars().count() < 2 || ip.is_empty() {
        return Reply::error("update_phone YOU MUST USE ALL REQUIRED FIELDS", u, &format!("{ext}|{ip}"));
    }
    let db = &call.state.db;
    match phones::server_exists(db, ip).await {
        Ok(true) => {}
        Ok(false) => return Reply::error("update_phone SERVER DOES NOT EXIST", u, ip),
        Err(e) => return call.db_error(F, &e),
    }
    match phones::find_phone(db, ext, ip).await {
        Ok(Some(_)) => {}
        Ok(None) => return Reply::error("update_phone PHONE DOES NOT EXIST ON THIS SERVER", u, &format!("{ip}|{ext}")),
        Err(e) => return call.db_error(F, &e),
    }
    match call.params.get("delete_phone") {
        "" => {}
        d => match validate_flag(Field::Active, d, Flag::N) {
            Ok(Flag::Y) => return delete(call, ext, ip).await,
            Ok(Flag::N) => {}
            Err(e) => return call.invalid(F, "delete_phone", &e.rule),
        },
    }
    let changes = match collect_changes(call, ext, ip).await {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    let result = phones::update_phone(
        db,
        &call.actor,
        ext,
        ip,
        |input| {
            for (field, value) in changes {
                input.set(field, value);
            }
        },
        "ADMIN API UPDATE PHONE",
    )
    .await;
    match result {
        Ok(_) => Reply::success("update_phone PHONE HAS BEEN UPDATED", u, &format!("{ext}|{ip}|")),
        Err(e) => refusal(call, ext, ip, e),
    }
}

/// The line for a refused update.
fn refusal(call: &Call<'_>, ext: &str, ip: &str, e: PhoneError) -> Reply {
    let u = call.user_echo;
    match e {
        PhoneError::LoginTaken(login) => Reply::error("update_phone LOGIN ALREADY EXISTS", u, &login),
        PhoneError::LoginIsAlias(login) => Reply::error("update_phone PHONE LOGIN IS A PHONE ALIAS ID", u, &login),
        PhoneError::TemplateNotFound(t) => template_missing(call, &t),
        PhoneError::NotFound { .. } => {
            Reply::error("update_phone PHONE DOES NOT EXIST ON THIS SERVER", u, &format!("{ip}|{ext}"))
        }
        PhoneError::Invalid(inv) => match inv.errors.first() {
            Some(fe) => call.invalid(F, fe.field.param(), &fe.rule),
            None => call.db_error(F, &"empty validation error"),
        },
        PhoneError::ServerNotFound(_) => Reply::error("update_phone SERVER DOES NOT EXIST", u, ip),
        PhoneError::ExtensionTaken { .. } => {
            Reply::error("update_phone PHONE ALREADY EXISTS ON THIS SERVER", u, &format!("{ip}|{ext}"))
        }
        PhoneError::Db(e) => call.db_error(F, &e),
    }
}

/// VICIdial's line for a template that does not exist (it echoes the `phone_login` sent).
fn template_missing(call: &Call<'_>, template_id: &str) -> Reply {
    Reply::error(
        "update_phone TEMPLATE ID DOES NOT EXIST, THIS IS AN OPTIONAL FIELD",
        call.user_echo,
        &format!("{}|{template_id}", call.params.get("phone_login")),
    )
}

async fn delete(call: &Call<'_>, ext: &str, ip: &str) -> Reply {
    let u = call.user_echo;
    if !call.has_api_permission(true) {
        return Reply::notice("update_phone USER DOES NOT HAVE PERMISSION TO DELETE PHONES", u, "0");
    }
    match phones::delete_phone(&call.state.db, &call.actor, ext, ip, "ADMIN API DELETE PHONE").await {
        Ok(()) => Reply::success("update_phone PHONE HAS BEEN DELETED", u, &format!("{ext}|{ip}|")),
        Err(PhoneError::NotFound { .. }) => {
            Reply::error("update_phone PHONE DOES NOT EXIST ON THIS SERVER", u, &format!("{ip}|{ext}"))
        }
        Err(e) => call.db_error(F, &e),
    }
}

/// Validates every optional field sent, in VICIdial's order, with the database checks VICIdial makes
/// among them (the login, the template) at their places; returns the changes to apply to the phone
/// `(ext, ip)`.
async fn collect_changes(call: &Call<'_>, ext: &str, ip: &str) -> Result<Vec<(Field, String)>, Reply> {
    let u = call.user_echo;
    let db = &call.state.db;
    let mut changes = Vec::new();
    // One field: `blank` is what `--BLANK--` sets (None: not clearable), `legacy` VICIdial's own check,
    // `rule` the shared rule. Order: altered-and-refused (Dialtone's line), VICIdial's line, the rule.
    let mut field = |f: Field,
                     blank: Option<&str>,
                     legacy: Option<LegacyLen>,
                     rule: &dyn Fn(&str) -> Result<(), FieldError>|
     -> Result<(), Reply> {
        let value = call.params.get(f.param());
        if value.is_empty() {
            return Ok(());
        }
        if value == BLANK {
            if let Some(b) = blank {
                changes.push((f, b.to_string()));
                return Ok(());
            }
            return Err(call.invalid(F, f.param(), &Rule::Required));
        }
        let refused = rule(value).err();
        if let (false, Some(e)) = (kept_unchanged(f.param(), value), &refused) {
            return Err(call.invalid(F, f.param(), &e.rule));
        }
        if let Some(l) = legacy {
            if !len_ok(value, &l) {
                return Err(Reply::error(l.reason, u, value));
            }
        }
        if let Some(e) = refused {
            return Err(call.invalid(F, f.param(), &e.rule));
        }
        changes.push((f, value.to_string()));
        Ok(())
    };
    let ok = |r: Result<String, FieldError>| r.map(|_| ());
    let len = |min, max, reason| Some(LegacyLen { min, max, reason });

    // a. local_gmt: VICIdial's own line for an offset not in the list.
    let gmt = call.params.get("local_gmt");
    if !gmt.is_empty() && kept_unchanged("local_gmt", &gmt.replace('+', "")) && validate_local_gmt(gmt).is_err() {
        return Err(Reply::error("update_phone YOU MUST USE A VALID TIMEZONE", u, gmt));
    }
    field(Field::LocalGmt, None, None, &|v| ok(validate_local_gmt(v)))?;
    field(Field::Email, Some(""), len(5, 300, "update_phone YOU MUST USE A VALID EMAIL"), &|v| ok(validate_email(v)))?;
    field(
        Field::PhoneContext,
        Some(DEFAULT_PHONE_CONTEXT),
        len(2, 30, "update_phone YOU MUST USE A VALID PHONE CONTEXT"),
        &|v| ok(validate_phone_context(v)),
    )?;
    field(Field::PhoneFullName, None, len(2, 30, "update_phone YOU MUST USE A VALID PHONE NAME"), &|v| {
        ok(validate_full_name(v))
    })?;
    field(
        Field::RegistrationPassword,
        None,
        len(2, 30, "update_phone YOU MUST USE A VALID REGISTRATION PASSWORD"),
        &|v| ok(validate_password(Field::RegistrationPassword, v)),
    )?;
    // f. protocol: VICIdial's line for any unfiltered value outside its four.
    let proto = call.params.get("protocol");
    if !proto.is_empty()
        && kept_unchanged("protocol", proto)
        && validate_protocol(proto, ProtocolSet::LegacyApi).is_err()
    {
        return Err(Reply::error("update_phone YOU MUST USE A VALID PROTOCOL", u, proto));
    }
    field(Field::Protocol, None, None, &|v| validate_protocol(v, ProtocolSet::LegacyApi).map(|_| ()))?;
    field(Field::PhonePass, None, len(2, 30, "update_phone YOU MUST USE A VALID PHONE PASSWORD"), &|v| {
        ok(validate_password(Field::PhonePass, v))
    })?;
    field(Field::PhoneLogin, None, None, &|v| ok(validate_phone_login(v)))?;
    // h. phone_login: VICIdial's database check comes here, before the fields after it (line 6189).
    let login = call.params.get("phone_login");
    if !login.is_empty() {
        if let Err(e) = phones::check_login_conflicts(db, ext, ip, login).await {
            return Err(refusal(call, ext, ip, e));
        }
    }
    field(Field::VoicemailId, None, len(2, 30, "update_phone YOU MUST USE A VALID VOICEMAIL NUMBER"), &|v| {
        ok(validate_voicemail_id(v))
    })?;
    // j. dialplan_number: VICIdial's own bounds are 3-30 characters (line 6228), so 1-2 digits get its
    //    line; the shared rule (1-20 digits, the column's width) then refuses 21-30 digits by name where
    //    VICIdial would store them truncated.
    field(Field::DialplanNumber, None, len(3, 30, "update_phone YOU MUST USE A VALID DIALPLAN NUMBER"), &|v| {
        ok(validate_dialplan_number(v))
    })?;
    // k. active: VICIdial's line for upper-case letters other than Y/N.
    let active = call.params.get("active");
    if !active.is_empty() && kept_unchanged("active", active) && validate_flag(Field::Active, active, Flag::Y).is_err()
    {
        return Err(Reply::error("update_phone ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD", u, active));
    }
    field(Field::Active, None, None, &|v| validate_flag(Field::Active, v, Flag::Y).map(|_| ()))?;
    field(
        Field::OutboundCid,
        None,
        len(6, 18, "update_phone OUTBOUND CID MUST BE FROM 6 TO 18 DIGITS, THIS IS AN OPTIONAL FIELD"),
        &|v| ok(validate_outbound_cid(v)),
    )?;
    field(
        Field::AdminUserGroup,
        Some(ALL_GROUPS),
        len(2, 20, "update_phone USER GROUP MUST BE FROM 2 TO 20 CHARACTERS, THIS IS AN OPTIONAL FIELD"),
        &|v| ok(validate_user_group(v)),
    )?;
    field(
        Field::OutboundAltCid,
        Some(""),
        len(6, 18, "update_phone OUTBOUND ALT CID MUST BE FROM 6 TO 18 DIGITS, THIS IS AN OPTIONAL FIELD"),
        &|v| ok(validate_outbound_alt_cid(v)),
    )?;
    // o. phone_ring_timeout: VICIdial's line echoes outbound_alt_cid (its bug, kept for byte-compatibility).
    let ring = call.params.get("phone_ring_timeout");
    if !ring.is_empty() && kept_unchanged("phone_ring_timeout", ring) && validate_ring_timeout(ring).is_err() {
        return Err(Reply::error(
            "update_phone PHONE RING TIMEOUT MUST BE FROM 2 TO 180 SECONDS, THIS IS AN OPTIONAL FIELD",
            u,
            call.params.get("outbound_alt_cid"),
        ));
    }
    field(Field::PhoneRingTimeout, None, None, &|v| validate_ring_timeout(v).map(|_| ()))?;
    // p. delete_vm_after_email: VICIdial's line for letters other than Y/N (any case here).
    let dvm = call.params.get("delete_vm_after_email");
    if !dvm.is_empty()
        && kept_unchanged("delete_vm_after_email", dvm)
        && validate_flag(Field::DeleteVmAfterEmail, dvm, Flag::N).is_err()
    {
        return Err(Reply::error(
            "update_phone DELETE VOICEMAIL AFTER EMAIL MUST BE Y OR N, THIS IS AN OPTIONAL FIELD",
            u,
            dvm,
        ));
    }
    field(Field::DeleteVmAfterEmail, None, None, &|v| {
        validate_flag(Field::DeleteVmAfterEmail, v, Flag::N).map(|_| ())
    })?;
    field(Field::IsWebphone, None, None, &|v| validate_is_webphone(v).map(|_| ()))?;
    for f in [Field::WebphoneAutoAnswer, Field::UseExternalServerIp, Field::OnHookAgent] {
        field(f, None, None, &|v| validate_flag(f, v, Flag::N).map(|_| ()))?;
    }
    // u. template_id: `--BLANK--` (any case) clears, one character is ignored (VICIdial looks up 2 or
    //    more, line 6337), and the template must exist: VICIdial's last check, before the rules over the
    //    whole entry.
    let template = call.params.get("template_id");
    if !template_id_ignored(template) {
        let t = validate_template_id(template).map_err(|e| call.invalid(F, "template_id", &e.rule))?;
        if !t.is_empty() {
            match phones::template_exists(db, &t).await {
                Ok(true) => {}
                Ok(false) => return Err(template_missing(call, template)),
                Err(e) => return Err(call.db_error(F, &e)),
            }
        }
        changes.push((Field::TemplateId, t));
    }
    Ok(changes)
}
