-- Dialtone schema, version 1: VICIdial's own table and column names (extras/MySQL_AST_CREATE_tables.sql,
-- db_schema_version 1728) so operators recognise them and a later MariaDB backend can point at a real
-- VICIdial database. Conventions:
--   * VICIdial's names and defaults are kept verbatim, including its mixed case (ASTmgrUSERNAME) and its
--     ENUM('Y','N') flags, which become TEXT columns with CHECK constraints here.
--   * Uniqueness VICIdial only checks in PHP (phone login) is enforced by the database here, and every
--     identifier VICIdial compares through a _ci collation is COLLATE NOCASE (identifiers are ASCII by rule).
--   * Only columns Dialtone reads or writes are present; the rest of VICIdial's phones columns keep their
--     VICIdial defaults when a MariaDB backend is used.

-- servers: one row per Asterisk server. VICIdial has a unique index on server_id only; server_ip is unique
-- here too because every phone refers to its server by IP.
CREATE TABLE servers (
    server_id TEXT NOT NULL COLLATE NOCASE,
    server_description TEXT NOT NULL DEFAULT '',
    server_ip TEXT NOT NULL,
    active TEXT NOT NULL DEFAULT 'Y' CHECK (active IN ('Y','N')),
    asterisk_version TEXT NOT NULL DEFAULT '1.4.21.2',
    local_gmt TEXT NOT NULL DEFAULT '-5.00',
    ext_context TEXT NOT NULL DEFAULT 'default',
    active_asterisk_server TEXT NOT NULL DEFAULT 'Y' CHECK (active_asterisk_server IN ('Y','N')),
    generate_vicidial_conf TEXT NOT NULL DEFAULT 'Y' CHECK (generate_vicidial_conf IN ('Y','N')),
    rebuild_conf_files TEXT NOT NULL DEFAULT 'Y' CHECK (rebuild_conf_files IN ('Y','N')),
    active_agent_login_server TEXT NOT NULL DEFAULT 'Y' CHECK (active_agent_login_server IN ('Y','N')),
    conf_secret TEXT NOT NULL DEFAULT 'test',
    external_server_ip TEXT NOT NULL DEFAULT '',
    web_socket_url TEXT NOT NULL DEFAULT '',
    external_web_socket_url TEXT NOT NULL DEFAULT '',
    user_group TEXT NOT NULL DEFAULT '---ALL---',
    conf_qualify TEXT NOT NULL DEFAULT 'Y' CHECK (conf_qualify IN ('Y','N')),
    routing_prefix TEXT NOT NULL DEFAULT '13',
    conf_engine TEXT NOT NULL DEFAULT 'MEETME' CHECK (conf_engine IN ('MEETME','CONFBRIDGE')),
    allowed_sip_stacks TEXT NOT NULL DEFAULT 'SIP' CHECK (allowed_sip_stacks IN ('SIP','PJSIP','SIP_and_PJSIP')),
    -- Asterisk Manager Interface connection, as VICIdial's servers table names it.
    telnet_host TEXT NOT NULL DEFAULT 'localhost',
    telnet_port INTEGER NOT NULL DEFAULT 5038,
    ASTmgrUSERNAME TEXT NOT NULL DEFAULT 'cron',
    ASTmgrSECRET TEXT NOT NULL DEFAULT '1234'
);
CREATE UNIQUE INDEX servers_server_id ON servers (server_id);
CREATE UNIQUE INDEX servers_server_ip ON servers (server_ip);

-- phones: one row per phone entry (VICIdial's `phones`).
CREATE TABLE phones (
    extension TEXT NOT NULL COLLATE NOCASE,
    dialplan_number TEXT NOT NULL,
    voicemail_id TEXT NOT NULL,
    phone_ip TEXT,
    computer_ip TEXT,
    server_ip TEXT NOT NULL REFERENCES servers (server_ip) ON UPDATE CASCADE ON DELETE RESTRICT,
    login TEXT NOT NULL COLLATE NOCASE,
    pass TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE','SUSPENDED','CLOSED','PENDING','ADMIN')),
    active TEXT NOT NULL DEFAULT 'Y' CHECK (active IN ('Y','N')),
    phone_type TEXT NOT NULL DEFAULT '',
    fullname TEXT NOT NULL,
    company TEXT,
    picture TEXT,
    messages INTEGER NOT NULL DEFAULT 0,
    old_messages INTEGER NOT NULL DEFAULT 0,
    protocol TEXT NOT NULL DEFAULT 'SIP' CHECK (protocol IN ('SIP','PJSIP','Zap','IAX2','EXTERNAL')),
    local_gmt TEXT NOT NULL DEFAULT '-5.00',
    ASTmgrUSERNAME TEXT NOT NULL DEFAULT 'cron',
    ASTmgrSECRET TEXT NOT NULL DEFAULT '1234',
    login_user TEXT,
    login_pass TEXT,
    login_campaign TEXT,
    park_on_extension TEXT NOT NULL DEFAULT '8301',
    conf_on_extension TEXT NOT NULL DEFAULT '8302',
    VICIDIAL_park_on_extension TEXT NOT NULL DEFAULT '8301',
    VICIDIAL_park_on_filename TEXT NOT NULL DEFAULT 'park',
    monitor_prefix TEXT NOT NULL DEFAULT '8612',
    recording_exten TEXT NOT NULL DEFAULT '8309',
    voicemail_exten TEXT NOT NULL DEFAULT '8501',
    voicemail_dump_exten TEXT NOT NULL DEFAULT '85026666666666',
    ext_context TEXT NOT NULL DEFAULT 'default',
    install_directory TEXT NOT NULL DEFAULT '/usr/local/perl_TK',
    outbound_cid TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    template_id TEXT NOT NULL DEFAULT '',
    conf_override TEXT,
    phone_context TEXT NOT NULL DEFAULT 'default',
    phone_ring_timeout INTEGER NOT NULL DEFAULT 60,
    conf_secret TEXT NOT NULL DEFAULT 'test',
    delete_vm_after_email TEXT NOT NULL DEFAULT 'N' CHECK (delete_vm_after_email IN ('Y','N')),
    is_webphone TEXT NOT NULL DEFAULT 'N' CHECK (is_webphone IN ('Y','N','Y_API_LAUNCH')),
    use_external_server_ip TEXT NOT NULL DEFAULT 'N' CHECK (use_external_server_ip IN ('Y','N')),
    codecs_list TEXT NOT NULL DEFAULT '',
    codecs_with_template TEXT NOT NULL DEFAULT '0' CHECK (codecs_with_template IN ('0','1')),
    webphone_dialpad TEXT NOT NULL DEFAULT 'Y' CHECK (webphone_dialpad IN ('Y','N','TOGGLE','TOGGLE_OFF')),
    on_hook_agent TEXT NOT NULL DEFAULT 'N' CHECK (on_hook_agent IN ('Y','N')),
    webphone_auto_answer TEXT NOT NULL DEFAULT 'Y' CHECK (webphone_auto_answer IN ('Y','N')),
    voicemail_timezone TEXT NOT NULL DEFAULT 'eastern',
    voicemail_options TEXT NOT NULL DEFAULT '',
    user_group TEXT NOT NULL DEFAULT '---ALL---',
    voicemail_greeting TEXT NOT NULL DEFAULT '',
    voicemail_dump_exten_no_inst TEXT NOT NULL DEFAULT '85026666666667',
    voicemail_instructions TEXT NOT NULL DEFAULT 'Y' CHECK (voicemail_instructions IN ('Y','N')),
    unavail_dialplan_fwd_exten TEXT NOT NULL DEFAULT '',
    unavail_dialplan_fwd_context TEXT NOT NULL DEFAULT '',
    outbound_alt_cid TEXT NOT NULL DEFAULT '',
    conf_qualify TEXT NOT NULL DEFAULT 'Y' CHECK (conf_qualify IN ('Y','N')),
    webphone_layout TEXT NOT NULL DEFAULT '',
    mohsuggest TEXT NOT NULL DEFAULT '',
    peer_status TEXT NOT NULL DEFAULT 'UNKNOWN'
        CHECK (peer_status IN ('UNKNOWN','REGISTERED','UNREGISTERED','REACHABLE','LAGGED','UNREACHABLE')),
    ping_time INTEGER,
    webphone_settings TEXT NOT NULL DEFAULT 'VICIPHONE_SETTINGS'
);
-- VICIdial's unique index extenserver (extension, server_ip), case-insensitive as under utf8_unicode_ci.
CREATE UNIQUE INDEX phones_extenserver ON phones (extension, server_ip);
-- VICIdial checks login uniqueness only in PHP (racy, and bypassed by truncation); the database enforces it here.
CREATE UNIQUE INDEX phones_login ON phones (login);
CREATE INDEX phones_server_ip ON phones (server_ip);
CREATE INDEX phones_voicemail_id ON phones (voicemail_id);
CREATE INDEX phones_dialplan_number ON phones (dialplan_number);

-- phones_alias: an alias id that agents type instead of a phone login (resolved to logins_list).
CREATE TABLE phones_alias (
    alias_id TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    alias_name TEXT NOT NULL DEFAULT '',
    logins_list TEXT NOT NULL DEFAULT '',
    user_group TEXT NOT NULL DEFAULT '---ALL---'
);

-- vicidial_conf_templates: peer configuration blocks a phone can reference by template_id.
CREATE TABLE vicidial_conf_templates (
    template_id TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    template_name TEXT NOT NULL DEFAULT '',
    template_contents TEXT NOT NULL DEFAULT '',
    user_group TEXT NOT NULL DEFAULT '---ALL---'
);

-- vicidial_users: the accounts that may use the API (and, later, the web admin). `pass` is never stored:
-- VICIdial keeps it in clear text; Dialtone keeps only the argon2 PHC string in pass_hash.
CREATE TABLE vicidial_users (
    user_id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL COLLATE NOCASE,
    pass_hash TEXT NOT NULL,
    full_name TEXT NOT NULL DEFAULT '',
    user_level INTEGER NOT NULL DEFAULT 1 CHECK (user_level BETWEEN 1 AND 9),
    user_group TEXT NOT NULL DEFAULT '---ALL---',
    active TEXT NOT NULL DEFAULT 'Y' CHECK (active IN ('Y','N')),
    ast_admin_access TEXT NOT NULL DEFAULT '0' CHECK (ast_admin_access IN ('0','1')),
    ast_delete_phones TEXT NOT NULL DEFAULT '0' CHECK (ast_delete_phones IN ('0','1')),
    modify_phones TEXT NOT NULL DEFAULT '0' CHECK (modify_phones IN ('0','1')),
    modify_servers TEXT NOT NULL DEFAULT '0' CHECK (modify_servers IN ('0','1')),
    vdc_agent_api_access TEXT NOT NULL DEFAULT '0' CHECK (vdc_agent_api_access IN ('0','1')),
    api_allowed_functions TEXT NOT NULL DEFAULT ' ALL_FUNCTIONS ',
    api_list_restrict TEXT NOT NULL DEFAULT '0' CHECK (api_list_restrict IN ('0','1')),
    api_only_user TEXT NOT NULL DEFAULT '0' CHECK (api_only_user IN ('0','1')),
    failed_login_count INTEGER NOT NULL DEFAULT 0,
    -- Unix seconds (VICIdial: DATETIME '2001-01-01 00:00:01').
    last_login_date INTEGER NOT NULL DEFAULT 978307201,
    last_ip TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX vicidial_users_user ON vicidial_users (user);

-- vicidial_admin_log: the audit trail. One row per change or API call: who, when, from where, which
-- record, and a field-level diff (JSON) with every secret redacted. Never raw SQL (VICIdial stores the SQL,
-- passwords included).
CREATE TABLE vicidial_admin_log (
    admin_log_id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Unix seconds.
    event_date INTEGER NOT NULL,
    user TEXT NOT NULL,
    ip_address TEXT NOT NULL DEFAULT '',
    event_section TEXT NOT NULL,
    event_type TEXT NOT NULL CHECK (event_type IN ('ADD','COPY','LOAD','RESET','MODIFY','DELETE','SEARCH','LOGIN','LOGOUT','CLEAR','OVERRIDE','EXPORT','OTHER')),
    record_id TEXT NOT NULL DEFAULT '',
    event_code TEXT NOT NULL DEFAULT '',
    -- JSON object {"field": {"old": .., "new": ..}} with secrets shown as "[redacted]".
    event_diff TEXT NOT NULL DEFAULT '{}',
    event_notes TEXT NOT NULL DEFAULT '',
    user_group TEXT NOT NULL DEFAULT ''
);
CREATE INDEX vicidial_admin_log_record ON vicidial_admin_log (event_section, record_id);
CREATE INDEX vicidial_admin_log_date ON vicidial_admin_log (event_date);

-- system_settings: one row; only the settings Dialtone reads.
CREATE TABLE system_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    reload_timestamp INTEGER NOT NULL DEFAULT 0,
    allowed_sip_stacks TEXT NOT NULL DEFAULT 'SIP' CHECK (allowed_sip_stacks IN ('SIP','PJSIP','SIP_and_PJSIP')),
    default_local_gmt TEXT NOT NULL DEFAULT '-5.00'
);
INSERT INTO system_settings (id) VALUES (1);
