package gen

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// Extreme is a hand-made valid scenario one of whose reported values is
// exactly -MAX or MAX (SPEC NUM-2: a reported value in [-MAX, MAX] fits, so
// it is reported, not an error), the value computed by hand in What. The
// random generators never land on these exact edges; an engine that takes
// the range as open (a comparison written one way instead of the other)
// rejects them.
type Extreme struct {
	Name string
	// What says how the value is reached, by hand.
	What     string
	Scenario *spec.Scenario
	// Path is the reported value on the edge, in the report's JSON names
	// ("portfolio.units[0].criticalMoveUp"); Want is its value.
	Path, Want string
	// What the scenario uses beyond cross margin: portfolio margin,
	// isolated margin, variants of SPEC VAR (key in spec.Variants -> name).
	Portfolio, Isolated bool
	Variants            map[string]string
}

// ExtremeScenario draws one of Extremes that c allows (its isolated
// positions and variants): the portfolio ones when portfolio is set, the
// others otherwise. The oracle agrees with each hand value (the vectors'
// builder checks it), so a differential property that draws them judges an
// engine on the exact edges too. The extremes need sizes and prices on the
// 1e-8 grid: when c declares a coarser SizeGrid or PriceGrid (or allows
// none of them), it draws PMScenario (portfolio) or Scenario instead.
func ExtremeScenario(c Config, portfolio bool) *rapid.Generator[*spec.Scenario] {
	return rapid.Custom(func(t *rapid.T) *spec.Scenario {
		var ok []Extreme
		for _, x := range Extremes() {
			if x.Portfolio == portfolio && (c.Isolated || !x.Isolated) && allows(c, x.Variants) {
				ok = append(ok, x)
			}
		}
		if len(ok) == 0 || c.SizeGrid.Sign() > 0 || c.PriceGrid.Sign() > 0 {
			if portfolio {
				return PMScenario(PMConfig{}).Draw(t, "scenario")
			}
			return Scenario(c).Draw(t, "scenario")
		}
		return rapid.SampledFrom(ok).Draw(t, "extreme").Scenario
	})
}

// allows says whether c's markets may select every variant of vs.
func allows(c Config, vs map[string]string) bool {
	for key, name := range vs {
		if !slices.Contains(c.Variants[key], name) {
			return false
		}
	}
	return true
}

// maxText is NUM-1's MAX, the largest magnitude: (2^63 - 1) * 1e-8.
const maxText = "92233720368.54775807"

// Check returns what is wrong in rep at x.Path (empty when it holds Want).
func (x Extreme) Check(rep *spec.Report) string {
	v, ok := specutil.ReportedValue(rep, x.Path)
	if !ok || !v.Valid || !v.Decimal.Equal(decimal.RequireFromString(x.Want)) {
		got := "null"
		if !ok {
			got = "absent"
		} else if v.Valid {
			got = v.Decimal.String()
		}
		return fmt.Sprintf("%s = %s, want %s", x.Path, got, x.Want)
	}
	return ""
}

// Extremes returns the hand-made scenarios at the edges of the fixed-point
// range, in a fixed order (model TestExtremesReported and the vectors of
// query/NUM/edges.json use them).
func Extremes() []Extreme {
	d := decimal.RequireFromString
	nd := func(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }
	unit := d("0.00000001")
	market := func(modes ...spec.MarginMode) spec.Market {
		return spec.Market{TickSize: unit, LotSize: unit, MarginModes: modes,
			Tiers: []spec.Tier{{MinNotional: d("0"), MaxNotional: d(maxText), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")}}}
	}
	pm := func(shock string) spec.Market {
		m := market(spec.Cross, spec.Portfolio)
		m.PortfolioMargin = &spec.PortfolioParams{Shocks: []decimal.Decimal{d(shock)}}
		return m
	}
	price := func(mark string) spec.Price { return spec.Price{Mark: nd(mark)} }
	// Two longs of size 1 marked at 1, bought at MAX and at 2: wallet 0,
	// E = (1 - MAX) + (1 - 2) = -MAX exactly.
	minusMax := func(mode spec.MarginMode, variants *spec.Variants) *spec.Scenario {
		a, b := market(spec.Cross), market(spec.Cross)
		if mode == spec.Portfolio {
			a, b = pm("0"), pm("0")
			a.Underlying, b.Underlying = "A", "B"
		}
		a.Variants, b.Variants = variants, variants
		return &spec.Scenario{
			Markets: map[string]spec.Market{"A": a, "B": b},
			Prices:  map[string]spec.Price{"A": price("1"), "B": price("1")},
			Account: spec.Account{WalletBalance: d("0"), Positions: []spec.Position{
				{Market: "A", Side: spec.Long, Size: d("1"), EntryPrice: d(maxText), MarginMode: mode},
				{Market: "B", Side: spec.Long, Size: d("1"), EntryPrice: d("2"), MarginMode: mode},
			}},
		}
	}
	halfInitial := &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial}
	// A cross long of 1 bought at MAX, marked at MAX, on one tier of rate
	// mmr and leverage lev: its liquidation price is near MAX.
	longAtMax := func(wallet, mmr, lev string, variants *spec.Variants) *spec.Scenario {
		m := market(spec.Cross)
		m.Tiers = []spec.Tier{{MinNotional: d("0"), MaxNotional: d(maxText), MaintenanceMarginRate: d(mmr), MaxLeverage: d(lev)}}
		m.Variants = variants
		return &spec.Scenario{
			Markets: map[string]spec.Market{"A": m},
			Prices:  map[string]spec.Price{"A": price(maxText)},
			Account: spec.Account{WalletBalance: d(wallet), Positions: []spec.Position{{Market: "A", Side: spec.Long, Size: d("1"), EntryPrice: d(maxText), MarginMode: spec.Cross}}},
		}
	}
	return []Extreme{
		{Name: "pm-ratio-max", Path: "portfolio.marginRatio", Want: maxText, Portfolio: true,
			What: "a portfolio long of 153.092023 at 602.47241209 (D = 92,233.72036854775807 = (2^63 - 1) * 1e-14; 2^63 - 1 = 7^2 * 73 * 127 * 337 * 92737 * 649657 split in two factors), one shock -0.01: MM = MR1 = 922.3372036854775807; wallet 1e-8, entry at the mark: E = 1e-8; marginRatio = MM / E = 92,233,720,368.54775807 = MAX exactly (PM-10, POOL-4: null only above MAX)",
			Scenario: &spec.Scenario{
				Markets: map[string]spec.Market{"A": pm("-0.01")},
				Prices:  map[string]spec.Price{"A": price("602.47241209")},
				Account: spec.Account{WalletBalance: unit, Positions: []spec.Position{{Market: "A", Side: spec.Long, Size: d("153.092023"), EntryPrice: d("602.47241209"), MarginMode: spec.Portfolio}}},
			}},
		{Name: "pm-move-up-max", Path: "portfolio.units[0].criticalMoveUp", Want: maxText, Portfolio: true,
			What: "a portfolio short of 1 at 1 (entry 1), one shock 0 (MM = 0), wallet MAX: E(r) = MAX - r, so the account becomes liquidatable just past r = MAX: criticalMoveUp = MAX exactly (PM-11: out-of-range only above MAX)",
			Scenario: &spec.Scenario{
				Markets: map[string]spec.Market{"A": pm("0")},
				Prices:  map[string]spec.Price{"A": price("1")},
				Account: spec.Account{WalletBalance: d(maxText), Positions: []spec.Position{{Market: "A", Side: spec.Short, Size: d("1"), EntryPrice: d("1"), MarginMode: spec.Portfolio}}},
			}},
		{Name: "pm-equity-minus-max", Path: "portfolio.equity", Want: "-" + maxText, Portfolio: true,
			What:     "portfolio longs of 1 on two underlyings, bought at MAX and at 2, both marked at 1, one shock 0 each (MM = 0), wallet 0: E = (1 - MAX) + (1 - 2) = -MAX exactly (PM-10; NUM-2: -MAX fits)",
			Scenario: minusMax(spec.Portfolio, nil)},
		{Name: "cross-equity-minus-max", Path: "pools[0].equity", Want: "-" + maxText,
			What:     "the same two longs in cross mode: the cross pool's E = -MAX exactly (POOL-1; NUM-2: -MAX fits)",
			Scenario: minusMax(spec.Cross, nil)},
		{Name: "half-initial-equity-minus-max", Path: "pools[0].equity", Want: "-" + maxText, Variants: map[string]string{"maintenanceRate": spec.MaintenanceRateHalfInitial},
			What:     "the same two cross longs on markets under TIER-3:half-initial: the cross pool's E = -MAX exactly (POOL-1, TIER-3)",
			Scenario: minusMax(spec.Cross, halfInitial)},
		{Name: "upnl-minus-max", Path: "positions[0].unrealizedPnl", Want: "-" + maxText,
			What: "a cross long of 1e-8 marked at 1e-8 with entryValue MAX: U = 1e-16 - MAX, rounded down to -MAX exactly (POS-2, RPT-2; NUM-2: -MAX fits)",
			Scenario: &spec.Scenario{
				Markets: map[string]spec.Market{"A": market(spec.Cross)},
				Prices:  map[string]spec.Price{"A": price("0.00000001")},
				Account: spec.Account{WalletBalance: d("0"), Positions: []spec.Position{{Market: "A", Side: spec.Long, Size: unit, EntryValue: nd(maxText), MarginMode: spec.Cross}}},
			}},
		{Name: "liquidation-price-max", Path: "positions[0].liquidationPrice", Want: maxText,
			What:     "a cross long of 1 bought at MAX, wallet 0, maintenanceMarginRate 0: f(P) = P - MAX, liquidatable below MAX and not at MAX (E = MM = 0, POOL-5 strict): the liquidation price is MAX exactly, on the 1e-8 tick (LIQ-5..7: out-of-range only above MAX)",
			Scenario: longAtMax("0", "0", "100", nil)},
		{Name: "liquidation-price-max-at-equality", Path: "positions[0].liquidationPrice", Want: maxText, Variants: map[string]string{"trigger": spec.TriggerAtEquality},
			What:     "a cross long of 1 bought at MAX, maintenanceMarginRate 0.5 (maxLeverage 1), wallet 46,116,860,184.27387904 = MAX - (MAX - 1e-8) / 2, under POOL-5:at-equality: f(P) = wallet - MAX + P / 2 is 0 at P = MAX - 1e-8 where E = MM = 46,116,860,184.27387903 != 0 is liquidatable, so LIQ-5 steps one unit up to MAX, not liquidatable (E = wallet > MM = MAX / 2): the liquidation price is MAX exactly",
			Scenario: longAtMax("46116860184.27387904", "0.5", "1", &spec.Variants{Trigger: spec.TriggerAtEquality})},
		{Name: "isolated-margin-max", Path: "positions[0].isolatedMargin", Want: maxText, Isolated: true,
			What: "an isolated long of 1 bought at MAX, leverage 1, no isolatedMargin given: the default isolated margin is its initial margin at entry, MAX / 1 = MAX exactly (LED-2; NUM-2: MAX fits)",
			Scenario: &spec.Scenario{
				Markets: map[string]spec.Market{"A": market(spec.Isolated)},
				Prices:  map[string]spec.Price{"A": price(maxText)},
				Account: spec.Account{WalletBalance: d("0"), Positions: []spec.Position{{Market: "A", Side: spec.Long, Size: d("1"), EntryPrice: d(maxText), MarginMode: spec.Isolated, Leverage: nd("1")}}},
			}},
	}
}
