package reference_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// TestPMGoldens checks the published examples of gen.PMGolden (SPEC PM-4..12),
// with the critical moves computed by hand below.
func TestPMGoldens(t *testing.T) {
	for _, tc := range []struct {
		name                                 string
		scan, extreme, contingency, raw, mr7 string
		mm, worst                            string
		down                                 string // PM-11, computed by hand
	}{
		// Down move: the binding line is tier 2 of MR7: 100,000 + r*1,000,000 =
		// (1+r)*30,000*2 - 10,000, r = -50,000/940,000 = -0.0531914893..., up -> -0.05319148.
		{"okx-mr7", "40000", "0", "0", "30000", "50000", "50000", "-40000", "-0.05319148"},
		// D = 0 and MR7 = 0: E = 60,000 stays, MM = 0.01*(1+r)*5,000,000 = 50,000(1+r)
		// reaches 60,000 at r = 0.2 (up move); no down move.
		{"deribit-calendar", "0", "0", "50000", "0", "0", "50000", "0", ""},
		// 50,000 + r*1,000,000 = (1+r)*30,000 -> r = -20,000/970,000 = -0.0206185567..., up -> -0.02061855.
		{"span-long", "30000", "21000", "0", "0", "0", "30000", "-30000", "-0.02061855"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := reference.Evaluate(gen.PMGolden(tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Portfolio == nil || len(rep.Portfolio.Units) != 1 {
				t.Fatalf("portfolio report: %+v", rep.Portfolio)
			}
			u := rep.Portfolio.Units[0]
			d := decimal.RequireFromString
			for _, c := range []struct {
				what      string
				got, want decimal.Decimal
			}{
				{"scanRisk (PM-4)", u.ScanRisk, d(tc.scan)}, {"extremeRisk (PM-5)", u.ExtremeRisk, d(tc.extreme)},
				{"contingency (PM-7)", u.Contingency, d(tc.contingency)}, {"minimumChargeRaw (PM-8)", u.MinimumChargeRaw, d(tc.raw)},
				{"minimumCharge (PM-8)", u.MinimumCharge, d(tc.mr7)}, {"maintenanceMargin (PM-9)", u.MaintenanceMargin, d(tc.mm)},
				{"worst pnl (PM-4)", u.Scenarios[u.WorstScenario].Pnl, d(tc.worst)},
				{"account MM (PM-10)", rep.Portfolio.MaintenanceMargin, d(tc.mm)},
			} {
				if !c.got.Equal(c.want) {
					t.Errorf("%s = %s, want %s", c.what, c.got, c.want)
				}
			}
			if tc.down == "" {
				if u.CriticalMoveDown.Valid || u.CriticalMoveDownReason != spec.ReasonNeverLiquidatable {
					t.Errorf("criticalMoveDown = %v %q, want null never-liquidatable", u.CriticalMoveDown, u.CriticalMoveDownReason)
				}
			} else if !u.CriticalMoveDown.Valid || !u.CriticalMoveDown.Decimal.Equal(d(tc.down)) {
				t.Errorf("criticalMoveDown (PM-11) = %v %q, want %s", u.CriticalMoveDown, u.CriticalMoveDownReason, tc.down)
			}
			if tc.name == "deribit-calendar" && (!u.CriticalMoveUp.Valid || !u.CriticalMoveUp.Decimal.Equal(d("0.2"))) {
				t.Errorf("criticalMoveUp (PM-11) = %v, want 0.2", u.CriticalMoveUp)
			}
			if rep.Positions[0].LiquidationPriceReason != spec.ReasonPortfolio {
				t.Errorf("positions[0].liquidationPriceReason (PM-12) = %q", rep.Positions[0].LiquidationPriceReason)
			}
		})
	}
}
