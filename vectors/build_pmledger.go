package vectors

import (
	"encoding/json"
	"strings"

	"github.com/perpcheck/perpcheck/internal/pmstates"
	"github.com/perpcheck/perpcheck/spec"
)

// The portfolio-margin ledger's vectors (SPEC PM-14..18): the rules a run
// exercises, and the hand-made runs of model/ledger_pm_test.go on its
// states (internal/pmstates), whose expected values are computed by hand there.

// pmRules adds the PM ledger rules event ev exercises on the state before
// it: a portfolio setting (PM-14), a trade by an account whose setting for
// the market is portfolio (PM-14, PM-15), a withdrawal or addMargin by, or
// funding of, an account with a portfolio position (PM-16), a portfolio
// pool liquidated (PM-17; PM-18: its insurance, ADL and conservation).
func pmRules(rs map[string]bool, before *spec.State, ev spec.Event, out EventOutcome) {
	hasPM := func(a spec.Account) bool {
		for _, p := range a.Positions {
			if p.MarginMode == spec.Portfolio {
				return true
			}
		}
		return false
	}
	switch ev.Type {
	case spec.EventSetMarginMode:
		if ev.MarginMode == spec.Portfolio {
			rs["PM-14"] = true
		}
	case spec.EventTrade:
		for _, id := range []string{ev.Buyer, ev.Seller} {
			if a, ok := before.Accounts[id]; ok && a.Settings[ev.Market].MarginMode == spec.Portfolio {
				rs["PM-14"], rs["PM-15"] = true, true
			}
		}
	case spec.EventWithdraw, spec.EventAddMargin:
		if a, ok := before.Accounts[ev.Account]; ok && hasPM(a) {
			rs["PM-16"] = true
		}
	case spec.EventFunding:
		for _, a := range before.Accounts {
			for _, p := range a.Positions {
				if p.Market == ev.Market && p.MarginMode == spec.Portfolio {
					rs["PM-16"] = true
				}
			}
		}
	}
	if out.Effects != nil {
		for _, e := range *out.Effects {
			if e.Type == spec.EffectLiquidation && e.Pool == spec.Portfolio {
				rs["PM-17"], rs["PM-18"], rs["PM-10"] = true, true, true
			}
		}
	}
}

// pmHandRuns are model/ledger_pm_test.go's golden runs (the arithmetic is
// in the comments there), with what each shows.
func pmHandRuns() []struct {
	comment string
	run     *spec.Run
} {
	hedge, twoUnits, im := pmstates.Hedge("portfolio"), pmstates.TwoUnits(), pmstates.IM()
	mk := func(state string, events ...string) *spec.Run {
		var r spec.Run
		if err := json.Unmarshal([]byte(state), &r.State); err != nil {
			panic(err) // a constant above
		}
		if err := json.Unmarshal([]byte(`[`+strings.Join(events, ",")+`]`), &r.Events); err != nil {
			panic(err)
		}
		return &r
	}
	return []struct {
		comment string
		run     *spec.Run
	}{
		{"a perp/future hedge that cross margin would liquidate: PM MM 8,400 <= E 10,000 at BTC-PERP 49,000, nothing happens; at 48,500 (MM 8,850 > E 5,000) the sweep closes the losing perp, then the unhedged future (PM-17, LQ-4's fee rule)",
			mk(hedge, `{"type": "price", "market": "BTC-PERP", "mark": "49000"}`, `{"type": "price", "market": "BTC-PERP", "mark": "48500"}`)},
		{"two units: the sweep closes BTC (MR1 50,000) before ETH (MR1 28,000) although ETH holds the loss, and stops once E 65,000 >= MM 28,000 (PM-17)",
			mk(twoUnits, `{"type": "price", "market": "ETH-PERP", "mark": "2800"}`)},
		{"TRD-5 on the portfolio pool's IM: selling 20.001 BTC-FUT needs IM 60,005.25 > E 60,000 (rejected), 20 needs exactly 60,000 (accepted); then nothing is withdrawable (PM-15, PM-16)",
			mk(im, `{"type": "trade", "market": "BTC-FUT", "buyer": "bob", "seller": "alice", "size": "20.001", "price": "50000"}`,
				`{"type": "trade", "market": "BTC-FUT", "buyer": "bob", "seller": "alice", "size": "20", "price": "50000"}`,
				`{"type": "withdraw", "account": "alice", "amount": "0.00000001"}`,
				`{"type": "setMarginMode", "account": "@insurance", "market": "BTC-PERP", "marginMode": "portfolio"}`)},
	}
}
