#!/usr/bin/env bash
# ci/mutation.sh: automatic mutation testing of model/ with the conformance
# suite as the test (an opt-in nightly job; results in properties/README.md).
#
# Usage (from anywhere inside the repository):
#
#   ci/mutation.sh            # every file of model/ (about 1,200 mutants: hours on 2 cores)
#   ci/mutation.sh ledger     # only model/ledger_*.go (the ledger; about 290 mutants)
#   ci/mutation.sh FILE...    # only these files of model/ (e.g. ledger_liq.go ledger_math.go)
#
# It runs github.com/go-gremlins/gremlins v0.6.0 (`gremlins unleash`) on the
# package model with the build tag gremlins. Gremlins runs, for each mutant,
# `go test -failfast <the mutant's package>`, i.e. the tests of model/ only;
# the tag adds model/suite_gremlins_test.go, which runs the whole conformance
# suite (package properties, the default budget: 100 cases per query property,
# 300 runs per ledger property) against the mutated model. So a mutant is
# killed by the model's own tests or by the suite. (--integration would run
# `go test ./...` of the whole module for every mutant instead: far slower
# and no stronger, since the suite is already included.)
#
# Environment (defaults in brackets):
#   WORKERS   gremlins --workers [1: two workers on 2 cores time out]
#   COEFF     gremlins --timeout-coefficient [8]
#   WIDE      1 to mutate model/internal/wide too [0: excluded; it is the
#             256-bit helper, covered by its own tests, and its mutants
#             dominated the first run]
#   DRYRUN    1 for gremlins --dry-run (lists the mutants, runs nothing)
#   OUT       the JSON results file [ci/out/mutation.json]
#
# The timeout of each mutant is gremlins' coverage run's wall time times
# COEFF. That run is a `go test -cover`, whose result Go caches: a cached
# coverage run took well under a second, which gave every mutant a timeout
# too short for its rebuild plus the suite (the first measured run: 114 of
# 226 timed out). GOFLAGS=-count=1 makes the coverage run real (about 15-20 s
# on 2 cores), so the timeout is about COEFF times a real run of the tests.
#
# Mutation score = killed / (killed + lived); timed-out and not-covered
# mutants are counted separately (gremlins' "efficacy" is the same ratio).
# Every LIVED mutant must be triaged in properties/README.md (equivalent, with
# the reason, or a blind spot of the suite, then fixed).
set -euo pipefail

root=$(git rev-parse --show-toplevel)
cd "$root"
out=${OUT:-ci/out/mutation.json}
mkdir -p "$(dirname "$out")"

# The files to mutate: gremlins takes exclusions (-E, a regexp on the path),
# so everything else of model/ is excluded.
excl=()
if [ $# -gt 0 ]; then
	keep=()
	if [ "$1" = ledger ]; then
		for f in model/ledger*.go; do
			case $f in *_test.go) ;; *) keep+=("$(basename "$f")") ;; esac
		done
	else
		keep=("$@")
	fi
	for f in model/*.go; do
		b=$(basename "$f")
		case $b in *_test.go) continue ;; esac
		skip=1
		for k in "${keep[@]}"; do [ "$b" = "$k" ] && skip=0; done
		[ $skip = 1 ] && excl+=(-E "(^|/)${b//./\\.}\$")
	done
fi

[ "${WIDE:-0}" = 1 ] || excl+=(-E '(^|/)internal/wide/')
dry=()
[ "${DRYRUN:-0}" = 1 ] && dry=(--dry-run)

start=$(date +%s)
GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1" go run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0 unleash \
	--tags gremlins \
	--workers "${WORKERS:-1}" \
	--timeout-coefficient "${COEFF:-8}" \
	--output "$out" \
	"${dry[@]}" \
	"${excl[@]}" \
	./model
echo "ci/mutation.sh: $(( $(date +%s) - start ))s; results in $out"
