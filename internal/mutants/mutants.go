// Package mutants holds the engines the conformance suite is itself tested
// against: the exact reference as a properties.Factory, and one Factory per
// mutant of the mutation catalogue (internal/mutation), the reference with
// one injected bug. The suite's own tests and "perpcheck
// verify" run the suite against every one of them; each must be caught.
package mutants

import (
	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// Mutant is a deliberately broken engine.
type Mutant struct {
	Name    string
	Factory properties.Factory
	// Ledger is true for a ledger mutant: its query is the reference's, so
	// only the ledger properties can catch it.
	Ledger bool
}

// Targets says whether the suite's property p is run against m to catch
// it: every property but the differential ones (the suite's own invariants
// must catch every mutant without the reference's help), and for a ledger
// mutant only the ledger properties.
func (m Mutant) Targets(p properties.Property) bool {
	return !p.Differential && (p.Ledger || !m.Ledger)
}

// All returns one Mutant per query mutation (mutation.Evaluate with the
// reference ledger) and then one per ledger mutation (reference.Evaluate
// with mutation.NewLedger), in the orders of mutation.Query and
// mutation.Ledger. Every mutant declares every capability.
func All() []Mutant {
	var ms []Mutant
	for _, m := range append(mutation.Query(), mutation.Ledger()...) {
		ms = append(ms, Mutant{Name: string(m), Ledger: mutation.IsLedger(m), Factory: func() (properties.Engine, []properties.Capability) {
			return engine{m}, properties.AllCapabilities()
		}})
	}
	return ms
}

// engine is the reference with the bug m (none when m is empty).
type engine struct{ m mutation.Mutation }

func (e engine) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	if e.m == "" || mutation.IsLedger(e.m) {
		return reference.Evaluate(s)
	}
	return mutation.Evaluate(s, e.m)
}

func (e engine) NewLedger(st *spec.State) (properties.LedgerSession, error) {
	if e.m != "" && mutation.IsLedger(e.m) {
		return mutation.NewLedger(st, e.m)
	}
	return reference.NewLedger(st)
}

// Reference is the Factory of the exact reference (reference.Evaluate and
// reference.NewLedger) with every capability. Run the suite on it with an
// Oracle other than the reference (e.g. the model's): differential checks
// against itself prove nothing.
func Reference() properties.Factory {
	return func() (properties.Engine, []properties.Capability) {
		return engine{}, properties.AllCapabilities()
	}
}
