package properties_test

import (
	"fmt"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
)

// myEngine stands for another team's margin engine. Its adapter turns a
// scenario into its own input and its output back into a model.Report; here
// it simply calls perpcheck's model.
type myEngine struct{}

func (myEngine) Evaluate(s *model.Scenario) (*model.Report, error) { return model.Evaluate(s) }

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
	// 24 passed, 0 failed, 5 not run
	// LIQ-1/isolated-leverage: needs isolated, which the engine does not declare
	// LIQ-1/isolated-margin: needs isolated, which the engine does not declare
	// POOL-2/isolated-independence: needs isolated, which the engine does not declare
	// MARK-5/computed-equals-given: needs computed-mark, which the engine does not declare
	// MARK-3/computed-mark: needs computed-mark, which the engine does not declare
}
