package properties

import (
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestLedgerGeneratorCoverage runs the stateful ledger property against the
// model and checks that the generated runs exercise what the ledger
// properties and mutants depend on: every event type applied and rejected,
// cross and isolated liquidations, insurance takeovers and payouts,
// auto-deleveraging, liquidation fees and funding.
func TestLedgerGeneratorCoverage(t *testing.T) {
	eng, caps := Model()()
	e := newEnv(eng, newCapSet(caps), &Config{})
	e.stats = &ledgerStats{}
	if testing.Short() {
		// -short divides rapid's cases by 5 and halves T.Repeat's steps;
		// keep about as many events as the default run.
		defer setRapidFlags(&Config{Cases: 1000}, true, false, true)()
	}
	rapid.Check(t, propLedgerInvariants(e))
	for _, k := range slices.Sorted(maps.Keys(e.stats.n)) {
		t.Logf("%6d  %s", e.stats.n[k], k)
	}
	for _, want := range []string{
		"applied deposit", "applied withdraw", "applied trade", "rejected trade", "applied price", "applied funding",
		"applied addMargin", "applied removeMargin", "applied setLeverage", "applied setMarginMode",
		"liquidation cross", "liquidation isolated", "fill liquidation", "fill adl",
		"posting insurance from wallet", "posting liquidation-fee from isolated", "posting liquidation-fee from wallet",
		"posting funding from isolated",
	} {
		if e.stats.n[want] == 0 {
			t.Errorf("the generated ledger runs never had %q", want)
		}
	}
}
