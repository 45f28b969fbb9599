//! The remote agents' phones (EXTERNAL phones and webphones) with their registration state, read in
//! one query on a blocking thread with `rusqlite`: the readiness board reads thousands of rows, and
//! row by row through the async pool each row costs a thread hand-off (measured: most of the time).
//!
//! Knows the schema only; nothing of HTTP or the UI. Blocking: call it from `spawn_blocking`.

use crate::domain::registration::PeerStatus;
use crate::storage::phones::PhoneRow;
use crate::storage::registration::{AddressMoves, RegistrationRow};

/// The columns [`phone_with_registration`] reads: every phone column the login path needs, and the
/// phone's registration (`dialtone_phone_registration r`, joined on the phone).
pub(crate) const PHONE_WITH_REGISTRATION: &str =
    "SELECT p.extension, p.dialplan_number, p.voicemail_id, p.login, p.pass, p.server_ip, p.protocol, \
     p.conf_secret, p.fullname, p.local_gmt, p.outbound_cid, p.email, p.phone_context, p.user_group, \
     p.is_webphone, p.webphone_auto_answer, p.use_external_server_ip, p.on_hook_agent, p.template_id, p.status, \
     p.active, p.phone_type, p.phone_ring_timeout, p.outbound_alt_cid, p.delete_vm_after_email, \
     p.install_directory, p.peer_status, p.ping_time, r.contact, r.user_agent, r.last_event_at, r.last_failure, \
     r.last_failure_at, r.known_to_asterisk, p.codecs_list, p.codecs_with_template, r.last_address, \
     r.previous_address, r.address_changes, r.address_changes_since FROM phones p \
     LEFT JOIN dialtone_phone_registration r ON r.server_ip = p.server_ip AND r.extension = p.extension";

/// Every remote agent's phone, optionally of one server and one user group, by extension, each with
/// its registration state.
pub fn remote_phones(
    path: &str,
    server_ip: Option<&str>,
    user_group: Option<&str>,
) -> rusqlite::Result<Vec<(PhoneRow, RegistrationRow)>> {
    let conn = super::conf::open_read_only(path)?;
    let mut stmt = conn.prepare(&format!(
        "{PHONE_WITH_REGISTRATION} \
         WHERE (p.protocol = 'EXTERNAL' OR p.is_webphone IN ('Y', 'Y_API_LAUNCH')) \
         AND (?1 IS NULL OR p.server_ip = ?1) AND (?2 IS NULL OR p.user_group = ?2) \
         ORDER BY p.extension, p.server_ip"
    ))?;
    let rows = stmt.query_map(rusqlite::params![server_ip, user_group], phone_with_registration)?;
    rows.collect()
}

/// One row of [`PHONE_WITH_REGISTRATION`]: the phone and its registration state.
pub(crate) fn phone_with_registration(r: &rusqlite::Row<'_>) -> rusqlite::Result<(PhoneRow, RegistrationRow)> {
    let text = |i: usize| -> rusqlite::Result<String> { Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default()) };
    let phone = PhoneRow {
        extension: text(0)?,
        dialplan_number: text(1)?,
        voicemail_id: text(2)?,
        login: text(3)?,
        pass: text(4)?,
        server_ip: text(5)?,
        protocol: text(6)?,
        conf_secret: text(7)?,
        fullname: text(8)?,
        local_gmt: text(9)?,
        outbound_cid: text(10)?,
        email: text(11)?,
        phone_context: text(12)?,
        user_group: text(13)?,
        is_webphone: text(14)?,
        webphone_auto_answer: text(15)?,
        use_external_server_ip: text(16)?,
        on_hook_agent: text(17)?,
        template_id: text(18)?,
        status: text(19)?,
        active: text(20)?,
        phone_type: text(21)?,
        phone_ring_timeout: r.get::<_, Option<i64>>(22)?.unwrap_or(60),
        outbound_alt_cid: text(23)?,
        delete_vm_after_email: text(24)?,
        install_directory: text(25)?,
        peer_status: text(26)?,
        codecs_list: text(34)?,
        codecs_with_template: text(35)?,
    };
    let registration = RegistrationRow {
        // The column's CHECK allows only VICIdial's values; anything else reads as unknown.
        peer_status: PeerStatus::parse(&phone.peer_status).unwrap_or_default(),
        ping_time: r.get(27)?,
        contact: r.get(28)?,
        user_agent: r.get(29)?,
        last_event_at: r.get(30)?,
        last_failure: r.get(31)?,
        last_failure_at: r.get(32)?,
        known_to_asterisk: r.get::<_, Option<i64>>(33)?.unwrap_or(0) != 0,
        moves: AddressMoves {
            last_address: r.get(36)?,
            previous_address: r.get(37)?,
            changes: r.get::<_, Option<i64>>(38)?.unwrap_or(0),
            since: r.get(39)?,
        },
    };
    Ok((phone, registration))
}
