package properties

import (
	"reflect"
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// Engine is what an implementation under test provides: the query of SPEC
// EVAL/RPT. Evaluate must treat s as read-only (EVAL-1) and return either a
// report or an error, never both. The suite asks its Factory for one fresh
// Engine per property, so an Engine need not be safe for concurrent use.
//
// An Engine that also implements LedgerEngine is a ledger engine: the ledger
// properties (SPEC LED, TRD, FND, LQ, ADL) run against it.
type Engine interface {
	Evaluate(s *spec.Scenario) (*spec.Report, error)
}

// LedgerEngine is the ledger boundary, detected by interface upgrade (as
// io.WriterTo is): an Engine with this method runs the ledger properties.
// NewLedger must not keep or modify st (LED-7) and returns a session or an
// error (a *spec.Error for an invalid state). When the error is non-nil the
// session is ignored, so an adapter may return its constructor's results
// directly: return mylib.NewLedger(st).
type LedgerEngine interface {
	NewLedger(st *spec.State) (LedgerSession, error)
}

// LedgerSession is one ledger under test (SPEC LED-1..9), started by
// NewLedger: Apply applies one event atomically and deterministically and
// returns its effects (a non-nil, possibly empty list) or a *spec.Error and
// no effects, leaving the state unchanged (LED-7); State returns a copy of
// the current state. *model.Ledger and *reference.Ledger have this method
// set.
type LedgerSession interface {
	Apply(ev spec.Event) ([]spec.Effect, error)
	State() *spec.State
}

// Factory returns a fresh engine and the capabilities it has. The suite calls
// it once per property, never concurrently unless Config.Parallel is set;
// under Run the engines of different properties may run at the same time.
type Factory func() (Engine, []Capability)

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
	// CapErrorPaths: bad input is a *spec.Error whose Path and Rule are
	// those of SPEC EVAL-2/EVAL-3 (the first violation, at its JSON path).
	// Without it, the suite only checks that bad input is an error.
	CapErrorPaths Capability = "error-paths"
	// CapFunding: funding events (FND), for a LedgerEngine. Without it,
	// generated runs have none.
	CapFunding Capability = "funding"
	// CapADL: auto-deleveraging (LQ-6, LQ-7, ADL), for a LedgerEngine.
	// Without it, generated insurance funds are deep enough that no deficit
	// reaches ADL.
	CapADL Capability = "adl"
	// CapPortfolio: portfolio margin (SPEC PM, MKT-6): the portfolio
	// margin mode and the report's portfolio section. Without it, the PM
	// properties are not run and no generated scenario uses PM.
	CapPortfolio Capability = "portfolio"
)

// VariantCapability is the capability that declares that an engine
// implements the rule variant rule:name of SPEC VAR (for example
// VariantCapability("POOL-5", "at-equality") is "POOL-5:at-equality"). An
// engine that declares no variant of a choice implements its default only
// (SPEC VAR-2); one that declares some implements exactly those, and the
// suite generates only markets that select them.
func VariantCapability(rule, name string) Capability {
	return Capability(rule + ":" + name)
}

// VariantCapabilities returns the capabilities of every variant of every
// choice SPEC VAR offers, defaults included, that the suite can test: not
// those its oracle (package reference) does not implement yet
// (TIER-3:half-initial), which it can neither generate nor judge.
func VariantCapabilities() []Capability {
	var out []Capability
	for _, c := range spec.VariantChoices() {
		for _, n := range c.Names {
			if vc := VariantCapability(c.Rule, n); !untestedVariants[vc] {
				out = append(out, vc)
			}
		}
	}
	return out
}

// untestedVariants are the variants of SPEC VAR that the oracle does not
// implement yet (both engines reject them with VAR-1).
var untestedVariants = map[Capability]bool{VariantCapability("TIER-3", spec.MaintenanceRateHalfInitial): true}

// AllCapabilities returns every capability: an engine that implements all
// of SPEC declares these, every rule variant included.
func AllCapabilities() []Capability {
	return append([]Capability{CapIsolated, CapEntryBasis, CapComputedMark, CapErrorPaths, CapFunding, CapADL, CapPortfolio},
		VariantCapabilities()...)
}

// declaredVariants returns, for each choice of SPEC VAR (by its key in
// spec.Variants), the variant names the capabilities declare; a choice with
// none declared has its default only (SPEC VAR-2).
func declaredVariants(caps capSet) map[string][]string {
	out := map[string][]string{}
	for _, c := range spec.VariantChoices() {
		var names []string
		for _, n := range c.Names {
			if vc := VariantCapability(c.Rule, n); caps[vc] && !untestedVariants[vc] {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			names = c.Names[:1]
		}
		out[c.Key] = names
	}
	return out
}

// Model is the Factory of perpcheck's fixed-point engine (model.Evaluate and
// model.NewLedger), with every capability.
func Model() Factory {
	return func() (Engine, []Capability) { return modelEngine{}, AllCapabilities() }
}

type modelEngine struct{}

func (modelEngine) Evaluate(s *spec.Scenario) (*spec.Report, error) { return model.Evaluate(s) }

func (modelEngine) NewLedger(st *spec.State) (LedgerSession, error) { return model.NewLedger(st) }

// isNil says whether a session is nil, also when it is a nil pointer in a
// non-nil interface (an adapter's "return l, err" on an error).
func isNil(l LedgerSession) bool {
	if l == nil {
		return true
	}
	v := reflect.ValueOf(l)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
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
	slices.Sort(out)
	return out
}

func capList(cs []Capability) string {
	ss := make([]string, len(cs))
	for i, c := range cs {
		ss[i] = string(c)
	}
	return strings.Join(ss, ", ")
}
