#!/usr/bin/env bash
# ci/bench.sh: benchmark regression gate driver (see ci/benchgate).
#
# Usage (from anywhere inside the repository):
#
#   ci/bench.sh [all|compare|budget]
#
#   all      (default) compare the working tree against the merge base, then
#            check ci/budgets.txt against the working tree's results
#   compare  only the comparison against the merge base
#   budget   only the budgets: run the working tree's benchmarks COUNT times
#            (-count COUNT, not interleaved) and run `benchgate budget`
#
# What "compare" does:
#   1. base = `git merge-base HEAD $BASE`, checked out into a temporary
#      `git worktree` (removed again on exit, also on failure or Ctrl-C);
#   2. builds one test binary per package of $BENCH_PKG with `go test -c`,
#      for the base and for the working tree (uncommitted changes included);
#   3. runs them interleaved, COUNT rounds of one run each
#      (round 1: old new, round 2: new old, ...; alternating which side goes
#      first cancels drift such as thermal throttling), each as
#        <pkg>.test -test.run '^$' -test.bench "$BENCH" -test.benchmem \
#                   -test.count 1 -test.benchtime "$BENCHTIME"
#      from the package's own directory, appending to $OUT/old.txt and
#      $OUT/new.txt;
#   4. runs `benchgate compare $GATE_FLAGS old.txt new.txt`.
#   If there is no merge base (BASE missing, shallow clone, unrelated
#   history) or the base has none of the packages, it says so; "all" then
#   only checks the budgets, "compare" exits 2.
#
# Environment (defaults in brackets):
#   BASE          ref to compare against [origin/main]
#   BENCH_PKG     package patterns, blank-separated, relative to the repo root [./bench/]
#   BENCH         -test.bench regexp [.]
#   COUNT         rounds (compare) or -count (budget) [10]; below 5 the gate
#                 refuses to judge at its default alpha 0.01 (exit 2)
#   BENCHTIME     -test.benchtime, a duration or Nx for a fixed iteration count [500ms]
#   OUT           output directory for old.txt, new.txt, reports [ci/out]
#   BUDGETS       budget file [ci/budgets.txt]
#   GATE_FLAGS    extra flags for `benchgate compare`, e.g. "-threshold sec/op=3% -missing warn"
#   BUDGET_FLAGS  extra flags for `benchgate budget`, e.g. "-conservative"
#   BENCHGATE     a prebuilt benchgate binary [built from this ci/ module]
#   REPO          repository to benchmark [the one containing this script]
#
# Exit status: 0 pass; 1 regression, budget breach or a benchmark binary of
# the working tree failed; 2 not judged (too few samples, malformed output,
# a budget rule matching nothing, no baseline in "compare" mode, the base's
# benchmarks failed). Both non-zero codes should fail CI.
#
# In your own CI (GitHub Actions shown; any runner with git, bash and Go works):
#
#   - uses: actions/checkout@v4
#     with: { fetch-depth: 0 }          # the merge base must be reachable
#   - uses: actions/setup-go@v5
#     with: { go-version: '1.26' }
#   - run: ci/bench.sh                   # pull requests: compare + budgets
#     env: { BASE: 'origin/${{ github.base_ref }}' }
#   - run: ci/bench.sh budget            # pushes to main: budgets only
#   - uses: actions/upload-artifact@v4   # keep old.txt/new.txt for benchstat
#     if: always()
#     with: { name: bench, path: ci/out }
#
# Run it on a quiet machine; both sides share it, so machine speed cancels
# out, but noise does not. Never re-run until green: that is multiple
# testing. If $GITHUB_STEP_SUMMARY is set, the reports are appended to it.

set -euo pipefail

MODE=${1:-all}
case "$MODE" in
all | compare | budget) ;;
-h | --help | help)
	sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "ci/bench.sh: unknown mode '$MODE' (want all, compare or budget)" >&2
	exit 2
	;;
esac

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(git -C "$SCRIPT_DIR" rev-parse --show-toplevel)}
REPO=$(cd "$REPO" && pwd)
BASE=${BASE:-origin/main}
BENCH_PKG=${BENCH_PKG:-./bench/}
BENCH=${BENCH:-.}
COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-500ms}
OUT=${OUT:-$SCRIPT_DIR/out}
BUDGETS=${BUDGETS:-$SCRIPT_DIR/budgets.txt}
GATE_FLAGS=${GATE_FLAGS:-}
BUDGET_FLAGS=${BUDGET_FLAGS:-}
BENCHGATE=${BENCHGATE:-}

if ! [[ "$COUNT" =~ ^[1-9][0-9]*$ ]]; then
	echo "ci/bench.sh: COUNT must be a positive integer, got '$COUNT'" >&2
	exit 2
fi
read -r -a PKGS <<<"$BENCH_PKG"
if [ "${#PKGS[@]}" -eq 0 ]; then
	echo "ci/bench.sh: BENCH_PKG is empty" >&2
	exit 2
fi

say() { echo "ci/bench.sh: $*" >&2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
WORKTREE=""
cleanup() {
	if [ -n "$WORKTREE" ]; then
		git -C "$REPO" worktree remove --force "$WORKTREE" >/dev/null 2>&1 || true
		git -C "$REPO" worktree prune >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ -z "$BENCHGATE" ]; then
	say "building benchgate from $SCRIPT_DIR"
	(cd "$SCRIPT_DIR" && go build -o "$TMP/benchgate" ./benchgate)
	BENCHGATE="$TMP/benchgate"
fi

# build_side TREE SIDE: build one test binary per package matched by
# $BENCH_PKG in TREE into $TMP/SIDE and write "importpath<TAB>dir<TAB>binary"
# lines to $TMP/SIDE.list. Patterns that match nothing in TREE are reported
# and skipped; a package that does not compile is an error.
build_side() {
	local tree=$1 side=$2 pat ip dir bin
	mkdir -p "$TMP/$side"
	: >"$TMP/$side.list"
	for pat in "${PKGS[@]}"; do
		if ! (cd "$tree" && go list -f '{{.ImportPath}}	{{.Dir}}' "$pat") </dev/null >"$TMP/$side.pkgs" 2>"$TMP/$side.err"; then
			if grep -qE 'directory not found|no Go files|cannot find|matched no packages|is not in (std|GOROOT)|outside main module' "$TMP/$side.err"; then
				if [ "$side" = old ]; then
					say "$pat does not exist at the merge base ($(head -n1 "$TMP/$side.err"))"
				else
					say "$pat does not exist in the working tree ($(head -n1 "$TMP/$side.err"))"
				fi
				continue
			fi
			cat "$TMP/$side.err" >&2
			say "go list $pat failed in the $side tree"
			return 1
		fi
		if [ ! -s "$TMP/$side.pkgs" ]; then
			say "$pat matches no package in the $side tree"
			continue
		fi
		while IFS=$'\t' read -r ip dir; do
			bin="$TMP/$side/$(printf '%s' "$ip" | tr '/.' '__').test"
			if ! (cd "$tree" && go test -c -o "$bin" "$ip") </dev/null; then
				say "go test -c $ip failed in the $side tree"
				return 1
			fi
			if [ -f "$bin" ]; then
				printf '%s\t%s\t%s\n' "$ip" "$dir" "$bin" >>"$TMP/$side.list"
			else
				say "$ip has no test files; skipped"
			fi
		done <"$TMP/$side.pkgs"
	done
}

# run_bin SIDE DIR BIN COUNT: run one benchmark binary from its package
# directory, appending its output to $OUT/SIDE.txt.
run_bin() {
	local side=$1 dir=$2 bin=$3 count=$4
	if ! (cd "$dir" && "$bin" -test.run '^$' -test.bench "$BENCH" -test.benchmem \
		-test.count "$count" -test.benchtime "$BENCHTIME") </dev/null >"$TMP/run.txt"; then
		cat "$TMP/run.txt" >&2
		say "the $side benchmark binary for $dir failed (output above)"
		if [ "$side" = old ]; then exit 2; else exit 1; fi
	fi
	cat "$TMP/run.txt" >>"$OUT/$side.txt"
}

# summary TITLE FILE: append a report to the GitHub step summary, if any.
summary() {
	if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
		{
			echo "### $1"
			echo '```'
			cat "$2"
			echo '```'
		} >>"$GITHUB_STEP_SUMMARY"
	fi
}

# check_budgets FILE: run benchgate budget on FILE; returns its exit status.
check_budgets() {
	local rc=0
	say "checking budgets $BUDGETS against $1"
	# shellcheck disable=SC2086 # BUDGET_FLAGS is a list of flags
	"$BENCHGATE" budget $BUDGET_FLAGS -budgets "$BUDGETS" "$1" | tee "$OUT/budget-report.txt" || rc=$?
	summary "benchmark budgets" "$OUT/budget-report.txt"
	return "$rc"
}

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "mode: $MODE"
	echo "head: $(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo none)"
	echo "dirty: $([ -n "$(git -C "$REPO" status --porcelain 2>/dev/null)" ] && echo yes || echo no)"
	echo "go: $(go version)"
	echo "cpus: $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')"
	echo "BENCH_PKG=$BENCH_PKG BENCH=$BENCH COUNT=$COUNT BENCHTIME=$BENCHTIME"
} >"$OUT/info.txt"

if [ "$MODE" = budget ]; then
	rm -f "$OUT/new.txt"
	say "building the working tree's benchmarks: $BENCH_PKG"
	build_side "$REPO" new
	if [ ! -s "$TMP/new.list" ]; then
		say "no benchmark package found for BENCH_PKG='$BENCH_PKG'"
		exit 2
	fi
	while IFS=$'\t' read -r ip dir bin; do
		say "running $ip (-count $COUNT)"
		run_bin new "$dir" "$bin" "$COUNT"
	done <"$TMP/new.list"
	rc=0
	check_budgets "$OUT/new.txt" || rc=$?
	exit "$rc"
fi

# compare or all.
rm -f "$OUT/old.txt" "$OUT/new.txt" "$OUT/compare-report.txt" "$OUT/budget-report.txt"
MB=""
if ! MB=$(git -C "$REPO" merge-base HEAD "$BASE" 2>"$TMP/mb.err"); then
	MB=""
	say "no merge base between HEAD and '$BASE': $(head -n1 "$TMP/mb.err" || true)"
	say "(in CI, fetch full history, e.g. actions/checkout with fetch-depth: 0, and set BASE)"
fi
echo "base: ${MB:-none} ($BASE)" >>"$OUT/info.txt"

say "building the working tree's benchmarks: $BENCH_PKG"
build_side "$REPO" new
if [ ! -s "$TMP/new.list" ]; then
	say "no benchmark package found for BENCH_PKG='$BENCH_PKG'"
	exit 2
fi

if [ -n "$MB" ]; then
	if [ "$MB" = "$(git -C "$REPO" rev-parse HEAD)" ] && [ -z "$(git -C "$REPO" status --porcelain)" ]; then
		say "HEAD is the merge base and the tree is clean: this compares identical code (an A/A noise check)"
	fi
	WORKTREE="$TMP/base"
	say "checking out merge base $MB into a temporary worktree"
	git -C "$REPO" worktree add --quiet --detach "$WORKTREE" "$MB"
	# Run from the same relative directory layout as the working tree.
	say "building the merge base's benchmarks"
	if ! build_side "$WORKTREE" old; then
		say "the merge base's benchmarks do not build"
		exit 2
	fi
	if [ ! -s "$TMP/old.list" ]; then
		say "the merge base has none of the benchmark packages; nothing to compare"
		MB=""
	fi
fi

if [ -z "$MB" ]; then
	if [ "$MODE" = compare ]; then
		say "no baseline: cannot compare (exit 2)"
		exit 2
	fi
	say "no baseline: checking budgets only"
	while IFS=$'\t' read -r ip dir bin; do
		say "running $ip (-count $COUNT)"
		run_bin new "$dir" "$bin" "$COUNT"
	done <"$TMP/new.list"
	rc=0
	check_budgets "$OUT/new.txt" || rc=$?
	exit "$rc"
fi

# Pair the binaries by import path: "ip<TAB>olddir<TAB>oldbin<TAB>newdir<TAB>newbin",
# with "-" for a side that lacks the package.
LC_ALL=C join -t $'\t' -a1 -a2 -e - -o 0,1.2,1.3,2.2,2.3 \
	<(LC_ALL=C sort -t $'\t' -k1,1 "$TMP/old.list") <(LC_ALL=C sort -t $'\t' -k1,1 "$TMP/new.list") >"$TMP/pairs"

say "running $COUNT interleaved rounds (BENCH=$BENCH BENCHTIME=$BENCHTIME)"
for ((round = 1; round <= COUNT; round++)); do
	if ((round % 2)); then order="old new"; else order="new old"; fi
	say "round $round/$COUNT ($order)"
	while IFS=$'\t' read -r ip odir obin ndir nbin; do
		for side in $order; do
			if [ "$side" = old ] && [ "$obin" != - ]; then run_bin old "$odir" "$obin" 1; fi
			if [ "$side" = new ] && [ "$nbin" != - ]; then run_bin new "$ndir" "$nbin" 1; fi
		done
	done <"$TMP/pairs"
done

rc=0
# shellcheck disable=SC2086 # GATE_FLAGS is a list of flags
"$BENCHGATE" compare $GATE_FLAGS "$OUT/old.txt" "$OUT/new.txt" | tee "$OUT/compare-report.txt" || rc=$?
summary "benchmark comparison against $MB" "$OUT/compare-report.txt"
if [ "$MODE" = all ]; then
	brc=0
	check_budgets "$OUT/new.txt" || brc=$?
	if ((brc > rc)); then rc=$brc; fi
fi
say "results in $OUT (old.txt, new.txt; also readable with benchstat)"
exit "$rc"
