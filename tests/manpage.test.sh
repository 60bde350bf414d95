#!/bin/bash
# The man page (cli/mqttdissect.1) documents every option of the parser
# (cli/options.c: the long_options table and the getopt short-option
# string), every event the code emits (the same scan as the schema's,
# tests/schema_check.py), the version values, and names the JSON schema
# and --list-rules; and the README points to both. Also renders cleanly
# with man (when installed).
#
# Usage: tests/manpage.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
MAN=$SRC/cli/mqttdissect.1
OPTS=$SRC/cli/options.c

longs=$(sed -n '/^static const struct option long_options\[\]/,/^};/p' "$OPTS" |
	grep -o '{"[a-z0-9-]*"' | tr -d '{"')
[ "$(wc -w <<<"$longs")" -gt 30 ] || bad "read only $(wc -w <<<"$longs") long options from options.c"
shorts=$(grep -o 'getopt_long(argc, argv, "[^"]*"' "$OPTS" | sed 's/.*"\(.*\)"/\1/' | tr -d '+:')
[ ${#shorts} -ge 8 ] || bad "read only '$shorts' as short options"
for o in $longs; do
	esc=${o//-/\\-}
	grep -qF -- "\\-\\-$esc" "$MAN" || bad "--$o is not in the man page"
done
for ((i = 0; i < ${#shorts}; i++)); do
	c=${shorts:i:1}
	grep -qE -- "\\\\-$c([^a-zA-Z0-9]|$)" "$MAN" || bad "-$c is not in the man page"
done

# The JSON keys and events the code writes (the schema test's scan).
names() {
	$PY - "$SRC" "$1" <<'PYEOF'
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("sc", os.path.join(sys.argv[1], "tests", "schema_check.py"))
sc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sc)
keys, events = sc.code_names(sys.argv[1])
print(" ".join(sorted(keys if sys.argv[2] == "keys" else events)))
PYEOF
}
keys=$(names keys)
events=$(names events)
[ "$(wc -w <<<"$keys")" -gt 150 ] || bad "found only $(wc -w <<<"$keys") JSON keys in the code"
# Every key is a word of the man page (JSON OUTPUT names them all).
words=$(sed 's/\\-/-/g' "$MAN" | grep -oE '[A-Za-z0-9_]+' | sort -u)
for k in $keys; do
	grep -qxF "$k" <<<"$words" || bad "JSON key $k is not in the man page"
done
# Every event is described in the Events subsection.
[ "$(wc -w <<<"$events")" -gt 20 ] || bad "found only $(wc -w <<<"$events") events in the code"
section=$(sed -n '/^\.SS "Events"/,/^\.S[HS] /p' "$MAN")
[ -n "$section" ] || bad "no .SS \"Events\" in the man page"
for e in $events; do
	grep -qE "^\.B $e( |\$)" <<<"$section" || bad "event $e is not described in the man page's Events"
done

for want in 'mqttdissect.schema.json' 'share/mqttdissect' '\\-\\-list\\-rules' '\\-\\-explain' \
	'sn1.2' 'version_inferred' 'v4?'; do
	grep -q -- "$want" "$MAN" || bad "the man page does not mention $want"
done
for want in 'mqttdissect.schema.json' '--list-rules' '--explain'; do
	grep -q -- "$want" "$SRC/README.md" || bad "README.md does not mention $want"
done
if command -v man >/dev/null; then
	warn=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$MAN" 2>&1 >/dev/null | grep -v 'cannot adjust\|can.t break')
	[ -z "$warn" ] || bad "man warns: $warn"
fi
[ $failures -eq 0 ] || exit 1
echo "PASS: man page: $(wc -w <<<"$longs") long options, ${#shorts} short, $(wc -w <<<"$keys") JSON keys, $(wc -w <<<"$events") events"
