-- How often a phone's registered address changes (registration flapping, the mark of a router's SIP
-- ALG rewriting the device's port). Kept by the registration monitor beside the registration state.
--   * last_address: the last address the device registered from, kept while it is unregistered.
--   * previous_address: the one before it (for the evidence).
--   * address_changes: how many times the address changed since address_changes_since (Unix seconds);
--     the count starts again once that is more than an hour ago.
ALTER TABLE dialtone_phone_registration ADD COLUMN last_address TEXT;
ALTER TABLE dialtone_phone_registration ADD COLUMN previous_address TEXT;
ALTER TABLE dialtone_phone_registration ADD COLUMN address_changes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dialtone_phone_registration ADD COLUMN address_changes_since INTEGER;
