-- Registration state from Asterisk (AMI). VICIdial's phones.peer_status and phones.ping_time hold the
-- state VICIdial itself knows; what VICIdial has no column for is kept beside the phone, one row per
-- (server_ip, extension), written only by Dialtone's registration monitor (service/registration.rs).
--   * Times are Unix seconds; NULL means never.
--   * The row belongs to the phone: deleting the phone, or changing its extension or server, drops it
--     (the state was about the old peer), through the triggers below; a moved phone's peer_status is
--     UNKNOWN again until Asterisk reports on the new peer.
--   * Nothing here marks a server for a conf rebuild: registration is Asterisk's state, not config.
CREATE TABLE dialtone_phone_registration (
    server_ip TEXT NOT NULL,
    extension TEXT NOT NULL COLLATE NOCASE,
    -- Where the device registered from: ip:port (chan_sip, IAX2) or the contact URI (PJSIP); NULL
    -- when not registered.
    contact TEXT,
    -- The device's User-Agent (PJSIP contacts report it); NULL when unknown.
    user_agent TEXT,
    -- When Asterisk last reported a change for this peer (an event, or a peer list that differed).
    last_event_at INTEGER,
    -- Why the last registration attempt failed, in plain words (e.g. "wrong password from
    -- 203.0.113.5 (...)"), kept after later successes as history; NULL if none was seen.
    last_failure TEXT,
    last_failure_at INTEGER,
    -- 1 when Asterisk listed the peer at the last load or reported on it since; 0 when Asterisk has no
    -- such peer (its conf files lack it) or nothing was observed yet.
    known_to_asterisk INTEGER NOT NULL DEFAULT 0 CHECK (known_to_asterisk IN (0, 1)),
    PRIMARY KEY (server_ip, extension)
) WITHOUT ROWID;

CREATE TRIGGER dialtone_phone_registration_phone_delete AFTER DELETE ON phones BEGIN
    DELETE FROM dialtone_phone_registration WHERE server_ip = old.server_ip AND extension = old.extension;
END;

CREATE TRIGGER dialtone_phone_registration_phone_move AFTER UPDATE OF extension, server_ip ON phones
    WHEN old.extension != new.extension OR old.server_ip != new.server_ip BEGIN
    DELETE FROM dialtone_phone_registration WHERE server_ip = old.server_ip AND extension = old.extension;
    UPDATE phones SET peer_status = 'UNKNOWN', ping_time = NULL WHERE rowid = new.rowid;
END;
