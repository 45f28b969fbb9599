//! The add-phone wizard's plain-language model: its six steps and which fields each asks, the device
//! choices of step 1 (and what each sets, the ring timeout a home or mobile number starts with
//! included), and the web admin's extra rules on top of the phone-entry rules (no well-known
//! registration password, the server's SIP stack, weak passwords only when accepted), with the
//! password strength its meter shows and the alphabet of generated passwords. Pure and wasm-safe: the
//! browser checks each step with these functions as the user types, the server checks the whole entry
//! again with the same ones. Knows nothing of the UI, SQL or HTTP.

use serde::{Deserialize, Serialize};

use super::decision_flow::MOBILE_VOICEMAIL_SECONDS;
use super::phone_entry::{validate_phone_entry, Field, FieldError, PhoneEntryInput, ProtocolSet, Rule};
use super::sip_stacks::SipStacks;
use super::Protocol;

/// The ring timeout (seconds) the wizard starts a phone with: VICIdial's 60.
pub const DEFAULT_RING_TIMEOUT: &str = "60";

/// The characters of generated passwords: letters and digits without the look-alikes `l`, `1`, `I`,
/// `O` and `0`, so a password read aloud or copied by hand comes out right.
pub const GENERATED_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// How hard a password is to guess, as the web admin's strength meter shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Strength {
    /// Shorter than 8 characters or of one kind of character only: guessed quickly.
    Weak,
    /// At least 8 characters of two kinds or more.
    Fair,
    /// At least 12 characters of two kinds or more.
    Strong,
}

impl Strength {
    /// Its word ("weak", "fair", "strong").
    pub fn word(self) -> &'static str {
        match self {
            Strength::Weak => "weak",
            Strength::Fair => "fair",
            Strength::Strong => "strong",
        }
    }

    /// Its level on a meter, 1 to 3.
    pub fn level(self) -> u8 {
        match self {
            Strength::Weak => 1,
            Strength::Fair => 2,
            Strength::Strong => 3,
        }
    }
}

/// The strength of `password` and, when weak, why (for the warning).
pub fn password_strength(password: &str) -> (Strength, Option<String>) {
    let len = password.chars().count();
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|k| *k)
    .count();
    if len < 8 {
        (Strength::Weak, Some(format!("{len} character{}", if len == 1 { "" } else { "s" })))
    } else if kinds < 2 {
        (Strength::Weak, Some("one kind of character only".into()))
    } else if len < 12 {
        (Strength::Fair, None)
    } else {
        (Strength::Strong, None)
    }
}

/// The passwords of `input` the web admin warns about: a login or registration password typed (not
/// empty) and weak, unless its field is in `accepted` (the user ticked "Use this weak password
/// anyway"). A device that does not register is not judged on its registration password. The legacy
/// API does not call this: it keeps VICIdial's rules.
pub fn weak_password_errors(input: &PhoneEntryInput, accepted: &[Field]) -> Vec<FieldError> {
    let registers = Protocol::parse(&input.protocol).is_none_or(Protocol::registers);
    [Field::PhonePass, Field::RegistrationPassword]
        .into_iter()
        .filter(|f| !accepted.contains(f) && (*f != Field::RegistrationPassword || registers))
        .filter_map(|f| match password_strength(input.get(f)) {
            (Strength::Weak, Some(why)) if !input.get(f).is_empty() => {
                Some(FieldError::new(f, Rule::WeakPassword(why)))
            }
            _ => None,
        })
        .collect()
}

/// A step of the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// 1. What is the agent's audio device?
    Device,
    /// 2. Identity.
    Identity,
    /// 3. Server and credentials.
    Server,
    /// 4. Person.
    Person,
    /// 5. Options.
    Options,
    /// 6. Review.
    Review,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 6] = [Step::Device, Step::Identity, Step::Server, Step::Person, Step::Options, Step::Review];

    /// Its number, from 1.
    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            Step::Device => "What is the agent's audio device?",
            Step::Identity => "Identity",
            Step::Server => "Server and credentials",
            Step::Person => "Person",
            Step::Options => "Options",
            Step::Review => "Review",
        }
    }

    /// Its short name (the step list, and the phone page's groups).
    pub fn short_title(self) -> &'static str {
        match self {
            Step::Device => "Device",
            other => other.title(),
        }
    }

    /// The fields this step asks (the review asks none).
    pub fn fields(self) -> &'static [Field] {
        match self {
            Step::Device => &[Field::Protocol, Field::IsWebphone, Field::PhoneType],
            Step::Identity => &[Field::Extension, Field::DialplanNumber, Field::VoicemailId],
            Step::Server => &[Field::ServerIp, Field::PhoneLogin, Field::PhonePass, Field::RegistrationPassword],
            Step::Person => {
                &[Field::PhoneFullName, Field::OutboundCid, Field::LocalGmt, Field::Email, Field::AdminUserGroup]
            }
            Step::Options => &[
                Field::PhoneContext,
                Field::WebphoneAutoAnswer,
                Field::UseExternalServerIp,
                Field::OnHookAgent,
                Field::TemplateId,
                Field::PhoneRingTimeout,
                Field::Status,
                Field::Active,
                Field::OutboundAltCid,
                Field::DeleteVmAfterEmail,
            ],
            Step::Review => &[],
        }
    }

    /// The step that asks `field`.
    pub fn of(field: Field) -> Step {
        Step::ALL.into_iter().find(|s| s.fields().contains(&field)).unwrap_or(Step::Review)
    }

    /// The next step (the review stays).
    pub fn next(self) -> Step {
        Step::ALL.get(self.number()).copied().unwrap_or(Step::Review)
    }

    /// The previous step (the first stays).
    pub fn previous(self) -> Step {
        Step::ALL.get(self.number().saturating_sub(2)).copied().unwrap_or(Step::Device)
    }
}

/// Step 1's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Device {
    /// A SIP softphone or desk phone.
    SipPhone,
    /// An IAX2 phone.
    Iax2,
    /// A PJSIP phone (when the server runs PJSIP).
    Pjsip,
    /// The browser webphone (SIP with `is_webphone`).
    Webphone,
    /// A home or mobile number the dialer calls (EXTERNAL).
    External,
    /// A Zap/DAHDI channel.
    Zap,
}

impl Device {
    /// Every choice, in the wizard's order.
    pub const ALL: [Device; 6] =
        [Device::SipPhone, Device::Webphone, Device::Iax2, Device::Pjsip, Device::External, Device::Zap];

    /// The value in forms.
    pub fn key(self) -> &'static str {
        match self {
            Device::SipPhone => "sip",
            Device::Iax2 => "iax2",
            Device::Pjsip => "pjsip",
            Device::Webphone => "webphone",
            Device::External => "external",
            Device::Zap => "zap",
        }
    }

    /// The choice for a form value.
    pub fn parse(key: &str) -> Option<Device> {
        Device::ALL.into_iter().find(|d| d.key() == key)
    }

    /// The choice's name.
    pub fn label(self) -> &'static str {
        match self {
            Device::SipPhone => "SIP softphone or desk phone",
            Device::Iax2 => "IAX2 phone",
            Device::Pjsip => "PJSIP phone",
            Device::Webphone => "Browser webphone",
            Device::External => "Home or mobile number",
            Device::Zap => "Zap (DAHDI) channel",
        }
    }

    /// What happens at agent login, in one sentence.
    pub fn explains(self) -> &'static str {
        match self {
            Device::SipPhone => {
                "The phone registers to Asterisk with its extension and registration password; at login the dialer rings it."
            }
            Device::Iax2 => "The phone registers to Asterisk over IAX2; at login the dialer rings it.",
            Device::Pjsip => {
                "The phone registers to Asterisk's PJSIP stack (the server must allow PJSIP); at login the dialer rings it."
            }
            Device::Webphone => {
                "The agent's browser registers as a SIP phone over WebRTC when the agent screen opens; nothing to install."
            }
            Device::External => {
                "Nothing registers: at login the dialer calls the dialplan number through a trunk and the agent answers."
            }
            Device::Zap => "A hardware channel on the Asterisk server; at login the dialer rings that channel.",
        }
    }

    /// The protocol this choice stores.
    pub fn protocol(self) -> Protocol {
        match self {
            Device::SipPhone | Device::Webphone => Protocol::Sip,
            Device::Iax2 => Protocol::Iax2,
            Device::Pjsip => Protocol::Pjsip,
            Device::External => Protocol::External,
            Device::Zap => Protocol::Zap,
        }
    }

    /// The ring timeout a new phone of this kind starts with: a home or mobile number rings at most
    /// [`MOBILE_VOICEMAIL_SECONDS`] (its own voicemail answers after about that long, which the login
    /// path warns about); every other device VICIdial's [`DEFAULT_RING_TIMEOUT`].
    pub fn default_ring_timeout(self) -> String {
        if self == Device::External {
            MOBILE_VOICEMAIL_SECONDS.to_string()
        } else {
            DEFAULT_RING_TIMEOUT.to_string()
        }
    }

    /// Sets the fields this choice decides: the protocol, `is_webphone`, and for EXTERNAL the phone
    /// type "external" too (the two must be set together). A ring timeout still at the default of the
    /// device chosen before (or empty) becomes this device's [`Device::default_ring_timeout`].
    pub fn apply(self, input: &mut PhoneEntryInput) {
        let before = Device::of(input).unwrap_or(Device::SipPhone);
        if input.phone_ring_timeout.is_empty() || input.phone_ring_timeout == before.default_ring_timeout() {
            input.phone_ring_timeout = self.default_ring_timeout();
        }
        input.protocol = self.protocol().as_str().to_string();
        input.is_webphone = if self == Device::Webphone { "Y".into() } else { "N".into() };
        if self == Device::External {
            input.phone_type = "external".into();
        } else if input.phone_type.eq_ignore_ascii_case("external") {
            input.phone_type.clear();
        }
    }

    /// The choice a stored or typed entry corresponds to (`None` for an unknown protocol).
    pub fn of(input: &PhoneEntryInput) -> Option<Device> {
        Some(match Protocol::parse(&input.protocol)? {
            Protocol::Sip if input.is_webphone.starts_with('Y') => Device::Webphone,
            Protocol::Sip => Device::SipPhone,
            Protocol::Iax2 => Device::Iax2,
            Protocol::Pjsip => Device::Pjsip,
            Protocol::External => Device::External,
            Protocol::Zap => Device::Zap,
        })
    }

    /// Whether the device registers (and so needs a registration password).
    pub fn registers(self) -> bool {
        self.protocol().registers()
    }
}

/// Every error of `input` under the web admin's rules: the phone-entry rules, then no well-known
/// registration password for devices that register, then the server's SIP stack when known
/// (`allowed_sip_stacks` of the chosen server, the rule the login path applies at the peer). In field
/// order.
pub fn check_entry(input: &PhoneEntryInput, server_sip_stacks: Option<SipStacks>) -> Vec<FieldError> {
    let mut errors = match validate_phone_entry(input, ProtocolSet::WebAdmin) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors,
    };
    let protocol = Protocol::parse(&input.protocol);
    if protocol.is_some_and(Protocol::registers)
        && input.registration_password.eq_ignore_ascii_case("test")
        && !errors.iter().any(|e| e.field == Field::RegistrationPassword)
    {
        errors.push(FieldError::new(Field::RegistrationPassword, Rule::WellKnownSecret));
    }
    if let (Some(protocol), Some(allowed)) = (protocol, server_sip_stacks) {
        if !allowed.allows(protocol) && !errors.iter().any(|e| e.field == Field::ServerIp) {
            errors.push(FieldError::new(Field::ServerIp, Rule::SipStack { protocol, allowed }));
        }
    }
    errors.sort_by_key(|e| Field::ALL.iter().position(|f| *f == e.field));
    errors
}

/// Every error the web form refuses: [`check_entry`], then the weak passwords not `accepted`
/// ([`weak_password_errors`]) on fields without another error. In field order.
pub fn check_form(
    input: &PhoneEntryInput,
    server_sip_stacks: Option<SipStacks>,
    accepted: &[Field],
) -> Vec<FieldError> {
    let mut errors = check_entry(input, server_sip_stacks);
    let weak: Vec<FieldError> = weak_password_errors(input, accepted)
        .into_iter()
        .filter(|w| !errors.iter().any(|e| e.field == w.field))
        .collect();
    errors.extend(weak);
    errors.sort_by_key(|e| Field::ALL.iter().position(|f| *f == e.field));
    errors
}

/// The errors of `step`'s fields only (what the wizard shows before "Next").
pub fn check_step(step: Step, input: &PhoneEntryInput, server_sip_stacks: Option<SipStacks>) -> Vec<FieldError> {
    check_entry(input, server_sip_stacks).into_iter().filter(|e| Step::of(e.field) == step).collect()
}

/// Which fields a device asks: a device that does not register is not asked a registration password.
pub fn asks(device: Option<Device>, field: Field) -> bool {
    match field {
        Field::RegistrationPassword => device.is_none_or(Device::registers),
        Field::IsWebphone | Field::WebphoneAutoAnswer => device.is_none_or(|d| d == Device::Webphone),
        _ => true,
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
            phone_pass: "pw101".into(),
            server_ip: "10.10.10.15".into(),
            protocol: "SIP".into(),
            registration_password: "Zx9strongsecret".into(),
            phone_full_name: "Agent 101".into(),
            local_gmt: "-5.00".into(),
            outbound_cid: "3125551101".into(),
            ..Default::default()
        }
    }

    #[test]
    fn every_field_belongs_to_one_step() {
        for field in Field::ALL {
            let steps: Vec<_> = Step::ALL.into_iter().filter(|s| s.fields().contains(&field)).collect();
            assert_eq!(steps.len(), 1, "{field:?} in {steps:?}");
        }
        assert_eq!(Step::Device.next(), Step::Identity);
        assert_eq!(Step::Review.next(), Step::Review);
        assert_eq!(Step::Identity.previous(), Step::Device);
        assert_eq!(Step::Device.previous(), Step::Device);
        assert_eq!(Step::Review.number(), 6);
    }

    #[test]
    fn external_sets_protocol_and_phone_type_together_and_skips_the_registration_password() {
        let mut input = valid();
        Device::External.apply(&mut input);
        assert_eq!((input.protocol.as_str(), input.phone_type.as_str()), ("EXTERNAL", "external"));
        assert!(!asks(Some(Device::External), Field::RegistrationPassword));
        assert_eq!(Device::of(&input), Some(Device::External));
        Device::Webphone.apply(&mut input);
        assert_eq!((input.protocol.as_str(), input.is_webphone.as_str(), input.phone_type.as_str()), ("SIP", "Y", ""));
        assert_eq!(Device::of(&input), Some(Device::Webphone));
        for d in Device::ALL {
            assert_eq!(Device::parse(d.key()), Some(d));
            assert!(d.explains().ends_with('.'));
        }
    }

    #[test]
    fn the_web_admin_refuses_test_and_the_wrong_sip_stack() {
        assert!(check_entry(&valid(), Some(SipStacks::Sip)).is_empty());
        let weak = PhoneEntryInput { registration_password: "TEST".into(), ..valid() };
        let e = check_entry(&weak, None);
        assert_eq!((e.len(), e[0].field, &e[0].rule), (1, Field::RegistrationPassword, &Rule::WellKnownSecret));
        // EXTERNAL does not register: its (unused) password is not judged.
        let mut ext = PhoneEntryInput { registration_password: "test".into(), ..valid() };
        Device::External.apply(&mut ext);
        assert!(check_entry(&ext, None).is_empty());
        let pjsip = PhoneEntryInput { protocol: "PJSIP".into(), ..valid() };
        let e = check_entry(&pjsip, Some(SipStacks::Sip));
        assert_eq!(e[0].field, Field::ServerIp);
        assert!(e[0].labelled().contains("does not run PJSIP phones (it allows SIP only)"), "{}", e[0].labelled());
        assert!(check_entry(&pjsip, Some(SipStacks::SipAndPjsip)).is_empty());
        let e = check_entry(&valid(), Some(SipStacks::Pjsip));
        assert_eq!(
            (e[0].field, &e[0].rule),
            (Field::ServerIp, &Rule::SipStack { protocol: Protocol::Sip, allowed: SipStacks::Pjsip })
        );
        assert!(e[0].labelled().contains("does not run SIP phones (it allows PJSIP only)"), "{}", e[0].labelled());
    }

    #[test]
    fn weak_passwords_are_named_unless_accepted_and_external_rings_briefly() {
        assert_eq!(password_strength("abc"), (Strength::Weak, Some("3 characters".into())));
        assert_eq!(password_strength("1"), (Strength::Weak, Some("1 character".into())));
        assert_eq!(password_strength("abcdefghij").0, Strength::Weak);
        assert_eq!(password_strength("abcd1234").0, Strength::Fair);
        assert_eq!(password_strength("Zx9strongsecret").0, Strength::Strong);
        let weak = PhoneEntryInput { phone_pass: "abc".into(), registration_password: "1".into(), ..valid() };
        let e = weak_password_errors(&weak, &[]);
        assert_eq!(e.iter().map(|e| e.field).collect::<Vec<_>>(), [Field::PhonePass, Field::RegistrationPassword]);
        assert!(e[0].labelled().starts_with("Login password is weak (3 characters)"), "{}", e[0].labelled());
        assert!(weak_password_errors(&weak, &[Field::PhonePass, Field::RegistrationPassword]).is_empty());
        // Empty (an edit keeping the stored one) is not judged; EXTERNAL's registration password neither.
        assert!(weak_password_errors(&PhoneEntryInput { phone_pass: String::new(), ..valid() }, &[]).is_empty());
        let mut ext = weak.clone();
        Device::External.apply(&mut ext);
        assert_eq!(weak_password_errors(&ext, &[]).len(), 1);
        assert!(!GENERATED_ALPHABET.iter().any(|c| b"l1IO0".contains(c)));

        let mut home = PhoneEntryInput { phone_ring_timeout: DEFAULT_RING_TIMEOUT.into(), ..valid() };
        Device::External.apply(&mut home);
        assert_eq!(home.phone_ring_timeout, MOBILE_VOICEMAIL_SECONDS.to_string());
        // Back to a desk phone: back to its default; a value the user chose stays.
        Device::SipPhone.apply(&mut home);
        assert_eq!(home.phone_ring_timeout, DEFAULT_RING_TIMEOUT);
        let mut kept = PhoneEntryInput { phone_ring_timeout: "15".into(), ..valid() };
        Device::External.apply(&mut kept);
        Device::Webphone.apply(&mut kept);
        assert_eq!(kept.phone_ring_timeout, "15");
    }

    #[test]
    fn a_step_reports_only_its_own_fields() {
        let input = PhoneEntryInput { extension: "cc-101".into(), phone_login: String::new(), ..valid() };
        let identity = check_step(Step::Identity, &input, None);
        assert_eq!(identity.len(), 1);
        assert!(identity[0].labelled().starts_with("Extension may contain only letters and digits"));
        assert_eq!(check_step(Step::Server, &input, None)[0].field, Field::PhoneLogin);
        assert!(check_step(Step::Person, &input, None).is_empty());
    }
}
