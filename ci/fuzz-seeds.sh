#!/usr/bin/env bash
# ci/fuzz-seeds.sh: build the OSS-Fuzz / ClusterFuzzLite seed corpora here.
#
# Usage: ci/fuzz-seeds.sh [OUTDIR]        (default ci/out/fuzz-seeds)
#
# Writes OUTDIR/<Target>_seed_corpus.zip for every fuzz target, from the
# committed Go corpora fuzz/testdata/fuzz/<Target>/ (generated seeds and
# regressions), each input converted to the raw libFuzzer format of a
# single-[]byte target built by compile_native_go_fuzzer_v2: one prefix byte
# (go-118-fuzz-build reads a weight byte per variable-length argument), then
# the raw bytes. It is the program .clusterfuzzlite/build.sh runs; it needs
# only Go (archive/zip), not the zip tool.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUTDIR=${1:-ci/out/fuzz-seeds}
go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -zip "$OUTDIR"
