#!/usr/bin/env bash
# The library as a user gets it: `cmake --install` into a scratch prefix,
# then a program built against it through pkg-config, linked shared and
# static, and through CMake (find_package(mqttdissect), the imported targets
# mqttdissect::mqttdissect and mqttdissect::mqttdissect_static), decodes a
# frame, finds rules by id and by name, and reports the version the
# headers, the library, pkg-config and the CMake package all agree on; the
# section 3 page describes every public function.
# The example program of dissect/examples/ decodes its session.
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
    const mqd_rule_info *by_id = mqd_rule_find("MQTT-3.3.1-4");
    const mqd_rule_info *by_name = mqd_rule_find("PUBLISH_QOS_3");
    if (!by_id || by_id != by_name || strcmp(by_id->name, "PUBLISH_QOS_3") != 0 ||
        by_id - mqd_rule_get(0) != MQD_R_PUBLISH_QOS_3 || mqd_rule_find("nope") ||
        mqd_rule_find(NULL))
        return 2;
    if (strcmp(mqd_version(), MQD_VERSION_STRING) != 0 || MQD_VERSION_NUMBER <= 0)
        return 3;
    printf("%s id=%u\n", mqd_type_name(f.type), (unsigned)f.packet_id.value);
    printf("version %s\n", mqd_version());
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
LD_LIBRARY_PATH=$libdir "$work/use-shared" >"$work/out-shared" || fail "shared: exit $?"
grep -qx "PUBLISH id=7" "$work/out-shared" || fail "shared: wrong result"
version=$(pkg-config --modversion mqttdissect)
grep -qx "version $version" "$work/out-shared" || fail "mqd_version() is not pkg-config's $version"
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

# Through CMake: a project that only knows the prefix.
mkdir -p "$work/cmake-use"
cp "$work/use.c" "$work/cmake-use/use.c"
cat >"$work/cmake-use/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(use_mqttdissect LANGUAGES C)
find_package(mqttdissect $version EXACT REQUIRED)
add_executable(use_shared use.c)
target_link_libraries(use_shared PRIVATE mqttdissect::mqttdissect)
add_executable(use_static use.c)
target_link_libraries(use_static PRIVATE mqttdissect::mqttdissect_static)
CM
san=()
if grep -q '^MQD_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  san=(-DCMAKE_C_FLAGS=-fsanitize=address,undefined -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined)
fi
cmake -S "$work/cmake-use" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_C_COMPILER="${CC:-cc}" "${san[@]}" >"$work/cmake.log" 2>&1 \
  || fail "find_package(mqttdissect): $(tail -5 "$work/cmake.log")"
cmake --build "$work/cmake-build" >>"$work/cmake.log" 2>&1 \
  || fail "building with CMake: $(tail -5 "$work/cmake.log")"
for t in use_shared use_static; do
  "$work/cmake-build/$t" >"$work/out-$t" || fail "CMake $t: exit $?"
  grep -qx "PUBLISH id=7" "$work/out-$t" || fail "CMake $t: wrong result"
  grep -qx "version $version" "$work/out-$t" || fail "CMake $t: wrong version"
done
# A version the package is not compatible with is refused.
sed -i "s/find_package(mqttdissect [^)]*)/find_package(mqttdissect 99.0 REQUIRED)/" \
  "$work/cmake-use/CMakeLists.txt"
grep -q "99.0" "$work/cmake-use/CMakeLists.txt" || fail "test setup: sed"
if cmake -S "$work/cmake-use" -B "$work/cmake-build99" -DCMAKE_PREFIX_PATH="$work/prefix" \
  >/dev/null 2>&1; then
  fail "find_package(mqttdissect 99.0) accepted version $version"
fi

# The section 3 page: installed, names every function the installed headers
# declare, and formats without warnings.
page=$(find "$work/prefix" -path '*/man3/mqttdissect.3' | head -1)
[ -n "$page" ] || fail "no man3/mqttdissect.3 installed"
for fn in $(grep -ho '\bmqd_[a-z0-9_]*(' "$work/prefix"/include/mqttdissect/*.h | tr -d '(' | sort -u); do
  grep -q "$fn\b" "$page" || fail "mqttdissect(3) does not describe $fn"
done
if command -v groff >/dev/null; then
  warn=$(groff -man -ww -z "$page" 2>&1)
  [ -z "$warn" ] || fail "mqttdissect(3): $warn"
fi
echo "install: ok"
