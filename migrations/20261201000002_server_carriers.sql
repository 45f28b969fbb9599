-- vicidial_server_carriers: VICIdial's carriers (trunks), one row per trunk of one Asterisk server, with
-- the dialplan lines that send numbers out through it (extras/MySQL_AST_CREATE_tables.sql, db_schema_version
-- 1728). An EXTERNAL phone is called at agent login through Local/<dialplan_number>@<ext_context>: the number
-- goes out through whichever carrier pattern matches it, so Dialtone reads these rows to check that one does.
-- Dialtone stores and checks carriers; it does not write them into Asterisk's conf files.
--
-- The first migration's conventions apply: VICIdial's names and defaults; ENUM columns become TEXT with a
-- CHECK; VICIdial's nullable VARCHAR/TEXT columns become NOT NULL DEFAULT '' (an empty value is "none");
-- identifiers VICIdial compares under a _ci collation are COLLATE NOCASE. VICIdial's unique index on
-- carrier_id is the primary key here.
CREATE TABLE vicidial_server_carriers (
    carrier_id TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    carrier_name TEXT NOT NULL,
    -- A `register => user:secret@host` line: may hold the trunk's password (redacted in the audit log).
    registration_string TEXT NOT NULL DEFAULT '',
    -- VICIdial: VARCHAR(15) NOT NULL with no default; '' is "no template" here, as for phones.
    template_id TEXT NOT NULL DEFAULT '',
    -- The trunk's peer definition (`[mytrunk]` type=, host=, secret= ...): kept as VICIdial wrote it,
    -- never shown by Dialtone.
    account_entry TEXT NOT NULL DEFAULT '',
    -- VICIdial's enum, PJSIP_WIZ included, so its rows fit; Dialtone's own forms offer SIP, PJSIP, IAX2, Zap
    -- and EXTERNAL.
    protocol TEXT NOT NULL DEFAULT 'SIP' CHECK (protocol IN ('SIP','PJSIP','PJSIP_WIZ','Zap','IAX2','EXTERNAL')),
    globals_string TEXT NOT NULL DEFAULT '',
    -- `exten => pattern,priority,application` lines (VICIdial puts them into its vicidial-auto-external
    -- context); lines end in \n.
    dialplan_entry TEXT NOT NULL DEFAULT '',
    -- The carrier's server must exist (VICIdial checks it only in admin.php).
    server_ip TEXT NOT NULL REFERENCES servers (server_ip) ON UPDATE CASCADE ON DELETE RESTRICT,
    active TEXT NOT NULL DEFAULT 'Y' CHECK (active IN ('Y','N')),
    carrier_description TEXT NOT NULL DEFAULT '',
    user_group TEXT NOT NULL DEFAULT '---ALL---'
);
-- VICIdial's index (server_ip), with the key after it: one server's carriers in carrier_id order (what the
-- agent-login check reads) come from the index alone, without a sort.
CREATE INDEX vicidial_server_carriers_server_ip ON vicidial_server_carriers (server_ip, carrier_id);
