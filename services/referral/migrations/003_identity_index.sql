-- v2: the identity code → client mapping is an index that erasure deletes (DESIGN.md, the
-- access policy: erasure unlinks). The key is the keyed hash (HMAC-SHA256 with the client-id
-- key) of the normalised code, never the code. Clients registered before the index existed
-- keep their derived ids (services/referral/handlers.py, `_client_id_for`).
CREATE TABLE identity_index (
    code_digest  bytea PRIMARY KEY,
    client_id    uuid NOT NULL UNIQUE
);
