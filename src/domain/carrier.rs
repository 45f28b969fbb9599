//! A carrier (VICIdial's `vicidial_server_carriers`: a trunk of one Asterisk server and the dialplan
//! lines that send numbers out through it): its raw input, its validated form, and one check per field.
//!
//! [`validate_carrier`] is the single entry point the web admin and the CLI call; it returns the
//! validated carrier or every field error, each naming the field and the rule (as
//! [`validate_phone_entry`](super::validate_phone_entry) does). Values are checked as given, without
//! trimming, as phone entries are; only the dialplan entry's line endings are normalised (`\r\n` to
//! `\n`, as conf templates are), since browsers send a text area's lines that way. Rules that need the
//! database (the carrier id being free, the server existing) are the service's.
//!
//! Pure: compiled for the browser and the server; must not depend on storage, services or the UI.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::dial_pattern::{parse_dialplan_entry, LineError, PatternLine};
use super::phone_entry::{validate_server_ip, Flag, Protocol, ProtocolSet, Rule};

/// Carrier id length limits (VICIdial: `carrier_id` VARCHAR(15), at least 2 characters).
pub const CARRIER_ID_LEN: (usize, usize) = (2, 15);
/// Carrier name length limits in characters (VARCHAR(50)).
pub const CARRIER_NAME_LEN: (usize, usize) = (1, 50);
/// Registration string length limit (VARCHAR(255)).
pub const REGISTRATION_STRING_MAX: usize = 255;
/// Dialplan entry length limit in characters (a TEXT column; Dialtone's limit).
pub const DIALPLAN_ENTRY_MAX: usize = 10_000;
/// Carrier description length limit (VARCHAR(255)).
pub const CARRIER_DESCRIPTION_MAX: usize = 255;

/// A carrier field, named as its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CarrierField {
    /// `carrier_id`
    CarrierId,
    /// `carrier_name`
    CarrierName,
    /// `server_ip`
    ServerIp,
    /// `protocol`
    Protocol,
    /// `registration_string`
    RegistrationString,
    /// `dialplan_entry`
    DialplanEntry,
    /// `active`
    Active,
    /// `carrier_description`
    CarrierDescription,
}

impl CarrierField {
    /// Every field, in form order (the order errors are reported in).
    pub const ALL: [CarrierField; 8] = [
        CarrierField::CarrierId,
        CarrierField::CarrierName,
        CarrierField::ServerIp,
        CarrierField::Protocol,
        CarrierField::RegistrationString,
        CarrierField::DialplanEntry,
        CarrierField::Active,
        CarrierField::CarrierDescription,
    ];

    /// The column (and form field) name.
    pub fn param(self) -> &'static str {
        match self {
            CarrierField::CarrierId => "carrier_id",
            CarrierField::CarrierName => "carrier_name",
            CarrierField::ServerIp => "server_ip",
            CarrierField::Protocol => "protocol",
            CarrierField::RegistrationString => "registration_string",
            CarrierField::DialplanEntry => "dialplan_entry",
            CarrierField::Active => "active",
            CarrierField::CarrierDescription => "carrier_description",
        }
    }

    /// The label the web admin shows.
    pub fn label(self) -> &'static str {
        match self {
            CarrierField::CarrierId => "Carrier ID",
            CarrierField::CarrierName => "Name",
            CarrierField::ServerIp => "Server",
            CarrierField::Protocol => "Protocol",
            CarrierField::RegistrationString => "Registration string",
            CarrierField::DialplanEntry => "Dialplan entry",
            CarrierField::Active => "Active",
            CarrierField::CarrierDescription => "Description",
        }
    }

    /// The field named `param`, if any.
    pub fn from_param(param: &str) -> Option<CarrierField> {
        CarrierField::ALL.into_iter().find(|f| f.param() == param)
    }

    /// Whether the value may hold a secret (a registration string carries the trunk's password:
    /// `register => user:secret@host`), so it is never put into an audit entry.
    pub fn is_secret(self) -> bool {
        self == CarrierField::RegistrationString
    }
}

impl fmt::Display for CarrierField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.param())
    }
}

/// The rule a carrier value broke. Its `Display` follows the field name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CarrierRule {
    /// A rule shared with phone entries (length, characters, IPv4, protocol, Y/N, taken, missing).
    Field(Rule),
    /// A line break in a one-line value.
    LineBreak,
    /// A line of the dialplan entry is not allowed; `more` other lines are not either.
    Dialplan {
        /// The first such line.
        first: LineError,
        /// How many more.
        more: usize,
    },
    /// An active carrier without any `exten =>` line.
    NoExtenLine,
}

impl fmt::Display for CarrierRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CarrierRule::Field(rule) => write!(f, "{rule}"),
            CarrierRule::LineBreak => f.write_str("may not contain a line break"),
            CarrierRule::Dialplan { first, more: 0 } => write!(f, "{first}"),
            CarrierRule::Dialplan { first, more: 1 } => write!(f, "{first} (and 1 more line is wrong)"),
            CarrierRule::Dialplan { first, more } => write!(f, "{first} (and {more} more lines are wrong)"),
            CarrierRule::NoExtenLine => f.write_str(
                "needs at least one exten => line while the carrier is active (e.g. exten => _91NXXNXXXXXX,1,Dial(SIP/trunk/${EXTEN:1},,tTo))",
            ),
        }
    }
}

/// One carrier field that failed one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field} {rule}")]
pub struct CarrierFieldError {
    /// The field.
    pub field: CarrierField,
    /// The rule it broke.
    pub rule: CarrierRule,
}

impl CarrierFieldError {
    /// An error of `field` against `rule`.
    pub fn new(field: CarrierField, rule: CarrierRule) -> Self {
        CarrierFieldError { field, rule }
    }

    /// An error of `field` against a rule shared with phone entries.
    pub fn field(field: CarrierField, rule: Rule) -> Self {
        CarrierFieldError { field, rule: CarrierRule::Field(rule) }
    }
}

/// Every field error of one carrier, in field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("invalid carrier: {}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidCarrier {
    /// The errors, at least one.
    pub errors: Vec<CarrierFieldError>,
}

impl InvalidCarrier {
    /// The error for `field`, if any.
    pub fn for_field(&self, field: CarrierField) -> Option<&CarrierFieldError> {
        self.errors.iter().find(|e| e.field == field)
    }
}

/// A carrier as typed or sent: every value a string.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CarrierInput {
    /// `carrier_id`: 2-15 letters, digits, `_`, `-`.
    pub carrier_id: String,
    /// `carrier_name`: 1-50 printable characters.
    pub carrier_name: String,
    /// `server_ip`: the Asterisk server the trunk is on.
    pub server_ip: String,
    /// `protocol`: SIP, PJSIP, IAX2, Zap or EXTERNAL.
    pub protocol: String,
    /// `registration_string`: one line (may be empty); may hold the trunk's password.
    pub registration_string: String,
    /// `dialplan_entry`: `exten =>` / `same =>` lines.
    pub dialplan_entry: String,
    /// `active`: Y or N (`Y` when empty).
    pub active: String,
    /// `carrier_description`: optional, at most 255 characters.
    pub carrier_description: String,
}

impl fmt::Debug for CarrierInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CarrierInput")
            .field("carrier_id", &self.carrier_id)
            .field("server_ip", &self.server_ip)
            .field("protocol", &self.protocol)
            .field("registration_string", &"[redacted]")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// A carrier that passed every rule.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// `carrier_id`
    pub carrier_id: String,
    /// `carrier_name`
    pub carrier_name: String,
    /// `server_ip`
    pub server_ip: String,
    /// `protocol`
    pub protocol: Protocol,
    /// `registration_string` (may hold a secret).
    pub registration_string: String,
    /// `dialplan_entry`, lines ending in `\n`.
    pub dialplan_entry: String,
    /// `active`
    pub active: Flag,
    /// `carrier_description`
    pub carrier_description: String,
    /// The extensions of the dialplan entry, each once with its first line.
    pub patterns: Vec<PatternLine>,
}

impl fmt::Debug for Carrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Carrier")
            .field("carrier_id", &self.carrier_id)
            .field("server_ip", &self.server_ip)
            .field("protocol", &self.protocol)
            .field("registration_string", &"[redacted]")
            .field("active", &self.active)
            .field("patterns", &self.patterns)
            .finish_non_exhaustive()
    }
}

impl Carrier {
    /// The carrier as input strings (for editing and re-validation).
    pub fn to_input(&self) -> CarrierInput {
        CarrierInput {
            carrier_id: self.carrier_id.clone(),
            carrier_name: self.carrier_name.clone(),
            server_ip: self.server_ip.clone(),
            protocol: self.protocol.as_str().to_string(),
            registration_string: self.registration_string.clone(),
            dialplan_entry: self.dialplan_entry.clone(),
            active: self.active.as_str().to_string(),
            carrier_description: self.carrier_description.clone(),
        }
    }
}

fn length(field: CarrierField, value: &str, (min, max): (usize, usize)) -> Result<(), CarrierFieldError> {
    let actual = value.chars().count();
    if actual == 0 && min > 0 {
        return Err(CarrierFieldError::field(field, Rule::Required));
    }
    if actual < min || actual > max {
        return Err(CarrierFieldError::field(field, Rule::Length { min, max, actual }));
    }
    Ok(())
}

/// A one-line text: no line break, no other control character.
fn one_line(field: CarrierField, value: &str) -> Result<(), CarrierFieldError> {
    match value.chars().find(|c| c.is_control()) {
        Some('\n' | '\r') => Err(CarrierFieldError::new(field, CarrierRule::LineBreak)),
        Some(c) => Err(CarrierFieldError::field(field, Rule::ForbiddenChar(c))),
        None => Ok(()),
    }
}

/// Carrier id: 2-15 ASCII letters, digits, `_` and `-` (VICIdial's rule).
pub fn validate_carrier_id(value: &str) -> Result<String, CarrierFieldError> {
    length(CarrierField::CarrierId, value, CARRIER_ID_LEN)?;
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(CarrierFieldError::field(
            CarrierField::CarrierId,
            Rule::Charset("letters, digits, _ and -".into()),
        ));
    }
    Ok(value.to_string())
}

/// Carrier name: 1-50 printable characters (Unicode letters allowed), not only whitespace.
pub fn validate_carrier_name(value: &str) -> Result<String, CarrierFieldError> {
    length(CarrierField::CarrierName, value, CARRIER_NAME_LEN)?;
    one_line(CarrierField::CarrierName, value)?;
    if value.trim().is_empty() {
        return Err(CarrierFieldError::field(CarrierField::CarrierName, Rule::Blank));
    }
    Ok(value.to_string())
}

/// Server IP: a dotted IPv4 address (the phone entries' rule). That the server exists is checked by
/// the service.
pub fn validate_carrier_server_ip(value: &str) -> Result<String, CarrierFieldError> {
    validate_server_ip(value).map_err(|e| CarrierFieldError::field(CarrierField::ServerIp, e.rule))
}

/// Protocol: exactly SIP, PJSIP, IAX2, Zap or EXTERNAL (VICIdial's spellings, case-sensitive).
pub fn validate_carrier_protocol(value: &str) -> Result<Protocol, CarrierFieldError> {
    if value.is_empty() {
        return Err(CarrierFieldError::field(CarrierField::Protocol, Rule::Required));
    }
    Protocol::parse(value)
        .ok_or_else(|| CarrierFieldError::field(CarrierField::Protocol, Rule::Protocol(ProtocolSet::WebAdmin)))
}

/// Registration string: empty, or one line of at most 255 characters.
pub fn validate_registration_string(value: &str) -> Result<String, CarrierFieldError> {
    length(CarrierField::RegistrationString, value, (0, REGISTRATION_STRING_MAX))?;
    one_line(CarrierField::RegistrationString, value)?;
    Ok(value.to_string())
}

/// Dialplan entry: at most 10,000 characters (after `\r\n` became `\n`), every non-blank,
/// non-comment line an `exten =>` or `same =>` line with a valid extension, priority and application,
/// and at least one `exten =>` line when the carrier is `active`. Returns the normalised text and its
/// extensions.
pub fn validate_dialplan_entry(value: &str, active: bool) -> Result<(String, Vec<PatternLine>), CarrierFieldError> {
    let field = CarrierField::DialplanEntry;
    let text = value.replace("\r\n", "\n");
    length(field, &text, (0, DIALPLAN_ENTRY_MAX))?;
    let entry = parse_dialplan_entry(&text);
    let mut problems = entry.problems.into_iter();
    if let Some(first) = problems.next() {
        return Err(CarrierFieldError::new(field, CarrierRule::Dialplan { first, more: problems.count() }));
    }
    if active && entry.exten_lines == 0 {
        return Err(CarrierFieldError::new(field, CarrierRule::NoExtenLine));
    }
    Ok((text, entry.patterns))
}

/// Active: Y or N (either case); `Y` when empty.
pub fn validate_carrier_active(value: &str) -> Result<Flag, CarrierFieldError> {
    match value {
        "" => Ok(Flag::Y),
        v if v.eq_ignore_ascii_case("Y") => Ok(Flag::Y),
        v if v.eq_ignore_ascii_case("N") => Ok(Flag::N),
        _ => Err(CarrierFieldError::field(CarrierField::Active, Rule::OneOf(vec!["Y".into(), "N".into()]))),
    }
}

/// Description: optional, one line of at most 255 characters.
pub fn validate_carrier_description(value: &str) -> Result<String, CarrierFieldError> {
    length(CarrierField::CarrierDescription, value, (0, CARRIER_DESCRIPTION_MAX))?;
    one_line(CarrierField::CarrierDescription, value)?;
    Ok(value.to_string())
}

/// Validates a whole carrier. Returns the carrier, or every field error in field order. The one entry
/// point for the web admin and the CLI.
pub fn validate_carrier(input: &CarrierInput) -> Result<Carrier, InvalidCarrier> {
    let mut errors = Vec::new();
    let mut check = |result: Result<(), CarrierFieldError>| {
        if let Err(e) = result {
            errors.push(e);
        }
    };
    let mut carrier_id = String::new();
    check(validate_carrier_id(&input.carrier_id).map(|v| carrier_id = v));
    let mut carrier_name = String::new();
    check(validate_carrier_name(&input.carrier_name).map(|v| carrier_name = v));
    let mut server_ip = String::new();
    check(validate_carrier_server_ip(&input.server_ip).map(|v| server_ip = v));
    let mut protocol = None;
    check(validate_carrier_protocol(&input.protocol).map(|v| protocol = Some(v)));
    let mut registration_string = String::new();
    check(validate_registration_string(&input.registration_string).map(|v| registration_string = v));
    // The dialplan rule depends on `active`; an invalid `active` gets its own error and the entry is
    // checked as for an active carrier.
    let active = validate_carrier_active(&input.active);
    let mut dialplan = None;
    let checked_as_active = !matches!(active, Ok(Flag::N));
    check(validate_dialplan_entry(&input.dialplan_entry, checked_as_active).map(|v| dialplan = Some(v)));
    let active = match active {
        Ok(a) => Some(a),
        Err(e) => {
            check(Err(e));
            None
        }
    };
    let mut carrier_description = String::new();
    check(validate_carrier_description(&input.carrier_description).map(|v| carrier_description = v));
    match (protocol, dialplan, active) {
        (Some(protocol), Some((dialplan_entry, patterns)), Some(active)) if errors.is_empty() => Ok(Carrier {
            carrier_id,
            carrier_name,
            server_ip,
            protocol,
            registration_string,
            dialplan_entry,
            active,
            carrier_description,
            patterns,
        }),
        _ => Err(InvalidCarrier { errors }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dial_pattern::{DialPattern, LineProblem, PatternRule};

    fn valid() -> CarrierInput {
        CarrierInput {
            carrier_id: "mytrunk".into(),
            carrier_name: "My trunk".into(),
            server_ip: "10.10.10.15".into(),
            protocol: "SIP".into(),
            registration_string: "register => user1:s3cret@sip.example.com:5060/user1".into(),
            dialplan_entry: "exten => _91NXXNXXXXXX,1,AGI(agi://127.0.0.1:4577/call_log)\n\
                             exten => _91NXXNXXXXXX,n,Dial(SIP/mytrunk/${EXTEN:1},,tTo)\n\
                             exten => _91NXXNXXXXXX,n,Hangup()\n"
                .into(),
            active: "Y".into(),
            carrier_description: String::new(),
        }
    }

    fn errors(input: CarrierInput) -> Vec<(CarrierField, CarrierRule)> {
        match validate_carrier(&input) {
            Ok(c) => panic!("expected errors, got {c:?}"),
            Err(e) => e.errors.into_iter().map(|e| (e.field, e.rule)).collect(),
        }
    }

    fn one(input: CarrierInput) -> (CarrierField, CarrierRule) {
        let mut all = errors(input);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn a_valid_carrier_carries_its_patterns() {
        let c = validate_carrier(&valid()).expect("valid");
        assert_eq!(c.protocol, Protocol::Sip);
        assert_eq!(c.active, Flag::Y);
        assert_eq!(c.patterns.len(), 1);
        assert_eq!(c.patterns[0].pattern, DialPattern::parse("_91NXXNXXXXXX").expect("pattern"));
        assert_eq!(validate_carrier(&c.to_input()), Ok(c.clone()));
        assert!(!format!("{c:?}").contains("s3cret"), "Debug hides the registration string");
        assert!(!format!("{:?}", valid()).contains("s3cret"));
    }

    #[test]
    fn carrier_id() {
        for ok in ["ab", "my_trunk-2", &"T".repeat(15)] {
            assert!(validate_carrier_id(ok).is_ok(), "{ok}");
        }
        assert_eq!(validate_carrier_id("").map_err(|e| e.rule), Err(CarrierRule::Field(Rule::Required)));
        assert_eq!(
            validate_carrier_id("a").map_err(|e| e.rule),
            Err(CarrierRule::Field(Rule::Length { min: 2, max: 15, actual: 1 }))
        );
        assert!(validate_carrier_id(&"T".repeat(16)).is_err());
        for bad in ["my trunk", " mytrunk", "trunk.1", "trünk", "a;b"] {
            assert!(validate_carrier_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_line_texts() {
        assert!(validate_carrier_name("Trunk Ü 日本").is_ok());
        assert!(validate_carrier_name(&"é".repeat(50)).is_ok());
        assert!(validate_carrier_name(&"é".repeat(51)).is_err());
        assert_eq!(validate_carrier_name("   ").map_err(|e| e.rule), Err(CarrierRule::Field(Rule::Blank)));
        assert_eq!(validate_carrier_name("").map_err(|e| e.rule), Err(CarrierRule::Field(Rule::Required)));
        assert_eq!(validate_carrier_name("a\nb").map_err(|e| e.rule), Err(CarrierRule::LineBreak));
        assert_eq!(validate_registration_string("").as_deref(), Ok(""));
        assert!(validate_registration_string(&"r".repeat(255)).is_ok());
        assert!(validate_registration_string(&"r".repeat(256)).is_err());
        assert_eq!(
            validate_registration_string("register => a:b@c\r\nregister => x").map_err(|e| e.rule),
            Err(CarrierRule::LineBreak)
        );
        assert_eq!(
            validate_registration_string("a\u{0}b").map_err(|e| e.rule),
            Err(CarrierRule::Field(Rule::ForbiddenChar('\u{0}')))
        );
        assert!(validate_carrier_description(&"d".repeat(255)).is_ok());
        assert!(validate_carrier_description(&"d".repeat(256)).is_err());
        assert!(validate_carrier_description("tab\there").is_err());
    }

    #[test]
    fn server_ip_protocol_and_active() {
        assert_eq!(
            validate_carrier_server_ip("10.10.10.256").map_err(|e| (e.field, e.rule)),
            Err((CarrierField::ServerIp, CarrierRule::Field(Rule::NotIpv4)))
        );
        assert!(validate_carrier_server_ip("10.10.10.15 ").is_err(), "not trimmed");
        for ok in ["SIP", "PJSIP", "IAX2", "Zap", "EXTERNAL"] {
            assert!(validate_carrier_protocol(ok).is_ok(), "{ok}");
        }
        for bad in ["sip", "PJSIP_WIZ", "DAHDI", "IAX"] {
            assert_eq!(
                validate_carrier_protocol(bad).map_err(|e| e.to_string()),
                Err("protocol must be exactly one of SIP, PJSIP, IAX2, Zap or EXTERNAL".to_string()),
                "{bad}"
            );
        }
        assert_eq!(validate_carrier_active(""), Ok(Flag::Y));
        assert_eq!(validate_carrier_active("n"), Ok(Flag::N));
        assert!(validate_carrier_active("yes").is_err());
    }

    #[test]
    fn the_dialplan_entry_is_checked_line_by_line() {
        let mut input = valid();
        input.dialplan_entry = "exten => _91NXXNXXXXXX,1,AGI(x)\nexten => _9[1-5,n,Dial(SIP/t)\n[outbound]\n".into();
        let (field, rule) = one(input.clone());
        assert_eq!(field, CarrierField::DialplanEntry);
        let CarrierRule::Dialplan { first, more } = &rule else { panic!("{rule:?}") };
        assert_eq!((first.line, *more), (2, 1));
        assert!(matches!(&first.problem, LineProblem::Pattern(e) if e.rule == PatternRule::UnclosedSet { at: 3 }));
        let message = CarrierFieldError::new(field, rule).to_string();
        assert_eq!(
            message,
            "dialplan_entry line 2 pattern \"_9[1-5\" opens [ at character 3 but never closes it with ] \
             (and 1 more line is wrong)"
        );
        input.dialplan_entry = "#include /etc/passwd".into();
        assert!(one(input.clone()).1.to_string().starts_with("line 1 is a #include directive"));
    }

    #[test]
    fn an_active_carrier_needs_an_exten_line() {
        let mut input = valid();
        input.dialplan_entry = "; nothing yet\n".into();
        assert_eq!(one(input.clone()), (CarrierField::DialplanEntry, CarrierRule::NoExtenLine));
        input.active = "N".into();
        let c = validate_carrier(&input).expect("an inactive carrier may have no lines");
        assert!(c.patterns.is_empty());
        input.dialplan_entry = String::new();
        assert!(validate_carrier(&input).is_ok());
    }

    #[test]
    fn line_endings_are_normalised_and_the_length_is_limited() {
        let mut input = valid();
        input.dialplan_entry = "exten => _X.,1,Dial(SIP/t/${EXTEN})\r\nsame => n,Hangup()\r\n".into();
        let c = validate_carrier(&input).expect("valid");
        assert_eq!(c.dialplan_entry, "exten => _X.,1,Dial(SIP/t/${EXTEN})\nsame => n,Hangup()\n");
        input.dialplan_entry = format!("exten => _X.,1,Hangup()\n;{}", "c".repeat(DIALPLAN_ENTRY_MAX));
        assert!(matches!(one(input).1, CarrierRule::Field(Rule::Length { max: 10_000, .. })));
    }

    #[test]
    fn every_error_is_reported_in_field_order() {
        let input = CarrierInput { active: "maybe".into(), ..Default::default() };
        let fields: Vec<CarrierField> = errors(input).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                CarrierField::CarrierId,
                CarrierField::CarrierName,
                CarrierField::ServerIp,
                CarrierField::Protocol,
                CarrierField::DialplanEntry,
                CarrierField::Active
            ]
        );
        assert_eq!(CarrierField::from_param("dialplan_entry"), Some(CarrierField::DialplanEntry));
        assert_eq!(CarrierField::from_param("nope"), None);
    }
}
