package properties

import (
	"reflect"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

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

// Starter is an Engine that acquires what it runs on (a process, for an
// engine behind perpcheck/1) only when asked to: Run and Check call Start
// before running a property against it, outside Config.Timeout, and never
// for a property they do not run (a missing capability, output or
// LedgerEngine), so a Factory may return its engines unstarted. Start
// reports no error: a failed start is the error of the engine's calls.
type Starter interface {
	Start()
}

// start starts e if it is a Starter.
func start(e Engine) {
	if s, ok := e.(Starter); ok {
		s.Start()
	}
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
	// CapExplicitIMR: tier tables with explicit initial margin rates
	// (initialMarginRate, SPEC TIER-1, TIER-5, QTY-4) in queries.
	CapExplicitIMR Capability = "explicit-imr"
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
// (untestedVariants; none today), which it can neither generate nor judge.
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

// OutputCapability is the capability that declares that an engine computes
// the output name: a field of a report's positions[] or pools[] (SPEC RPT;
// "maintenanceMargin" stands for both lists' field of that name), "effects",
// a ledger's effects (LED-6), or "states", a ledger's states (LED-2; implied
// by "effects"). An engine that declares no output computes them all; one
// that declares some computes exactly those. Then a property that needs an
// output the engine lacks is not run (each property's needs are in
// outputNeeds, needs.go), and the differential properties compare only the
// declared outputs and name the others as not compared
// (PropertyResult.NotCompared). An engine with no liquidation price, for
// example, declares every output but liquidationPrice,
// liquidationPriceExact and liquidationPriceReason; a ledger whose events
// report final states only (no effects) declares "states" and not
// "effects": the ledger properties that judge effects are not run, those
// that judge states are.
func OutputCapability(name string) Capability { return Capability("output:" + name) }

// Outputs returns the names OutputCapability accepts: the report fields a
// property may read (positions[] then pools[], first occurrence), "effects"
// and "states".
func Outputs() []string { return slices.Clone(outputNames) }

var outputNames = []string{
	"notional", "unrealizedPnl", "leverage", "initialMargin", "maintenanceMargin", "tier",
	"liquidationPrice", "liquidationPriceExact", "liquidationPriceReason", "bankruptcyPrice", "bankruptcyPriceReason",
	"isolatedMargin", "maxRemovableMargin",
	"equity", "available", "marginRatio", "liquidatable",
	"effects", "states",
}

// priceOutputs are the outputs of SPEC LIQ and BKR: a property of those
// rules needs them, the others do not read them.
var priceOutputs = map[string]bool{
	"liquidationPrice": true, "liquidationPriceExact": true, "liquidationPriceReason": true,
	"bankruptcyPrice": true, "bankruptcyPriceReason": true,
}

// declaredOutputs returns the outputs caps declares, or nil when it
// declares none (then the engine computes every output). Effects imply
// states: a ledger that reports effects reports its states too.
func (s capSet) declaredOutputs() map[string]bool {
	var out map[string]bool
	for _, n := range outputNames {
		if s[OutputCapability(n)] {
			if out == nil {
				out = map[string]bool{}
			}
			out[n] = true
		}
	}
	if out["effects"] {
		out["states"] = true
	}
	return out
}

// hasOutputs says whether caps declares every output of names (true when
// it declares none: then it computes them all).
func (s capSet) hasOutputs(names ...string) bool {
	decl := s.declaredOutputs()
	for _, n := range names {
		if decl != nil && !decl[n] {
			return false
		}
	}
	return true
}

// comparesDeclared are the properties that compare two reports on the
// declared outputs only (env.diffDeclared, maskReport), so that they run on
// any engine: the differential ones (engine vs oracle) and MARK-5's (the
// engine's report of a scenario vs its report of the same scenario with the
// mark given or the other price fields changed). The other properties need
// every output they read (outputNeeds).
var comparesDeclared = map[string]bool{"EVAL-2/differential": true, "EVAL-2/differential-errors": true,
	"MARK-5/mark-only": true, "MARK-5/computed-equals-given": true}

// diffDeclared compares two reports on the outputs the engine declares.
func (e *env) diffDeclared(a, b *spec.Report) string {
	decl := e.caps.declaredOutputs()
	return diff(maskReport(a, decl), maskReport(b, decl))
}

// outputsNeeded returns the outputs p reads: its entry in outputNeeds
// (needs.go) or, for a property not listed there, a coarse default: a
// ledger property the effects, the states and the report fields of the
// step checks (stepOutputs); a property of comparesDeclared none; another
// query property every report field, the liquidation and bankruptcy prices
// only when its rules are of LIQ or BKR.
func outputsNeeded(p Property) []string {
	if n, ok := outputNeeds[p.ID]; ok {
		return n
	}
	if p.Ledger {
		return append([]string{"states"}, stepOutputs...)
	}
	if comparesDeclared[p.ID] {
		return nil
	}
	prices := false
	for _, r := range p.Rules {
		if strings.HasPrefix(r, "LIQ-") || strings.HasPrefix(r, "BKR-") {
			prices = true
		}
	}
	var out []string
	for _, n := range outputNames {
		if n != "effects" && n != "states" && (prices || !priceOutputs[n]) {
			out = append(out, n)
		}
	}
	return out
}

// missingOutputs returns the outputs p needs that caps does not declare.
func (s capSet) missingOutputs(p Property) []string {
	decl := s.declaredOutputs()
	if decl == nil {
		return nil
	}
	var out []string
	for _, n := range outputsNeeded(p) {
		if !decl[n] {
			out = append(out, n)
		}
	}
	return out
}

// notCompared returns the report outputs caps does not declare, which a
// differential property leaves out of its comparison (nil: all compared).
func (s capSet) notCompared() []string {
	decl := s.declaredOutputs()
	if decl == nil {
		return nil
	}
	var out []string
	for _, n := range outputNames {
		if !decl[n] && n != "effects" && n != "states" {
			out = append(out, n)
		}
	}
	return out
}

// maskReport returns a copy of rep whose outputs not in decl (nil: all
// declared) are zero, so that a differential comparison ignores them.
func maskReport(rep *spec.Report, decl map[string]bool) *spec.Report {
	if rep == nil || decl == nil {
		return rep
	}
	c := *rep
	c.Positions = slices.Clone(rep.Positions)
	c.Pools = slices.Clone(rep.Pools)
	for i := range c.Positions {
		p := &c.Positions[i]
		for n, z := range map[string]func(){
			"notional": func() { p.Notional = decimal.Zero }, "unrealizedPnl": func() { p.UnrealizedPnl = decimal.Zero },
			"leverage": func() { p.Leverage = decimal.Zero }, "initialMargin": func() { p.InitialMargin = decimal.Zero },
			"maintenanceMargin": func() { p.MaintenanceMargin = decimal.Zero }, "tier": func() { p.Tier = 0 },
			"liquidationPrice":       func() { p.LiquidationPrice = decimal.NullDecimal{} },
			"liquidationPriceExact":  func() { p.LiquidationPriceExact = decimal.NullDecimal{} },
			"liquidationPriceReason": func() { p.LiquidationPriceReason = "" },
			"bankruptcyPrice":        func() { p.BankruptcyPrice = decimal.NullDecimal{} },
			"bankruptcyPriceReason":  func() { p.BankruptcyPriceReason = "" },
			"isolatedMargin":         func() { p.IsolatedMargin = decimal.NullDecimal{} },
			"maxRemovableMargin":     func() { p.MaxRemovableMargin = decimal.NullDecimal{} },
		} {
			if !decl[n] {
				z()
			}
		}
	}
	for i := range c.Pools {
		p := &c.Pools[i]
		for n, z := range map[string]func(){
			"equity": func() { p.Equity = decimal.Zero }, "initialMargin": func() { p.InitialMargin = decimal.Zero },
			"maintenanceMargin": func() { p.MaintenanceMargin = decimal.Zero }, "available": func() { p.Available = decimal.Zero },
			"marginRatio": func() { p.MarginRatio = decimal.NullDecimal{} }, "liquidatable": func() { p.Liquidatable = false },
		} {
			if !decl[n] {
				z()
			}
		}
	}
	return &c
}

// GridCapability declares the step of the numbers of a kind ("size" or
// "price") that an engine represents exactly, e.g. GridCapability("size",
// "0.001") (PROTOCOL.md PR-5's grid): generated markets then have lot sizes
// (kind size) or tick sizes (kind price) that are multiples of the step.
// Without it, SPEC's 1e-8 grid.
func GridCapability(kind, step string) Capability { return Capability("grid:" + kind + ":" + step) }

// grid returns the step caps declares for kind (zero: none).
func (s capSet) grid(kind string) decimal.Decimal {
	for c, ok := range s {
		if rest, found := strings.CutPrefix(string(c), "grid:"+kind+":"); ok && found {
			if d, err := decimal.NewFromString(rest); err == nil && d.Sign() > 0 {
				return d
			}
		}
	}
	return decimal.Zero
}

// untestedVariants are the variants of SPEC VAR that the oracle does not
// implement yet (both engines would reject them with VAR-1); none today.
var untestedVariants = map[Capability]bool{}

// AllCapabilities returns every capability: an engine that implements all
// of SPEC declares these, every rule variant included.
func AllCapabilities() []Capability {
	return append([]Capability{CapIsolated, CapEntryBasis, CapComputedMark, CapErrorPaths, CapFunding, CapADL, CapPortfolio, CapExplicitIMR},
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
