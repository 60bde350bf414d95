#!/usr/bin/env bash
# The include rules of cli/ (README, "Layout"): data flows one way, and a
# file's folder says its layer.
#   util/       nothing else of cli/
#   net/        util/
#   transport/  util/, net/, record.h
#   decode/     util/, record.h                      payload decoders that
#                                                    analysis and output share
#   analysis/   util/, net/, transport/, decode/, record.h    never output/
#   output/     util/, decode/, record.h                      never analysis/
#   record.h    nothing of cli/
#   options.h   only main.c, options*.c, pipeline*.c
#   the top (pipeline.h, flow_events.h, options.h) is never included from
#   a layer folder
# Each rule is checked by listing the offending #include lines; any line
# fails the test. A file left at the top of cli/ that is not wiring fails
# too.
set -uo pipefail
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src/cli" || exit 1
fail=0
# allowed LAYER: the folders (and top-level headers) a layer may include
allowed() {
	case $1 in
	util) echo "util" ;;
	net) echo "util net" ;;
	transport) echo "util net transport record.h" ;;
	decode) echo "util decode record.h" ;;
	analysis) echo "util net transport decode analysis record.h" ;;
	output) echo "util decode output record.h" ;;
	esac
}
for layer in util net transport decode analysis output; do
	[ -d "$layer" ] || { echo "FAIL: cli/$layer/ is missing"; fail=1; continue; }
	ok=" $(allowed "$layer") "
	while IFS= read -r line; do
		file=${line%%:*}
		inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
		case $inc in mqttdissect/*) continue ;; esac
		top=${inc%%/*}
		[ "$top" = "$inc" ] && top=$inc # a top-level header: its own name
		if [[ "$ok" != *" $top "* ]]; then
			echo "FAIL: cli/$file includes \"$inc\" ($layer/ may include: ${ok# })"
			fail=1
		fi
	done < <(grep -rn '^#include "' "$layer" --include='*.c' --include='*.h')
done
while IFS= read -r line; do
	echo "FAIL: cli/record.h includes cli code: $line"; fail=1
done < <(grep -n '^#include "' record.h | grep -v '"mqttdissect/')
while IFS= read -r line; do
	case ${line%%:*} in main.c|options*.c|pipeline*.c) ;; *)
		echo "FAIL: only main.c, options*.c and pipeline*.c include options.h: cli/$line"; fail=1 ;;
	esac
done < <(grep -rn '^#include "options.h"' . --include='*.c' --include='*.h' | sed 's@^\./@@')
for f in *.c *.h; do
	case $f in main.c|options*.[ch]|pipeline*.[ch]|flow_events.[ch]|record.h) ;; *)
		echo "FAIL: cli/$f sits at the top of cli/, which holds only the wiring and record.h"; fail=1 ;;
	esac
done
# A layer's folder must not hide a second copy of the record types.
if grep -rn '^struct msg_meta {' --include='*.h' . | grep -v '^\./record\.h:' ; then
	echo "FAIL: struct msg_meta is defined outside record.h"; fail=1
fi
[ $fail = 0 ] && echo "layers: every include of cli/ follows the rules"
exit $fail
