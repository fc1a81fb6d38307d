-- Personal data of clients, encrypted with a per-client data key that is stored only
-- wrapped by the master key. Erasure sets wrapped_key NULL (crypto-shredding).
CREATE TABLE personal_data (
    client_id    uuid PRIMARY KEY,
    wrapped_key  bytea,
    key_nonce    bytea,
    nonce        bytea NOT NULL,
    ciphertext   bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    erased_at    timestamptz,
    CHECK ((wrapped_key IS NULL) = (key_nonce IS NULL)),
    CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);

-- Every attempt to read a client's personal data, granted or refused (DESIGN.md).
CREATE TABLE personal_data_reads (
    read_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id        uuid NOT NULL,
    reader_org       text NOT NULL,
    reader_sub       text NOT NULL,
    reader_role      text NOT NULL,
    purpose          text NOT NULL,
    granted          boolean NOT NULL,
    basis            text NOT NULL,
    read_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX personal_data_reads_client ON personal_data_reads (client_id, read_at);
