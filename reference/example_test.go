package reference_test

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// Bybit's published isolated example: long 1 BTC at 20000 with 50x, MMR 0.5%,
// maintenance margin on the mark (the default), tick 0.01. The isolated margin
// defaults to the initial margin at entry, 20000/50 = 400.
func ExampleEvaluate() {
	dec := decimal.RequireFromString
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"BTCUSDT": {
			TickSize: dec("0.01"), LotSize: dec("0.001"),
			Tiers: []spec.Tier{{MinNotional: dec("0"), MaxNotional: dec("2000000"), MaintenanceMarginRate: dec("0.005"), MaxLeverage: dec("50")}},
		}},
		Prices: map[string]spec.Price{"BTCUSDT": {Mark: decimal.NewNullDecimal(dec("20000"))}},
		Account: spec.Account{Positions: []spec.Position{{
			Market: "BTCUSDT", Side: spec.Long, Size: dec("1"), EntryPrice: dec("20000"),
			MarginMode: spec.Isolated, Leverage: decimal.NewNullDecimal(dec("50")),
		}}},
	}
	r, err := reference.Evaluate(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := r.Positions[0]
	fmt.Println("isolated margin:", p.IsolatedMargin.Decimal)
	fmt.Println("liquidation price:", p.LiquidationPrice.Decimal, "exact:", p.LiquidationPriceExact.Decimal)
	fmt.Println("bankruptcy price:", p.BankruptcyPrice.Decimal)
	fmt.Println("margin ratio:", r.Pools[1].MarginRatio.Decimal)

	// An out-of-range tier table is an error naming the field and the rule.
	m := s.Markets["BTCUSDT"]
	m.Tiers = []spec.Tier{{MinNotional: dec("0"), MaxNotional: dec("2000000"), MaintenanceMarginRate: dec("0.05"), MaxLeverage: dec("50")}}
	s.Markets = map[string]spec.Market{"BTCUSDT": m}
	_, err = reference.Evaluate(s)
	fmt.Println(err)
	// Output:
	// isolated margin: 400
	// liquidation price: 19698.5 exact: 19698.49246232
	// bankruptcy price: 19600
	// margin ratio: 0.25
	// markets.BTCUSDT.tiers[0].maxLeverage: TIER-5: maintenanceMarginRate 0.05 * maxLeverage 50 exceeds 1
}
