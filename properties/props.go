package properties

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// corruptedScenario is Corrupted's scenario alone.
func corruptedScenario(c gen.Config) *rapid.Generator[*spec.Scenario] {
	return rapid.Map(gen.Corrupted(c), func(c gen.Corruption) *spec.Scenario { return c.Scenario })
}

// ---------------------------------------------------------------------------
// Differential.

func propDifferential(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.Scenario(e.gen), gen.EdgeScenario(e.gen), gen.NearLiquidation(e.gen), gen.NearTierBoundary(e.gen), corruptedScenario(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		got, gerr := e.evaluate(t, s, "generated")
		want, werr := e.oracle(s.Clone())
		ctx := []named{{"generated", s}}
		switch {
		case gerr != nil && werr == nil:
			e.fail(t, ctx, "the engine returned an error, the oracle a report: %v", gerr)
		case gerr == nil && werr != nil:
			e.fail(t, ctx, "the engine returned a report, the oracle an error: %v", werr)
		case gerr == nil:
			if d := diff(got, want); d != "" {
				e.fail(t, ctx, "reports differ (engine vs oracle) at %s", d)
			}
		}
	}
}

func propDifferentialErrors(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.EdgeScenario(e.gen), corruptedScenario(e.gen), corruptedScenario(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		_, gerr := e.evaluate(t, s, "generated")
		_, werr := e.oracle(s.Clone())
		if gerr == nil || werr == nil {
			return // presence is EVAL-2/differential's business
		}
		ge, we := asError(gerr), asError(werr)
		ctx := []named{{"generated", s}}
		if ge == nil {
			e.fail(t, ctx, "the engine's error is not a *model.Error: %v", gerr)
		}
		if we != nil && (ge.Path != we.Path || ge.Rule != we.Rule) {
			e.fail(t, ctx, "error differs: engine %s at %q, oracle %s at %q (%s)", ge.Rule, ge.Path, we.Rule, we.Path, we.Msg)
		}
	}
}

// ---------------------------------------------------------------------------
// Exact oracle.

// exactCheck evaluates s and compares it with the math/big oracle.
func (e *env) exactCheck(t *rapid.T, s *spec.Scenario, positions, pools bool) {
	t.Helper()
	if !validInput(s) {
		t.Skip("input rejected by the reference")
	}
	ctx := []named{{"generated", s}}
	x := exactScenario(s)
	rep, err := e.evaluate(t, s, "generated")
	if oor := x.firstOutOfRange(); oor != "" {
		if err == nil {
			v, _ := reportedValue(rep, oor)
			e.fail(t, ctx, "NUM-2: the exact value at %s is beyond MAX, but the engine returned a report (%s there)", oor, nullStr(v))
		}
		if me := asError(err); e.caps[CapErrorPaths] && (me == nil || me.Rule != "NUM-2" || me.Path != oor) {
			e.fail(t, ctx, "NUM-2: the first reported value beyond MAX is at %s; the engine's error is %v", oor, err)
		}
		return
	}
	if err != nil {
		e.fail(t, ctx, "every exact reported value is within range, but the engine returned an error: %v", err)
	}
	for _, f := range x.reportedFields() {
		isPool := f.path[:4] == "pool"
		if (isPool && !pools) || (!isPool && !positions) {
			continue
		}
		got, ok := reportedValue(rep, f.path)
		if !ok || !nullEqRat(got, f.want) {
			e.fail(t, ctx, "%s = %s, the exact rounded value is %s", f.path, nullStr(got), fmtRat(f.want))
		}
	}
	if positions {
		for i, p := range x.positions {
			q := p.qty()
			pr := rep.Positions[i]
			if pr.Tier != q.tier+1 {
				e.fail(t, ctx, "positions[%d].tier = %d, want %d (TIER-7 at the MM basis notional)", i, pr.Tier, q.tier+1)
			}
			if !eqRat(pr.Leverage, q.lEff) {
				e.fail(t, ctx, "positions[%d].leverage = %s, want min(leverage, tier max) = %s (QTY-3)", i, pr.Leverage, fmtRat(q.lEff))
			}
		}
	}
	if pools {
		for k, pl := range x.pools() {
			got := rep.Pools[k]
			if got.Liquidatable != (pl.e.Cmp(pl.mm) < 0) {
				e.fail(t, ctx, "pools[%d].liquidatable = %v, but exact E = %s and MM = %s (POOL-5: E < MM)", k, got.Liquidatable, fmtRat(pl.e), fmtRat(pl.mm))
			}
			var ratio *big.Rat
			if pl.e.Sign() > 0 {
				ratio = up(ratQuo(pl.mm, pl.e))
				if !inRange(ratio) {
					ratio = nil
				}
			}
			if !nullEqRat(got.MarginRatio, ratio) {
				e.fail(t, ctx, "pools[%d].marginRatio = %s, want %s (POOL-4: up(MM/E), null when E <= 0)", k, nullStr(got.MarginRatio), fmtRat(ratio))
			}
			wantPos := -1
			if pl.isIsolated {
				wantPos = pl.position
			}
			if got.Position != wantPos {
				e.fail(t, ctx, "pools[%d].position = %d, want %d", k, got.Position, wantPos)
			}
		}
	}
}

func propPositionRounding(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearTierBoundary(e.gen), gen.NearLiquidation(e.gen))
	return func(t *rapid.T) { e.exactCheck(t, g.Draw(t, "scenario"), true, false) }
}

func propPoolRounding(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen), gen.NearLiquidation(e.gen))
	return func(t *rapid.T) { e.exactCheck(t, g.Draw(t, "scenario"), false, true) }
}

func propReportedRange(e *env) func(*rapid.T) {
	g := gen.EdgeScenario(e.gen)
	return func(t *rapid.T) { e.exactCheck(t, g.Draw(t, "scenario"), true, true) }
}

// ---------------------------------------------------------------------------
// Liquidation and bankruptcy prices.

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
			f := func(price *big.Rat) *big.Rat { return x.f(i, price) }
			g := func(price *big.Rat) *big.Rat { return x.g(i, price) }
			e.checkRoot(t, ctx, fmt.Sprintf("positions[%d] liquidation", i), p.s, tick, f, pr.LiquidationPrice, pr.LiquidationPriceExact, pr.LiquidationPriceReason, true)
			e.checkRoot(t, ctx, fmt.Sprintf("positions[%d] bankruptcy", i), p.s, tick, g, pr.BankruptcyPrice, decimal.NullDecimal{}, pr.BankruptcyPriceReason, false)
		}
	}
}

// checkRoot checks a reported price against the sign of h (f or g) around it.
// For a long h increases, for a short it decreases; the pool is "beyond" the
// root where h < 0.
func (e *env) checkRoot(t *rapid.T, ctx []named, what string, s int, tick *big.Rat, h func(*big.Rat) *big.Rat, tickP, exactP decimal.NullDecimal, reason string, liq bool) {
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
		case h(gridDown(ratMax, tick)).Sign() < 0:
			want = spec.ReasonOutOfRange
		}
	} else {
		switch {
		case h0.Sign() <= 0 || h(tick).Sign() < 0:
			want = always
		case liq && h(ratAdd(ratMax, ratUnit)).Sign() >= 0:
			want = spec.ReasonOutOfRange
		case !liq && h(ratAdd(gridDown(ratMax, tick), tick)).Sign() >= 0:
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
		beyond := ratSub(v, ratMul(ratInt(int64(s)), step))
		if h(v).Sign() < 0 || h(beyond).Sign() >= 0 {
			e.fail(t, ctx, "%s price %s does not bracket the root on the %s grid: h(price) = %s (want >= 0), h(one step beyond) = %s (want < 0); rounded toward the mark?", what, p.Decimal, grid, fmtRat(h(v)), fmtRat(h(beyond)))
		}
	}
	bracket(tickP, tick, "tick")
	if liq {
		bracket(exactP, ratUnit, "1e-8")
	}
}

func propTickAgreement(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen))
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
		if pr.LiquidationPrice.Valid {
			lp := pr.LiquidationPrice.Decimal
			check(lp, false, "the liquidation price")
			check(lp.Sub(s.Markets[pos.Market].TickSize.Mul(dec(sign, 0))), true, "one tick beyond the liquidation price")
		}
		if pr.LiquidationPriceExact.Valid {
			lp := pr.LiquidationPriceExact.Decimal
			check(lp, false, "the exact liquidation price")
			check(lp.Sub(units(sign)), true, "one unit beyond the exact liquidation price")
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

// ---------------------------------------------------------------------------
// Tiers.

// notionalScenario is one cross long of notional exactly n (mark 1, lot
// 1e-8, entry at the mark) on a market with tiers ts.
func notionalScenario(ts []spec.Tier, n decimal.Decimal, leverage decimal.NullDecimal) *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{"AAA": {TickSize: units(1), LotSize: units(1), MMBasis: spec.BasisMark, Tiers: ts}},
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
		n1 := floorGrid(top.Mul(dec(rapid.Int64Range(1, 10_000).Draw(t, "n1"), -4)), u)
		n2 := floorGrid(top.Mul(dec(rapid.Int64Range(1, 10_000).Draw(t, "n2"), -4)), u)
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

func propBoundaryLookup(e *env) func(*rapid.T) {
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
		for _, c := range []struct {
			n    decimal.Decimal
			tier int
		}{{b, ti}, {b.Sub(units(1)), ti - 1}} {
			s := notionalScenario(ts, c.n, lev)
			rep, err := e.evaluate(t, s, "at the boundary")
			if err != nil {
				e.fail(t, []named{{"at the boundary", s}}, "error: %v", err)
			}
			pr := rep.Positions[0]
			if pr.Tier != c.tier+1 {
				e.fail(t, []named{{"at the boundary", s}}, "notional %s (tier %d starts at %s): reported tier %d, want %d (TIER-7)", c.n, ti+1, b, pr.Tier, c.tier+1)
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
		for i, pr := range rep.Positions {
			if pr.InitialMargin.LessThan(pr.MaintenanceMargin) {
				e.fail(t, ctx, "positions[%d]: initialMargin %s < maintenanceMargin %s at leverage %s (TIER-5)", i, pr.InitialMargin, pr.MaintenanceMargin, pr.Leverage)
			}
		}
		if p := rep.Pools[0]; p.InitialMargin.LessThan(p.MaintenanceMargin) {
			e.fail(t, ctx, "cross pool: initialMargin %s < maintenanceMargin %s (TIER-5)", p.InitialMargin, p.MaintenanceMargin)
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

// ---------------------------------------------------------------------------
// Metamorphic relations on liquidation prices.

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

func propIsolatedIndependence(e *env) func(*rapid.T) {
	g := e.scenarios("")
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		if m := s.Markets[s.Account.Positions[i].Market]; len(m.MarginModes) == 1 && m.MarginModes[0] == spec.Cross {
			return
		}
		s.Account.Positions[i].MarginMode = spec.Isolated
		rep := e.mustReport(t, s, "generated")
		// Change everything outside position i's pool.
		s2 := s.Clone()
		s2.Account.WalletBalance = units(rapid.Int64Range(0, 1_000_000_000_000_000).Draw(t, "newWallet"))
		keep := rapid.Bool().Draw(t, "keepOthers")
		var others []spec.Position
		newIndex := 0
		for j, p := range s2.Account.Positions {
			if j == i {
				newIndex = len(others)
				others = append(others, p)
				continue
			}
			if keep {
				others = append(others, p)
				mark := markPrice(t, "otherMark")
				s2.Prices[p.Market] = spec.Price{Mark: nd(mark)}
			}
		}
		s2.Account.Positions = others
		rep2 := e.mustReport(t, s2, "others changed", named{"generated", s})
		ctx := []named{{"generated", s}, {"others changed", s2}}
		if d := diff(rep.Positions[i], rep2.Positions[newIndex]); d != "" {
			e.fail(t, ctx, "changing the wallet and the other positions changed isolated positions[%d]: %s (POOL-2)", i, d)
		}
		if d := diff(withoutPosition(rep.Pools[poolIndex(rep, i)]), withoutPosition(rep2.Pools[poolIndex(rep2, newIndex)])); d != "" {
			e.fail(t, ctx, "changing the wallet and the other positions changed the pool of isolated positions[%d]: %s (POOL-2)", i, d)
		}
		// The isolated margin of position i does not touch the cross side.
		s3 := s.Clone()
		s3.Account.Positions[i].IsolatedMargin = nd(rep.Positions[i].IsolatedMargin.Decimal.Add(units(rapid.Int64Range(1, 1_000_000_000_000).Draw(t, "extraMargin"))))
		if s3.Account.Positions[i].IsolatedMargin.Decimal.GreaterThan(maxDecimal) {
			return
		}
		rep3 := e.mustReport(t, s3, "margin changed", named{"generated", s})
		ctx = []named{{"generated", s}, {"margin changed", s3}}
		if d := diff(rep.Pools[0], rep3.Pools[0]); d != "" {
			e.fail(t, ctx, "changing isolated positions[%d]'s margin changed the cross pool: %s (POOL-2, LIQ-8)", i, d)
		}
		for j := range rep.Positions {
			if j == i {
				continue
			}
			if d := diff(rep.Positions[j], rep3.Positions[j]); d != "" {
				e.fail(t, ctx, "changing isolated positions[%d]'s margin changed positions[%d]: %s (POOL-2, LIQ-8)", i, j, d)
			}
		}
	}
}

func withoutPosition(p spec.PoolReport) spec.PoolReport { p.Position = 0; return p }

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
			ep := floorGrid(p.EntryPrice, m.TickSize)
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

// ---------------------------------------------------------------------------
// The trigger.

func propStrictTrigger(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		mmr := rapid.SampledFrom([]int64{0, 4, 10, 50, 100, 1}).Draw(t, "mmrBp") // basis points of 1e-4... 1e-2
		exp := int32(rapid.IntRange(2, 6).Draw(t, "boundaryExp"))
		ts := []spec.Tier{{MinNotional: decimal.Zero, MaxNotional: dec(1, exp), MaintenanceMarginRate: dec(mmr, -4), MaxLeverage: dec(10, 0)}}
		if rapid.Bool().Draw(t, "twoTiers") {
			ts = append(ts, spec.Tier{MinNotional: dec(1, exp), MaxNotional: dec(1, 9), MaintenanceMarginRate: dec(mmr+50, -4), MaxLeverage: dec(5, 0)})
		}
		basis := spec.BasisMark
		if e.gen.EntryBasis && rapid.Bool().Draw(t, "entryBasis") {
			basis = spec.BasisEntry
		}
		mode := spec.Cross
		if e.gen.Isolated && rapid.Bool().Draw(t, "isolated") {
			mode = spec.Isolated
		}
		q := dec(rapid.Int64Range(1, 1000).Draw(t, "size"), 0)
		mp := dec(rapid.Int64Range(1, 10_000_000).Draw(t, "markCents"), -2)
		ep := dec(rapid.Int64Range(1, 10_000_000).Draw(t, "entryCents"), -2)
		side := rapid.SampledFrom([]spec.Side{spec.Long, spec.Short}).Draw(t, "side")
		s := &spec.Scenario{
			Markets: map[string]spec.Market{"AAA": {TickSize: dec(1, -2), LotSize: dec(1, 0), MMBasis: basis, Tiers: ts}},
			Prices:  map[string]spec.Price{"AAA": {Mark: nd(mp)}},
			Account: spec.Account{Positions: []spec.Position{{Market: "AAA", Side: side, Size: q, EntryPrice: ep, MarginMode: mode}}},
		}
		if mode == spec.Isolated {
			s.Account.Positions[0].IsolatedMargin = nd(decimal.Zero)
		}
		x := exactScenario(s)
		qt := x.positions[0].qty()
		b := ratSub(qt.mm, qt.u) // the balance that makes E = MM exactly
		if b.Sign() < 0 || down(b).Cmp(b) != 0 {
			return // a profit above MM: no balance >= 0 gives E = MM
		}
		set := func(v decimal.Decimal) *spec.Scenario {
			c := s.Clone()
			if mode == spec.Isolated {
				c.Account.Positions[0].IsolatedMargin = nd(v)
			} else {
				c.Account.WalletBalance = v
			}
			return c
		}
		bal := decimal.NewFromBigRat(b, 8)
		k := 0
		if mode == spec.Isolated {
			k = 1
		}
		s1 := set(bal)
		r1 := e.mustReport(t, s1, "E = MM")
		if r1.Pools[k].Liquidatable {
			e.fail(t, []named{{"E = MM", s1}}, "equity %s equals maintenance margin %s exactly, yet the pool is liquidatable (POOL-5: strict E < MM)", r1.Pools[k].Equity, r1.Pools[k].MaintenanceMargin)
		}
		if bal.Sign() > 0 {
			s2 := set(bal.Sub(units(1)))
			r2 := e.mustReport(t, s2, "E = MM - 1e-8")
			if !r2.Pools[k].Liquidatable {
				e.fail(t, []named{{"E = MM - 1e-8", s2}}, "equity %s is one unit below maintenance margin %s, yet the pool is not liquidatable (POOL-5)", r2.Pools[k].Equity, r2.Pools[k].MaintenanceMargin)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Mark price.

func propMarkOnly(e *env) func(*rapid.T) {
	g := gen.Scenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.mustReport(t, s, "generated")
		s2 := s.Clone()
		for _, name := range sortedNames(s2.Prices) {
			p := s2.Prices[name]
			if !p.Mark.Valid {
				continue
			}
			p.Index = nd(markPrice(t, name+"Index"))
			p.Last = nd(p.Index.Decimal.Mul(dec(rapid.SampledFrom([]int64{1, 1000, 10, 100_000}).Draw(t, name+"Spike"), 0)))
			if p.Last.Decimal.GreaterThan(maxDecimal) {
				p.Last = nd(maxDecimal)
			}
			p.FundingRate = nd(units(rapid.Int64Range(-1_000_000, 1_000_000).Draw(t, name+"FundingRate")))
			p.SecondsToFunding = nd(dec(rapid.Int64Range(0, 28_800).Draw(t, name+"SecondsToFunding"), 0))
			p.BasisAverage = nd(units(rapid.Int64Range(-1_000_000_000, 1_000_000_000).Draw(t, name+"Basis")))
			s2.Prices[name] = p
		}
		rep2 := e.mustReport(t, s2, "index and last changed", named{"generated", s})
		if d := diff(rep, rep2); d != "" {
			e.fail(t, []named{{"generated", s}, {"index and last changed", s2}}, "with the mark given, changing index, last, funding and basis changed %s (MARK-5: only the mark is used)", d)
		}
	}
}

func propComputedEqualsGiven(e *env) func(*rapid.T) {
	g := gen.Scenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.mustReport(t, s, "generated")
		s2 := s.Clone()
		for name, p := range rep.Prices {
			s2.Prices[name] = spec.Price{Mark: nd(p.Mark), Index: s.Prices[name].Index, Last: s.Prices[name].Last}
		}
		rep2 := e.mustReport(t, s2, "mark given", named{"generated", s})
		for name := range rep2.Prices {
			p := rep2.Prices[name]
			p.Computed = rep.Prices[name].Computed
			rep2.Prices[name] = p
		}
		if d := diff(rep, rep2); d != "" {
			e.fail(t, []named{{"generated", s}, {"mark given", s2}}, "giving the computed marks explicitly changed %s (MARK-5)", d)
		}
	}
}

func propComputedMark(e *env) func(*rapid.T) {
	g := gen.Scenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		name := sortedNames(s.Markets)[0]
		p := s.Prices[name]
		if p.Mark.Valid { // make it computed
			p = gen.Price(gen.Config{ComputedMark: true}, p.Mark.Decimal).Draw(t, "prices")
			if p.Mark.Valid {
				p = spec.Price{Index: p.Mark, Last: p.Mark}
			}
		}
		switch rapid.IntRange(0, 3).Draw(t, "spike") {
		case 0:
			p.Last = nd(p.Last.Decimal.Mul(dec(1000, 0)))
		case 1:
			p.Last = nd(decimal.Max(units(1), p.Last.Decimal.Div(dec(1000, 0)).Truncate(8)))
		}
		if rapid.Bool().Draw(t, "pushOutOfBand") {
			// Two of the three candidates beyond a band: the median is outside
			// it and the clamp of MARK-3 decides the mark.
			m := s.Markets[name]
			m.MarkPriceBand = nd(units(rapid.SampledFrom([]int64{1_000_000, 5_000_000, 100_000}).Draw(t, "band")))
			s.Markets[name] = m
			dir := dec(rapid.SampledFrom([]int64{1, -1}).Draw(t, "direction"), 0)
			frac := dec(rapid.SampledFrom([]int64{20, 50, 2}).Draw(t, "basisPct"), -2)
			p.BasisAverage = nd(p.Index.Decimal.Mul(frac).Mul(dir).Truncate(8))
			if dir.Sign() > 0 {
				p.Last = nd(p.Index.Decimal.Mul(dec(3, 0)))
			} else {
				p.Last = nd(decimal.Max(units(1), p.Index.Decimal.Div(dec(3, 0)).Truncate(8)))
			}
		}
		if p.Last.Decimal.GreaterThan(maxDecimal) {
			p.Last = nd(maxDecimal)
		}
		s.Prices[name] = p
		if !validInput(s) {
			t.Skip("input rejected by the reference")
		}
		rep, err := e.evaluate(t, s, "generated")
		ctx := []named{{"generated", s}}
		want := down(computedMark(s.Markets[name], p))
		if !inRange(want) {
			if err == nil {
				e.fail(t, ctx, "the computed mark %s is beyond MAX, but the engine returned a report", fmtRat(want))
			}
			return
		}
		if err != nil {
			if me := asError(err); me != nil && isReportPath(me) {
				return
			}
			e.fail(t, ctx, "error: %v", err)
		}
		got := rep.Prices[name]
		if !got.Computed || !eqRat(got.Mark, want) {
			e.fail(t, ctx, "prices.%s: mark %s (computed %v), want down(clamp(median(P1, P2, P3))) = %s, computed (MARK-2..4)", name, got.Mark, got.Computed, fmtRat(want))
		}
		if b := s.Markets[name].MarkPriceBand; b.Valid {
			idx := p.Index.Decimal
			lo, hi := idx.Mul(dec(1, 0).Sub(b.Decimal)), idx.Mul(dec(1, 0).Add(b.Decimal))
			if got.Mark.GreaterThan(hi) || got.Mark.LessThan(lo.Sub(units(1))) {
				e.fail(t, ctx, "prices.%s: computed mark %s outside the band [%s, %s] (MARK-3)", name, got.Mark, lo, hi)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Errors and input.

func propNoMutation(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.Scenario(e.gen), gen.EdgeScenario(e.gen), corruptedScenario(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		orig := s.Clone()
		_, _ = e.evaluate(t, s, "generated")
		if d := spec.DiffExact(orig, s); d != nil {
			e.fail(t, []named{{"before evaluation", orig}, {"after evaluation", s}}, "Evaluate modified its input scenario (EVAL-1): %s", strings.Join(d, "; "))
		}
	}
}

func propBadInput(e *env) func(*rapid.T) {
	g := gen.Corrupted(e.gen)
	return func(t *rapid.T) {
		c := g.Draw(t, "corruption")
		_, err := e.evaluate(t, c.Scenario, "corrupted")
		if err == nil {
			e.fail(t, []named{{"corrupted", c.Scenario}}, "%s: the engine returned a report for bad input (want an error)", c.Kind)
		}
		if me := asError(err); e.caps[CapErrorPaths] && (me == nil || !specRuleIDs[me.Rule] || me.Path == "") {
			e.fail(t, []named{{"corrupted", c.Scenario}}, "%s: the error must be a *model.Error naming a path and a SPEC rule, got %#v", c.Kind, err)
		}
	}
}

func propErrorPaths(e *env) func(*rapid.T) {
	g := gen.Corrupted(e.gen)
	return func(t *rapid.T) {
		c := g.Draw(t, "corruption")
		_, err := e.evaluate(t, c.Scenario, "corrupted")
		me := asError(err)
		if me == nil || me.Path != c.Path || me.Rule != c.Rule {
			e.fail(t, []named{{"corrupted", c.Scenario}}, "broke %s: want the error %s at %q, got %v", c.Kind, c.Rule, c.Path, err)
		}
	}
}

func propReportShape(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen), gen.NearTierBoundary(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.mustReport(t, s, "generated")
		ctx := []named{{"generated", s}}
		bad := func(format string, args ...any) { e.fail(t, ctx, format, args...) }
		if len(rep.Positions) != len(s.Account.Positions) {
			bad("%d position reports for %d positions (RPT-1)", len(rep.Positions), len(s.Account.Positions))
		}
		if len(rep.Prices) != len(s.Prices) {
			bad("prices has %s, the scenario %s (RPT-3)", keysOf(rep.Prices), keysOf(s.Prices))
		}
		for name, p := range s.Prices {
			pr, ok := rep.Prices[name]
			if !ok || pr.Computed == p.Mark.Valid {
				bad("prices.%s: %+v (given mark %v) (RPT-3)", name, pr, p.Mark.Valid)
			}
			if p.Mark.Valid && !pr.Mark.Equal(p.Mark.Decimal) {
				bad("prices.%s: mark %s, given %s (MARK-1)", name, pr.Mark, p.Mark.Decimal)
			}
		}
		grid := func(path string, d decimal.Decimal) {
			if !d.Shift(8).IsInteger() || d.Abs().GreaterThan(maxDecimal) {
				bad("%s = %s is off the 1e-8 grid or beyond MAX (NUM-1, NUM-2)", path, d)
			}
		}
		wantPools := []int{-1}
		reasons := map[string]bool{"": true, spec.ReasonNeverLiquidatable: true, spec.ReasonAlwaysLiquidatable: true, spec.ReasonOutOfRange: true}
		breasons := map[string]bool{"": true, spec.ReasonNeverBankrupt: true, spec.ReasonAlwaysBankrupt: true, spec.ReasonOutOfRange: true}
		for i, pr := range rep.Positions {
			sp := s.Account.Positions[i]
			m := s.Markets[sp.Market]
			if pr.Market != sp.Market || pr.Side != sp.Side || pr.MarginMode != sp.MarginMode {
				bad("positions[%d] echoes %s/%s/%s, the scenario has %s/%s/%s (RPT-1)", i, pr.Market, pr.Side, pr.MarginMode, sp.Market, sp.Side, sp.MarginMode)
			}
			if pr.Tier < 1 || pr.Tier > len(m.Tiers) {
				bad("positions[%d].tier = %d outside 1..%d (TIER-7)", i, pr.Tier, len(m.Tiers))
			}
			for _, f := range []struct {
				n string
				d decimal.Decimal
			}{{"notional", pr.Notional}, {"unrealizedPnl", pr.UnrealizedPnl}, {"leverage", pr.Leverage}, {"initialMargin", pr.InitialMargin}, {"maintenanceMargin", pr.MaintenanceMargin}} {
				grid(fmt.Sprintf("positions[%d].%s", i, f.n), f.d)
			}
			if pr.LiquidationPrice.Valid != (pr.LiquidationPriceReason == "") || pr.LiquidationPriceExact.Valid != pr.LiquidationPrice.Valid || !reasons[pr.LiquidationPriceReason] {
				bad("positions[%d]: liquidation price %s / exact %s with reason %q (LIQ-3, LIQ-6, LIQ-7)", i, nullStr(pr.LiquidationPrice), nullStr(pr.LiquidationPriceExact), pr.LiquidationPriceReason)
			}
			if pr.BankruptcyPrice.Valid != (pr.BankruptcyPriceReason == "") || !breasons[pr.BankruptcyPriceReason] {
				bad("positions[%d]: bankruptcy price %s with reason %q (BKR-2, BKR-3)", i, nullStr(pr.BankruptcyPrice), pr.BankruptcyPriceReason)
			}
			for _, p := range []decimal.NullDecimal{pr.LiquidationPrice, pr.BankruptcyPrice} {
				if p.Valid && (p.Decimal.Sign() <= 0 || !p.Decimal.Mod(m.TickSize).IsZero() || p.Decimal.GreaterThan(maxDecimal)) {
					bad("positions[%d]: price %s is not a positive multiple of the tick %s within MAX (LIQ-6, BKR-3)", i, p.Decimal, m.TickSize)
				}
			}
			if pr.LiquidationPrice.Valid {
				grid(fmt.Sprintf("positions[%d].liquidationPriceExact", i), pr.LiquidationPriceExact.Decimal)
				lp, ex := pr.LiquidationPrice.Decimal, pr.LiquidationPriceExact.Decimal
				if (sp.Side == spec.Long && lp.LessThan(ex)) || (sp.Side == spec.Short && lp.GreaterThan(ex)) {
					bad("positions[%d]: tick price %s and exact price %s are not rounded the same way (LIQ-5, LIQ-6)", i, lp, ex)
				}
			}
			iso := sp.MarginMode == spec.Isolated
			if pr.IsolatedMargin.Valid != iso || pr.MaxRemovableMargin.Valid != iso {
				bad("positions[%d]: isolatedMargin %s, maxRemovableMargin %s for a %s position (RPT-1)", i, nullStr(pr.IsolatedMargin), nullStr(pr.MaxRemovableMargin), sp.MarginMode)
			}
			if iso {
				wantPools = append(wantPools, i)
				if pr.MaxRemovableMargin.Decimal.Sign() < 0 || pr.MaxRemovableMargin.Decimal.GreaterThan(pr.IsolatedMargin.Decimal) {
					bad("positions[%d]: maxRemovableMargin %s outside [0, isolatedMargin %s] (POOL-6)", i, pr.MaxRemovableMargin.Decimal, pr.IsolatedMargin.Decimal)
				}
			}
		}
		if len(rep.Pools) != len(wantPools) {
			bad("%d pools, want %d (RPT-2)", len(rep.Pools), len(wantPools))
		}
		for k, pl := range rep.Pools {
			wantMode := spec.Cross
			if k > 0 {
				wantMode = spec.Isolated
			}
			if pl.Position != wantPools[k] || pl.Pool != wantMode {
				bad("pools[%d] is %s/%d, want %s/%d (RPT-2)", k, pl.Pool, pl.Position, wantMode, wantPools[k])
			}
			for _, f := range []struct {
				n string
				d decimal.Decimal
			}{{"equity", pl.Equity}, {"initialMargin", pl.InitialMargin}, {"maintenanceMargin", pl.MaintenanceMargin}, {"available", pl.Available}} {
				grid(fmt.Sprintf("pools[%d].%s", k, f.n), f.d)
			}
			if pl.Available.Sign() < 0 {
				bad("pools[%d].available = %s < 0 (POOL-3)", k, pl.Available)
			}
			if pl.MarginRatio.Valid && pl.Equity.Sign() < 0 {
				bad("pools[%d]: marginRatio %s with equity %s < 0 (POOL-4: null)", k, pl.MarginRatio.Decimal, pl.Equity)
			}
		}
	}
}
