package model

import (
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// seedAMarkets are the markets of seed document 000, example A (ApeX
// article): one tier, MMR 5%, maxLeverage 10 (IM 10%), mark basis.
func seedAMarkets(liqFee string) map[string]spec.Market {
	btc := mkt("0.1", "0.001", spec.BasisMark, oneTier("0.05", "10"))
	eth := mkt("0.01", "0.01", spec.BasisMark, oneTier("0.05", "10"))
	if liqFee != "" {
		btc.LiquidationFeeRate, eth.LiquidationFeeRate = nd(liqFee), nd(liqFee)
	}
	return map[string]spec.Market{"BTCUSDT": btc, "ETHUSDT": eth}
}

// Seed 000, example A: "$1,000, long 0.1 BTC @30,000 (notional 3,000) and
// short 5 ETH @2,000 (notional 10,000); each needs 10% initial margin: $300
// and $1,000". Summed IM is 1,300 > equity 1,000, so under TRD-5 the second
// trade is rejected with a shortfall of 1,300 - 1,000 = 300.
func TestLedgerSeedAOpeningRejected(t *testing.T) {
	st := &spec.State{
		Markets: seedAMarkets(""),
		Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd("30000")}, "ETHUSDT": {Mark: nd("2000")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("1000")},
			"mm":    {WalletBalance: d("1000000")},
		},
	}
	h := newHarness(t, st)
	eqEffects(t, h.ok(evTrade("BTCUSDT", "alice", "mm", "0.1", "30000")), []string{
		"fill alice BTCUSDT long 0.1 @30000 cp mm trade",
		"fill mm BTCUSDT short 0.1 @30000 cp alice trade",
	})
	err := h.reject(evTrade("ETHUSDT", "mm", "alice", "5", "2000"), "events[1].seller", "TRD-5")
	if want := "shortfall 300)"; !contains(err.Msg, want) {
		t.Fatalf("message %q does not name the shortfall (%s)", err.Msg, want)
	}
	// The buyer of the rejected trade would have been fine: the same trade
	// with a funded alice passes (IM 1,300 <= 1,300).
	h.ok(evDeposit("alice", "300"))
	h.ok(evTrade("ETHUSDT", "mm", "alice", "5", "2000"))
	// And a second unit of risk is rejected again by exactly its IM 0.01*2000/10 = 2.
	err = h.reject(evTrade("ETHUSDT", "mm", "alice", "0.01", "2000"), "events[4].seller", "TRD-5")
	if !contains(err.Msg, "shortfall 2)") {
		t.Fatalf("message %q", err.Msg)
	}
	// A reducing trade is never rejected by TRD-5.
	h.ok(evTrade("ETHUSDT", "alice", "mm", "1", "2000"))
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}

// seedAState is example A with both positions open: alice (wallet 1,000)
// long 0.1 BTC @30,000 and short 5 ETH @2,000, cross at 10x (POS-4 default
// min(20, 10)); mm holds the opposite side; the fund has 10,000.
func seedAState(liqFee string) *spec.State {
	return &spec.State{
		Markets: seedAMarkets(liqFee),
		Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd("30000")}, "ETHUSDT": {Mark: nd("2000")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("1000"), Positions: []spec.Position{
				crossPos("BTCUSDT", spec.Long, "0.1", "30000"), crossPos("ETHUSDT", spec.Short, "5", "2000")}},
			"mm": {WalletBalance: d("100000"), Positions: []spec.Position{
				crossPos("BTCUSDT", spec.Short, "0.1", "30000"), crossPos("ETHUSDT", spec.Long, "5", "2000")}},
		},
		InsuranceFund: spec.Account{WalletBalance: d("10000")},
	}
}

// Seed 000, example A, "one-sided move": BTC +100 and the ETH short -800:
// equity 1,000 + 100 - 800 = 300 below MM (mark basis 0.05*3,100 +
// 0.05*10,800 = 695): liquidation; "the system liquidates the ETH short
// (the larger loss) first, leaving a little to maintain the BTC long".
// By hand, LQ-2..4 with liquidationFeeRate 1%: ETH executes at tickUp(2160)
// = 2160; E_x = 300 >= 0 (solvent). Close ETH: R = -(5*2160 - 10000) = -800,
// wallet 200; E' = 200 + 100 = 300; fee min(up(0.01*10800) = 108, 300) = 108;
// wallet 92; E = 192 >= MM 0.05*3100 = 155: healthy, the loop stops.
func TestLedgerSeedACrossLiquidation(t *testing.T) {
	h := newHarness(t, seedAState("0.01"))
	if effs := h.ok(evMark("BTCUSDT", "31000")); len(effs) != 0 {
		t.Fatalf("BTC to 31,000 liquidated: %v", effStr(effs))
	}
	effs := h.ok(evMark("ETHUSDT", "2160"))
	eqEffects(t, effs, []string{
		"liq alice ETHUSDT cross",
		"fill alice ETHUSDT long 5 @2160 cp @insurance liquidation",
		"fill @insurance ETHUSDT short 5 @2160 cp alice liquidation",
		"post wallet:alice -> settlement 800 realized-pnl",
		"post wallet:alice -> wallet:@insurance 108 liquidation-fee",
	})
	eqDec(t, "alice wallet", h.wallet("alice"), "92")
	if p := h.position("alice", "BTCUSDT"); p == nil || !p.Size.Equal(d("0.1")) {
		t.Fatalf("BTC long should survive: %+v", p)
	}
	if h.position("alice", "ETHUSDT") != nil {
		t.Fatalf("ETH short should be closed")
	}
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "10108")
	fp := h.position(spec.InsuranceAccount, "ETHUSDT")
	if fp == nil || fp.Side != spec.Short || !fp.EntryValue.Decimal.Equal(d("10800")) {
		t.Fatalf("fund position %+v", fp)
	}
	eqDec(t, "settlement", h.l.State().Settlement.Decimal, "800")
}

// The same move with liquidationFeeRate 1.5%: the ETH fee up(0.015*10800) =
// 162 leaves wallet 38, E = 138 < MM 155, so LQ-4 continues: BTC closes at
// tickDown(31000) = 31000, R = +100 (wallet 138), E' = 138, fee
// min(up(0.015*3100) = 46.5, 138) = 46.5: wallet 91.5, flat.
func TestLedgerSeedACrossLiquidationContinues(t *testing.T) {
	h := newHarness(t, seedAState("0.015"))
	h.ok(evMark("BTCUSDT", "31000"))
	effs := h.ok(evMark("ETHUSDT", "2160"))
	eqEffects(t, effs, []string{
		"liq alice ETHUSDT cross",
		"fill alice ETHUSDT long 5 @2160 cp @insurance liquidation",
		"fill @insurance ETHUSDT short 5 @2160 cp alice liquidation",
		"post wallet:alice -> settlement 800 realized-pnl",
		"post wallet:alice -> wallet:@insurance 162 liquidation-fee",
		"liq alice BTCUSDT cross",
		"fill @insurance BTCUSDT long 0.1 @31000 cp alice liquidation",
		"fill alice BTCUSDT short 0.1 @31000 cp @insurance liquidation",
		"post settlement -> wallet:alice 100 realized-pnl",
		"post wallet:alice -> wallet:@insurance 46.5 liquidation-fee",
	})
	eqDec(t, "alice wallet", h.wallet("alice"), "91.5")
	if len(h.acct("alice").Positions) != 0 {
		t.Fatalf("alice should be flat")
	}
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "10208.5")
}

// seedBState is seed 000, example B: isolated long 1,000 XRP @1.00 at 10x
// with margin $100, MM 5% on entry value (the article's basis); bob's cross
// wallet holds 500 more. The shorts are carol (cross, 600) and dave
// (isolated 10x, 400, margin up(400/10) = 40 by POS-5).
func seedBState(fund, liqFee string) *spec.State {
	m := mkt("0.0001", "1", spec.BasisEntry, oneTier("0.05", "10"))
	if liqFee != "" {
		m.LiquidationFeeRate = nd(liqFee)
	}
	iso := map[string]spec.AccountSettings{"XRPUSDT": {MarginMode: spec.Isolated, Leverage: nd("10")}}
	return &spec.State{
		Markets: map[string]spec.Market{"XRPUSDT": m},
		Prices:  map[string]spec.Price{"XRPUSDT": {Mark: nd("1")}},
		Accounts: map[string]spec.Account{
			"bob": {WalletBalance: d("500"), Settings: iso, Positions: []spec.Position{{Market: "XRPUSDT", Side: spec.Long,
				Size: d("1000"), EntryPrice: d("1"), MarginMode: spec.Isolated, Leverage: nd("10"), IsolatedMargin: nd("100")}}},
			"carol": {WalletBalance: d("1000"), Positions: []spec.Position{crossPos("XRPUSDT", spec.Short, "600", "1")}},
			"dave": {WalletBalance: d("0"), Settings: iso, Positions: []spec.Position{{Market: "XRPUSDT", Side: spec.Short,
				Size: d("400"), EntryPrice: d("1"), MarginMode: spec.Isolated, Leverage: nd("10")}}},
		},
		InsuranceFund: spec.Account{WalletBalance: d(fund)},
	}
}

// Seed 000, example B: "if XRP falls so that the funds drop to $50 (a $50
// loss, price about $0.95) it is liquidated ... the rest of the account is
// unaffected". Liquidation price (entry basis) 1 - (100 - 50)/1000 = 0.95:
// at mark 0.95, E = 50 = MM is not liquidatable (POOL-5); at 0.9499 it is.
// By hand (LQ-2, LQ-4): p = 0.9499, R = 949.9 - 1000 = -50.1, M' = 49.9;
// fee min(up(0.01*949.9) = 9.499, 49.9) = 9.499; the rest 40.401 returns to
// the wallet: 540.401. bob's loss 59.599 <= the $100 margin (LQ-8).
func TestLedgerSeedBIsolatedLiquidation(t *testing.T) {
	h := newHarness(t, seedBState("1000", "0.01"))
	if effs := h.ok(evMark("XRPUSDT", "0.95")); len(effs) != 0 {
		t.Fatalf("E = MM liquidated: %v", effStr(effs))
	}
	effs := h.ok(evMark("XRPUSDT", "0.9499"))
	eqEffects(t, effs, []string{
		"liq bob XRPUSDT isolated",
		"fill @insurance XRPUSDT long 1000 @0.9499 cp bob liquidation",
		"fill bob XRPUSDT short 1000 @0.9499 cp @insurance liquidation",
		"post isolated:bob:XRPUSDT -> settlement 50.1 realized-pnl",
		"post isolated:bob:XRPUSDT -> wallet:@insurance 9.499 liquidation-fee",
		"post isolated:bob:XRPUSDT -> wallet:bob 40.401 margin",
	})
	eqDec(t, "bob wallet", h.wallet("bob"), "540.401")
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "1009.499")
}

// Seed 000, example B, a gap far below bankruptcy (0.9 = 1 - 100/1000):
// mark 0.85. E_x = 100 + 850 - 1000 = -50: bankrupt, deficit 50. With a
// fund of 1,000 (LQ-5) the fund takes the long at 0.85 and pays exactly 50;
// bob's loss is exactly his 100 margin and his wallet stays 500.
func TestLedgerSeedBGapInsurance(t *testing.T) {
	h := newHarness(t, seedBState("1000", "0.01"))
	effs := h.ok(evMark("XRPUSDT", "0.85"))
	eqEffects(t, effs, []string{
		"liq bob XRPUSDT isolated",
		"fill @insurance XRPUSDT long 1000 @0.85 cp bob liquidation",
		"fill bob XRPUSDT short 1000 @0.85 cp @insurance liquidation",
		"post isolated:bob:XRPUSDT -> settlement 150 realized-pnl",
		"post wallet:@insurance -> isolated:bob:XRPUSDT 50 insurance",
	})
	eqDec(t, "bob wallet", h.wallet("bob"), "500")
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "950")
}

// The same gap with an empty fund (LQ-6, ADL): bob's long closes at
// tickUp(0.85 + 50/1000) = 0.9, his bankruptcy price (BKR-1), against the
// shorts in ADL-2 order. At mark 0.85: dave U = 60, E = 40 + 60 = 100,
// pnl = 60/400 = 0.15, N/E = 340/100 = 3.4, score 0.51; carol U = 90,
// E = 1090, pnl 0.15, down(510/1090) = 0.46788990, score
// down(0.15*0.4678899) = 0.07018348. dave (400) first, then carol (600).
// dave: R = 400 - 360 = 40, margin 80 returned; carol: R = 60.
func TestLedgerSeedBGapADL(t *testing.T) {
	h := newHarness(t, seedBState("0", "0.01"))
	effs := h.ok(evMark("XRPUSDT", "0.85"))
	eqEffects(t, effs, []string{
		"liq bob XRPUSDT isolated",
		"fill dave XRPUSDT long 400 @0.9 cp bob adl",
		"fill bob XRPUSDT short 400 @0.9 cp dave adl",
		"post settlement -> isolated:dave:XRPUSDT 40 realized-pnl",
		"post isolated:dave:XRPUSDT -> wallet:dave 80 margin",
		"post isolated:bob:XRPUSDT -> settlement 40 realized-pnl",
		"fill carol XRPUSDT long 600 @0.9 cp bob adl",
		"fill bob XRPUSDT short 600 @0.9 cp carol adl",
		"post settlement -> wallet:carol 60 realized-pnl",
		"post isolated:bob:XRPUSDT -> settlement 60 realized-pnl",
	})
	eqDec(t, "bob wallet", h.wallet("bob"), "500")
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "0")
	eqDec(t, "dave wallet", h.wallet("dave"), "80")
	eqDec(t, "carol wallet", h.wallet("carol"), "1060")
	// The ADL price is the bankruptcy price the engine reports.
	r, err := Evaluate(&spec.Scenario{Markets: seedBState("0", "").Markets, Prices: map[string]spec.Price{"XRPUSDT": {Mark: nd("1")}},
		Account: seedBState("0", "").Accounts["bob"]})
	if err != nil {
		t.Fatal(err)
	}
	eqNull(t, "bankruptcyPrice", r.Positions[0].BankruptcyPrice, "0.9")
}

// Seed 000, example A with a larger ETH move (2,300): E_x = 1,000 +
// (3,100 - 3,000) - (11,500 - 10,000) = -400: bankrupt with d = 400 and the
// fund (10,000) can pay (LQ-5): both positions close against the fund,
// largest loss first (ETH -1,500, then BTC +100), no fee, and the fund posts
// exactly 400, leaving alice's wallet at 0.
func TestLedgerSeedACrossInsurance(t *testing.T) {
	h := newHarness(t, seedAState("0.01"))
	h.ok(evMark("BTCUSDT", "31000"))
	eqEffects(t, h.ok(evMark("ETHUSDT", "2300")), []string{
		"liq alice ETHUSDT cross",
		"fill alice ETHUSDT long 5 @2300 cp @insurance liquidation",
		"fill @insurance ETHUSDT short 5 @2300 cp alice liquidation",
		"post wallet:alice -> settlement 1500 realized-pnl",
		"liq alice BTCUSDT cross",
		"fill @insurance BTCUSDT long 0.1 @31000 cp alice liquidation",
		"fill alice BTCUSDT short 0.1 @31000 cp @insurance liquidation",
		"post settlement -> wallet:alice 100 realized-pnl",
		"post wallet:@insurance -> wallet:alice 400 insurance",
	})
	eqDec(t, "alice", h.wallet("alice"), "0")
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "9600")
	if len(h.acct("alice").Positions) != 0 {
		t.Fatalf("alice should be flat")
	}
}

// The same gap with an empty fund (LQ-6 on a cross pool): r = 400. The ETH
// short (largest loss) closes at max(0.01, tickDown(2300 - 400/5)) = 2220
// against mm (the only long), absorbing 5*80 = 400, so r = 0 and the BTC
// long closes at its p = 31000, still against an ADL counterparty (mm's
// short). alice ends at 1,000 - 1,100 + 100 = 0; the fund pays nothing.
func TestLedgerSeedACrossADL(t *testing.T) {
	st := seedAState("0.01")
	st.InsuranceFund.WalletBalance = d("0")
	h := newHarness(t, st)
	h.ok(evMark("BTCUSDT", "31000"))
	eqEffects(t, h.ok(evMark("ETHUSDT", "2300")), []string{
		"liq alice ETHUSDT cross",
		"fill alice ETHUSDT long 5 @2220 cp mm adl",
		"fill mm ETHUSDT short 5 @2220 cp alice adl",
		"post wallet:alice -> settlement 1100 realized-pnl",
		"post settlement -> wallet:mm 1100 realized-pnl",
		"liq alice BTCUSDT cross",
		"fill mm BTCUSDT long 0.1 @31000 cp alice adl",
		"fill alice BTCUSDT short 0.1 @31000 cp mm adl",
		"post wallet:mm -> settlement 100 realized-pnl",
		"post settlement -> wallet:alice 100 realized-pnl",
	})
	eqDec(t, "alice", h.wallet("alice"), "0")
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "0")
	eqDec(t, "mm", h.wallet("mm"), "101000")
}

// LQ-5's "the fund can pay" is wallet:@insurance >= d: with exactly d = 50
// in the fund, seed example B's gap is covered by insurance (no ADL).
func TestLedgerSeedBGapInsuranceExact(t *testing.T) {
	h := newHarness(t, seedBState("50", "0.01"))
	effs := h.ok(evMark("XRPUSDT", "0.85"))
	if got := effStr(effs); got[len(got)-1] != "post wallet:@insurance -> isolated:bob:XRPUSDT 50 insurance" || got[1] != "fill @insurance XRPUSDT long 1000 @0.85 cp bob liquidation" {
		t.Fatalf("effects %v", got)
	}
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "0")
}
