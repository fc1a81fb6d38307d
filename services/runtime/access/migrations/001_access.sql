-- Who may act on a client, as learned from polku.referral.v1 (assessment, coaching).
CREATE TABLE access_clients (
    client_id       uuid PRIMARY KEY,
    home_region     text,
    erased          boolean NOT NULL DEFAULT false
);

CREATE TABLE access_cases (
    case_id                uuid PRIMARY KEY,
    client_id              uuid NOT NULL,
    opened_by              text NOT NULL,
    holder                 text NOT NULL,
    service                text NOT NULL,
    responsible_worker_id  uuid,
    referral_id            uuid,
    closed                 boolean NOT NULL DEFAULT false
);
CREATE INDEX access_cases_client ON access_cases (client_id);

-- Organisations involved with a client: case holders (now or before) and the referring
-- organisation of an accepted referral. Involvement outlives the case: follow-up
-- measurements are taken after the close.
CREATE TABLE access_involvement (
    client_id        uuid NOT NULL,
    organisation_id  text NOT NULL,
    PRIMARY KEY (client_id, organisation_id)
);

CREATE TABLE access_referrals (
    referral_id               uuid PRIMARY KEY,
    client_id                 uuid NOT NULL,
    referring_organisation_id text
);

CREATE TABLE access_consents (
    consent_id        uuid PRIMARY KEY,
    client_id         uuid NOT NULL,
    scope             text NOT NULL,
    organisation_ids  text[] NOT NULL,
    valid_until       date,
    withdrawn         boolean NOT NULL DEFAULT false
);
CREATE INDEX access_consents_client ON access_consents (client_id);
