package properties

import (
	"sort"
	"strings"

	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// Engine is what an implementation under test provides: the query of SPEC
// EVAL/RPT. Evaluate must treat s as read-only (EVAL-1) and return either a
// report or an error, never both. The suite asks its Factory for one fresh
// Engine per property, so an Engine need not be safe for concurrent use.
//
// An Engine that declares CapLedger also implements LedgerEngine; the ledger
// properties (SPEC LED, TRD, FND, LQ, ADL) drive the ledgers it creates.
type Engine interface {
	Evaluate(s *spec.Scenario) (*spec.Report, error)
}

// LedgerEngine is the ledger boundary: an Engine that declares CapLedger
// implements it. NewLedger must not keep or modify st (LED-7), and returns
// either a ledger or an error (a *model.Error for an invalid state).
type LedgerEngine interface {
	NewLedger(st *spec.State) (Ledger, error)
}

// Ledger is a ledger under test (SPEC LED-1..9): Apply applies one event
// atomically and deterministically and returns its effects (a non-nil,
// possibly empty list) or a *model.Error and no effects, leaving the state
// unchanged (LED-7); State returns a copy of the current state. *model.Ledger
// and *reference.Ledger have this method set.
type Ledger interface {
	Apply(ev spec.Event) ([]spec.Effect, error)
	State() *spec.State
}

// NewEngine combines a query function and a ledger constructor into an
// Engine that also implements LedgerEngine (declare CapLedger for it).
// newLedger may be nil for a query-only engine.
func NewEngine(evaluate func(*spec.Scenario) (*spec.Report, error), newLedger func(*spec.State) (Ledger, error)) Engine {
	if newLedger == nil {
		return EngineFunc(evaluate)
	}
	return combined{evaluate, newLedger}
}

type combined struct {
	evaluate  func(*spec.Scenario) (*spec.Report, error)
	newLedger func(*spec.State) (Ledger, error)
}

func (c combined) Evaluate(s *spec.Scenario) (*spec.Report, error) { return c.evaluate(s) }
func (c combined) NewLedger(st *spec.State) (Ledger, error)        { return c.newLedger(st) }

// modelLedger and referenceLedger adapt the constructors (a typed nil
// pointer must not become a non-nil interface).
func modelLedger(st *spec.State) (Ledger, error) {
	l, err := model.NewLedger(st)
	if err != nil {
		return nil, err
	}
	return l, nil
}

func referenceLedger(st *spec.State) (Ledger, error) {
	l, err := reference.NewLedger(st)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// EngineFunc adapts a function to Engine.
type EngineFunc func(s *spec.Scenario) (*spec.Report, error)

// Evaluate calls f(s).
func (f EngineFunc) Evaluate(s *spec.Scenario) (*spec.Report, error) { return f(s) }

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
	// CapLedger: the engine implements LedgerEngine (SPEC LED, TRD, LQ):
	// events, effects, states, the liquidation sweep with insurance takeover.
	CapLedger Capability = "ledger"
	// CapFunding: funding events (FND). Without it, generated runs have none.
	CapFunding Capability = "funding"
	// CapADL: auto-deleveraging (LQ-6, LQ-7, ADL). Without it, generated
	// insurance funds are deep enough that no deficit reaches ADL.
	CapADL Capability = "adl"
)

// LedgerCapabilities are the capabilities of an engine that implements all
// of SPEC's ledger.
func LedgerCapabilities() []Capability {
	return []Capability{CapLedger, CapFunding, CapADL}
}

// AllCapabilities are QueryCapabilities and LedgerCapabilities.
func AllCapabilities() []Capability {
	return append(QueryCapabilities(), LedgerCapabilities()...)
}

// QueryCapabilities are every capability the query properties use: an engine
// that implements all of SPEC's queries declares these.
func QueryCapabilities() []Capability {
	return []Capability{CapIsolated, CapEntryBasis, CapComputedMark, CapErrorPaths}
}

// Factory returns a fresh engine and the capabilities it has. The suite calls
// it once per property (and never concurrently unless Parallel is given).
type Factory func() (Engine, []Capability)

// Model is the Factory of perpcheck's fixed-point engine: model.Evaluate and
// model.NewLedger, with every capability.
func Model() Factory {
	return func() (Engine, []Capability) { return NewEngine(model.Evaluate, modelLedger), AllCapabilities() }
}

// Reference is the Factory of the exact apd reference: reference.Evaluate
// and reference.NewLedger, with every capability. Run it with the Oracle
// and LedgerOracle options set to another implementation (e.g. the model's),
// since differential checks against itself prove nothing.
func Reference() Factory {
	return func() (Engine, []Capability) {
		return NewEngine(reference.Evaluate, referenceLedger), AllCapabilities()
	}
}

// ModelLedger is model.NewLedger as a LedgerOracle.
func ModelLedger(st *spec.State) (Ledger, error) { return modelLedger(st) }

// Mutant is a deliberately broken engine: the reference with one injected
// bug (internal/mutation). The suite must catch every mutant.
type Mutant struct {
	Name    string
	Factory Factory
}

// Mutants returns one Mutant per query mutation (mutation.Evaluate with the
// reference ledger) and then one per ledger mutation (reference.Evaluate
// with mutation.NewLedger), in those orders. Every mutant declares every
// capability.
func Mutants() []Mutant {
	var ms []Mutant
	for _, m := range mutation.Query() {
		ms = append(ms, Mutant{Name: string(m), Factory: func() (Engine, []Capability) {
			return NewEngine(func(s *spec.Scenario) (*spec.Report, error) { return mutation.Evaluate(s, m) }, referenceLedger), AllCapabilities()
		}})
	}
	for _, m := range mutation.Ledger() {
		ms = append(ms, Mutant{Name: string(m), Factory: func() (Engine, []Capability) {
			return NewEngine(reference.Evaluate, func(st *spec.State) (Ledger, error) {
				l, err := mutation.NewLedger(st, m)
				if err != nil {
					return nil, err
				}
				return l, nil
			}), AllCapabilities()
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
