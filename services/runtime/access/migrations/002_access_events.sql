-- v2: the access policy folds the client's referral events (services/runtime/access/facts.py)
-- in every service; assessment and coaching keep the ones they consume here. The v1 tables
-- of derived rights are replaced (access_cases stays: it answers "which client is this case
-- of" for commands naming a case).
CREATE TABLE access_events (
    position    bigserial PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    client_id   uuid NOT NULL,
    actor_org   text NOT NULL,
    event_type  text NOT NULL,
    dataversion integer NOT NULL,
    data        jsonb NOT NULL
);
CREATE INDEX access_events_client ON access_events (client_id, position);

DROP TABLE access_involvement;
DROP TABLE access_referrals;
DROP TABLE access_consents;
DROP TABLE access_clients;
