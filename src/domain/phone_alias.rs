//! Phone alias rules: an alias id agents type instead of a phone login, resolved to a list of logins.
//!
//! Pure; compiled for WASM and server. That the listed logins exist, and that the alias id is not
//! itself a phone login, is checked by the service.

use serde::{Deserialize, Serialize};

use super::phone_entry::{validate_phone_login, FieldError};

/// Alias id length limits (`phones_alias.alias_id` VARCHAR(20)).
pub const ALIAS_ID_LEN: (usize, usize) = (2, 20);
/// Alias name length limits (VARCHAR(50)).
pub const ALIAS_NAME_LEN: (usize, usize) = (1, 50);
/// Logins list length limit (VARCHAR(255)).
pub const LOGINS_LIST_MAX: usize = 255;

/// What an alias field broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum InvalidAlias {
    /// The alias id is not 2-20 letters, digits, `_` or `-`.
    #[error("alias_id must be 2 to 20 characters of letters, digits, _ and -")]
    AliasId,
    /// The alias name is empty, too long, or holds a forbidden character.
    #[error("alias_name must be 1 to 50 characters with no control characters, double quotes, semicolons, angle brackets, square brackets or backslashes")]
    AliasName,
    /// The logins list is empty, too long, has an empty or repeated element.
    #[error("phone_logins must be a comma-separated list of phone logins with no empty or repeated entries, at most 255 characters")]
    LoginsList,
    /// One listed login breaks the phone-login rule.
    #[error("phone_logins entry {login:?}: {error}")]
    Login {
        /// The login.
        login: String,
        /// The rule it broke.
        error: FieldError,
    },
}

/// Alias id: 2-20 of letters, digits, `_` and `-`.
pub fn validate_alias_id(value: &str) -> Result<String, InvalidAlias> {
    let n = value.chars().count();
    if (ALIAS_ID_LEN.0..=ALIAS_ID_LEN.1).contains(&n)
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Ok(value.to_string())
    } else {
        Err(InvalidAlias::AliasId)
    }
}

/// Alias name: 1-50 characters, no control characters, none of `" ; < > [ ] \`, not blank.
pub fn validate_alias_name(value: &str) -> Result<String, InvalidAlias> {
    let n = value.chars().count();
    let bad = value.chars().any(|c| c.is_control() || "\";<>[]\\".contains(c));
    if (ALIAS_NAME_LEN.0..=ALIAS_NAME_LEN.1).contains(&n) && !bad && !value.trim().is_empty() {
        Ok(value.to_string())
    } else {
        Err(InvalidAlias::AliasName)
    }
}

/// Logins list: comma-separated phone logins, each valid, none empty or repeated (case-insensitive),
/// at most 255 characters. Returns the logins in order.
pub fn validate_logins_list(value: &str) -> Result<Vec<String>, InvalidAlias> {
    if value.is_empty() || value.len() > LOGINS_LIST_MAX {
        return Err(InvalidAlias::LoginsList);
    }
    let mut logins: Vec<String> = Vec::new();
    for login in value.split(',') {
        if login.is_empty() || logins.iter().any(|l| l.eq_ignore_ascii_case(login)) {
            return Err(InvalidAlias::LoginsList);
        }
        validate_phone_login(login).map_err(|error| InvalidAlias::Login { login: login.to_string(), error })?;
        logins.push(login.to_string());
    }
    Ok(logins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_rules() {
        assert!(validate_alias_id("aliasX").is_ok());
        assert!(validate_alias_id("a").is_err());
        assert!(validate_alias_id(&"a".repeat(21)).is_err());
        assert!(validate_alias_id("a b").is_err());
        assert!(validate_alias_name("Front desk").is_ok());
        assert!(validate_alias_name("a;b").is_err());
        assert!(validate_alias_name("").is_err());
        assert_eq!(validate_logins_list("a1,b2"), Ok(vec!["a1".to_string(), "b2".to_string()]));
        assert!(validate_logins_list("a1,,b2").is_err());
        assert!(validate_logins_list("a1,").is_err());
        assert!(validate_logins_list("a1,A1").is_err());
        assert!(matches!(validate_logins_list("a1,b c"), Err(InvalidAlias::Login { .. })));
    }
}
