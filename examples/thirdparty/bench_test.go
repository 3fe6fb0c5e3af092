package thirdparty

import (
	"flag"
	"testing"

	"github.com/perpcheck/perpcheck/bench"
	"github.com/perpcheck/perpcheck/properties"
)

// BenchmarkEngines times this engine beside perpcheck's model on perpcheck's
// benchmark scenarios (package bench's harness: the same deterministic data
// for both, checked against the model before timing). Compare them with
//
//	go test -run='^$' -bench=. -benchmem -count=10 . > bench.txt
//	benchstat -col /impl bench.txt
//
// which prints one row per scenario (Engines/Health/pos=10, ...) and a
// column per impl.
func BenchmarkEngines(b *testing.B) {
	bench.Run(b, "model", properties.Model())
	bench.Run(b, "thirdparty", Factory)
}

// TestBenchHarness runs each of the harness's cases once against this
// engine (-test.benchtime=1x for Case.Benchmark), as a plain test: every
// case runs, none is skipped (the engine declares every capability and has
// a ledger), and each agrees with the model on its data, or the case fails
// with the difference.
func TestBenchHarness(t *testing.T) {
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", "1x"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("test.benchtime", old)
	cs, err := bench.Cases("thirdparty", Factory)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		r, err := c.Benchmark()
		if err != nil {
			t.Errorf("%s/%s: %v", c.Group, c.Name, err)
		} else if r.N != 1 {
			t.Errorf("%s/%s: N = %d, want 1", c.Group, c.Name, r.N)
		}
	}
}
