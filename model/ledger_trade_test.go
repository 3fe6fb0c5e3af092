package model

import (
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

func xrpTradeState() *spec.State {
	m := mkt("0.0001", "1", spec.BasisMark, oneTier("0.05", "10"))
	m.TakerFeeRate, m.MakerFeeRate = nd("0.001"), nd("0.0002")
	return &spec.State{
		Markets: map[string]spec.Market{"XRPUSDT": m},
		Prices:  map[string]spec.Price{"XRPUSDT": {Mark: nd("1")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("1000"), Settings: map[string]spec.AccountSettings{"XRPUSDT": {MarginMode: spec.Isolated, Leverage: nd("5")}}},
			"mm":    {WalletBalance: d("100000")},
		},
	}
}

// TRD-2..5 by hand on an isolated account at 5x (mark basis, one tier
// MMR 5%, maxLeverage 10; taker 0.1%, maker 0.02%).
func TestLedgerIsolatedTradeLifecycle(t *testing.T) {
	h := newHarness(t, xrpTradeState())
	// Open 1000 @1: T = up(1000/5) = 200; fees alice (taker) 1, mm (maker,
	// the default seller) 0.2. TRD-5: E = 200 >= IM 200.
	eqEffects(t, h.ok(evTrade("XRPUSDT", "alice", "mm", "1000", "1")), []string{
		"fill alice XRPUSDT long 1000 @1 cp mm trade",
		"fill mm XRPUSDT short 1000 @1 cp alice trade",
		"post wallet:alice -> isolated:alice:XRPUSDT 200 margin",
		"post wallet:alice -> fees 1 fee",
		"post wallet:mm -> fees 0.2 fee",
	})
	// Increase 500 @1.2 at mark 1: V = 1600, margin 320, U = 1500 - 1600 =
	// -100, E = 220 < IM 1500/5 = 300: TRD-5, shortfall 80.
	inc := evTrade("XRPUSDT", "alice", "mm", "500", "1.2")
	inc.Maker = "buyer"
	if e := h.reject(inc, "events[1].buyer", "TRD-5"); !contains(e.Msg, "shortfall 80)") {
		t.Fatalf("msg %q", e.Msg)
	}
	// At mark 1.2: U = 200, E = 520 >= IM 360. Fees: alice maker
	// up(600*0.0002) = 0.12, mm taker 0.6.
	h.ok(evMark("XRPUSDT", "1.2"))
	eqEffects(t, h.ok(inc), []string{
		"fill alice XRPUSDT long 500 @1.2 cp mm trade",
		"fill mm XRPUSDT short 500 @1.2 cp alice trade",
		"post wallet:alice -> isolated:alice:XRPUSDT 120 margin",
		"post wallet:alice -> fees 0.12 fee",
		"post wallet:mm -> fees 0.6 fee",
	})
	eqDec(t, "alice wallet", h.wallet("alice"), "678.88")
	// Reduce 600 @1.3: Vr = 1600*600/1500 = 640, R = 780 - 640 = 140, M' =
	// 460, return down(460*600/1500) = 184. mm's short: Vr = 640, R = -140.
	eqEffects(t, h.ok(evTrade("XRPUSDT", "mm", "alice", "600", "1.3")), []string{
		"fill mm XRPUSDT long 600 @1.3 cp alice trade",
		"fill alice XRPUSDT short 600 @1.3 cp mm trade",
		"post wallet:mm -> settlement 140 realized-pnl",
		"post settlement -> isolated:alice:XRPUSDT 140 realized-pnl",
		"post isolated:alice:XRPUSDT -> wallet:alice 184 margin",
		"post wallet:mm -> fees 0.78 fee",
		"post wallet:alice -> fees 0.156 fee",
	})
	p := h.position("alice", "XRPUSDT")
	eqDec(t, "size", p.Size, "900")
	eqNull(t, "entryValue", p.EntryValue, "960")
	eqNull(t, "isolatedMargin", p.IsolatedMargin, "276")
	if !p.EntryPrice.IsZero() { // 960/900 is not on the 1e-8 grid: absent
		t.Fatalf("entryPrice %s", p.EntryPrice)
	}
	// Flip at 1.1 (mark 1.1): close 900 (R = 990 - 960 = 30, all 306
	// returned), open short 600: T = up(660/5) = 132 = IM: accepted.
	h.ok(evMark("XRPUSDT", "1.1"))
	flip := evTrade("XRPUSDT", "mm", "alice", "1500", "1.1")
	flip.Maker = "buyer"
	eqEffects(t, h.ok(flip), []string{
		"fill mm XRPUSDT long 1500 @1.1 cp alice trade",
		"fill alice XRPUSDT short 1500 @1.1 cp mm trade",
		"post wallet:mm -> settlement 30 realized-pnl",
		"post settlement -> isolated:alice:XRPUSDT 30 realized-pnl",
		"post isolated:alice:XRPUSDT -> wallet:alice 306 margin",
		"post wallet:alice -> isolated:alice:XRPUSDT 132 margin",
		"post wallet:mm -> fees 0.33 fee",
		"post wallet:alice -> fees 1.65 fee",
	})
	eqDec(t, "alice wallet", h.wallet("alice"), "1035.074")
	// TRD-3: closing the short at 1.33 loses 798 - 660 = 138 > margin 132.
	h.reject(evTrade("XRPUSDT", "alice", "mm", "600", "1.33"), "events[7].buyer", "TRD-3")
	// removeMargin (POOL-6): M 132 + min(U,0) 0 - IM 132 = 0 removable.
	h.reject(spec.Event{Type: spec.EventRemoveMargin, Account: "alice", Market: "XRPUSDT", Amount: nd("0.00000001")}, "events[8].amount", "POOL-6")
	h.ok(spec.Event{Type: spec.EventAddMargin, Account: "alice", Market: "XRPUSDT", Amount: nd("10")})
	h.ok(spec.Event{Type: spec.EventRemoveMargin, Account: "alice", Market: "XRPUSDT", Amount: nd("10")})
	// A closing trade at the entry price: R = 0 is not posted, all the
	// margin returns; alice is the taker (up(660*0.001) = 0.66).
	eqEffects(t, h.ok(evTrade("XRPUSDT", "alice", "mm", "600", "1.1")), []string{
		"fill alice XRPUSDT long 600 @1.1 cp mm trade",
		"fill mm XRPUSDT short 600 @1.1 cp alice trade",
		"post isolated:alice:XRPUSDT -> wallet:alice 132 margin",
		"post wallet:alice -> fees 0.66 fee",
		"post wallet:mm -> fees 0.132 fee",
	})
	if h.position("alice", "XRPUSDT") != nil || h.position("mm", "XRPUSDT") != nil {
		t.Fatalf("positions left open")
	}
}

// withdraw: amount <= min(WB, WB + sum min(U,0) - IM_cross) (POOL-6 read on
// the cross pool); addMargin: amount <= min(WB, E - IM) (POOL-3).
func TestLedgerWithdrawLimits(t *testing.T) {
	st := seedAState("")
	st.Accounts["alice"] = spec.Account{WalletBalance: d("2000"), Positions: st.Accounts["alice"].Positions}
	h := newHarness(t, st)
	// IM = 300 + 1000 = 1300; at marks 30000/2000 U = 0: limit 700.
	h.reject(evWithdraw("alice", "700.00000001"), "events[0].amount", "POOL-6")
	// BTC to 31000: U_BTC = +100 is not withdrawable, IM_BTC = 310: 690.
	h.ok(evMark("BTCUSDT", "31000"))
	h.reject(evWithdraw("alice", "690.00000001"), "events[2].amount", "POOL-6")
	h.ok(evWithdraw("alice", "690"))
	eqDec(t, "wallet", h.wallet("alice"), "1310")
	// The fund may withdraw up to its balance.
	h.reject(evWithdraw(spec.InsuranceAccount, "10000.00000001"), "events[4].amount", "POOL-6")
	h.ok(evWithdraw(spec.InsuranceAccount, "10000"))
}

// LQ-7: a cross pool of shorts whose deficit the ADL price cannot absorb
// (entry below one tick): x short 10 @0.5 (V 5), wallet 0; y long 10 @0.5.
// Mark 2: p = tickUp(2) = 2, E_x = -(20 - 5) = -15, d = 15, fund 0: ADL at
// max(1, tickDown(2 - 1.5)) = 1 absorbs 10*(2-1) = 10; r = 5 > 0: the fund
// posts 5 and goes negative.
func TestLedgerADLResidual(t *testing.T) {
	m := mkt("1", "1", spec.BasisMark, oneTier("0.05", "10"))
	st := &spec.State{
		Markets: map[string]spec.Market{"M": m},
		Prices:  map[string]spec.Price{"M": {Mark: nd("1")}},
		Accounts: map[string]spec.Account{
			"x": {WalletBalance: d("0"), Positions: []spec.Position{crossPos("M", spec.Short, "10", "0.5")}},
			"y": {WalletBalance: d("100"), Positions: []spec.Position{crossPos("M", spec.Long, "10", "0.5")}},
		},
	}
	h := newHarness(t, st)
	eqEffects(t, h.ok(evMark("M", "2")), []string{
		"liq x M cross",
		"fill x M long 10 @1 cp y adl",
		"fill y M short 10 @1 cp x adl",
		"post wallet:x -> settlement 5 realized-pnl",
		"post settlement -> wallet:y 5 realized-pnl",
		"post wallet:@insurance -> wallet:x 5 insurance",
	})
	eqDec(t, "fund", h.wallet(spec.InsuranceAccount), "-5")
	eqDec(t, "x", h.wallet("x"), "0")
	eqDec(t, "y", h.wallet("y"), "105")
}

// A cross pool with no position and a negative wallet (a closing trade's fee
// on an empty wallet) is liquidatable (POOL-5: E < MM = 0): the fund pays
// the deficit at the next sweep (LQ-5). It closes nothing, so there is no
// liquidation effect.
func TestLedgerNegativeWalletNoPosition(t *testing.T) {
	m := mkt("1", "1", spec.BasisMark, oneTier("0.05", "10"))
	m.MakerFeeRate, m.TakerFeeRate = nd("0.01"), nd("0.01")
	st := &spec.State{
		Markets: map[string]spec.Market{"M": m},
		Prices:  map[string]spec.Price{"M": {Mark: nd("100")}},
		Accounts: map[string]spec.Account{
			"y": {WalletBalance: d("1000"), Positions: []spec.Position{crossPos("M", spec.Short, "1", "100")}},
			"z": {WalletBalance: d("0"), Positions: []spec.Position{crossPos("M", spec.Long, "1", "100")}},
		},
		InsuranceFund: spec.Account{WalletBalance: d("10")},
	}
	h := newHarness(t, st)
	h.ok(evTrade("M", "y", "z", "1", "100"))
	eqDec(t, "z", h.wallet("z"), "-1")
	eqEffects(t, h.ok(evMark("M", "100")), []string{
		"post wallet:@insurance -> wallet:z 1 insurance",
	})
	eqDec(t, "z", h.wallet("z"), "0")
}

// RunEvents records rejected events and continues.
func TestLedgerRunEvents(t *testing.T) {
	r := &spec.Run{State: *seedAState("0.01"), Events: []spec.Event{
		evMark("BTCUSDT", "31000"),
		{Type: "nope"},
		evMark("ETHUSDT", "2160"),
	}}
	final, effs, res, err := RunEvents(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Error != nil || res[1].Error == nil || res[1].Error.Path != "events[1].type" || res[2].Error != nil {
		t.Fatalf("results %+v", res)
	}
	if len(effs) != 5 || effs[0].Event != 2 {
		t.Fatalf("effects %v", effStr(effs))
	}
	eqDec(t, "alice", final.Accounts["alice"].WalletBalance, "92")
	// An invalid initial state is the error.
	r.State.Dust = d("-1")
	if _, _, _, err := RunEvents(r); err == nil || err.(*spec.Error).Path != "dust" {
		t.Fatalf("err %v", err)
	}
}

// ADL-2 by hand: a candidate in profit whose pool equity is <= 0 scores MAX
// and is taken first. Market M (tick 1, lot 1, MMR 5%, 10x): a isolated
// long 10 @100 (margin 100); shorts b (cross, 5 @100, wallet 0, and a long
// 10 N @200 at mark 100: U_N = -1000) and c (cross, 5 @100, wallet 1000).
// M to 85: a's E_x = 100 + 850 - 1000 = -50, fund empty: ADL at
// tickUp(85 + 50/10) = 90. b: U = 75 > 0, E = 75 - 1000 <= 0: score MAX.
// c: pnl = 75/500 = 0.15, down(425/1075) = 0.39534883, score 0.05930232.
// Then b's cross pool (wallet 50, N long: E_x = 50 + 1000 - 2000 = -950) is
// itself deleveraged against d at tickUp(100 + 950/10) = 195.
func TestLedgerADLRankingMax(t *testing.T) {
	m := mkt("1", "1", spec.BasisMark, oneTier("0.05", "10"))
	st := &spec.State{
		Markets: map[string]spec.Market{"M": m, "N": m},
		Prices:  map[string]spec.Price{"M": {Mark: nd("100")}, "N": {Mark: nd("100")}},
		Accounts: map[string]spec.Account{
			"a": {WalletBalance: d("0"), Settings: map[string]spec.AccountSettings{"M": {MarginMode: spec.Isolated, Leverage: nd("10")}},
				Positions: []spec.Position{{Market: "M", Side: spec.Long, Size: d("10"), EntryPrice: d("100"), MarginMode: spec.Isolated, Leverage: nd("10"), IsolatedMargin: nd("100")}}},
			"b": {WalletBalance: d("0"), Positions: []spec.Position{crossPos("M", spec.Short, "5", "100"), crossPos("N", spec.Long, "10", "200")}},
			"c": {WalletBalance: d("1000"), Positions: []spec.Position{crossPos("M", spec.Short, "5", "100")}},
			"d": {WalletBalance: d("1000"), Positions: []spec.Position{crossPos("N", spec.Short, "10", "100")}},
		},
	}
	h := newHarness(t, st)
	eqEffects(t, h.ok(evMark("M", "85")), []string{
		"liq a M isolated",
		"fill b M long 5 @90 cp a adl",
		"fill a M short 5 @90 cp b adl",
		"post settlement -> wallet:b 50 realized-pnl",
		"post isolated:a:M -> settlement 50 realized-pnl",
		"fill c M long 5 @90 cp a adl",
		"fill a M short 5 @90 cp c adl",
		"post settlement -> wallet:c 50 realized-pnl",
		"post isolated:a:M -> settlement 50 realized-pnl",
		"liq b N cross",
		"fill d N long 10 @195 cp b adl",
		"fill b N short 10 @195 cp d adl",
		"post wallet:d -> settlement 950 realized-pnl",
		"post wallet:b -> settlement 50 realized-pnl",
	})
	for id, want := range map[string]string{"a": "0", "b": "0", "c": "1050", "d": "50"} {
		eqDec(t, id, h.wallet(id), want)
	}
}

// Mark only (MARK-5): a spike in the last price that the median and the
// band keep out of the mark liquidates no one.
func TestLedgerMarkOnly(t *testing.T) {
	m := mkt("1", "1", spec.BasisMark, oneTier("0.05", "10"))
	m.MarkPriceBand = nd("0.01")
	st := &spec.State{
		Markets: map[string]spec.Market{"M": m},
		Prices:  map[string]spec.Price{"M": {Mark: nd("100")}},
		Accounts: map[string]spec.Account{
			"x": {WalletBalance: d("60"), Positions: []spec.Position{crossPos("M", spec.Long, "10", "100")}},
			"y": {WalletBalance: d("1000"), Positions: []spec.Position{crossPos("M", spec.Short, "10", "100")}},
		},
	}
	h := newHarness(t, st)
	// last 50: median(100, 100, 50) = 100: x keeps E = 60 >= MM 50.
	if effs := h.ok(spec.Event{Type: spec.EventPrice, Market: "M", Index: nd("100"), Last: nd("50")}); len(effs) != 0 {
		t.Fatalf("a last-price spike liquidated: %v", effStr(effs))
	}
	// index 98, last 50: median(98, 98, 50) = 98, band [97.02, 98.98]: mark
	// 98, E = 40 < MM 49: liquidated.
	if effs := h.ok(spec.Event{Type: spec.EventPrice, Market: "M", Index: nd("98"), Last: nd("50")}); len(effs) == 0 {
		t.Fatalf("no liquidation at mark 98")
	}
}

// TRD-2's removed basis rounds against the trader: up for a long, down for a
// short. x long 4 and y short 4, each V = 0.00000005 (5 units); x sells 1 to
// y at 0.00000002: x's Vr = up(5/4) = 2 units, R = 2 - 2 = 0 (not posted),
// V = 3 units; y's Vr = down(5/4) = 1 unit, R = -(2 - 1) = -1 unit, V = 4.
func TestLedgerRemovedBasisRounding(t *testing.T) {
	m := mkt("0.00000001", "1", spec.BasisMark, oneTier("0.01", "100"))
	pos := func(side spec.Side) spec.Position {
		return spec.Position{Market: "T", Side: side, Size: d("4"), EntryValue: nd("0.00000005"), MarginMode: spec.Cross}
	}
	st := &spec.State{
		Markets: map[string]spec.Market{"T": m},
		Prices:  map[string]spec.Price{"T": {Mark: nd("0.00000001")}},
		Accounts: map[string]spec.Account{
			"x": {WalletBalance: d("1"), Positions: []spec.Position{pos(spec.Long)}},
			"y": {WalletBalance: d("1"), Positions: []spec.Position{pos(spec.Short)}},
		},
	}
	h := newHarness(t, st)
	eqEffects(t, h.ok(evTrade("T", "y", "x", "1", "0.00000002")), []string{
		"fill y T long 1 @0.00000002 cp x trade",
		"fill x T short 1 @0.00000002 cp y trade",
		"post wallet:y -> settlement 0.00000001 realized-pnl",
	})
	eqNull(t, "x entryValue", h.position("x", "T").EntryValue, "0.00000003")
	eqNull(t, "y entryValue", h.position("y", "T").EntryValue, "0.00000004")
}

// TRD-4 rounds fees up: 7 @0.0013 = 0.0091; taker 0.035%: 0.000003185 ->
// 0.00000319 (the buyer, taker by default); maker 0.011%: 0.000001001 ->
// 0.00000101 (the seller).
func TestLedgerFeeRounding(t *testing.T) {
	m := mkt("0.0001", "1", spec.BasisMark, oneTier("0.01", "100"))
	m.TakerFeeRate, m.MakerFeeRate = nd("0.00035"), nd("0.00011")
	st := &spec.State{
		Markets:  map[string]spec.Market{"T": m},
		Prices:   map[string]spec.Price{"T": {Mark: nd("0.0013")}},
		Accounts: map[string]spec.Account{"x": {WalletBalance: d("1")}, "y": {WalletBalance: d("1")}},
	}
	h := newHarness(t, st)
	eqEffects(t, h.ok(evTrade("T", "x", "y", "7", "0.0013")), []string{
		"fill x T long 7 @0.0013 cp y trade",
		"fill y T short 7 @0.0013 cp x trade",
		"post wallet:x -> fees 0.00000319 fee",
		"post wallet:y -> fees 0.00000101 fee",
	})
}

// LQ-2 executes against the trader when the mark is off the tick grid: a
// short at tickUp(2159.995) = 2160 (seed example A's numbers: E = 300.025
// < MM 694.99875 at the mark; the same closes as at mark 2160), a long at
// tickDown(0.94995) = 0.9499 (seed example B's).
func TestLedgerExecutionPriceOffGrid(t *testing.T) {
	h := newHarness(t, seedAState("0.01"))
	h.ok(evMark("BTCUSDT", "31000"))
	eqEffects(t, h.ok(evMark("ETHUSDT", "2159.995")), []string{
		"liq alice ETHUSDT cross",
		"fill alice ETHUSDT long 5 @2160 cp @insurance liquidation",
		"fill @insurance ETHUSDT short 5 @2160 cp alice liquidation",
		"post wallet:alice -> settlement 800 realized-pnl",
		"post wallet:alice -> wallet:@insurance 108 liquidation-fee",
	})
	h = newHarness(t, seedBState("1000", "0.01"))
	eqEffects(t, h.ok(evMark("XRPUSDT", "0.94995")), []string{
		"liq bob XRPUSDT isolated",
		"fill @insurance XRPUSDT long 1000 @0.9499 cp bob liquidation",
		"fill bob XRPUSDT short 1000 @0.9499 cp @insurance liquidation",
		"post isolated:bob:XRPUSDT -> settlement 50.1 realized-pnl",
		"post isolated:bob:XRPUSDT -> wallet:@insurance 9.499 liquidation-fee",
		"post isolated:bob:XRPUSDT -> wallet:bob 40.401 margin",
	})
}

// TRD-3's partial return rounds down: x isolated at 3x opens 10 @1 (T =
// up(10/3) = 3.33333334) and sells 3 @1 (R = 0): down(3.33333334*3/10) =
// down(1.000000002) = 1 moves back.
func TestLedgerPartialReturnRounding(t *testing.T) {
	m := mkt("0.0001", "1", spec.BasisMark, oneTier("0.05", "10"))
	st := &spec.State{
		Markets: map[string]spec.Market{"T": m},
		Prices:  map[string]spec.Price{"T": {Mark: nd("1")}},
		Accounts: map[string]spec.Account{
			"x": {WalletBalance: d("100"), Settings: map[string]spec.AccountSettings{"T": {MarginMode: spec.Isolated, Leverage: nd("3")}}},
			"y": {WalletBalance: d("100")},
		},
	}
	h := newHarness(t, st)
	h.ok(evTrade("T", "x", "y", "10", "1"))
	eqEffects(t, h.ok(evTrade("T", "y", "x", "3", "1")), []string{
		"fill y T long 3 @1 cp x trade",
		"fill x T short 3 @1 cp y trade",
		"post isolated:x:T -> wallet:x 1 margin",
	})
	eqNull(t, "margin", h.position("x", "T").IsolatedMargin, "2.33333334")
}

// ADL-2 ties go to the ascending account id: seed example B's gap with two
// identical shorts d1 and d2 (cross, 500 @1, wallet 1000): d1 first.
func TestLedgerADLTie(t *testing.T) {
	st := seedBState("0", "")
	delete(st.Accounts, "carol")
	delete(st.Accounts, "dave")
	for _, id := range []string{"d2", "d1"} {
		st.Accounts[id] = spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{crossPos("XRPUSDT", spec.Short, "500", "1")}}
	}
	h := newHarness(t, st)
	got := effStr(h.ok(evMark("XRPUSDT", "0.85")))
	if got[1] != "fill d1 XRPUSDT long 500 @0.9 cp bob adl" || got[5] != "fill d2 XRPUSDT long 500 @0.9 cp bob adl" {
		t.Fatalf("effects %v", got)
	}
}

// LQ-4's cross fee is capped by down(E') with E' the equity after the close
// (at p, not at the mark): mark 2159.995, fee rate 50%: after the ETH close
// at 2160, E' = 200 + 100 = 300 (at the mark before it, 300.025): fee 300.
// The pool (E = 0 < MM 155) then closes BTC (R = +100, E' = 0: no fee).
func TestLedgerCrossFeeCap(t *testing.T) {
	h := newHarness(t, seedAState("0.5"))
	h.ok(evMark("BTCUSDT", "31000"))
	eqEffects(t, h.ok(evMark("ETHUSDT", "2159.995")), []string{
		"liq alice ETHUSDT cross",
		"fill alice ETHUSDT long 5 @2160 cp @insurance liquidation",
		"fill @insurance ETHUSDT short 5 @2160 cp alice liquidation",
		"post wallet:alice -> settlement 800 realized-pnl",
		"post wallet:alice -> wallet:@insurance 300 liquidation-fee",
		"liq alice BTCUSDT cross",
		"fill @insurance BTCUSDT long 0.1 @31000 cp alice liquidation",
		"fill alice BTCUSDT short 0.1 @31000 cp @insurance liquidation",
		"post settlement -> wallet:alice 100 realized-pnl",
	})
	eqDec(t, "alice", h.wallet("alice"), "0")
}
