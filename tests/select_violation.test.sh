#!/bin/bash
# --violation[=RULE,...]: on the crafted captures/violations.pcap (frame
# rules) and captures/state_violations.pcap (session rules), the records
# printed are exactly the messages whose "violations" list is not empty and
# the state_violation events of the full -T json output (or, with a list,
# those naming one of its rules, by id or by name); the one-line text prints
# as many; the other selections combine with it; an unknown rule is a usage
# error naming it.
# Usage: tests/select_violation.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
need_bin

# check CAPTURE [SELECTION-ARGS...] -- [VIOLATION-ARG]
# Computes from the unselected JSON what --violation must print, and
# compares it with what it prints (JSON, record by record; text, the count).
check() {
	local cap=$1 varg=$2
	shift 2
	"$BIN" -r "$SRC/captures/$cap" -T json --threads 1 "$@" >"$TMP/all.jsonl" 2>/dev/null
	"$BIN" -r "$SRC/captures/$cap" -T json "$varg" "$@" >"$TMP/sel.jsonl" 2>/dev/null
	"$BIN" -r "$SRC/captures/$cap" --color never "$varg" "$@" >"$TMP/sel.txt" 2>/dev/null
	$PY - "$TMP/all.jsonl" "$TMP/sel.jsonl" "$TMP/sel.txt" "$varg" <<'PYEOF'
import json, sys
all_, sel, txt, varg = sys.argv[1:5]
rules = None
if "=" in varg:
    rules = set(varg.split("=", 1)[1].split(","))

def hit(v):
    return rules is None or v.get("rule") in rules or v.get("name") in rules

want = []
n_msg = n_state = 0
for line in open(all_):
    o = json.loads(line)
    if "event" in o:
        if o["event"] == "state_violation":
            if hit(o):
                want.append(line); n_state += 1
        elif o["event"] not in ("state_violation",):
            want.append(line)  # other events print as with any selection
    elif any(hit(v) for v in o.get("violations", [])):
        want.append(line); n_msg += 1
got = open(sel).readlines()
if got != want:
    print(f"FAIL: {varg}: {len(got)} JSON records printed, {len(want)} expected")
    for a, b in zip(got, want):
        if a != b:
            print(" got ", a[:200]); print(" want", b[:200]); break
    sys.exit(1)
ntxt = sum(1 for _ in open(txt))
if ntxt != len(want):
    print(f"FAIL: {varg}: {ntxt} text lines, {len(want)} JSON records")
    sys.exit(1)
if n_msg + n_state == 0:
    print(f"FAIL: {varg}: the check selects nothing"); sys.exit(1)
print(f"ok: {varg} {' '.join(sys.argv[5:])}: {n_msg} messages, {n_state} state violations")
PYEOF
	[ $? -eq 0 ] || failures=$((failures + 1)) # it printed why
}

check violations.pcap --violation
check violations.pcap --violation=MQTT-3.3.1-4
check violations.pcap --violation=PUBLISH_QOS_3,MQTT-2.1.3-1
check state_violations.pcap --violation
check state_violations.pcap --violation=SESSION_UNACKED_AT_CLOSE,MQTT-3.3.4-7
check state_violations.pcap --violation=MQTT-3.1.2-22
check state_violations.pcap --violation --type PUBLISH
check state_violations.pcap --violation --topic 't/#'
check state_violations.pcap --violation --client state-client
# The Sparkplug B state rules (analysis/spb_rules.def) select as the
# library's do, by tck id or by name.
check sparkplug_violations.pcap --violation
check sparkplug_violations.pcap --violation=tck-id-topics-nbirth-seq-num,SPB_DCMD_SEQ
check sparkplug_violations.pcap --violation=MQD-SPB-alias-unknown --type PUBLISH
n=$("$BIN" -r "$SRC/captures/sparkplug.pcap" -T json --violation | grep -c '"type":')
[ "$n" -eq 0 ] || bad "--violation chose $n messages of the clean sparkplug.pcap"
n=$("$BIN" -r "$SRC/captures/sparkplug_violations.pcap" --violation | grep -c 'tck-id-\|MQD-SPB-')
[ "$n" -gt 30 ] || bad "--violation printed $n Sparkplug violations"

# The selection is not empty and does not print everything.
n_all=$("$BIN" -r "$SRC/captures/state_violations.pcap" | wc -l)
n_sel=$("$BIN" -r "$SRC/captures/state_violations.pcap" --violation | wc -l)
n_state=$("$BIN" -r "$SRC/captures/state_violations.pcap" --violation | grep -c 'EVENT state_violation')
if [ "$n_sel" -ge "$n_all" ] || [ "$n_sel" -eq 0 ] || [ "$n_state" -eq 0 ]; then
	bad "--violation printed $n_sel of $n_all lines, $n_state state violations"
fi

# -c counts the selected messages.
n=$("$BIN" -r "$SRC/captures/violations.pcap" --violation -c 3 | wc -l)
[ "$n" -eq 3 ] || bad "--violation -c 3 printed $n lines"

# An unknown rule: exit 2, named.
"$BIN" -r "$SRC/captures/violations.pcap" --violation=MQTT-3.3.1-4,NO_SUCH_RULE >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -ne 2 ] || ! grep -q "NO_SUCH_RULE" "$TMP/err"; then
	bad "an unknown rule: exit $rc, $(cat "$TMP/err")"
fi
"$BIN" -r "$SRC/captures/violations.pcap" --violation= >/dev/null 2>&1
[ $? -eq 2 ] || bad "--violation= is accepted"

# Lists as --type takes them: one trailing comma ends the list, an empty
# name elsewhere is refused (exit 2, named as '').
"$BIN" -r "$SRC/captures/violations.pcap" --violation=PUBLISH_QOS_3,MQTT-2.1.3-1 >"$TMP/want"
"$BIN" -r "$SRC/captures/violations.pcap" --violation=PUBLISH_QOS_3,MQTT-2.1.3-1, >"$TMP/got" 2>&1
if [ ! -s "$TMP/want" ] || ! cmp -s "$TMP/want" "$TMP/got"; then
	bad "--violation with a trailing comma does not select as without: $(head -c 200 "$TMP/got")"
fi
for list in "PUBLISH_QOS_3,,MQTT-2.1.3-1" ",PUBLISH_QOS_3"; do
	"$BIN" -r "$SRC/captures/violations.pcap" --violation="$list" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 2 ] || ! grep -q "unknown rule ''" "$TMP/err"; then
		bad "--violation=$list: exit $rc, $(cat "$TMP/err")"
	fi
done
"$BIN" -r "$SRC/captures/violations.pcap" --type=publish, -q >/dev/null 2>&1 ||
	bad "--type with a trailing comma is refused"
"$BIN" -r "$SRC/captures/violations.pcap" --type=publish,,connect -q >/dev/null 2>&1
[ $? -eq 2 ] || bad "--type=publish,,connect is accepted"

[ "$failures" -eq 0 ] || exit 1
echo "select_violation: all ok"
