package properties

import (
	"encoding/json"
	"hash/fnv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// poisoned is the model whose reports carry a wrong value in every output
// not in keep: a property that reads such an output fails on it. The wrong
// values depend on the scenario (a hash of its JSON), so that relations
// between two reports (monotonicity, scaling, mirror images) break too,
// while evaluating one scenario twice gives the same report (EVAL-1).
type poisoned struct{ keep map[string]bool }

func (e poisoned) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	rep, err := model.Evaluate(s)
	if err != nil {
		return nil, err
	}
	poison(rep, e.keep, scenarioHash(s))
	return rep, nil
}

func scenarioHash(s *spec.Scenario) uint32 {
	b, _ := json.Marshal(s)
	h := fnv.New32a()
	h.Write(b)
	return h.Sum32()
}

// wrong returns a value that is not v and depends on h and k: 3v + d or
// -3v - d - 1 (d between 0.007 and 1.006, half a unit off the 1e-8 grid
// for some h), so that a property checking an
// inequality in either direction meets both a too large and a too small
// value.
func wrong(v decimal.Decimal, h uint32, k int) decimal.Decimal {
	x := h + uint32(k)*7919
	w := v.Mul(decimal.NewFromInt(3)).Add(decimal.New(int64(x%1000+7)*1_000_000+int64(x>>13%2)*5, -9))
	if x/1000%2 == 1 {
		w = w.Neg().Sub(decimal.NewFromInt(1))
	}
	return w
}

func wrongNull(v decimal.NullDecimal, h uint32, k int) decimal.NullDecimal {
	if !v.Valid {
		return decimal.NewNullDecimal(wrong(decimal.NewFromInt(1234), h, k))
	}
	return decimal.NewNullDecimal(wrong(v.Decimal, h, k))
}

// wrongReason returns a reason that is not r and depends on h.
func wrongReason(r string, h uint32) string {
	switch {
	case h%2 == 0:
		return r + "-poisoned"
	case r == "":
		return "poisoned"
	}
	return ""
}

// poison overwrites every output of rep not in keep with a wrong value.
func poison(rep *spec.Report, keep map[string]bool, h uint32) {
	for i := range rep.Positions {
		p := &rep.Positions[i]
		h := h + uint32(i)*31
		for n, f := range map[string]func(){
			"notional":               func() { p.Notional = wrong(p.Notional, h, 1) },
			"unrealizedPnl":          func() { p.UnrealizedPnl = wrong(p.UnrealizedPnl, h, 2) },
			"leverage":               func() { p.Leverage = wrong(p.Leverage, h, 3) },
			"initialMargin":          func() { p.InitialMargin = wrong(p.InitialMargin, h, 4) },
			"maintenanceMargin":      func() { p.MaintenanceMargin = wrong(p.MaintenanceMargin, h, 5) },
			"tier":                   func() { p.Tier += 1 + int(h%3) },
			"liquidationPrice":       func() { p.LiquidationPrice = wrongNull(p.LiquidationPrice, h, 6) },
			"liquidationPriceExact":  func() { p.LiquidationPriceExact = wrongNull(p.LiquidationPriceExact, h, 7) },
			"liquidationPriceReason": func() { p.LiquidationPriceReason = wrongReason(p.LiquidationPriceReason, h) },
			"bankruptcyPrice":        func() { p.BankruptcyPrice = wrongNull(p.BankruptcyPrice, h, 8) },
			"bankruptcyPriceReason":  func() { p.BankruptcyPriceReason = wrongReason(p.BankruptcyPriceReason, h>>1) },
			"isolatedMargin":         func() { p.IsolatedMargin = wrongNull(p.IsolatedMargin, h, 9) },
			"maxRemovableMargin":     func() { p.MaxRemovableMargin = wrongNull(p.MaxRemovableMargin, h, 10) },
		} {
			if !keep[n] {
				f()
			}
		}
	}
	for i := range rep.Pools {
		p := &rep.Pools[i]
		h := h + uint32(i)*37
		for n, f := range map[string]func(){
			"equity":            func() { p.Equity = wrong(p.Equity, h, 11) },
			"initialMargin":     func() { p.InitialMargin = wrong(p.InitialMargin, h, 12) },
			"maintenanceMargin": func() { p.MaintenanceMargin = wrong(p.MaintenanceMargin, h, 13) },
			"available":         func() { p.Available = wrong(p.Available, h, 14) },
			"marginRatio":       func() { p.MarginRatio = wrongNull(p.MarginRatio, h, 15) },
			"liquidatable":      func() { p.Liquidatable = p.Liquidatable != (h>>3%2 == 0) },
		} {
			if !keep[n] {
				f()
			}
		}
	}
}

// TestOutputNeedsComplete: every query property listed in outputNeeds passes
// against the model with every report field it does not list made wrong
// (poisoned: so it reads no other field, and an engine that declares only
// those fields may run it), and fails with every field made wrong (so the
// wrong values are wrong enough to be seen, and a property that lists
// outputs reads one of them). Breaking an entry (dropping a field the
// property reads) makes the first half fail.
func TestOutputNeedsComplete(t *testing.T) {
	for _, p := range catalogue {
		needs, ok := outputNeeds[p.ID]
		if p.Ledger || !ok {
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			keep := map[string]bool{}
			caps := append(AllCapabilities(), OutputCapability("states"))
			for _, n := range needs {
				keep[n] = true
				caps = append(caps, OutputCapability(n))
			}
			run := func(keep map[string]bool) PropertyResult {
				f := func() (Engine, []Capability) { return poisoned{keep}, caps }
				res, _ := Check(f, &Config{Cases: 25, Seed: 1, ShrinkTime: time.Millisecond, Select: func(q Property) bool { return q.ID == p.ID }})
				return res.Properties[0]
			}
			if r := run(keep); r.Status != Pass {
				msg := r.SkipReason
				if r.Failure != nil {
					msg = r.Failure.Message
				}
				t.Errorf("with the outputs it does not list (%v) wrong: %s %s", needs, r.Status, msg)
			}
			if len(needs) > 0 {
				if r := run(nil); r.Status != Fail {
					t.Errorf("with every output wrong: %s %s; want a failure", r.Status, r.SkipReason)
				}
			}
		})
	}
}

// statesOnly is the model's ledger reporting final states only: Apply
// returns no effects (perpcheck/1's "effects":null).
type statesOnly struct{ modelEngine }

func (statesOnly) NewLedger(st *spec.State) (LedgerSession, error) {
	l, err := model.NewLedger(st)
	if err != nil {
		return nil, err
	}
	return statesOnlySession{l}, nil
}

type statesOnlySession struct{ LedgerSession }

func (s statesOnlySession) Apply(ev spec.Event) ([]spec.Effect, error) {
	_, err := s.LedgerSession.Apply(ev)
	return nil, err
}

// TestStatesOnlyLedger: a ledger engine that declares "states" and not
// "effects" runs the ledger properties that judge states only
// (outputNeeds) and passes them; the others are not run, naming the
// effects. The same engine declaring effects fails (its effects are nil),
// so the declaration is what decides.
func TestStatesOnlyLedger(t *testing.T) {
	ledger := func(p Property) bool { return p.Ledger }
	decl := append(AllCapabilities(), OutputCapability("states"))
	res, err := Check(func() (Engine, []Capability) { return statesOnly{}, decl }, &Config{Cases: 8, Seed: 3, Select: ledger})
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, r := range res.Properties {
		t.Logf("%s %s %d %q", r.ID, r.Status, r.Cases, r.SkipReason)
		needs, listed := outputNeeds[r.ID]
		switch {
		case listed && !slices.Contains(needs, "effects"):
			ran++
			if r.Status != Pass {
				t.Errorf("%s (needs %v): %s %s; want a pass", r.ID, needs, r.Status, r.SkipReason)
			}
		case r.Status != Skip || !strings.Contains(r.SkipReason, "effects"):
			t.Errorf("%s: %s %q; want not run for lack of the effects", r.ID, r.Status, r.SkipReason)
		}
	}
	if ran == 0 {
		t.Error("no ledger property ran on states only")
	}
	all := append(AllCapabilities(), OutputCapability("effects"), OutputCapability("states"))
	for _, n := range reportOutputs {
		all = append(all, OutputCapability(n))
	}
	res, err = Check(func() (Engine, []Capability) { return statesOnly{}, all }, &Config{Cases: 8, Seed: 3, ShrinkTime: time.Millisecond,
		Select: func(p Property) bool { return p.ID == "LED-4/stateful-invariants" || p.ID == "TRD-2/split-vs-whole" }})
	if err == nil || res.Failed == 0 {
		t.Errorf("nil effects declared as effects: %v; want a failure", err)
	}
}

// TestComparesDeclaredOnly: each query property of comparesDeclared passes
// against the model whose undeclared outputs are wrong (poisoned, by a hash
// of each scenario, so two scenarios' reports differ there), with only
// maintenanceMargin and liquidatable declared: it compares the declared
// outputs only. Declaring every output with the same poison fails it, so
// the masking is what passes it (comparing whole reports, as MARK-5 did
// before, fails the first half).
func TestComparesDeclaredOnly(t *testing.T) {
	declared := []string{"maintenanceMargin", "liquidatable"}
	for _, p := range catalogue {
		if p.Ledger || !comparesDeclared[p.ID] || p.ID == "EVAL-2/differential-errors" { // the errors one compares no report
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			keep := map[string]bool{}
			caps := AllCapabilities()
			for _, n := range declared {
				keep[n] = true
				caps = append(caps, OutputCapability(n))
			}
			run := func(caps []Capability) PropertyResult {
				f := func() (Engine, []Capability) { return poisoned{keep}, caps }
				res, _ := Check(f, &Config{Cases: 25, Seed: 1, ShrinkTime: time.Millisecond, Select: func(q Property) bool { return q.ID == p.ID }})
				return res.Properties[0]
			}
			if r := run(caps); r.Status != Pass || len(r.NotCompared) == 0 {
				msg := r.SkipReason
				if r.Failure != nil {
					msg = r.Failure.Message
				}
				t.Errorf("declaring %v, the others wrong: %s %s, not compared %v; want a pass naming what it did not compare", declared, r.Status, msg, r.NotCompared)
			}
			if r := run(AllCapabilities()); r.Status != Fail {
				t.Errorf("declaring every output, the same poison: %s %s; want a failure", r.Status, r.SkipReason)
			}
		})
	}
}
