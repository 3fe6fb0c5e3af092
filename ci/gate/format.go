package gate

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// WriteText prints a benchstat-like table per package and unit, then the
// missing benchmarks, the notes and a one-line summary.
func (r *Report) WriteText(w io.Writer) {
	type group struct {
		pkg, unit string
		rows      []Row
	}
	var groups []*group
	idx := map[[2]string]*group{}
	for _, row := range r.Rows {
		k := [2]string{row.Pkg, row.Unit}
		g := idx[k]
		if g == nil {
			g = &group{pkg: row.Pkg, unit: row.Unit}
			idx[k] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, row)
	}
	lastPkg := "\x00"
	for _, g := range groups {
		if g.pkg != lastPkg {
			if g.pkg != "" {
				fmt.Fprintf(w, "pkg: %s\n", g.pkg)
			}
			lastPkg = g.pkg
		}
		b := g.rows[0].Better
		if b == 0 {
			fmt.Fprintf(w, "%s  (%s; alpha %v)\n", g.unit, direction(b), r.Opts.Alpha)
		} else {
			fmt.Fprintf(w, "%s  (%s; alpha %v; fails if worse by > %s)\n", g.unit, direction(b), r.Opts.Alpha, pct(g.rows[0].Threshold))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  name\told\tnew\tdelta\tp\tn\tverdict")
		for _, row := range g.rows {
			// One scale per row, so old and new read alike.
			sc := benchunit.CommonScale([]float64{row.Old.Center, row.New.Center}, benchunit.ClassOf(g.unit))
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Name,
				summary(sc, row.Old), summary(sc, row.New), deltaString(row), pString(row), nString(row), row.Verdict)
		}
		tw.Flush()
		for _, row := range g.rows {
			for _, n := range row.Notes {
				fmt.Fprintf(w, "    note: %s: %s\n", row.Name, n)
			}
		}
		fmt.Fprintln(w)
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "benchmarks present on one side only (-missing=%s):\n", r.Opts.Missing)
		for _, m := range r.Missing {
			side, fails := "only in new (added?)", r.Opts.Missing == MissingFail
			if m.InOld {
				side, fails = "only in old (removed, renamed, skipped or crashed?)", r.Opts.Missing != MissingWarn
			}
			verdict := "note"
			if fails {
				verdict = "FAIL"
			}
			fmt.Fprintf(w, "  %s  %s  %s\n", verdict, m.Key, side)
		}
		fmt.Fprintln(w)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	var parts []string
	for _, v := range []Verdict{Regressed, TooFew, Changed, Minor, Improved, Same} {
		if c := r.Count(v); c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, v))
		}
	}
	if len(r.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d one-sided", len(r.Missing)))
	}
	status := map[int]string{0: "PASS", 1: "FAIL", 2: "NOT JUDGED"}[r.ExitCode()]
	fmt.Fprintf(w, "benchgate compare: %s: %s (min %d samples per side)\n", status, strings.Join(parts, ", "), r.MinSamples)
	if n := r.Count(TooFew); n > 0 {
		fmt.Fprintf(w, "benchgate compare: refusing to judge %d metrics with fewer than %d samples per side at alpha %v; run more rounds (go test -count, COUNT in ci/bench.sh)\n",
			n, r.MinSamples, r.Opts.Alpha)
	}
}

func direction(b int) string {
	switch {
	case b < 0:
		return "lower is better"
	case b > 0:
		return "higher is better"
	}
	return "direction unknown: reported, never fails"
}

func pct(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", 100*f), "0"), ".") + "%"
}

func summary(sc benchunit.Scaler, s benchmath.Summary) string {
	c := sc.Format(s.Center)
	if s.Center == 0 {
		c = "0"
	}
	return c + " ± " + s.PctRangeString()
}

func deltaString(r Row) string {
	switch {
	case r.Verdict == TooFew:
		return "?"
	case !r.Significant && !(r.Verdict == Regressed):
		return "~"
	case math.IsNaN(r.Delta):
		return "+Inf%"
	}
	return fmt.Sprintf("%+.2f%%", 100*r.Delta)
}

func pString(r Row) string {
	switch {
	case r.Verdict == TooFew:
		return "-"
	case math.IsNaN(r.P):
		return "exact"
	}
	return fmt.Sprintf("%.3f", r.P)
}

func nString(r Row) string {
	if r.NOld == r.NNew {
		return fmt.Sprint(r.NOld)
	}
	return fmt.Sprintf("%d+%d", r.NOld, r.NNew)
}
