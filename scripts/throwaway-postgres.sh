# Sourced by the test and benchmark scripts: installs PostgreSQL if missing and starts a
# throwaway cluster owned by the calling script, removed when it exits. Sets HARBOUR_PG_URL.

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_throwaway_postgres() {
  if ! pg_bin >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    sudo_if_needed apt-get update -qq
    sudo_if_needed apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  PG_BIN=$(pg_bin)
  PG_DIR=$(mktemp -d /tmp/harbour-pg.XXXXXX)
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; fi
  trap stop_throwaway_postgres EXIT
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U harbour -A trust -E UTF8 --no-locale >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  export HARBOUR_PG_URL="postgres://harbour@127.0.0.1:$PG_PORT/postgres"
}

stop_throwaway_postgres() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
