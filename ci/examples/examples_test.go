// Package examples holds the example CI files for a downstream engine's
// repository (downstream-bench.yml and its budget files) and the test that
// perpcheck bench's output is Go benchmark format that benchstat and
// benchgate read, and that the example budget files are valid.
package examples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/perpcheck/perpcheck/ci/gate"
)

// TestPerpcheckBenchIsBenchfmt builds perpcheck, times "perpcheck serve"
// (the model behind perpcheck/1) beside the in-process model with
// -benchtime 1x, reads the output with golang.org/x/perf/benchfmt (no
// syntax error; every case of both impls twice, with ns/op, B/op and
// allocs/op; the engine's configuration lines), and runs benchgate budget
// with engine-budgets.txt on it: every rule must match (exit 0 or 1; the
// verdicts are timings of single iterations, so they are not asserted).
func TestPerpcheckBenchIsBenchfmt(t *testing.T) {
	dir := t.TempDir()
	pc := filepath.Join(dir, "perpcheck")
	build := exec.Command("go", "build", "-o", pc, "./cmd/perpcheck")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/perpcheck: %v\n%s", err, out)
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(pc, "bench", "-engine", "'"+pc+"' serve", "-name", "engine", "-impl", "model", "-benchtime", "1x", "-count", "2")
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("perpcheck bench: %v\n%s", err, errb.String())
	}
	counts := map[string]int{}
	units := map[string]map[string]bool{}
	config := map[string]string{}
	r := benchfmt.NewReader(bytes.NewReader(out.Bytes()), "bench.txt")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt: %v", rec)
		case *benchfmt.Result:
			name := "Benchmark" + gate.StripProcs(string(rec.Name.Full())) // benchfmt drops the prefix
			counts[name]++
			units[name] = map[string]bool{}
			for _, v := range rec.Values {
				u := v.OrigUnit // set when benchfmt tidied the unit (ns/op to sec/op)
				if u == "" {
					u = v.Unit
				}
				units[name][u] = true
			}
			for _, c := range rec.Config {
				config[c.Key] = string(c.Value)
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, impl := range []string{"model", "engine"} {
		want = append(want,
			"BenchmarkHealth/impl="+impl+"/pos=1", "BenchmarkHealth/impl="+impl+"/pos=10", "BenchmarkHealth/impl="+impl+"/pos=100",
			"BenchmarkLiqPrice/impl="+impl+"/mode=isolated", "BenchmarkLiqPrice/impl="+impl+"/mode=cross",
			"BenchmarkLedger/impl="+impl+"/event=trade", "BenchmarkLedger/impl="+impl+"/event=funding/accounts=100",
			"BenchmarkLedger/impl="+impl+"/event=cascade/accounts=100")
	}
	for _, n := range want {
		if counts[n] != 2 {
			t.Errorf("%s: %d results, want 2", n, counts[n])
		}
		for _, u := range []string{"ns/op", "B/op", "allocs/op"} {
			if !units[n][u] {
				t.Errorf("%s: no %s", n, u)
			}
		}
	}
	if len(counts) != len(want) {
		t.Errorf("%d benchmarks, want %d: %v", len(counts), len(want), counts)
	}
	if !strings.HasPrefix(config["perpcheck-engine-info"], "perpcheck-model ") || config["goos"] == "" {
		t.Errorf("configuration %v lacks goos or perpcheck-engine-info", config)
	}
	res := filepath.Join(dir, "bench.txt")
	if err := os.WriteFile(res, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var gout, gerr bytes.Buffer
	code := gate.Main([]string{"budget", "-budgets", "engine-budgets.txt", res}, &gout, &gerr)
	if code != 0 && code != 1 {
		t.Errorf("benchgate budget engine-budgets.txt: exit %d (a rule matches nothing or the input is malformed)\n%s%s", code, gout.String(), gerr.String())
	}
	if !strings.Contains(gout.String(), "8 pass") && !strings.Contains(gout.String(), "fail, 0 error") {
		t.Errorf("benchgate budget did not judge the 8 ratios:\n%s", gout.String())
	}
}

// TestBudgetFilesParse: the example budget files are valid benchgate budget
// files with the rules their comments describe.
func TestBudgetFilesParse(t *testing.T) {
	for _, tc := range []struct {
		file  string
		rules int
	}{{"engine-budgets.txt", 4}, {"go-engine-budgets.txt", 6}} {
		f, err := os.Open(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := gate.ParseBudgets(f, tc.file)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
		} else if len(bs) != tc.rules {
			t.Errorf("%s: %d rules, want %d", tc.file, len(bs), tc.rules)
		}
	}
}
