package gate

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// BudgetFormat documents the budget file syntax; benchgate prints it for
// "benchgate help budget".
const BudgetFormat = `Budget file format (one rule per line; fields separated by blanks;
blank lines and lines whose first non-blank character is '#' are ignored):

  allocs  PATTERN  N               every matching benchmark: median allocs/op <= N
  max     UNIT  PATTERN  N         every matching benchmark: median UNIT <= N
  min     UNIT  PATTERN  N         every matching benchmark: median UNIT >= N
  ratio   A  /  B  OP  X  [UNIT]   median(UNIT of A) / median(UNIT of B)  OP  X
                                   OP is >= or <=; UNIT defaults to sec/op

UNIT is as printed by go test (ns/op, B/op, allocs/op, ns/position, ...);
time units are tidied like benchstat does (ns/op becomes sec/op and N is
scaled with it, so "max ns/op P 1500" means 1.5µs).

PATTERN, A and B are matched against benchmark names without the
GOMAXPROCS suffix ("BenchmarkHealth/impl=model/pos=10", not "...-2"):
  - a pattern starting with '^' is a Go regular expression (RE2), matched
    unanchored at the end: "^BenchmarkHealth/impl=model/" matches every
    model benchmark; add '$' to anchor;
  - any other pattern is an exact name, in which {word} is a wildcard for
    one run of characters without '/'. In a ratio line, every wildcard of
    B must appear in A; the rule applies to every benchmark matching A,
    paired with the B that has the same wildcard values:
      ratio BenchmarkHealth/impl=reference/pos={pos} / BenchmarkHealth/impl=model/pos={pos} >= 60

A rule that matches no benchmark is an error (exit 2), as is a pattern
matching the same name in more than one package for a ratio, or a
matched benchmark lacking the rule's unit. The verdict uses the median;
the conservative column shows the worst case within the medians' 95%
confidence intervals (for a ratio A/B >= X: A.lo/B.hi), which needs >= 6
samples per benchmark; -conservative makes the verdict use it.`

// BudgetKind is the kind of a budget rule.
type BudgetKind string

// Budget rule kinds.
const (
	KindMax   BudgetKind = "max"   // ceiling (allocs is max allocs/op)
	KindMin   BudgetKind = "min"   // floor
	KindRatio BudgetKind = "ratio" // ratio of medians of two benchmarks
)

// Budget is one parsed rule of a budget file.
type Budget struct {
	// Line is the 1-based line number; Source the line's text.
	Line   int
	Source string
	Kind   BudgetKind
	// Unit is the tidied unit; Limit is in that unit.
	Unit  string
	Limit float64
	// Op is "<=" or ">=".
	Op string
	// Pattern selects the benchmarks of max/min rules and the
	// numerators of ratio rules; Denom is a ratio rule's denominator.
	Pattern *Pattern
	Denom   *Pattern
}

// Pattern is a budget-file benchmark pattern (see BudgetFormat).
type Pattern struct {
	Src   string
	re    *regexp.Regexp
	exact bool     // exact name, possibly with wildcards
	wild  []string // wildcard names in order
}

var wildRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ParsePattern parses a pattern: "^regexp" or an exact name with optional
// {word} wildcards.
func ParsePattern(s string) (*Pattern, error) {
	if strings.HasPrefix(s, "^") {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %v", s, err)
		}
		return &Pattern{Src: s, re: re}, nil
	}
	p := &Pattern{Src: s, exact: true}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range wildRE.FindAllStringSubmatchIndex(s, -1) {
		name := s[m[2]:m[3]]
		for _, w := range p.wild {
			if w == name {
				return nil, fmt.Errorf("pattern %q: wildcard {%s} used twice", s, name)
			}
		}
		p.wild = append(p.wild, name)
		b.WriteString(regexp.QuoteMeta(s[last:m[0]]))
		b.WriteString(`([^/]+)`)
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(s[last:]))
	b.WriteString("$")
	if strings.ContainsAny(wildRE.ReplaceAllString(s, ""), "{}") {
		return nil, fmt.Errorf("pattern %q: malformed wildcard (want {word})", s)
	}
	p.re = regexp.MustCompile(b.String())
	return p, nil
}

// match reports whether name matches, and the wildcard values.
func (p *Pattern) match(name string) (map[string]string, bool) {
	m := p.re.FindStringSubmatch(name)
	if m == nil {
		return nil, false
	}
	vals := map[string]string{}
	for i, w := range p.wild {
		vals[w] = m[i+1]
	}
	return vals, true
}

// expand substitutes wildcard values into an exact pattern.
func (p *Pattern) expand(vals map[string]string) string {
	return wildRE.ReplaceAllStringFunc(p.Src, func(w string) string {
		return vals[w[1:len(w)-1]]
	})
}

// ParseBudgets parses a budget file; name is used in error messages.
// Every syntax error is reported, each with its line number.
func ParseBudgets(r io.Reader, name string) ([]Budget, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var out []Budget
	var errs []string
	for i, text := range lines {
		t := strings.TrimSpace(text)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		b, err := parseBudget(strings.Fields(t))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", name, i+1, err))
			continue
		}
		b.Line, b.Source = i+1, t
		out = append(out, b)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("malformed budget file:\n%s", strings.Join(errs, "\n"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no budget rules", name)
	}
	return out, nil
}

func parseBudget(f []string) (Budget, error) {
	var b Budget
	var err error
	limit := func(s, unit string) (float64, error) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("bad number %q", s)
		}
		v, _ = benchunit.Tidy(v, unit)
		return v, nil
	}
	switch f[0] {
	case "allocs":
		if len(f) != 3 {
			return b, fmt.Errorf("want: allocs PATTERN N")
		}
		f = []string{"max", "allocs/op", f[1], f[2]}
		fallthrough
	case "max", "min":
		if len(f) != 4 {
			return b, fmt.Errorf("want: %s UNIT PATTERN N", f[0])
		}
		b.Kind, b.Op = KindMax, "<="
		if f[0] == "min" {
			b.Kind, b.Op = KindMin, ">="
		}
		b.Unit, _ = TidyUnit(f[1])
		if b.Pattern, err = ParsePattern(f[2]); err != nil {
			return b, err
		}
		if b.Limit, err = limit(f[3], f[1]); err != nil {
			return b, err
		}
	case "ratio":
		// ratio A / B OP X [UNIT]
		if (len(f) != 6 && len(f) != 7) || f[2] != "/" {
			return b, fmt.Errorf("want: ratio A / B >=|<= X [UNIT]")
		}
		b.Kind, b.Op = KindRatio, f[4]
		if b.Op != ">=" && b.Op != "<=" {
			return b, fmt.Errorf("ratio operator %q: want >= or <=", b.Op)
		}
		if b.Pattern, err = ParsePattern(f[1]); err != nil {
			return b, err
		}
		if b.Denom, err = ParsePattern(f[3]); err != nil {
			return b, err
		}
		if !b.Pattern.exact || !b.Denom.exact {
			return b, fmt.Errorf("ratio operands must be names (with optional {word} wildcards), not regexps")
		}
		for _, w := range b.Denom.wild {
			if !contains(b.Pattern.wild, w) {
				return b, fmt.Errorf("wildcard {%s} of %s does not appear in %s", w, f[3], f[1])
			}
		}
		if b.Limit, err = limit(f[5], ""); err != nil {
			return b, err
		}
		if !(b.Limit > 0) {
			return b, fmt.Errorf("ratio bound %v: must be positive", b.Limit)
		}
		b.Unit = "sec/op"
		if len(f) == 7 {
			b.Unit, _ = TidyUnit(f[6])
		}
	default:
		return b, fmt.Errorf("unknown rule %q: want allocs, max, min or ratio", f[0])
	}
	return b, nil
}

// BudgetOptions configures CheckBudgets.
type BudgetOptions struct {
	// Confidence is the level of the medians' confidence intervals
	// used for the conservative column.
	Confidence float64
	// MinSamples is the minimum number of samples of each benchmark a
	// rule looks at; fewer is an error (exit 2).
	MinSamples int
	// Conservative makes the verdict use the conservative bound
	// instead of the median.
	Conservative bool
}

// DefaultBudgetOptions returns the defaults of "benchgate budget".
func DefaultBudgetOptions() BudgetOptions {
	return BudgetOptions{Confidence: 0.95, MinSamples: 1}
}

// BudgetRow is one checked (rule, benchmark) pair.
type BudgetRow struct {
	Budget *Budget
	// Bench is the benchmark (or "A / B" for a ratio) the row is about.
	Bench string
	// Measured is the median (or the ratio of medians). Conservative is
	// the worst case within the confidence intervals; it is infinite or
	// zero when there are too few samples for an interval.
	Measured, Conservative float64
	// N is the number of samples (for a ratio: of A and of B).
	N    []int
	Pass bool
	// Err is set when the row could not be judged.
	Err string
}

// BudgetReport is the result of CheckBudgets.
type BudgetReport struct {
	Opts BudgetOptions
	Rows []BudgetRow
}

// CheckBudgets evaluates every rule against res. A rule that matches no
// benchmark yields a row with Err set.
func CheckBudgets(res *Results, budgets []Budget, opt BudgetOptions) *BudgetReport {
	if opt.Confidence <= 0 || opt.Confidence >= 1 {
		opt.Confidence = 0.95
	}
	if opt.MinSamples < 1 {
		opt.MinSamples = 1
	}
	rep := &BudgetReport{Opts: opt}
	for i := range budgets {
		b := &budgets[i]
		var rows []BudgetRow
		if b.Kind == KindRatio {
			rows = checkRatio(res, b, opt)
		} else {
			rows = checkBound(res, b, opt)
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	return rep
}

func (opt BudgetOptions) summarize(res *Results, bench *Bench, unit string) (benchmath.Summary, int, string) {
	vals, ok := bench.Values[unit]
	if !ok {
		return benchmath.Summary{}, 0, fmt.Sprintf("%s reports no %s (run with -benchmem for B/op and allocs/op)", bench.Name, unit)
	}
	if len(vals) < opt.MinSamples {
		return benchmath.Summary{}, len(vals), fmt.Sprintf("%s has %d samples, need >= %d", bench.Name, len(vals), opt.MinSamples)
	}
	s := benchmath.NewSample(append([]float64(nil), vals...), &benchmath.DefaultThresholds)
	return res.Units.GetAssumption(unit).Summary(s, opt.Confidence), len(vals), ""
}

func checkBound(res *Results, b *Budget, opt BudgetOptions) []BudgetRow {
	var rows []BudgetRow
	for _, bench := range res.Benchmarks {
		if _, ok := b.Pattern.match(bench.Match); !ok {
			continue
		}
		row := BudgetRow{Budget: b, Bench: bench.Name}
		s, n, err := opt.summarize(res, bench, b.Unit)
		row.N = []int{n}
		if err != "" {
			row.Err = err
			rows = append(rows, row)
			continue
		}
		row.Measured = s.Center
		if b.Kind == KindMax {
			row.Conservative = s.Hi
		} else {
			row.Conservative = s.Lo
		}
		row.judge(opt)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		rows = append(rows, BudgetRow{Budget: b, Bench: b.Pattern.Src, Err: "pattern matches no benchmark"})
	}
	return rows
}

func checkRatio(res *Results, b *Budget, opt BudgetOptions) []BudgetRow {
	// Index the benchmarks by match name; a ratio needs unique names.
	byMatch := map[string][]*Bench{}
	var order []string
	for _, bench := range res.Benchmarks {
		if byMatch[bench.Match] == nil {
			order = append(order, bench.Match)
		}
		byMatch[bench.Match] = append(byMatch[bench.Match], bench)
	}
	unique := func(name string) (*Bench, string) {
		bs := byMatch[name]
		switch len(bs) {
		case 0:
			return nil, name + " not found"
		case 1:
			return bs[0], ""
		}
		var keys []string
		for _, x := range bs {
			keys = append(keys, x.Key.String())
		}
		return nil, fmt.Sprintf("%s is ambiguous: %s", name, strings.Join(keys, "; "))
	}
	var rows []BudgetRow
	for _, name := range order {
		vals, ok := b.Pattern.match(name)
		if !ok {
			continue
		}
		denom := b.Denom.expand(vals)
		row := BudgetRow{Budget: b, Bench: name + " / " + denom}
		a, errA := unique(name)
		d, errD := unique(denom)
		if errA != "" || errD != "" {
			row.Err = strings.TrimPrefix(strings.Join([]string{errA, errD}, "; "), "; ")
			row.Err = strings.TrimSuffix(row.Err, "; ")
			rows = append(rows, row)
			continue
		}
		sa, na, errA := opt.summarize(res, a, b.Unit)
		sd, nd, errD := opt.summarize(res, d, b.Unit)
		row.N = []int{na, nd}
		if errA != "" || errD != "" {
			row.Err = strings.TrimSuffix(strings.TrimPrefix(errA+"; "+errD, "; "), "; ")
			rows = append(rows, row)
			continue
		}
		if sd.Center == 0 {
			row.Err = "denominator median is 0"
			rows = append(rows, row)
			continue
		}
		row.Measured = sa.Center / sd.Center
		if b.Op == ">=" {
			row.Conservative = sa.Lo / sd.Hi
		} else {
			row.Conservative = sa.Hi / sd.Lo
		}
		row.judge(opt)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		rows = append(rows, BudgetRow{Budget: b, Bench: b.Pattern.Src + " / " + b.Denom.Src, Err: "pattern matches no benchmark"})
	}
	return rows
}

// judge sets Pass, or Err if the value the verdict needs is undefined.
func (r *BudgetRow) judge(opt BudgetOptions) {
	v := r.Measured
	if opt.Conservative {
		v = r.Conservative
		if math.IsNaN(v) || math.IsInf(v, 0) {
			var ns []string
			for _, n := range r.N {
				ns = append(ns, strconv.Itoa(n))
			}
			r.Err = fmt.Sprintf("-conservative needs a confidence interval (>= 6 samples at 95%%); have %s", strings.Join(ns, "+"))
			return
		}
	}
	r.Pass = compareOp(v, r.Budget.Op, r.Budget.Limit)
}

func compareOp(v float64, op string, limit float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if op == "<=" {
		return v <= limit
	}
	return v >= limit
}

// ExitCode returns 2 if any row could not be judged, else 1 if any row
// failed, else 0.
func (r *BudgetReport) ExitCode() int {
	code := 0
	for _, row := range r.Rows {
		if row.Err != "" {
			return 2
		}
		if !row.Pass {
			code = 1
		}
	}
	return code
}

// WriteText prints every rule with the rows it produced.
func (r *BudgetReport) WriteText(w io.Writer) {
	basis := "median"
	if r.Opts.Conservative {
		basis = "conservative bound"
	}
	fmt.Fprintf(w, "verdicts use the %s; conservative = worst case within %.0f%% confidence intervals of the medians\n\n",
		basis, 100*r.Opts.Confidence)
	var last *Budget
	var tw *tabwriter.Writer
	pass, fail, errs := 0, 0, 0
	for _, row := range r.Rows {
		if row.Budget != last {
			if tw != nil {
				tw.Flush()
				fmt.Fprintln(w)
			}
			last = row.Budget
			fmt.Fprintf(w, "line %d: %s\n", last.Line, last.Source)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  benchmark\tunit\tmeasured\tconservative\tbound\tn\tresult")
		}
		result := "PASS"
		switch {
		case row.Err != "":
			result = "ERROR: " + row.Err
			errs++
		case !row.Pass:
			result = "FAIL"
			fail++
		default:
			pass++
		}
		unit, measured, cons, bound := row.Budget.Unit, "-", "-", ""
		if row.Budget.Kind == KindRatio {
			unit = "ratio of " + unit
			bound = row.Budget.Op + " " + strconv.FormatFloat(row.Budget.Limit, 'g', -1, 64)
			if row.Err == "" {
				measured, cons = ratioString(row.Measured), ratioString(row.Conservative)
			}
		} else {
			cls := benchunit.ClassOf(unit)
			bound = row.Budget.Op + " " + valueString(row.Budget.Limit, cls)
			if row.Err == "" {
				measured, cons = valueString(row.Measured, cls), valueString(row.Conservative, cls)
			}
		}
		var ns []string
		for _, n := range row.N {
			ns = append(ns, strconv.Itoa(n))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Bench, unit, measured, cons, bound, strings.Join(ns, "+"), result)
	}
	if tw != nil {
		tw.Flush()
		fmt.Fprintln(w)
	}
	status := map[int]string{0: "PASS", 1: "FAIL", 2: "NOT JUDGED"}[r.ExitCode()]
	fmt.Fprintf(w, "benchgate budget: %s: %d pass, %d fail, %d error\n", status, pass, fail, errs)
}

func ratioString(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) || v == 0 {
		return "n/a (too few samples)"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "x"
}

// valueString prints integers (allocation counts, byte counts) exactly
// and other values with benchunit's SI scaling.
func valueString(v float64, cls benchunit.Class) string {
	switch {
	case math.IsInf(v, 0) || math.IsNaN(v):
		return "n/a (too few samples)"
	case v == math.Trunc(v) && math.Abs(v) < 1e6:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return benchunit.Scale(v, cls)
}
