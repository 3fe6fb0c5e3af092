package properties

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// The portfolio-margin ledger properties (SPEC PM-14..PM-18). They need
// CapPortfolio and a LedgerEngine; their oracle is SPEC itself
// (specutil.PortfolioMargins, exact decimals), never the reference.

// pmKinds are the event kinds of the PM ledger runs: trades that open and
// reduce (PM-14, PM-15), mark moves and gaps that push portfolio pools
// below MM (PM-17), withdrawals (PM-16), settings, funding.
func (e *env) pmKinds() []gen.EventKind {
	ks := []gen.EventKind{gen.Open, gen.Open, gen.Open, gen.Reduce, gen.PriceMove, gen.PriceMove, gen.PriceGap, gen.Withdraw, gen.Settings, gen.Deposit}
	if e.gen.Funding {
		ks = append(ks, gen.Funding)
	}
	return ks
}

// pmRun runs 1..n random events of pmKinds on a gen.PMLedgerState and
// calls check after each with the states before and after, the event, its
// effects and error; a non-empty message fails the property.
func (e *env) pmRun(t *rapid.T, n int, check func(before *spec.State, ev spec.Event, effs []spec.Effect, err error, after *spec.State) string) {
	r := e.startRun(t, gen.PMLedgerState(e.gen).Draw(t, "state"), false)
	steps := rapid.IntRange(1, n).Draw(t, "events")
	for i := 0; i < steps; i++ {
		before := r.st
		kind := rapid.SampledFrom(e.pmKinds()).Draw(t, "kind")
		ev := gen.LedgerEventOf(before, e.gen, kind).Draw(t, "event")
		effs, err := r.apply(t, ev)
		if msg := check(before, ev, effs, err, r.st); msg != "" {
			r.fail(t, "event %d (%s): %s", i, ev.Type, msg)
		}
	}
	r.checkInput(t)
}

// propPMSweepOrder is PM-17 on every price event: the first position of a
// portfolio pool that the sweep closes belongs to a unit of largest MR1
// (ties: the smallest underlying) and is that unit's largest loss (ties:
// the smallest market), the pool being liquidatable (E < MM of PM-10) at
// the new marks; after every price or funding event no account holds a
// liquidatable portfolio pool.
func propPMSweepOrder(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		e.pmRun(t, 25, func(before *spec.State, ev spec.Event, effs []spec.Effect, err error, after *spec.State) string {
			if err != nil || (ev.Type != spec.EventPrice && ev.Type != spec.EventFunding) {
				return ""
			}
			if ev.Type == spec.EventPrice {
				if msg := e.checkPMFirstClose(before, ev, effs); msg != "" {
					return msg
				}
			}
			for id, a := range after.Accounts {
				if !specutil.HasPortfolio(a) {
					continue
				}
				v := specutil.Pool(after, a, "")
				if v.E.Rat().Cmp(v.MM) < 0 {
					return fmt.Sprintf("PM-17/LQ-1: after the sweep %s's portfolio pool is liquidatable: E %s < MM %s (PM-10)", id, v.E, fmtRat(v.MM))
				}
			}
			return ""
		})
	}
}

// checkPMFirstClose checks PM-17's trigger and close order at the first
// liquidation effect of each account's portfolio pool in a price event,
// from the state before the event with the event's mark (when no earlier
// effect of the event touched that account).
func (e *env) checkPMFirstClose(before *spec.State, ev spec.Event, effs []spec.Effect) string {
	if !ev.Mark.Valid {
		return ""
	}
	s := before.Clone()
	s.Prices[ev.Market] = spec.Price{Mark: ev.Mark}
	touched := map[string]bool{}
	for _, f := range effs {
		if f.Type == spec.EffectLiquidation && f.Pool == spec.Portfolio && !touched[f.Account] {
			touched[f.Account] = true
			if msg := pmFirstClose(s, f.Account, f.Market); msg != "" {
				return msg
			}
			e.hit("PM-17 first close judged")
		}
		for _, id := range []string{f.Account, f.Counterparty, strings.TrimPrefix(f.From, "wallet:"), strings.TrimPrefix(f.To, "wallet:")} {
			touched[id] = true
		}
	}
	return ""
}

// pmFirstClose judges one first close: market m of account id in state s.
func pmFirstClose(s *spec.State, id, m string) string {
	a := s.Accounts[id]
	v := specutil.Pool(s, a, "")
	if v.E.Rat().Cmp(v.MM) >= 0 {
		return fmt.Sprintf("PM-17: %s's portfolio pool is liquidated (%s) with E %s >= MM %s at the marks (PM-10: not liquidatable)", id, m, v.E, fmtRat(v.MM))
	}
	_, _, units := specutil.PortfolioMargins(s, a)
	best := -1
	for k, u := range units { // ascending underlying: the first of the largest MR1
		if best < 0 || u.MR1.GreaterThan(units[best].MR1) {
			best = k
		}
	}
	u := units[best]
	want := ""
	var worst decimal.Decimal
	for _, mk := range u.Markets { // markets in ascending order (the account's positions)
		if x := v.U[mk]; want == "" || x.LessThan(worst) {
			want, worst = mk, x
		}
	}
	if m != want {
		return fmt.Sprintf("PM-17: %s's portfolio liquidation closed %s first; want %s (unit %s, MR1 %s, the largest; its largest loss %s)", id, m, want, u.Underlying, u.MR1, worst)
	}
	return ""
}

// propPMTradeIM is PM-15 (and PM-14's opening check seen from TRD-5): for
// each side of a trade that opens or increases (not flips) a portfolio
// position, the side is rejected by TRD-5 exactly when its portfolio pool
// after the trade (the position and the fee applied here, exact) has
// E < IM (PM-10) or the new notional at the trade price exceeds the last
// tier's maxNotional: an accepted trade covers both sides, a TRD-5 at
// .buyer is the buyer's shortfall, one at .seller the seller's with the
// buyer covered.
func propPMTradeIM(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		e.pmRun(t, 20, func(before *spec.State, ev spec.Event, effs []spec.Effect, err error, after *spec.State) string {
			if ev.Type != spec.EventTrade || (err != nil && ruleOf(err) != "TRD-5") {
				return ""
			}
			path := ""
			if me, ok := err.(*spec.Error); ok {
				path = me.Path
			}
			bf, bj := pmSideFails(before, ev, ev.Buyer, spec.Long, ev.Maker == "buyer")
			sf, sj := pmSideFails(before, ev, ev.Seller, spec.Short, ev.Maker != "buyer")
			switch {
			case err == nil && bj && bf:
				return fmt.Sprintf("PM-15/TRD-5: the trade was accepted, but the buyer %s's portfolio pool does not cover its IM (or the notional exceeds the last tier) after it", ev.Buyer)
			case err == nil && sj && sf:
				return fmt.Sprintf("PM-15/TRD-5: the trade was accepted, but the seller %s's portfolio pool does not cover its IM (or the notional exceeds the last tier) after it", ev.Seller)
			case strings.HasSuffix(path, ".buyer") && bj && !bf:
				return fmt.Sprintf("PM-15/TRD-5: rejected at .buyer, but %s's portfolio pool covers its IM after the trade", ev.Buyer)
			case strings.HasSuffix(path, ".seller") && bj && bf:
				return fmt.Sprintf("PM-15/TRD-5: rejected at .seller, but the buyer %s, checked first, does not cover its portfolio IM", ev.Buyer)
			case strings.HasSuffix(path, ".seller") && sj && !sf:
				return fmt.Sprintf("PM-15/TRD-5: rejected at .seller, but %s's portfolio pool covers its IM after the trade", ev.Seller)
			}
			if bj || sj {
				e.hit(fmt.Sprintf("PM-15 judged, rejected %v", err != nil))
			}
			return ""
		})
	}
}

// pmSideFails computes, for the side id (long: the buyer) of trade ev on
// before, whether TRD-5 must reject it under PM-15; judged is false unless
// the side is a trader whose setting for the market is portfolio and whose
// trade opens or increases its position there (a flip or reduce is not
// judged).
func pmSideFails(before *spec.State, ev spec.Event, id string, side spec.Side, maker bool) (fails, judged bool) {
	a, ok := before.Accounts[id]
	m, okm := before.Markets[ev.Market]
	if !ok || !okm || !ev.Size.Valid || !ev.Price.Valid || specutil.SettingOf(a, ev.Market, m).MarginMode != spec.Portfolio {
		return false, false
	}
	q, p := ev.Size.Decimal, ev.Price.Decimal
	a.Positions = append([]spec.Position(nil), a.Positions...)
	idx := -1
	for i := range a.Positions {
		if a.Positions[i].Market == ev.Market {
			idx = i
		}
	}
	if idx >= 0 && a.Positions[idx].Side != side {
		return false, false // a reduce, close or flip
	}
	if idx < 0 {
		a.Positions = append(a.Positions, spec.Position{Market: ev.Market, Side: side, MarginMode: spec.Portfolio})
		idx = len(a.Positions) - 1
	}
	pos := &a.Positions[idx]
	pos.EntryValue = nd(pos.CostBasis().Add(q.Mul(p)))
	pos.EntryPrice = decimal.Zero
	pos.Size = pos.Size.Add(q)
	// TRD-4: the fee up(size * price * rate) from the wallet.
	rate := m.TakerFeeRate
	if maker {
		rate = m.MakerFeeRate
	}
	fee := specutil.CeilGrid(q.Mul(p).Mul(rate.Decimal), units(1))
	a.WalletBalance = a.WalletBalance.Sub(fee)
	v := specutil.Pool(before, a, "")
	covered := ratSub(v.E.Rat(), v.IM).Sign() >= 0
	within := pos.Size.Mul(p).LessThanOrEqual(m.Tiers[len(m.Tiers)-1].MaxNotional)
	return !covered || !within, true
}
