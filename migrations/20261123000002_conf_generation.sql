-- Conf generation state (issue: Asterisk configuration generated from the phone entries).
--   * servers.conf_*: what the background generator did last, shown on the server and phone pages.
--     Unix seconds; NULL means never.
--   * system_settings.default_codecs: VICIdial's system default codecs, used for phones that list none.

-- When the files of this server were last generated (written or found unchanged).
ALTER TABLE servers ADD COLUMN conf_generated_at INTEGER;
-- Phones the generator refused to write at the last generation, one "phone <ext>: <field> <rule>" per line.
ALTER TABLE servers ADD COLUMN conf_refused TEXT NOT NULL DEFAULT '';
-- Reload commands not yet confirmed by Asterisk (space-separated files, e.g. "sip-vicidial.conf"); kept
-- until a reload succeeds so a failure is retried even when the files do not change again.
ALTER TABLE servers ADD COLUMN conf_reload_pending TEXT NOT NULL DEFAULT '';
-- When Asterisk last confirmed the reload of this server's files.
ALTER TABLE servers ADD COLUMN conf_applied_at INTEGER;
-- The last reload (or file write) error; empty after a success.
ALTER TABLE servers ADD COLUMN conf_apply_error TEXT NOT NULL DEFAULT '';
-- When the last reload attempt was made (for retry backoff).
ALTER TABLE servers ADD COLUMN conf_apply_attempt_at INTEGER;

ALTER TABLE system_settings ADD COLUMN default_codecs TEXT NOT NULL DEFAULT '';

-- The generator polls for marked servers; keep that lookup off a table scan.
CREATE INDEX servers_rebuild ON servers (rebuild_conf_files);
-- Phones of one server by protocol and extension: the generator's read.
CREATE INDEX phones_server_protocol ON phones (server_ip, protocol, extension);
