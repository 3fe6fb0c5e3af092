#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script for perpcheck's native Go fuzz
# targets (package github.com/perpcheck/perpcheck/fuzz, see fuzz/README.md).
#
# Every target takes a single []byte, so one libFuzzer input is one call.
# compile_native_go_fuzzer_v2 finds a target by grepping the package's .go
# files for its name: each name appears in exactly one .go file under fuzz/
# (fuzz/meta_test.go checks that, and that this script lists every target).
#
# Seed corpora: OSS-Fuzz does not use F.Add seeds, so the committed Go corpora
# (fuzz/testdata/fuzz/<Target>/: generated seeds and regressions) are
# converted to raw libFuzzer inputs and zipped as $OUT/<Target>_seed_corpus.zip
# by fuzz/internal/gencorpus (the same program ci/fuzz-seeds.sh runs locally).

cd "$SRC/perpcheck"

# The rewritten harnesses import go-118-fuzz-build's testing shim; add it to
# this build's go.mod (the repository's go.mod does not depend on it).
go get github.com/AdamKorcz/go-118-fuzz-build/testing@fc5dc53b9db8

PKG=github.com/perpcheck/perpcheck/fuzz
TARGETS=(
  FuzzEvaluateDifferential
  FuzzQueriesDifferential
  FuzzScenarioJSON
  FuzzDecimalParse
  FuzzCCXT
)
# The rapid.MakeFuzz target (fuzz/rapid_fuzz_test.go) is go test only: its
# file has //go:build !gofuzz (it needs the standard *testing.T).

for t in "${TARGETS[@]}"; do
  compile_native_go_fuzzer_v2 "$PKG" "$t" "$t"
done

# Seed corpora, one zip per target.
go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -zip "$OUT"

# The differential targets skip inputs above fuzz.MaxInput (4096 bytes) plus
# the one-byte argument prefix; do not let libFuzzer waste time on longer ones.
for t in FuzzEvaluateDifferential FuzzQueriesDifferential; do
  printf '[libfuzzer]\nmax_len = 4097\n' > "$OUT/$t.options"
done
