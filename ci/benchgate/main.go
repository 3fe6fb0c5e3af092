// Command benchgate is the benchmark regression gate of perpcheck's CI.
//
// It is built on golang.org/x/perf (benchfmt, benchmath, benchunit)
// because the benchstat command prints tables but never fails a build.
//
// Usage:
//
//	benchgate compare [flags] old.txt new.txt
//	benchgate budget  [flags] [-budgets ci/budgets.txt] results.txt...
//	benchgate help [budget]
//
// compare reads two files of `go test -bench` output (any -count, several
// test binaries concatenated, with their goos/goarch/pkg/cpu lines) and,
// for every benchmark in both and every unit, summarises each side by its
// median and 95% confidence interval and runs a Mann-Whitney U-test
// (units declared "Unit x assume=exact" are compared by value). A metric
// fails when p < -alpha (default 0.01) and the medians moved in the worse
// direction by more than the unit's minimum effect (-threshold, default
// sec/op=5%, B/op=10%, allocs/op=0, other units 5%). A rise of allocs/op
// from a median of 0 fails even without significance (-strict-zero).
// With fewer samples per side than a U-test needs to ever reach p < alpha
// (4 at 0.05, 5 at 0.01, 7 at 0.001; -min-samples raises it) the gate
// refuses to judge and exits 2. Benchmarks present on one side only are
// listed; -missing decides whether they fail (default: fail when a
// baseline benchmark disappeared).
//
// budget checks one run against a budget file of ceilings ("allocs
// PATTERN N", "max UNIT PATTERN N", "min UNIT PATTERN N") and ratios of
// medians ("ratio A / B >= X [UNIT]"); run "benchgate help budget" for the
// exact syntax. A rule that matches no benchmark is an error.
//
// Exit status: 0 pass, 1 regression or budget breach, 2 not judged (too
// few samples, malformed input, unmatched budget rule, usage error).
//
// ci/bench.sh builds and runs the benchmarks interleaved and calls this
// command; see the comment at its top.
package main

import (
	"os"

	"github.com/perpcheck/perpcheck/ci/gate"
)

func main() {
	os.Exit(gate.Main(os.Args[1:], os.Stdout, os.Stderr))
}
