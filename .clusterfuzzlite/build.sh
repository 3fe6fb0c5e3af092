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
# converted to libFuzzer inputs and zipped as $OUT/<Target>_seed_corpus.zip
# by fuzz/internal/gencorpus (the same program ci/fuzz-seeds.sh runs locally).
# The input format depends on the build tool (fuzz.FormatV2, FormatLegacy).

cd "$SRC/perpcheck"

# The rewritten harnesses import go-118-fuzz-build's testing shim; add it to
# this build's go.mod (the repository's go.mod does not depend on it).
go get github.com/AdamKorcz/go-118-fuzz-build/testing@v0.0.0-20250520111509-a70c2aa677fa

if command -v compile_native_go_fuzzer_v2 >/dev/null 2>&1; then
  COMPILE=compile_native_go_fuzzer_v2
  FORMAT=v2
else
  # Older base images: compile_native_go_fuzzer greps every file under the
  # package directory, not only .go files, for the target name.
  COMPILE=compile_native_go_fuzzer
  FORMAT=legacy
  rm -f fuzz/README.md fuzz/findings/README.md
fi

PKG=github.com/perpcheck/perpcheck/fuzz
TARGETS=(
  FuzzEvaluateDifferential
  FuzzQueriesDifferential
  FuzzScenarioJSON
  FuzzDecimalParse
  FuzzCCXT
  FuzzLedgerDifferential
  FuzzRunJSON
  FuzzPMJSON
)
# The rapid.MakeFuzz targets (fuzz/rapid_fuzz_test.go) are go test only: their
# file has //go:build !gofuzz (they need the standard *testing.T).

for t in "${TARGETS[@]}"; do
  "$COMPILE" "$PKG" "$t" "$t"
done

# Seed corpora, one zip per target.
go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -zip "$OUT" -format "$FORMAT"

# The differential targets skip inputs above maxInput (fuzz/decode.go, 4096
# bytes) plus the argument's encoding (at most 4 bytes); do not let libFuzzer
# waste time on longer ones.
for t in FuzzEvaluateDifferential FuzzQueriesDifferential FuzzLedgerDifferential; do
  printf '[libfuzzer]\nmax_len = 4100\n' > "$OUT/$t.options"
done
