package vectors

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// TestUndeclaredOutputsNotCompared: an engine without liquidation prices
// (the model with them blanked) fails the query vectors unless it declares
// its outputs (Runner.Outputs, PROTOCOL.md PR-5); declaring every other
// output, it passes them all.
func TestUndeclaredOutputsNotCompared(t *testing.T) {
	set := loaded(t)
	set.Ledger = nil
	blank := EngineFunc(func(s *spec.Scenario) (*spec.Report, error) {
		rep, err := model.Evaluate(s)
		if err != nil {
			return nil, err
		}
		for i := range rep.Positions {
			rep.Positions[i].LiquidationPrice, rep.Positions[i].LiquidationPriceExact = decimal.NullDecimal{}, decimal.NullDecimal{}
		}
		return rep, nil
	})
	r := Runner{Engine: blank, Capabilities: AllCapabilities()}
	if res := Check(set, r); res.Failed == 0 {
		t.Fatal("blank liquidation prices pass the vectors: the test cannot fail")
	}
	r.Outputs = map[string]bool{}
	for _, n := range properties.Outputs() {
		if n != "liquidationPrice" && n != "liquidationPriceExact" {
			r.Outputs[n] = true
		}
	}
	res := Check(set, r)
	if res.Failed != 0 || res.Passed < 200 {
		t.Errorf("with the prices undeclared: %d passed, %d failed; want every query vector to pass", res.Passed, res.Failed)
	}
}
