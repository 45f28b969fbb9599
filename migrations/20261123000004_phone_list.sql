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

-- One- and two-character searches match the start of a value, and the NAME column sorts without case;
-- extension and login have NOCASE indexes already, the name gets one here. It carries the tie-breakers
-- (extension, server IP) so a name-sorted page walks it without sorting (SQLite 3.51 otherwise sorts
-- the whole table when LIMIT is a bound value).
CREATE INDEX phones_fullname_nocase ON phones (fullname COLLATE NOCASE, extension, server_ip);

-- The filters (status, registration, protocol, server) in one narrow index: counting the phones that
-- match any combination reads it instead of the wide rows. Every index costs add_phone throughput
-- (each commit writes its pages), so sorting by the low-cardinality columns has no index of its own.
CREATE INDEX phones_list_filters ON phones (status, peer_status, protocol, server_ip);
