#!/usr/bin/env bash
# Fuzzing on a fresh Debian machine: installs clang and libFuzzer's runtime
# when missing (as root, through ./dev), builds the libFuzzer targets of
# tests/fuzz in build-fuzz (clang, ASan + UBSan), runs each for a while on a
# copy of its seed corpus and prints one line per fuzzer: executions,
# exec/s, coverage, crash or not. Exits non-zero when a fuzzer failed; the
# input is kept under build-fuzz/fuzz-runs/<fuzzer>/artifacts/. Each
# fuzzer also leaves a GoogleTest-style report in build-fuzz/test-reports/.
#
#   tests/fuzz/run.sh [REQUEST_SECONDS [PATH_SECONDS [HEADER_SECONDS [TLS_SECONDS]]]]
#   (default 60, 20, 20, 30)
#
# Replay one input: build-fuzz/tests/fuzz/request_fuzzer FILE
set -euo pipefail
cd "$(dirname "$0")/../.."

./dev packages clang libclang-rt-dev meson ninja-build pkg-config node-llhttp python3 libssl-dev

export FUZZ_SECONDS_REQUEST_FUZZER=${1:-${FUZZ_SECONDS_REQUEST_FUZZER:-60}}
export FUZZ_SECONDS_PATH_FUZZER=${2:-${FUZZ_SECONDS_PATH_FUZZER:-20}}
export FUZZ_SECONDS_HEADER_FUZZER=${3:-${FUZZ_SECONDS_HEADER_FUZZER:-20}}
export FUZZ_SECONDS_TLS_FUZZER=${4:-${FUZZ_SECONDS_TLS_FUZZER:-30}}

dir=build-fuzz
# A run that breaks before testing must not leave the last run's results
# for .ci/count_tests.py to count.
rm -f "$dir/meson-logs/testlog.json"
# Quiet unless it fails.
quietly() {
  local output
  if ! output=$("$@" 2>&1); then
    echo "$output" >&2
    return 1
  fi
}

# A static libbasehttp: each fuzzer holds the instrumented library itself.
options=(-Dfuzzers=enabled -Dtls=enabled -Dtests=disabled -Dbenchmarks=disabled -Dexamples=disabled
         -Db_sanitize=address,undefined -Db_lundef=false -Ddefault_library=static)
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ quietly meson setup "$dir" "${options[@]}"
else
  quietly meson configure "$dir" "${options[@]}"
fi
quietly ninja -C "$dir"

rm -rf "$dir/test-reports" && mkdir -p "$dir/test-reports"
export GTEST_OUTPUT="json:$PWD/$dir/test-reports/"
rm -f "$dir"/fuzz-runs/*/summary.txt
status=0
quietly meson test -C "$dir" --suite fuzz --print-errorlogs || status=1
for name in request_fuzzer path_fuzzer header_fuzzer tls_fuzzer; do
  cat "$dir/fuzz-runs/$name/summary.txt" 2>/dev/null || { echo "$name: did not run"; status=1; }
done
exit $status
