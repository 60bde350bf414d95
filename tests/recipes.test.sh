#!/usr/bin/env bash
# The README's recipes for existing engines, run for real with Debian's
# tools where they are installed (each part is skipped with a note when its
# tool is missing; 77 when all are):
#   - Redis, as Suricata's EVE output uses it: EVE lines RPUSHed onto the
#     list "suricata" through redis-cli --pipe into a private redis-server;
#     the list holds exactly the lines, in order, UTF-8 intact;
#   - Kafka with kcat -P: against librdkafka's in-process mock cluster, kcat
#     delivers one message per EVE or JSON line (no record split or merged);
#   - cli/output/recipes/vector.toml and cli/output/recipes/filebeat.yml parse, read the EVE file,
#     and Vector's timestamp format reads every EVE timestamp.
set -u
build=${1:?usage: recipes.test.sh BUILD_DIR}
bin=$build/mqttdissect
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
work=$(mktemp -d)
redis=
cleanup() { [ -n "$redis" ] && kill "$redis" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
failures=0
ran=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Several captures' worth: properties, UTF-8, violations, events.
for c in props_v5.pcap violations.pcap chat.pcapng ws_v5.pcap; do
  "$bin" -T eve -r "$src/captures/$c" 2>/dev/null
done >"$work/eve"
lines=$(wc -l <"$work/eve")
[ "$lines" -gt 100 ] || fail "only $lines EVE lines"

if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  ran=$((ran + 1))
  redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no \
    --dir "$work" >"$work/redis.log" 2>&1 &
  redis=$!
  for _ in $(seq 100); do
    redis-cli -s "$work/redis.sock" ping 2>/dev/null | grep -q PONG && break
    sleep 0.05
  done
  # The recipe (README): each line as an RPUSH in Redis's protocol.
  LC_ALL=C awk '{ printf "*3\r\n$5\r\nRPUSH\r\n$8\r\nsuricata\r\n$%d\r\n%s\r\n", length($0), $0 }' \
    "$work/eve" | redis-cli -s "$work/redis.sock" --pipe >"$work/pipe.out" 2>&1 ||
    fail "redis-cli --pipe: $(tail -2 "$work/pipe.out")"
  n=$(redis-cli -s "$work/redis.sock" LLEN suricata)
  [ "$n" = "$lines" ] || fail "redis: $n list entries, want $lines"
  redis-cli -s "$work/redis.sock" --raw LRANGE suricata 0 -1 >"$work/redis.out"
  cmp -s "$work/redis.out" "$work/eve" || fail "redis: the list is not the EVE lines"
else
  echo "note: no redis-server/redis-cli; the Redis recipe was not run"
fi

if command -v kcat >/dev/null; then
  ran=$((ran + 1))
  for fmt in eve json; do
    "$bin" -T $fmt -r "$src/captures/chat.pcapng" >"$work/k.$fmt" 2>/dev/null
    want=$(wc -l <"$work/k.$fmt")
    timeout 120 kcat -P -b mock -t mqttdissect -X test.mock.num.brokers=1 \
      -X topic.produce.offset.report=true -v -v -v <"$work/k.$fmt" >"$work/kcat.$fmt" 2>&1 ||
      fail "kcat -P ($fmt): exit $?: $(grep -v MOCK "$work/kcat.$fmt" | tail -2)"
    got=$(grep -c "Message delivered" "$work/kcat.$fmt")
    [ "$got" = "$want" ] || fail "kcat ($fmt): $got messages delivered, want one per line ($want)"
  done
else
  echo "note: no kcat; the Kafka recipe was not run"
fi

# cli/output/recipes/vector.toml and cli/output/recipes/filebeat.yml: neither tool is packaged in
# Debian, so their own checks (vector validate, filebeat test config) run
# only where they are installed; here: syntax, the file they read, and
# Vector's timestamp format against every EVE timestamp.
/usr/bin/python3 - "$src/cli/output/recipes/vector.toml" "$src/cli/output/recipes/filebeat.yml" "$work/eve" <<'PYEOF' ||
import datetime, json, re, sys, tomllib
import yaml
vec = tomllib.load(open(sys.argv[1], "rb"))
fb = yaml.safe_load(open(sys.argv[2]))
path = "/var/log/mqttdissect/eve.json"
assert vec["sources"]["mqttdissect_eve"]["include"] == [path]
assert vec["transforms"]["eve_parse"]["inputs"] == ["mqttdissect_eve"]
assert vec["sinks"]["elasticsearch"]["inputs"] == ["eve_parse"]
mods = [m for m in fb["filebeat.modules"] if m["module"] == "suricata"]
assert mods and mods[0]["eve"]["enabled"] and mods[0]["eve"]["var.paths"] == [path]
fmt = re.search(r'format: "([^"]+)"', vec["transforms"]["eve_parse"]["source"]).group(1)
pyfmt = fmt.replace("%.6f", ".%f")  # chrono's %.6f is a dot and 6 digits
n = 0
for line in open(sys.argv[3]):
    datetime.datetime.strptime(json.loads(line)["timestamp"], pyfmt)
    n += 1
assert n > 0
PYEOF
  fail "cli/output/recipes/vector.toml or cli/output/recipes/filebeat.yml"
command -v vector >/dev/null && { vector validate --no-environment "$src/cli/output/recipes/vector.toml" >/dev/null || fail "vector validate"; }
command -v filebeat >/dev/null && { filebeat test config -c "$src/cli/output/recipes/filebeat.yml" >/dev/null || fail "filebeat test config"; }

[ "$ran" -gt 0 ] || { echo "SKIP: neither redis nor kcat is installed"; exit 77; }
echo "recipes: $ran engines, $failures failures"
[ "$failures" = 0 ]
