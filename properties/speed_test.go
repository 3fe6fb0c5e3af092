package properties_test

import (
	"testing"

	"github.com/perpcheck/perpcheck/properties"
)

// BenchmarkLedgerProperties runs LED-4/stateful-invariants and
// LED-6/differential-ledger against the model at a fixed seed and budget
// (40 runs each): the workload of the profile in issue 10. Compare runs with
// benchstat (see SPEEDUP.md).
func BenchmarkLedgerProperties(b *testing.B) {
	led46 := func(p properties.Property) bool {
		return p.ID == "LED-4/stateful-invariants" || p.ID == "LED-6/differential-ledger"
	}
	for i := 0; i < b.N; i++ {
		res, err := properties.Check(properties.Model(), &properties.Config{Select: led46, Cases: 40, Seed: 7})
		if err != nil {
			b.Fatal(err)
		}
		if res.Passed != 2 {
			b.Fatalf("%d properties passed, want 2", res.Passed)
		}
	}
}
