#!/usr/bin/env bash
# ci/fuzz-seeds.sh: build the OSS-Fuzz / ClusterFuzzLite seed corpora here.
#
# Usage: [FORMAT=v2|legacy] ci/fuzz-seeds.sh [OUTDIR]   (default ci/out/fuzz-seeds)
#
# Writes OUTDIR/<Target>_seed_corpus.zip for every fuzz target, from the
# committed Go corpora fuzz/testdata/fuzz/<Target>/ (generated seeds and
# regressions), each input converted to the libFuzzer input of a
# single-[]byte target: FORMAT=v2 (default, compile_native_go_fuzzer_v2) puts
# one weight byte before the raw bytes; FORMAT=legacy (compile_native_go_fuzzer)
# a big-endian uint32 length (see fuzz/corpus.go). It is the program
# .clusterfuzzlite/build.sh runs; it needs only Go (archive/zip), not the zip
# tool.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUTDIR=${1:-ci/out/fuzz-seeds}
go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -zip "$OUTDIR" -format "${FORMAT:-v2}"
