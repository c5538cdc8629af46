#!/usr/bin/env bash
# Runs every Harbour test: formatting and lints, the unit tests, the integration suite on
# SQLite and again on PostgreSQL, and the browser tests in headless Chromium.
#
# Installs what is missing (PostgreSQL, Chromium, chromedriver, Python's venv, Node.js and npm) from
# Debian's packages (the schemathesis test installs schemathesis from PyPI under target/tools, and the
# sign-in tests the `oidc-provider` identity provider from npm under target/tools/oidc), starts
# a throwaway PostgreSQL cluster that it owns, and removes it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n=== %s\n' "$*"; }

source scripts/throwaway-postgres.sh

need=()
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v chromedriver >/dev/null || [ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v python3 >/dev/null || need+=(python3)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  say "Installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

say "Starting a throwaway PostgreSQL"
start_throwaway_postgres

say "Formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

say "The storage seam: the other crates build without raw access to the database"
cargo check --locked -p harbour -p harbour-web -p harbour-jobs

say "Unit tests, integration suite on SQLite, browser tests"
cargo test --workspace --locked

say "Integration suite on PostgreSQL"
HARBOUR_TEST_POSTGRES_URL="$HARBOUR_PG_URL" cargo test -p harbour --locked --test it

say "All tests passed on SQLite and PostgreSQL"
