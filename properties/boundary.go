package properties

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the oracle-free checks of the ledger's exact decisions
// (issue 16; properties/README.md tabulates them with the generators that
// reach their boundaries and the mutants they catch): each decision is
// judged exactly, from the states and the effects, on both sides of its
// boundary, and the orderings with a tie rule are followed, ties included.
// The boundary hits are counted in env.stats (TestLedgerBoundaryCoverage).

// hit counts one boundary hit (coverage only).
func (e *env) hit(key string) {
	if s := e.stats; s != nil {
		s.mu.Lock()
		if s.n == nil {
			s.n = map[string]int{}
		}
		s.n["boundary "+key]++
		s.mu.Unlock()
	}
}

// side names x's position relative to a boundary: "-1u", "=", "+1u" or "".
// sideRat is side for an exact difference ("" off the 1e-8 grid).
func sideRat(x *big.Rat) string {
	if !new(big.Rat).Mul(x, big.NewRat(100_000_000, 1)).IsInt() {
		return ""
	}
	return side(decimal.NewFromBigRat(x, 8))
}

func side(x decimal.Decimal) string {
	switch {
	case x.IsZero():
		return "="
	case x.Equal(units(1)):
		return "+1u"
	case x.Equal(units(-1)):
		return "-1u"
	}
	return ""
}

// checkLimits judges the exact limits of LED-9 on both sides, from the state
// before the event and whether it was accepted: a withdrawal is accepted iff
// amount <= min(WB, WB + sum min(U, 0) - IM) of the cross pool (the fund's
// iff amount <= its wallet); a removeMargin iff amount <= maxRemovableMargin
// (POOL-6); an addMargin needs amount <= WB (ACC-1) and leaves the cross
// pool's E >= IM (POOL-6). Only well-formed events are judged (a known
// account, an amount > 0 on the grid; for margin events an isolated position).
func (e *env) checkLimits(before *spec.State, ev spec.Event, err error) string {
	e.countEventBoundary(before, ev, err)
	if ev.Type == spec.EventPrice && ruleOf(err) == "POS-2" {
		e.hit("LED-1 V = 0 rejected")
	}
	if !ev.Amount.Valid || ev.Amount.Decimal.Sign() <= 0 || !specutil.FloorGrid(ev.Amount.Decimal, units(1)).Equal(ev.Amount.Decimal) {
		return ""
	}
	amt := ev.Amount.Decimal
	rule := ruleOf(err)
	ok := err == nil
	a, trader := before.Accounts[ev.Account]
	switch ev.Type {
	case spec.EventWithdraw:
		if ev.Account == spec.InsuranceAccount {
			max := before.InsuranceFund.WalletBalance
			if ok != amt.LessThanOrEqual(max) && (ok || rule == "POOL-6") {
				return fmt.Sprintf("LED-9: the fund's withdrawal of %s with a wallet of %s was %s", amt, max, acceptedText(ok))
			}
			return ""
		}
		if !trader {
			return ""
		}
		v := specutil.Pool(before, a, "")
		max := ratMin(a.WalletBalance.Rat(), ratSub(a.WalletBalance.Add(v.Losses).Rat(), v.IM))
		within := amt.Rat().Cmp(max) <= 0
		if s := side(amt.Sub(decimal.NewFromBigRat(down(max), 8))); s != "" {
			e.hit("LED-9 withdraw amount-max " + s)
			// At the maximum, on the grid and below WB: E = IM exactly after
			// it; with two margins N_i/L_i off the grid (gen.boundaryThirds).
			if s == "=" && max.Cmp(a.WalletBalance.Rat()) < 0 && new(big.Rat).Mul(max, big.NewRat(1e8, 1)).IsInt() && gen.OffGridIMs(before, a) >= 2 {
				e.hit("LED-9 withdraw E = IM, off-grid IMs")
			}
		}
		if within != ok && (ok || rule == "POOL-6") {
			return fmt.Sprintf("LED-9: %s's withdrawal of %s was %s; the limit min(WB, WB + sum min(U, 0) - IM) is exactly %s (WB %s)",
				ev.Account, amt, acceptedText(ok), fmtRat(max), a.WalletBalance)
		}
	case spec.EventRemoveMargin, spec.EventAddMargin:
		if !trader {
			return ""
		}
		var pos *spec.Position
		for i := range a.Positions {
			if a.Positions[i].Market == ev.Market && a.Positions[i].MarginMode == spec.Isolated {
				pos = &a.Positions[i]
			}
		}
		if pos == nil {
			return ""
		}
		if ev.Type == spec.EventRemoveMargin {
			v := specutil.Pool(before, a, ev.Market)
			m := pos.IsolatedMargin.Decimal
			x := ratSub(m.Add(decimal.Min(v.U[ev.Market], decimal.Zero)).Rat(), v.IM)
			max := down(ratMax2(ratInt(0), ratMin(m.Rat(), x)))
			within := amt.Rat().Cmp(max) <= 0
			if s := side(amt.Sub(decimal.NewFromBigRat(max, 8))); s != "" {
				e.hit("POOL-6 removeMargin amount-max " + s)
			}
			if within != ok && (ok || rule == "POOL-6") {
				return fmt.Sprintf("POOL-6: removeMargin of %s from %s's isolated %s was %s; maxRemovableMargin is %s", amt, ev.Account, ev.Market, acceptedText(ok), fmtRat(max))
			}
			return ""
		}
		c := specutil.Pool(before, a, "")
		inWallet := amt.LessThanOrEqual(a.WalletBalance)
		covers := ratSub(c.E.Sub(amt).Rat(), c.IM).Sign() >= 0
		if s := side(amt.Sub(a.WalletBalance)); s != "" {
			e.hit("ACC-1 addMargin amount-WB " + s)
		}
		switch {
		case ok && (!inWallet || !covers):
			return fmt.Sprintf("LED-9: addMargin of %s by %s was accepted (wallet %s, cross equity %s, cross IM %s)", amt, ev.Account, a.WalletBalance, c.E, fmtRat(c.IM))
		case rule == "POOL-6" && !inWallet:
			// LED-9: amount > WB is ACC-1, whatever the cross pool (an engine
			// that lets the wallet go negative and is stopped only by E >= IM).
			return fmt.Sprintf("LED-9: addMargin of %s by %s was rejected with POOL-6, want ACC-1: it exceeds the wallet %s", amt, ev.Account, a.WalletBalance)
		case rule == "ACC-1" && inWallet:
			return fmt.Sprintf("LED-9: addMargin of %s by %s was rejected (ACC-1) with a wallet of %s", amt, ev.Account, a.WalletBalance)
		case rule == "POOL-6" && inWallet && covers:
			return fmt.Sprintf("LED-9: addMargin of %s by %s was rejected (POOL-6) though the cross pool keeps E %s >= IM %s", amt, ev.Account, c.E.Sub(amt), fmtRat(c.IM))
		}
	case spec.EventFunding:
	}
	return ""
}

// countEventBoundary counts the events on FND-1's cap and TIER-7's tier
// boundaries (judged by checkFunding and checkTrade).
func (e *env) countEventBoundary(before *spec.State, ev spec.Event, err error) {
	if e.stats == nil {
		return
	}
	m, okm := before.Markets[ev.Market]
	if !okm {
		return
	}
	switch ev.Type {
	case spec.EventFunding:
		if ev.Rate.Valid && m.FundingRateCap.Valid {
			if s := side(ev.Rate.Decimal.Abs().Sub(m.FundingRateCap.Decimal)); s != "" {
				e.hit("FND-1 |rate|-cap " + s)
			}
		}
	case spec.EventTrade:
		if !ev.Size.Valid || !ev.Price.Valid {
			return
		}
		// TRD-3: an increase of an isolated position whose margin funding
		// drained below 0 (FND-5), by gen's drainedIncrease.
		for _, side := range []struct {
			id string
			d  decimal.Decimal
		}{{ev.Buyer, ev.Size.Decimal}, {ev.Seller, ev.Size.Decimal.Neg()}} {
			for _, p := range before.Accounts[side.id].Positions {
				if p.Market == ev.Market && p.MarginMode == spec.Isolated && p.IsolatedMargin.Decimal.Sign() < 0 &&
					specutil.SignedSize(before.Accounts[side.id], ev.Market).Sign() == side.d.Sign() {
					switch {
					case err == nil:
						e.hit("TRD-3 increase of a drained isolated margin accepted")
					case ruleOf(err) == "TRD-3":
						e.hit("TRD-3 increase of a drained isolated margin rejected")
					}
				}
			}
		}
		if err != nil && ruleOf(err) != "TRD-5" {
			return
		}
		last := m.Tiers[len(m.Tiers)-1].MaxNotional
		for _, side := range []struct {
			id string
			d  decimal.Decimal
		}{{ev.Buyer, ev.Size.Decimal}, {ev.Seller, ev.Size.Decimal.Neg()}} {
			a, ok := before.Accounts[side.id]
			if !ok || !specutil.SignedSize(a, ev.Market).IsZero() {
				continue // TRD-5's maxNotional counted on opening trades only
			}
			switch n := side.d.Abs().Mul(ev.Price.Decimal); {
			case n.Equal(last) && err == nil:
				e.hit("TRD-5 new notional = last maxNotional accepted")
			case n.GreaterThan(last) && n.Sub(ev.Size.Decimal.Mul(m.TickSize)).LessThanOrEqual(last) && err != nil:
				e.hit("TRD-5 new notional one tick above last maxNotional rejected")
			}
		}
		if err != nil {
			return
		}
		n := ev.Size.Decimal.Mul(ev.Price.Decimal)
		for _, t := range m.Tiers[1:] {
			if n.Equal(t.MinNotional) {
				e.hit("TIER-7 new notional = tier boundary")
			}
		}
	}
}

func acceptedText(ok bool) string {
	if ok {
		return "accepted"
	}
	return "rejected"
}

// countKept counts the pools a sweep kept at or one unit above their
// boundary E = MM (POOL-5); checkNoLiquidatable judges them.
func (e *env) countKept(after *spec.State) {
	if e.stats == nil {
		return
	}
	for _, id := range slices.Sorted(maps.Keys(after.Accounts)) {
		a := after.Accounts[id]
		markets := []string{""}
		for _, p := range a.Positions {
			if p.MarginMode == spec.Isolated {
				markets = append(markets, p.Market)
			}
		}
		for _, m := range markets {
			if v := specutil.Pool(after, a, m); v.Positions > 0 {
				if s := sideRat(new(big.Rat).Sub(v.E.Rat(), v.MM)); s == "=" || s == "+1u" {
					e.hit("POOL-5 E-MM " + s + " kept")
				}
			}
		}
	}
}

// poolMM is the exact maintenance margin of the pool holding id's position
// in market (all of id's cross positions for a cross pool) in the replayed
// book, at the marks; ok is false when a position of the pool was filled
// earlier in the event (its cost basis is then unknown here).
func (rp *replay) poolMM(id, market string, mode spec.MarginMode) (mm *big.Rat, ok bool) {
	mm = new(big.Rat)
	for key, p := range rp.b.pos {
		cid, m, _ := strings.Cut(key, "|")
		if cid != id || p.x.IsZero() || p.mode != mode || (mode == spec.Isolated && m != market) {
			continue
		}
		mark := rp.after.Prices[m].Mark
		if rp.touched[key] || !mark.Valid {
			return mm, false
		}
		mk := rp.before.Markets[m]
		nb := p.x.Abs().Mul(mark.Decimal)
		if mk.MMBasis == spec.BasisEntry {
			nb = p.v
		}
		mm.Add(mm, specutil.MM(mk, nb))
	}
	return mm, true
}

// checkTriggered is POOL-5 and LQ-1 at a liquidation effect: the pool was
// liquidatable (exact E < MM at the marks, in the replayed book) when the
// sweep took it, and, for a cross pool closed one position at a time (LQ-4),
// still liquidatable before each further close; the position closed is the
// largest loss of the pool (most negative exact U), ties by ascending market
// (LQ-4, LQ-5, LQ-6).
func (rp *replay) checkTriggered(f spec.Effect, first bool) string {
	if f.Pool == spec.Portfolio {
		return "" // PM-17's trigger and order: checkPMLiquidation (pm_ledger.go)
	}
	if first || (rp.ep != nil && rp.ep.way == liqSolvent) {
		e, ok1 := rp.poolEquity(f.Account, f.Market, f.Pool)
		mm, ok2 := rp.poolMM(f.Account, f.Market, f.Pool)
		if ok1 && ok2 {
			if e.Rat().Cmp(mm) >= 0 {
				return fmt.Sprintf("POOL-5/LQ-1: %s's %s pool is liquidated (%s) with equity %s >= MM %s (exact, at the marks): E = MM is not liquidatable", f.Account, f.Pool, f.Market, e, fmtRat(mm))
			}
			if e.Rat().Cmp(new(big.Rat).Sub(mm, units(1).Rat())) >= 0 {
				rp.e.hit("POOL-5 E-MM -1u liquidated")
			}
		}
	}
	if f.Pool != spec.Cross {
		return ""
	}
	mark := func(m string) decimal.Decimal { return rp.after.Prices[m].Mark.Decimal }
	var best string
	var bestU decimal.Decimal
	tie := false
	for _, key := range slices.Sorted(maps.Keys(rp.b.pos)) {
		p := rp.b.pos[key]
		cid, m, _ := strings.Cut(key, "|")
		if cid != f.Account || p.x.IsZero() || p.mode != spec.Cross {
			continue
		}
		if rp.touched[key] || !rp.after.Prices[m].Mark.Valid {
			return ""
		}
		u := unrealized(p, mark(m))
		switch {
		case best == "" || u.LessThan(bestU):
			best, bestU, tie = m, u, false
		case u.Equal(bestU):
			tie = true // a later market (keys are sorted): the first one stays
		}
	}
	if best == "" {
		return ""
	}
	if tie {
		rp.e.hit("LQ-4 equal losses")
	}
	if f.Market != best {
		return fmt.Sprintf("LQ-4: %s's cross pool closes %s first; the largest loss (ties by ascending market) is %s's (U %s)", f.Account, f.Market, best, bestU)
	}
	return ""
}

// checkPositiveBasis is LED-1 after an accepted event: no position of the
// state has size > 0 and cost basis V = 0 (an event that would leave one,
// e.g. the fund taking over a long at execution price 0 after a mark below
// the tick, LQ-2, fails with POS-2).
func checkPositiveBasis(after *spec.State) string {
	for _, id := range append(slices.Sorted(maps.Keys(after.Accounts)), spec.InsuranceAccount) {
		a, ok := after.Accounts[id]
		if id == spec.InsuranceAccount {
			a, ok = after.InsuranceFund, true
		}
		if !ok {
			continue
		}
		for _, p := range a.Positions {
			if p.Size.Sign() > 0 && p.CostBasis().Sign() <= 0 {
				return fmt.Sprintf("LED-1: after the event %s's position in %s has size %s and entryValue %s (V > 0: the event must fail with POS-2)", id, p.Market, p.Size, p.CostBasis())
			}
		}
	}
	return ""
}
