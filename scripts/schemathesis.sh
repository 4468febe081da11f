#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI document with schemathesis (issue 14).
#
#   scripts/schemathesis.sh [PITLANE_BIN]
#
# Starts `pitlane up` (the embedded default, SQLite, with --demo data) on free loopback
# ports in a temporary data directory, waits for /health/ready, and runs `schemathesis
# run` against /api/openapi.json with an admin's token: every check (`--checks all`, the
# default of the pinned version: status codes, content types, headers, schemas,
# negative/positive data, auth, use-after-free, ...), all phases (examples, coverage,
# fuzzing, stateful), one worker, going on after a failure (`--continue-on-failure`: a
# run's size does not depend on what it finds). Exits non-zero on any failure, and stops
# the platform however it ends. The rate limit is off for the run (PITLANE_RATE_LIMIT=off):
# thousands of requests from one token would otherwise be 429s.
#
# The platform binary: the argument, else PITLANE_BIN, else the newer of
# target/release/pitlane and target/debug/pitlane. Settings (defaults in brackets):
#   SCHEMATHESIS_MAX_EXAMPLES  cases per operation in the fuzzing phase [160]: with the
#                              coverage and stateful phases, the 68 operations make
#                              ~13,000-14,000 cases a run (the issue asks >= 10,000)
#   SCHEMATHESIS_MAX_SECONDS   hard bound on the fuzzing run [900; a run takes ~250 s]
#   SCHEMATHESIS_SEED          replay a run's seed (printed at its end) [random]
#   SCHEMATHESIS_ARGS          more `schemathesis run` options, e.g. to look at one
#                              operation: --include-name 'GET /api/v1/audit/events'
#                              --output-sanitize false []
#   PITLANE_TOOLS              where the venv lives [target/tools]
# Reports (JUnit, JSON, NDJSON with every request and answer) go to
# target/schemathesis/; the platform's log is target/schemathesis/pitlane.log.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${PITLANE_TOOLS:-$ROOT/target/tools}"
VENV="$TOOLS/schemathesis-venv"
OUT="$ROOT/target/schemathesis"
# Pinned so every run fuzzes with the same generator and checks.
SCHEMATHESIS_PACKAGE="${SCHEMATHESIS_PACKAGE:-schemathesis==4.32.5}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-160}"
MAX_SECONDS="${SCHEMATHESIS_MAX_SECONDS:-900}"
WAIT_SECONDS=60

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

BIN="${1:-${PITLANE_BIN:-}}"
if [ -z "$BIN" ]; then
    BIN="$ROOT/target/release/pitlane"
    [ "$ROOT/target/debug/pitlane" -nt "$BIN" ] && BIN="$ROOT/target/debug/pitlane"
fi
[ -x "$BIN" ] || die "no platform binary at $BIN (build it, or name it: $0 PATH)"

# ---------------------------------------------------------------- installation

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "${SCHEMATHESIS_PACKAGE#*==}"; then
    log "installing $SCHEMATHESIS_PACKAGE into $VENV"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" ||
        die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$VENV/bin/pip" install -q --disable-pip-version-check "$SCHEMATHESIS_PACKAGE"
fi

# ---------------------------------------------------------------- the platform

# Three free loopback ports: the command service, the query service, the REST API.
read -r COMMAND_PORT QUERY_PORT REST_PORT < <("$VENV/bin/python" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
BASE="http://127.0.0.1:$REST_PORT"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/pitlane-schemathesis.XXXXXX")"
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.ndjson "$OUT"/*.xml

PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT

log "starting $BIN up on $BASE (data $DATA, log $OUT/pitlane.log)"
PITLANE_RATE_LIMIT=off "$BIN" up --demo --data "$DATA" \
    --command-addr "127.0.0.1:$COMMAND_PORT" --query-addr "127.0.0.1:$QUERY_PORT" \
    --rest-addr "127.0.0.1:$REST_PORT" >"$OUT/pitlane.log" 2>&1 </dev/null &
PID=$!

waited=0
until curl -fs -o /dev/null "$BASE/health/ready"; do
    kill -0 "$PID" 2>/dev/null || { tail -n 20 "$OUT/pitlane.log" >&2; die "pitlane exited during start-up"; }
    [ "$waited" -lt "$((WAIT_SECONDS * 10))" ] || die "$BASE/health/ready not ready within ${WAIT_SECONDS}s"
    sleep 0.1
    waited=$((waited + 1))
done
log "ready after $((waited / 10))s"

# Valid beyond the time bound, so no case fails for an expired token.
TOKEN="$("$BIN" token --role admin --data "$DATA" --ttl "$((MAX_SECONDS + 600))s")"

# ---------------------------------------------------------------- the run

started=$SECONDS
status=0
# `timeout` bounds the run (schemathesis' own --max-time would instead repeat until it is
# spent). Run from $OUT, where schemathesis keeps its cache (.schemathesis/, for `st replay`).
# scripts/schemathesis.toml adds 412 to what the positive-data check accepts, and
# scripts/schemathesis_hooks.py gives each case a fresh Idempotency-Key (both say why).
(cd "$OUT" && SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/scripts" \
    exec timeout --kill-after=30 "$MAX_SECONDS" "$VENV/bin/schemathesis" \
    --config-file "$ROOT/scripts/schemathesis.toml" run \
    "$BASE/api/openapi.json" --url "$BASE" -H "Authorization: Bearer $TOKEN" \
    --checks all --workers 1 --max-examples "$MAX_EXAMPLES" --continue-on-failure \
    ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} ${SCHEMATHESIS_ARGS:-} \
    --generation-database none --no-color \
    --report junit,json,ndjson --report-dir "$OUT") || status=$?

[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || log "error: the run exceeded ${MAX_SECONDS}s"
# One summary line (and one per kind of failure) from the JSON report; a run cut short by
# the time bound writes none, so its cases are then counted from the NDJSON events.
"$VENV/bin/python" - "$OUT" "$((SECONDS - started))" "$status" <<'EOF' || true
import glob, json, sys
out, seconds, status = sys.argv[1:]
try:
    report = json.load(open(glob.glob(f"{out}/json-*.json")[0]))
    cases, failures = report["test_cases"]["generated"], report["failures"]
except (IndexError, ValueError):
    cases, failures = 0, None  # not known: no report
    for path in glob.glob(f"{out}/ndjson-*.ndjson"):
        for line in open(path):
            if line.startswith('{"ScenarioFinished"') and line.endswith("}\n"):
                cases += len(json.loads(line)["ScenarioFinished"]["recorder"].get("interactions", {}))
count = "?" if failures is None else sum(f["count"] for f in failures)
print(f"schemathesis: {cases} cases, {count} failures, in {seconds}s, exit {status}")
for f in failures or []:
    print(f"  {f['code']} {f['title']}: {f['count']} on {len(f['operations'])} operations")
EOF
exit "$status"
