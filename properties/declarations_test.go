package properties_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// noPrices is the model without liquidation and bankruptcy prices: its
// reports leave them null, as an engine that does not compute them would.
type noPrices struct{}

func (noPrices) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	rep, err := model.Evaluate(s)
	if err != nil {
		return nil, err
	}
	for i := range rep.Positions {
		p := &rep.Positions[i]
		p.LiquidationPrice, p.LiquidationPriceExact, p.LiquidationPriceReason = decimal.NullDecimal{}, decimal.NullDecimal{}, ""
		p.BankruptcyPrice, p.BankruptcyPriceReason = decimal.NullDecimal{}, ""
	}
	return rep, nil
}

// noPriceOutputs declares every output but the five of LIQ and BKR (and,
// since noPrices is no LedgerEngine, no effects either).
func noPriceOutputs() []properties.Capability {
	caps := slices.Clone(properties.AllCapabilities())
	for _, n := range properties.Outputs() {
		switch n {
		case "liquidationPrice", "liquidationPriceExact", "liquidationPriceReason", "bankruptcyPrice", "bankruptcyPriceReason", "effects":
		default:
			caps = append(caps, properties.OutputCapability(n))
		}
	}
	return caps
}

// TestUndeclaredOutputsAreNotRun: an engine that declares it has no
// liquidation or bankruptcy price (SPEC VAR-2's declarations, PROTOCOL.md
// PR-5 outputs) gets the properties of LIQ and BKR reported as not run,
// naming the outputs, the differential comparing the declared outputs only
// and saying which it did not compare, and every other query property
// passing. Declaring the prices while blanking them fails (the declaration
// is what decides, so the test can fail).
func TestUndeclaredOutputsAreNotRun(t *testing.T) {
	query := func(p properties.Property) bool { return !p.Ledger && !strings.HasPrefix(p.ID, "PM-") }
	f := func() (properties.Engine, []properties.Capability) { return noPrices{}, noPriceOutputs() }
	res, err := properties.Check(f, &properties.Config{Cases: 15, Seed: 7, Select: query})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Properties {
		t.Logf("%s %s %d %q %v", r.ID, r.Status, r.Cases, r.SkipReason, r.NotCompared)
		liq := false
		for _, rule := range r.Rules {
			liq = liq || strings.HasPrefix(rule, "LIQ-") || strings.HasPrefix(rule, "BKR-")
		}
		switch {
		case r.ID == "EVAL-2/differential":
			if r.Status != properties.Pass || !slices.Contains(r.NotCompared, "liquidationPrice") || slices.Contains(r.NotCompared, "maintenanceMargin") {
				t.Errorf("%s: %s, not compared %v; want a pass that names the five price outputs only", r.ID, r.Status, r.NotCompared)
			}
		case liq:
			if r.Status != properties.Skip || !strings.Contains(r.SkipReason, "liquidationPrice") && !strings.Contains(r.SkipReason, "bankruptcyPrice") {
				t.Errorf("%s: %s %q; want not run for lack of a liquidation or bankruptcy price", r.ID, r.Status, r.SkipReason)
			}
		case r.Status == properties.Skip && strings.Contains(r.SkipReason, "needs the outputs") && !strings.Contains(r.SkipReason, "Price"):
			t.Errorf("%s: not run for %q, an output the engine declares", r.ID, r.SkipReason)
		case r.Status != properties.Pass && r.Status != properties.Skip:
			// every other query property passes (MARK-5's compare the
			// declared outputs only: comparesDeclared)
			t.Errorf("%s: %s %s", r.ID, r.Status, r.SkipReason)
		}
	}

	// The same engine declaring every output: the prices are compared and
	// the blanks fail.
	all := func() (properties.Engine, []properties.Capability) { return noPrices{}, properties.AllCapabilities() }
	res, err = properties.Check(all, &properties.Config{Cases: 15, Seed: 7, Select: func(p properties.Property) bool { return p.ID == "EVAL-2/differential" }})
	if err == nil || res.Failed != 1 {
		t.Errorf("blank prices declared as computed: %v, %d failed; want the differential to fail", err, res.Failed)
	}
}

// entryUnsupported is the model answering "not supported" (as perpcheck/1's
// error code 10 does) for any market with mmBasis entry.
type entryUnsupported struct{}

func (entryUnsupported) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	for name, m := range s.Markets {
		if m.MMBasis == "entry" {
			return nil, fmt.Errorf("market %s: mmBasis entry: %w", name, properties.ErrNotSupported)
		}
	}
	return model.Evaluate(s)
}

// TestNotSupportedIsNotRun: a "not supported" answer on a valid scenario
// makes the property not run, with the engine's reason, never a pass or a
// failure; properties that never meet it pass; RequireAll makes it a
// failure.
func TestNotSupportedIsNotRun(t *testing.T) {
	f := func() (properties.Engine, []properties.Capability) {
		return entryUnsupported{}, properties.AllCapabilities()
	}
	sel := func(p properties.Property) bool {
		return p.ID == "EVAL-2/differential" || p.ID == "TIER-5/im-covers-mm" || p.ID == "EVAL-1/bad-input"
	}
	res, err := properties.Check(f, &properties.Config{Cases: 30, Seed: 3, Select: sel})
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, r := range res.Properties {
		t.Logf("%s %s %d %q", r.ID, r.Status, r.Cases, r.SkipReason)
		switch r.Status {
		case properties.Skip:
			skipped++
			if !strings.Contains(r.SkipReason, "not supported") || !strings.Contains(r.SkipReason, "mmBasis entry") {
				t.Errorf("%s: not run for %q; want the engine's not-supported reason", r.ID, r.SkipReason)
			}
		case properties.Fail:
			t.Errorf("%s failed: %s", r.ID, r.Failure.Message)
		}
		if r.ID == "EVAL-2/differential" && r.Status != properties.Skip {
			t.Errorf("%s: %s; the differential draws entry-basis markets, so it must be not run", r.ID, r.Status)
		}
	}
	if skipped == len(res.Properties) {
		t.Error("every property was not run; the test needs one that never meets mmBasis entry")
	}
	if _, err := properties.Check(f, &properties.Config{Cases: 30, Seed: 3, Select: sel, RequireAll: true}); err == nil {
		t.Error("RequireAll did not turn not supported into a failure")
	}
}

// onSizeGrid is the model refusing (as a float engine would misreport)
// every position whose size is not a multiple of 0.001.
type onSizeGrid struct{}

func (onSizeGrid) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	for i, p := range s.Account.Positions {
		if !p.Size.Mod(decimal.New(1, -3)).IsZero() {
			return nil, fmt.Errorf("positions[%d].size %s is off the engine's 0.001 grid", i, p.Size)
		}
	}
	return model.Evaluate(s)
}

// TestGridReachesGenerators: an engine that declares a size grid
// (GridCapability, PROTOCOL.md PR-5's grid) gets scenarios whose sizes are
// on it; without the declaration the same engine fails.
func TestGridReachesGenerators(t *testing.T) {
	sel := func(p properties.Property) bool { return p.ID == "EVAL-2/differential" || p.ID == "QTY-3/leverage-cap" }
	caps := []properties.Capability{properties.GridCapability("size", "0.001")}
	res, err := properties.Check(func() (properties.Engine, []properties.Capability) { return onSizeGrid{}, caps }, &properties.Config{Cases: 40, Seed: 5, Select: sel})
	if err != nil {
		t.Fatalf("with the grid declared: %v", err)
	}
	if res.Passed != 2 {
		t.Errorf("passed %d of 2", res.Passed)
	}
	if _, err := properties.Check(func() (properties.Engine, []properties.Capability) { return onSizeGrid{}, nil }, &properties.Config{Cases: 40, Seed: 5, Select: sel}); err == nil {
		t.Error("without the grid declared the off-grid sizes did not fail: the test cannot fail")
	}
}

// TestNotSupportedUnderRun: under go test (Run), a property that meets a
// not-supported answer is a skipped subtest, not a failure.
func TestNotSupportedUnderRun(t *testing.T) {
	properties.Run(t, func() (properties.Engine, []properties.Capability) {
		return entryUnsupported{}, []properties.Capability{properties.CapEntryBasis, properties.CapIsolated}
	}, &properties.Config{Cases: 10, Seed: 3})
}
