-- Dialtone schema, version 4: what the web admin's phones list needs to stay fast at 100,000+ phones.
--
-- phones_search: a trigram full-text index over the four searched columns (extension, login,
-- fullname, dialplan_number), so "text anywhere in the value" is an index lookup instead of a scan.
-- It reads its text from phones (external content, keyed by rowid) and the triggers below keep it in
-- step with every insert, update and delete, whoever makes them.
CREATE VIRTUAL TABLE phones_search USING fts5(
    extension, login, fullname, dialplan_number,
    content = 'phones', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO phones_search (phones_search) VALUES ('rebuild');

CREATE TRIGGER phones_search_insert AFTER INSERT ON phones BEGIN
    INSERT INTO phones_search (rowid, extension, login, fullname, dialplan_number)
    VALUES (new.rowid, new.extension, new.login, new.fullname, new.dialplan_number);
END;

CREATE TRIGGER phones_search_delete AFTER DELETE ON phones BEGIN
    INSERT INTO phones_search (phones_search, rowid, extension, login, fullname, dialplan_number)
    VALUES ('delete', old.rowid, old.extension, old.login, old.fullname, old.dialplan_number);
END;

CREATE TRIGGER phones_search_update AFTER UPDATE OF extension, login, fullname, dialplan_number ON phones BEGIN
    INSERT INTO phones_search (phones_search, rowid, extension, login, fullname, dialplan_number)
    VALUES ('delete', old.rowid, old.extension, old.login, old.fullname, old.dialplan_number);
    INSERT INTO phones_search (rowid, extension, login, fullname, dialplan_number)
    VALUES (new.rowid, new.extension, new.login, new.fullname, new.dialplan_number);
END;

-- One- and two-character searches match the start of a value; extension and login have NOCASE
-- indexes already, the name gets one here.
CREATE INDEX phones_fullname_nocase ON phones (fullname COLLATE NOCASE);

-- Sorting by any list column, with extension and server IP breaking ties (so pages are stable): one
-- index per column in that order lets a page walk the index instead of sorting every phone. The
-- low-cardinality ones (protocol, status, registration) also serve their filters. Extension order is
-- phones_extenserver; dialplan number and voicemail id have their (nearly unique) VICIdial indexes.
CREATE INDEX phones_sort_server ON phones (server_ip, extension);
CREATE INDEX phones_sort_protocol ON phones (protocol, extension, server_ip);
CREATE INDEX phones_sort_status ON phones (status, extension, server_ip);
CREATE INDEX phones_sort_name ON phones (fullname, extension, server_ip);
CREATE INDEX phones_sort_group ON phones (user_group, extension, server_ip);
CREATE INDEX phones_sort_registration ON phones (peer_status, extension, server_ip);
