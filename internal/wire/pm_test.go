package wire

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// TestPortfolio checks the portfolio-margin fields (SPEC MKT-6, PM-1,
// PM-13) against json.Marshal: present, absent and empty.
func TestPortfolio(t *testing.T) {
	d := decimal.RequireFromString
	nd := func(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }
	exp := d("0.25")
	sc := &spec.Scenario{Markets: map[string]spec.Market{
		"BTC-PERP": {TickSize: d("0.1"), LotSize: d("0.001"), Underlying: "BTC", PortfolioMargin: &spec.PortfolioParams{
			Shocks: []decimal.Decimal{d("-0.12"), d("0"), d("0.12")}, ExtremeMove: nd("0.24"), ContingencyRate: nd("0.01"),
			MinimumChargeTiers: []spec.ChargeTier{{MinCharge: d("0"), MaxCharge: d("10000"), Multiplier: d("1")}},
		}},
		"BTC-0328": {TickSize: d("0.1"), LotSize: d("0.001"), Underlying: "BTC", Expiry: &exp,
			PortfolioMargin: &spec.PortfolioParams{}},
		"ETH": {TickSize: d("0.1"), LotSize: d("0.001"), PortfolioMargin: &spec.PortfolioParams{Shocks: []decimal.Decimal{}, MinimumChargeTiers: []spec.ChargeTier{}}},
	}}
	same(t, "pm scenario", AppendScenario(nil, sc), sc)
	rep := &spec.Report{Portfolio: &spec.PortfolioReport{Equity: d("1.5"), MarginRatio: nd("0.5"), Liquidatable: true,
		Units: []spec.UnitReport{
			{Underlying: "BTC", Positions: []int{0, 2}, Scenarios: []spec.ScenarioPnl{{Move: d("-0.04"), Pnl: d("-12.5")}},
				WorstScenario: 1, ScanRisk: d("3"), CriticalMoveUp: nd("0.1"), CriticalMoveDownReason: spec.ReasonNeverLiquidatable},
			{Underlying: "\u2028<x>", Positions: []int{}, CriticalMoveUpReason: spec.ReasonAlreadyLiquidatable},
		}}}
	same(t, "pm report", AppendReport(nil, rep), rep)
	same(t, "pm report, no units", AppendReport(nil, &spec.Report{Portfolio: &spec.PortfolioReport{}}), &spec.Report{Portfolio: &spec.PortfolioReport{}})
}
