#!/bin/sh
# engines/check.sh [name ...]: install each third-party engine from its lockfile and run the short
# conformance check (verify -checks 100, fixed seed; vectors check) against each of its adapters.
# Output: /tmp/perpcheck-engines/<adapter>.verify.txt, .vectors.txt; wall time per engine on stderr.
# Not part of .ci/run (yet).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-/tmp/perpcheck-engines}
mkdir -p "$out"
go build -o "$out/perpcheck" ./cmd/perpcheck || exit 2
names=${*:-freqtrade jesse}
status=0
for n in $names; do
  start=$(date +%s)
  sh "engines/$n/install.sh" || { echo "$n: install failed" >&2; status=1; continue; }
  case $n in
    freqtrade) cmds="engines/freqtrade/run.sh_binance engines/freqtrade/run.sh_bybit" ;;
    *) cmds="engines/$n/run.sh" ;;
  esac
  for c in $cmds; do
    cmd=$(echo "$c" | tr _ ' ')
    tag=$(echo "$c" | sed 's|engines/||; s|/run.sh||; s|_|-|')
    # engines import slowly on a loaded machine: a generous per-request timeout, the init included
    "$out/perpcheck" verify -engine "$cmd" -checks 100 -seed 1 -mutants=false -timeout 120s -out "$out/$tag" > "$out/$tag.verify.txt" 2>&1
    "$out/perpcheck" vectors check -engine "$cmd" -timeout 120s vectors/v1 > "$out/$tag.vectors.txt" 2>&1
    echo "$tag: $(grep '^properties:' "$out/$tag.verify.txt")" 
    echo "$tag: vectors: $(tail -n 1 "$out/$tag.vectors.txt")"
  done
  echo "$n: wall time $(( $(date +%s) - start )) s" >&2
done
exit $status
