//! `function=server_refresh` (`non_agent_api.php` 6721-6798): mark every server for a conf rebuild.

use crate::service::admin::refresh_servers;

use super::filters::{kept_unchanged, vicidial_filtered};
use super::{Call, Reply};

const F: &str = "server_refresh";

/// Handles `server_refresh`.
pub(super) async fn handle(call: &Call<'_>) -> Reply {
    if let Err(reply) = call.preamble(F, "REFRESH SERVERS") {
        return reply;
    }
    let u = call.user_echo;
    let stage = call.params.get("stage");
    if !kept_unchanged("stage", stage) {
        return call.invalid(F, "stage", &"may contain only letters, digits, _ and - and must contain REFRESH");
    }
    if !stage.contains("REFRESH") {
        // VICIdial echoes the (unset) alias variables here: `||`.
        let p = call.params;
        return Reply::error(
            "server_refresh YOU MUST USE ALL REQUIRED FIELDS",
            u,
            &format!(
                "{}|{}|{}",
                vicidial_filtered("alias_id", p.get("alias_id")),
                vicidial_filtered("alias_name", p.get("alias_name")),
                vicidial_filtered("phone_logins", p.get("phone_logins"))
            ),
        );
    }
    match refresh_servers(&call.state.db, &call.actor).await {
        Ok(n) => Reply::success("server_refresh SERVER REFRESH HAS BEEN TRIGGERED", u, &n.to_string()),
        Err(e) => call.db_error(F, &e),
    }
}
