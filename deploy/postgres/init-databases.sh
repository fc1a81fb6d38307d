#!/usr/bin/env bash
# Creates one role and one database per Polku service (each service owns its database and
# none reads another's: DESIGN.md). Run once by the postgres image's entrypoint, on an
# empty data directory, from /docker-entrypoint-initdb.d/. Needs POLKU_DB_PASSWORD.
#
# Each service connects as its own role: postgresql://<service>:<password>@postgres/<service>
# The password goes into a URL: use URL-safe characters (e.g. `openssl rand -hex 24`).
set -eo pipefail

: "${POLKU_DB_PASSWORD:?POLKU_DB_PASSWORD must be set for the service roles}"

for service in referral assessment coaching reporting; do
  echo "polku: creating role and database ${service}"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
       -v service="${service}" -v password="${POLKU_DB_PASSWORD}" <<'SQL'
CREATE ROLE :"service" LOGIN PASSWORD :'password';
CREATE DATABASE :"service" OWNER :"service";
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"service" TO :"service";
SQL
done
