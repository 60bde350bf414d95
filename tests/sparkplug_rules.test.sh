#!/bin/bash
# The Sparkplug B state rules (cli/analysis/spb_rules.def):
#  - captures/sparkplug_violations.pcap (captures/craft_sparkplug.py, kept
#    in step with the script): each packet carries exactly the violations
#    the script expects (rule names, in order), every other packet none;
#    its perturbed copies (captures/perturbed/) give each message the same;
#  - every rule of spb_rules.def is triggered by it;
#  - the real recording captures/sparkplug.pcap (mosquitto, paho) and every
#    other capture carry no Sparkplug violation;
#  - text, -V and EVE show the same rule ids; --stats counts them.
# Usage: tests/sparkplug_rules.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
need_bin
PY=$(command -v python3) || { echo "SKIP: no python3" >&2; exit 77; }

# ---- the crafted capture is the script's ----
$PY "$C/craft_sparkplug.py" "$TMP/spb.pcap" || exit 1
cmp -s "$TMP/spb.pcap" "$C/sparkplug_violations.pcap" ||
	bad "captures/sparkplug_violations.pcap is stale: run python3 captures/craft_sparkplug.py"
$PY "$C/craft_sparkplug.py" --expected >"$TMP/expected" || exit 1

# ---- exactly the expected violations, packet by packet ----
"$BIN" -r "$C/sparkplug_violations.pcap" -T json >"$TMP/spb.jsonl" || bad "mqttdissect -T json"
$PY - "$TMP/expected" "$TMP/spb.jsonl" <<'PYEOF' || bad "crafted Sparkplug violations"
import json, sys
from collections import defaultdict
want = {}
for l in open(sys.argv[1]):
    f = l.split()
    want[(int(f[0]), int(f[1]))] = (f[2], f[3].split(","))
per_conn = defaultdict(int)
bad, checked = [], 0
for l in open(sys.argv[2]):
    m = json.loads(l)
    if "event" in m:
        bad.append("unexpected event %s" % m["event"])
        continue
    per_conn[m["conn"]] += 1
    key = (m["conn"], per_conn[m["conn"]])
    names = [v["name"] for v in m["violations"]]
    ptype, rules = want.pop(key, (m["type"], []))
    checked += 1
    if m["type"] != ptype or names != rules:
        bad.append("conn %d packet %d %s: got %s, want %s %s" % (key + (m["type"], names, ptype, rules)))
    for v in m["violations"]:
        if v["name"].startswith("SPB_") and not (v["rule"].startswith("tck-id-") or v["rule"].startswith("MQD-SPB-")):
            bad.append("rule id %s of %s" % (v["rule"], v["name"]))
bad += ["missing: conn %d packet %d" % k for k in want]
for b in bad:
    print("  " + b)
print("sparkplug_violations.pcap: %d packets checked, %d problems" % (checked, len(bad)))
sys.exit(1 if bad else 0)
PYEOF

# ---- the same violations however TCP delivered the bytes ----
# captures/perturbed/sparkplug_violations-*.pcap (captures/perturb.py):
# segments reordered, duplicated, split into overlapping pieces, FINs and
# answers captured ahead of the data: each message keeps its violations.
for kind in reorder dup overlap finrst xdir; do
	"$BIN" -r "$C/perturbed/sparkplug_violations-$kind.pcap" -T json >"$TMP/p-$kind.jsonl" ||
		bad "mqttdissect -r sparkplug_violations-$kind.pcap"
	$PY - "$TMP/spb.jsonl" "$TMP/p-$kind.jsonl" <<'PYEOF' || bad "violations differ in sparkplug_violations-$kind.pcap"
import json, sys
def load(path):
    out = []
    for l in open(path):
        m = json.loads(l)
        if "type" in m:
            out.append((m["src"], m["stream_off"], m["type"], [v["name"] for v in m["violations"]]))
    return sorted(out)
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    for x, y in zip(a, b):
        if x != y:
            print("  clean %s\n  perturbed %s" % (x, y))
            break
    sys.exit(1)
PYEOF
done

# ---- every rule of the catalogue is exercised ----
for r in $(grep -o '^SPB_RULE([A-Z0-9_]*' "$SRC/cli/analysis/spb_rules.def" | sed 's/SPB_RULE(/SPB_/'); do
	grep -q " $r\(,\|$\)" "$TMP/expected" || bad "rule $r is not triggered by captures/craft_sparkplug.py"
done

# ---- no Sparkplug violation in any other capture ----
for f in "$C"/*.pcap "$C"/*.pcapng; do
	[ "$(basename "$f")" = sparkplug_violations.pcap ] && continue
	"$BIN" -r "$f" -T json -p 1884 >"$TMP/clean.jsonl" 2>/dev/null
	if grep -q '"name":"SPB_' "$TMP/clean.jsonl"; then
		bad "Sparkplug violations in $(basename "$f"):"
		grep -o '"frame":[0-9]*\|"name":"SPB_[A-Z_]*"' "$TMP/clean.jsonl" | grep -B1 SPB_ | head -10
	fi
done
"$BIN" -r "$C/sparkplug.pcap" -q --stats -T json 2>/dev/null >"$TMP/stats.json" || bad "--stats"
$PY - "$TMP/stats.json" <<'PYEOF' || bad "--stats of sparkplug.pcap"
import json, sys
s = json.load(open(sys.argv[1]))["stats"]["sparkplug"]
# The recording (captures/clients/sparkplug.py): one edge node, two devices,
# three NBIRTHs (session 1, its rebirth on NCMD, session 2), no violation.
want = {"edge_nodes": 1, "devices": 2, "nbirths": 3, "rebirths": 2, "seq_gaps": 0}
bad = {k: (s[k], v) for k, v in want.items() if s[k] != v}
if s["violations"]["total"] != 0 or s["metrics"] == 0 or bad:
    print("  got %s" % s)
    sys.exit(1)
PYEOF

# ---- the same ids in text, -V, EVE and --stats ----
ids=$($PY -c '
import json, sys
for l in open(sys.argv[1]):
    for v in json.loads(l).get("violations", []):
        print(v["rule"])' "$TMP/spb.jsonl" | sort)
text=$("$BIN" -r "$C/sparkplug_violations.pcap" | grep -o '\[[0-9]* violations\?:[^]]*\]' |
	sed 's/\[[0-9]* violations\?://; s/\]//' | tr ' ' '\n' | grep . | sort)
[ "$ids" = "$text" ] || bad "text summary ids differ from JSON"
tree=$("$BIN" -r "$C/sparkplug_violations.pcap" -V | grep -o '! [^ ]* error' | awk '{print $2}' | sort)
[ "$ids" = "$tree" ] || bad "-V ids differ from JSON"
eve=$("$BIN" -r "$C/sparkplug_violations.pcap" -T eve | $PY -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m["event_type"] == "anomaly":
        for fv in m["metadata"]["flowvars"]:
            if "mqtt.rule" in fv:
                print(fv["mqtt.rule"])' | sort)
[ "$ids" = "$eve" ] || bad "EVE anomaly ids differ from JSON"
"$BIN" -r "$C/sparkplug_violations.pcap" -q --stats -T json 2>/dev/null >"$TMP/vstats.json" || bad "--stats"
$PY - "$TMP/vstats.json" "$TMP/expected" <<'PYEOF' || bad "--stats violations by rule"
import json, sys
from collections import Counter
s = json.load(open(sys.argv[1]))["stats"]["sparkplug"]["violations"]
want = Counter(r for l in open(sys.argv[2]) for r in l.split()[3].split(","))
got = Counter({e["name"]: e["count"] for e in s["by_rule"]})
if got != want or s["total"] != sum(want.values()):
    print("  got %s\n  want %s" % (dict(got), dict(want)))
    sys.exit(1)
PYEOF
# The text section, and none without Sparkplug traffic.
"$BIN" -r "$C/sparkplug.pcap" -q --stats 2>/dev/null >"$TMP/stats.txt" || bad "--stats text"
grep -q '^Sparkplug B (280 messages from clients)$' "$TMP/stats.txt" &&
	grep -q '^  edge nodes  *1$' "$TMP/stats.txt" &&
	grep -q '^  rebirths  *2$' "$TMP/stats.txt" &&
	grep -q '^  Violations by rule (0 in all)$' "$TMP/stats.txt" || {
	bad "--stats text Sparkplug section of sparkplug.pcap"; sed -n '/^Sparkplug/,/^$/p' "$TMP/stats.txt"; }
"$BIN" -r "$C/hello_world.pcap" -q --stats 2>/dev/null | grep -q '^Sparkplug' &&
	bad "--stats shows a Sparkplug section without Sparkplug traffic"
"$BIN" -r "$C/hello_world.pcap" -q --stats -T json 2>/dev/null | grep -q '"sparkplug"' &&
	bad "--stats JSON has a sparkplug key without Sparkplug traffic"
[ $failures = 0 ] || exit 1
echo "sparkplug_rules: every rule fires where expected and nowhere else"
