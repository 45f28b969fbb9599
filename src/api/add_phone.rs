//! `function=add_phone`: VICIdial's checks in VICIdial's order (`non_agent_api.php` 5726-5901), with
//! Dialtone's rules refusing what VICIdial would silently alter.

use crate::domain::{validate_phone_entry, Field, PhoneEntryInput, ProtocolSet, Rule};
use crate::service::phones::{self, PhoneError};

use super::filters::kept_unchanged;
use super::{template_id_ignored, Call, Reply};

const F: &str = "add_phone";

/// The parameters `add_phone` reads: every field up to `template_id`, in the order of VICIdial's
/// REQUIRED FIELDS line, then the optional ones (`status`, `active` and the later fields cannot be set
/// by `add_phone`; VICIdial ignores them and stores its defaults).
const PARAMS: &[Field] = Field::ALL.split_at(19).0;

fn input_from(call: &Call<'_>) -> PhoneEntryInput {
    let mut input = PhoneEntryInput::default();
    for &f in PARAMS {
        input.set(f, call.params.get(f.param()).to_string());
    }
    // A one-character template id: VICIdial adds the phone without a template (line 5845).
    if template_id_ignored(&input.template_id) {
        input.template_id.clear();
    }
    input
}

/// VICIdial's REQUIRED FIELDS condition (step 4, line 5765): extension and dialplan number of 2 or more
/// characters, the other nine non-empty, and one of VICIdial's four protocols. A one-digit dialplan
/// number gets this line from VICIdial's API (its admin page and the shared rule accept 1 to 20 digits);
/// do not relax it without a Known quirk.
fn required_missing(i: &PhoneEntryInput) -> bool {
    i.extension.chars().count() < 2
        || i.dialplan_number.chars().count() < 2
        || [&i.voicemail_id, &i.phone_login, &i.phone_pass, &i.server_ip, &i.protocol]
            .iter()
            .chain([&i.registration_password, &i.phone_full_name, &i.local_gmt, &i.outbound_cid].iter())
            .any(|v| v.is_empty())
        || !["IAX2", "SIP", "Zap", "EXTERNAL"].contains(&i.protocol.as_str())
}

/// Handles one `add_phone` call.
pub(super) async fn handle(call: &Call<'_>) -> Reply {
    if let Err(reply) = call.preamble(F, "ADD PHONES") {
        return reply;
    }
    let u = call.user_echo;
    let input = input_from(call);
    let verdict = validate_phone_entry(&input, ProtocolSet::LegacyApi);
    let errors = verdict.as_ref().err().map(|e| e.errors.clone()).unwrap_or_default();

    // 1. A value VICIdial would have silently altered and the rules refuse: Dialtone's error, before any
    //    VICIdial line could echo it.
    let altered = |f: Field| !kept_unchanged(f.param(), call.params.get(f.param()));
    if let Some(e) = errors.iter().find(|e| PARAMS.contains(&e.field) && altered(e.field)) {
        return call.invalid(F, e.field.param(), &e.rule);
    }
    // 2. VICIdial's REQUIRED FIELDS line (every echoed value is one VICIdial would echo unchanged).
    if required_missing(&input) {
        let i = &input;
        let data = [
            &i.extension,
            &i.dialplan_number,
            &i.voicemail_id,
            &i.phone_login,
            &i.phone_pass,
            &i.server_ip,
            &i.protocol,
            &i.registration_password,
            &i.phone_full_name,
            &i.local_gmt,
            &i.outbound_cid,
        ]
        .map(String::as_str)
        .join("|");
        return Reply::error("add_phone YOU MUST USE ALL REQUIRED FIELDS", u, &data);
    }
    // 3. Any other rule, except the GMT offset, which VICIdial checks after the duplicates.
    let gmt_invalid = errors.iter().any(|e| e.field == Field::LocalGmt && e.rule == Rule::Timezone);
    if let Some(e) = errors.iter().find(|e| !(e.field == Field::LocalGmt && e.rule == Rule::Timezone)) {
        return call.invalid(F, e.field.param(), &e.rule);
    }
    let entry = match verdict {
        Ok(entry) => entry,
        Err(_) => {
            // Only the GMT offset is wrong: report a duplicate first, as VICIdial does.
            let check = phones::check_new_phone_conflicts(
                &call.state.db,
                &input.extension,
                &input.server_ip,
                &input.phone_login,
            )
            .await;
            if let Err(e) = check {
                return conflict_reply(call, e);
            }
            debug_assert!(gmt_invalid);
            return Reply::error("add_phone YOU MUST USE A VALID TIMEZONE", u, &input.local_gmt);
        }
    };
    match phones::add_phone(&call.state.db, &call.actor, &entry, "ADMIN API ADD PHONE").await {
        Ok(()) => Reply::success(
            "add_phone PHONE HAS BEEN ADDED",
            u,
            &format!("{}|{}|{}|{}", input.extension, input.server_ip, input.protocol, input.dialplan_number),
        ),
        Err(e) => conflict_reply(call, e),
    }
}

fn conflict_reply(call: &Call<'_>, e: PhoneError) -> Reply {
    let u = call.user_echo;
    let p = |f: Field| call.params.get(f.param());
    match e {
        PhoneError::ServerNotFound(_) => Reply::error("add_phone SERVER DOES NOT EXIST", u, p(Field::ServerIp)),
        PhoneError::ExtensionTaken { .. } => Reply::error(
            "add_phone PHONE ALREADY EXISTS ON THIS SERVER",
            u,
            &format!("{}|{}", p(Field::ServerIp), p(Field::Extension)),
        ),
        PhoneError::LoginTaken(_) => Reply::error("add_phone PHONE LOGIN ALREADY EXISTS", u, p(Field::PhoneLogin)),
        PhoneError::LoginIsAlias(_) => {
            Reply::error("add_phone PHONE LOGIN IS A PHONE ALIAS ID", u, p(Field::PhoneLogin))
        }
        PhoneError::TemplateNotFound(_) => Reply::error(
            "add_phone TEMPLATE ID DOES NOT EXIST, THIS IS AN OPTIONAL FIELD",
            u,
            &format!("{}|{}", p(Field::PhoneLogin), p(Field::TemplateId)),
        ),
        PhoneError::Invalid(inv) => match inv.errors.first() {
            Some(fe) => call.invalid(F, fe.field.param(), &fe.rule),
            None => call.db_error(F, &"empty validation error"),
        },
        PhoneError::NotFound { .. } => call.db_error(F, &"phone vanished during add"),
        PhoneError::Db(e) => call.db_error(F, &e),
    }
}
