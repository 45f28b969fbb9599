//! What the phone page shows, as plain data built from a stored phone: its fields grouped as the
//! wizard's steps with the secrets masked, display text for the values, the Asterisk stanza with its
//! secret lines masked, and the field changes of its audit entries.
//!
//! No UI and no I/O: the server builds these values, the page renders them. Secrets are masked here,
//! before anything is serialized for the browser.

use serde::{Deserialize, Serialize};

use crate::domain::wizard::Step;
use crate::domain::{Field, PhoneEntryInput};

/// What a secret shows instead of its value.
pub const MASK: &str = "••••••";

/// Shown for a value that is not set.
pub const NOT_SET: &str = "(none)";

/// One group of the details (a `<dl>` on the page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailGroup {
    /// The group's heading.
    pub title: String,
    /// Its fields, in order.
    pub items: Vec<DetailItem>,
}

/// One field of the details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailItem {
    /// The field (its label is [`Field::label`]).
    pub field: Field,
    /// The value as shown; [`MASK`] for a secret.
    pub value: String,
}

/// The phone's fields grouped as the wizard's steps ([`Step::fields`]), with display values; secrets
/// are [`MASK`]ed, whatever their value. `server_id` names the phone's server when known. A phone
/// whose protocol never registers (EXTERNAL, Zap: `registers` false) has no registration password
/// to show, so that field is left out.
pub fn detail_groups(input: &PhoneEntryInput, server_id: Option<&str>, registers: bool) -> Vec<DetailGroup> {
    Step::ALL
        .iter()
        .filter(|step| !step.fields().is_empty())
        .map(|step| DetailGroup {
            title: step.short_title().to_string(),
            items: step
                .fields()
                .iter()
                .filter(|&&field| registers || field != Field::RegistrationPassword)
                .map(|&field| DetailItem { field, value: display_value(field, input.get(field), server_id) })
                .collect(),
        })
        .collect()
}

/// How a stored value reads on the page: secrets masked, Y/N flags as Yes/No, the ring timeout in
/// seconds, the server with its id; anything unexpected (e.g. a row imported from VICIdial) as stored.
pub fn display_value(field: Field, raw: &str, server_id: Option<&str>) -> String {
    if field.is_secret() {
        return MASK.to_string();
    }
    if raw.is_empty() {
        return NOT_SET.to_string();
    }
    let yes_no = |raw: &str| match raw {
        "Y" => "Yes".to_string(),
        "N" => "No".to_string(),
        other => other.to_string(),
    };
    match field {
        Field::IsWebphone if raw == "Y_API_LAUNCH" => "Yes, launched through the API (Y_API_LAUNCH)".to_string(),
        Field::IsWebphone
        | Field::WebphoneAutoAnswer
        | Field::UseExternalServerIp
        | Field::OnHookAgent
        | Field::Active
        | Field::DeleteVmAfterEmail => yes_no(raw),
        Field::PhoneRingTimeout => format!("{raw} seconds"),
        Field::ServerIp => match server_id {
            Some(id) if !id.is_empty() => format!("{raw} ({id})"),
            _ => raw.to_string(),
        },
        Field::AdminUserGroup if raw == crate::domain::phone_entry::ALL_GROUPS => format!("{raw} (all groups)"),
        _ => raw.to_string(),
    }
}

/// Whether a configuration line's name marks a secret (`secret`, `md5secret`,
/// `inbound_auth/password` …).
fn is_secret_name(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    name.contains("secret") || name.contains("password")
}

/// The configuration text with the value of every secret line masked: a line `name=value` or
/// `name => value` whose name contains `secret` or `password` (the generator's `secret=`,
/// `inbound_auth/password=`, and any such line from a template or `conf_override`) keeps its name and
/// shows [`MASK`].
pub fn mask_conf_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        match body.find('=') {
            Some(eq) if is_secret_name(&body[..eq]) => {
                let arrow = if body[eq + 1..].starts_with('>') { "> " } else { "" };
                out.push_str(&body[..eq]);
                out.push('=');
                out.push_str(arrow);
                out.push_str(MASK);
            }
            _ => out.push_str(body),
        }
        out.push_str(end);
    }
    out
}

/// The phone's Asterisk configuration as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfView {
    /// The state's short label (`pending`, `applied`, `no peer` …).
    pub label: String,
    /// What the state means for this phone.
    pub detail: String,
    /// The file the peer goes into (`sip-vicidial.conf` …), `None` without a peer.
    pub peer_file: Option<String>,
    /// The peer stanza, secrets masked.
    pub stanza: String,
    /// The `extensions-vicidial.conf` lines.
    pub dialplan: String,
    /// Why the generator leaves this phone out, if it does.
    pub refusal: Option<String>,
}

/// The label and explanation of a phone's configuration state.
#[cfg(feature = "ssr")]
pub fn conf_state_text(state: &crate::domain::asterisk_conf::PhoneConfState) -> (String, String) {
    use crate::domain::asterisk_conf::PhoneConfState as S;
    let detail = match state {
        S::NoPeer(why) => (*why).to_string(),
        S::NotGenerated => {
            "this server does not generate conf files (generate_vicidial_conf or active_asterisk_server is N)".into()
        }
        S::Refused(why) => format!("the generator leaves this phone out: {why}"),
        S::Pending => "the change waits for the next generation (within seconds)".into(),
        S::Written => "written; the server has no AMI settings, so reload Asterisk by hand".into(),
        S::ReloadFailed(error) => format!("written, but the Asterisk reload failed: {error}"),
        S::Applied => "written and Asterisk reloaded".into(),
    };
    (state.label().to_string(), detail)
}

/// One entry of the phone's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When (`YYYY-MM-DD HH:MM:SS UTC`).
    pub date: String,
    /// Who.
    pub user: String,
    /// `ADD`, `MODIFY`, `DELETE`, `OTHER`.
    pub event_type: String,
    /// VICIdial's event code (`ADMIN ADD PHONE`, `ADMIN API UPDATE PHONE` …).
    pub event_code: String,
    /// The notes after the phone's own prefix (e.g. `revealed registration_password`), if any.
    pub note: String,
    /// The changed fields.
    pub changes: Vec<FieldChange>,
}

/// One changed field of a history entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's label (or the stored key, for a key this version does not know).
    pub field: String,
    /// The value before (`None`: not set, e.g. on an add).
    pub old: Option<String>,
    /// The value after (`None`: removed, e.g. on a delete).
    pub new: Option<String>,
}

/// The field changes of an audit diff (`{"field": {"old": .., "new": ..}}`), in the form's field
/// order. Secrets were redacted when the entry was written; a secret field is shown redacted here
/// whatever the entry holds, so an entry written by another tool cannot leak one. An entry that is
/// not such JSON has no changes.
#[cfg(feature = "ssr")]
pub fn diff_changes(diff: &str) -> Vec<FieldChange> {
    use crate::service::audit::REDACTED;
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(diff) else {
        return Vec::new();
    };
    let text = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    let mut changes: Vec<(usize, FieldChange)> = map
        .iter()
        .map(|(key, change)| {
            let field = Field::ALL.into_iter().position(|f| f.param() == key);
            let (old, new) = (text(change.get("old")), text(change.get("new")));
            let secret = field.is_some_and(|i| Field::ALL[i].is_secret())
                || is_secret_name(key)
                || key.eq_ignore_ascii_case("pass")
                || key.eq_ignore_ascii_case("conf_secret");
            let (old, new) = if secret {
                (old.map(|_| REDACTED.to_string()), new.map(|_| REDACTED.to_string()))
            } else {
                (old, new)
            };
            let label = field.map_or_else(|| key.clone(), |i| Field::ALL[i].label().to_string());
            (field.unwrap_or(usize::MAX), FieldChange { field: label, old, new })
        })
        .collect();
    changes.sort_by_key(|(order, _)| *order);
    changes.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PhoneEntryInput {
        PhoneEntryInput {
            extension: "cc101".into(),
            phone_pass: "loginSecret9".into(),
            registration_password: "regSecret9".into(),
            server_ip: "10.10.10.15".into(),
            is_webphone: "Y_API_LAUNCH".into(),
            active: "Y".into(),
            phone_ring_timeout: "60".into(),
            admin_user_group: "---ALL---".into(),
            ..Default::default()
        }
    }

    #[test]
    fn groups_follow_the_wizard_and_mask_secrets() {
        let groups = detail_groups(&input(), Some("ast1"), true);
        let titles: Vec<_> = groups.iter().map(|g| g.title.as_str()).collect();
        assert_eq!(titles, ["Device", "Identity", "Server and credentials", "Person", "Options"]);
        let all: Vec<_> = groups.iter().flat_map(|g| &g.items).collect();
        // Every field but none twice.
        assert_eq!(all.len(), Field::ALL.len());
        let value = |f: Field| all.iter().find(|i| i.field == f).map(|i| i.value.clone()).expect("field shown");
        assert_eq!(value(Field::PhonePass), MASK);
        assert_eq!(value(Field::RegistrationPassword), MASK);
        assert!(!format!("{groups:?}").contains("Secret9"));
        assert_eq!(value(Field::ServerIp), "10.10.10.15 (ast1)");
        assert_eq!(value(Field::IsWebphone), "Yes, launched through the API (Y_API_LAUNCH)");
        assert_eq!(value(Field::Active), "Yes");
        assert_eq!(value(Field::PhoneRingTimeout), "60 seconds");
        assert_eq!(value(Field::AdminUserGroup), "---ALL--- (all groups)");
        assert_eq!(value(Field::Email), NOT_SET);

        // A protocol that never registers has no registration password to show.
        let groups = detail_groups(&input(), Some("ast1"), false);
        let fields: Vec<_> = groups.iter().flat_map(|g| &g.items).map(|i| i.field).collect();
        assert_eq!(fields.len(), Field::ALL.len() - 1);
        assert!(fields.contains(&Field::PhonePass) && !fields.contains(&Field::RegistrationPassword));
    }

    #[test]
    fn secret_lines_of_a_stanza_are_masked() {
        let sip = "[cc101]\nusername=cc101\nsecret=regSecret9\nMD5Secret = x\ncontext=default\n";
        assert_eq!(
            mask_conf_secrets(sip),
            format!("[cc101]\nusername=cc101\nsecret={MASK}\nMD5Secret ={MASK}\ncontext=default\n")
        );
        let pjsip = "inbound_auth/password=regSecret9\nsecret => abc\n;secret=commented";
        assert_eq!(mask_conf_secrets(pjsip), format!("inbound_auth/password={MASK}\nsecret => {MASK}\n;secret={MASK}"));
        assert_eq!(mask_conf_secrets("exten => 101,1,Dial(SIP/cc101,60,)"), "exten => 101,1,Dial(SIP/cc101,60,)");
    }

    #[test]
    fn diffs_read_in_form_order_with_secrets_redacted() {
        let diff = r#"{"phone_pass":{"old":"[redacted]","new":"leaked"},"extension":{"old":null,"new":"cc101"},
            "odd_key":{"old":1,"new":2}}"#;
        let changes = diff_changes(diff);
        assert_eq!(
            changes,
            [
                FieldChange { field: "Extension".into(), old: None, new: Some("cc101".into()) },
                FieldChange {
                    field: "Login password".into(),
                    old: Some("[redacted]".into()),
                    new: Some("[redacted]".into())
                },
                FieldChange { field: "odd_key".into(), old: Some("1".into()), new: Some("2".into()) },
            ]
        );
        assert!(diff_changes("not json").is_empty());
    }
}
