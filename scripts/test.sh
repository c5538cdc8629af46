#!/usr/bin/env bash
# Runs every Harbour test: formatting and lints, the unit tests, the integration suite on
# SQLite and again on PostgreSQL, and the browser tests in headless Chromium.
#
# Installs what is missing (PostgreSQL, Chromium, chromedriver) from Debian's packages, starts
# a throwaway PostgreSQL cluster that it owns, and removes it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n=== %s\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

need=()
pg_bin >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v chromedriver >/dev/null || [ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  say "Installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PG_BIN=$(pg_bin)

say "Starting a throwaway PostgreSQL"
PG_DIR=$(mktemp -d /tmp/harbour-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; fi
cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap cleanup EXIT
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U harbour -A trust -E UTF8 --no-locale >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
export HARBOUR_PG_URL="postgres://harbour@127.0.0.1:$PG_PORT/postgres"

say "Formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

say "Unit tests, integration suite on SQLite, browser tests"
cargo test --workspace --locked

say "Integration suite on PostgreSQL"
pg_targets=()
for f in crates/harbour/tests/*.rs; do
  name=$(basename "$f" .rs)
  [ "$name" = browser ] || pg_targets+=(--test "$name")
done
HARBOUR_TEST_POSTGRES_URL="$HARBOUR_PG_URL" cargo test -p harbour --locked "${pg_targets[@]}"

say "All tests passed on SQLite and PostgreSQL"
