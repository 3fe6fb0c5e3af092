package gate

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"
)

const health = "BenchmarkHealth/impl=model/pos=10-2"

// TestCompareCLI runs "benchgate compare" end to end on synthetic files.
func TestCompareCLI(t *testing.T) {
	base := noise(1, 10, 100, 0.03) // 100 ns ± 3%
	tests := []struct {
		name     string
		old, new string
		flags    []string
		want     int
		contains []string // substrings of the output
		absent   []string
	}{
		{
			name:     "20% regression with 10 samples per side fails",
			old:      file(pkgA, b(health, "ns/op", base)),
			new:      file(pkgA, b(health, "ns/op", noise(2, 10, 120, 0.03))),
			want:     ExitFail,
			contains: []string{"REGRESSED", "+2", "FAIL: 1 REGRESSED"},
		},
		{
			name:     "same values in another order is noise",
			old:      file(pkgA, b(health, "ns/op", base)),
			new:      file(pkgA, b(health, "ns/op", reversed(base))),
			want:     ExitPass,
			contains: []string{" ~ ", "1.000", "PASS"},
			absent:   []string{"REGRESSED"},
		},
		{
			name:     "two draws from the same distribution are noise",
			old:      file(pkgA, b(health, "ns/op", noise(3, 10, 100, 0.03), "B/op", rep(10, 64), "allocs/op", rep(10, 1))),
			new:      file(pkgA, b(health, "ns/op", noise(4, 10, 100, 0.03), "B/op", rep(10, 64), "allocs/op", rep(10, 1))),
			want:     ExitPass,
			contains: []string{"PASS"},
		},
		{
			name:     "3 samples per side refuses to judge",
			old:      file(pkgA, b(health, "ns/op", []float64{100, 101, 99})),
			new:      file(pkgA, b(health, "ns/op", []float64{200, 201, 199})),
			want:     ExitNoJudge,
			contains: []string{"NOT JUDGED", "need >= 5 per side"},
		},
		{
			name:     "4 samples per side is enough at alpha 0.05",
			old:      file(pkgA, b(health, "ns/op", []float64{100, 101, 99, 100})),
			new:      file(pkgA, b(health, "ns/op", []float64{200, 201, 199, 200})),
			flags:    []string{"-alpha", "0.05"},
			want:     ExitFail,
			contains: []string{"REGRESSED"},
		},
		{
			name:     "-min-samples above the sample count refuses to judge",
			old:      file(pkgA, b(health, "ns/op", base)),
			new:      file(pkgA, b(health, "ns/op", base)),
			flags:    []string{"-min-samples", "20"},
			want:     ExitNoJudge,
			contains: []string{"need >= 20 per side"},
		},
		{
			name:     "allocs/op from 0 to 1 fails",
			old:      file(pkgA, b(health, "ns/op", base, "B/op", rep(10, 0), "allocs/op", rep(10, 0))),
			new:      file(pkgA, b(health, "ns/op", reversed(base), "B/op", rep(10, 8), "allocs/op", rep(10, 1))),
			want:     ExitFail,
			contains: []string{"allocs/op", "rose from 0", "REGRESSED"},
		},
		{
			name: "allocs/op from 0 fails even where the U-test is not significant",
			// 5 vs 5 with 2 of 5 new runs at 0: p > 0.01, but the median rose from 0.
			old:      file(pkgA, b(health, "ns/op", base[:5], "allocs/op", rep(5, 0))),
			new:      file(pkgA, b(health, "ns/op", base[5:], "allocs/op", []float64{0, 1, 1, 0, 1})),
			flags:    []string{"-threshold", "sec/op=100%"},
			want:     ExitFail,
			contains: []string{"rose from 0"},
		},
		{
			name:     "allocs/op 1 to 2 fails with threshold 0",
			old:      file(pkgA, b(health, "ns/op", base, "allocs/op", rep(10, 1))),
			new:      file(pkgA, b(health, "ns/op", base, "allocs/op", rep(10, 2))),
			want:     ExitFail,
			contains: []string{"+100.00%", "REGRESSED"},
		},
		{
			name:     "-strict-zero '' turns the zero rule off",
			old:      file(pkgA, b(health, "ns/op", base[:5], "allocs/op", rep(5, 0))),
			new:      file(pkgA, b(health, "ns/op", base[5:], "allocs/op", []float64{0, 1, 1, 0, 1})),
			flags:    []string{"-strict-zero", "", "-threshold", "sec/op=100%"},
			want:     ExitPass,
			contains: []string{"PASS"},
		},
		{
			name:     "improvement passes",
			old:      file(pkgA, b(health, "ns/op", noise(5, 10, 120, 0.03), "B/op", rep(10, 64), "allocs/op", rep(10, 2))),
			new:      file(pkgA, b(health, "ns/op", base, "B/op", rep(10, 0), "allocs/op", rep(10, 0))),
			want:     ExitPass,
			contains: []string{"improved", "-100.00%", "PASS"},
			absent:   []string{"REGRESSED"},
		},
		{
			name:     "significant but below the sec/op floor passes",
			old:      file(pkgA, b(health, "ns/op", noise(6, 10, 100, 0.005))),
			new:      file(pkgA, b(health, "ns/op", noise(7, 10, 103, 0.005))),
			want:     ExitPass,
			contains: []string{"below floor", "+3."},
		},
		{
			name:     "a lower -threshold catches the same change",
			old:      file(pkgA, b(health, "ns/op", noise(6, 10, 100, 0.005))),
			new:      file(pkgA, b(health, "ns/op", noise(7, 10, 103, 0.005))),
			flags:    []string{"-threshold", "ns/op=1%"},
			want:     ExitFail,
			contains: []string{"REGRESSED", "fails if worse by > 1%"},
		},
		{
			name:     "B/op +5% is below the 10% floor, +25% is not",
			old:      file(pkgA, b(health, "B/op", rep(10, 400)), b("BenchmarkBig-2", "B/op", rep(10, 400))),
			new:      file(pkgA, b(health, "B/op", rep(10, 420)), b("BenchmarkBig-2", "B/op", rep(10, 500))),
			want:     ExitFail,
			contains: []string{"ok (below floor)", "+25.00%"},
		},
		{
			name:     "custom ns/position is tidied to sec/position, lower is better",
			old:      file(pkgA, b(health, "ns/position", base)),
			new:      file(pkgA, b(health, "ns/position", noise(8, 10, 150, 0.03))),
			want:     ExitFail,
			contains: []string{"sec/position", "lower is better", "REGRESSED"},
		},
		{
			name:     "custom unit without a direction is reported, not failed",
			old:      file(pkgA, b(health, "widgets", base)),
			new:      file(pkgA, b(health, "widgets", noise(8, 10, 150, 0.03))),
			want:     ExitPass,
			contains: []string{"changed (direction unknown)"},
		},
		{
			name:     "Unit better=higher metadata makes a drop a regression",
			old:      "Unit widgets better=higher\n" + file(pkgA, b(health, "widgets", noise(8, 10, 150, 0.03))),
			new:      "Unit widgets better=higher\n" + file(pkgA, b(health, "widgets", base)),
			want:     ExitFail,
			contains: []string{"higher is better", "REGRESSED"},
		},
		{
			name:     "-better flag overrides the direction",
			old:      file(pkgA, b(health, "widgets", base)),
			new:      file(pkgA, b(health, "widgets", noise(8, 10, 150, 0.03))),
			flags:    []string{"-better", "widgets=lower"},
			want:     ExitFail,
			contains: []string{"REGRESSED"},
		},
		{
			name:     "assume=exact units are compared by value, one sample suffices",
			old:      "Unit ulps assume=exact better=lower\n" + file(pkgA, b(health, "ulps", []float64{2})),
			new:      "Unit ulps assume=exact better=lower\n" + file(pkgA, b(health, "ulps", []float64{3})),
			want:     ExitFail,
			contains: []string{"exact", "+50.00%", "REGRESSED"},
		},
		{
			name:     "benchmark only in old fails by default",
			old:      file(pkgA, b(health, "ns/op", base), b("BenchmarkGone-2", "ns/op", base)),
			new:      file(pkgA, b(health, "ns/op", base)),
			want:     ExitFail,
			contains: []string{"FAIL  " + pkgA + " BenchmarkGone-2  only in old"},
		},
		{
			name:     "benchmark only in old with -missing=warn is reported and passes",
			old:      file(pkgA, b(health, "ns/op", base), b("BenchmarkGone-2", "ns/op", base)),
			new:      file(pkgA, b(health, "ns/op", base)),
			flags:    []string{"-missing", "warn"},
			want:     ExitPass,
			contains: []string{"note  " + pkgA + " BenchmarkGone-2  only in old", "1 one-sided"},
		},
		{
			name:     "benchmark only in new is reported and passes by default",
			old:      file(pkgA, b(health, "ns/op", base)),
			new:      file(pkgA, b(health, "ns/op", base), b("BenchmarkAdded-2", "ns/op", base)),
			want:     ExitPass,
			contains: []string{"note  " + pkgA + " BenchmarkAdded-2  only in new"},
		},
		{
			name:     "benchmark only in new fails with -missing=fail",
			old:      file(pkgA, b(health, "ns/op", base)),
			new:      file(pkgA, b(health, "ns/op", base), b("BenchmarkAdded-2", "ns/op", base)),
			flags:    []string{"-missing", "fail"},
			want:     ExitFail,
			contains: []string{"FAIL  " + pkgA + " BenchmarkAdded-2"},
		},
		{
			name: "concatenated packages: the regression is attributed to the right package",
			old: file(pkgA, b("BenchmarkRun-2", "ns/op", base)) +
				file(pkgB, b("BenchmarkRun-2", "ns/op", base)),
			new: file(pkgA, b("BenchmarkRun-2", "ns/op", reversed(base))) +
				file(pkgB, b("BenchmarkRun-2", "ns/op", noise(9, 10, 130, 0.03))),
			want:     ExitFail,
			contains: []string{"pkg: " + pkgA, "pkg: " + pkgB, "1 REGRESSED, 1 ok"},
		},
		{
			name:   "-filter excludes a regressed benchmark",
			old:    file(pkgA, b(health, "ns/op", base), b("BenchmarkScan/impl=float64/g=2-2", "ns/op", base)),
			new:    file(pkgA, b(health, "ns/op", base), b("BenchmarkScan/impl=float64/g=2-2", "ns/op", noise(9, 10, 130, 0.03))),
			flags:  []string{"-filter", "^BenchmarkHealth/impl=model/pos=10$"},
			want:   ExitPass,
			absent: []string{"BenchmarkScan"},
		},
		{
			name:     "-filter matching nothing is an error",
			old:      file(pkgA, b(health, "ns/op", base)),
			new:      file(pkgA, b(health, "ns/op", base)),
			flags:    []string{"-filter", "NoSuchBenchmark"},
			want:     ExitNoJudge,
			contains: []string{"nothing to compare"},
		},
		{
			name:     "different cpu lines are flagged",
			old:      file(pkgA, b(health, "ns/op", base)),
			new:      strings.Replace(file(pkgA, b(health, "ns/op", base)), "Test CPU", "Other CPU", 1),
			want:     ExitPass,
			contains: []string{"cpu differs"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths := writeFiles(t, "old.txt", tc.old, "new.txt", tc.new)
			args := append(append([]string{"compare"}, tc.flags...), paths...)
			code, out := run(t, args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d", code, tc.want)
			}
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q", s)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(out, s) {
					t.Errorf("output contains %q", s)
				}
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// TestCompareInputErrors checks that bad input and bad flags give exit 2
// and a message, never a panic.
func TestCompareInputErrors(t *testing.T) {
	good := file(pkgA, b(health, "ns/op", noise(1, 10, 100, 0.03)))
	tests := []struct {
		name     string
		old, new string
		contains string
	}{
		{"empty file", "", good, "no benchmark results"},
		{"only headers", "goos: linux\npkg: x\nPASS\n", good, "no benchmark results"},
		{"bad iteration count", good, good + "BenchmarkX-2 \t abc\t 12 ns/op\n", "new.txt:"},
		{"missing unit", good, "BenchmarkX-2 \t 10\t 12\n", "missing units"},
		{"bad measurement", "BenchmarkX-2 \t 10\t 1x2 ns/op\n", good, "parsing measurement"},
		{"non-finite measurement", "BenchmarkX-2 \t 10\t NaN ns/op\n", good, "non-finite"},
		{"unit twice on a line", "BenchmarkX-2 \t 10\t 1 ns/op\t 2 ns/op\n", good, "reported twice"},
		{"binary garbage", "\x00\xff\xfeBenchmark\x00 \x01\n\xff", good, "benchgate:"},
		{"bad unit metadata", "Unit ns/op better\n" + good, good, "expected key=value"},
		{"conflicting unit metadata", "Unit x better=lower\nUnit x better=higher\n" + good, good, "already set"},
		{"no benchmark in common", file(pkgA, b("BenchmarkA-2", "ns/op", rep(10, 1))), file(pkgA, b("BenchmarkB-2", "ns/op", rep(10, 1))), "nothing to compare"},
		{"bad -threshold", good, good, "threshold"},
		{"bad -missing", good, good, "-missing"},
		{"bad -alpha", good, good, "alpha"},
		{"bad -filter", good, good, "-filter"},
		{"bad -better", good, good, "better"},
	}
	flagsFor := map[string][]string{
		"bad -threshold": {"-threshold", "sec/op=fast"},
		"bad -missing":   {"-missing", "sometimes"},
		"bad -alpha":     {"-alpha", "1.5"},
		"bad -filter":    {"-filter", "("},
		"bad -better":    {"-better", "sec/op=sideways"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths := writeFiles(t, "old.txt", tc.old, "new.txt", tc.new)
			args := append(append([]string{"compare"}, flagsFor[tc.name]...), paths...)
			code, out := run(t, args...)
			if code != ExitNoJudge {
				t.Errorf("exit %d, want %d", code, ExitNoJudge)
			}
			if !strings.Contains(out, tc.contains) {
				t.Errorf("output lacks %q", tc.contains)
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("output:\n%s", out)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if code, _ := run(t, "compare", "/nonexistent/old.txt", "/nonexistent/new.txt"); code != ExitNoJudge {
			t.Errorf("exit %d, want 2", code)
		}
	})
	t.Run("wrong argument count", func(t *testing.T) {
		if code, _ := run(t, "compare", "one.txt"); code != ExitNoJudge {
			t.Errorf("exit %d, want 2", code)
		}
	})
	t.Run("unknown command", func(t *testing.T) {
		if code, _ := run(t, "frobnicate"); code != ExitNoJudge {
			t.Errorf("exit %d, want 2", code)
		}
	})
}

// TestNoiseIsNotFlagged draws both sides from the same distribution many
// times; the default gate must never call that a regression.
func TestNoiseIsNotFlagged(t *testing.T) {
	opt := DefaultCompareOptions()
	for seed := uint64(0); seed < 300; seed++ {
		old, err := Read(strings.NewReader(file(pkgA, b(health, "ns/op", noise(2*seed+100, 10, 100, 0.03)))), "old")
		if err != nil {
			t.Fatal(err)
		}
		cur, err := Read(strings.NewReader(file(pkgA, b(health, "ns/op", noise(2*seed+101, 10, 100, 0.03)))), "new")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Compare(old, cur, opt)
		if err != nil {
			t.Fatal(err)
		}
		if rep.ExitCode() != ExitPass {
			t.Fatalf("seed %d: noise judged as %v: %+v", seed, rep.Rows[0].Verdict, rep.Rows[0])
		}
	}
}

// TestRegressionIsCaught is the converse: a 20% shift under the same
// noise is caught every time with 10 samples per side.
func TestRegressionIsCaught(t *testing.T) {
	opt := DefaultCompareOptions()
	for seed := uint64(0); seed < 100; seed++ {
		old, _ := Read(strings.NewReader(file(pkgA, b(health, "ns/op", noise(2*seed+100, 10, 100, 0.03)))), "old")
		cur, _ := Read(strings.NewReader(file(pkgA, b(health, "ns/op", noise(2*seed+101, 10, 120, 0.03)))), "new")
		rep, err := Compare(old, cur, opt)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows[0].Verdict != Regressed || rep.ExitCode() != ExitFail {
			t.Fatalf("seed %d: 20%% regression judged %v", seed, rep.Rows[0].Verdict)
		}
	}
}

// TestMinSamplesFor checks the closed form against the research notes
// and against benchmath itself: with MinSamplesFor(alpha) maximally
// separated samples per side the U-test reaches p < alpha, with one
// fewer it cannot.
func TestMinSamplesFor(t *testing.T) {
	for _, tc := range []struct {
		alpha float64
		want  int
	}{{0.05, 4}, {0.01, 5}, {0.001, 7}, {0.1, 4}, {0.2, 3}} {
		n := MinSamplesFor(tc.alpha)
		if n != tc.want {
			t.Errorf("MinSamplesFor(%v) = %d, want %d", tc.alpha, n, tc.want)
		}
		thr := &benchmath.Thresholds{CompareAlpha: tc.alpha}
		sep := func(n int) float64 {
			lo, hi := make([]float64, n), make([]float64, n)
			for i := range lo {
				lo[i], hi[i] = float64(i), float64(100+i)
			}
			return benchmath.AssumeNothing.Compare(benchmath.NewSample(lo, thr), benchmath.NewSample(hi, thr)).P
		}
		if p := sep(n); !(p < tc.alpha) {
			t.Errorf("alpha %v: %d samples give p=%v, not < alpha", tc.alpha, n, p)
		}
		if p := sep(n - 1); p < tc.alpha {
			t.Errorf("alpha %v: %d samples already give p=%v", tc.alpha, n-1, p)
		}
	}
}

func TestStripProcs(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkHealth/impl=model/pos=10-2": "BenchmarkHealth/impl=model/pos=10",
		"BenchmarkHealth/impl=model/pos=10":   "BenchmarkHealth/impl=model/pos=10",
		"BenchmarkScan/impl=float64/g=2-16":   "BenchmarkScan/impl=float64/g=2",
		"BenchmarkX-":                         "BenchmarkX-",
		"BenchmarkX":                          "BenchmarkX",
	} {
		if got := StripProcs(in); got != want {
			t.Errorf("StripProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseThresholds(t *testing.T) {
	got, err := ParseThresholds("ns/op=3%, B/op:0.2, *=0.5, ns/position=0.07", DefaultThresholds)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"sec/op": 0.03, "B/op": 0.2, "allocs/op": 0, "*": 0.5, "sec/position": 0.07}
	for k, v := range want {
		if math.Abs(got[k]-v) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if DefaultThresholds["sec/op"] != 0.05 {
		t.Error("ParseThresholds modified its base")
	}
	for _, bad := range []string{"sec/op", "sec/op=", "=0.1", "sec/op=-1", "sec/op=NaN", "sec/op=x%"} {
		if _, err := ParseThresholds(bad, nil); err == nil {
			t.Errorf("ParseThresholds(%q) succeeded", bad)
		}
	}
}

func TestBetter(t *testing.T) {
	for unit, want := range map[string]int{
		"sec/op": -1, "B/op": -1, "allocs/op": -1, "B/s": 1,
		"sec/position": -1, "B/position": -1, "ops/s": 1, "widgets": 0,
		"cpu-sec/op": -1, "cpu-sec/position": -1, "heap-B/op": -1, "mysec/op": 0, "sec": 0,
	} {
		if got := Better(unit, nil); got != want {
			t.Errorf("Better(%q) = %d, want %d", unit, got, want)
		}
	}
	if got := Better("sec/op", map[string]int{"sec/op": 1}); got != 1 {
		t.Errorf("override ignored: %d", got)
	}
}

func TestFilterMatchesNameWithoutProcs(t *testing.T) {
	base := noise(1, 10, 100, 0.03)
	old, _ := Read(strings.NewReader(file(pkgA, b(health, "ns/op", base))), "old")
	cur, _ := Read(strings.NewReader(file(pkgA, b(health, "ns/op", base))), "new")
	opt := DefaultCompareOptions()
	opt.Filter = regexp.MustCompile(`pos=10$`)
	rep, err := Compare(old, cur, opt)
	if err != nil || len(rep.Rows) != 1 {
		t.Fatalf("rows %d, err %v", len(rep.Rows), err)
	}
}
