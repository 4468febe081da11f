#!/usr/bin/env bash
# How fast the Kafka-fed query service starts and resumes (issue 13): the time from its
# start, and from a restart after kill -9 or SIGTERM, until the last write is applied,
# with the command service (MongoDB-wire + Kafka), the BFF and the query service as
# separate processes. Needs `scripts/test-infra.sh up` and `cargo build --release`.
set -u
BIN=${BIN:-target/release/pitlane}
TS=$(date +%s%N | tail -c 9)
D=/tmp/krs-$TS; mkdir -p $D
export PITLANE_DATA=$D KAFKA_BROKERS=127.0.0.1:19092 KAFKA_TOPIC_PREFIX=krs$TS
MONGO=mongodb://127.0.0.1:27018/krs$TS
EVENT_STORE_URL=$MONGO PITLANE_COMMAND_ADDR=127.0.0.1:56051 $BIN command > $D/command.log 2>&1 &
CMD=$!
sleep 2
PITLANE_COMMAND_URL=http://127.0.0.1:56051 PITLANE_QUERY_URL=http://127.0.0.1:56052 PITLANE_BFF_ADDR=127.0.0.1:58080 $BIN bff > $D/bff.log 2>&1 &
BFF=$!
sleep 1
TOKEN=$($BIN token --role admin --data $D)
write() {
  curl -s -X POST http://127.0.0.1:58080/api/v1/customers -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{"name":"Ada Lovelace","telephone":"+44 20 7946 0000","email":"ada@example.com"}' | jq -r '.consistency_token' 
}
position() {
  curl -s http://127.0.0.1:58080/api/v1/audit/rebuilds -H "Authorization: Bearer $TOKEN" | jq -r '[.read_models[].position] | min // 0' 2>/dev/null || echo 0
}
start_query() {
  KEY_STORE_URL=$MONGO PITLANE_READ_MODELS=$D/rm.db PITLANE_COMMAND_URL=http://127.0.0.1:56051 PITLANE_QUERY_ADDR=127.0.0.1:56052 PITLANE_CONSUMER_GROUP=krs$TS $BIN query >> $D/query.log 2>&1 &
  QRY=$!
}
wait_for() { # position
  local t0=$1 want=$2
  for _ in $(seq 1 600); do
    p=$(position); [ "${p:-0}" -ge "$want" ] 2>/dev/null && { python3 -c "import time;print(f'{time.time()-$t0:.1f}')"; return; }
    sleep 0.1
  done
  echo timeout
}
write >/dev/null
t0=$(date +%s.%N); start_query
echo "start: first event applied after $(wait_for $t0 1) s"
for round in 1 2 3; do
  kill -9 $QRY; wait $QRY 2>/dev/null
  write >/dev/null
  want=$((round+1))
  t0=$(date +%s.%N); start_query
  echo "kill -9, restart $round: caught up after $(wait_for $t0 $want) s"
done
for round in 1 2; do
  kill -TERM $QRY; wait $QRY 2>/dev/null
  write >/dev/null
  want=$((round+4))
  t0=$(date +%s.%N); start_query
  echo "SIGTERM, restart $round: caught up after $(wait_for $t0 $want) s"
done
kill $QRY $BFF $CMD; wait 2>/dev/null
