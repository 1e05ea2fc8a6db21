#!/usr/bin/env bash
# Starts the machine's PostgreSQL server (Debian's postgresql package) for the database
# tests, creates the role and database they use, and prints the URL to reach it.
# Needs root (it acts as the postgres user). Prints nothing and exits 1 when it cannot.
set -euo pipefail
command -v pg_lsclusters >/dev/null 2>&1 || exit 1
[ "$(id -u)" -eq 0 ] || exit 1
read -r version cluster _ < <(pg_lsclusters -h | head -n 1) || exit 1
pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
psql_as_postgres() { su postgres -c "psql -qtAc \"$1\""; }
[ "$(psql_as_postgres "SELECT 1 FROM pg_roles WHERE rolname='analyser'")" = "1" ] ||
  psql_as_postgres "CREATE ROLE analyser LOGIN PASSWORD 'analyser'" >/dev/null
[ "$(psql_as_postgres "SELECT 1 FROM pg_database WHERE datname='analyser_test'")" = "1" ] ||
  su postgres -c "createdb -O analyser analyser_test"
echo "postgresql://analyser:analyser@127.0.0.1/analyser_test"
