package model_test

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func null(s string) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: decimal.RequireFromString(s), Valid: true}
}

// Bybit's isolated example: long 1 BTC at 20000 with 50x leverage and a 0.5%
// maintenance margin rate. The isolated margin defaults to the initial margin
// at entry, 400.
func ExampleEvaluate() {
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"BTCUSDT": {
			TickSize: dec("0.01"), LotSize: dec("0.001"), MMBasis: spec.BasisEntry,
			Tiers: []spec.Tier{{MinNotional: dec("0"), MaxNotional: dec("2000000"),
				MaintenanceMarginRate: dec("0.005"), MaxLeverage: dec("50")}},
		}},
		Prices: map[string]spec.Price{"BTCUSDT": {Mark: null("20000")}},
		Account: spec.Account{Positions: []spec.Position{{
			Market: "BTCUSDT", Side: spec.Long, Size: dec("1"), EntryPrice: dec("20000"),
			MarginMode: spec.Isolated, Leverage: null("50"),
		}}},
	}
	r, err := model.Evaluate(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := r.Positions[0]
	fmt.Println("isolated margin:", p.IsolatedMargin.Decimal)
	fmt.Println("liquidation price:", p.LiquidationPrice.Decimal)
	fmt.Println("bankruptcy price:", p.BankruptcyPrice.Decimal)
	fmt.Println("pool equity:", r.Pools[1].Equity, "MM:", r.Pools[1].MaintenanceMargin)
	// Output:
	// isolated margin: 400
	// liquidation price: 19700
	// bankruptcy price: 19600
	// pool equity: 400 MM: 100
}

// A scan: load once, then move the mark and check the cross pool's health
// without allocating. The seed document's cross example (wallet 1000, long
// 0.1 BTC from 30000, short 5 ETH from 2000) is liquidatable at ETH 2160 and
// healthy again when ETH falls back to 2000.
func ExamplePortfolio_Cross() {
	tiers := []spec.Tier{{MinNotional: dec("0"), MaxNotional: dec("1000000"),
		MaintenanceMarginRate: dec("0.05"), MaxLeverage: dec("10")}}
	s := &spec.Scenario{
		Markets: map[string]spec.Market{
			"BTCUSDT": {TickSize: dec("0.1"), LotSize: dec("0.001"), Tiers: tiers},
			"ETHUSDT": {TickSize: dec("0.01"), LotSize: dec("0.01"), Tiers: tiers},
		},
		Prices: map[string]spec.Price{"BTCUSDT": {Mark: null("31000")}, "ETHUSDT": {Mark: null("2160")}},
		Account: spec.Account{WalletBalance: dec("1000"), Positions: []spec.Position{
			{Market: "BTCUSDT", Side: spec.Long, Size: dec("0.1"), EntryPrice: dec("30000"), MarginMode: spec.Cross, Leverage: null("10")},
			{Market: "ETHUSDT", Side: spec.Short, Size: dec("5"), EntryPrice: dec("2000"), MarginMode: spec.Cross, Leverage: null("10")},
		}},
	}
	p, err := model.Load(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	eth, _ := p.MarketIndex("ETHUSDT")
	for _, mark := range []model.Fixed{2160 * model.Scale, 2000 * model.Scale} {
		if err := p.SetMark(eth, mark); err != nil {
			fmt.Println(err)
			return
		}
		h, err := p.Cross()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("ETH %s: equity %s, MM %s, liquidatable %v\n", mark, h.Equity, h.MaintenanceMargin, h.Liquidatable)
	}
	// K = 1000 + 100 - 155 (the BTC position at its mark), so the short's
	// root is (945 + 5*2000) / (5 * 1.05) = 2084.7619047...
	lp, _ := p.LiquidationPrice(1)
	fmt.Println("ETH liquidation price:", lp.Price, "exact:", lp.Exact)
	// Output:
	// ETH 2160: equity 300, MM 695, liquidatable true
	// ETH 2000: equity 1100, MM 655, liquidatable false
	// ETH liquidation price: 2084.76 exact: 2084.76190476
}

// Fixed is an int64 number of 1e-8 units, printed in shortest form.
func ExampleFixed() {
	f, err := model.FixedFromDecimal(dec("1.50000000"))
	fmt.Println(int64(f), f, f.Decimal().Equal(dec("1.5")))
	_, err = model.FixedFromDecimal(dec("0.000000001"))
	fmt.Println(err.(*spec.Error).Rule)
	// Output:
	// 150000000 1.5 true
	// NUM-1
}
