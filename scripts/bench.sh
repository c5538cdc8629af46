#!/usr/bin/env bash
# Runs the intake and queue benchmark on SQLite and on a throwaway PostgreSQL, and prints the
# figures. Installs PostgreSQL from Debian's packages if it is missing. Takes several minutes:
# it loads a million referrals into each database (set HARBOUR_BENCH_QUEUE_ROWS for fewer,
# HARBOUR_BENCH_DATABASES=sqlite or =postgres for one database).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/throwaway-postgres.sh
start_throwaway_postgres
HARBOUR_BENCH_POSTGRES_URL="$HARBOUR_PG_URL" cargo bench -p harbour --bench intake --locked
