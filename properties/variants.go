package properties

import (
	"maps"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the properties that name a rule variant of SPEC VAR
// (each needs the variant's capability, VAR-2) and VAR-1's validation. The
// generic query properties (differential, rounding, root bracketing, tick
// agreement, trigger side) run on generated markets that select every
// declared variant, with the exact oracle (exact.go) following them.

func propAtEqualityTrigger(e *env) func(*rapid.T) {
	return triggerProp(e, spec.TriggerAtEquality)
}

func propUpperInclusiveLookup(e *env) func(*rapid.T) {
	return boundaryLookup(e, spec.TierBoundUpper)
}

// propFlatMM: under TIER-8:flat, MM of one position of notional exactly N
// is up(N * MMR_t) with t = tier(N) (no deduction), at B - 1e-8, B and
// B + 1e-8 around each boundary B and at a random notional; it is
// non-decreasing, and at a boundary where the rate rises it jumps by about
// B * (MMR_t - MMR_(t-1)) (so it is not the progressive schedule).
func propFlatMM(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		ts := gen.AnyTierTable().Draw(t, "tiers")
		for i := range ts {
			if ts[i].MaintenanceAmount.Valid {
				ts[i].MaintenanceAmount = nd(decimal.Zero) // TIER-6 under flat
			}
		}
		v := &spec.Variants{TierSchedule: spec.TierScheduleFlat}
		if rapid.Bool().Draw(t, "upperInclusive") {
			v.TierBound = spec.TierBoundUpper
		}
		x := exactScenario(notionalScenarioV(ts, v, units(1), decimal.NullDecimal{}))
		m := x.markets["AAA"]
		mm := func(n decimal.Decimal) (decimal.Decimal, bool) {
			if n.Sign() <= 0 || n.GreaterThan(maxDecimal) {
				return decimal.Zero, false
			}
			s := notionalScenarioV(ts, v, n, decimal.NullDecimal{})
			rep := e.mustReport(t, s, "notional")
			got := rep.Positions[0].MaintenanceMargin
			tr := m.tiers[m.tierOf(rat(n))]
			if want := up(ratMul(rat(n), tr.mmr)); !eqRat(got, want) {
				e.fail(t, []named{{"notional", s}}, "MM(%s) = %s, want up(N * MMR_t) = %s (TIER-8:flat/mm, %s)", n, got, fmtRat(want), v.Get("tierBound"))
			}
			return got, true
		}
		u := units(1)
		prev := decimal.Zero
		for ti := 1; ti < len(ts); ti++ {
			b := ts[ti].MinNotional
			for _, n := range []decimal.Decimal{b.Sub(u), b, b.Add(u)} {
				if got, ok := mm(n); ok {
					if got.LessThan(prev) {
						e.fail(t, []named{{"notional", notionalScenarioV(ts, v, n, decimal.NullDecimal{})}}, "MM decreases at notional %s: %s after %s (TIER-8:flat)", n, got, prev)
					}
					prev = got
				}
			}
		}
		top := ts[len(ts)-1].MaxNotional.Mul(dec(2, 0))
		if top.GreaterThan(maxDecimal) {
			top = maxDecimal
		}
		mm(specutil.FloorGrid(top.Mul(dec(rapid.Int64Range(1, 10_000).Draw(t, "n"), -4)), u))
	}
}

// propHalfInitialMM: under TIER-3:half-initial, MM of one position of
// notional exactly N is up(N * r_t - cum_t) with r_t = 1/(2 maxLeverage_t)
// and cum_t SPEC TIER-6's recursion on those rates, computed here in
// math/big from the inputs alone (the given maintenanceMarginRate is
// ignored), and the reported tier is t = tier(N) under either bound; at B -
// 1e-8, B and B + 1e-8 around each boundary B and at a random notional.
func propHalfInitialMM(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		ts := gen.HalfInitialTierTable().Draw(t, "tiers")
		v := &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial}
		upper := rapid.Bool().Draw(t, "upperInclusive")
		if upper {
			v.TierBound = spec.TierBoundUpper
		}
		// r_t = 1/(2 L_t); cum_1 = 0, cum_t = cum_(t-1) + min_t * (r_t - r_(t-1)).
		rates, cums := make([]*big.Rat, len(ts)), make([]*big.Rat, len(ts))
		for i, tr := range ts {
			rates[i] = ratQuo(big.NewRat(1, 2), rat(tr.MaxLeverage))
			cums[i] = new(big.Rat)
			if i > 0 {
				cums[i] = ratAdd(cums[i-1], ratMul(rat(tr.MinNotional), ratSub(rates[i], rates[i-1])))
			}
		}
		tierOf := func(n decimal.Decimal) int { // TIER-7 under v's bound
			for i := 0; i+1 < len(ts); i++ {
				if (!upper && n.LessThan(ts[i].MaxNotional)) || (upper && !n.GreaterThan(ts[i].MaxNotional)) {
					return i
				}
			}
			return len(ts) - 1
		}
		check := func(n decimal.Decimal) {
			if n.Sign() <= 0 || n.GreaterThan(maxDecimal) {
				return
			}
			s := notionalScenarioV(ts, v, n, decimal.NullDecimal{})
			rep := e.mustReport(t, s, "notional") // valid: D <= 10^6 (one time in four exactly 10^6)
			ti := tierOf(n)
			want := up(ratSub(ratMul(rat(n), rates[ti]), cums[ti]))
			got := rep.Positions[0]
			if !eqRat(got.MaintenanceMargin, want) || got.Tier != ti+1 {
				e.fail(t, []named{{"notional", s}}, "MM(%s) = %s in tier %d, want up(N/(2*%s) - cum_t) = %s in tier %d (TIER-3:half-initial/mm, %s)",
					n, got.MaintenanceMargin, got.Tier, ts[ti].MaxLeverage, fmtRat(want), ti+1, v.Get("tierBound"))
			}
		}
		atTierBoundaries(t, ts, check)
	}
}

// propTakerCloseFee: flipping a generated market's closeFee from none to
// taker (QTY-5:taker) adds exactly takerFeeRate * Nb to each of its
// positions' exact MM (reported up(MM_none + fee * Nb)), and moves no
// liquidation price away from the mark: a long's does not fall, a short's
// does not rise.
func propTakerCloseFee(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		if len(s.Account.Positions) == 0 {
			return
		}
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		name := s.Account.Positions[i].Market
		fee := units(rapid.SampledFrom([]int64{60_000, 50_000, 1, 100_000, 20_000}).Draw(t, "takerFeeRate"))
		with := func(cf string) *spec.Scenario {
			c := s.Clone()
			m := c.Markets[name]
			v := spec.Variants{}
			if m.Variants != nil {
				v = *m.Variants
			}
			v.CloseFee = cf
			m.Variants, m.TakerFeeRate = &v, nd(fee)
			c.Markets[name] = m
			return c
		}
		sNone, sTaker := with(spec.CloseFeeNone), with(spec.CloseFeeTaker)
		if !validInput(sNone) || !validInput(sTaker) {
			return // a reported value beyond MAX, or MMR + fee >= 1
		}
		rNone := e.mustReport(t, sNone, "closeFee none")
		rTaker := e.mustReport(t, sTaker, "closeFee taker", named{"closeFee none", sNone})
		ctx := []named{{"closeFee none", sNone}, {"closeFee taker", sTaker}}
		xn := exactScenario(sNone)
		for j, p := range xn.positions {
			if s.Account.Positions[j].Market != name {
				continue
			}
			nb := ratMul(p.q, p.mp)
			if p.mkt.basis == spec.BasisEntry {
				nb = p.qep
			}
			want := up(ratAdd(p.qty().mm, ratMul(rat(fee), nb)))
			if !eqRat(rTaker.Positions[j].MaintenanceMargin, want) {
				e.fail(t, ctx, "positions[%d].maintenanceMargin under closeFee taker = %s, want up(MM + takerFeeRate * Nb) = %s (QTY-5:taker/mm)", j, rTaker.Positions[j].MaintenanceMargin, fmtRat(want))
			}
		}
		pos := s.Account.Positions[i]
		a, b := rNone.Positions[i], rTaker.Positions[i]
		ia, va := rank(pos.Side, a.LiquidationPriceExact, a.LiquidationPriceReason)
		ib, vb := rank(pos.Side, b.LiquidationPriceExact, b.LiquidationPriceReason)
		worse := ib < ia || (ia == ib && ia == 0 && vb.LessThan(va))
		if pos.Side == spec.Short {
			worse = ib > ia || (ia == ib && ia == 0 && vb.GreaterThan(va))
		}
		if worse {
			e.fail(t, ctx, "positions[%d] (%s): the exact liquidation price moves from %s (%q) to %s (%q) when MM also reserves the close fee; more MM must not move it away from the mark (QTY-5:taker, LIQ-4)", i, pos.Side, nullStr(a.LiquidationPriceExact), a.LiquidationPriceReason, nullStr(b.LiquidationPriceExact), b.LiquidationPriceReason)
		}
	}
}

// propFlatShortJump: under TIER-8:flat a short whose f jumps below zero at a
// tier boundary B (its own tier-t piece would be solvent up to above B)
// has its root at B/Q exactly (LIQ-4); lower-inclusive it is liquidatable
// at B/Q, so both reported prices are one step below it (LIQ-5, LIQ-6);
// upper-inclusive B/Q is in the lower tier and both prices are B/Q.
func propFlatShortJump(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		// Tiers [0, B) at r1, [B, 100B) at r2 > r1, Q = 1, tick 1, B on
		// the tick grid: B/Q = B.
		bq := rapid.Int64Range(100, 100_000).Draw(t, "boundary")
		r1 := rapid.Int64Range(0, 200).Draw(t, "mmr1Bp")
		r2 := r1 + rapid.Int64Range(10, 300).Draw(t, "mmrStepBp")
		B := dec(bq, 0)
		ts := []spec.Tier{
			{MinNotional: decimal.Zero, MaxNotional: B, MaintenanceMarginRate: dec(r1, -4), MaxLeverage: dec(10, 0)},
			{MinNotional: B, MaxNotional: B.Mul(dec(100, 0)), MaintenanceMarginRate: dec(r2, -4), MaxLeverage: dec(5, 0)},
		}
		// Short 1 at entry EP < B with margin M: at B, f_1 = M - (B - EP) -
		// r1*B and f_2 = M - (B - EP) - r2*B. Choose M in between (both
		// exclusive, on the 1e-8 grid): f_1(B) > 0 > f_2(B).
		ep := B.Mul(dec(rapid.Int64Range(50, 99).Draw(t, "entryPct"), -2)).Truncate(0)
		lo := B.Sub(ep).Add(B.Mul(dec(r1, -4)))
		hi := B.Sub(ep).Add(B.Mul(dec(r2, -4)))
		span := hi.Sub(lo).Shift(8).IntPart()
		if span < 2 {
			return
		}
		margin := lo.Add(units(rapid.Int64Range(1, span-1).Draw(t, "marginUnits")))
		v := &spec.Variants{TierSchedule: spec.TierScheduleFlat}
		upper := rapid.Bool().Draw(t, "upperInclusive")
		if upper {
			v.TierBound = spec.TierBoundUpper
		}
		s := &spec.Scenario{
			Markets: map[string]spec.Market{"AAA": {TickSize: dec(1, 0), LotSize: dec(1, 0), Tiers: ts, Variants: v}},
			Prices:  map[string]spec.Price{"AAA": {Mark: nd(ep)}},
			Account: spec.Account{Positions: []spec.Position{{Market: "AAA", Side: spec.Short, Size: dec(1, 0), EntryPrice: ep, MarginMode: spec.Isolated, IsolatedMargin: nd(margin)}}},
		}
		rep := e.mustReport(t, s, "flat short")
		pr := rep.Positions[0]
		wantTick, wantExact := B.Sub(dec(1, 0)), B.Sub(units(1))
		if upper {
			wantTick, wantExact = B, B
		}
		if !pr.LiquidationPrice.Valid || !pr.LiquidationPrice.Decimal.Equal(wantTick) || !pr.LiquidationPriceExact.Valid || !pr.LiquidationPriceExact.Decimal.Equal(wantExact) {
			e.fail(t, []named{{"flat short", s}}, "a flat short whose f jumps below zero at the boundary %s: prices %s and %s, want %s and %s (TIER-8:flat/short-jump, LIQ-4..6, %s)", B, nullStr(pr.LiquidationPrice), nullStr(pr.LiquidationPriceExact), wantTick, wantExact, v.Get("tierBound"))
		}
	}
}

// propVariantValidation: a generated scenario with one market's variants
// broken (an unknown name for a random choice, a liquidatorShare or
// fundingCapFactor where forbidden, missing where required, out of range;
// a second trigger) is an error VAR-1 at markets.<name>.variants.<key>.
func propVariantValidation(e *env) func(*rapid.T) {
	g := gen.Scenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		names := slices.Sorted(maps.Keys(s.Markets))
		name := rapid.SampledFrom(names).Draw(t, "market")
		m := s.Markets[name]
		var v spec.Variants
		if m.Variants != nil {
			v = *m.Variants
		}
		key := ""
		choices := spec.VariantChoices()
		switch k := rapid.IntRange(0, 4).Draw(t, "breakKind"); k {
		case 0: // an unknown name
			c := rapid.SampledFrom(choices).Draw(t, "choice")
			v.Set(c.Key, rapid.SampledFrom([]string{"Strict", "none ", "unknown", "at_equality", "FLAT"}).Draw(t, "badName"))
			key = c.Key
		case 1: // a share without liquidator-split
			if v.Get("isolatedLeftover") == spec.LeftoverLiquidatorSplit {
				v.IsolatedLeftover = spec.LeftoverTrader
			}
			v.LiquidatorShare, key = nd(units(50_000_000)), "liquidatorShare"
		case 2: // liquidator-split without a share, or with one above 1
			v.IsolatedLeftover = spec.LeftoverLiquidatorSplit
			v.LiquidatorShare, key = decimal.NullDecimal{}, "liquidatorShare"
			if rapid.Bool().Draw(t, "shareAbove1") {
				v.LiquidatorShare = nd(units(100_000_001))
			}
		case 3: // margin-linked without a factor, or with 0; a factor without it
			v.FundingCap, v.FundingCapFactor, key = spec.FundingCapMarginLinked, decimal.NullDecimal{}, "fundingCapFactor"
			switch rapid.IntRange(0, 2).Draw(t, "factorKind") {
			case 1:
				v.FundingCapFactor = nd(decimal.Zero)
			case 2:
				v.FundingCap, v.FundingCapFactor = spec.FundingCapFixed, nd(units(1))
			}
		case 4: // a second trigger
			if len(names) < 2 {
				return
			}
			first := s.Markets[names[0]]
			other := spec.TriggerAtEquality
			if first.Variants != nil && first.Variants.Get("trigger") == spec.TriggerAtEquality {
				other = spec.TriggerStrict
			}
			name = rapid.SampledFrom(names[1:]).Draw(t, "laterMarket")
			m = s.Markets[name]
			v = spec.Variants{}
			if m.Variants != nil {
				v = *m.Variants
			}
			v.Trigger, key = other, "trigger"
		}
		// VAR-1 reports the first violation in the variants' own order, so
		// the other keys are left valid: reset the share and factor rules
		// that the break does not target.
		if key != "liquidatorShare" {
			if v.Get("isolatedLeftover") == spec.LeftoverLiquidatorSplit {
				v.LiquidatorShare = nd(units(50_000_000))
			} else {
				v.LiquidatorShare = decimal.NullDecimal{}
			}
		}
		if key != "fundingCapFactor" {
			if v.Get("fundingCap") == spec.FundingCapMarginLinked {
				v.FundingCapFactor = nd(units(100_000_000))
			} else {
				v.FundingCapFactor = decimal.NullDecimal{}
			}
		}
		m.Variants = &v
		s.Markets[name] = m
		// Only the markets before name (byte order) are checked first; a
		// valid scenario otherwise.
		_, err := e.evaluate(t, s, "broken variants")
		want := "markets." + spec.PathKey(name) + ".variants." + key
		me := asError(err)
		if me == nil || me.Path != want || me.Rule != "VAR-1" {
			e.fail(t, []named{{"broken variants", s}}, "broke %s: want the error VAR-1 at %q, got %v (VAR-1/validation)", key, want, err)
		}
	}
}

// propExplicitIMR: with explicit initial margin rates (SPEC TIER-5), the IM
// of one cross position of notional exactly N at chosen leverage L is
// up(N * max(1/L, IMR_t)) with t = tier(N), computed here in math/big from
// the inputs alone, for the position and the cross pool; at B - 1e-8, B and
// B + 1e-8 around each boundary B and at a random notional, with L one of
// 1, maxLeverage_1, the last tier's maxLeverage or a random leverage.
func propExplicitIMR(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		ts := gen.WithExplicitIMR(gen.AnyTierTable().Draw(t, "tiers"), rapid.IntRange(0, 4).Draw(t, "imrPosition"))
		if ts[0].InitialMarginRate == nil {
			t.Skip("no explicit rates fit this table")
		}
		maxLev1 := ts[0].MaxLeverage
		lev := specutil.FloorGrid(maxLev1.Mul(dec(rapid.Int64Range(1, 10_000).Draw(t, "levFraction"), -4)), units(1))
		switch rapid.IntRange(0, 3).Draw(t, "levKind") {
		case 0:
			lev = maxLev1
		case 1:
			lev = dec(1, 0)
		case 2:
			lev = ts[len(ts)-1].MaxLeverage
		}
		if lev.LessThan(dec(1, 0)) {
			lev = dec(1, 0)
		}
		tierOf := func(n decimal.Decimal) int { // TIER-7, lower-inclusive
			for i := 0; i+1 < len(ts); i++ {
				if n.LessThan(ts[i].MaxNotional) {
					return i
				}
			}
			return len(ts) - 1
		}
		check := func(n decimal.Decimal) {
			if n.Sign() <= 0 || n.GreaterThan(maxDecimal) {
				return
			}
			s := notionalScenarioV(ts, nil, n, nd(lev))
			rep := e.mustReport(t, s, "notional")
			ti := tierOf(n)
			rate := ratQuo(big.NewRat(1, 1), rat(lev))
			if r := rat(*ts[ti].InitialMarginRate); r.Cmp(rate) > 0 {
				rate = r
			}
			want := up(ratMul(rat(n), rate))
			if got := rep.Positions[0].InitialMargin; !eqRat(got, want) {
				e.fail(t, []named{{"notional", s}}, "IM(%s) at leverage %s = %s, want up(N * max(1/L, IMR_%d = %s)) = %s (QTY-4/explicit-imr)",
					n, lev, got, ti+1, ts[ti].InitialMarginRate, fmtRat(want))
			}
			if got := rep.Pools[0].InitialMargin; !eqRat(got, want) {
				e.fail(t, []named{{"notional", s}}, "cross pool IM = %s, want %s (QTY-4/explicit-imr, POOL-1)", got, fmtRat(want))
			}
		}
		atTierBoundaries(t, ts, check)
	}
}

// atTierBoundaries calls check with the notionals one unit below, at and one
// unit above every tier boundary of ts, then with one drawn between 0 and
// twice the last tier's maxNotional (at most MAX) on the 1e-8 grid.
func atTierBoundaries(t *rapid.T, ts []spec.Tier, check func(n decimal.Decimal)) {
	u := units(1)
	for ti := 1; ti < len(ts); ti++ {
		b := ts[ti].MinNotional
		for _, n := range []decimal.Decimal{b.Sub(u), b, b.Add(u)} {
			check(n)
		}
	}
	top := ts[len(ts)-1].MaxNotional.Mul(dec(2, 0))
	if top.GreaterThan(maxDecimal) {
		top = maxDecimal
	}
	check(specutil.FloorGrid(top.Mul(dec(rapid.Int64Range(1, 10_000).Draw(t, "n"), -4)), u))
}
