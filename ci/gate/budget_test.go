package gate

import (
	"math"
	"os"
	"strings"
	"testing"
)

// healthRun is a synthetic run of the Health benchmarks: reference is
// ~65x slower than model at pos=100, model ~5x slower than float64.
func healthRun(modelAllocs float64) string {
	n := 10
	return file(pkgA,
		b("BenchmarkHealth/impl=reference/pos=10-2", "ns/op", noise(11, n, 6_000, 0.02), "B/op", rep(n, 4096), "allocs/op", rep(n, 80)),
		b("BenchmarkHealth/impl=model/pos=10-2", "ns/op", noise(12, n, 120, 0.02), "B/op", rep(n, 0), "allocs/op", rep(n, modelAllocs)),
		b("BenchmarkHealth/impl=float64/pos=10-2", "ns/op", noise(13, n, 20, 0.02), "B/op", rep(n, 0), "allocs/op", rep(n, 0)),
		b("BenchmarkHealth/impl=reference/pos=100-2", "ns/op", noise(14, n, 65_000, 0.02), "B/op", rep(n, 40960), "allocs/op", rep(n, 800)),
		b("BenchmarkHealth/impl=model/pos=100-2", "ns/op", noise(15, n, 1_000, 0.02), "B/op", rep(n, 0), "allocs/op", rep(n, modelAllocs)),
		b("BenchmarkHealth/impl=float64/pos=100-2", "ns/op", noise(16, n, 200, 0.02), "B/op", rep(n, 0), "allocs/op", rep(n, 0)),
	)
}

func TestBudgetCLI(t *testing.T) {
	tests := []struct {
		name     string
		budgets  string
		results  string
		flags    []string
		want     int
		contains []string
	}{
		{
			name:     "allocation ceiling satisfied",
			budgets:  "# zero-alloc model\nallocs  ^BenchmarkHealth/impl=model/  0\n",
			results:  healthRun(0),
			want:     ExitPass,
			contains: []string{"line 2: allocs", "BenchmarkHealth/impl=model/pos=10-2", "BenchmarkHealth/impl=model/pos=100-2", "PASS: 2 pass, 0 fail"},
		},
		{
			name:     "allocation ceiling breached",
			budgets:  "allocs  ^BenchmarkHealth/impl=model/  0\n",
			results:  healthRun(1),
			want:     ExitFail,
			contains: []string{"allocs/op  1         1             <= 0", "FAIL: 0 pass, 2 fail"},
		},
		{
			name:     "satisfied ratio passes",
			budgets:  "ratio BenchmarkHealth/impl=reference/pos=100 / BenchmarkHealth/impl=model/pos=100 >= 60\n",
			results:  healthRun(0),
			want:     ExitPass,
			contains: []string{"ratio of sec/op", "65.", ">= 60", "PASS: 1 pass"},
		},
		{
			name:     "breached ratio fails",
			budgets:  "ratio BenchmarkHealth/impl=model/pos=100 / BenchmarkHealth/impl=float64/pos=100 <= 4\n",
			results:  healthRun(0),
			want:     ExitFail,
			contains: []string{"5.0", "<= 4", "FAIL: 0 pass, 1 fail"},
		},
		{
			name:     "wildcard ratio applies to every pair",
			budgets:  "ratio BenchmarkHealth/impl=reference/pos={pos} / BenchmarkHealth/impl=model/pos={pos} >= 55\n",
			results:  healthRun(0),
			want:     ExitFail, // pos=10: 50x < 55; pos=100: 65x
			contains: []string{"BenchmarkHealth/impl=reference/pos=10 / BenchmarkHealth/impl=model/pos=10 ", "1 pass, 1 fail"},
		},
		{
			name:     "ratio of another unit",
			budgets:  "ratio BenchmarkHealth/impl=reference/pos=100 / BenchmarkHealth/impl=reference/pos=10 >= 9.9 B/op\n",
			results:  healthRun(0),
			want:     ExitPass,
			contains: []string{"ratio of B/op", "10.00x"},
		},
		{
			name:     "max ns/op is scaled to sec/op",
			budgets:  "max ns/op BenchmarkHealth/impl=model/pos=10 150\nmax ns/op BenchmarkHealth/impl=model/pos=100 900\n",
			results:  healthRun(0),
			want:     ExitFail,
			contains: []string{"<= 150.0n", "<= 900.0n", "1 pass, 1 fail"},
		},
		{
			name:     "min rule",
			budgets:  "min ns/op ^BenchmarkHealth/impl=reference/ 5000\n",
			results:  healthRun(0),
			want:     ExitPass,
			contains: []string{">= 5.000µ", "2 pass"},
		},
		{
			name:     "pattern that matches nothing is an error",
			budgets:  "allocs ^BenchmarkNoSuch/ 0\nallocs ^BenchmarkHealth/impl=model/ 0\n",
			results:  healthRun(0),
			want:     ExitNoJudge,
			contains: []string{"ERROR: pattern matches no benchmark", "NOT JUDGED: 2 pass, 0 fail, 1 error"},
		},
		{
			name:     "exact name is not a prefix",
			budgets:  "allocs BenchmarkHealth/impl=model 0\n",
			results:  healthRun(0),
			want:     ExitNoJudge,
			contains: []string{"matches no benchmark"},
		},
		{
			name:     "ratio operand that matches nothing is an error",
			budgets:  "ratio BenchmarkHealth/impl=model/pos=100 / BenchmarkHealth/impl=gpu/pos=100 <= 6\n",
			results:  healthRun(0),
			want:     ExitNoJudge,
			contains: []string{"BenchmarkHealth/impl=gpu/pos=100 not found"},
		},
		{
			name:     "wildcard pair with a missing partner is an error",
			budgets:  "ratio BenchmarkHealth/impl=model/pos={pos} / BenchmarkHealth/impl=float64/pos={pos} <= 6\n",
			results:  healthRun(0) + file(pkgA, b("BenchmarkHealth/impl=model/pos=1000-2", "ns/op", rep(10, 1e4))),
			want:     ExitNoJudge,
			contains: []string{"BenchmarkHealth/impl=float64/pos=1000 not found", "2 pass, 0 fail, 1 error"},
		},
		{
			name:     "same name in two packages makes a ratio ambiguous",
			budgets:  "ratio BenchmarkHealth/impl=model/pos=10 / BenchmarkHealth/impl=float64/pos=10 <= 10\n",
			results:  healthRun(0) + file(pkgB, b("BenchmarkHealth/impl=model/pos=10-2", "ns/op", rep(10, 1))),
			want:     ExitNoJudge,
			contains: []string{"ambiguous"},
		},
		{
			name:     "missing unit is an error",
			budgets:  "allocs ^BenchmarkX 0\n",
			results:  file(pkgA, b("BenchmarkX-2", "ns/op", rep(10, 5))),
			want:     ExitNoJudge,
			contains: []string{"reports no allocs/op", "-benchmem"},
		},
		{
			name:     "-min-samples",
			budgets:  "allocs ^BenchmarkHealth/impl=model/ 0\n",
			results:  healthRun(0),
			flags:    []string{"-min-samples", "11"},
			want:     ExitNoJudge,
			contains: []string{"has 10 samples, need >= 11"},
		},
		{
			name:     "-conservative judges on the confidence bound",
			budgets:  "ratio BenchmarkHealth/impl=reference/pos=100 / BenchmarkHealth/impl=model/pos=100 >= 65\n",
			results:  healthRun(0),
			flags:    []string{"-conservative"},
			want:     ExitFail,
			contains: []string{"conservative bound", "FAIL"},
		},
		{
			name:     "-conservative with one sample cannot judge",
			budgets:  "ratio BenchmarkA / BenchmarkB >= 2\n",
			results:  file(pkgA, b("BenchmarkA-2", "ns/op", []float64{10}), b("BenchmarkB-2", "ns/op", []float64{2})),
			flags:    []string{"-conservative"},
			want:     ExitNoJudge,
			contains: []string{"needs a confidence interval"},
		},
		{
			name:     "one sample: median verdict, no interval",
			budgets:  "ratio BenchmarkA / BenchmarkB >= 2\n",
			results:  file(pkgA, b("BenchmarkA-2", "ns/op", []float64{10}), b("BenchmarkB-2", "ns/op", []float64{2})),
			want:     ExitPass,
			contains: []string{"5.00x", "n/a (too few samples)"},
		},
		{
			name:     "names without a GOMAXPROCS suffix (GOMAXPROCS=1)",
			budgets:  "allocs BenchmarkX/n=10 0\n",
			results:  file(pkgA, b("BenchmarkX/n=10", "allocs/op", rep(3, 0))),
			want:     ExitPass,
			contains: []string{"PASS: 1 pass"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths := writeFiles(t, "budgets.txt", tc.budgets, "results.txt", tc.results)
			args := append(append([]string{"budget", "-budgets", paths[0]}, tc.flags...), paths[1])
			code, out := run(t, args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d", code, tc.want)
			}
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q", s)
				}
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

func TestParseBudgetsErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown rule", "ceiling ^X 0", "unknown rule"},
		{"allocs arity", "allocs ^X", "want: allocs PATTERN N"},
		{"max arity", "max ^X 0", "want: max UNIT PATTERN N"},
		{"bad number", "allocs ^X zero", `bad number "zero"`},
		{"infinite number", "allocs ^X +Inf", "bad number"},
		{"bad regexp", "allocs ^X( 0", "missing closing )"},
		{"ratio without slash", "ratio A B >= 2", "want: ratio A / B"},
		{"ratio bad op", "ratio A / B > 2", `operator ">"`},
		{"ratio regexp operand", "ratio ^A / B >= 2", "not regexps"},
		{"ratio non-positive", "ratio A / B >= 0", "must be positive"},
		{"ratio unknown wildcard", "ratio A/{x} / B/{y} >= 2", "wildcard {y}"},
		{"duplicate wildcard", "ratio A/{x}/{x} / B/{x} >= 2", "used twice"},
		{"malformed wildcard", "ratio A/{x / B >= 2", "malformed wildcard"},
		{"empty file", "# only a comment\n\n", "no budget rules"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBudgets(strings.NewReader("# header\n"+tc.text+"\n"), "budgets.txt")
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			if tc.name != "empty file" && !strings.Contains(err.Error(), "budgets.txt:2:") {
				t.Errorf("error %q lacks the line number", err)
			}
		})
	}
	// All errors are reported, not just the first.
	_, err := ParseBudgets(strings.NewReader("bogus\nallocs ^X 0\nalso bogus\n"), "b")
	if err == nil || !strings.Contains(err.Error(), "b:1:") || !strings.Contains(err.Error(), "b:3:") {
		t.Errorf("want errors for lines 1 and 3, got %v", err)
	}
}

func TestParseBudgets(t *testing.T) {
	rules, err := ParseBudgets(strings.NewReader(`
# comment
  allocs  ^BenchmarkHealth/impl=model/   0
max B/op BenchmarkX 1024
min MB/s ^BenchmarkIO 50
ratio BenchmarkHealth/impl=reference/pos={pos}  /  BenchmarkHealth/impl=model/pos={pos}  >=  60
ratio A / B <= 6 ns/position
`), "b")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		kind  BudgetKind
		unit  string
		op    string
		limit float64
	}{
		{3, KindMax, "allocs/op", "<=", 0},
		{4, KindMax, "B/op", "<=", 1024},
		{5, KindMin, "B/s", ">=", 50e6},
		{6, KindRatio, "sec/op", ">=", 60},
		{7, KindRatio, "sec/position", "<=", 6},
	}
	if len(rules) != len(want) {
		t.Fatalf("%d rules, want %d", len(rules), len(want))
	}
	for i, w := range want {
		r := rules[i]
		if r.Line != w.line || r.Kind != w.kind || r.Unit != w.unit || r.Op != w.op || math.Abs(r.Limit-w.limit) > 1e-9*w.limit {
			t.Errorf("rule %d = {%d %s %s %s %v}, want %+v", i, r.Line, r.Kind, r.Unit, r.Op, r.Limit, w)
		}
	}
	vals, ok := rules[3].Pattern.match("BenchmarkHealth/impl=reference/pos=100")
	if !ok || vals["pos"] != "100" {
		t.Errorf("wildcard match: %v %v", vals, ok)
	}
	if got := rules[3].Denom.expand(vals); got != "BenchmarkHealth/impl=model/pos=100" {
		t.Errorf("expand = %q", got)
	}
	if _, ok := rules[3].Pattern.match("BenchmarkHealth/impl=reference/pos=100/extra"); ok {
		t.Error("wildcard matched across '/'")
	}
}

// TestRepoBudgetsParse keeps ci/budgets.txt syntactically valid.
func TestRepoBudgetsParse(t *testing.T) {
	f, err := os.Open("../budgets.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ParseBudgets(f, "ci/budgets.txt"); err != nil {
		t.Fatal(err)
	}
}

func TestBudgetMissingFiles(t *testing.T) {
	paths := writeFiles(t, "budgets.txt", "allocs ^X 0\n", "empty.txt", "")
	if code, out := run(t, "budget", "-budgets", "/nonexistent/budgets.txt", paths[0]); code != ExitNoJudge {
		t.Errorf("missing budget file: exit %d\n%s", code, out)
	}
	if code, out := run(t, "budget", "-budgets", paths[0], paths[1]); code != ExitNoJudge || !strings.Contains(out, "no benchmark results") {
		t.Errorf("empty results: exit %d\n%s", code, out)
	}
	if code, _ := run(t, "budget", "-budgets", paths[0]); code != ExitNoJudge {
		t.Errorf("no results argument: exit %d", code)
	}
}
