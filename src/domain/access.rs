//! Who may do what in the web admin: the signed-in user ("viewer") and VICIdial's permission flags
//! that gate phone and server administration. Pure; the server functions enforce it, the UI uses it to offer only
//! what is allowed.

use serde::{Deserialize, Serialize};

/// The lowest user level that may sign in to the web admin (VICIdial: `user_level > 6`).
pub const SIGN_IN_MIN_LEVEL: i64 = 7;

/// The signed-in user and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// User name.
    pub user: String,
    /// `user_level`.
    pub level: i64,
    /// `ast_admin_access`: full phone administration, including revealing secrets.
    pub ast_admin: bool,
    /// `modify_phones`.
    pub modify_phones: bool,
    /// `ast_delete_phones`.
    pub delete_phones: bool,
    /// `modify_servers`: add and edit servers.
    pub modify_servers: bool,
}

impl Viewer {
    /// May add, edit and copy phones (`ast_admin_access` or `modify_phones`).
    pub fn can_manage_phones(&self) -> bool {
        self.ast_admin || self.modify_phones
    }

    /// May delete phones (`ast_delete_phones`).
    pub fn can_delete_phones(&self) -> bool {
        self.delete_phones
    }

    /// May reveal phone and registration passwords (`ast_admin_access`; each reveal is audited).
    pub fn can_reveal_secrets(&self) -> bool {
        self.ast_admin
    }

    /// May add and edit servers (VICIdial's `modify_servers`; viewing needs only a session).
    pub fn can_manage_servers(&self) -> bool {
        self.modify_servers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_follow_the_vicidial_flags() {
        let viewer = Viewer {
            user: "lead".into(),
            level: 7,
            ast_admin: false,
            modify_phones: false,
            delete_phones: false,
            modify_servers: false,
        };
        assert!(!viewer.can_manage_phones() && !viewer.can_delete_phones() && !viewer.can_reveal_secrets());
        assert!(!viewer.can_manage_servers());
        let editor = Viewer { modify_phones: true, ..viewer.clone() };
        assert!(editor.can_manage_phones() && !editor.can_reveal_secrets() && !editor.can_manage_servers());
        let admin = Viewer { ast_admin: true, delete_phones: true, ..viewer.clone() };
        assert!(admin.can_manage_phones() && admin.can_delete_phones() && admin.can_reveal_secrets());
        // Servers follow modify_servers alone, as in VICIdial: ast_admin_access does not imply it.
        assert!(!admin.can_manage_servers());
        let server_admin = Viewer { modify_servers: true, ..viewer };
        assert!(server_admin.can_manage_servers() && !server_admin.can_manage_phones());
    }
}
