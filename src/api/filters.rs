//! VICIdial's input filters (`use_non_latin=0`): for each parameter, the characters VICIdial keeps.
//! Dialtone never applies them to stored data; it uses them only to know when VICIdial would have
//! silently altered a value, so that such a value gets Dialtone's own `ERROR:` line instead of a
//! VICIdial line that would echo it.

/// Whether VICIdial's filter for `param` keeps every character of `value` (so VICIdial would have
/// used the value unchanged).
pub fn kept_unchanged(param: &str, value: &str) -> bool {
    let base = |c: char| c.is_ascii_alphanumeric();
    let login = |c: char| base(c) || c == '-' || c == '_';
    value.chars().all(|c| match param {
        "source" | "voicemail_id" | "protocol" | "outbound_alt_cid" => base(c),
        "dialplan_number" => base(c) || c == '*' || c == '#',
        "server_ip" => login(c) || c == '.' || c == ':',
        "local_gmt" => c.is_ascii_digit() || c == '-' || c == '.',
        "phone_full_name" => login(c) || c == ' ' || c == '+' || c == '.',
        // Digits only after the first filter (unless exactly ---ALL---).
        "outbound_cid" => c.is_ascii_digit(),
        "email" => login(c) || " '+.:/@%".contains(c),
        "phone_logins" => login(c) || c == ',',
        "alias_name" => login(c) || " +.:/@".contains(c),
        "delete_phone" | "delete_alias" | "active" => c.is_ascii_uppercase(),
        "phone_ring_timeout" => c.is_ascii_digit(),
        "delete_vm_after_email" => c.is_ascii_alphabetic(),
        // extension, phone_login, phone_pass, registration_password, phone_context, admin_user_group,
        // is_webphone, webphone_auto_answer, use_external_server_ip, template_id, on_hook_agent,
        // alias_id, stage, user, pass, function.
        _ => login(c),
    })
}

/// `value` with the characters VICIdial's filter for `param` removes taken out. Used only to echo a
/// failed login's user and password the way VICIdial does (never for stored data).
pub fn vicidial_filtered(param: &str, value: &str) -> String {
    value.chars().filter(|c| kept_unchanged(param, c.encode_utf8(&mut [0; 4]))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert!(kept_unchanged("extension", "cc-101_x"));
        assert!(!kept_unchanged("extension", "ab@c"));
        assert!(kept_unchanged("dialplan_number", "*98#"));
        assert!(!kept_unchanged("protocol", "SIP/"));
        assert!(!kept_unchanged("phone_full_name", "José"));
        assert!(kept_unchanged("email", "o'brien@example.com"));
        assert!(!kept_unchanged("local_gmt", "+5.5"));
        assert_eq!(vicidial_filtered("pass", "a b'c"), "abc");
    }
}
