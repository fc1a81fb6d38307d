"""Prometheus metrics every service exposes at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS_APPENDED = Counter(
    "polku_events_appended_total", "Events appended to the event store.", ["service", "type"],
    registry=REGISTRY,
)
RELAY_PUBLISHED = Counter(
    "polku_relay_published_total", "Events the relay published and the broker acknowledged.",
    ["service"], registry=REGISTRY,
)
RELAY_LAG = Gauge(
    "polku_relay_lag_events", "Committed events not yet published by the relay.", ["service"],
    registry=REGISTRY,
)
RELAY_LAG_SECONDS = Gauge(
    "polku_relay_lag_seconds",
    "Age of the oldest committed event the relay has not published (0 when caught up).",
    ["service"], registry=REGISTRY,
)
# Readiness does not depend on the broker (the outbox keeps commands safe while it is away):
# its reachability is a metric and an alert instead (docs/OPERATIONS.md, Readiness).
BROKER_REACHABLE = Gauge(
    "polku_broker_reachable",
    "1 while the service's Kafka clients are connected and the broker answers, else 0.",
    ["service"], registry=REGISTRY,
)
RELAY_LEADER = Gauge(
    "polku_relay_leader", "1 while this replica's relay holds the leader lock and publishes.",
    ["service"], registry=REGISTRY,
)
RELAY_ERRORS = Counter(
    "polku_relay_errors_total", "Relay batches that failed and will be retried.", ["service"],
    registry=REGISTRY,
)
CONSUMER_PROCESSED = Counter(
    "polku_consumer_processed_total", "Events a consumer applied (after deduplication).",
    ["consumer"], registry=REGISTRY,
)
CONSUMER_DUPLICATES = Counter(
    "polku_consumer_duplicates_total", "Redelivered events a consumer ignored.", ["consumer"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "polku_consumer_lag", "Messages behind the partition end, per consumer and partition.",
    ["consumer", "topic", "partition"], registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "polku_dead_letters_total", "Messages sent to a dead-letter topic.", ["consumer", "reason"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "polku_http_requests_total", "HTTP requests by route and status.",
    ["service", "method", "route", "status"], registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "polku_http_request_seconds", "HTTP request latency.", ["service", "method", "route"],
    registry=REGISTRY,
)
PROJECTION_POSITION = Gauge(
    "polku_projection_position", "Events in the reporting event log.", ["service"],
    registry=REGISTRY,
)
# The access policy (DESIGN.md, Accountability): what the rule allows but makes visible.
ACCESS_REFUSALS = Counter(
    "polku_access_refusals_total", "Requests the access policy refused, per action.",
    ["action"], registry=REGISTRY,
)
SELF_REFERRALS = Counter(
    "polku_self_referrals_total",
    "Referrals whose referring organisation is also the target, per organisation.",
    ["organisation"], registry=REGISTRY,
)
CONSENTS_BY_REFERRERS = Counter(
    "polku_consents_recorded_by_referrers_total",
    "Consents recorded by an organisation whose only right was being the referrer.",
    ["organisation"], registry=REGISTRY,
)
OWN_CONSENT_READS = Counter(
    "polku_own_consent_reads_total",
    "Reads of a client by an organisation whose only right is a consent it recorded itself.",
    ["organisation", "read"], registry=REGISTRY,
)
# Bounded growth (retention.py): the tables that would grow without bound, and what the
# periodic maintenance deleted from them.
TABLE_ROWS = Gauge(
    "polku_table_rows",
    "Rows of a table the retention maintenance bounds (exact below 8 MB, else the planner's "
    "estimate).", ["service", "table"], registry=REGISTRY,
)
TABLE_BYTES = Gauge(
    "polku_table_bytes",
    "Bytes of such a table with its indexes and TOAST (pg_total_relation_size).",
    ["service", "table"], registry=REGISTRY,
)
RETENTION_DELETED = Counter(
    "polku_retention_deleted_total",
    "Rows the retention maintenance deleted (expired, pruned or past the statutory period).",
    ["service", "table"], registry=REGISTRY,
)
# The identity provider's keys (jwks.py).
JWKS_FETCHES = Counter(
    "polku_jwks_fetches_total",
    "Fetches of the identity provider's JWKS (POLKU_JWT_JWKS_URL), by outcome (ok, error).",
    ["outcome"], registry=REGISTRY,
)
JWKS_KEYS = Gauge(
    "polku_jwks_keys", "Signature keys of the last successful JWKS fetch.", registry=REGISTRY,
)
