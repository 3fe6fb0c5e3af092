package properties

import (
	"github.com/shopspring/decimal"
	"math/big"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the properties of SPEC TIER and QTY: maintenance margin
// continuous and monotone across tiers, the boundary lookup, IM covering MM,
// and the leverage cap.

// notionalScenario is one cross long of notional exactly n (mark 1, lot
// 1e-8, entry at the mark) on a market with tiers ts.
func notionalScenario(ts []spec.Tier, n decimal.Decimal, leverage decimal.NullDecimal) *spec.Scenario {
	return notionalScenarioV(ts, nil, n, leverage)
}

// notionalScenarioV is notionalScenario on a market with variants v.
func notionalScenarioV(ts []spec.Tier, v *spec.Variants, n decimal.Decimal, leverage decimal.NullDecimal) *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{"AAA": {TickSize: units(1), LotSize: units(1), MMBasis: spec.BasisMark, Tiers: ts, Variants: v}},
		Prices:  map[string]spec.Price{"AAA": {Mark: nd(dec(1, 0))}},
		Account: spec.Account{Positions: []spec.Position{{Market: "AAA", Side: spec.Long, Size: n, EntryPrice: dec(1, 0), MarginMode: spec.Cross, Leverage: leverage}}},
	}
}

func propMMContinuous(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		ts := gen.AnyTierTable().Draw(t, "tiers")
		mm := func(n decimal.Decimal) (decimal.Decimal, bool) {
			if n.Sign() <= 0 || n.GreaterThan(maxDecimal) {
				return decimal.Zero, false
			}
			s := notionalScenario(ts, n, decimal.NullDecimal{})
			rep, err := e.evaluate(t, s, "notional")
			if err != nil {
				e.fail(t, []named{{"notional", s}}, "a one-position scenario of notional %s is an error: %v", n, err)
			}
			m := rep.Positions[0].MaintenanceMargin
			if m.Sign() < 0 {
				e.fail(t, []named{{"notional", s}}, "MM(%s) = %s < 0 (TIER-8)", n, m)
			}
			return m, true
		}
		u := units(1)
		for ti := 1; ti < len(ts); ti++ {
			b := ts[ti].MinNotional
			below, ok1 := mm(b.Sub(u))
			at, ok2 := mm(b)
			above, ok3 := mm(b.Add(u))
			if ok1 && ok2 && (at.LessThan(below) || at.Sub(below).GreaterThan(u)) {
				e.fail(t, []named{{"at the boundary", notionalScenario(ts, b, decimal.NullDecimal{})}}, "MM jumps at the tier boundary %s: MM(B - 1e-8) = %s, MM(B) = %s (TIER-6: continuous, non-decreasing)", b, below, at)
			}
			if ok2 && ok3 && (above.LessThan(at) || above.Sub(at).GreaterThan(u)) {
				e.fail(t, []named{{"above the boundary", notionalScenario(ts, b.Add(u), decimal.NullDecimal{})}}, "MM jumps above the tier boundary %s: MM(B) = %s, MM(B + 1e-8) = %s", b, at, above)
			}
		}
		top := ts[len(ts)-1].MaxNotional.Mul(dec(2, 0))
		if top.GreaterThan(maxDecimal) {
			top = maxDecimal
		}
		n1 := specutil.FloorGrid(top.Mul(dec(rapid.Int64Range(1, 10_000).Draw(t, "n1"), -4)), u)
		n2 := specutil.FloorGrid(top.Mul(dec(rapid.Int64Range(1, 10_000).Draw(t, "n2"), -4)), u)
		if n2.LessThan(n1) {
			n1, n2 = n2, n1
		}
		m1, ok1 := mm(n1)
		m2, ok2 := mm(n2)
		if ok1 && ok2 && m2.LessThan(m1) {
			e.fail(t, []named{{"smaller notional", notionalScenario(ts, n1, decimal.NullDecimal{})}, {"larger notional", notionalScenario(ts, n2, decimal.NullDecimal{})}}, "MM decreases: MM(%s) = %s > MM(%s) = %s (TIER-8)", n1, m1, n2, m2)
		}
	}
}

func propBoundaryLookup(e *env) func(*rapid.T) { return boundaryLookup(e, spec.TierBoundLower) }

// boundaryLookup checks TIER-7 under bound at a boundary B = minNotional_t =
// maxNotional_(t-1): lower-inclusive puts B in tier t and B - 1e-8 in tier
// t-1; upper-inclusive puts B in tier t-1 and B + 1e-8 in tier t.
func boundaryLookup(e *env, bound string) func(*rapid.T) {
	return func(t *rapid.T) {
		ts := gen.AnyTierTable().Draw(t, "tiers")
		if len(ts) < 2 {
			return
		}
		ti := rapid.IntRange(1, len(ts)-1).Draw(t, "tier")
		lev := nd(ts[0].MaxLeverage)
		if rapid.Bool().Draw(t, "defaultLeverage") {
			lev = decimal.NullDecimal{}
		}
		b := ts[ti].MinNotional
		cases := []struct {
			n    decimal.Decimal
			tier int
		}{{b, ti}, {b.Sub(units(1)), ti - 1}}
		var v *spec.Variants
		if bound == spec.TierBoundUpper {
			v = &spec.Variants{TierBound: bound}
			cases[0].tier, cases[1].n, cases[1].tier = ti-1, b.Add(units(1)), ti
			if ti == 1 && rapid.Bool().Draw(t, "zeroNotional") {
				cases[0].n, cases[0].tier = units(1), 0 // the first tier holds its smallest notionals
			}
		}
		for _, c := range cases {
			s := notionalScenarioV(ts, v, c.n, lev)
			rep, err := e.evaluate(t, s, "at the boundary")
			if err != nil {
				e.fail(t, []named{{"at the boundary", s}}, "error: %v", err)
			}
			pr := rep.Positions[0]
			if pr.Tier != c.tier+1 {
				e.fail(t, []named{{"at the boundary", s}}, "notional %s (tier %d starts at %s): reported tier %d, want %d (TIER-7:%s)", c.n, ti+1, b, pr.Tier, c.tier+1, bound)
			}
			chosen := dec(20, 0)
			if lev.Valid {
				chosen = lev.Decimal
			} else if ts[0].MaxLeverage.LessThan(chosen) {
				chosen = ts[0].MaxLeverage
			}
			wantLev := decimal.Min(chosen, ts[c.tier].MaxLeverage)
			if !pr.Leverage.Equal(wantLev) {
				e.fail(t, []named{{"at the boundary", s}}, "notional %s: leverage %s, want min(%s, maxLeverage of tier %d = %s) = %s (QTY-3)", c.n, pr.Leverage, chosen, c.tier+1, ts[c.tier].MaxLeverage, wantLev)
			}
			if !eqRat(pr.InitialMargin, up(ratQuo(rat(c.n), rat(wantLev)))) {
				e.fail(t, []named{{"at the boundary", s}}, "notional %s: initialMargin %s, want up(N / %s) = %s (QTY-4)", c.n, pr.InitialMargin, wantLev, fmtRat(up(ratQuo(rat(c.n), rat(wantLev)))))
			}
		}
	}
}

func propIMCoversMM(e *env) func(*rapid.T) {
	g := gen.Scenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		for name, m := range s.Markets {
			m.MMBasis = spec.BasisMark
			s.Markets[name] = m
		}
		rep := e.mustReport(t, s, "generated")
		ctx := []named{{"generated", s}}
		// Under QTY-5:taker, MM also reserves the fee to close at the mark,
		// which IM does not include: TIER-5 guarantees IM >= MM less that
		// reserve, so the reported MM is at most IM + up(fee * N).
		x := exactScenario(s)
		crossReserve := new(big.Rat)
		for i, pr := range rep.Positions {
			p := x.positions[i]
			reserve := up(ratMul(p.mkt.fee, p.qty().n))
			if p.mode != spec.Isolated {
				crossReserve = ratAdd(crossReserve, reserve)
			}
			if rat(pr.MaintenanceMargin).Cmp(ratAdd(rat(pr.InitialMargin), reserve)) > 0 {
				e.fail(t, ctx, "positions[%d]: maintenanceMargin %s > initialMargin %s + close-fee reserve %s at leverage %s (TIER-5, QTY-5)", i, pr.MaintenanceMargin, pr.InitialMargin, fmtRat(reserve), pr.Leverage)
			}
		}
		if p := rep.Pools[0]; rat(p.MaintenanceMargin).Cmp(ratAdd(rat(p.InitialMargin), crossReserve)) > 0 {
			e.fail(t, ctx, "cross pool: maintenanceMargin %s > initialMargin %s + close-fee reserves %s (TIER-5, QTY-5)", p.MaintenanceMargin, p.InitialMargin, fmtRat(crossReserve))
		}
	}
}

func propLeverageCap(e *env) func(*rapid.T) {
	g := gen.NearTierBoundary(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		for i := range s.Account.Positions {
			p := &s.Account.Positions[i]
			p.Leverage = nd(s.Markets[p.Market].Tiers[0].MaxLeverage)
		}
		if !validInput(s) {
			t.Skip("input rejected by the reference")
		}
		rep := e.mustReport(t, s, "generated")
		x := exactScenario(s)
		for i, p := range x.positions {
			q := p.qty()
			pr := rep.Positions[i]
			if !eqRat(pr.Leverage, q.lEff) || !eqRat(pr.InitialMargin, up(q.im)) {
				e.fail(t, []named{{"generated", s}}, "positions[%d] at notional %s (tier of max leverage %s): leverage %s and IM %s, want %s and %s (QTY-3: capped by the tier)", i, fmtRat(q.n), fmtRat(p.mkt.tiers[p.mkt.tierOf(q.n)].lev), pr.Leverage, pr.InitialMargin, fmtRat(q.lEff), fmtRat(up(q.im)))
			}
		}
	}
}
