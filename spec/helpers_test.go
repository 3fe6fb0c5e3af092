package spec_test

import (
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

func d(s string) decimal.Decimal      { return decimal.RequireFromString(s) }
func nd(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }

// tiers returns a four-tier bracket table.
func tiers() []spec.Tier {
	return []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125")},
		{MinNotional: d("50000"), MaxNotional: d("600000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100"), MaintenanceAmount: nd("50")},
		{MinNotional: d("600000"), MaxNotional: d("3000000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("50")},
		{MinNotional: d("3000000"), MaxNotional: d("12000000"), MaintenanceMarginRate: d("0.025"), MaxLeverage: d("20")},
	}
}

// scenario returns a scenario with two markets, a computed and a given
// mark, and a cross and an isolated position: every slice and map of the
// type is non-empty.
func scenario() *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{
			"BTCUSDT": {TickSize: d("0.1"), LotSize: d("0.001"), Tiers: tiers(), MarginModes: []spec.MarginMode{spec.Cross, spec.Isolated}},
			"ETHUSDT": {TickSize: d("0.01"), LotSize: d("0.01"), MMBasis: spec.BasisEntry, Tiers: tiers()[:2], LiquidationFeeRate: nd("0.01")},
		},
		Prices: map[string]spec.Price{
			"BTCUSDT": {Mark: nd("30000")},
			"ETHUSDT": {Index: nd("2000"), Last: nd("2001.5"), FundingRate: nd("0.0001"), SecondsToFunding: nd("3600")},
		},
		Account: spec.Account{
			WalletBalance: d("1000"),
			Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("0.1"), EntryPrice: d("30000"), MarginMode: spec.Cross},
				{Market: "ETHUSDT", Side: spec.Short, Size: d("5"), EntryValue: nd("10000"), MarginMode: spec.Isolated, Leverage: nd("10"), IsolatedMargin: nd("1000")},
			},
			Settings: map[string]spec.AccountSettings{"ETHUSDT": {Leverage: nd("10"), MarginMode: spec.Isolated}},
		},
	}
}

// state returns a ledger state with two markets, two traders with
// positions and settings, an insurance fund with a position and a
// settlement: balanced (LED-4).
func state() *spec.State {
	s := scenario()
	return &spec.State{
		Markets: s.Markets,
		Prices:  s.Prices,
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("1000"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("0.1"), EntryPrice: d("30000"), MarginMode: spec.Cross},
				{Market: "ETHUSDT", Side: spec.Short, Size: d("5"), EntryPrice: d("2000"), MarginMode: spec.Isolated, Leverage: nd("10"), IsolatedMargin: nd("1000")},
			}, Settings: map[string]spec.AccountSettings{"ETHUSDT": {Leverage: nd("10"), MarginMode: spec.Isolated}}},
			"mm": {WalletBalance: d("100000"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Short, Size: d("0.05"), EntryPrice: d("30000"), MarginMode: spec.Cross},
				{Market: "ETHUSDT", Side: spec.Long, Size: d("5"), EntryPrice: d("2000"), MarginMode: spec.Cross},
			}},
		},
		InsuranceFund: spec.Account{WalletBalance: d("10000"), Positions: []spec.Position{
			{Market: "BTCUSDT", Side: spec.Short, Size: d("0.05"), EntryValue: nd("1500"), MarginMode: spec.Cross},
		}},
		FeePool:    d("12.5"),
		Dust:       d("0.00000003"),
		Settlement: nd("0"),
	}
}

// report returns a report with two positions and two pools.
func report() *spec.Report {
	return &spec.Report{
		Prices: map[string]spec.PriceReport{"BTCUSDT": {Mark: d("30000")}, "ETHUSDT": {Mark: d("2000.25"), Computed: true}},
		Positions: []spec.PositionReport{
			{Market: "BTCUSDT", Side: spec.Long, MarginMode: spec.Cross, Notional: d("3000"), Leverage: d("20"), InitialMargin: d("150"), MaintenanceMargin: d("12"), Tier: 1,
				LiquidationPriceReason: spec.ReasonNeverLiquidatable, BankruptcyPriceReason: spec.ReasonNeverBankrupt},
			{Market: "ETHUSDT", Side: spec.Short, MarginMode: spec.Isolated, Notional: d("10001.25"), UnrealizedPnl: d("-1.25"), Leverage: d("10"), InitialMargin: d("1000.125"),
				MaintenanceMargin: d("12.5"), Tier: 1, LiquidationPrice: nd("2195.5"), LiquidationPriceExact: nd("2195.54"), BankruptcyPrice: nd("2200"),
				IsolatedMargin: nd("1000"), MaxRemovableMargin: nd("0")},
		},
		Pools: []spec.PoolReport{
			{Pool: spec.Cross, Position: -1, Equity: d("1000"), InitialMargin: d("150"), MaintenanceMargin: d("12"), Available: d("850"), MarginRatio: nd("0.012")},
			{Pool: spec.Isolated, Position: 1, Equity: d("998.75"), InitialMargin: d("1000.125"), MaintenanceMargin: d("12.5"), MarginRatio: nd("0.0125")},
		},
	}
}
