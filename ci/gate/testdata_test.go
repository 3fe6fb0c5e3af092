package gate

import (
	"strings"
	"testing"
)

// testdata/old.txt and new.txt are ten interleaved runs of two benchmark
// binaries each (packages bench and bench/scan), in go test's format with
// its goos/goarch/pkg/cpu and PASS lines, and a custom ns/position unit.
// In new.txt, impl=model/pos=100 is 12% slower and Scan/impl=model 20%
// faster; everything else is drawn from the same ±2% distribution.
func TestCommittedTestdata(t *testing.T) {
	old, err := ReadFiles("testdata/old.txt")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := ReadFiles("testdata/new.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Benchmarks) != 8 {
		t.Fatalf("read %d benchmarks, want 8", len(old.Benchmarks))
	}
	for _, tc := range []struct {
		name     string
		old, new *Results
		want     map[string]Verdict // "name unit" -> verdict; others must be Same
		code     int
	}{
		{"old vs new", old, cur, map[string]Verdict{
			"BenchmarkHealth/impl=model/pos=100-2 sec/op":       Regressed,
			"BenchmarkHealth/impl=model/pos=100-2 sec/position": Regressed,
			"BenchmarkScan/impl=model/g=2-2 sec/op":             Improved,
		}, ExitFail},
		{"new vs old", cur, old, map[string]Verdict{
			"BenchmarkHealth/impl=model/pos=100-2 sec/op":       Improved,
			"BenchmarkHealth/impl=model/pos=100-2 sec/position": Improved,
			"BenchmarkScan/impl=model/g=2-2 sec/op":             Regressed,
		}, ExitFail},
		{"old vs old", old, old, nil, ExitPass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Compare(tc.old, tc.new, DefaultCompareOptions())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Rows) != 6*4+2*3 {
				t.Errorf("%d rows, want 30", len(rep.Rows))
			}
			for _, row := range rep.Rows {
				want, ok := tc.want[row.Name+" "+row.Unit]
				if !ok {
					want = Same
				}
				if row.Verdict != want {
					t.Errorf("%s %s: %v, want %v (delta %+.2f%%, p %.3f)", row.Name, row.Unit, row.Verdict, want, 100*row.Delta, row.P)
				}
			}
			if got := rep.ExitCode(); got != tc.code {
				t.Errorf("exit %d, want %d", got, tc.code)
			}
		})
	}
	t.Run("testdata budgets on new.txt", func(t *testing.T) {
		code, out := run(t, "budget", "-budgets", "testdata/budgets.txt", "testdata/new.txt")
		if code != ExitPass || !strings.Contains(out, "4 pass, 0 fail, 0 error") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
}
