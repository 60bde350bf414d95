#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds an optimised tree
# (build/) and an ASan+UBSan tree (build-asan/), runs every test in both, the
# threads test under ThreadSanitizer (build-tsan/), then
# runs each fuzz harness for a bounded time (MQD_FUZZ_SECONDS each, default 30;
# 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh test

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMQD_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== tests: optimised build"
ctest --test-dir build --output-on-failure -j"$jobs"
echo "== tests: ASan+UBSan build"
ctest --test-dir build-asan --output-on-failure -j"$jobs"

# The threads (out_parallel.c, flow_events.c) under ThreadSanitizer: a race
# halts that run, and the comparison with one thread fails.
echo "== threads: ThreadSanitizer build"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS=-fsanitize=thread >/dev/null
cmake --build build-tsan -j"$jobs" --target mqttdissect gen_capture
TSAN_OPTIONS=halt_on_error=1 bash tests/threads.test.sh build-tsan

if [ -f fuzz/run.sh ] && [ "${MQD_FUZZ_SECONDS:-30}" != 0 ]; then
  echo "== fuzz: bounded run"
  bash fuzz/run.sh "${MQD_FUZZ_SECONDS:-30}"
fi
echo "== all tests passed"
