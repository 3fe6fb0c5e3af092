package properties

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the properties of SPEC LIQ and BKR: liquidation and
// bankruptcy prices bracket the roots of f and g, agree with the tick grid
// and the trigger, and move the right way under metamorphic changes
// (leverage, margin, side, scale).

func propRootBracketing(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen), gen.EdgeScenario(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		if !validInput(s) {
			t.Skip("input rejected by the reference")
		}
		rep := e.mustReport(t, s, "generated")
		ctx := []named{{"generated", s}}
		x := exactScenario(s)
		for i, p := range x.positions {
			pr := rep.Positions[i]
			tick := p.mkt.tick
			// POOL-5 under the scenario's trigger: the pool is beyond the
			// liquidation price where it is liquidatable, beyond the
			// bankruptcy price where its equity g is negative.
			f := func(price *big.Rat) *big.Rat { return x.f(i, price) }
			g := func(price *big.Rat) *big.Rat { return x.g(i, price) }
			liq := func(price *big.Rat) bool { return x.liquidatableAt(i, price) }
			neg := func(price *big.Rat) bool { return g(price).Sign() < 0 }
			what := fmt.Sprintf("positions[%d] liquidation", i)
			if p.s > 0 && p.mkt.flat && p.mkt.basis == spec.BasisMark {
				e.checkFlatLong(t, ctx, what, x, i, pr)
			} else {
				e.checkRoot(t, ctx, what, p.s, tick, f, liq, pr.LiquidationPrice, pr.LiquidationPriceExact, pr.LiquidationPriceReason, true)
			}
			e.checkRoot(t, ctx, fmt.Sprintf("positions[%d] bankruptcy", i), p.s, tick, g, neg, pr.BankruptcyPrice, decimal.NullDecimal{}, pr.BankruptcyPriceReason, false)
		}
	}
}

// checkRoot checks a reported price against beyond (the pool is liquidatable
// under the scenario's trigger, or bankrupt) around it; h is f or g, whose
// sign at 0 decides existence (LIQ-3, BKR-2). The set where beyond holds is
// a half-line: below the root for a long, above it for a short (LIQ-2;
// BKR-1).
func (e *env) checkRoot(t *rapid.T, ctx []named, what string, s int, tick *big.Rat, h func(*big.Rat) *big.Rat, beyond func(*big.Rat) bool, tickP, exactP decimal.NullDecimal, reason string, liq bool) {
	t.Helper()
	never, always := spec.ReasonNeverLiquidatable, spec.ReasonAlwaysLiquidatable
	if !liq {
		never, always = spec.ReasonNeverBankrupt, spec.ReasonAlwaysBankrupt
	}
	want := ""
	h0 := h(new(big.Rat))
	if s > 0 {
		switch {
		case h0.Sign() >= 0:
			want = never
		case beyond(gridDown(ratMax, tick)):
			want = spec.ReasonOutOfRange
		}
	} else {
		switch {
		case h0.Sign() <= 0 || beyond(tick):
			want = always
		case liq && !beyond(ratAdd(ratMax, ratUnit)):
			want = spec.ReasonOutOfRange
		case !liq && !beyond(ratAdd(gridDown(ratMax, tick), tick)):
			want = spec.ReasonOutOfRange
		}
	}
	if reason != want {
		e.fail(t, ctx, "%s price reason is %q, want %q from the signs of the exact function at 0, one tick and MAX (price %s)", what, reason, want, nullStr(tickP))
	}
	if want != "" {
		if tickP.Valid || exactP.Valid {
			e.fail(t, ctx, "%s price is %s with reason %q; it must be null", what, nullStr(tickP), reason)
		}
		return
	}
	bracket := func(p decimal.NullDecimal, step *big.Rat, grid string) {
		if !p.Valid {
			e.fail(t, ctx, "%s price on the %s grid is null without a reason", what, grid)
		}
		v := rat(p.Decimal)
		if gridDown(v, step).Cmp(v) != 0 {
			e.fail(t, ctx, "%s price %s is not on the %s grid", what, p.Decimal, grid)
		}
		next := ratSub(v, ratMul(ratInt(int64(s)), step))
		if beyond(v) || !beyond(next) {
			e.fail(t, ctx, "%s price %s does not bracket the root on the %s grid: beyond at the price = %v (want false), one step beyond = %v (want true); rounded toward the mark?", what, p.Decimal, grid, beyond(v), beyond(next))
		}
	}
	bracket(tickP, tick, "tick")
	if liq {
		bracket(exactP, ratUnit, "1e-8")
	}
}

// checkFlatLong is checkRoot for a long under TIER-8:flat, whose
// liquidatable set may have gaps (LIQ-2): each reported price is the smallest
// price of its grid (tick, 1e-8) that is at or above the root sup S (LIQ-4,
// computed by x.liqRoot) and not liquidatable (LIQ-5, LIQ-6).
func (e *env) checkFlatLong(t *rapid.T, ctx []named, what string, x *xScen, i int, pr spec.PositionReport) {
	t.Helper()
	root, ok := x.liqRoot(i)
	if !ok {
		if pr.LiquidationPriceReason != spec.ReasonNeverLiquidatable {
			e.fail(t, ctx, "%s: reason %q, want %q (LIQ-3, TIER-8:flat)", what, pr.LiquidationPriceReason, spec.ReasonNeverLiquidatable)
		}
		return
	}
	want := func(step *big.Rat) *big.Rat {
		v := gridUp(root, step)
		if x.liquidatableAt(i, v) {
			v = ratAdd(v, step)
		}
		return v
	}
	wt, we := want(x.positions[i].mkt.tick), want(ratUnit)
	if !inRange(wt) || !inRange(we) {
		if pr.LiquidationPriceReason != spec.ReasonOutOfRange {
			e.fail(t, ctx, "%s: reason %q, want %q (LIQ-7, TIER-8:flat)", what, pr.LiquidationPriceReason, spec.ReasonOutOfRange)
		}
		return
	}
	if !pr.LiquidationPrice.Valid || rat(pr.LiquidationPrice.Decimal).Cmp(wt) != 0 || !pr.LiquidationPriceExact.Valid || rat(pr.LiquidationPriceExact.Decimal).Cmp(we) != 0 {
		e.fail(t, ctx, "%s: prices %s and %s (reason %q), want %s and %s: the smallest tick and 1e-8 prices at or above the root %s not liquidatable (TIER-8:flat/liquidation-price, LIQ-4..6)", what, nullStr(pr.LiquidationPrice), nullStr(pr.LiquidationPriceExact), pr.LiquidationPriceReason, fmtRat(wt), fmtRat(we), fmtRat(root))
	}
}

func propTickAgreement(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen), gen.GridRoot(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.mustReport(t, s, "generated")
		if len(rep.Positions) == 0 {
			return
		}
		i := rapid.IntRange(0, len(rep.Positions)-1).Draw(t, "position")
		pr := rep.Positions[i]
		pos := s.Account.Positions[i]
		k := poolIndex(rep, i)
		sign := int64(pos.Side.Sign())
		check := func(price decimal.Decimal, want bool, what string) {
			if price.Sign() <= 0 || price.GreaterThan(maxDecimal) {
				return
			}
			s2 := withMark(s, pos.Market, price)
			r2, err := e.evaluate(t, s2, "mark moved", named{"generated", s})
			if err != nil {
				if me := asError(err); me != nil && isReportPath(me) {
					return // a reported value beyond MAX at that mark
				}
				e.fail(t, []named{{"generated", s}, {"mark moved", s2}}, "moving the mark to %s gives an error: %v", price, err)
			}
			if r2.Pools[k].Liquidatable != want {
				e.fail(t, []named{{"generated", s}, {"mark moved", s2}}, "with the mark at %s (%s), pools[%d].liquidatable = %v, want %v", price, what, k, r2.Pools[k].Liquidatable, want)
			}
		}
		// Under TIER-8:flat a long's liquidatable set may have gaps (LIQ-2):
		// one step below its price need not be liquidatable.
		gaps := sign > 0 && isFlat(s.Markets[pos.Market])
		if pr.LiquidationPrice.Valid {
			lp := pr.LiquidationPrice.Decimal
			check(lp, false, "the liquidation price")
			if !gaps {
				check(lp.Sub(s.Markets[pos.Market].TickSize.Mul(dec(sign, 0))), true, "one tick beyond the liquidation price")
			}
		}
		if pr.LiquidationPriceExact.Valid {
			lp := pr.LiquidationPriceExact.Decimal
			check(lp, false, "the exact liquidation price")
			if !gaps {
				check(lp.Sub(units(sign)), true, "one unit beyond the exact liquidation price")
			}
		}
	}
}

func propTriggerSide(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.mustReport(t, s, "generated")
		ctx := []named{{"generated", s}}
		for i, pr := range rep.Positions {
			pos := s.Account.Positions[i]
			mark := rep.Prices[pos.Market].Mark
			liq := rep.Pools[poolIndex(rep, i)].Liquidatable
			long := pos.Side == spec.Long
			var want bool
			switch {
			case long && isFlat(s.Markets[pos.Market]):
				// Gaps (LIQ-2): liquidatable implies below the price, not
				// the converse.
				if liq && pr.LiquidationPriceExact.Valid && !mark.LessThan(pr.LiquidationPriceExact.Decimal) {
					e.fail(t, ctx, "positions[%d] (long, flat, mark %s) is liquidatable at or above its exact liquidation price %s (LIQ-4: the supremum of S)", i, mark, pr.LiquidationPriceExact.Decimal)
				}
				continue
			case pr.LiquidationPriceExact.Valid:
				lp := pr.LiquidationPriceExact.Decimal
				if long {
					want = mark.LessThan(lp)
				} else {
					want = mark.GreaterThan(lp)
				}
			case pr.LiquidationPriceReason == spec.ReasonNeverLiquidatable:
				want = false
			case pr.LiquidationPriceReason == spec.ReasonAlwaysLiquidatable:
				if mark.LessThan(s.Markets[pos.Market].TickSize) {
					continue
				}
				want = true
			case pr.LiquidationPriceReason == spec.ReasonOutOfRange:
				want = long
			default:
				continue
			}
			if liq != want {
				e.fail(t, ctx, "positions[%d] (%s, mark %s, exact liquidation price %s, reason %q): its pool's liquidatable = %v, want %v (LIQ-2)", i, pos.Side, mark, nullStr(pr.LiquidationPriceExact), pr.LiquidationPriceReason, liq, want)
			}
		}
	}
}

func propBankruptcyTick(e *env) func(*rapid.T) {
	g := gen.Scenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.mustReport(t, s, "generated")
		if len(rep.Positions) == 0 {
			return
		}
		i := rapid.IntRange(0, len(rep.Positions)-1).Draw(t, "position")
		pr := rep.Positions[i]
		if !pr.BankruptcyPrice.Valid {
			return
		}
		pos := s.Account.Positions[i]
		k := poolIndex(rep, i)
		check := func(price decimal.Decimal, wantNeg bool, what string) {
			if price.Sign() <= 0 || price.GreaterThan(maxDecimal) {
				return
			}
			s2 := withMark(s, pos.Market, price)
			r2, err := e.evaluate(t, s2, "mark moved", named{"generated", s})
			if err != nil {
				return
			}
			if neg := r2.Pools[k].Equity.Sign() < 0; neg != wantNeg {
				e.fail(t, []named{{"generated", s}, {"mark moved", s2}}, "with the mark at %s (%s), pools[%d].equity = %s; want negative = %v (BKR-3)", price, what, k, r2.Pools[k].Equity, wantNeg)
			}
		}
		bp := pr.BankruptcyPrice.Decimal
		check(bp, false, "the bankruptcy price")
		check(bp.Sub(s.Markets[pos.Market].TickSize.Mul(dec(int64(pos.Side.Sign()), 0))), true, "one tick beyond the bankruptcy price")
	}
}

// isFlat reports whether m selects TIER-8:flat.
func isFlat(m spec.Market) bool {
	return m.Variants != nil && m.Variants.TierSchedule == spec.TierScheduleFlat
}

// samePrices compares the liquidation and bankruptcy fields of two position
// reports.
func samePrices(a, b spec.PositionReport) string {
	for _, f := range []struct {
		name string
		x, y decimal.NullDecimal
	}{
		{"liquidationPrice", a.LiquidationPrice, b.LiquidationPrice},
		{"liquidationPriceExact", a.LiquidationPriceExact, b.LiquidationPriceExact},
		{"bankruptcyPrice", a.BankruptcyPrice, b.BankruptcyPrice},
	} {
		if d := diff(f.x, f.y); d != "" {
			return f.name + ": " + strings.TrimPrefix(d, "(value): ")
		}
	}
	if a.LiquidationPriceReason != b.LiquidationPriceReason || a.BankruptcyPriceReason != b.BankruptcyPriceReason {
		return fmt.Sprintf("reasons: %q/%q vs %q/%q", a.LiquidationPriceReason, a.BankruptcyPriceReason, b.LiquidationPriceReason, b.BankruptcyPriceReason)
	}
	return ""
}

func propCrossLeverage(e *env) func(*rapid.T) {
	g := e.scenarios(spec.Cross)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		if s.Account.Positions[i].MarginMode != spec.Cross {
			return
		}
		rep := e.mustReport(t, s, "generated")
		s2 := s.Clone()
		maxLev := s.Markets[s.Account.Positions[i].Market].Tiers[0].MaxLeverage
		l := dec(1, 0).Add(maxLev.Sub(dec(1, 0)).Mul(dec(rapid.Int64Range(0, 100).Draw(t, "leveragePct"), -2))).Truncate(2)
		s2.Account.Positions[i].Leverage = nd(l)
		rep2 := e.mustReport(t, s2, "leverage changed", named{"generated", s})
		ctx := []named{{"generated", s}, {"leverage changed", s2}}
		for j := range rep.Positions {
			if d := samePrices(rep.Positions[j], rep2.Positions[j]); d != "" {
				e.fail(t, ctx, "changing positions[%d].leverage to %s changed positions[%d] %s (LIQ-8)", i, l, j, d)
			}
		}
		a, b := rep.Pools[0], rep2.Pools[0]
		if !a.Equity.Equal(b.Equity) || !a.MaintenanceMargin.Equal(b.MaintenanceMargin) || a.Liquidatable != b.Liquidatable {
			e.fail(t, ctx, "changing a cross leverage changed the cross pool's equity, MM or trigger: %+v vs %+v", a, b)
		}
	}
}

// isolatedScenario draws a scenario whose positions are all isolated.
func isolatedScenario(c gen.Config) *rapid.Generator[*spec.Scenario] {
	return gen.Scenario(withPositions(c, spec.Isolated))
}

func propIsolatedLeverage(e *env) func(*rapid.T) {
	g := isolatedScenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		pos := &s.Account.Positions[i]
		if pos.MarginMode != spec.Isolated {
			return
		}
		pos.IsolatedMargin = decimal.NullDecimal{}
		maxLev := s.Markets[pos.Market].Tiers[0].MaxLeverage
		lev := func(label string) decimal.Decimal {
			return dec(1, 0).Add(maxLev.Sub(dec(1, 0)).Mul(dec(rapid.Int64Range(0, 100).Draw(t, label), -2))).Truncate(2)
		}
		l1, l2 := lev("leverage1Pct"), lev("leverage2Pct")
		if l2.LessThan(l1) {
			l1, l2 = l2, l1
		}
		s1, s2 := s.Clone(), s.Clone()
		s1.Account.Positions[i].Leverage = nd(l1)
		s2.Account.Positions[i].Leverage = nd(l2)
		r1 := e.mustReport(t, s1, "lower leverage")
		r2 := e.mustReport(t, s2, "higher leverage", named{"lower leverage", s1})
		e.checkLPOrder(t, []named{{"lower leverage", s1}, {"higher leverage", s2}}, pos.Side, r1.Positions[i], r2.Positions[i], fmt.Sprintf("raising leverage from %s to %s (less default margin)", l1, l2))
	}
}

// checkLPOrder checks that going from report a to report b (less isolated
// margin) moves the liquidation price of a long up (or not at all) and of a
// short down.
func (e *env) checkLPOrder(t *rapid.T, ctx []named, side spec.Side, a, b spec.PositionReport, what string) {
	t.Helper()
	for _, f := range []struct {
		name string
		x, y decimal.NullDecimal
	}{{"liquidationPrice", a.LiquidationPrice, b.LiquidationPrice}, {"liquidationPriceExact", a.LiquidationPriceExact, b.LiquidationPriceExact}} {
		ai, av := rank(side, f.x, a.LiquidationPriceReason)
		bi, bv := rank(side, f.y, b.LiquidationPriceReason)
		c := cmpRank(ai, av, bi, bv)
		if (side == spec.Long && c > 0) || (side == spec.Short && c < 0) {
			e.fail(t, ctx, "%s moved the %s %s from %s (%q) to %s (%q), away from the entry (LIQ-1)", what, side, f.name, nullStr(f.x), a.LiquidationPriceReason, nullStr(f.y), b.LiquidationPriceReason)
		}
	}
}

func propIsolatedMargin(e *env) func(*rapid.T) {
	g := isolatedScenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		pos := s.Account.Positions[i]
		if pos.MarginMode != spec.Isolated {
			return
		}
		rep := e.mustReport(t, s, "generated")
		m := rep.Positions[i].IsolatedMargin.Decimal
		delta := units(rapid.SampledFrom([]int64{1, 100, 1_000_000, 100_000_000}).Draw(t, "deltaUnits") * rapid.Int64Range(1, 1000).Draw(t, "deltaFactor"))
		if m.Add(delta).GreaterThan(maxDecimal) {
			return
		}
		s2 := s.Clone()
		s2.Account.Positions[i].IsolatedMargin = nd(m.Add(delta))
		rep2 := e.mustReport(t, s2, "margin added", named{"generated", s})
		e.checkLPOrder(t, []named{{"margin added", s2}, {"generated", s}}, pos.Side, rep2.Positions[i], rep.Positions[i], fmt.Sprintf("removing %s of isolated margin", delta))
		// POOL-6: after removing the maximum, nothing more is removable.
		rem := rep.Positions[i].MaxRemovableMargin
		if !rem.Valid {
			e.fail(t, []named{{"generated", s}}, "positions[%d] is isolated but maxRemovableMargin is null", i)
		}
		s3 := s.Clone()
		s3.Account.Positions[i].IsolatedMargin = nd(m.Sub(rem.Decimal))
		rep3 := e.mustReport(t, s3, "max removed", named{"generated", s})
		if r3 := rep3.Positions[i].MaxRemovableMargin; !r3.Valid || r3.Decimal.Sign() != 0 {
			e.fail(t, []named{{"generated", s}, {"max removed", s3}}, "after removing maxRemovableMargin %s, %s more is removable (POOL-6)", rem.Decimal, nullStr(r3))
		}
	}
}

func propMirror(e *env) func(*rapid.T) {
	g := e.scenarios("")
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		flip := func(x *spec.Scenario) *spec.Scenario {
			c := x.Clone()
			p := &c.Account.Positions[i]
			if p.Side == spec.Long {
				p.Side = spec.Short
			} else {
				p.Side = spec.Long
			}
			return c
		}
		switch rapid.IntRange(0, 2).Draw(t, "relation") {
		case 0: // entry = mark: nothing but the prices changes
			rep0 := e.mustReport(t, s, "generated")
			p := &s.Account.Positions[i]
			mark := rep0.Prices[p.Market].Mark
			s.Prices[p.Market] = spec.Price{Mark: nd(mark)}
			p.EntryPrice, p.EntryValue = mark, decimal.NullDecimal{}
			r1 := e.mustReport(t, s, "entry at mark")
			s2 := flip(s)
			r2 := e.mustReport(t, s2, "side flipped", named{"entry at mark", s})
			ctx := []named{{"entry at mark", s}, {"side flipped", s2}}
			a, b := r1.Positions[i], r2.Positions[i]
			a.Side, a.LiquidationPrice, a.LiquidationPriceExact, a.LiquidationPriceReason, a.BankruptcyPrice, a.BankruptcyPriceReason = b.Side, b.LiquidationPrice, b.LiquidationPriceExact, b.LiquidationPriceReason, b.BankruptcyPrice, b.BankruptcyPriceReason
			if d := diff(a, b); d != "" {
				e.fail(t, ctx, "with entry = mark, flipping positions[%d]'s side changed %s", i, d)
			}
			for k := range r1.Pools {
				if d := diff(r1.Pools[k], r2.Pools[k]); d != "" {
					e.fail(t, ctx, "with entry = mark, flipping positions[%d]'s side changed pools[%d].%s", i, k, d)
				}
			}
		case 1: // PnL negation
			r1 := e.mustReport(t, s, "generated")
			s2 := flip(s)
			r2 := e.mustReport(t, s2, "side flipped", named{"generated", s})
			sum := r1.Positions[i].UnrealizedPnl.Add(r2.Positions[i].UnrealizedPnl)
			if !validInput(s) {
				return
			}
			xp := exactScenario(s).positions[i]
			exactU := ratSub(ratMul(xp.q, xp.mp), xp.qep)
			want := decimal.Zero
			if down(exactU).Cmp(exactU) != 0 {
				want = units(-1)
			}
			if !sum.Equal(want) {
				e.fail(t, []named{{"generated", s}, {"side flipped", s2}}, "unrealized PnL of the long and the short sum to %s, want %s (down(U) + down(-U))", sum, want)
			}
		case 2: // alone in its pool, entry on the tick grid
			p := s.Account.Positions[i]
			s.Account.Positions = []spec.Position{p}
			m := s.Markets[p.Market]
			if p.EntryValue.Valid {
				return
			}
			ep := specutil.FloorGrid(p.EntryPrice, m.TickSize)
			if ep.Sign() <= 0 {
				return
			}
			s.Account.Positions[0].EntryPrice = ep
			r1 := e.mustReport(t, s, "alone")
			s2 := s.Clone()
			i = 0
			s2 = flip(s2)
			r2 := e.mustReport(t, s2, "side flipped", named{"alone", s})
			ctx := []named{{"alone", s}, {"side flipped", s2}}
			twice := ep.Mul(dec(2, 0))
			a, b := r1.Positions[0], r2.Positions[0]
			if a.BankruptcyPrice.Valid && b.BankruptcyPrice.Valid && !a.BankruptcyPrice.Decimal.Add(b.BankruptcyPrice.Decimal).Equal(twice) {
				e.fail(t, ctx, "bankruptcy prices %s and %s do not sum to twice the entry %s (BKR-1 mirror)", a.BankruptcyPrice.Decimal, b.BankruptcyPrice.Decimal, ep)
			}
			if m.MMBasis == spec.BasisEntry {
				for _, f := range []struct {
					name string
					x, y decimal.NullDecimal
				}{{"liquidationPrice", a.LiquidationPrice, b.LiquidationPrice}, {"liquidationPriceExact", a.LiquidationPriceExact, b.LiquidationPriceExact}} {
					if f.x.Valid && f.y.Valid && !f.x.Decimal.Add(f.y.Decimal).Equal(twice) {
						e.fail(t, ctx, "under the entry basis, %s %s and %s do not sum to twice the entry %s (LIQ-4 mirror)", f.name, f.x.Decimal, f.y.Decimal, ep)
					}
				}
			}
		}
	}
}

func propScale(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		k := rapid.SampledFrom([]int64{2, 3, 7, 10}).Draw(t, "k")
		rep := e.mustReport(t, s, "generated")
		kd := dec(k, 0)
		s2 := s.Clone()
		fits := func(d decimal.Decimal) bool { return !d.Abs().GreaterThan(maxDecimal) }
		for name, m := range s2.Markets {
			for ti := range m.Tiers {
				tr := &m.Tiers[ti]
				tr.MinNotional = tr.MinNotional.Mul(kd)
				tr.MaxNotional = tr.MaxNotional.Mul(kd)
				tr.MaintenanceAmount = decimal.NullDecimal{}
				if !fits(tr.MaxNotional) {
					if ti != len(m.Tiers)-1 || !maxDecimal.GreaterThan(tr.MinNotional) {
						return
					}
					tr.MaxNotional = maxDecimal
				}
			}
			s2.Markets[name] = m
		}
		s2.Account.WalletBalance = s.Account.WalletBalance.Mul(kd)
		for i := range s2.Account.Positions {
			p := &s2.Account.Positions[i]
			p.Size = p.Size.Mul(kd)
			if p.EntryValue.Valid {
				p.EntryValue = nd(p.EntryValue.Decimal.Mul(kd))
			}
			if p.MarginMode == spec.Isolated {
				p.IsolatedMargin = nd(rep.Positions[i].IsolatedMargin.Decimal.Mul(kd))
			}
			if !fits(p.Size) || (p.EntryValue.Valid && !fits(p.EntryValue.Decimal)) || (p.IsolatedMargin.Valid && !fits(p.IsolatedMargin.Decimal)) {
				return
			}
		}
		if !fits(s2.Account.WalletBalance) {
			return
		}
		rep2, err := e.evaluate(t, s2, "scaled", named{"generated", s})
		if err != nil {
			return // a reported value beyond MAX after scaling
		}
		ctx := []named{{"generated", s}, {fmt.Sprintf("scaled by %d", k), s2}}
		for i := range rep.Positions {
			a, b := rep.Positions[i], rep2.Positions[i]
			if d := samePrices(a, b); d != "" {
				e.fail(t, ctx, "scaling by %d changed positions[%d] %s (LIQ-1: f scales by k, its root does not)", k, i, d)
			}
			if a.Tier != b.Tier || !a.Leverage.Equal(b.Leverage) {
				e.fail(t, ctx, "scaling by %d changed positions[%d] tier/leverage: %d/%s vs %d/%s", k, i, a.Tier, a.Leverage, b.Tier, b.Leverage)
			}
			lo := a.Notional.Mul(kd)
			if b.Notional.LessThan(lo) || !b.Notional.LessThan(lo.Add(units(k))) {
				e.fail(t, ctx, "scaling by %d: notional %s, want in [%s, %s) (down(k*N) vs k*down(N))", k, b.Notional, lo, lo.Add(units(k)))
			}
		}
		for j := range rep.Pools {
			a, b := rep.Pools[j], rep2.Pools[j]
			if a.Liquidatable != b.Liquidatable || diff(a.MarginRatio, b.MarginRatio) != "" {
				e.fail(t, ctx, "scaling by %d changed pools[%d] liquidatable/marginRatio: %v/%s vs %v/%s", k, j, a.Liquidatable, nullStr(a.MarginRatio), b.Liquidatable, nullStr(b.MarginRatio))
			}
		}
	}
}
