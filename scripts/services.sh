# Throwaway servers for the scale-out test run, sourced by scripts/test.sh:
#   start_postgres   a PostgreSQL cluster in a temp folder on a free loopback port
#                    (exports DOJANG_TEST_POSTGRES, the URL of its `postgres` database)
#   start_s3         an S3-compatible server (moto, from the test venv) on a free loopback port
#                    with the bucket `dojang-test` (exports DOJANG_TEST_S3_ENDPOINT; test apps
#                    store their files there when DOJANG_TEST_STORAGE=s3)
#   stop_services    stops both and removes their folders (also run on exit)
# Each integration test then makes its own database (and key prefix) on them: see
# server/tests/api/helpers.rs.

SERVICES_DIR="$(mktemp -d /tmp/dojang-services.XXXXXX)"
chmod 755 "$SERVICES_DIR"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$what did not start on port $port" >&2
  return 1
}

# PostgreSQL refuses to run as root: as root, its folder belongs to and it runs as `postgres`.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
  local dir="$SERVICES_DIR/pg"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  PG_PORT="$(free_port)"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U dojang -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  # Durability is not what these tests are about: no fsync, and room for many test apps.
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500" \
    start >/dev/null
  export DOJANG_TEST_POSTGRES="postgres://dojang@127.0.0.1:$PG_PORT/postgres"
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

start_s3() {
  local moto="$PWD/.tools/venv/bin/moto_server"
  [ -x "$moto" ] || { echo "moto_server not found (scripts/setup.sh --test)" >&2; return 1; }
  S3_PORT="$(free_port)"
  "$moto" -H 127.0.0.1 -p "$S3_PORT" >"$SERVICES_DIR/s3.log" 2>&1 &
  S3_PID=$!
  wait_port "$S3_PORT" "the S3 server"
  curl -fsS -X PUT "http://127.0.0.1:$S3_PORT/dojang-test" >/dev/null
  export DOJANG_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  echo "S3 (moto) on 127.0.0.1:$S3_PORT, bucket dojang-test"
}

stop_services() {
  if [ -n "${S3_PID:-}" ]; then kill "$S3_PID" 2>/dev/null || true; wait "$S3_PID" 2>/dev/null || true; S3_PID=; fi
  if [ -f "$SERVICES_DIR/pg/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$SERVICES_DIR"
}
trap stop_services EXIT
