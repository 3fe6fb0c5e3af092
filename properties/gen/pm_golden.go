package gen

import (
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// PMGolden returns the scenario of a published portfolio-margin example
// (SPEC PM), each computed by hand in its comment: "okx-mr7",
// "deribit-calendar" or "span-long". The golden tests of model and
// reference evaluate them. It panics on an unknown name.
func PMGolden(name string) *spec.Scenario {
	d := decimal.RequireFromString
	nd := func(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }
	tiers := []spec.Tier{{MinNotional: d("0"), MaxNotional: d("1000000000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")}}
	mk := func(pp *spec.PortfolioParams, exp string) spec.Market {
		m := spec.Market{TickSize: d("0.1"), LotSize: d("0.001"), Tiers: tiers, Underlying: "BTC", PortfolioMargin: pp,
			MarginModes: []spec.MarginMode{spec.Cross, spec.Portfolio}}
		if exp != "" {
			e := d(exp)
			m.Expiry = &e
		}
		return m
	}
	pos := func(m string, side spec.Side, size, ep string) spec.Position {
		return spec.Position{Market: m, Side: side, Size: d(size), EntryPrice: d(ep), MarginMode: spec.Portfolio}
	}
	shocks := func(xs ...string) []decimal.Decimal {
		out := make([]decimal.Decimal, len(xs))
		for i, x := range xs {
			out[i] = d(x)
		}
		return out
	}
	switch name {
	case "okx-mr7":
		// OKX "OKEx adjusts scaling-factor logic in Portfolio Margin mode"
		// (support article 4417291853837): MR = 40,000, MR7 raw 30,000,
		// scaled under the old BTC table [0, 10,000] x1, (10,000, 70,000] x2
		// to 10,000 + 20,000 * 2 = 50,000, so MMR = max(40,000, 50,000) = 50,000.
		// Here: long 10 BTC at mark 100,000 (N = 1,000,000), grid +-4 %:
		// MR1 = 0.04 * 1,000,000 = 40,000; raw rate 3 %: R = 30,000.
		var ct []spec.ChargeTier
		bounds := []string{"0", "10000", "70000", "170000", "300000", "470000", "700000", "92233720368"}
		for i, m := range []string{"1", "2", "4", "6", "8", "10", "12"} {
			ct = append(ct, spec.ChargeTier{MinCharge: d(bounds[i]), MaxCharge: d(bounds[i+1]), Multiplier: d(m)})
		}
		pp := &spec.PortfolioParams{Shocks: shocks("-0.04", "0", "0.04"), MinimumChargeRate: nd("0.03"), MinimumChargeTiers: ct}
		return &spec.Scenario{
			Markets: map[string]spec.Market{"BTC-PERP": mk(pp, "")},
			Prices:  map[string]spec.Price{"BTC-PERP": {Mark: nd("100000")}},
			Account: spec.Account{WalletBalance: d("100000"), Positions: []spec.Position{pos("BTC-PERP", spec.Long, "10", "100000")}},
		}
	case "deribit-calendar":
		// Deribit portfolio margin: "long 100 BTC in Future A, short 100 BTC
		// in Future B -> 1.00 % x 100 BTC added". Both at 50,000: D = 0, so
		// the scan and extreme losses are 0, and C = 0.01 * min(5,000,000,
		// 5,000,000) = 50,000 = 1 BTC at 50,000; MM = 50,000.
		pp := &spec.PortfolioParams{Shocks: shocks("-0.16", "-0.08", "0", "0.08", "0.16"), ContingencyRate: nd("0.01")}
		return &spec.Scenario{
			Markets: map[string]spec.Market{"BTC-A": mk(pp, "0.25"), "BTC-B": mk(pp, "0.5")},
			Prices:  map[string]spec.Price{"BTC-A": {Mark: nd("50000")}, "BTC-B": {Mark: nd("50000")}},
			Account: spec.Account{WalletBalance: d("60000"), Positions: []spec.Position{
				pos("BTC-A", spec.Long, "100", "50000"), pos("BTC-B", spec.Short, "100", "50000")}},
		}
	case "span-long":
		// CME SPAN, S&P 500 future: price scan range 120 points x $250 =
		// $30,000. One contract = 250 units at 4,000 (N = 1,000,000), so the
		// range is 3 %; the grid is 0, +-1/3, +-2/3, +-1 of it (+-1 %, 2 %,
		// 3 %), the extreme move 2 x 3 % = 6 % counted at 35 %. Scan risk
		// = 0.03 * 1,000,000 = 30,000 (scenario -1 x range); extreme
		// 0.35 * 0.06 * 1,000,000 = 21,000 < 30,000; MM = 30,000.
		pp := &spec.PortfolioParams{Shocks: shocks("0", "0.01", "-0.01", "0.02", "-0.02", "0.03", "-0.03"),
			ExtremeMove: nd("0.06"), ExtremeFraction: nd("0.35")}
		m := mk(pp, "0.25")
		m.Underlying, m.LotSize = "SP500", d("1")
		return &spec.Scenario{
			Markets: map[string]spec.Market{"ES": m},
			Prices:  map[string]spec.Price{"ES": {Mark: nd("4000")}},
			Account: spec.Account{WalletBalance: d("50000"), Positions: []spec.Position{pos("ES", spec.Long, "250", "4000")}},
		}
	}
	panic(name)
}
