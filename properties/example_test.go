package properties_test

import (
	"fmt"
	"strings"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// myEngine stands for another team's margin engine. Its adapter turns a
// scenario into its own input and its output back into a spec.Report; here
// it simply calls perpcheck's model.
type myEngine struct{}

func (myEngine) Evaluate(s *spec.Scenario) (*spec.Report, error) { return model.Evaluate(s) }

// An adapter is a Factory: a fresh engine and the capabilities it has. In a
// test, call properties.Run(t, factory, nil); outside go test,
// properties.Check.
func Example() {
	factory := func() (properties.Engine, []properties.Capability) {
		// A cross-only engine with given marks and no ledger: the isolated,
		// entry-basis, computed-mark and ledger properties are reported as
		// not run.
		return myEngine{}, []properties.Capability{properties.CapErrorPaths}
	}
	res, err := properties.Check(factory, &properties.Config{Cases: 20, Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d passed, %d failed, %d not run\n", res.Passed, res.Failed, res.Skipped)
	for _, nr := range res.NotRun() {
		fmt.Println(nr)
	}
	// Output:
	// 25 passed, 0 failed, 32 not run
	// LIQ-1/isolated-leverage: needs isolated, which the engine does not declare
	// LIQ-1/isolated-margin: needs isolated, which the engine does not declare
	// POOL-2/isolated-independence: needs isolated, which the engine does not declare
	// POOL-5:at-equality/trigger: needs POOL-5:at-equality, which the engine does not declare
	// TIER-7:upper-inclusive/boundary-lookup: needs TIER-7:upper-inclusive, which the engine does not declare
	// TIER-8:flat/mm: needs TIER-8:flat, which the engine does not declare
	// TIER-3:half-initial/mm: needs TIER-3:half-initial, which the engine does not declare
	// QTY-4/explicit-imr: needs explicit-imr, which the engine does not declare
	// TIER-8:flat/short-jump: needs TIER-8:flat, isolated, which the engine does not declare
	// QTY-5:taker/mm: needs QTY-5:taker, which the engine does not declare
	// MARK-5/computed-equals-given: needs computed-mark, which the engine does not declare
	// MARK-3/computed-mark: needs computed-mark, which the engine does not declare
	// PM-9/differential: needs portfolio, which the engine does not declare
	// PM-1/validation: needs portfolio, which the engine does not declare
	// PM-3/no-offset-across-underlyings: needs portfolio, which the engine does not declare
	// PM-7/hedged-pair: needs portfolio, which the engine does not declare
	// PM-9/hedge-bound: needs portfolio, which the engine does not declare
	// PM-4/mirror: needs portfolio, which the engine does not declare
	// PM-9/monotone: needs portfolio, which the engine does not declare
	// PM-11/critical-moves: needs portfolio, which the engine does not declare
	// PM-9/report-consistent: needs portfolio, which the engine does not declare
	// PM-9/subadditive: needs portfolio, which the engine does not declare
	// PM-4/scale: needs portfolio, which the engine does not declare
	// LED-4/stateful-invariants: needs a LedgerEngine, which the engine does not implement
	// LED-6/differential-ledger: needs a LedgerEngine, which the engine does not implement
	// TRD-2/split-vs-whole: needs a LedgerEngine, which the engine does not implement
	// FND-3/funding-split: needs a LedgerEngine, which the engine does not implement
	// LED-8/determinism-and-reload: needs a LedgerEngine, which the engine does not implement
	// LED-9/path-independence: needs a LedgerEngine, which the engine does not implement
	// PM-17/sweep-order: needs a LedgerEngine, which the engine does not implement
	// PM-15/trade-im: needs a LedgerEngine, which the engine does not implement
	// MARK-2/ledger-price-event: needs a LedgerEngine, which the engine does not implement
}

// myLedgerEngine adds the ledger: an engine with a NewLedger method is a
// LedgerEngine, and the ledger properties run against it.
type myLedgerEngine struct{ myEngine }

// NewLedger starts a session of the engine's ledger on st. The
// constructor's results are returned as they are: when the error is
// non-nil, the suite ignores the session (no typed-nil guard needed).
func (myLedgerEngine) NewLedger(st *spec.State) (properties.LedgerSession, error) {
	return model.NewLedger(st) // your engine's constructor here
}

// A ledger adapter. This engine has no funding, so funding events are not
// generated and the funding property is reported as not run; without CapADL
// the generated insurance funds are deep enough that no loss reaches ADL.
func ExampleLedgerEngine() {
	factory := func() (properties.Engine, []properties.Capability) {
		return myLedgerEngine{}, []properties.Capability{
			properties.CapIsolated, properties.CapEntryBasis, properties.CapComputedMark, properties.CapErrorPaths,
		}
	}
	ledgerOnly := func(p properties.Property) bool { return p.Ledger }
	res, err := properties.Check(factory, &properties.Config{Select: ledgerOnly, Cases: 20, Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d passed, %d failed, %d not run\n", res.Passed, res.Failed, res.Skipped)
	for _, nr := range res.NotRun() {
		fmt.Println(nr)
	}
	// Output:
	// 6 passed, 0 failed, 3 not run
	// FND-3/funding-split: needs funding, which the engine does not declare
	// PM-17/sweep-order: needs portfolio, which the engine does not declare
	// PM-15/trade-im: needs portfolio, which the engine does not declare
}

// Properties lists the catalogue: ids, SPEC rules, what each checks.
func ExampleProperties() {
	n, ledger := 0, 0
	for _, p := range properties.Properties() {
		n++
		if p.Ledger {
			ledger++
		}
		if strings.HasPrefix(p.ID, "LIQ-6/") {
			fmt.Println(p.ID, p.Rules)
		}
	}
	fmt.Printf("%d properties, %d of them of the ledger\n", n, ledger)
	// Output:
	// LIQ-6/tick-agreement [LIQ-5 LIQ-6 POOL-5 MARK-5]
	// 57 properties, 9 of them of the ledger
}
