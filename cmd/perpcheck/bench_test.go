package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// benchLine is a result line of Go's benchmark format
// (golang.org/x/perf/benchfmt, as go test -bench prints it): a name without
// spaces starting with "Benchmark", the iteration count, then value-unit
// pairs. The ci module parses perpcheck bench's output with benchfmt itself
// (ci/examples); this module has no golang.org/x/perf dependency.
var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)((?:\s+\S+\s+\S+)+)\s*$`)

// configLine is a benchfmt configuration line: a key starting with a lower
// case letter, without spaces or upper case letters, ": ", a value.
var configLine = regexp.MustCompile(`^[a-z][^\sA-Z:]*: \S.*$`)

// parseBench checks that out is Go benchmark format and returns, per
// benchmark name (without the -GOMAXPROCS suffix), how many result lines
// it has and the units of the first.
func parseBench(t *testing.T, out string) (counts map[string]int, units map[string][]string) {
	t.Helper()
	counts, units = map[string]int{}, map[string][]string{}
	gomaxprocs := regexp.MustCompile(`-\d+$`)
	for i, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l == "" || configLine.MatchString(l) {
			continue
		}
		m := benchLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %d is neither a benchmark result nor a configuration line: %q", i+1, l)
		}
		if n, err := strconv.Atoi(m[2]); err != nil || n < 1 {
			t.Errorf("line %d: iterations %q", i+1, m[2])
		}
		fields := strings.Fields(m[3])
		var us []string
		for k := 0; k < len(fields); k += 2 {
			if _, err := strconv.ParseFloat(fields[k], 64); err != nil {
				t.Errorf("line %d: value %q is not a number", i+1, fields[k])
			}
			us = append(us, fields[k+1])
		}
		name := gomaxprocs.ReplaceAllString(m[1], "")
		if counts[name] == 0 {
			units[name] = us
		}
		counts[name]++
	}
	return counts, units
}

// caseNames are the harness's benchmark names for impl.
func caseNames(impl string) []string {
	return []string{
		"BenchmarkHealth/impl=" + impl + "/pos=1", "BenchmarkHealth/impl=" + impl + "/pos=10", "BenchmarkHealth/impl=" + impl + "/pos=100",
		"BenchmarkLiqPrice/impl=" + impl + "/mode=isolated", "BenchmarkLiqPrice/impl=" + impl + "/mode=cross",
		"BenchmarkLedger/impl=" + impl + "/event=trade",
		"BenchmarkLedger/impl=" + impl + "/event=funding/accounts=100",
		"BenchmarkLedger/impl=" + impl + "/event=cascade/accounts=100",
	}
}

// TestBenchEngineServe times "perpcheck serve" through perpcheck/1 beside
// the in-process model: the output is Go benchmark format with every case
// of both impls, -count times each, ns/op, B/op and allocs/op on every line
// (no timing is asserted: -benchtime 1x runs each case once).
func TestBenchEngineServe(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"bench", "-engine", selfServe(t, "model"), "-impl", "model", "-benchtime", "1x", "-count", "2"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	counts, units := parseBench(t, out.String())
	want := append(caseNames("model"), caseNames("perpcheck-model")...)
	for _, n := range want {
		if counts[n] != 2 {
			t.Errorf("%s: %d result lines, want 2", n, counts[n])
		}
		for _, u := range []string{"ns/op", "B/op", "allocs/op"} {
			if !strings.Contains(" "+strings.Join(units[n], " ")+" ", " "+u+" ") {
				t.Errorf("%s: no %s (units %v)", n, u, units[n])
			}
		}
	}
	if len(counts) != len(want) {
		t.Errorf("%d benchmarks, want %d: %v", len(counts), len(want), counts)
	}
	for _, c := range []string{"goos: ", "goarch: ", "perpcheck-engine: ", "perpcheck-engine-info: perpcheck-model "} {
		if !strings.Contains(out.String(), "\n"+c) && !strings.HasPrefix(out.String(), c) {
			t.Errorf("no configuration line %q in:\n%s", c, out.String())
		}
	}
}

// TestBenchModelDefault: without -engine, perpcheck bench times the
// in-process model; -run selects cases by their full name; -name renames
// the engine.
func TestBenchModelDefault(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"bench", "-benchtime", "1x", "-run", "Health"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	counts, _ := parseBench(t, out.String())
	if len(counts) != 3 || counts["BenchmarkHealth/impl=model/pos=10"] != 1 {
		t.Errorf("want the 3 Health cases of the model once, got %v", counts)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"bench", "-engine", selfServe(t, "reference"), "-name", "theirs", "-benchtime", "1x", "-run", "/event=trade"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	counts, _ = parseBench(t, out.String())
	if len(counts) != 1 || counts["BenchmarkLedger/impl=theirs/event=trade"] != 1 {
		t.Errorf("want BenchmarkLedger/impl=theirs/event=trade once, got %v", counts)
	}
}

// TestBenchUsage: bad flags exit 2 with a message; -h exits 0.
func TestBenchUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bench", "-count", "0"}, 2, "-count must be at least 1"},
		{[]string{"bench", "-benchtime", "soon"}, 2, "-benchtime"},
		{[]string{"bench", "-impl", "float64"}, 2, "want model or reference"},
		{[]string{"bench", "-run", "("}, 2, "-run"},
		{[]string{"bench", "-run", "^NoSuchBenchmark$", "-benchtime", "1x"}, 2, "no case ran"},
		{[]string{"bench", "-engine", "'unterminated"}, 2, "-engine"},
		{[]string{"bench", "-engine", selfServe(t, "model"), "-name", "a/b"}, 2, "impl name"},
		{[]string{"bench", "extra"}, 2, "usage: perpcheck bench"},
		{[]string{"bench", "-h"}, 0, "usage: perpcheck bench"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, nil, &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.msg) {
			t.Errorf("%v: exit %d, output %q; want exit %d and %q", tc.args, code, out.String()+errb.String(), tc.code, tc.msg)
		}
	}
}

// TestImplLabel: engine names become valid impl= names.
func TestImplLabel(t *testing.T) {
	for _, tc := range []struct {
		engine string
		taken  []string
		want   string
	}{
		{"my-engine", nil, "my-engine"},
		{"my engine/v2=x", nil, "my-engine-v2-x"},
		{"", nil, "engine"},
		{"model", []string{"model"}, "proto:model"},
		{"é", nil, "-"},
	} {
		if got := implLabel(tc.engine, tc.taken); got != tc.want {
			t.Errorf("implLabel(%q, %v) = %q, want %q", tc.engine, tc.taken, got, tc.want)
		}
	}
}
