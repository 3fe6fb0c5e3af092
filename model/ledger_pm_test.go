package model_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/internal/pmstates"
	"github.com/perpcheck/perpcheck/spec"
)

// Golden tests of the portfolio-margin ledger (SPEC PM-14..PM-18) on both
// ledgers (model and reference), every expected value computed by hand in
// the comments (none copied from either engine's output).
//
// The markets: BTC-PERP (a perpetual) and BTC-FUT (a future with 0.25 years
// to expiry) on underlying BTC, and ETH-PERP on ETH; one tier, MMR 10%,
// maxLeverage 5 (so cross margin is expensive); liquidationFeeRate 1%; PM
// parameters shocks [-0.1, 0, 0.1], basisRate 0.02, contingencyRate 0.01,
// no extreme move, no minimum charge, initialMarginFactor 1.

// step is one event of a golden run with its expected outcome: the effects
// (effLines) or the error's rule and path.
type step struct {
	ev         string
	want       []string
	rule, path string
}

func runGolden(t *testing.T, state string, steps []step, final func(t *testing.T, name string, st *spec.State)) {
	t.Helper()
	for name, l := range ledgers(t, state) {
		for k, s := range steps {
			effs, err := l.Apply(event(t, s.ev))
			if s.rule != "" {
				e, ok := err.(*spec.Error)
				if !ok || e.Rule != s.rule || e.Path != s.path {
					t.Fatalf("%s: event %d: error %v, want %s at %s", name, k, err, s.rule, s.path)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: event %d: %v", name, k, err)
			}
			if got := effLines(effs); !reflect.DeepEqual(got, s.want) && !(len(got) == 0 && len(s.want) == 0) {
				t.Fatalf("%s: event %d: effects\n got  %s\n want %s", name, k, strings.Join(got, "\n      "), strings.Join(s.want, "\n      "))
			}
		}
		if final != nil {
			final(t, name, l.State())
		}
	}
}

// TestGoldenPMHedgeNotLiquidated (PM-17, PM-10): the hedged perp/future pair
// that cross margin liquidates and portfolio margin does not.
//
// Mark BTC-PERP -> 49,000. Alice: U_perp = 10 * (49,000 - 50,000) = -10,000,
// U_fut = 0, so E = 20,000 - 10,000 = 10,000.
//   - Cross (POOL-1): MM = 0.1 * (490,000 + 500,000) = 99,000 > 10,000:
//     liquidatable, the sweep liquidates (a liquidation effect first).
//   - Portfolio (PM-4..10): D = 490,000 - 500,000 = -10,000; P_k = r_k * D =
//     (1,000, 0, -1,000): MR1 = 1,000; MR4 = 0.02 * 0.25 * 500,000 = 2,500;
//     C = 0.01 * min(490,000, 500,000) = 4,900; MM = 1,000 + 2,500 + 4,900 =
//     8,400 <= 10,000: not liquidatable, no effect.
func TestGoldenPMHedgeNotLiquidated(t *testing.T) {
	runGolden(t, pmstates.Hedge("portfolio"), []step{{ev: `{"type": "price", "market": "BTC-PERP", "mark": "49000"}`}},
		func(t *testing.T, name string, st *spec.State) {
			if got := st.Accounts["alice"].WalletBalance.String(); got != "20000" || len(st.Accounts["alice"].Positions) != 2 {
				t.Fatalf("%s: alice %s with %d positions, want 20000 and both positions", name, got, len(st.Accounts["alice"].Positions))
			}
		})
	for name, l := range ledgers(t, pmstates.Hedge("cross")) {
		effs, err := l.Apply(event(t, `{"type": "price", "market": "BTC-PERP", "mark": "49000"}`))
		if err != nil || len(effs) == 0 || effs[0].Type != spec.EffectLiquidation || effs[0].Pool != spec.Cross {
			t.Fatalf("%s: cross: %v %v, want a cross liquidation", name, effLines(effs), err)
		}
	}
}

// TestGoldenPMSweepHedgeLeg (PM-17): the same pair pushed below PM MM.
//
// Mark BTC-PERP -> 48,500: U_perp = -15,000, E = 5,000; D = 485,000 -
// 500,000 = -15,000, MR1 = 1,500; MR4 = 2,500; C = 0.01 * 485,000 = 4,850;
// MM = 8,850 > 5,000: liquidatable. E_x (LQ-3) = 20,000 + 10 * (48,500 -
// 50,000) + (-10) * (tickUp(50,000) - 50,000) = 5,000 >= 0: solvent (LQ-4).
// One unit; largest loss first: BTC-PERP (U = -15,000) before BTC-FUT
// (U = 0). Close BTC-PERP at tickDown(48,500) = 48,500 against the fund:
// realized -15,000 (wallet 5,000); fee min(up(0.01 * 10 * 48,500) = 4,850,
// down(E' = 5,000 + 0)) = 4,850 (wallet 150). Re-check: only the short
// future: D = -500,000, MR1 = 0.1 * 500,000 = 50,000, MR4 = 2,500, C = 0:
// MM = 52,500 > E = 150: close BTC-FUT at tickUp(50,000) = 50,000, realized
// 0, fee min(up(0.01 * 10 * 50,000) = 5,000, down(150)) = 150 (wallet 0).
func TestGoldenPMSweepHedgeLeg(t *testing.T) {
	runGolden(t, pmstates.Hedge("portfolio"), []step{{ev: `{"type": "price", "market": "BTC-PERP", "mark": "48500"}`, want: []string{
		"liq alice BTC-PERP portfolio",
		"fill @insurance long 10 @48500 cp alice liquidation",
		"fill alice short 10 @48500 cp @insurance liquidation",
		"post wallet:alice -> settlement 15000 realized-pnl",
		"post wallet:alice -> wallet:@insurance 4850 liquidation-fee",
		"liq alice BTC-FUT portfolio",
		"fill alice long 10 @50000 cp @insurance liquidation",
		"fill @insurance short 10 @50000 cp alice liquidation",
		"post wallet:alice -> wallet:@insurance 150 liquidation-fee",
	}}}, func(t *testing.T, name string, st *spec.State) {
		if a := st.Accounts["alice"]; !a.WalletBalance.IsZero() || len(a.Positions) != 0 {
			t.Fatalf("%s: alice %s with %d positions, want 0 and flat", name, a.WalletBalance, len(a.Positions))
		}
	})
}

// TestGoldenPMSweepUnitOrder (PM-17): the unit with the largest MR1 closes
// first, even when another unit holds the larger loss.
//
// At the start: MR1_BTC = 0.1 * 500,000 = 50,000, MR1_ETH = 0.1 * 300,000 =
// 30,000 (no basis, no contingency: single longs), MM = 80,000 <= E =
// 90,000. Mark ETH-PERP -> 2,800: U_eth = 100 * (2,800 - 3,000) = -20,000,
// E = 70,000; MR1_ETH = 0.1 * 280,000 = 28,000; MM = 78,000 > 70,000:
// liquidatable. E_x = 90,000 + 0 - 20,000 = 70,000: solvent. Order: BTC
// (MR1 50,000) before ETH (28,000), although ETH holds the loss (LQ-4's
// cross order would close ETH first). Close BTC-PERP at 50,000: realized
// 0; fee min(up(0.01 * 10 * 50,000) = 5,000, down(E' = 90,000 - 20,000)) =
// 5,000 (wallet 85,000). Re-check: E = 85,000 - 20,000 = 65,000 >= MM =
// 28,000: stop. ETH-PERP stays open.
func TestGoldenPMSweepUnitOrder(t *testing.T) {
	runGolden(t, pmstates.TwoUnits(), []step{{ev: `{"type": "price", "market": "ETH-PERP", "mark": "2800"}`, want: []string{
		"liq alice BTC-PERP portfolio",
		"fill @insurance long 10 @50000 cp alice liquidation",
		"fill alice short 10 @50000 cp @insurance liquidation",
		"post wallet:alice -> wallet:@insurance 5000 liquidation-fee",
	}}}, func(t *testing.T, name string, st *spec.State) {
		a := st.Accounts["alice"]
		if a.WalletBalance.String() != "85000" || len(a.Positions) != 1 || a.Positions[0].Market != "ETH-PERP" {
			t.Fatalf("%s: alice %s %v, want 85000 and ETH-PERP only", name, a.WalletBalance, a.Positions)
		}
	})
}

// TestGoldenPMTradeIM (PM-15, PM-14, PM-16): TRD-5 uses the portfolio
// pool's IM (k = 1, so IM = MM); prices at the marks, no trading fee, so
// E = 60,000 after each trade.
//
//   - alice sells 20 BTC-FUT at 50,000: L = 500,000, S = 1,000,000, D =
//     -500,000: MR1 = 0.1 * 500,000 = 50,000; MR4 = 0.02 * 0.25 * 1,000,000 =
//     5,000; C = 0.01 * 500,000 = 5,000; IM = 60,000 = E: accepted (E >= IM).
//     (Cross IM at leverage 5 would be 1,500,000 / 5 = 300,000.)
//   - 20.001: S = 1,000,050, D = -500,050: MR1 = 50,005; MR4 = 5,000.25;
//     C = 5,000; IM = 60,005.25 > 60,000: TRD-5 at .seller.
//   - After the 20 (E = IM = 60,000), a withdrawal of 0.00000001 exceeds
//     min(WB, WB + 0 - IM) = 0 (PM-16: POOL-6). Alice buying 0.001 BTC-PERP
//     (an increase) reduces her risk under PM: L = 500,050, D = -499,950,
//     MR1 = 49,995, MR4 = 5,000, C = 0.01 * 500,050 = 5,000.5: IM =
//     59,995.5 <= 60,000: accepted.
//   - PM-14: alice opening a cross position in X (default cross) is PM-2 at
//     .buyer; setMarginMode portfolio on X (offered, no parameters) is PM-2
//     at .marginMode; the fund choosing portfolio is LED-2.
func TestGoldenPMTradeIM(t *testing.T) {
	runGolden(t, pmstates.IM(), []step{
		{ev: `{"type": "trade", "market": "BTC-FUT", "buyer": "bob", "seller": "alice", "size": "20.001", "price": "50000"}`, rule: "TRD-5", path: "events[0].seller"},
		{ev: `{"type": "trade", "market": "BTC-FUT", "buyer": "bob", "seller": "alice", "size": "20", "price": "50000"}`, want: []string{
			"fill bob long 20 @50000 cp alice trade", "fill alice short 20 @50000 cp bob trade"}},
		{ev: `{"type": "withdraw", "account": "alice", "amount": "0.00000001"}`, rule: "POOL-6", path: "events[2].amount"},
		{ev: `{"type": "trade", "market": "BTC-PERP", "buyer": "alice", "seller": "bob", "size": "0.001", "price": "50000"}`, want: []string{
			"fill alice long 0.001 @50000 cp bob trade", "fill bob short 0.001 @50000 cp alice trade"}},
		{ev: `{"type": "trade", "market": "X", "buyer": "alice", "seller": "bob", "size": "1", "price": "1"}`, rule: "PM-2", path: "events[4].buyer"},
		{ev: `{"type": "setMarginMode", "account": "alice", "market": "X", "marginMode": "portfolio"}`, rule: "PM-2", path: "events[5].marginMode"},
		{ev: `{"type": "setMarginMode", "account": "@insurance", "market": "BTC-PERP", "marginMode": "portfolio"}`, rule: "LED-2", path: "events[6].marginMode"},
		// bob (cross positions) opening a portfolio position: PM-2 at .seller
		// (alice's open, checked first, passes).
		{ev: `{"type": "setMarginMode", "account": "bob", "market": "ETH-PERP", "marginMode": "portfolio"}`},
		{ev: `{"type": "setMarginMode", "account": "alice", "market": "ETH-PERP", "marginMode": "portfolio"}`},
		{ev: `{"type": "trade", "market": "ETH-PERP", "buyer": "alice", "seller": "bob", "size": "1", "price": "3000"}`, rule: "PM-2", path: "events[9].seller"},
	}, nil)
}
