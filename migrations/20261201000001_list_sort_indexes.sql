-- Every column of the phones list sorts through an index, at any page: each sort index holds the
-- sorted column, then the tie-breakers (extension, server IP), then the filter columns (status,
-- registration, protocol, server), so a page with filters walks one index and checks the filters in it
-- without reading a row, and skipping to a deep page reads index entries only.
--
-- The three VICIdial indexes on server_ip, voicemail_id and dialplan_number keep their leading column
-- (their lookups are unchanged) and gain the rest; the name index gains the filter columns. The four
-- low-cardinality columns get an index each, and those replace the single filters index: counting a
-- filter combination reads the index led by one of its columns.
DROP INDEX phones_list_filters;

DROP INDEX phones_server_ip;
CREATE INDEX phones_server_ip ON phones (server_ip, extension, status, peer_status, protocol);
DROP INDEX phones_voicemail_id;
CREATE INDEX phones_voicemail_id ON phones (voicemail_id, extension, server_ip, status, peer_status, protocol);
DROP INDEX phones_dialplan_number;
CREATE INDEX phones_dialplan_number ON phones (dialplan_number, extension, server_ip, status, peer_status, protocol);
DROP INDEX phones_fullname_nocase;
CREATE INDEX phones_fullname_nocase
    ON phones (fullname COLLATE NOCASE, extension, server_ip, status, peer_status, protocol);

CREATE INDEX phones_sort_protocol ON phones (protocol, extension, server_ip, status, peer_status);
CREATE INDEX phones_sort_status ON phones (status, extension, server_ip, peer_status, protocol);
CREATE INDEX phones_sort_registration ON phones (peer_status, extension, server_ip, status, protocol);
CREATE INDEX phones_sort_group ON phones (user_group, extension, server_ip, status, peer_status, protocol);
