#!/usr/bin/env bash
# The library as a user gets it: `cmake --install` into a scratch prefix,
# then a program built against it through pkg-config, linked shared and
# static, decodes a frame; and the example program decodes its session.
set -u
build=${1:?usage: install.test.sh BUILD_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1 \
  || fail "cmake --install: $(tail -3 "$work/install.log")"
pc_dir=$(dirname "$(find "$work/prefix" -name mqttdissect.pc | head -1)")
[ -n "$pc_dir" ] || fail "no mqttdissect.pc installed"
export PKG_CONFIG_PATH=$pc_dir
cat >"$work/use.c" <<'C'
#include <mqttdissect/mqd.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    /* PUBLISH QoS 1, topic "a/b", packet id 7, payload "hi" (MQTT 3.1.1) */
    const unsigned char buf[] = {0x32, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x07, 'h', 'i'};
    mqd_frame f;
    mqd_result r = mqd_parse(buf, sizeof buf, MQD_V311, &f);
    if (r.status != MQD_OK || r.size != sizeof buf || f.type != MQD_PUBLISH ||
        f.packet_id.value != 7 || f.topic.len != 3 || memcmp(f.topic.data, "a/b", 3) != 0 ||
        f.nviolations != 0)
        return 1;
    printf("%s id=%u\n", mqd_type_name(f.type), (unsigned)f.packet_id.value);
    return 0;
}
C
cc=${CC:-cc}
# A sanitized build's library needs the sanitizer runtimes in the program.
if grep -q '^MQD_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  cc="$cc -fsanitize=address,undefined"
fi
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Werror "$work/use.c" -o "$work/use-shared" $(pkg-config --cflags --libs mqttdissect) \
  || fail "building against the shared library"
libdir=$(pkg-config --variable=libdir mqttdissect)
LD_LIBRARY_PATH=$libdir "$work/use-shared" | grep -qx "PUBLISH id=7" || fail "shared: wrong result"
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Werror "$work/use.c" -o "$work/use-static" $(pkg-config --cflags mqttdissect) \
  "$libdir/libmqttdissect.a" || fail "building against the static library"
"$work/use-static" | grep -qx "PUBLISH id=7" || fail "static: wrong result"
# The example program of dissect/examples/ decodes the session beside it.
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
example=$build/dissect/mqd_example_decode
[ -x "$example" ] || fail "no $example"
"$example" "$src/dissect/examples/session.bin" >"$work/example.out" \
  || fail "mqd_example_decode exits $?"
tail -1 "$work/example.out" | grep -qx "8 frames, 89 bytes" \
  || fail "mqd_example_decode: $(tail -1 "$work/example.out")"
echo "install: ok"
