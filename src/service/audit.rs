//! Building audit entries: field-level diffs as JSON with every secret redacted.

use serde_json::{json, Map, Value};

use crate::domain::{Field, PhoneEntry};

/// What secrets are replaced with in audit entries.
pub const REDACTED: &str = "[redacted]";

/// The audited fields of a phone entry with their values; secrets redacted.
fn audited_fields(e: &PhoneEntry) -> Vec<(Field, String)> {
    let fields = vec![
        (Field::Extension, e.extension.clone()),
        (Field::DialplanNumber, e.dialplan_number.clone()),
        (Field::VoicemailId, e.voicemail_id.clone()),
        (Field::PhoneLogin, e.phone_login.clone()),
        (Field::PhonePass, e.phone_pass.clone()),
        (Field::ServerIp, e.server_ip.clone()),
        (Field::Protocol, e.protocol.as_str().to_string()),
        (Field::RegistrationPassword, e.registration_password.clone()),
        (Field::PhoneFullName, e.phone_full_name.clone()),
        (Field::LocalGmt, e.local_gmt.clone()),
        (Field::OutboundCid, e.outbound_cid.clone()),
        (Field::Email, e.email.clone()),
        (Field::PhoneContext, e.phone_context.clone()),
        (Field::AdminUserGroup, e.user_group.clone()),
        (Field::IsWebphone, e.is_webphone.as_str().to_string()),
        (Field::WebphoneAutoAnswer, e.webphone_auto_answer.as_str().to_string()),
        (Field::UseExternalServerIp, e.use_external_server_ip.as_str().to_string()),
        (Field::OnHookAgent, e.on_hook_agent.as_str().to_string()),
        (Field::TemplateId, e.template_id.clone()),
        (Field::Status, e.status.as_str().to_string()),
        (Field::Active, e.active.as_str().to_string()),
        (Field::PhoneType, e.phone_type.clone()),
        (Field::PhoneRingTimeout, e.phone_ring_timeout.to_string()),
        (Field::OutboundAltCid, e.outbound_alt_cid.clone()),
        (Field::DeleteVmAfterEmail, e.delete_vm_after_email.as_str().to_string()),
    ];
    fields
}

/// A JSON diff `{"field": {"old": .., "new": ..}}` between two versions of a phone (either may be
/// absent, for an add or a delete). Only changed fields appear; a changed secret appears as
/// `{"old": "[redacted]", "new": "[redacted]"}` so the change is visible but not the value.
pub fn phone_diff(old: Option<&PhoneEntry>, new: Option<&PhoneEntry>) -> String {
    let old_fields = old.map(audited_fields);
    let new_fields = new.map(audited_fields);
    let mut map = Map::new();
    let len = old_fields.as_ref().or(new_fields.as_ref()).map_or(0, Vec::len);
    for i in 0..len {
        let o = old_fields.as_ref().map(|f| &f[i]);
        let n = new_fields.as_ref().map(|f| &f[i]);
        let field = o.or(n).map(|(f, _)| *f);
        let (Some(field), true) = (field, o.map(|(_, v)| v) != n.map(|(_, v)| v)) else {
            continue;
        };
        let show = |v: Option<&(Field, String)>| match v {
            None => Value::Null,
            Some(_) if field.is_secret() => Value::String(REDACTED.into()),
            Some((_, v)) => Value::String(v.clone()),
        };
        map.insert(field.param().to_string(), json!({ "old": show(o), "new": show(n) }));
    }
    Value::Object(map).to_string()
}

/// A JSON diff for plain (non-secret) key/value changes.
pub fn simple_diff(pairs: &[(&str, Option<&str>, Option<&str>)]) -> String {
    let mut map = Map::new();
    for (key, old, new) in pairs {
        if old != new {
            map.insert((*key).to_string(), json!({ "old": old, "new": new }));
        }
    }
    Value::Object(map).to_string()
}
