#!/bin/sh
# Run once by the official postgres image, when the pgdata volume is first initialised (/docker-entrypoint-initdb.d),
# as the superuser (POSTGRES_USER, `postgres`). Makes the app's own role: it logs in with the postgres_password secret
# and may do nothing beyond its database, which it owns (and so, PostgreSQL 15's pg_database_owner, the public schema
# EF Core's migrations use). No superuser, no new databases or roles: a compromised app server cannot read the
# cluster's password hashes or reach other databases. Its password reaches psql as a variable, never on a command line.
set -eu

app_password_file="${FOOBAR_APP_PASSWORD_FILE:-/run/secrets/postgres_password}"
app_role="${FOOBAR_APP_ROLE:-foobar}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set app_role="$app_role" --set app_password="$(cat "$app_password_file")" --set db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"app_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO :"app_role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
