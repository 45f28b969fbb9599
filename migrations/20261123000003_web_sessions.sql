-- Web admin sessions. The browser holds a random token in an HttpOnly cookie; only its SHA-256 is
-- stored, so a copy of the database does not hand out sessions.
CREATE TABLE dialtone_sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES vicidial_users (user_id) ON DELETE CASCADE,
    -- Unix seconds.
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dialtone_sessions_user ON dialtone_sessions (user_id);
