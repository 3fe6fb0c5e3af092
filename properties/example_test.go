package properties_test

import (
	"fmt"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// myEngine stands for another team's margin engine. Its adapter turns a
// scenario into its own input and its output back into a model.Report; here
// it simply calls perpcheck's model.
type myEngine struct{}

func (myEngine) Evaluate(s *spec.Scenario) (*spec.Report, error) { return model.Evaluate(s) }

// An adapter is a Factory: a fresh engine and the capabilities it has. In a
// test, call properties.Run(t, factory); outside go test, properties.Check.
func Example() {
	factory := func() (properties.Engine, []properties.Capability) {
		// A cross-only engine with given marks: the isolated, entry-basis and
		// computed-mark properties are reported as not run.
		return myEngine{}, []properties.Capability{properties.CapErrorPaths}
	}
	res, err := properties.Check(factory, properties.Checks(20), properties.Seed(7))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d passed, %d failed, %d not run\n", res.Passed, res.Failed, res.Skipped)
	for _, nr := range res.NotRun() {
		fmt.Println(nr)
	}
	// Output:
	// 24 passed, 0 failed, 11 not run
	// LIQ-1/isolated-leverage: needs isolated, which the engine does not declare
	// LIQ-1/isolated-margin: needs isolated, which the engine does not declare
	// POOL-2/isolated-independence: needs isolated, which the engine does not declare
	// MARK-5/computed-equals-given: needs computed-mark, which the engine does not declare
	// MARK-3/computed-mark: needs computed-mark, which the engine does not declare
	// LED-4/stateful-invariants: needs ledger, which the engine does not declare
	// LED-6/differential-ledger: needs ledger, which the engine does not declare
	// TRD-2/split-vs-whole: needs ledger, which the engine does not declare
	// FND-3/funding-split: needs funding, ledger, which the engine does not declare
	// LED-8/determinism-and-reload: needs ledger, which the engine does not declare
	// LED-9/path-independence: needs ledger, which the engine does not declare
}

// A ledger adapter: NewEngine pairs the query with a constructor of ledgers
// (Apply an event, return the State); declaring CapLedger runs the ledger
// properties. This engine has no funding, so funding events are not
// generated and the funding property is reported as not run; without CapADL
// the generated insurance funds are deep enough that no loss reaches ADL.
func ExampleNewEngine() {
	newLedger := func(st *spec.State) (properties.Ledger, error) {
		l, err := model.NewLedger(st) // your engine's constructor here
		if err != nil {
			return nil, err
		}
		return l, nil
	}
	factory := func() (properties.Engine, []properties.Capability) {
		caps := append(properties.QueryCapabilities(), properties.CapLedger)
		return properties.NewEngine(model.Evaluate, newLedger), caps
	}
	res, err := properties.Check(factory, properties.Only("^(LED|TRD|FND)-"), properties.Checks(20), properties.Seed(7))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d passed, %d failed, %d not run\n", res.Passed, res.Failed, res.Skipped)
	for _, nr := range res.NotRun() {
		fmt.Println(nr)
	}
	// Output:
	// 5 passed, 0 failed, 1 not run
	// FND-3/funding-split: needs funding, which the engine does not declare
}
