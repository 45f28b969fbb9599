-- Attempts that are limited in number and time (the web sign-in per client address, the login
-- check per user and per phone login): one row per attempt counted, kept about an hour. Counting
-- and adding happen in one write transaction, so concurrent attempts cannot pass a limit together,
-- and every process on the database file sees the same counts.
CREATE TABLE dialtone_attempts (
    attempt_id INTEGER PRIMARY KEY,
    -- What is limited: 'sign-in address', 'login check user', 'login check login'.
    kind TEXT NOT NULL,
    -- Whose attempts: the client address, the user name, the phone login typed (lower-cased).
    key TEXT NOT NULL,
    -- Unix seconds.
    at INTEGER NOT NULL
);
CREATE INDEX dialtone_attempts_key ON dialtone_attempts (kind, key, at);
CREATE INDEX dialtone_attempts_at ON dialtone_attempts (at);
