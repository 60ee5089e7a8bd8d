#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on 127.0.0.1, removed afterwards.
# Installs PostgreSQL from Debian's packages when missing (needs root).
set -euo pipefail

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is missing; install the 'postgresql' package." >&2
    exit 1
  fi
  echo "Installing PostgreSQL from Debian's packages ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

dir=$(mktemp -d /tmp/outreach-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$dir"
  as_pg=(su postgres -s /bin/sh -c)
else
  as_pg=(sh -c)
fi
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl -D $dir/data -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${as_pg[@]}" "$pgbin/initdb -D $dir/data -U outreach --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl -D $dir/data -l $dir/log -w -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off' start" >/dev/null
"$pgbin/createdb" -h 127.0.0.1 -p "$port" -U outreach outreach_test

echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
export TEST_DATABASE_URL="postgresql+psycopg://outreach@127.0.0.1:$port/outreach_test"
set +e
"$@"
status=$?
set -e
if [ $status -eq 5 ]; then echo "no tests collected"; status=1; fi
exit $status
