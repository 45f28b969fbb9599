//! The phone entry: its raw input, its validated form, and one validation function per field.
//!
//! [`validate_phone_entry`] is the single entry point the API, the server functions and the wizard
//! call; the per-field `validate_*` helpers exist for the wizard's as-you-type feedback and are composed
//! by it, never reimplemented elsewhere. Where VICIdial silently strips or truncates, these rules
//! reject with a [`FieldError`] that names the field and the rule.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::gmt::canonical_gmt;
use super::sip_stacks::SipStacks;

/// Extension length limits (VICIdial `phones.extension` VARCHAR(100); the API requires 2).
pub const EXTENSION_LEN: (usize, usize) = (2, 100);
/// Dialplan number length limits, digits only (VARCHAR(20)).
pub const DIALPLAN_NUMBER_LEN: (usize, usize) = (1, 20);
/// Voicemail id length limits, digits only (VARCHAR(10)).
pub const VOICEMAIL_ID_LEN: (usize, usize) = (1, 10);
/// Phone login length limits (VARCHAR(15)).
pub const PHONE_LOGIN_LEN: (usize, usize) = (1, 15);
/// Phone password and registration password length limits (VARCHAR(100)).
pub const PASSWORD_LEN: (usize, usize) = (1, 100);
/// Full name length limits in characters (VARCHAR(50)).
pub const FULL_NAME_LEN: (usize, usize) = (1, 50);
/// Outbound caller id length limits, digits only (VARCHAR(20)).
pub const OUTBOUND_CID_LEN: (usize, usize) = (1, 20);
/// Email length limit (VARCHAR(100)).
pub const EMAIL_MAX: usize = 100;
/// Phone context length limits (VARCHAR(20)).
pub const PHONE_CONTEXT_LEN: (usize, usize) = (1, 20);
/// User group length limits (VARCHAR(20)).
pub const USER_GROUP_LEN: (usize, usize) = (1, 20);
/// Template id length limits (VARCHAR(15)).
pub const TEMPLATE_ID_LEN: (usize, usize) = (1, 15);
/// Shortest id a new conf template may have, as VICIdial's admin.php requires (`ADD=231111111111`):
/// the legacy API ignores a `template_id` shorter than this, so no template may have such an id.
pub const NEW_TEMPLATE_ID_MIN: usize = 2;
/// Phone type (administrative note) length limit (VARCHAR(50)).
pub const PHONE_TYPE_MAX: usize = 50;
/// Ring timeout limits in seconds (VICIdial `update_phone`: 2-180).
pub const RING_TIMEOUT: (u16, u16) = (2, 180);
/// Alternate outbound caller id limit, digits only (VARCHAR(20)).
pub const OUTBOUND_ALT_CID_MAX: usize = 20;
/// Characters a full name may not contain: they would break the Asterisk `callerid="name" <cid>` line.
pub const FULL_NAME_FORBIDDEN: [char; 7] = ['"', ';', '<', '>', '[', ']', '\\'];
/// The phone context used when none is given.
pub const DEFAULT_PHONE_CONTEXT: &str = "default";
/// The user group used when none is given.
pub const ALL_GROUPS: &str = "---ALL---";
/// The value that clears an optional template id (VICIdial's `--BLANK--`, any case).
pub const BLANK: &str = "--BLANK--";

/// A phone's client protocol (`phones.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// `chan_sip` peer; registers.
    Sip,
    /// `chan_pjsip` endpoint (web admin only, as in VICIdial); registers.
    Pjsip,
    /// IAX2 peer; registers.
    Iax2,
    /// A DAHDI/Zap channel; no peer.
    Zap,
    /// A number dialed through a trunk at agent login; never registers.
    External,
}

impl Protocol {
    /// Every protocol, in the order the admin form lists them.
    pub const ALL: [Protocol; 5] = [Protocol::Sip, Protocol::Pjsip, Protocol::Iax2, Protocol::Zap, Protocol::External];

    /// VICIdial's spelling, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sip => "SIP",
            Protocol::Pjsip => "PJSIP",
            Protocol::Iax2 => "IAX2",
            Protocol::Zap => "Zap",
            Protocol::External => "EXTERNAL",
        }
    }

    /// Exact (case-sensitive) parse of VICIdial's spelling.
    pub fn parse(text: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// Whether an extension of this protocol may contain dashes (Zap `25-1`, EXTERNAL labels).
    pub fn allows_dash_in_extension(self) -> bool {
        matches!(self, Protocol::Zap | Protocol::External)
    }

    /// Whether a device registers to Asterisk with this protocol.
    pub fn registers(self) -> bool {
        matches!(self, Protocol::Sip | Protocol::Pjsip | Protocol::Iax2)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which protocols a caller may choose: VICIdial's API refuses PJSIP, its admin form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProtocolSet {
    /// `non_agent_api.php`: SIP, IAX2, Zap, EXTERNAL.
    LegacyApi,
    /// The web admin: PJSIP too.
    WebAdmin,
}

impl ProtocolSet {
    /// Whether `protocol` may be chosen through this entry point.
    pub fn allows(self, protocol: Protocol) -> bool {
        self == ProtocolSet::WebAdmin || protocol != Protocol::Pjsip
    }

    /// The allowed spellings, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ProtocolSet::LegacyApi => "SIP, IAX2, Zap or EXTERNAL",
            ProtocolSet::WebAdmin => "SIP, PJSIP, IAX2, Zap or EXTERNAL",
        }
    }
}

/// `phones.is_webphone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Webphone {
    /// `Y`: the agent screen loads the web phone.
    Yes,
    /// `N`: a hardware or soft phone.
    No,
    /// `Y_API_LAUNCH`: the web phone is launched through the API.
    YesApiLaunch,
}

impl Webphone {
    /// VICIdial's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Webphone::Yes => "Y",
            Webphone::No => "N",
            Webphone::YesApiLaunch => "Y_API_LAUNCH",
        }
    }
}

/// A Y/N flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flag {
    /// `Y`
    Y,
    /// `N`
    N,
}

impl Flag {
    /// VICIdial's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Y => "Y",
            Flag::N => "N",
        }
    }

    /// `true` for `Y`.
    pub fn is_yes(self) -> bool {
        self == Flag::Y
    }
}

/// `phones.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhoneStatus {
    /// In use.
    Active,
    /// Temporarily not in use.
    Suspended,
    /// No longer in use.
    Closed,
    /// Being set up.
    Pending,
    /// Administrative phone.
    Admin,
}

impl PhoneStatus {
    /// Every status, in the admin form's order.
    pub const ALL: [PhoneStatus; 5] =
        [PhoneStatus::Active, PhoneStatus::Suspended, PhoneStatus::Closed, PhoneStatus::Pending, PhoneStatus::Admin];

    /// VICIdial's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneStatus::Active => "ACTIVE",
            PhoneStatus::Suspended => "SUSPENDED",
            PhoneStatus::Closed => "CLOSED",
            PhoneStatus::Pending => "PENDING",
            PhoneStatus::Admin => "ADMIN",
        }
    }
}

/// A phone-entry field, named as the legacy API parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    /// `extension`
    Extension,
    /// `dialplan_number`
    DialplanNumber,
    /// `voicemail_id`
    VoicemailId,
    /// `phone_login` (column `login`)
    PhoneLogin,
    /// `phone_pass` (column `pass`)
    PhonePass,
    /// `server_ip`
    ServerIp,
    /// `protocol`
    Protocol,
    /// `registration_password` (column `conf_secret`)
    RegistrationPassword,
    /// `phone_full_name` (column `fullname`)
    PhoneFullName,
    /// `local_gmt`
    LocalGmt,
    /// `outbound_cid`
    OutboundCid,
    /// `email`
    Email,
    /// `phone_context`
    PhoneContext,
    /// `admin_user_group` (column `user_group`)
    AdminUserGroup,
    /// `is_webphone`
    IsWebphone,
    /// `webphone_auto_answer`
    WebphoneAutoAnswer,
    /// `use_external_server_ip`
    UseExternalServerIp,
    /// `on_hook_agent`
    OnHookAgent,
    /// `template_id`
    TemplateId,
    /// `status`
    Status,
    /// `active`
    Active,
    /// `phone_type`
    PhoneType,
    /// `phone_ring_timeout`
    PhoneRingTimeout,
    /// `outbound_alt_cid`
    OutboundAltCid,
    /// `delete_vm_after_email`
    DeleteVmAfterEmail,
}

impl Field {
    /// Every field, in the API's parameter order (the order errors are reported in).
    pub const ALL: [Field; 25] = [
        Field::Extension,
        Field::DialplanNumber,
        Field::VoicemailId,
        Field::PhoneLogin,
        Field::PhonePass,
        Field::ServerIp,
        Field::Protocol,
        Field::RegistrationPassword,
        Field::PhoneFullName,
        Field::LocalGmt,
        Field::OutboundCid,
        Field::Email,
        Field::PhoneContext,
        Field::AdminUserGroup,
        Field::IsWebphone,
        Field::WebphoneAutoAnswer,
        Field::UseExternalServerIp,
        Field::OnHookAgent,
        Field::TemplateId,
        Field::Status,
        Field::Active,
        Field::PhoneType,
        Field::PhoneRingTimeout,
        Field::OutboundAltCid,
        Field::DeleteVmAfterEmail,
    ];

    /// The legacy API parameter name.
    pub fn param(self) -> &'static str {
        match self {
            Field::Extension => "extension",
            Field::DialplanNumber => "dialplan_number",
            Field::VoicemailId => "voicemail_id",
            Field::PhoneLogin => "phone_login",
            Field::PhonePass => "phone_pass",
            Field::ServerIp => "server_ip",
            Field::Protocol => "protocol",
            Field::RegistrationPassword => "registration_password",
            Field::PhoneFullName => "phone_full_name",
            Field::LocalGmt => "local_gmt",
            Field::OutboundCid => "outbound_cid",
            Field::Email => "email",
            Field::PhoneContext => "phone_context",
            Field::AdminUserGroup => "admin_user_group",
            Field::IsWebphone => "is_webphone",
            Field::WebphoneAutoAnswer => "webphone_auto_answer",
            Field::UseExternalServerIp => "use_external_server_ip",
            Field::OnHookAgent => "on_hook_agent",
            Field::TemplateId => "template_id",
            Field::Status => "status",
            Field::Active => "active",
            Field::PhoneType => "phone_type",
            Field::PhoneRingTimeout => "phone_ring_timeout",
            Field::OutboundAltCid => "outbound_alt_cid",
            Field::DeleteVmAfterEmail => "delete_vm_after_email",
        }
    }

    /// The label the web admin shows.
    pub fn label(self) -> &'static str {
        match self {
            Field::Extension => "Extension",
            Field::DialplanNumber => "Dialplan number",
            Field::VoicemailId => "Voicemail ID",
            Field::PhoneLogin => "Phone login",
            Field::PhonePass => "Login password",
            Field::ServerIp => "Server",
            Field::Protocol => "Client protocol",
            Field::RegistrationPassword => "Registration password",
            Field::PhoneFullName => "Full name",
            Field::LocalGmt => "GMT offset",
            Field::OutboundCid => "Outbound caller ID",
            Field::Email => "Email",
            Field::PhoneContext => "Phone context",
            Field::AdminUserGroup => "Group",
            Field::IsWebphone => "Web phone",
            Field::WebphoneAutoAnswer => "Web phone auto-answer",
            Field::UseExternalServerIp => "Use external server IP",
            Field::OnHookAgent => "On-hook agent",
            Field::TemplateId => "Template",
            Field::Status => "Status",
            Field::Active => "Active",
            Field::PhoneType => "Phone type",
            Field::PhoneRingTimeout => "Ring timeout",
            Field::OutboundAltCid => "Alternate outbound caller ID",
            Field::DeleteVmAfterEmail => "Delete voicemail after email",
        }
    }

    /// Whether the field holds a secret that must never be logged or shown in an audit entry.
    pub fn is_secret(self) -> bool {
        matches!(self, Field::PhonePass | Field::RegistrationPassword)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.param())
    }
}

/// The rule a value broke. Its `Display` is the plain-language rule, for the wizard and the API's
/// `ERROR:` lines (which add the field name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    /// The value is empty but required.
    Required,
    /// The value's length (in characters) is outside `min..=max`.
    Length {
        /// Minimum characters.
        min: usize,
        /// Maximum characters.
        max: usize,
        /// Characters given.
        actual: usize,
    },
    /// Only these characters are allowed (a description such as "letters and digits").
    Charset(String),
    /// This character is not allowed.
    ForbiddenChar(char),
    /// The value is not a dotted IPv4 address.
    NotIpv4,
    /// The protocol is not one of the allowed spellings.
    Protocol(ProtocolSet),
    /// The offset is not one of the 33 GMT offsets.
    Timezone,
    /// The value is not one of these spellings (case-insensitive).
    OneOf(Vec<String>),
    /// The value is not an email address.
    Email,
    /// The number is outside `min..=max`.
    Range {
        /// Minimum.
        min: u16,
        /// Maximum.
        max: u16,
    },
    /// The value consists of whitespace only.
    Blank,
    /// A well-known default secret (`test`), refused by the web admin.
    WellKnownSecret,
    /// The chosen server does not run this SIP stack (its `allowed_sip_stacks`, see [`SipStacks::allows`]).
    SipStack {
        /// The protocol chosen.
        protocol: Protocol,
        /// What the server allows.
        allowed: SipStacks,
    },
    /// Another phone already uses this value (a database rule, reported against its field).
    Taken(String),
    /// This phone already uses this value (the login: logins are unique across servers). The form
    /// links to the phone.
    TakenByPhone {
        /// The holder's extension.
        extension: String,
        /// The holder's server.
        server_ip: String,
    },
    /// A weak password (see `domain::wizard::password_strength`), refused by the web admin unless the
    /// user accepts it; the reason says what is missing.
    WeakPassword(String),
    /// The referenced record does not exist (a database rule, reported against its field).
    Missing(String),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => f.write_str("is required"),
            Rule::Length { min, max, actual } if min == max => {
                write!(f, "must be exactly {min} characters (got {actual})")
            }
            Rule::Length { min, max, actual } => {
                write!(f, "must be {min} to {max} characters long (got {actual})")
            }
            Rule::Charset(allowed) => write!(f, "may contain only {allowed}"),
            Rule::ForbiddenChar(c) if c.is_control() => {
                write!(f, "may not contain control characters (found U+{:04X})", *c as u32)
            }
            Rule::ForbiddenChar(c) => match char_name(*c) {
                Some(name) => write!(f, "may not contain {name}"),
                None => write!(f, "may not contain the character {c}"),
            },
            Rule::NotIpv4 => f.write_str("must be a dotted IPv4 address such as 10.10.10.15"),
            Rule::Protocol(set) => write!(f, "must be exactly one of {}", set.describe()),
            Rule::Timezone => {
                f.write_str("must be one of the 33 GMT offsets from -12.00 to 12.75, such as -5.00 or 5.50")
            }
            Rule::OneOf(values) => write!(f, "must be one of {}", values.join(", ")),
            Rule::Email => f.write_str("must be an email address such as agent@example.com"),
            Rule::Range { min, max } => write!(f, "must be a whole number from {min} to {max}"),
            Rule::Blank => f.write_str("may not be blank"),
            Rule::WellKnownSecret => f.write_str("may not be the well-known default \"test\": use the generated value"),
            Rule::SipStack { protocol, allowed } => {
                write!(f, "{}; choose another server or another device type", allowed.refusal(*protocol))
            }
            Rule::Taken(what) => write!(f, "is already used by {what}"),
            Rule::TakenByPhone { extension, server_ip } => {
                write!(f, "is already used by phone {extension} on {server_ip}")
            }
            Rule::WeakPassword(why) => write!(
                f,
                "is weak ({why}): use 12 or more characters mixing letters and digits, or tick \"Use this weak password anyway\""
            ),
            Rule::Missing(what) => write!(f, "does not exist: {what}"),
        }
    }
}

/// A spoken name for characters that are easy to miss or that must not be echoed raw into a page.
fn char_name(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "a double quote",
        ';' => "a semicolon",
        '<' => "a less-than sign",
        '>' => "a greater-than sign",
        '[' => "an opening bracket",
        ']' => "a closing bracket",
        '\\' => "a backslash",
        '&' => "an ampersand",
        _ => return None,
    })
}

/// One field that failed one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field} {rule}")]
pub struct FieldError {
    /// The field.
    pub field: Field,
    /// The rule it broke.
    pub rule: Rule,
}

impl FieldError {
    /// An error of `field` against `rule`.
    pub fn new(field: Field, rule: Rule) -> Self {
        FieldError { field, rule }
    }

    /// The message with the field's web-admin label instead of its parameter name.
    pub fn labelled(&self) -> String {
        format!("{} {}", self.field.label(), self.rule)
    }
}

/// Every field error of one phone entry, in field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("invalid phone entry: {}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidPhoneEntry {
    /// The errors, at least one.
    pub errors: Vec<FieldError>,
}

impl InvalidPhoneEntry {
    /// The error for `field`, if any.
    pub fn for_field(&self, field: Field) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == field)
    }
}

/// A phone entry as typed or sent: every value a string, empty meaning "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneEntryInput {
    /// Peer name in Asterisk.
    pub extension: String,
    /// The number that rings the phone.
    pub dialplan_number: String,
    /// Voicemail box.
    pub voicemail_id: String,
    /// Agent-screen phone login.
    pub phone_login: String,
    /// Agent-screen phone password (secret).
    pub phone_pass: String,
    /// The Asterisk server's IP.
    pub server_ip: String,
    /// Client protocol.
    pub protocol: String,
    /// SIP/IAX `secret=` (secret).
    pub registration_password: String,
    /// The person's name (caller id name).
    pub phone_full_name: String,
    /// GMT offset.
    pub local_gmt: String,
    /// Outbound caller id number.
    pub outbound_cid: String,
    /// Optional email.
    pub email: String,
    /// Optional context, `default` when empty.
    pub phone_context: String,
    /// Optional group, `---ALL---` when empty.
    pub admin_user_group: String,
    /// Optional `Y/N/Y_API_LAUNCH`, `N` when empty.
    pub is_webphone: String,
    /// Optional Y/N, `Y` when empty (the schema default).
    pub webphone_auto_answer: String,
    /// Optional Y/N, `N` when empty.
    pub use_external_server_ip: String,
    /// Optional Y/N, `N` when empty.
    pub on_hook_agent: String,
    /// Optional template id; `--BLANK--` clears it.
    pub template_id: String,
    /// Optional status, `ACTIVE` when empty.
    pub status: String,
    /// Optional Y/N, `Y` when empty.
    pub active: String,
    /// Optional administrative note.
    pub phone_type: String,
    /// Optional ring seconds, 60 when empty.
    pub phone_ring_timeout: String,
    /// Optional alternate caller id.
    pub outbound_alt_cid: String,
    /// Optional Y/N, `N` when empty.
    pub delete_vm_after_email: String,
}

impl PhoneEntryInput {
    /// The input value of `field`.
    pub fn get(&self, field: Field) -> &str {
        match field {
            Field::Extension => &self.extension,
            Field::DialplanNumber => &self.dialplan_number,
            Field::VoicemailId => &self.voicemail_id,
            Field::PhoneLogin => &self.phone_login,
            Field::PhonePass => &self.phone_pass,
            Field::ServerIp => &self.server_ip,
            Field::Protocol => &self.protocol,
            Field::RegistrationPassword => &self.registration_password,
            Field::PhoneFullName => &self.phone_full_name,
            Field::LocalGmt => &self.local_gmt,
            Field::OutboundCid => &self.outbound_cid,
            Field::Email => &self.email,
            Field::PhoneContext => &self.phone_context,
            Field::AdminUserGroup => &self.admin_user_group,
            Field::IsWebphone => &self.is_webphone,
            Field::WebphoneAutoAnswer => &self.webphone_auto_answer,
            Field::UseExternalServerIp => &self.use_external_server_ip,
            Field::OnHookAgent => &self.on_hook_agent,
            Field::TemplateId => &self.template_id,
            Field::Status => &self.status,
            Field::Active => &self.active,
            Field::PhoneType => &self.phone_type,
            Field::PhoneRingTimeout => &self.phone_ring_timeout,
            Field::OutboundAltCid => &self.outbound_alt_cid,
            Field::DeleteVmAfterEmail => &self.delete_vm_after_email,
        }
    }

    /// Sets the input value of `field`.
    pub fn set(&mut self, field: Field, value: String) {
        let slot = match field {
            Field::Extension => &mut self.extension,
            Field::DialplanNumber => &mut self.dialplan_number,
            Field::VoicemailId => &mut self.voicemail_id,
            Field::PhoneLogin => &mut self.phone_login,
            Field::PhonePass => &mut self.phone_pass,
            Field::ServerIp => &mut self.server_ip,
            Field::Protocol => &mut self.protocol,
            Field::RegistrationPassword => &mut self.registration_password,
            Field::PhoneFullName => &mut self.phone_full_name,
            Field::LocalGmt => &mut self.local_gmt,
            Field::OutboundCid => &mut self.outbound_cid,
            Field::Email => &mut self.email,
            Field::PhoneContext => &mut self.phone_context,
            Field::AdminUserGroup => &mut self.admin_user_group,
            Field::IsWebphone => &mut self.is_webphone,
            Field::WebphoneAutoAnswer => &mut self.webphone_auto_answer,
            Field::UseExternalServerIp => &mut self.use_external_server_ip,
            Field::OnHookAgent => &mut self.on_hook_agent,
            Field::TemplateId => &mut self.template_id,
            Field::Status => &mut self.status,
            Field::Active => &mut self.active,
            Field::PhoneType => &mut self.phone_type,
            Field::PhoneRingTimeout => &mut self.phone_ring_timeout,
            Field::OutboundAltCid => &mut self.outbound_alt_cid,
            Field::DeleteVmAfterEmail => &mut self.delete_vm_after_email,
        };
        *slot = value;
    }
}

/// A phone entry that passed every rule, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneEntry {
    /// Peer name in Asterisk.
    pub extension: String,
    /// The number that rings the phone (digits).
    pub dialplan_number: String,
    /// Voicemail box (digits).
    pub voicemail_id: String,
    /// Agent-screen phone login.
    pub phone_login: String,
    /// Agent-screen phone password (secret).
    pub phone_pass: String,
    /// The Asterisk server's IP.
    pub server_ip: String,
    /// Client protocol.
    pub protocol: Protocol,
    /// SIP/IAX `secret=` (secret).
    pub registration_password: String,
    /// The person's name.
    pub phone_full_name: String,
    /// Canonical GMT offset (`-5.00`).
    pub local_gmt: String,
    /// Outbound caller id number.
    pub outbound_cid: String,
    /// Email, empty when none.
    pub email: String,
    /// Asterisk context.
    pub phone_context: String,
    /// Admin user group.
    pub user_group: String,
    /// Web phone mode.
    pub is_webphone: Webphone,
    /// Web phone auto-answer.
    pub webphone_auto_answer: Flag,
    /// Register the web phone to the server's external IP.
    pub use_external_server_ip: Flag,
    /// On-hook agent.
    pub on_hook_agent: Flag,
    /// Template id, empty when none.
    pub template_id: String,
    /// Status.
    pub status: PhoneStatus,
    /// Active.
    pub active: Flag,
    /// Administrative note.
    pub phone_type: String,
    /// Ring seconds.
    pub phone_ring_timeout: u16,
    /// Alternate caller id, empty when none.
    pub outbound_alt_cid: String,
    /// Delete voicemail after emailing it.
    pub delete_vm_after_email: Flag,
}

impl PhoneEntry {
    /// The entry as input strings (for editing and for re-validation after a partial update).
    pub fn to_input(&self) -> PhoneEntryInput {
        PhoneEntryInput {
            extension: self.extension.clone(),
            dialplan_number: self.dialplan_number.clone(),
            voicemail_id: self.voicemail_id.clone(),
            phone_login: self.phone_login.clone(),
            phone_pass: self.phone_pass.clone(),
            server_ip: self.server_ip.clone(),
            protocol: self.protocol.as_str().to_string(),
            registration_password: self.registration_password.clone(),
            phone_full_name: self.phone_full_name.clone(),
            local_gmt: self.local_gmt.clone(),
            outbound_cid: self.outbound_cid.clone(),
            email: self.email.clone(),
            phone_context: self.phone_context.clone(),
            admin_user_group: self.user_group.clone(),
            is_webphone: self.is_webphone.as_str().to_string(),
            webphone_auto_answer: self.webphone_auto_answer.as_str().to_string(),
            use_external_server_ip: self.use_external_server_ip.as_str().to_string(),
            on_hook_agent: self.on_hook_agent.as_str().to_string(),
            template_id: if self.template_id.is_empty() { String::new() } else { self.template_id.clone() },
            status: self.status.as_str().to_string(),
            active: self.active.as_str().to_string(),
            phone_type: self.phone_type.clone(),
            phone_ring_timeout: self.phone_ring_timeout.to_string(),
            outbound_alt_cid: self.outbound_alt_cid.clone(),
            delete_vm_after_email: self.delete_vm_after_email.as_str().to_string(),
        }
    }
}

fn is_login_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn check_length(field: Field, value: &str, (min, max): (usize, usize)) -> Result<(), FieldError> {
    let actual = value.chars().count();
    if actual == 0 && min > 0 {
        return Err(FieldError::new(field, Rule::Required));
    }
    if actual < min || actual > max {
        return Err(FieldError::new(field, Rule::Length { min, max, actual }));
    }
    Ok(())
}

fn check_chars(field: Field, value: &str, allowed: fn(char) -> bool, describe: &str) -> Result<(), FieldError> {
    if value.chars().all(allowed) {
        Ok(())
    } else {
        Err(FieldError::new(field, Rule::Charset(describe.to_string())))
    }
}

const LOGIN_CHARS: &str = "letters, digits, _ and -";

/// Extension: 2-100 characters; letters and digits only for SIP, IAX2 and PJSIP (the peer name);
/// dashes also allowed for Zap (`25-1`) and EXTERNAL. When the protocol is unknown only the looser rule
/// is applied (the protocol gets its own error).
pub fn validate_extension(value: &str, protocol: Option<Protocol>) -> Result<String, FieldError> {
    check_length(Field::Extension, value, EXTENSION_LEN)?;
    let dash_ok = protocol.is_none_or(Protocol::allows_dash_in_extension);
    if dash_ok {
        check_chars(Field::Extension, value, |c| c.is_ascii_alphanumeric() || c == '-', "letters, digits and -")?;
    } else {
        check_chars(
            Field::Extension,
            value,
            |c| c.is_ascii_alphanumeric(),
            "letters and digits for SIP, IAX2 and PJSIP phones (no dashes)",
        )?;
    }
    Ok(value.to_string())
}

/// A string of 1..=max ASCII digits.
fn validate_digits(field: Field, value: &str, len: (usize, usize)) -> Result<String, FieldError> {
    check_length(field, value, len)?;
    check_chars(field, value, |c| c.is_ascii_digit(), "digits")?;
    Ok(value.to_string())
}

/// Dialplan number: 1-20 digits.
pub fn validate_dialplan_number(value: &str) -> Result<String, FieldError> {
    validate_digits(Field::DialplanNumber, value, DIALPLAN_NUMBER_LEN)
}

/// Voicemail id: 1-10 digits.
pub fn validate_voicemail_id(value: &str) -> Result<String, FieldError> {
    validate_digits(Field::VoicemailId, value, VOICEMAIL_ID_LEN)
}

/// Outbound caller id: 1-20 digits.
pub fn validate_outbound_cid(value: &str) -> Result<String, FieldError> {
    validate_digits(Field::OutboundCid, value, OUTBOUND_CID_LEN)
}

/// Phone login: 1-15 of letters, digits, `_` and `-`. (Not being a phone alias id is checked by the
/// service, which has the database.)
pub fn validate_phone_login(value: &str) -> Result<String, FieldError> {
    check_length(Field::PhoneLogin, value, PHONE_LOGIN_LEN)?;
    check_chars(Field::PhoneLogin, value, is_login_char, LOGIN_CHARS)?;
    Ok(value.to_string())
}

/// Phone password or registration password: 1-100 of letters, digits, `_` and `-` (VICIdial strips
/// anything else, and the registration password is written into the Asterisk peer).
pub fn validate_password(field: Field, value: &str) -> Result<String, FieldError> {
    check_length(field, value, PASSWORD_LEN)?;
    check_chars(field, value, is_login_char, LOGIN_CHARS)?;
    Ok(value.to_string())
}

/// Server IP: a dotted IPv4 address (four decimal octets 0-255, no leading zeros). Whether the server
/// exists is checked by the service.
pub fn validate_server_ip(value: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(Field::ServerIp, Rule::Required));
    }
    let octets: Vec<&str> = value.split('.').collect();
    let octet_ok = |o: &&str| {
        !o.is_empty()
            && o.len() <= 3
            && o.bytes().all(|b| b.is_ascii_digit())
            && (o.len() == 1 || !o.starts_with('0'))
            && o.parse::<u16>().is_ok_and(|n| n <= 255)
    };
    if octets.len() == 4 && octets.iter().all(octet_ok) {
        Ok(value.to_string())
    } else {
        Err(FieldError::new(Field::ServerIp, Rule::NotIpv4))
    }
}

/// Protocol: exactly one of the allowed spellings (case-sensitive, as VICIdial).
pub fn validate_protocol(value: &str, allowed: ProtocolSet) -> Result<Protocol, FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(Field::Protocol, Rule::Required));
    }
    match Protocol::parse(value) {
        Some(p) if allowed.allows(p) => Ok(p),
        _ => Err(FieldError::new(Field::Protocol, Rule::Protocol(allowed))),
    }
}

/// Full name: 1-50 characters, Unicode letters allowed, none of `" ; < > [ ] \` or control characters
/// (they would break the Asterisk callerid line), and not only whitespace.
pub fn validate_full_name(value: &str) -> Result<String, FieldError> {
    check_length(Field::PhoneFullName, value, FULL_NAME_LEN)?;
    if let Some(c) = value.chars().find(|c| c.is_control() || FULL_NAME_FORBIDDEN.contains(c)) {
        return Err(FieldError::new(Field::PhoneFullName, Rule::ForbiddenChar(c)));
    }
    if value.trim().is_empty() {
        return Err(FieldError::new(Field::PhoneFullName, Rule::Blank));
    }
    Ok(value.to_string())
}

/// GMT offset: one of the 33 offsets; numeric variants (`-5`, `+5.5`) give the canonical form.
pub fn validate_local_gmt(value: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(Field::LocalGmt, Rule::Required));
    }
    canonical_gmt(value).map(str::to_string).ok_or_else(|| FieldError::new(Field::LocalGmt, Rule::Timezone))
}

/// Email: optional (empty is none); otherwise at most 100 characters and `local@domain.tld`.
pub fn validate_email(value: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    check_length(Field::Email, value, (3, EMAIL_MAX))?;
    let invalid = || FieldError::new(Field::Email, Rule::Email);
    let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(value.to_string())
    } else {
        Err(invalid())
    }
}

/// Phone context: 1-20 of letters, digits, `_` and `-`; `default` when empty.
pub fn validate_phone_context(value: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        return Ok(DEFAULT_PHONE_CONTEXT.to_string());
    }
    check_length(Field::PhoneContext, value, PHONE_CONTEXT_LEN)?;
    check_chars(Field::PhoneContext, value, is_login_char, LOGIN_CHARS)?;
    Ok(value.to_string())
}

/// User group: `---ALL---` when empty, else 1-20 of letters, digits, `_` and `-`.
pub fn validate_user_group(value: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        return Ok(ALL_GROUPS.to_string());
    }
    check_length(Field::AdminUserGroup, value, USER_GROUP_LEN)?;
    check_chars(Field::AdminUserGroup, value, is_login_char, LOGIN_CHARS)?;
    Ok(value.to_string())
}

/// Template id: empty or `--BLANK--` (any case) for none, else 1-15 of letters, digits, `_` and `-`.
/// (That the template exists is checked by the service.)
pub fn validate_template_id(value: &str) -> Result<String, FieldError> {
    if value.is_empty() || value.eq_ignore_ascii_case(BLANK) {
        return Ok(String::new());
    }
    check_length(Field::TemplateId, value, TEMPLATE_ID_LEN)?;
    check_chars(Field::TemplateId, value, is_login_char, LOGIN_CHARS)?;
    Ok(value.to_string())
}

/// The id of a new (or replaced) conf template: 2-15 of letters, digits, `_` and `-`; required.
pub fn validate_new_template_id(value: &str) -> Result<String, FieldError> {
    let id = validate_template_id(value)?;
    check_length(Field::TemplateId, &id, (NEW_TEMPLATE_ID_MIN, TEMPLATE_ID_LEN.1))?;
    Ok(id)
}

/// A Y/N flag, case-insensitive; `default` when empty; anything else is an error.
pub fn validate_flag(field: Field, value: &str, default: Flag) -> Result<Flag, FieldError> {
    match value {
        "" => Ok(default),
        v if v.eq_ignore_ascii_case("Y") => Ok(Flag::Y),
        v if v.eq_ignore_ascii_case("N") => Ok(Flag::N),
        _ => Err(FieldError::new(field, Rule::OneOf(vec!["Y".into(), "N".into()]))),
    }
}

/// `is_webphone`: Y, N or `Y_API_LAUNCH`, case-insensitive; `N` when empty.
pub fn validate_is_webphone(value: &str) -> Result<Webphone, FieldError> {
    [Webphone::Yes, Webphone::No, Webphone::YesApiLaunch]
        .into_iter()
        .find(|w| value.eq_ignore_ascii_case(w.as_str()))
        .or(value.is_empty().then_some(Webphone::No))
        .ok_or_else(|| {
            FieldError::new(Field::IsWebphone, Rule::OneOf(vec!["Y".into(), "N".into(), "Y_API_LAUNCH".into()]))
        })
}

/// Status: one of ACTIVE, SUSPENDED, CLOSED, PENDING, ADMIN (case-insensitive); `ACTIVE` when empty.
pub fn validate_status(value: &str) -> Result<PhoneStatus, FieldError> {
    if value.is_empty() {
        return Ok(PhoneStatus::Active);
    }
    PhoneStatus::ALL.into_iter().find(|s| value.eq_ignore_ascii_case(s.as_str())).ok_or_else(|| {
        FieldError::new(Field::Status, Rule::OneOf(PhoneStatus::ALL.iter().map(|s| s.as_str().to_string()).collect()))
    })
}

/// Phone type: an optional administrative note, at most 50 characters, no control characters.
pub fn validate_phone_type(value: &str) -> Result<String, FieldError> {
    check_length(Field::PhoneType, value, (0, PHONE_TYPE_MAX))?;
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(FieldError::new(Field::PhoneType, Rule::ForbiddenChar(c)));
    }
    Ok(value.to_string())
}

/// Ring timeout: 2-180 whole seconds; 60 when empty.
pub fn validate_ring_timeout(value: &str) -> Result<u16, FieldError> {
    if value.is_empty() {
        return Ok(60);
    }
    let (min, max) = RING_TIMEOUT;
    let err = || FieldError::new(Field::PhoneRingTimeout, Rule::Range { min, max });
    if value.len() > 3 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    match value.parse::<u16>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(err()),
    }
}

/// Alternate outbound caller id: optional, at most 20 digits.
pub fn validate_outbound_alt_cid(value: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    validate_digits(Field::OutboundAltCid, value, (1, OUTBOUND_ALT_CID_MAX))
}

/// Validates a whole phone entry. Returns the canonical entry, or every field error in field order.
/// This is the one entry point for the API, the server functions and the wizard.
pub fn validate_phone_entry(input: &PhoneEntryInput, protocols: ProtocolSet) -> Result<PhoneEntry, InvalidPhoneEntry> {
    let mut errors = Vec::new();
    macro_rules! check {
        ($e:expr, $fallback:expr) => {
            match $e {
                Ok(v) => v,
                Err(err) => {
                    errors.push(err);
                    $fallback
                }
            }
        };
    }
    let protocol = check!(validate_protocol(&input.protocol, protocols).map(Some), None);
    let entry_extension = check!(validate_extension(&input.extension, protocol), String::new());
    let dialplan_number = check!(validate_dialplan_number(&input.dialplan_number), String::new());
    let voicemail_id = check!(validate_voicemail_id(&input.voicemail_id), String::new());
    let phone_login = check!(validate_phone_login(&input.phone_login), String::new());
    let phone_pass = check!(validate_password(Field::PhonePass, &input.phone_pass), String::new());
    let server_ip = check!(validate_server_ip(&input.server_ip), String::new());
    let registration_password =
        check!(validate_password(Field::RegistrationPassword, &input.registration_password), String::new());
    let phone_full_name = check!(validate_full_name(&input.phone_full_name), String::new());
    let local_gmt = check!(validate_local_gmt(&input.local_gmt), String::new());
    let outbound_cid = check!(validate_outbound_cid(&input.outbound_cid), String::new());
    let email = check!(validate_email(&input.email), String::new());
    let phone_context = check!(validate_phone_context(&input.phone_context), String::new());
    let user_group = check!(validate_user_group(&input.admin_user_group), String::new());
    let is_webphone = check!(validate_is_webphone(&input.is_webphone), Webphone::No);
    let webphone_auto_answer =
        check!(validate_flag(Field::WebphoneAutoAnswer, &input.webphone_auto_answer, Flag::Y), Flag::Y);
    let use_external_server_ip =
        check!(validate_flag(Field::UseExternalServerIp, &input.use_external_server_ip, Flag::N), Flag::N);
    let on_hook_agent = check!(validate_flag(Field::OnHookAgent, &input.on_hook_agent, Flag::N), Flag::N);
    let template_id = check!(validate_template_id(&input.template_id), String::new());
    let status = check!(validate_status(&input.status), PhoneStatus::Active);
    let active = check!(validate_flag(Field::Active, &input.active, Flag::Y), Flag::Y);
    let phone_type = check!(validate_phone_type(&input.phone_type), String::new());
    let phone_ring_timeout = check!(validate_ring_timeout(&input.phone_ring_timeout), 60);
    let outbound_alt_cid = check!(validate_outbound_alt_cid(&input.outbound_alt_cid), String::new());
    let delete_vm_after_email =
        check!(validate_flag(Field::DeleteVmAfterEmail, &input.delete_vm_after_email, Flag::N), Flag::N);
    match protocol {
        Some(protocol) if errors.is_empty() => Ok(PhoneEntry {
            extension: entry_extension,
            dialplan_number,
            voicemail_id,
            phone_login,
            phone_pass,
            server_ip,
            protocol,
            registration_password,
            phone_full_name,
            local_gmt,
            outbound_cid,
            email,
            phone_context,
            user_group,
            is_webphone,
            webphone_auto_answer,
            use_external_server_ip,
            on_hook_agent,
            template_id,
            status,
            active,
            phone_type,
            phone_ring_timeout,
            outbound_alt_cid,
            delete_vm_after_email,
        }),
        _ => {
            // Report in field order: the protocol was checked first only because the extension rule needs it.
            errors.sort_by_key(|e| Field::ALL.iter().position(|f| *f == e.field));
            Err(InvalidPhoneEntry { errors })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> PhoneEntryInput {
        PhoneEntryInput {
            extension: "cc101".into(),
            dialplan_number: "101".into(),
            voicemail_id: "101".into(),
            phone_login: "cc101".into(),
            phone_pass: "test".into(),
            server_ip: "10.10.10.15".into(),
            protocol: "SIP".into(),
            registration_password: "secret101".into(),
            phone_full_name: "Agent 101".into(),
            local_gmt: "-5.00".into(),
            outbound_cid: "3125551101".into(),
            ..Default::default()
        }
    }

    fn first_error(input: PhoneEntryInput) -> FieldError {
        match validate_phone_entry(&input, ProtocolSet::WebAdmin) {
            Ok(e) => panic!("expected an error, got {e:?}"),
            Err(e) => e.errors[0].clone(),
        }
    }

    #[test]
    fn a_valid_entry_gets_defaults() {
        let e = validate_phone_entry(&valid(), ProtocolSet::LegacyApi).expect("valid");
        assert_eq!(e.phone_context, "default");
        assert_eq!(e.user_group, "---ALL---");
        assert_eq!(e.is_webphone, Webphone::No);
        assert_eq!(e.webphone_auto_answer, Flag::Y);
        assert_eq!(e.on_hook_agent, Flag::N);
        assert_eq!(e.status, PhoneStatus::Active);
        assert_eq!(e.active, Flag::Y);
        assert_eq!(e.phone_ring_timeout, 60);
        assert_eq!(e.template_id, "");
        assert_eq!(e.email, "");
    }

    #[test]
    fn to_input_round_trips() {
        let e = validate_phone_entry(&valid(), ProtocolSet::WebAdmin).expect("valid");
        assert_eq!(validate_phone_entry(&e.to_input(), ProtocolSet::WebAdmin), Ok(e));
    }

    #[test]
    fn extension_rules_depend_on_protocol() {
        assert!(validate_extension("agent-101", Some(Protocol::Sip)).is_err());
        assert!(validate_extension("agent-101", Some(Protocol::Iax2)).is_err());
        assert!(validate_extension("agent-101", Some(Protocol::Pjsip)).is_err());
        assert_eq!(validate_extension("25-1", Some(Protocol::Zap)).as_deref(), Ok("25-1"));
        assert_eq!(validate_extension("ext-101", Some(Protocol::External)).as_deref(), Ok("ext-101"));
        assert!(validate_extension("a_b", Some(Protocol::External)).is_err());
        assert_eq!(
            validate_extension("7", Some(Protocol::Sip)).map_err(|e| e.rule),
            Err(Rule::Length { min: 2, max: 100, actual: 1 })
        );
        assert!(validate_extension(&"x".repeat(100), Some(Protocol::Sip)).is_ok());
        assert!(validate_extension(&"x".repeat(101), Some(Protocol::Sip)).is_err());
        assert_eq!(validate_extension("", None).map_err(|e| e.rule), Err(Rule::Required));
        assert!(validate_extension("ab@c.d/e:f#g*h", Some(Protocol::Sip)).is_err());
        assert!(validate_extension("1' OR '1'='1", Some(Protocol::Sip)).is_err());
        assert!(validate_extension("José", Some(Protocol::Sip)).is_err());
    }

    #[test]
    fn digit_fields() {
        assert!(validate_dialplan_number("1").is_ok());
        assert!(validate_dialplan_number(&"9".repeat(20)).is_ok());
        assert!(validate_dialplan_number(&"9".repeat(21)).is_err());
        assert!(validate_dialplan_number("*98#").is_err());
        assert!(validate_dialplan_number("12ab").is_err());
        assert!(validate_dialplan_number("555-0101").is_err());
        assert!(validate_dialplan_number("١٢٣").is_err(), "non-ASCII digits are not digits here");
        assert!(validate_voicemail_id("9999999999").is_ok());
        assert!(validate_voicemail_id("99999999999").is_err());
        assert!(validate_outbound_cid("ABCDEF").is_err());
        assert!(validate_outbound_cid(&"3".repeat(20)).is_ok());
        assert!(validate_outbound_cid(&"3".repeat(21)).is_err());
        assert_eq!(validate_outbound_cid("").map_err(|e| e.rule), Err(Rule::Required));
    }

    #[test]
    fn login_and_passwords() {
        assert!(validate_phone_login("agent_1-a").is_ok());
        assert!(validate_phone_login(&"L".repeat(15)).is_ok());
        assert!(validate_phone_login(&"L".repeat(16)).is_err());
        assert!(validate_phone_login("éè").is_err());
        assert!(validate_phone_login("a b").is_err());
        assert!(validate_password(Field::RegistrationPassword, "s3cr3t!@#$").is_err());
        assert!(validate_password(Field::RegistrationPassword, &"p".repeat(100)).is_ok());
        assert!(validate_password(Field::PhonePass, &"p".repeat(101)).is_err());
        assert_eq!(validate_password(Field::PhonePass, "").map_err(|e| e.rule), Err(Rule::Required));
    }

    #[test]
    fn server_ip() {
        for ok in ["10.10.10.15", "0.0.0.0", "255.255.255.255", "192.168.1.1"] {
            assert!(validate_server_ip(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "10.10.10", "10.10.10.256", "10.10.10.015", "a.b.c.d", "10.10.10.15 ", "::1", "10..10.1", "1.2.3.4.5"]
        {
            assert!(validate_server_ip(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn protocol_sets() {
        assert_eq!(validate_protocol("PJSIP", ProtocolSet::WebAdmin), Ok(Protocol::Pjsip));
        assert!(validate_protocol("PJSIP", ProtocolSet::LegacyApi).is_err());
        for bad in ["sip", "SIP/", "IAX", "DAHDI", "SKYPE", "zap"] {
            assert!(validate_protocol(bad, ProtocolSet::WebAdmin).is_err(), "{bad}");
        }
        for good in ["SIP", "IAX2", "Zap", "EXTERNAL"] {
            assert!(validate_protocol(good, ProtocolSet::LegacyApi).is_ok(), "{good}");
        }
    }

    #[test]
    fn full_name() {
        assert!(validate_full_name("José Müller 日本").is_ok());
        assert!(validate_full_name("O'Brien, Jr.").is_ok());
        assert_eq!(validate_full_name("a\"b").map_err(|e| e.rule), Err(Rule::ForbiddenChar('"')));
        for bad in ["a;b", "a<b", "a>b", "a[b", "a]b", "a\\b", "a\nb", "a\u{0}b", "a\u{7f}b"] {
            assert!(validate_full_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_full_name(&"é".repeat(50)).is_ok(), "50 characters, 100 bytes");
        assert!(validate_full_name(&"é".repeat(51)).is_err());
        assert_eq!(validate_full_name("   ").map_err(|e| e.rule), Err(Rule::Blank));
    }

    #[test]
    fn optional_fields() {
        assert_eq!(validate_email("").as_deref(), Ok(""));
        assert!(validate_email("agent101@example.com").is_ok());
        assert!(validate_email("o'brien@example.com").is_ok());
        for bad in ["no-at", "a@b", "a@@b.com", "@b.com", "a@b..com", "a b@c.com", "a@-b.com", "a@b.com;x"] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
        assert!(validate_email(&format!("{}@ex.com", "e".repeat(94))).is_err());
        assert_eq!(validate_phone_context("").as_deref(), Ok("default"));
        assert!(validate_phone_context(&"c".repeat(21)).is_err());
        assert_eq!(validate_user_group("").as_deref(), Ok("---ALL---"));
        assert_eq!(validate_user_group("---ALL---").as_deref(), Ok("---ALL---"));
        assert_eq!(validate_template_id("--blank--").as_deref(), Ok(""));
        assert!(validate_template_id("X").is_ok(), "a stored phone may name any valid id");
        assert_eq!(validate_new_template_id("SIPTMPL").as_deref(), Ok("SIPTMPL"));
        assert_eq!(
            validate_new_template_id("X").map_err(|e| e.rule),
            Err(Rule::Length { min: 2, max: 15, actual: 1 }),
            "the legacy API ignores one-character ids, so no template may have one"
        );
        assert_eq!(validate_new_template_id("").map_err(|e| e.rule), Err(Rule::Required));
        assert_eq!(validate_new_template_id("--BLANK--").map_err(|e| e.rule), Err(Rule::Required));
        assert!(validate_new_template_id("bad template").is_err());
        assert!(validate_template_id("SIPTMPL").is_ok());
        assert!(validate_template_id("bad template").is_err());
        assert_eq!(validate_is_webphone("y"), Ok(Webphone::Yes));
        assert_eq!(validate_is_webphone("y_api_launch"), Ok(Webphone::YesApiLaunch));
        assert!(validate_is_webphone("MAYBE").is_err());
        assert_eq!(validate_flag(Field::OnHookAgent, "n", Flag::Y), Ok(Flag::N));
        assert!(validate_flag(Field::OnHookAgent, "yes", Flag::N).is_err());
        assert_eq!(validate_ring_timeout(""), Ok(60));
        assert_eq!(validate_ring_timeout("180"), Ok(180));
        assert!(validate_ring_timeout("1").is_err());
        assert!(validate_ring_timeout("181").is_err());
        assert!(validate_ring_timeout("-5").is_err());
        assert_eq!(validate_status("suspended"), Ok(PhoneStatus::Suspended));
        assert!(validate_status("GONE").is_err());
        assert!(validate_phone_type(&"t".repeat(51)).is_err());
    }

    #[test]
    fn gmt_is_canonicalised() {
        let mut input = valid();
        input.local_gmt = "+5.5".into();
        assert_eq!(validate_phone_entry(&input, ProtocolSet::LegacyApi).map(|e| e.local_gmt).as_deref(), Ok("5.50"));
        input.local_gmt = "5.45".into();
        assert_eq!(first_error(input).rule, Rule::Timezone);
    }

    #[test]
    fn all_errors_are_reported_in_field_order() {
        let input = PhoneEntryInput { protocol: "SIP".into(), ..Default::default() };
        let err = validate_phone_entry(&input, ProtocolSet::WebAdmin).expect_err("empty");
        let fields: Vec<Field> = err.errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                Field::Extension,
                Field::DialplanNumber,
                Field::VoicemailId,
                Field::PhoneLogin,
                Field::PhonePass,
                Field::ServerIp,
                Field::RegistrationPassword,
                Field::PhoneFullName,
                Field::LocalGmt,
                Field::OutboundCid
            ]
        );
        assert_eq!(err.for_field(Field::Extension).map(|e| e.to_string()).as_deref(), Some("extension is required"));
    }

    #[test]
    fn messages_name_field_and_rule() {
        let mut input = valid();
        input.extension = "agent-101".into();
        let e = first_error(input);
        assert_eq!(
            e.to_string(),
            "extension may contain only letters and digits for SIP, IAX2 and PJSIP phones (no dashes)"
        );
        assert_eq!(
            e.labelled(),
            "Extension may contain only letters and digits for SIP, IAX2 and PJSIP phones (no dashes)"
        );
    }
}
