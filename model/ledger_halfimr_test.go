package model_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// Golden tests of the ledgers (model and reference, via ledgers) under
// TIER-3:half-initial and explicit per-tier initial margin rates (SPEC
// TIER-3, TIER-5, QTY-4, TRD-3, TRD-5, POOL-5, POOL-6, LED-9, FND-1). Every
// expected value is computed by hand in the comments, from SPEC's formulas
// and the published rates (Hyperliquid ETH: 25x below 100,000,000 notional,
// 15x from it; OKX ETHUSDT tier 3: IMR 1.5 %, 66.66x displayed).

// varState returns a two-trader state on one market m (name ETH, mark
// given): alice holds pos (if any, with its settings), bob the opposite side
// cross with a deep wallet.
func varState(t *testing.T, m spec.Market, mark, aliceWallet string, aliceSettings *spec.AccountSettings, pos ...spec.Position) string {
	t.Helper()
	st := spec.State{
		Markets: map[string]spec.Market{"ETH": m},
		Prices:  map[string]spec.Price{"ETH": {Mark: nd(mark)}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d(aliceWallet)},
			"bob":   {WalletBalance: d("100000000")},
		},
		InsuranceFund: spec.Account{WalletBalance: d("0")},
	}
	if aliceSettings != nil {
		a := st.Accounts["alice"]
		a.Settings = map[string]spec.AccountSettings{"ETH": *aliceSettings}
		st.Accounts["alice"] = a
	}
	for _, p := range pos {
		a := st.Accounts["alice"]
		a.Positions = append(a.Positions, p)
		st.Accounts["alice"] = a
		b := st.Accounts["bob"]
		b.Positions = append(b.Positions, spec.Position{Market: "ETH", Side: spec.Short, Size: p.Size, EntryPrice: p.EntryPrice, MarginMode: spec.Cross})
		st.Accounts["bob"] = b
	}
	js, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

// TestGoldenHalfInitialLedgerTrigger is POOL-5 in the ledger's sweep (LQ-1)
// under TIER-3:half-initial, on Hyperliquid ETH: D = lcm(50, 30) = 150,
// MMR = 1/50 below 100,000,000 and 1/30 from it, cum_2 = 100,000,000 *
// (1/30 - 1/50) = 4,000,000/3. alice is cross long 50,000 ETH at entry 3,000
// (bob short), at the default leverage 20.
//
//   - Price event to mark 2,600: N = 130,000,000 (tier 2), MM =
//     130,000,000/30 minus 4,000,000/3 = 3,000,000 (on the grid);
//     U = 50,000 * (2,600 - 3,000) = -20,000,000, so E = W - 20,000,000. W =
//     23,000,000.00000001: E = MM + 1e-8, not liquidated; W = 23,000,000: E =
//     MM, not liquidated (strict trigger); W = 22,999,999.99999999: E = MM -
//     1e-8, liquidated. (The given rates 0.02/0.03 would give MM =
//     0.03 * 130,000,000 - 1,000,000 = 2,900,000: never liquidated here.)
//   - Price event to mark 3,000 (U = 0, E = W): N = 150,000,000, MM =
//     15,000,000/3 - 4,000,000/3 = 11,000,000/3 = 3,666,666.666...: W =
//     3,666,666.66666667 (> MM) is not liquidated, W = 3,666,666.66666666 (<
//     MM) is: the comparison is exact, not on a rounded MM.
//   - Under POOL-5:at-equality (E <= MM) the same cases, except that W =
//     23,000,000 (E = MM = 3,000,000 != 0) is liquidated.
func TestGoldenHalfInitialLedgerTrigger(t *testing.T) {
	long := spec.Position{Market: "ETH", Side: spec.Long, Size: d("50000"), EntryPrice: d("3000"), MarginMode: spec.Cross}
	atEq := hlETH()
	atEq.Variants.Trigger = spec.TriggerAtEquality
	for _, c := range []struct {
		m            spec.Market
		mark, wallet string
		liquidated   bool
	}{
		{hlETH(), "2600", "23000000.00000001", false},
		{hlETH(), "2600", "23000000", false},
		{hlETH(), "2600", "22999999.99999999", true},
		{hlETH(), "3000", "3666666.66666667", false},
		{hlETH(), "3000", "3666666.66666666", true},
		{atEq, "2600", "23000000.00000001", false},
		{atEq, "2600", "23000000", true},
		{atEq, "2600", "22999999.99999999", true},
		{atEq, "3000", "3666666.66666667", false},
	} {
		// The initial mark is 3,001 so that the event moves it.
		for name, l := range ledgers(t, varState(t, c.m, "3001", c.wallet, nil, long)) {
			effs, err := l.Apply(spec.Event{Type: spec.EventPrice, Market: "ETH", Mark: nd(c.mark)})
			if err != nil {
				t.Fatalf("%s mark %s wallet %s: %v", name, c.mark, c.wallet, err)
			}
			lines := effLines(effs)
			got := len(lines) > 0 && lines[0] == "liq alice ETH cross"
			if got != c.liquidated || (!c.liquidated && len(lines) != 0) {
				t.Errorf("%s mark %s wallet %s trigger %q: effects %q, want liquidated = %v (TIER-3:half-initial, POOL-5)", name, c.mark, c.wallet, c.m.Variants.Trigger, lines, c.liquidated)
			}
		}
	}
}

// okxLedger is okxMarket with lot 0.01 (LED-1: tickSize * lotSize on the
// 1e-8 grid; OKX's ETHUSDT contract is 0.1 ETH).
func okxLedger() spec.Market {
	m := okxMarket()
	m.LotSize = d("0.01")
	return m
}

// imrSettings is alice's ETH setting: cross or isolated at leverage lev.
func imrSettings(mode spec.MarginMode, lev string) *spec.AccountSettings {
	return &spec.AccountSettings{MarginMode: mode, Leverage: nd(lev)}
}

// TestGoldenExplicitIMRTrade is TRD-3 and TRD-5 under explicit initial
// margin rates (QTY-4: IM = N * max(1/L, IMR_t)), on OKX ETH's table. alice
// buys 300 ETH at 2,500 (= the mark, no fees) from bob: N = 750,000, tier 3
// (600,000 <= N < 1,200,000: IMR 1.5 %, maxLeverage 66.66), U = 0, so her
// pool's E after the trade is her wallet W (cross) or the margin T
// (isolated).
//
//   - 125x: max(1/125 = 0.008, 0.015) = 0.015: IM = 11,250. Cross: W =
//     11,250 is accepted (E = IM), W = 11,249.99999999 rejected (TRD-5,
//     shortfall 0.00000001). Without the explicit rate IM would be
//     750,000/min(125, 66.66) = 11,251.1251125...: W = 11,250 rejected.
//   - 50x: 1/50 = 0.02 > 0.015: IM = 15,000: W = 15,000 accepted,
//     14,999.99999999 rejected.
//   - Isolated at 125x: TRD-3 moves T = up(750,000 * 0.015) = 11,250 from
//     the wallet; W = 11,250 leaves the wallet at 0 and E = T = IM:
//     accepted; W = 11,249.99999999 leaves the wallet at -0.00000001:
//     rejected (TRD-5: the wallet must stay >= 0).
func TestGoldenExplicitIMRTrade(t *testing.T) {
	trade := spec.Event{Type: spec.EventTrade, Market: "ETH", Buyer: "alice", Seller: "bob", Size: nd("300"), Price: nd("2500")}
	for _, c := range []struct {
		mode      spec.MarginMode
		lev, w    string
		accepted  bool
		marginEff string // isolated: the TRD-3 posting
	}{
		{spec.Cross, "125", "11250", true, ""},
		{spec.Cross, "125", "11249.99999999", false, ""},
		{spec.Cross, "50", "15000", true, ""},
		{spec.Cross, "50", "14999.99999999", false, ""},
		{spec.Isolated, "125", "11250", true, "post wallet:alice -> isolated:alice:ETH 11250 margin"},
		{spec.Isolated, "125", "11249.99999999", false, ""},
	} {
		for name, l := range ledgers(t, varState(t, okxLedger(), "2500", c.w, imrSettings(c.mode, c.lev))) {
			effs, err := l.Apply(trade)
			if !c.accepted {
				if se, ok := err.(*spec.Error); !ok || se.Rule != "TRD-5" || se.Path != "events[0].buyer" {
					t.Errorf("%s %s %sx W %s: err %v, want TRD-5 at events[0].buyer", name, c.mode, c.lev, c.w, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %s %sx W %s: %v, want accepted (E = IM)", name, c.mode, c.lev, c.w, err)
				continue
			}
			want := []string{"fill alice long 300 @2500 cp bob trade", "fill bob short 300 @2500 cp alice trade"}
			if c.marginEff != "" {
				want = append(want, c.marginEff)
			}
			if got := effLines(effs); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s %sx: effects\n got  %q\n want %q", name, c.mode, c.lev, got, want)
			}
		}
	}
}

// TestGoldenExplicitIMRMarginEvents is POOL-6 (removeMargin, withdraw) and
// LED-9:checked (setLeverage) under explicit rates, alice long 300 ETH at
// 2,500 (mark 2,500, U = 0, N = 750,000, tier 3, IMR 1.5 %).
//
//   - Isolated at 125x with margin 12,000: IM = 11,250, maxRemovableMargin =
//     min(12,000, 12,000 + 0 - 11,250) = 750: removing 750 is accepted,
//     750.00000001 rejected (POOL-6). (1/66.66 would allow only
//     748.87488748.)
//   - Cross at 125x with wallet 11,250: IM = 11,250, withdrawable =
//     min(11,250, 11,250 - 11,250) = 0: withdrawing 0.00000001 is rejected
//     (POOL-6). Lowering the leverage to 100: IM = 750,000 * max(0.01,
//     0.015) = 11,250 = E: accepted; to 66.66: 1/66.66 = 0.0150015... >
//     0.015, IM = 11,251.1251125... > E: rejected (LED-9).
func TestGoldenExplicitIMRMarginEvents(t *testing.T) {
	pos := func(mode spec.MarginMode, margin string) spec.Position {
		p := spec.Position{Market: "ETH", Side: spec.Long, Size: d("300"), EntryPrice: d("2500"), MarginMode: mode, Leverage: nd("125")}
		if margin != "" {
			p.IsolatedMargin = nd(margin)
		}
		return p
	}
	remove := func(amt string) spec.Event {
		return spec.Event{Type: spec.EventRemoveMargin, Account: "alice", Market: "ETH", Amount: nd(amt)}
	}
	for name, l := range ledgers(t, varState(t, okxLedger(), "2500", "0", imrSettings(spec.Isolated, "125"), pos(spec.Isolated, "12000"))) {
		if _, err := l.Apply(remove("750.00000001")); err == nil || err.(*spec.Error).Rule != "POOL-6" {
			t.Errorf("%s: removeMargin 750.00000001: %v, want POOL-6", name, err)
		}
		if _, err := l.Apply(remove("750")); err != nil {
			t.Errorf("%s: removeMargin 750: %v, want accepted (maxRemovableMargin 750)", name, err)
		}
	}
	for name, l := range ledgers(t, varState(t, okxLedger(), "2500", "11250", imrSettings(spec.Cross, "125"), pos(spec.Cross, ""))) {
		if _, err := l.Apply(spec.Event{Type: spec.EventWithdraw, Account: "alice", Amount: nd("0.00000001")}); err == nil || err.(*spec.Error).Rule != "POOL-6" {
			t.Errorf("%s: withdraw 0.00000001: %v, want POOL-6", name, err)
		}
		lev := func(v string) spec.Event {
			return spec.Event{Type: spec.EventSetLeverage, Account: "alice", Market: "ETH", Leverage: nd(v)}
		}
		if _, err := l.Apply(lev("100")); err != nil {
			t.Errorf("%s: setLeverage 100: %v, want accepted (IM = 11,250 = E)", name, err)
		}
		if _, err := l.Apply(lev("66.66")); err == nil || err.(*spec.Error).Rule != "LED-9" {
			t.Errorf("%s: setLeverage 66.66: %v, want LED-9", name, err)
		}
	}
}

// TestGoldenMarginLinkedCapVariants is FND-1:margin-linked's cap k *
// (IMR_1 - MMR_1), k = 1, on a tier 1 where neither rate is the default's.
//
//   - Explicit rates: tier 1 MMR 0.004, maxLeverage 100, IMR 0.008 (0.008 *
//     100 = 0.8 <= 1): cap = 0.008 - 0.004 = 0.004 (1/100 - 0.004 = 0.006
//     without it). Rate 0.01 is clamped to 0.004: alice (long 100 at mark
//     2,500, N = 250,000) pays 1,000, bob receives 1,000.
//   - TIER-3:half-initial: Hyperliquid ETH with tier 1's given rate set to
//     0.01 (unused): cap = 1/25 - 1/(2*25) = 0.02 (the given rate would give
//     0.03). Rate 0.05 is clamped to 0.02: long 100 at mark 3,000 (N =
//     300,000) pays 6,000.
func TestGoldenMarginLinkedCapVariants(t *testing.T) {
	linked := func(m spec.Market) spec.Market {
		if m.Variants == nil {
			m.Variants = &spec.Variants{}
		}
		v := *m.Variants
		v.FundingCap, v.FundingCapFactor = spec.FundingCapMarginLinked, nd("1")
		m.Variants = &v
		return m
	}
	imr := okxLedger()
	imr.Tiers = imr.Tiers[:1]
	imr.Tiers[0].MaxNotional, imr.Tiers[0].MaxLeverage = d("1000000000"), d("100")
	hl := hlETH()
	hl.Tiers[0].MaintenanceMarginRate = d("0.01")
	for _, c := range []struct {
		name       string
		m          spec.Market
		mark, rate string
		amount     string
	}{
		{"explicit IMR", linked(imr), "2500", "0.01", "1000"},
		{"half-initial", linked(hl), "3000", "0.05", "6000"},
	} {
		long := spec.Position{Market: "ETH", Side: spec.Long, Size: d("100"), EntryPrice: d(c.mark), MarginMode: spec.Cross}
		for name, l := range ledgers(t, varState(t, c.m, c.mark, "100000", nil, long)) {
			effs, err := l.Apply(spec.Event{Type: spec.EventFunding, Market: "ETH", Rate: nd(c.rate)})
			if err != nil {
				t.Fatalf("%s %s: %v", name, c.name, err)
			}
			want := []string{"post wallet:alice -> funding:ETH " + c.amount + " funding", "post funding:ETH -> wallet:bob " + c.amount + " funding"}
			if got := effLines(effs); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: effects\n got  %q\n want %q", name, c.name, got, want)
			}
		}
	}
}
