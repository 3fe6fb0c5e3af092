package gate

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Exit codes of Main.
const (
	ExitPass     = 0 // gate passed
	ExitFail     = 1 // regression or budget breach
	ExitNoJudge  = 2 // too few samples, malformed input, unmatched budget rule, usage error
	defaultAlpha = 0.01
)

const usageText = `benchgate: benchmark regression gate on golang.org/x/perf (benchfmt + benchmath).

Usage:
  benchgate compare [flags] old.txt new.txt
  benchgate budget  [flags] results.txt...
  benchgate help [budget]

compare: for every benchmark present in both files and every unit, compare
the medians with a Mann-Whitney U-test (assume=exact units: by value) and
fail when a metric got significantly worse (p < alpha) by more than the
unit's minimum effect (-threshold). Too few samples per side to ever reach
p < alpha (4 at alpha 0.05, 5 at 0.01, 7 at 0.001) is not judged: exit 2.

budget: check one file against the rules of a budget file: allocation and
other ceilings, and speed ratios between benchmarks of the same run.

Exit status: 0 pass, 1 fail (regression or budget breach), 2 not judged
(too few samples, malformed input, budget rule matching nothing, usage).
`

// Main runs the benchgate command with args (without the program name)
// and returns its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return ExitNoJudge
	}
	switch args[0] {
	case "compare":
		return mainCompare(args[1:], stdout, stderr)
	case "budget":
		return mainBudget(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[1] == "budget" {
			fmt.Fprintln(stdout, BudgetFormat)
		} else {
			fmt.Fprint(stdout, usageText)
		}
		return ExitPass
	}
	fmt.Fprintf(stderr, "benchgate: unknown command %q\n\n%s", args[0], usageText)
	return ExitNoJudge
}

func defaultThresholdString() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(DefaultThresholds)) {
		parts = append(parts, fmt.Sprintf("%s=%s", k, pct(DefaultThresholds[k])))
	}
	return strings.Join(parts, ",")
}

func mainCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchgate compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	alpha := fs.Float64("alpha", defaultAlpha, "significance level: a change counts only if the U-test gives p < `alpha`")
	conf := fs.Float64("confidence", 0.95, "confidence `level` of the medians' intervals")
	thresholds := fs.String("threshold", "", "minimum effects as `unit=frac,...` (frac may be a percentage, \"*\" is every other unit),\nmerged over the defaults "+defaultThresholdString())
	strict := fs.String("strict-zero", strings.Join(DefaultStrictZero, ","), "`units` for which any rise from a median of 0 fails, even without significance (\"\" disables)")
	better := fs.String("better", "", "better direction overrides as `unit=lower|higher,...` (default: Unit metadata in the files, then sec/*, B/*, allocs/* lower, */s higher)")
	minSamples := fs.Int("min-samples", 0, "minimum samples per side `n`; 0 means the least n with which a U-test can reach p < alpha")
	filter := fs.String("filter", "", "only compare benchmarks whose name without the -GOMAXPROCS suffix matches this `regexp`")
	missing := fs.String("missing", string(MissingFailRemoved), "benchmarks on one side only: `policy` warn, fail-removed (fail if only in old) or fail (either side)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: benchgate compare [flags] old.txt new.txt\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPass
		}
		return ExitNoJudge
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return ExitNoJudge
	}
	opt := DefaultCompareOptions()
	opt.Alpha, opt.Confidence, opt.MinSamples = *alpha, *conf, *minSamples
	var err error
	if opt.Thresholds, err = ParseThresholds(*thresholds, DefaultThresholds); err != nil {
		return fail(stderr, err)
	}
	opt.StrictZero = ParseUnitList(*strict)
	if opt.Better, err = ParseBetter(*better); err != nil {
		return fail(stderr, err)
	}
	if *filter != "" {
		if opt.Filter, err = regexp.Compile(*filter); err != nil {
			return fail(stderr, fmt.Errorf("-filter: %v", err))
		}
	}
	if opt.Missing, err = ParseMissingPolicy(*missing); err != nil {
		return fail(stderr, err)
	}
	old, err := ReadFiles(fs.Arg(0))
	if err != nil {
		return fail(stderr, err)
	}
	cur, err := ReadFiles(fs.Arg(1))
	if err != nil {
		return fail(stderr, err)
	}
	rep, err := Compare(old, cur, opt)
	if rep != nil {
		rep.WriteText(stdout)
	}
	if err != nil {
		return fail(stderr, err)
	}
	return rep.ExitCode()
}

func mainBudget(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchgate budget", flag.ContinueOnError)
	fs.SetOutput(stderr)
	budgets := fs.String("budgets", "ci/budgets.txt", "budget `file` (see: benchgate help budget)")
	conf := fs.Float64("confidence", 0.95, "confidence `level` of the intervals behind the conservative column")
	minSamples := fs.Int("min-samples", 1, "minimum samples `n` of every benchmark a rule uses (fewer: exit 2)")
	conservative := fs.Bool("conservative", false, "judge on the worst case within the confidence intervals instead of the median")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: benchgate budget [flags] results.txt...\n\nflags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\n%s\n", BudgetFormat)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPass
		}
		return ExitNoJudge
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return ExitNoJudge
	}
	if !(*conf > 0 && *conf < 1) {
		return fail(stderr, fmt.Errorf("-confidence %v: must be in (0, 1)", *conf))
	}
	f, err := os.Open(*budgets)
	if err != nil {
		return fail(stderr, err)
	}
	rules, err := ParseBudgets(f, *budgets)
	f.Close()
	if err != nil {
		return fail(stderr, err)
	}
	res, err := ReadFiles(fs.Args()...)
	if err != nil {
		return fail(stderr, err)
	}
	opt := BudgetOptions{Confidence: *conf, MinSamples: *minSamples, Conservative: *conservative}
	rep := CheckBudgets(res, rules, opt)
	rep.WriteText(stdout)
	return rep.ExitCode()
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "benchgate: %v\n", err)
	return ExitNoJudge
}
