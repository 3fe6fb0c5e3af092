package model_test

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// A ledger applying a trade with a reused effect buffer: the effects come
// as fixed-point values, converted to the JSON contract (spec.Effect) only
// where needed. alice buys 0.01 BTC at 60,000 from bob (the maker): value
// 600, so alice pays the taker fee 600*0.0005 = 0.3 and bob the maker fee
// 600*0.0002 = 0.12 (TRD-4); opening cross positions moves no margin.
func ExampleLedger_ApplyAppend() {
	d := decimal.RequireFromString
	st := &spec.State{
		Markets: map[string]spec.Market{"BTC": {TickSize: d("0.1"), LotSize: d("0.001"),
			Tiers: []spec.Tier{{MinNotional: d("0"), MaxNotional: d("1000000"),
				MaintenanceMarginRate: d("0.005"), MaxLeverage: d("20")}},
			TakerFeeRate: decimal.NewNullDecimal(d("0.0005")), MakerFeeRate: decimal.NewNullDecimal(d("0.0002"))}},
		Prices: map[string]spec.Price{"BTC": {Mark: decimal.NewNullDecimal(d("60000"))}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("1000"), Positions: []spec.Position{}},
			"bob":   {WalletBalance: d("1000"), Positions: []spec.Position{}},
		},
	}
	l, err := model.NewLedger(st)
	if err != nil {
		fmt.Println(err)
		return
	}
	trade := spec.Event{Type: spec.EventTrade, Market: "BTC", Buyer: "alice", Seller: "bob",
		Size: decimal.NewNullDecimal(d("0.01")), Price: decimal.NewNullDecimal(d("60000"))}
	var buf []model.LedgerEffect // reuse buf[:0] for the next event
	buf, err = l.ApplyAppend(buf[:0], &trade)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range buf {
		switch e := &buf[i]; e.Type {
		case spec.EffectFill:
			fmt.Println(e.Type, e.Account, e.Side, e.Size, "@", e.Price, "against", e.Counterparty)
		case spec.EffectPosting:
			fmt.Println(e.Type, e.From, "->", e.To, e.Amount, e.Reason)
		}
	}
	fmt.Println(buf[2].Spec().Amount.Decimal) // the JSON contract's decimal
	// Output:
	// fill alice long 0.01 @ 60000 against bob
	// fill bob short 0.01 @ 60000 against alice
	// posting wallet:alice -> fees 0.3 fee
	// posting wallet:bob -> fees 0.12 fee
	// 0.3
}
