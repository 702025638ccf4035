#!/bin/sh
# The load balancers' witness (docs/election.md, "The witness"): a lease row in the stack's PostgreSQL. Run by the
# one-shot `witness-role` service of docker-compose.address.yml and deploy/swarm/stack.yml before the load balancers
# start, as the superuser, over the network; idempotent, so it also brings a database volume made before the witness
# existed up to date (the image's initdb scripts run only on a fresh volume) and sets the password again from the secret.
#
# Least privilege: the role `foobar_witness` may connect to its own database `foobar_witness` (not to the app's; like
# every role, also to the maintenance database `postgres`, where it may create nothing), owns nothing there and may create nothing; it may read, insert and update the one lease table, which this script
# makes as the superuser (the same DDL as WitnessStore.SchemaSql; the load balancer then only uses it). A load balancer
# is internet-facing: if one is compromised, this password reaches no message and no other table. At most 20
# connections, so it cannot take the app's share of max_connections either.
#
# Settings: PGHOST, PGPORT, PGUSER (the superuser, default postgres) as libpq reads them; the superuser's password in
# PGPASSWORD or, from a secret, the file PGPASSWORD_FILE; the witness role's password in the file
# FOOBAR_WITNESS_PASSWORD_FILE. Passwords reach psql as variables or the environment, never on a command line.
set -eu

if [ -n "${PGPASSWORD_FILE:-}" ]; then
  PGPASSWORD=$(cat "$PGPASSWORD_FILE")
  export PGPASSWORD
fi
export PGUSER="${PGUSER:-postgres}"
witness_password_file="${FOOBAR_WITNESS_PASSWORD_FILE:-/run/secrets/postgres_witness_password}"
witness_role="${FOOBAR_WITNESS_ROLE:-foobar_witness}"
witness_db="${FOOBAR_WITNESS_DATABASE:-foobar_witness}"

# The database may still be starting (in a swarm nothing orders the services): a minute of retries.
tries=0
until pg_isready --quiet --dbname=postgres; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "error: PostgreSQL at ${PGHOST:-the default socket} did not answer within a minute" >&2
    exit 1
  fi
  sleep 2
done

psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --dbname postgres \
  --set role="$witness_role" --set password="$(cat "$witness_password_file")" --set db="$witness_db" <<'SQL'
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT CONNECTION LIMIT 20 PASSWORD :'password';
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"role";
\connect :db
SET client_min_messages = warning;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS foobar_election;
CREATE TABLE IF NOT EXISTS foobar_election.witness_lease (
    group_id   integer     PRIMARY KEY,
    holder     text        NOT NULL,
    term       bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);
GRANT USAGE ON SCHEMA foobar_election TO :"role";
GRANT SELECT, INSERT, UPDATE ON foobar_election.witness_lease TO :"role";
SQL
echo "witness role $witness_role ready in database $witness_db"
