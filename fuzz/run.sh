#!/usr/bin/env bash
# Bounded fuzz run (CI): builds the libFuzzer harnesses with clang (the
# newest installed, see below) in build-fuzz/ (MQD_FUZZ_BUILD overrides) if
# needed, then runs each for SECONDS (default 30) with the dictionary,
# starting from a temporary copy of fuzz/corpus/<target>/ plus
# fuzz/regressions/<target>/ (the checked-in corpus never grows here). Fails on any crash, leak, timeout, out-of-memory
# or broken invariant and prints the reproducer's path (kept in fuzz/out/).
#
# The regression inputs are first replayed whole, each once (a -max_len
# below would cut them where they join the corpus). A target may fuzz with a
# smaller -max_len than libFuzzer's default (the largest seed): pipeline's
# inputs are capture files, which cost every execution by their size; its
# seeds are fuzz-sized cuts of captures/ (make_pipeline_corpus.py).
#
# Usage: bash fuzz/run.sh [SECONDS [TARGET...]]
#   e.g. bash fuzz/run.sh 30            every harness, 30 s each
#        bash fuzz/run.sh 600 parse     one harness, ten minutes
# Reproduce: build-fuzz/fuzz/fuzz_<target> fuzz/out/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-30}
[ $# -gt 0 ] && shift
build=${MQD_FUZZ_BUILD:-build-fuzz}

# The newest clang with its libFuzzer runtime installed (MQD_FUZZ_CC
# overrides): from LLVM 18 on, libFuzzer keeps its rare features in a bitmap
# instead of searching their list for every feature of every execution
# (llvm-project pull request 65288), a quarter of the pipeline harness's time
# with clang 14. tests/install-deps.sh installs clang-19.
cc=${MQD_FUZZ_CC:-}
if [ -z "$cc" ]; then
  for v in 22 21 20 19 18 ''; do
    c=clang${v:+-$v}
    command -v "$c" >/dev/null 2>&1 || continue
    rt=$("$c" -print-file-name="libclang_rt.fuzzer-$(uname -m).a" 2>/dev/null) || continue
    if [ -f "$rt" ]; then
      cc=$c
      break
    fi
  done
fi
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz/run.sh: clang with its libFuzzer runtime is needed" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for src in fuzz/target_*.c; do
    t=${src#fuzz/target_}
    targets+=("${t%.c}")
  done
fi

cached=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
if [ -z "$cached" ] || [ "$(readlink -f "$cached")" != "$(readlink -f "$(command -v "$cc")")" ]; then
  # A tree configured with another compiler is configured afresh.
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
  CC=$cc cmake -S . -B "$build" -DMQD_FUZZ=ON -DMQD_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
jobs=$(nproc 2>/dev/null || echo 2)
for t in "${targets[@]}"; do
  cmake --build "$build" --target "fuzz_$t" -j"$jobs" >/dev/null
done

# libFuzzer finds leaks itself; the sanitizers must stop at the first error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1

work=$(mktemp -d "${TMPDIR:-/tmp}/mqd-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  corpus="$work/$t"
  mkdir -p "$corpus" "fuzz/out/$t"
  for seeds in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
    if [ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ]; then
      cp "$seeds"/* "$corpus"/
    fi
  done
  log="$work/$t.log"
  limits=()
  case $t in
    pipeline) limits=(-max_len=8192) ;;
  esac
  echo "== fuzz_$t: ${secs}s"
  set +e
  rc=0
  if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls -A "fuzz/regressions/$t")" ]; then
    "$bin" -timeout=10 -rss_limit_mb=2048 "fuzz/regressions/$t"/* >"$log" 2>&1
    rc=$?
  fi
  if [ $rc -eq 0 ]; then
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      "${limits[@]}" -dict=fuzz/mqtt.dict -print_final_stats=1 \
      -artifact_prefix="fuzz/out/$t/" "$corpus" >"$log" 2>&1
    rc=$?
  fi
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  if [ $rc -ne 0 ]; then
    failed=1
    tail -n 60 "$log" >&2
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    [ -n "$repro" ] || repro=$(sed -n 's/^Running: \(.*\)$/\1/p' "$log" | tail -1)
    echo "FAIL fuzz_$t (exit $rc); reproducer: ${repro:-see the log above}" >&2
    echo "  replay: $bin ${repro:-<input>}" >&2
  else
    echo "ok   fuzz_$t: ${execs:-?} executions, ${cov:-cov ?}"
  fi
done
exit $failed
