package properties

import (
	"sort"
	"strings"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
)

// Engine is what an implementation under test provides: the query of SPEC
// EVAL/RPT. Evaluate must treat s as read-only (EVAL-1) and return either a
// report or an error, never both. The suite asks its Factory for one fresh
// Engine per property, so an Engine need not be safe for concurrent use.
//
// The ledger layer of the suite (SPEC LED, TRD, FND, LQ, ADL) will add a
// second interface that an Engine may also implement; properties that need it
// declare CapLedger (and CapADL, CapFunding) and are reported as not run for
// engines without it.
type Engine interface {
	Evaluate(s *model.Scenario) (*model.Report, error)
}

// LedgerEngine is the slot of the ledger layer of the suite (next): an Engine
// that declares CapLedger also implements it, and the stateful properties
// (rapid's T.Repeat over events, with conservation, open interest and the
// model-vs-reference comparison of effects and states as the invariant) will
// drive the Ledger it returns. The reference's *reference.Ledger has this
// method set. No property uses it yet.
type LedgerEngine interface {
	NewLedger(st *model.State) (Ledger, error)
}

// Ledger is a ledger under test (SPEC LED-1..8): it applies events
// atomically and deterministically and returns their effects.
type Ledger interface {
	Apply(ev model.Event) ([]model.Effect, error)
	State() *model.State
}

// EngineFunc adapts a function to Engine.
type EngineFunc func(s *model.Scenario) (*model.Report, error)

// Evaluate calls f(s).
func (f EngineFunc) Evaluate(s *model.Scenario) (*model.Report, error) { return f(s) }

// Capability is an optional feature of an engine. A property that needs a
// capability the engine does not declare is not run, and says so: a skipped
// subtest in Run, a SKIP row with the missing capabilities in Check's Result.
// Generators leave out what the engine cannot do (without CapIsolated, every
// generated position is cross), so the remaining properties still run.
type Capability string

// The capabilities.
const (
	// CapIsolated: isolated margin (POS-5, POOL-2, POOL-6).
	CapIsolated Capability = "isolated"
	// CapEntryBasis: maintenance margin on the entry notional (mmBasis
	// "entry", MKT-3).
	CapEntryBasis Capability = "entry-basis"
	// CapComputedMark: a mark computed from index, last and funding
	// (MARK-2..4) when a scenario gives no mark.
	CapComputedMark Capability = "computed-mark"
	// CapErrorPaths: bad input is a *model.Error whose Path and Rule are
	// those of SPEC EVAL-2/EVAL-3 (the first violation, at its JSON path).
	// Without it, the suite only checks that bad input is an error.
	CapErrorPaths Capability = "error-paths"
	// CapLedger, CapADL and CapFunding are for the ledger layer of the
	// suite (events, liquidation process, auto-deleveraging, funding).
	CapLedger  Capability = "ledger"
	CapADL     Capability = "adl"
	CapFunding Capability = "funding"
)

// QueryCapabilities are every capability the query properties use: an engine
// that implements all of SPEC's queries declares these.
func QueryCapabilities() []Capability {
	return []Capability{CapIsolated, CapEntryBasis, CapComputedMark, CapErrorPaths}
}

// Factory returns a fresh engine and the capabilities it has. The suite calls
// it once per property (and never concurrently unless Parallel is given).
type Factory func() (Engine, []Capability)

// Model is the Factory of perpcheck's fixed-point engine, model.Evaluate.
func Model() Factory {
	return func() (Engine, []Capability) { return EngineFunc(model.Evaluate), QueryCapabilities() }
}

// Reference is the Factory of the exact apd reference, reference.Evaluate.
// Run it with the Oracle option set to another implementation (e.g.
// model.Evaluate), since differential checks against itself prove nothing.
func Reference() Factory {
	return func() (Engine, []Capability) { return EngineFunc(reference.Evaluate), QueryCapabilities() }
}

// Mutant is a deliberately broken engine: the reference with one injected
// bug (reference.EvaluateWith). The suite must catch every mutant.
type Mutant struct {
	Name    string
	Factory Factory
}

// Mutants returns one Mutant per reference.Mutations, in that order.
func Mutants() []Mutant {
	var ms []Mutant
	for _, m := range reference.Mutations() {
		m := m
		ms = append(ms, Mutant{Name: string(m), Factory: func() (Engine, []Capability) {
			return EngineFunc(func(s *model.Scenario) (*model.Report, error) { return reference.EvaluateWith(s, m) }), QueryCapabilities()
		}})
	}
	return ms
}

// capSet is a set of capabilities.
type capSet map[Capability]bool

func newCapSet(cs []Capability) capSet {
	s := capSet{}
	for _, c := range cs {
		s[c] = true
	}
	return s
}

// missing returns the capabilities of need that s lacks, sorted.
func (s capSet) missing(need []Capability) []Capability {
	var out []Capability
	for _, c := range need {
		if !s[c] {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func capList(cs []Capability) string {
	ss := make([]string, len(cs))
	for i, c := range cs {
		ss[i] = string(c)
	}
	return strings.Join(ss, ", ")
}
