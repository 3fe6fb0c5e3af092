#!/usr/bin/env bash
# ci/fuzz.sh: run every native Go fuzz target of ./fuzz/ for a short time.
#
# Usage (from anywhere inside the repository):
#
#   ci/fuzz.sh [REGEXP]      # only the targets whose name matches REGEXP
#
# The targets are listed with `go test -list '^Fuzz' ./fuzz/` and run one at a
# time (go test -fuzz accepts exactly one target and one package):
#
#   go test -run='^$' -fuzz="^Name\$" -fuzztime=$FUZZTIME -fuzzminimizetime=$MINIMIZE ./fuzz/
#
# A low -fuzzminimizetime matters: with the default 60s, the fuzzer spends a
# short run minimizing new-coverage inputs and hardly fuzzes.
#
# Environment (defaults in brackets):
#   FUZZTIME   -fuzztime per target, a duration or Nx [10s]
#   MINIMIZE   -fuzzminimizetime [5s]
#   PARALLEL   -parallel (fuzzing workers) [GOMAXPROCS]
#   OUT        directory for one log per target [ci/out/fuzz]
#
# A finding (a panic, a disagreement between model and reference, a broken
# invariant) fails the target: go test writes the minimized input to
# fuzz/testdata/fuzz/<Name>/<hash>. That file must be committed as a
# regression test (plain `go test ./fuzz/` replays it) together with the fix;
# until the fix lands, keep it under fuzz/findings/ (see fuzz/README.md).
#
# At the end a table gives, per target, the status, the executions, the
# elapsed time, the average executions per second (execs / elapsed), the
# highest and the last rate go test reported for its 3-second intervals
# (short runs spend much of their time minimizing new inputs, during which
# the rate drops to 0; the peak is the target's speed when it fuzzes).
#
# Exit status: 0 when every target passed, 1 when any target failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
FUZZTIME=${FUZZTIME:-10s}
MINIMIZE=${MINIMIZE:-5s}
OUT=${OUT:-ci/out/fuzz}
PKG=./fuzz/
FILTER=${1:-.}
mkdir -p "$OUT"

parallel=()
if [[ -n "${PARALLEL:-}" ]]; then
  parallel=(-parallel "$PARALLEL")
fi

# seconds converts a Go duration as go test prints it (3s, 1m0s, 1h2m3s) to seconds.
seconds() {
  awk -v d="$1" 'BEGIN {
    s = 0
    while (match(d, /^[0-9.]+(h|ms|m|s)/)) {
      tok = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
      n = tok + 0; u = tok; sub(/^[0-9.]+/, "", u)
      if (u == "h") s += n * 3600; else if (u == "m") s += n * 60; else if (u == "ms") s += n / 1000; else s += n
    }
    print s
  }'
}

if ! targets=$(go test -list '^Fuzz' "$PKG" | grep '^Fuzz'); then
  echo "fuzz.sh: no fuzz targets in $PKG (or the package does not build)" >&2
  exit 1
fi

failed=0
rows=()
for t in $targets; do
  [[ $t =~ $FILTER ]] || continue
  dir="fuzz/testdata/fuzz/$t"
  before=$(ls "$dir" 2>/dev/null | sort)
  log="$OUT/$t.log"
  echo "=== $t (fuzztime $FUZZTIME, minimize $MINIMIZE)"
  for attempt in 1 2; do
    go test -run='^$' -fuzz="^$t\$" -fuzztime="$FUZZTIME" -fuzzminimizetime="$MINIMIZE" \
      "${parallel[@]}" "$PKG" >"$log" 2>&1
    rc=$?
    # Retry once, and only for the time-based fuzzing race of the Go
    # toolchain: the run fails with "context deadline exceeded" at the end
    # of -fuzztime and writes no input. Any other failure, or a new input in
    # the corpus, is a finding and is never retried.
    if [[ $rc -ne 0 && $attempt -eq 1 && "$(ls "$dir" 2>/dev/null | sort)" == "$before" ]] &&
      grep -q 'context deadline exceeded' "$log" && ! grep -q -- '--- FAIL: .*/' "$log"; then
      echo "fuzz.sh: $t: 'context deadline exceeded' with no failing input (the toolchain's fuzztime race); retrying once"
      continue
    fi
    break
  done
  last=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+ \([0-9]+/sec\)' "$log" | tail -n 1)
  execs=- elapsed=- avg=- rate=- peak=-
  if [[ -n "$last" ]]; then
    el=$(sed -E 's/^fuzz: elapsed: ([^,]+),.*/\1/' <<<"$last")
    execs=$(sed -E 's/.*execs: ([0-9]+) .*/\1/' <<<"$last")
    rate=$(sed -E 's/.*\(([0-9]+)\/sec\).*/\1/' <<<"$last")
    elapsed=$(seconds "$el")
    avg=$(awk -v e="$execs" -v s="$elapsed" 'BEGIN { if (s > 0) printf "%d", e / s; else print "-" }')
    peak=$(grep -oE '\([0-9]+/sec\)' "$log" | tr -dc '0-9\n' | sort -n | tail -n 1)
  fi
  if [[ $rc -eq 0 ]]; then
    status=ok
    tail -n 3 "$log"
  else
    status=FAIL
    failed=1
    sed -n '/--- FAIL/,$p' "$log" | head -n 40
    after=$(ls "$dir" 2>/dev/null | sort)
    new=$(comm -13 <(echo "$before") <(echo "$after"))
    echo
    if [[ -n "$new" ]]; then
      for f in $new; do
        echo "fuzz.sh: $t found a failing input: $dir/$f"
        echo "fuzz.sh:   reproduce: go test -run='^$t/$f\$' $PKG"
      done
      echo "fuzz.sh: commit it as a regression test with the fix (it fails \`go test ./fuzz/\` until then);"
      echo "fuzz.sh: if the fix is someone else's, move it to fuzz/findings/$t/ with a note (fuzz/README.md)."
    else
      echo "fuzz.sh: $t failed without writing an input (build error or seed corpus failure); see $log"
    fi
  fi
  rows+=("$t|$status|$execs|$elapsed|$avg|$peak|$rate")
done

echo
printf '%-28s %-6s %12s %9s %12s %13s %13s\n' target status execs elapsed_s avg_execs/s peak_execs/s last_execs/s
for r in "${rows[@]}"; do
  IFS='|' read -r t s e el a p l <<<"$r"
  printf '%-28s %-6s %12s %9s %12s %13s %13s\n' "$t" "$s" "$e" "$el" "$a" "$p" "$l"
done
exit $failed
