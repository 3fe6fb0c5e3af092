package reference_test

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// ExampleLedger opens a position between two accounts. The taker (the buyer,
// since the seller is the maker by default) pays up(3,000 * 0.0005) = 1.5,
// the maker up(3,000 * 0.0002) = 0.6 (TRD-4).
func ExampleLedger() {
	dec := decimal.RequireFromString
	market := spec.Market{
		TickSize: dec("0.1"), LotSize: dec("0.001"),
		Tiers: []spec.Tier{{MinNotional: dec("0"), MaxNotional: dec("1000000"),
			MaintenanceMarginRate: dec("0.005"), MaxLeverage: dec("100")}},
		MakerFeeRate: decimal.NewNullDecimal(dec("0.0002")),
		TakerFeeRate: decimal.NewNullDecimal(dec("0.0005")),
	}
	l, err := reference.NewLedger(&spec.State{
		Markets: map[string]spec.Market{"BTCUSDT": market},
		Prices:  map[string]spec.Price{"BTCUSDT": {Mark: decimal.NewNullDecimal(dec("30000"))}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: dec("1000")},
			"bob":   {WalletBalance: dec("1000")},
		},
	})
	if err != nil {
		panic(err)
	}
	effects, err := l.Apply(spec.Event{
		Type: spec.EventTrade, Market: "BTCUSDT", Buyer: "alice", Seller: "bob",
		Size: decimal.NewNullDecimal(dec("0.1")), Price: decimal.NewNullDecimal(dec("30000")),
	})
	if err != nil {
		panic(err)
	}
	for _, e := range effects {
		switch e.Type {
		case spec.EffectFill:
			fmt.Printf("fill %s %s %s @ %s vs %s\n", e.Account, e.Side, e.Size.Decimal, e.Price.Decimal, e.Counterparty)
		case spec.EffectPosting:
			fmt.Printf("posting %s -> %s %s (%s)\n", e.From, e.To, e.Amount.Decimal, e.Reason)
		}
	}
	fmt.Println("alice:", l.State().Accounts["alice"].WalletBalance, "check:", l.Check())
	// Output:
	// fill alice long 0.1 @ 30000 vs bob
	// fill bob short 0.1 @ 30000 vs alice
	// posting wallet:alice -> fees 1.5 (fee)
	// posting wallet:bob -> fees 0.6 (fee)
	// alice: 998.5 check: <nil>
}
