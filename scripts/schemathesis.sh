#!/usr/bin/env bash
# Schemathesis over /api/v1/openapi.json, every operation, positive and negative cases: a
# production-mode gunicorn on 127.0.0.1 with a throwaway SQLite database holding the demo
# data, called with a coordinator's Bearer token. Fails on any server error or any answer that
# contradicts the document (issue 11, item 10). Run from .ci/run after `make lint`.
#
#   scripts/schemathesis.sh [SECONDS]     time budget of the fuzzing (default 150)
#   SCHEMATHESIS_SEED=N                   another seed than 11 (the same cases every run)
#
# Reports (JUnit, and the failures as a pytest file) go to test-artifacts/schemathesis/.
# filter_too_much is off: a visit has three timestamps, each a date-time whose pattern admits
# the whole years of its range, and Hypothesis throws away most of the date-times it draws for
# them (seed 7 failed this health check after 4,812 passing cases). Deprecated operations (GET
# /api/v1/persons/suggestions, which answers 405: the alias goes in a POST body) are skipped.
# A report PDF is drawn while the client waits (WeasyPrint and four charts): it may take longer
# than the default 10 s on a loaded machine, so answers may take up to the request timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
budget=${1:-150}
tmp=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite:///$tmp/schemathesis.sqlite3"
export OUTREACH_INSTANCE_PATH="$tmp"
export SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))')
export GEOCODER=towns          # no request leaves the machine
export LOG_LEVEL=WARNING
# A throwaway key ring for the throwaway database (production refuses to start without one).
while IFS= read -r line; do export "$line"; done < <("$BIN/python" -c \
  'from outreach.crypto import generate_keys; print("\n".join(generate_keys()))')
export LOGIN_RATE_LIMIT="1000 per minute"  # the fuzzer logs in far more than people do

flask() { "$BIN/flask" --app outreach "$@"; }
setup() { "$@" >>"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; exit 1; }; }
setup flask db upgrade
setup env OUTREACH_ENV=development "$BIN/flask" --app outreach demo  # published password: throwaway only
token=$(flask create-token coordinator@demo.outreach.dk --name schemathesis | tail -n 1)

OUTREACH_ENV=production BIND="127.0.0.1:$port" WEB_CONCURRENCY=2 \
  "$BIN/gunicorn" -c gunicorn.conf.py wsgi:app >"$tmp/gunicorn.log" 2>&1 &
server=$!
for _ in $(seq 120); do  # up to a minute on a busy machine
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/gunicorn.log" >&2; exit 1; }
  sleep 0.5
done

reports=test-artifacts/schemathesis
mkdir -p "$reports"
status=0
"$BIN/schemathesis" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --mode all \
  --checks all \
  --max-time "$budget" \
  --workers 2 \
  --seed "${SCHEMATHESIS_SEED:-11}" \
  --request-timeout 30 \
  --max-response-time 30 \
  --wait-for-schema 30 \
  --suppress-health-check filter_too_much \
  --exclude-deprecated \
  --report junit,pytest --report-dir "$reports" \
  --warnings off \
  || status=$?
if grep -q "Traceback\|Unhandled error" "$tmp/gunicorn.log"; then
  echo "The server logged errors:" >&2
  grep -A3 "Unhandled error" "$tmp/gunicorn.log" | head -40 >&2
  status=1
fi
exit $status
