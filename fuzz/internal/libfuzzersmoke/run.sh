#!/usr/bin/env bash
# fuzz/internal/libfuzzersmoke/run.sh: build the ClusterFuzzLite targets the
# way compile_native_go_fuzzer does (go-118-fuzz-build, tag gofuzz, libFuzzer
# instrumentation, a C archive with LLVMFuzzerTestOneInput), link each with
# driver.c (a stand-in for libFuzzer: it stubs the coverage callbacks and
# runs the harness once per input file), and run every seed and regression
# input, encoded in the legacy input format, through it.
#
# It checks what can be checked without Docker and clang: that the harnesses
# compile as OSS-Fuzz rewrites them, that each target runs its corpus
# without a crash, and that the input encoding (fuzz.FormatLegacy) delivers
# the argument. The v2 tool (go-118-fuzz-build_v2) is not on the Go module
# proxy, so FormatV2 is not checked here.
#
# Needs: Go, network access to the module proxy (go-118-fuzz-build and its
# testing shim), a C compiler ($CC, default cc). Works on a temporary copy of
# the repository (git archive HEAD), never on the working tree.
#
# Usage: fuzz/internal/libfuzzersmoke/run.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
TOOL_VERSION=v0.0.0-20250520111509-a70c2aa677fa
CC=${CC:-cc}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

git -C "$ROOT" archive HEAD | tar -x -C "$WORK"
mkdir -p "$WORK/bin" "$WORK/out" "$WORK/inputs"
GOBIN="$WORK/bin" go install "github.com/AdamKorcz/go-118-fuzz-build@$TOOL_VERSION"
cd "$WORK"
go get "github.com/AdamKorcz/go-118-fuzz-build/testing@$TOOL_VERSION" >/dev/null 2>&1

# The targets are the ones build.sh lists.
mapfile -t targets < <(sed -n '/^TARGETS=(/,/^)/p' .clusterfuzzlite/build.sh | grep -oE 'Fuzz[A-Za-z0-9_]+')
go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -raw "$WORK/inputs" -format legacy

status=0
for t in "${targets[@]}"; do
  "$WORK/bin/go-118-fuzz-build" -tags gofuzz -o "$WORK/out/$t.a" -func "$t" "$WORK/fuzz"
  "$CC" -o "$WORK/out/$t" "$HERE/driver.c" "$WORK/out/$t.a" -lpthread
  n=$(ls "$WORK/inputs/$t" | wc -l)
  if "$WORK/out/$t" "$WORK/inputs/$t"/* >"$WORK/out/$t.log" 2>&1; then
    echo "libfuzzersmoke: $t: built, ran $n inputs"
  else
    echo "libfuzzersmoke: $t: FAILED on its inputs:"
    tail -n 20 "$WORK/out/$t.log"
    status=1
  fi
done
exit $status
