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
    let len = old_fields.as_ref().or(new_fields.as_ref()).map_or(0, Vec::len);
    // Written directly (keys in order, inner ones too, as a JSON object map sorts them): building a `Value` tree for
    // every added phone was a measurable part of an add_phone call.
    let mut changed: Vec<(&'static str, Option<&str>, Option<&str>, bool)> = Vec::with_capacity(len);
    for i in 0..len {
        let o = old_fields.as_ref().map(|f| &f[i]);
        let n = new_fields.as_ref().map(|f| &f[i]);
        let Some(field) = o.or(n).map(|(f, _)| *f) else { continue };
        if o.map(|(_, v)| v) != n.map(|(_, v)| v) {
            changed.push((field.param(), o.map(|(_, v)| v.as_str()), n.map(|(_, v)| v.as_str()), field.is_secret()));
        }
    }
    changed.sort_unstable_by_key(|c| c.0);
    let mut out = Vec::with_capacity(64 + changed.len() * 48);
    out.push(b'{');
    for (i, (name, o, n, secret)) in changed.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_string(&mut out, name);
        out.extend_from_slice(b":{\"new\":");
        json_value(&mut out, *n, *secret);
        out.extend_from_slice(b",\"old\":");
        json_value(&mut out, *o, *secret);
        out.push(b'}');
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `s` as a JSON string (`serde_json`'s escaping).
fn json_string(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Appends a diff side: `null` when absent, the redaction mark for a secret, else the value.
fn json_value(out: &mut Vec<u8>, value: Option<&str>, secret: bool) {
    match value {
        None => out.extend_from_slice(b"null"),
        Some(_) if secret => json_string(out, REDACTED),
        Some(v) => json_string(out, v),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{validate_phone_entry, PhoneEntryInput, ProtocolSet};

    /// The diff as a `serde_json` object builds it (what `phone_diff` wrote before it wrote directly).
    fn via_value(old: Option<&PhoneEntry>, new: Option<&PhoneEntry>) -> String {
        let (o, n) = (old.map(audited_fields), new.map(audited_fields));
        let mut map = Map::new();
        for i in 0..o.as_ref().or(n.as_ref()).map_or(0, Vec::len) {
            let (a, b) = (o.as_ref().map(|f| &f[i]), n.as_ref().map(|f| &f[i]));
            let field = a.or(b).map(|(f, _)| *f).expect("field");
            if a.map(|(_, v)| v) == b.map(|(_, v)| v) {
                continue;
            }
            let show = |v: Option<&(Field, String)>| match v {
                None => Value::Null,
                Some(_) if field.is_secret() => Value::String(REDACTED.into()),
                Some((_, v)) => Value::String(v.clone()),
            };
            map.insert(field.param().to_string(), json!({ "old": show(a), "new": show(b) }));
        }
        Value::Object(map).to_string()
    }

    fn entry(name: &str, pass: &str) -> PhoneEntry {
        let input = PhoneEntryInput {
            extension: "cc101".into(),
            dialplan_number: "101".into(),
            voicemail_id: "101".into(),
            phone_login: "cc101".into(),
            phone_pass: pass.into(),
            server_ip: "10.10.10.15".into(),
            protocol: "SIP".into(),
            registration_password: "secret101".into(),
            phone_full_name: name.into(),
            local_gmt: "-5.00".into(),
            outbound_cid: "3125551101".into(),
            email: "a+b@example.com".into(),
            ..Default::default()
        };
        validate_phone_entry(&input, ProtocolSet::WebAdmin).expect("valid")
    }

    #[test]
    fn the_direct_diff_is_byte_for_byte_the_json_object() {
        let a = entry("José Müller", "test");
        let b = entry("Zoë O'Neil", "other1");
        for (old, new) in [(None, Some(&a)), (Some(&a), None), (Some(&a), Some(&b)), (Some(&a), Some(&a))] {
            assert_eq!(phone_diff(old, new), via_value(old, new));
        }
        let change = phone_diff(Some(&a), Some(&b));
        assert!(change.contains(r#""phone_pass":{"new":"[redacted]","old":"[redacted]"}"#), "{change}");
        assert!(!change.contains("other1"), "{change}");
        assert_eq!(phone_diff(Some(&a), Some(&a)), "{}");
    }
}
