#!/bin/sh
# engines/matrix.sh [tag ...]: the one command that regenerates docs/conformance.md's matrix.
# Installs each third-party engine from its hashed lockfile, runs every adapter under the suite with
# a small fixed budget and seed (verify -checks $CHECKS -seed $SEED, vectors check), runs the driftpy
# sweep, and rewrites the part of docs/conformance.md between the matrix markers (engines/matrix.py).
# Same seed and budget -> same file: CI can run it and `git diff --exit-code docs/conformance.md`.
# Wall and install time per engine on stderr. Tags: freqtrade-binance freqtrade-bybit jesse drift.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-/tmp/perpcheck-matrix}
CHECKS=${CHECKS:-10}
SEED=${SEED:-1}
rm -rf "$out" && mkdir -p "$out"
go build -o "$out/perpcheck" ./cmd/perpcheck || exit 2
tags=${*:-freqtrade-binance freqtrade-bybit jesse drift}
status=0
for tag in $tags; do
  case $tag in
    freqtrade-binance) dir=freqtrade; cmd="engines/freqtrade/run.sh binance" ;;
    freqtrade-bybit) dir=freqtrade; cmd="engines/freqtrade/run.sh bybit" ;;
    jesse) dir=jesse; cmd="engines/jesse/run.sh" ;;
    drift) dir=drift; cmd="engines/drift/run.sh" ;;
    *) echo "matrix.sh: unknown tag $tag" >&2; exit 2 ;;
  esac
  t0=$(date +%s)
  sh "engines/$dir/install.sh" || { echo "$tag: install failed" >&2; status=1; continue; }
  t1=$(date +%s)
  mkdir -p "$out/$tag.stats"
  # verify exits 1 when a property fails: that is a result, not an error of this script
  "$out/perpcheck" verify -engine "$cmd" -checks "$CHECKS" -seed "$SEED" \
    -mutants=false -timeout 120s -json "$out/$tag.verify.json" > "$out/$tag.verify.txt" 2>&1
  [ -s "$out/$tag.verify.json" ] || { echo "$tag: verify wrote no result (see $out/$tag.verify.txt)" >&2; status=1; continue; }
  t2=$(date +%s)
  # position counts from the vectors (a fixed set): verify's shrinking has a time limit, so the
  # number of cases it evaluates, unlike its verdicts, depends on the machine's load
  PCADAPTER_STATS="$out/$tag.stats" "$out/perpcheck" vectors check -engine "$cmd" -timeout 120s -v vectors/v1 > "$out/$tag.vectors.txt" 2>&1
  if [ "$tag" = drift ]; then
    engines/drift/.venv/bin/python engines/drift/sweep.py 200 "$SEED" > "$out/drift.sweep.txt" 2>&1 || status=1
  fi
  t3=$(date +%s)
  echo "$tag: install $((t1 - t0)) s, verify $((t2 - t1)) s, vectors$([ "$tag" = drift ] && echo ' + sweep') $((t3 - t2)) s" >&2
done
python3 engines/matrix.py "$out" docs/conformance.md || exit 2
exit $status
