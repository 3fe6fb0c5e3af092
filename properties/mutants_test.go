package properties_test

import (
	"testing"
	"time"

	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/properties"
)

// TestMutantsCaught runs the suite against every mutant of the reference
// (internal/mutation: a rounding flipped, MM on the entry notional, a
// <= trigger, the wrong tier, liquidation prices rounded toward the mark,
// cross liquidation prices ignoring the other positions, an isolated pool
// using the wallet, a silent int64 wrap, input mutation, no tier leverage cap,
// a mark taken from the last price) with the default budget, and checks that
// each is caught (mutants.Mutant.Targets: a ledger mutant only by the ledger
// properties). The differential properties are excluded: the suite's own
// invariants must catch every mutant without the reference's help.
func TestMutantsCaught(t *testing.T) {
	// The default budget, 100 cases per query property and 300 runs per
	// ledger property (verify's -mutant-checks and its ledger share), also
	// under -short (where rapid divides the number of checks by 5): with 20,
	// two of the query mutants survive about one run in 25; with 100 ledger
	// runs, adl-rank-by-pnl survived about one in six.
	// A fixed seed: some mutants are caught late in the budget
	// (cross-close-all and zero-basis-kept after up to 293 of 300 runs), so
	// a random seed would fail CI by chance now and then; `perpcheck verify`
	// and the fuzz targets explore other seeds.
	const seed = 1
	checks := 100
	if testing.Short() {
		checks *= 5
	}
	for _, m := range mutants.All() {
		t.Run(m.Name, func(t *testing.T) {
			res, err := properties.Check(m.Factory, &properties.Config{Cases: checks, Runs: 3 * checks,
				Select: m.Targets, FailFast: true, Seed: seed,
				ShrinkTime: 200 * time.Millisecond, Parallel: 2})
			if err == nil {
				t.Fatalf("mutant %s survived the suite (%d properties passed)", m.Name, res.Passed)
			}
			for _, p := range res.Properties {
				if p.Status == properties.Fail {
					t.Logf("%s caught by %s after %d cases: %s", m.Name, p.ID, p.Cases, p.Failure.Message)
				}
			}
		})
	}
}
