package model

import (
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// Seed document 000 (ApeX article), example B: an isolated XRP long.
// Long 1000 XRP @ 1.00, 10x, isolatedMargin 100, MMR 0.05.
func TestGoldenSeed000IsolatedXRP(t *testing.T) {
	for _, c := range []struct {
		basis                     spec.MMBasis
		margin                    string
		liq, liqExact, bankruptcy string
	}{
		// Entry basis (the article's formula): LP = EP - (M - MM(Q*EP))/Q.
		{spec.BasisEntry, "100", "0.95", "0.95", "0.9"},
		{spec.BasisEntry, "200", "0.85", "0.85", "0.8"},
		// Mark basis: root (1000-100)/(1000*0.95) = 0.947368421052...; (1000-200)/950 = 0.842105263157...
		{spec.BasisMark, "100", "0.9474", "0.94736843", "0.9"},
		{spec.BasisMark, "200", "0.8422", "0.84210527", "0.8"},
	} {
		s := &spec.Scenario{
			Markets: map[string]spec.Market{"XRPUSDT": mkt("0.0001", "1", c.basis, oneTier("0.05", "10"))},
			Prices:  map[string]spec.Price{"XRPUSDT": {Mark: nd("1")}},
			Account: spec.Account{WalletBalance: d("0"), Positions: []spec.Position{{
				Market: "XRPUSDT", Side: spec.Long, Size: d("1000"), EntryPrice: d("1"),
				MarginMode: spec.Isolated, Leverage: nd("10"), IsolatedMargin: nd(c.margin),
			}}},
		}
		r := mustEval(t, s)
		p := r.Positions[0]
		eqNull(t, string(c.basis)+" "+c.margin+" liquidationPrice", p.LiquidationPrice, c.liq)
		eqNull(t, string(c.basis)+" "+c.margin+" liquidationPriceExact", p.LiquidationPriceExact, c.liqExact)
		eqNull(t, string(c.basis)+" "+c.margin+" bankruptcyPrice", p.BankruptcyPrice, c.bankruptcy)
	}
}

// Seed document 000, example A: cross margin with two positions.
// Wallet 1000; long 0.1 BTC @30000 mark 31000 (U = +100); short 5 ETH @2000
// mark 2160 (U = -800). Equity 300. MM on mark basis 0.05*3100 + 0.05*10800
// = 155 + 540 = 695; on entry basis 0.05*3000 + 0.05*10000 = 150 + 500 = 650.
func TestGoldenSeed000Cross(t *testing.T) {
	for _, c := range []struct {
		basis spec.MMBasis
		mm    string
	}{{spec.BasisMark, "695"}, {spec.BasisEntry, "650"}} {
		s := &spec.Scenario{
			Markets: map[string]spec.Market{
				"BTCUSDT": mkt("0.1", "0.001", c.basis, oneTier("0.05", "10")),
				"ETHUSDT": mkt("0.01", "0.01", c.basis, oneTier("0.05", "10")),
			},
			Prices: map[string]spec.Price{"BTCUSDT": {Mark: nd("31000")}, "ETHUSDT": {Mark: nd("2160")}},
			Account: spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("0.1"), EntryPrice: d("30000"), MarginMode: spec.Cross, Leverage: nd("10")},
				{Market: "ETHUSDT", Side: spec.Short, Size: d("5"), EntryPrice: d("2000"), MarginMode: spec.Cross, Leverage: nd("10")},
			}},
		}
		r := mustEval(t, s)
		pool := r.Pools[0]
		eqDec(t, "equity", pool.Equity, "300")
		eqDec(t, "maintenanceMargin", pool.MaintenanceMargin, c.mm)
		if !pool.Liquidatable {
			t.Errorf("%s basis: pool not liquidatable, want liquidatable (300 < %s)", c.basis, c.mm)
		}
		eqDec(t, "unrealizedPnl[0]", r.Positions[0].UnrealizedPnl, "100")
		eqDec(t, "unrealizedPnl[1]", r.Positions[1].UnrealizedPnl, "-800")
		// IM at 10x on the mark notionals: 310 + 1080.
		eqDec(t, "initialMargin", pool.InitialMargin, "1390")
		eqDec(t, "available", pool.Available, "0")
	}
}

// Seed document 001: 10 BTC @60000 at 10x leverage needs 60000 initial margin.
func TestGoldenSeed001InitialMargin(t *testing.T) {
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"BTCUSDT": mkt("0.1", "0.001", "", oneTier("0.004", "125"))},
		Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd("60000")}},
		Account: spec.Account{WalletBalance: d("100000"), Positions: []spec.Position{
			{Market: "BTCUSDT", Side: spec.Long, Size: d("10"), EntryPrice: d("60000"), MarginMode: spec.Cross, Leverage: nd("10")},
		}},
	}
	r := mustEval(t, s)
	eqDec(t, "notional", r.Positions[0].Notional, "600000")
	eqDec(t, "initialMargin", r.Positions[0].InitialMargin, "60000")
	eqDec(t, "pool initialMargin", r.Pools[0].InitialMargin, "60000")
	eqDec(t, "available", r.Pools[0].Available, "40000")
}

// Bybit help center, "Liquidation Price (USDT Contract)", isolated example:
// long 1 BTC @20000 at 50x, MMR 0.5%; initial margin 20000/50 = 400 (the
// POS-5 default). Entry basis: LP = 20000 - (400 - 100) = 19700; bankruptcy
// 20000 - 400 = 19600. Mark basis: (20000 - 400)/(1 - 0.005) =
// 19698.4924623115..., exact (up) 19698.49246232, on the 0.01 tick 19698.50.
func TestGoldenBybitIsolated(t *testing.T) {
	for _, c := range []struct {
		basis      spec.MMBasis
		liq, exact string
	}{{spec.BasisEntry, "19700", "19700"}, {spec.BasisMark, "19698.50", "19698.49246232"}} {
		s := &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": mkt("0.01", "0.001", c.basis, oneTier("0.005", "50"))},
			Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd("20000")}},
			Account: spec.Account{WalletBalance: d("0"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("1"), EntryPrice: d("20000"), MarginMode: spec.Isolated, Leverage: nd("50")},
			}},
		}
		r := mustEval(t, s)
		p := r.Positions[0]
		eqNull(t, "isolatedMargin", p.IsolatedMargin, "400")
		eqNull(t, string(c.basis)+" liquidationPrice", p.LiquidationPrice, c.liq)
		eqNull(t, string(c.basis)+" liquidationPriceExact", p.LiquidationPriceExact, c.exact)
		eqNull(t, "bankruptcyPrice", p.BankruptcyPrice, "19600")
		eqDec(t, "pool equity", r.Pools[1].Equity, "400")
		eqDec(t, "pool MM", r.Pools[1].MaintenanceMargin, "100")
	}
}

// binanceTiers is Binance's BTCUSDT USDⓈ-M bracket table of October 2024
// (shared data/binance-leverage-tiers-2024-10.ccxt.json, BTC/USDT:USDT), first five tiers,
// with the published cum values.
func binanceTiers() []spec.Tier {
	return []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125"), MaintenanceAmount: nd("0")},
		{MinNotional: d("50000"), MaxNotional: d("600000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100"), MaintenanceAmount: nd("50")},
		{MinNotional: d("600000"), MaxNotional: d("3000000"), MaintenanceMarginRate: d("0.0065"), MaxLeverage: d("75"), MaintenanceAmount: nd("950")},
		{MinNotional: d("3000000"), MaxNotional: d("12000000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("50"), MaintenanceAmount: nd("11450")},
		{MinNotional: d("12000000"), MaxNotional: d("70000000"), MaintenanceMarginRate: d("0.02"), MaxLeverage: d("25"), MaintenanceAmount: nd("131450")},
	}
}

// Binance BTCUSDT brackets (2024-10): MM is continuous at 600000, where tier 2
// gives 600000*0.005 - 50 = 2950 and tier 3 gives 600000*0.0065 - 950 = 2950;
// just below, 599999.99*0.005 - 50 = 2949.99995 (tier 2).
func TestGoldenBinanceContinuity(t *testing.T) {
	for _, c := range []struct {
		size, mark, mm string
		tier           int
	}{
		{"10", "60000", "2950", 3},
		{"1", "599999.99", "2949.99995", 2},
		{"1", "600000", "2950", 3},
		{"1", "50000", "200", 2},         // 50000*0.005 - 50 = 200 = 50000*0.004
		{"1", "3000000", "18550", 4},     // 3e6*0.0065 - 950 = 18550 = 3e6*0.01 - 11450
		{"1", "100000000", "1868550", 5}, // beyond the last maxNotional: the last formula extends
	} {
		s := &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": mkt("0.1", "0.001", "", binanceTiers())},
			Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd(c.mark)}},
			Account: spec.Account{WalletBalance: d("100000000"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d(c.size), EntryPrice: d(c.mark), MarginMode: spec.Cross},
			}},
		}
		r := mustEval(t, s)
		eqDec(t, "maintenanceMargin at "+c.mark, r.Positions[0].MaintenanceMargin, c.mm)
		if r.Positions[0].Tier != c.tier {
			t.Errorf("tier at %s x %s = %d, want %d", c.size, c.mark, r.Positions[0].Tier, c.tier)
		}
	}
	// A maintenanceAmount of 900 for tier 3 breaks TIER-6 (the recursion gives 950).
	tiers := binanceTiers()
	tiers[2].MaintenanceAmount = nd("900")
	_, err := Evaluate(&spec.Scenario{Markets: map[string]spec.Market{"BTCUSDT": mkt("0.1", "0.001", "", tiers)}})
	e, ok := err.(*spec.Error)
	if !ok || e.Path != "markets.BTCUSDT.tiers[2].maintenanceAmount" || e.Rule != "TIER-6" {
		t.Fatalf("err = %v, want TIER-6 at markets.BTCUSDT.tiers[2].maintenanceAmount", err)
	}
}

// SPEC LIQ-3: a long at 1x isolated (margin = notional) is never liquidated;
// a short at 1x has a liquidation price (here mark basis, MMR 0.05:
// (1000 + 1000)/(1000*1.05) = 1.904761904..., tickDown 1.9047).
func TestGoldenOneX(t *testing.T) {
	for _, c := range []struct {
		side   spec.Side
		liq    string
		reason string
	}{{spec.Long, "", spec.ReasonNeverLiquidatable}, {spec.Short, "1.9047", ""}} {
		s := &spec.Scenario{
			Markets: map[string]spec.Market{"XRPUSDT": mkt("0.0001", "1", "", oneTier("0.05", "10"))},
			Prices:  map[string]spec.Price{"XRPUSDT": {Mark: nd("1")}},
			Account: spec.Account{Positions: []spec.Position{{
				Market: "XRPUSDT", Side: c.side, Size: d("1000"), EntryPrice: d("1"),
				MarginMode: spec.Isolated, Leverage: nd("1"),
			}}},
		}
		r := mustEval(t, s)
		p := r.Positions[0]
		eqNull(t, string(c.side)+" isolatedMargin", p.IsolatedMargin, "1000")
		eqNull(t, string(c.side)+" liquidationPrice", p.LiquidationPrice, c.liq)
		if p.LiquidationPriceReason != c.reason {
			t.Errorf("%s reason = %q, want %q", c.side, p.LiquidationPriceReason, c.reason)
		}
	}
}
