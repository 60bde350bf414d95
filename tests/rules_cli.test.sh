#!/bin/bash
# --list-rules and --explain (issue 17, item 3): both run without input and
# exit 0; the table has one line per rule of rules.def; with -T json one
# object per rule with every field, every id unique; --explain finds every
# rule by id and by name and says the same as the list, and an unknown one
# is exit 2 naming it. Then the documented versions against the code: every
# violation in the JSON of every bundled capture (MQTT, MQTT-SN, TLS with
# its key log, perturbed, and tests/schema_events.py's crafted one) is of a rule whose versions include the version
# of the record it is in.
#
# Usage: tests/rules_cli.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
need_bin

grep -o '^MQD_RULE([A-Z0-9_]*, "[^"]*"' "$SRC/dissect/include/mqttdissect/rules.def" |
	sed -E 's/^MQD_RULE\(([A-Z0-9_]*), "([^"]*)"/\1 \2/' >"$TMP/def.txt"
nrules=$(wc -l <"$TMP/def.txt")
[ "$nrules" -gt 100 ] || fail "read $nrules rules from rules.def"
# The second catalogue: the Sparkplug B state rules, listed after the library's.
grep -o '^SPB_RULE([A-Z0-9_]*, "[^"]*"' "$SRC/cli/analysis/spb_rules.def" |
	sed -E 's/^SPB_RULE\(([A-Z0-9_]*), "([^"]*)"/SPB_\1 \2/' >>"$TMP/def.txt"
nspb=$(($(wc -l <"$TMP/def.txt") - nrules))
[ "$nspb" -gt 30 ] || fail "read $nspb rules from spb_rules.def"
nrules=$((nrules + nspb))

"$BIN" --list-rules >"$TMP/list.txt" 2>"$TMP/err" || fail "--list-rules exited $?: $(cat "$TMP/err")"
[ -s "$TMP/err" ] && fail "--list-rules wrote to stderr: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/list.txt")" -eq $((nrules + 1)) ] ||
	fail "--list-rules: $(wc -l <"$TMP/list.txt") lines for $nrules rules and a header"
head -n 1 "$TMP/list.txt" | grep -Eq '^ID +SEVERITY +VERSIONS +NAME +MESSAGE$' ||
	fail "--list-rules header: $(head -n 1 "$TMP/list.txt")"
"$BIN" --list-rules -T json >"$TMP/list.jsonl" || fail "--list-rules -T json exited $?"
# -r is not read: a file that does not exist changes nothing.
"$BIN" -r "$TMP/none.pcap" --list-rules -T json | cmp -s - "$TMP/list.jsonl" ||
	fail "--list-rules read its input"

$PY - "$TMP/def.txt" "$TMP/list.txt" "$TMP/list.jsonl" <<'PYEOF' || exit 1
import json, re, sys
defs = [l.split(' ', 1) for l in open(sys.argv[1]).read().splitlines()]
table = open(sys.argv[2]).read().splitlines()[1:]
rules = [json.loads(l) for l in open(sys.argv[3])]
bad = []
if [(r['name'], r['id']) for r in rules] != [(n, i) for n, i in defs]:
    bad.append('the JSON list is not rules.def then spb_rules.def in order')
fields = ['id', 'name', 'catalogue', 'severity', 'versions', 'section', 'message', 'statement']
ids = set()
for r, line in zip(rules, table):
    if list(r) != fields:
        bad.append('%s: fields %s' % (r.get('name'), list(r)))
        continue
    if r['id'] in ids:
        bad.append('id %s is not unique' % r['id'])
    ids.add(r['id'])
    if r['severity'] not in ('error', 'warning', 'info'):
        bad.append('%s: severity %r' % (r['name'], r['severity']))
    if r['catalogue'] == 'sparkplug':
        if r['versions'] != ['sparkplug3.0']:
            bad.append('%s: versions %r' % (r['name'], r['versions']))
        if len(r['section']) < 5 or len(r['statement']) < 20:
            bad.append('%s: section %r or statement %r' % (r['name'], r['section'], r['statement']))
    elif r['catalogue'] != 'mqtt':
        bad.append('%s: catalogue %r' % (r['name'], r['catalogue']))
    elif not r['versions'] or not set(r['versions']) <= {'3.1', '3.1.1', '5.0', 'sn1.2'}:
        bad.append('%s: versions %r' % (r['name'], r['versions']))
    elif not re.match(r'^(5\.0|3\.1\.1|3\.1|SN 1\.2) §[0-9]', r['section']) or len(r['statement']) < 20:
        bad.append('%s: section %r or statement %r' % (r['name'], r['section'], r['statement']))
    cols = line.split()
    if cols[:4] != [r['id'], r['severity'], ','.join(r['versions']), r['name']] or \
            not line.endswith('  ' + r['message']):
        bad.append('table line %r does not say %s' % (line, r['name']))
for b in bad:
    print('FAIL:', b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# --explain by id and by name: the list's object; text with every field.
while read -r name id; do
	a=$("$BIN" --explain "$name" -T json) || fail "--explain $name exited $?"
	b=$(grep -F "\"name\":\"$name\"," "$TMP/list.jsonl")
	[ "$a" = "$b" ] || fail "--explain $name -T json is not its --list-rules line"
	c=$("$BIN" -T json --explain "$id") || fail "--explain $id exited $?"
	# An id names one rule (test_rules checks that), so it finds this one.
	[ "$c" = "$b" ] || fail "--explain $id does not give $name"
done <"$TMP/def.txt"
"$BIN" --explain PUBLISH_QOS_3 >"$TMP/explain.txt" || fail "--explain text exited $?"
for want in '^MQTT-3.3.1-4  PUBLISH_QOS_3$' '^  severity:  error$' '^  versions:  3.1,3.1.1,5.0$' \
	'^  section:   5.0 §3.3.1.2; 3.1.1 §3.3.1.2$' '^  message:   PUBLISH has both QoS bits set' \
	'^  statement: [A-Z]'; do
	grep -Eq "$want" "$TMP/explain.txt" || fail "--explain text lacks /$want/: $(cat "$TMP/explain.txt")"
done
"$BIN" --explain NO_SUCH_RULE >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 2 ] || fail "--explain NO_SUCH_RULE exited $rc, not 2"
[ -s "$TMP/out" ] && fail "--explain NO_SUCH_RULE wrote to stdout"
grep -q "'NO_SUCH_RULE'" "$TMP/err" || fail "--explain NO_SUCH_RULE: $(cat "$TMP/err")"
"$BIN" --explain >/dev/null 2>&1
[ $? -eq 2 ] || fail "--explain without a rule is not a usage error"

# The versions against the code, on real data.
for f in "$C"/*.pcap "$C"/*.pcapng "$C"/perturbed/*.pcap; do
	"$BIN" -T json -r "$f" || fail "$f: exit $?"
done >"$TMP/all.jsonl" 2>/dev/null
for f in "$C"/tls/*.pcap; do
	"$BIN" -T json -r "$f" --tls-port 8901,8902,8903,8911,8912,8913,8914,8915,8920 \
		--tls-keylog "${f%.pcap}.keylog" tcp || fail "$f: exit $?"
done >>"$TMP/all.jsonl" 2>/dev/null
# The crafted capture of tests/schema_events.py: MQTT-SN violations too.
$PY "$SRC/tests/schema_events.py" "$TMP/events.pcap" || fail "schema_events.py"
"$BIN" -T json -r "$TMP/events.pcap" >>"$TMP/all.jsonl" || fail "events.pcap: exit $?"
grep -q '"version":"sn1.2".*"rule":"MQD-SN-' "$TMP/all.jsonl" || fail "no MQTT-SN violation to check"
$PY - "$TMP/list.jsonl" "$TMP/all.jsonl" <<'PYEOF' || exit 1
import json, sys
versions = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    versions[r['id']] = r['versions']
# The version a record says, as --list-rules spells it.
spell = {3: '3.1', 4: '3.1.1', 5: '5.0', 'sn1.2': 'sn1.2'}
# AUTH_BEFORE_V5 is found on an AUTH, which the parser decodes as 5.0 (the
# record's version) to show it; the rule is about the connection's older
# version.
exempt = {'MQD-3.15-version'}
bad, seen, checked = set(), set(), 0
for l in open(sys.argv[2]):
    o = json.loads(l)
    for v in o.get('violations') or []:
        rid = v['rule']
        seen.add(rid)
        if rid not in versions:
            bad.add('violation %s is not in --list-rules' % rid)
            continue
        checked += 1
        ver = spell.get(o.get('version'))
        # A Sparkplug rule is about the payload, on any MQTT version.
        if versions[rid] == ['sparkplug3.0']:
            continue
        if rid not in exempt and ver not in versions[rid]:
            bad.add('%s on a version %s record (frame %s); its versions: %s'
                    % (rid, o.get('version'), o.get('frame'), versions[rid]))
for b in sorted(bad):
    print('FAIL:', b, file=sys.stderr)
if checked < 100 or len(seen) < 50:
    print('FAIL: only %d violations of %d rules checked' % (checked, len(seen)), file=sys.stderr)
    sys.exit(1)
print('%d violations of %d rules agree with the documented versions' % (checked, len(seen)))
sys.exit(1 if bad else 0)
PYEOF
echo "PASS: --list-rules ($nrules rules), --explain, versions on the captures"
