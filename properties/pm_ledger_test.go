package properties

import (
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestPMLedgerCoverage runs the PM ledger properties (SPEC PM-14..18)
// against the model and checks that their runs reach what they judge:
// portfolio liquidations whose first close is judged (PM-17), ADL and
// insurance on portfolio pools, and risk-increasing portfolio trades both
// accepted and rejected by TRD-5 (PM-15).
func TestPMLedgerCoverage(t *testing.T) {
	eng, caps := Model()()
	e := newEnv(eng, newCapSet(caps), &Config{})
	e.stats = &ledgerStats{}
	defer setRapidFlags(&Config{Cases: 200, Seed: 14}, true, false, true)()
	rapid.Check(t, propPMSweepOrder(e))
	rapid.Check(t, propPMTradeIM(e))
	for _, k := range slices.Sorted(maps.Keys(e.stats.n)) {
		t.Logf("%6d  %s", e.stats.n[k], k)
	}
	for _, want := range []string{
		"liquidation portfolio", "boundary PM-17 first close judged",
		"boundary PM-15 judged, rejected false", "boundary PM-15 judged, rejected true",
	} {
		if e.stats.n[want] == 0 {
			t.Errorf("the PM ledger runs never had %q", want)
		}
	}
}
