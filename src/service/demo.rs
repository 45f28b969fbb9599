//! Demo data: servers, carriers, a WebRTC template, phones and an alias that show every verdict of the
//! login path (ready, will hear silence, unknown) and its common causes, so a newcomer sees the
//! feature at once. Everything goes through the same service functions (and rules, and audit) as the
//! web admin and the API, as user `demo`.
//!
//! Knows the service functions only; nothing of HTTP or the UI.

use crate::domain::carrier::CarrierInput;
use crate::domain::{PhoneEntryInput, ProtocolSet, SipStacks};
use crate::service::{admin, aliases, carriers, phones, Actor};
use crate::storage::servers::ServerSettings;
use crate::storage::Db;

/// The demo's agent-login server.
pub const DEMO_SERVER: &str = "10.90.0.1";
/// A second server, not an agent-login server.
pub const DEMO_NO_LOGIN_SERVER: &str = "10.90.0.2";

/// Why the demo data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// There are phones already: the demo is for an empty system.
    #[error("there are phones already; demo data is only loaded into an empty system")]
    NotEmpty,
    /// A step was refused (the message names it).
    #[error("{0}")]
    Refused(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// What was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// Servers added.
    pub servers: usize,
    /// Carriers added.
    pub carriers: usize,
    /// Phones added.
    pub phones: usize,
}

/// The demo's phones: extension, what it shows, and how it differs from a plain SIP phone.
fn demo_phones() -> Vec<(&'static str, PhoneEntryInput)> {
    let base = |ext: &str, name: &str| PhoneEntryInput {
        extension: ext.into(),
        dialplan_number: String::new(),
        voicemail_id: String::new(),
        phone_login: ext.into(),
        phone_pass: "demopass1".into(),
        server_ip: DEMO_SERVER.into(),
        protocol: "SIP".into(),
        registration_password: format!("Rg{ext}x7Q"),
        phone_full_name: name.into(),
        local_gmt: "-5.00".into(),
        outbound_cid: "3125550100".into(),
        phone_context: "default".into(),
        phone_ring_timeout: "60".into(),
        ..PhoneEntryInput::default()
    };
    let external = |ext: &str, name: &str, number: &str, ring: &str| PhoneEntryInput {
        protocol: "EXTERNAL".into(),
        phone_type: "external".into(),
        dialplan_number: number.into(),
        phone_ring_timeout: ring.into(),
        ..base(ext, name)
    };
    let numbered = |mut p: PhoneEntryInput, n: usize| {
        if p.dialplan_number.is_empty() {
            p.dialplan_number = format!("81{n:02}");
        }
        p.voicemail_id = format!("81{n:02}");
        p
    };
    let list = vec![
        ("ready: a home number the US carrier routes", external("demohome1", "Ana Home", "913125550101", "18")),
        (
            "ready with a warning: rings 45 s, a mobile's voicemail answers first",
            external("demomobile2", "Ben Mobile", "913125550102", "45"),
        ),
        (
            "will hear silence: no outside-line 9, no carrier pattern matches",
            external("demohome3", "Carla Home", "3125550103", "18"),
        ),
        (
            "will hear silence: only the inactive international carrier matches",
            external("demointl4", "Dmitri Abroad", "9011442071234567", "18"),
        ),
        (
            "unknown: a webphone with its WebRTC template; no AMI, so its registration is not known",
            PhoneEntryInput {
                is_webphone: "Y".into(),
                template_id: "demo_webrtc".into(),
                ..base("demoweb5", "Eve Browser")
            },
        ),
        (
            "will hear silence: a webphone without a WebRTC template",
            PhoneEntryInput { is_webphone: "Y".into(), ..base("demoweb6", "Farah Browser") },
        ),
        (
            "will hear silence: an inactive desk phone",
            PhoneEntryInput { active: "N".into(), ..base("demodesk7", "Gus Desk") },
        ),
        (
            "will hear silence: its server is not an agent-login server",
            PhoneEntryInput { server_ip: DEMO_NO_LOGIN_SERVER.into(), ..base("demodesk8", "Hana Desk") },
        ),
        ("unknown: a desk phone (no AMI on the demo server)", base("demodesk9", "Ivan Desk")),
        (
            "unknown, with a warning: an on-hook agent (never rung for outbound calls)",
            PhoneEntryInput { on_hook_agent: "Y".into(), ..base("demohook10", "Jo Inbound") },
        ),
    ];
    list.into_iter().enumerate().map(|(i, (why, p))| (why, numbered(p, i + 1))).collect()
}

/// Loads the demo into an empty system (no phones); refuses otherwise.
pub async fn load_demo(db: &Db) -> Result<DemoReport, DemoError> {
    let existing = {
        let mut conn = db.reader().acquire().await?;
        crate::storage::phones::count_phones(&mut conn).await?
    };
    if existing > 0 {
        return Err(DemoError::NotEmpty);
    }
    let actor = Actor { user: "demo".into(), ip: "demo".into() };
    let refused = |what: &str, e: &dyn std::fmt::Display| DemoError::Refused(format!("demo {what}: {e}"));
    let server = |ip: &'static str, id: &'static str, login: bool| ServerSettings {
        server_id: id,
        server_ip: ip,
        description: if login { "Demo: agent-login server" } else { "Demo: not an agent-login server" },
        active: true,
        asterisk_version: "18.21.0-vici",
        local_gmt: None,
        ext_context: "default",
        active_asterisk_server: true,
        generate_vicidial_conf: true,
        active_agent_login_server: login,
        external_server_ip: "198.51.100.10",
        web_socket_url: "wss://dialer.example.com:8089/ws",
        allowed_sip_stacks: SipStacks::Sip.as_str(),
        ami: None,
    };
    let mut servers = 0;
    for (ip, id, login) in [(DEMO_SERVER, "DEMO1", true), (DEMO_NO_LOGIN_SERVER, "DEMO2", false)] {
        if admin::find_server(db, ip).await?.is_none() {
            admin::create_server(db, &actor, &server(ip, id, login)).await.map_err(|e| refused("server", &e))?;
            servers += 1;
        }
    }
    let webrtc = "type=friend\nhost=dynamic\nencryption=yes\navpf=yes\nicesupport=yes\ndirectmedia=no\ntransport=wss\n\
                  force_avp=yes\ndtlsenable=yes\ndtlsverify=no\ndtlscertfile=/etc/asterisk/keys/asterisk.pem\n\
                  dtlssetup=actpass\nrtcp_mux=yes\n";
    admin::put_template(db, &actor, "demo_webrtc", webrtc).await.map_err(|e| refused("template", &e))?;
    let carrier = |id: &str, name: &str, active: &str, entry: &str| CarrierInput {
        carrier_id: id.into(),
        carrier_name: name.into(),
        server_ip: DEMO_SERVER.into(),
        protocol: "SIP".into(),
        registration_string: String::new(),
        dialplan_entry: entry.into(),
        active: active.into(),
        carrier_description: "Demo carrier".into(),
    };
    let mut added_carriers = 0;
    for input in [
        carrier(
            "DEMO_US",
            "Demo US trunk",
            "Y",
            "exten => _91NXXNXXXXXX,1,AGI(agi://127.0.0.1:4577/call_log)\n\
             exten => _91NXXNXXXXXX,n,Dial(SIP/demo_us/${EXTEN:1},,tTo)\n\
             exten => _91NXXNXXXXXX,n,Hangup()",
        ),
        carrier(
            "DEMO_INTL",
            "Demo international trunk (switched off)",
            "N",
            "exten => _9011.,1,Dial(SIP/demo_intl/${EXTEN:4},,tTo)\nexten => _9011.,n,Hangup()",
        ),
    ] {
        if carriers::find_carrier(db, &input.carrier_id).await?.is_none() {
            carriers::add_carrier(db, &actor, &input).await.map_err(|e| refused("carrier", &e))?;
            added_carriers += 1;
        }
    }
    let list = demo_phones();
    for (_, p) in &list {
        phones::add_phone_input(db, &actor, p, ProtocolSet::WebAdmin).await.map_err(|e| refused(&p.extension, &e))?;
    }
    aliases::add_alias(db, &actor, "demoteam", "Demo team desk phones", &["demodesk9".into(), "demohook10".into()])
        .await
        .map_err(|e| refused("alias", &e))?;
    Ok(DemoReport { servers, carriers: added_carriers, phones: list.len() })
}

/// One line per demo phone: the extension and what it shows (for `dialtone demo`).
pub fn demo_summary() -> Vec<String> {
    demo_phones().into_iter().map(|(why, p)| format!("{:<12} {why}", p.extension)).collect()
}
