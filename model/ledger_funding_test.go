package model

import (
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// fundingState: alice long 0.003 BTC @30,000 (cross or isolated), bob short
// 0.001 and carol short 0.002 (cross), mark 30,000.1.
func fundingState(mode spec.MarginMode) *spec.State {
	m := mkt("0.1", "0.001", spec.BasisMark, oneTier("0.005", "100"))
	m.FundingRateCap = nd("0.0005")
	alice := spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{crossPos("BTCUSDT", spec.Long, "0.003", "30000")}}
	if mode == spec.Isolated {
		alice.Settings = map[string]spec.AccountSettings{"BTCUSDT": {MarginMode: spec.Isolated}}
		alice.Positions[0].MarginMode = spec.Isolated
		alice.Positions[0].IsolatedMargin = nd("50")
	}
	return &spec.State{
		Markets: map[string]spec.Market{"BTCUSDT": m},
		Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd("30000.1")}},
		Accounts: map[string]spec.Account{
			"alice": alice,
			"bob":   {WalletBalance: d("1000"), Positions: []spec.Position{crossPos("BTCUSDT", spec.Short, "0.001", "30000")}},
			"carol": {WalletBalance: d("1000"), Positions: []spec.Position{crossPos("BTCUSDT", spec.Short, "0.002", "30000")}},
		},
	}
}

// FND-2/FND-3 by hand: rate 7e-8, a = Q * 30000.1 * 7e-8: alice (long,
// pays) 0.003 -> 0.0000063000021, up = 0.00000631; bob 0.0000021000007,
// down = 0.0000021; carol 0.0000042000014, down = 0.0000042. Dust = 1e-8.
// Longs pay when the rate is positive. The same position pays from the cross
// wallet or from its isolated margin, the same amounts.
func TestLedgerFundingCrossVsIsolated(t *testing.T) {
	for _, mode := range []spec.MarginMode{spec.Cross, spec.Isolated} {
		h := newHarness(t, fundingState(mode))
		src := "wallet:alice"
		if mode == spec.Isolated {
			src = "isolated:alice:BTCUSDT"
		}
		effs := h.ok(evFunding("BTCUSDT", "0.00000007"))
		eqEffects(t, effs, []string{
			"post " + src + " -> funding:BTCUSDT 0.00000631 funding",
			"post funding:BTCUSDT -> wallet:bob 0.0000021 funding",
			"post funding:BTCUSDT -> wallet:carol 0.0000042 funding",
			"post funding:BTCUSDT -> dust 0.00000001 dust",
		})
		eqDec(t, "dust", h.l.State().Dust, "0.00000001")
		// Negative rate: shorts pay, longs receive.
		effs = h.ok(evFunding("BTCUSDT", "-0.00000007"))
		eqEffects(t, effs, []string{
			"post funding:BTCUSDT -> " + src + " 0.0000063 funding",
			"post wallet:bob -> funding:BTCUSDT 0.00000211 funding",
			"post wallet:carol -> funding:BTCUSDT 0.00000421 funding",
			"post funding:BTCUSDT -> dust 0.00000002 dust",
		})
		// FND-1: the rate is capped at 0.0005: a = 0.003*30000.1*0.0005 = 0.04500015.
		effs = h.ok(evFunding("BTCUSDT", "0.01"))
		if got := effStr(effs)[0]; got != "post "+src+" -> funding:BTCUSDT 0.04500015 funding" {
			t.Fatalf("%s: capped funding %s", mode, got)
		}
		// Zero rate: nothing.
		if effs := h.ok(evFunding("BTCUSDT", "0")); len(effs) != 0 {
			t.Fatalf("zero rate posted %v", effStr(effs))
		}
	}
}

// FND-3: paying a rate once or in n pieces differs by at most one unit per
// position and piece; every piece is zero-sum up to dust.
func TestLedgerFundingPieces(t *testing.T) {
	one := newHarness(t, fundingState(spec.Cross))
	one.ok(evFunding("BTCUSDT", "0.0003"))
	many := newHarness(t, fundingState(spec.Cross))
	for i := 0; i < 3; i++ {
		many.ok(evFunding("BTCUSDT", "0.0001"))
	}
	for _, id := range []string{"alice", "bob", "carol"} {
		diff := one.wallet(id).Sub(many.wallet(id)).Abs()
		if diff.GreaterThan(d("0.00000003")) {
			t.Fatalf("%s: once %s, in pieces %s", id, one.wallet(id), many.wallet(id))
		}
	}
}

// Funding runs the sweep (FND-4): alice isolated with margin 0.47 (E =
// 0.4703 >= MM 0.005*90.0003 = 0.4500015) pays 0.003*30000.1*0.0005 =
// 0.04500015, E = 0.42529985 < MM: liquidated in the same event (solvent,
// no fee: the rest of the margin returns to her wallet).
func TestLedgerFundingThenSweep(t *testing.T) {
	st := fundingState(spec.Isolated)
	st.Accounts["alice"].Positions[0].IsolatedMargin = nd("0.47")
	st.InsuranceFund.WalletBalance = d("1000")
	h := newHarness(t, st)
	effs := h.ok(evFunding("BTCUSDT", "0.0005"))
	s := strings.Join(effStr(effs), "\n")
	if !strings.Contains(s, "liq alice BTCUSDT isolated") || !strings.Contains(s, "post isolated:alice:BTCUSDT -> wallet:alice 0.42529985 margin") {
		t.Fatalf("no liquidation after funding:\n%s", s)
	}
	if h.position("alice", "BTCUSDT") != nil {
		t.Fatalf("alice's position survived")
	}
}
