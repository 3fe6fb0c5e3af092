package properties

import (
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// The portfolio-margin properties (SPEC PM). They need CapPortfolio.

func (e *env) pmScenarios(c gen.PMConfig) *rapid.Generator[*spec.Scenario] {
	c.Isolated = c.Isolated && e.gen.Isolated
	return gen.PMScenario(c)
}

// pmReport evaluates s and skips the case without a portfolio report.
func (e *env) pmReport(t *rapid.T, s *spec.Scenario, label string, ctx ...named) *spec.Report {
	rep := e.mustReport(t, s, label, ctx...)
	if rep.Portfolio == nil {
		t.Skip("no portfolio position")
	}
	return rep
}

// propPMDifferential: the engine and the oracle agree exactly on portfolio
// accounts (reports or errors).
func propPMDifferential(e *env) func(*rapid.T) {
	pm := e.pmScenarios(gen.PMConfig{Underlyings: 3, Isolated: true, NearTrigger: true})
	g := rapid.OneOf(pm, pm, pm, pm, pm, pm, pm, gen.ExtremeScenario(e.gen, true))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		got, gerr := e.evaluate(t, s, "generated")
		want, werr := e.oracle(s.Clone())
		ctx := []named{{"generated", s}}
		switch {
		case (gerr == nil) != (werr == nil):
			e.fail(t, ctx, "engine error %v, oracle error %v", gerr, werr)
		case gerr == nil:
			if d := diff(got, want); d != "" {
				e.fail(t, ctx, "the engine's report differs from the oracle's: %s", d)
			}
		}
	}
}

// propPMUnitsIndependent: different underlyings never offset (PM-3): each
// unit evaluated alone has the same terms as in the whole account, and the
// account's MM is the sum of the units' exact MMs (within rounding: the
// reported sum is at most the sum of the reported units and more than it
// minus one unit per unit).
func propPMUnitsIndependent(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{Underlyings: 3})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.pmReport(t, s, "generated")
		sum := decimal.Zero
		for _, u := range rep.Portfolio.Units {
			sum = sum.Add(u.MaintenanceMargin)
			alone := s.Clone()
			alone.Account.Positions = nil
			for _, i := range u.Positions {
				alone.Account.Positions = append(alone.Account.Positions, s.Account.Positions[i])
			}
			rep2 := e.pmReport(t, alone, "one unit", named{"generated", s})
			u2 := rep2.Portfolio.Units[0]
			u2.Positions, u2.CriticalMoveUp, u2.CriticalMoveDown, u2.CriticalMoveUpReason, u2.CriticalMoveDownReason = u.Positions, u.CriticalMoveUp, u.CriticalMoveDown, u.CriticalMoveUpReason, u.CriticalMoveDownReason
			if d := diff(u, u2); d != "" {
				e.fail(t, []named{{"generated", s}, {"one unit", alone}}, "unit %s alone differs from the unit in the account (PM-3: no offset across underlyings): %s", u.Underlying, d)
			}
		}
		mm := rep.Portfolio.MaintenanceMargin
		if mm.GreaterThan(sum) || !mm.GreaterThan(sum.Sub(units(int64(len(rep.Portfolio.Units))))) {
			e.fail(t, []named{{"generated", s}}, "account MM %s is not the sum of the units' MMs %s (PM-10)", mm, sum)
		}
	}
}

// propPMHedgedPair: a perfectly hedged pair (same size, two perpetuals of
// one underlying at one mark) has no scan or extreme loss, and its MM is
// max(contingency, minimum charge) (PM-4, PM-5, PM-7, PM-9).
func propPMHedgedPair(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		pp := gen.PMParams().Draw(t, "params")
		d := decimal.RequireFromString
		tiers := []spec.Tier{{MinNotional: d("0"), MaxNotional: d("1000000000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")}}
		mark := decimal.NewFromInt(rapid.Int64Range(1, 100_000).Draw(t, "mark"))
		size := decimal.New(rapid.Int64Range(1, 100_000).Draw(t, "size"), -3)
		s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{},
			Account: spec.Account{WalletBalance: decimal.NewFromInt(rapid.Int64Range(0, 1_000_000).Draw(t, "wallet"))}}
		for i, name := range []string{"A-PERP", "B-PERP"} {
			s.Markets[name] = spec.Market{TickSize: d("0.1"), LotSize: d("0.001"), Tiers: tiers, Underlying: "X",
				PortfolioMargin: pp.Clone(), MarginModes: []spec.MarginMode{spec.Portfolio}}
			s.Prices[name] = spec.Price{Mark: nd(mark)}
			side := []spec.Side{spec.Long, spec.Short}[i]
			s.Account.Positions = append(s.Account.Positions, spec.Position{Market: name, Side: side, Size: size, EntryPrice: mark, MarginMode: spec.Portfolio})
		}
		rep := e.pmReport(t, s, "hedged pair")
		u := rep.Portfolio.Units[0]
		want := decimal.Max(u.Contingency, u.MinimumCharge)
		if !u.ScanRisk.IsZero() || !u.ExtremeRisk.IsZero() || !u.BasisRisk.IsZero() || !u.MaintenanceMargin.Equal(want) {
			e.fail(t, []named{{"hedged pair", s}}, "hedged pair: scan %s, extreme %s, basis %s, MM %s; want 0, 0, 0 and max(contingency %s, minimum charge %s)",
				u.ScanRisk, u.ExtremeRisk, u.BasisRisk, u.MaintenanceMargin, u.Contingency, u.MinimumCharge)
		}
	}
}

// propPMHedgeBound: adding to a one-position unit an opposite perpetual of
// at most its size never raises the scan or extreme risk, leaves the basis
// risk, and MM <= max(MM before + contingency, minimum charge) (PM-4..9).
func propPMHedgeBound(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		s.Account.Positions = s.Account.Positions[:1]
		rep := e.pmReport(t, s, "unhedged")
		p0 := s.Account.Positions[0]
		h := s.Clone()
		m := h.Markets[p0.Market]
		m.Expiry = nil
		h.Markets["HEDGE"] = m
		h.Prices["HEDGE"] = h.Prices[p0.Market]
		side := spec.Long
		if p0.Side == spec.Long {
			side = spec.Short
		}
		q := rapid.Int64Range(1, p0.Size.Shift(3).IntPart()).Draw(t, "hedgeLots")
		h.Account.Positions = append(h.Account.Positions, spec.Position{Market: "HEDGE", Side: side, Size: decimal.New(q, -3),
			EntryPrice: h.Prices["HEDGE"].Mark.Decimal, MarginMode: spec.Portfolio})
		rep2 := e.pmReport(t, h, "hedged", named{"unhedged", s})
		u, v := rep.Portfolio.Units[0], rep2.Portfolio.Units[0]
		bound := decimal.Max(u.MaintenanceMargin.Add(v.Contingency), v.MinimumCharge)
		if v.ScanRisk.GreaterThan(u.ScanRisk) || v.ExtremeRisk.GreaterThan(u.ExtremeRisk) || !v.BasisRisk.Equal(u.BasisRisk) || v.MaintenanceMargin.GreaterThan(bound) {
			e.fail(t, []named{{"unhedged", s}, {"hedged", h}}, "a hedge raised the risk: scan %s -> %s, extreme %s -> %s, basis %s -> %s, MM %s -> %s (bound %s)",
				u.ScanRisk, v.ScanRisk, u.ExtremeRisk, v.ExtremeRisk, u.BasisRisk, v.BasisRisk, u.MaintenanceMargin, v.MaintenanceMargin, bound)
		}
	}
}

// propPMMirror: flipping every side and negating every grid move leaves
// every risk term unchanged (PM-4..9).
func propPMMirror(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{Underlyings: 2})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.pmReport(t, s, "generated")
		m := s.Clone()
		for name, mk := range m.Markets {
			for j := range mk.PortfolioMargin.Shocks {
				mk.PortfolioMargin.Shocks[j] = mk.PortfolioMargin.Shocks[j].Neg()
			}
			m.Markets[name] = mk
		}
		for i := range m.Account.Positions {
			p := &m.Account.Positions[i]
			p.Side = map[spec.Side]spec.Side{spec.Long: spec.Short, spec.Short: spec.Long}[p.Side]
			p.EntryPrice = m.Prices[p.Market].Mark.Decimal // no unrealized PnL: only the risk terms are compared
		}
		rep2 := e.pmReport(t, m, "mirrored", named{"generated", s})
		for k, u := range rep.Portfolio.Units {
			v := rep2.Portfolio.Units[k]
			a := []decimal.Decimal{u.ScanRisk, u.ExtremeRisk, u.BasisRisk, u.Contingency, u.MinimumChargeRaw, u.MinimumCharge, u.MaintenanceMargin, u.InitialMargin}
			b := []decimal.Decimal{v.ScanRisk, v.ExtremeRisk, v.BasisRisk, v.Contingency, v.MinimumChargeRaw, v.MinimumCharge, v.MaintenanceMargin, v.InitialMargin}
			if d := diff(a, b); d != "" || u.WorstScenario != v.WorstScenario {
				e.fail(t, []named{{"generated", s}, {"mirrored", m}}, "unit %s: the mirror changed the risk terms: %s (worst %d vs %d)", u.Underlying, d, u.WorstScenario, v.WorstScenario)
			}
		}
	}
}

// propPMMonotone: adding a move to the grid never lowers MM, and neither
// does a larger size of a one-position unit (PM-4, PM-9).
func propPMMonotone(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		s.Account.Positions = s.Account.Positions[:1]
		rep := e.pmReport(t, s, "generated")
		mm := rep.Portfolio.Units[0].MaintenanceMargin
		// A larger size.
		b := s.Clone()
		b.Account.Positions[0].Size = b.Account.Positions[0].Size.Add(decimal.New(rapid.Int64Range(1, 100_000).Draw(t, "more"), -3))
		if mm2 := e.pmReport(t, b, "larger", named{"generated", s}).Portfolio.Units[0].MaintenanceMargin; mm2.LessThan(mm) {
			e.fail(t, []named{{"generated", s}, {"larger", b}}, "a larger unhedged position lowered MM from %s to %s", mm, mm2)
		}
		// A larger grid.
		c := s.Clone()
		k := rapid.IntRange(-99, 99).Draw(t, "newShock")
		for name, mk := range c.Markets {
			pp := mk.PortfolioMargin
			x := decimal.New(int64(k), -2)
			dup := false
			for _, y := range pp.Shocks {
				dup = dup || y.Equal(x)
			}
			if !dup {
				pp.Shocks = append(pp.Shocks, x)
			}
			c.Markets[name] = mk
		}
		if mm2 := e.pmReport(t, c, "larger grid", named{"generated", s}).Portfolio.Units[0].MaintenanceMargin; mm2.LessThan(mm) {
			e.fail(t, []named{{"generated", s}, {"larger grid", c}}, "a larger shock grid lowered MM from %s to %s", mm, mm2)
		}
	}
}

// propPMCriticalMoves: at the reported critical move of a unit the account
// is not liquidatable, one unit (1e-8) of move beyond it, it is; the
// account is liquidatable iff both moves say already-liquidatable (PM-10,
// PM-11); a down move is > -1 (gen.PMConfig.DownRootAtZero draws accounts
// whose unit's loss line is 0 exactly at r = -1: never liquidatable down).
func propPMCriticalMoves(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{Underlyings: 2, NearTrigger: true, DownRootAtZero: true})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.pmReport(t, s, "generated")
		k := rapid.IntRange(0, len(rep.Portfolio.Units)-1).Draw(t, "unit")
		u := rep.Portfolio.Units[k]
		already := u.CriticalMoveUpReason == spec.ReasonAlreadyLiquidatable
		if already != rep.Portfolio.Liquidatable || (u.CriticalMoveDownReason == spec.ReasonAlreadyLiquidatable) != already {
			e.fail(t, []named{{"generated", s}}, "liquidatable %v but critical move reasons %q / %q (PM-11)", rep.Portfolio.Liquidatable, u.CriticalMoveUpReason, u.CriticalMoveDownReason)
		}
		if u.CriticalMoveDown.Valid && !u.CriticalMoveDown.Decimal.GreaterThan(decimal.NewFromInt(-1)) {
			e.fail(t, []named{{"generated", s}}, "critical move down %s, not above -1 (PM-11: r > -1, the marks stay > 0)", u.CriticalMoveDown.Decimal)
		}
		moved := func(r decimal.Decimal) *spec.Scenario {
			m := s.Clone()
			for _, i := range u.Positions {
				name := m.Account.Positions[i].Market
				mp := s.Prices[name].Mark.Decimal
				m.Prices[name] = spec.Price{Mark: nd(mp.Add(mp.Mul(r)))}
			}
			return m
		}
		eps := units(1)
		for _, c := range []struct {
			v      decimal.NullDecimal
			beyond decimal.Decimal
		}{{u.CriticalMoveUp, eps}, {u.CriticalMoveDown, eps.Neg()}} {
			if !c.v.Valid {
				continue
			}
			at := moved(c.v.Decimal)
			if r := e.pmReport(t, at, "at the move", named{"generated", s}); r.Portfolio.Liquidatable {
				e.fail(t, []named{{"generated", s}, {"at the move", at}}, "liquidatable at the reported critical move %s (PM-11)", c.v.Decimal)
			}
			next := c.v.Decimal.Add(c.beyond)
			if next.LessThanOrEqual(decimal.NewFromInt(-1)) {
				continue
			}
			past := moved(next)
			if r := e.pmReport(t, past, "beyond the move", named{"generated", s}); !r.Portfolio.Liquidatable {
				e.fail(t, []named{{"generated", s}, {"beyond", past}}, "not liquidatable one unit beyond the critical move %s (PM-11)", c.v.Decimal)
			}
		}
	}
}

// propPMReportConsistent: a unit's reported terms agree with each other.
// PM-3: every position of a unit is on a market of the unit's underlying
// (MKT-6: absent or empty is the market's name). PM-4: one scenario per
// grid move, in grid order; scanRisk = max(0, max_k(-pnl_k)) exactly (pnl
// is rounded down and scanRisk up, and -down(x) = up(-x)); the worst
// scenario has the smallest P&L. PM-9: with the reported (rounded-up) terms
// A' = max(scanRisk, extremeRisk) + basisRisk + contingency, the exact A
// lies in (A' - 3 units, A'], so minimumCharge <= MM <= max(A',
// minimumCharge) and MM > A' - 3 units; IM >= MM (initialMarginFactor >= 1).
// PM-10: the account is liquidatable exactly when E < MM, within the
// rounding of the reported equity and MM.
func propPMReportConsistent(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{Underlyings: 3, NearTrigger: true})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.pmReport(t, s, "generated")
		ctx := []named{{"generated", s}}
		// PM-10: the trigger is exact E < MM, with equity reported rounded
		// down (E' <= E < E' + 1 unit) and MM up (MM' - 1 unit < MM <= MM').
		// So liquidatable implies E' < MM', and E' <= MM' - 2 units implies
		// E < E' + 1 unit <= MM' - 1 unit < MM: liquidatable.
		pf := rep.Portfolio
		if pf.Liquidatable && !pf.Equity.LessThan(pf.MaintenanceMargin) {
			e.fail(t, ctx, "liquidatable with equity %s >= MM %s (PM-10: E < MM)", pf.Equity, pf.MaintenanceMargin)
		}
		if !pf.Liquidatable && pf.Equity.LessThanOrEqual(pf.MaintenanceMargin.Sub(units(2))) {
			e.fail(t, ctx, "not liquidatable with equity %s < MM %s (PM-10: E < MM)", pf.Equity, pf.MaintenanceMargin)
		}
		for _, u := range rep.Portfolio.Units {
			for _, i := range u.Positions {
				name := s.Account.Positions[i].Market
				und := s.Markets[name].Underlying
				if und == "" {
					und = name
				}
				if und != u.Underlying {
					e.fail(t, ctx, "unit %s lists position %d on market %s of underlying %s (PM-3: no offset across underlyings)", u.Underlying, i, name, und)
				}
			}
			pp := s.Markets[s.Account.Positions[u.Positions[0]].Market].PortfolioMargin
			if len(u.Scenarios) != len(pp.Shocks) {
				e.fail(t, ctx, "unit %s: %d scenarios for %d grid moves (PM-4)", u.Underlying, len(u.Scenarios), len(pp.Shocks))
			}
			if u.WorstScenario < 0 || u.WorstScenario >= len(u.Scenarios) {
				e.fail(t, ctx, "unit %s: worstScenario %d out of range (PM-4)", u.Underlying, u.WorstScenario)
			}
			scan := decimal.Zero
			for k, sc := range u.Scenarios {
				if !sc.Move.Equal(pp.Shocks[k]) {
					e.fail(t, ctx, "unit %s: scenario %d moves %s, grid move %s (PM-4)", u.Underlying, k, sc.Move, pp.Shocks[k])
				}
				scan = decimal.Max(scan, sc.Pnl.Neg())
				if sc.Pnl.LessThan(u.Scenarios[u.WorstScenario].Pnl) {
					e.fail(t, ctx, "unit %s: scenario %d loses %s, more than the worst scenario %d (PM-4)", u.Underlying, k, sc.Pnl, u.WorstScenario)
				}
			}
			if !u.ScanRisk.Equal(scan) {
				e.fail(t, ctx, "unit %s: scanRisk %s, but the worst scenario loses %s (PM-4)", u.Underlying, u.ScanRisk, scan)
			}
			a := decimal.Max(u.ScanRisk, u.ExtremeRisk).Add(u.BasisRisk).Add(u.Contingency)
			mm := u.MaintenanceMargin
			if mm.LessThan(u.MinimumCharge) || mm.GreaterThan(decimal.Max(a, u.MinimumCharge)) || !mm.GreaterThan(a.Sub(units(3))) {
				e.fail(t, ctx, "unit %s: MM %s is not max(max(scan %s, extreme %s) + basis %s + contingency %s, minimum charge %s) (PM-9)",
					u.Underlying, mm, u.ScanRisk, u.ExtremeRisk, u.BasisRisk, u.Contingency, u.MinimumCharge)
			}
			if u.InitialMargin.LessThan(mm) {
				e.fail(t, ctx, "unit %s: IM %s below MM %s (PM-9)", u.Underlying, u.InitialMargin, mm)
			}
		}
	}
}

// propPMSubadditive: offsets only help (PM-3..9). For a unit of several
// positions, each position alone is a unit of its own (same grid); then
// max(scan, extreme) of the unit <= the sum of the positions' own, basis <=
// the sum of theirs, and MM <= max(sum of (max(scan_i, extreme_i) +
// basis_i) + the unit's contingency, the unit's minimum charge). (The
// contingency of a single position is 0 and the minimum charge is convex,
// so neither is subadditive: they stay on the right-hand side.) Reported
// terms are rounded up, so each bound holds on reported values.
func propPMSubadditive(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.pmReport(t, s, "generated")
		u := rep.Portfolio.Units[0]
		if len(u.Positions) < 2 {
			t.Skip("one position")
		}
		sumRisk, sumBasis := decimal.Zero, decimal.Zero
		for _, i := range u.Positions {
			alone := s.Clone()
			alone.Account.Positions = []spec.Position{s.Account.Positions[i]}
			v := e.pmReport(t, alone, "one position", named{"generated", s}).Portfolio.Units[0]
			sumRisk = sumRisk.Add(decimal.Max(v.ScanRisk, v.ExtremeRisk))
			sumBasis = sumBasis.Add(v.BasisRisk)
		}
		risk := decimal.Max(u.ScanRisk, u.ExtremeRisk)
		bound := decimal.Max(sumRisk.Add(sumBasis).Add(u.Contingency), u.MinimumCharge)
		if risk.GreaterThan(sumRisk) || u.BasisRisk.GreaterThan(sumBasis) || u.MaintenanceMargin.GreaterThan(bound) {
			e.fail(t, []named{{"generated", s}}, "unit %s: max(scan, extreme) %s (positions alone: %s), basis %s (alone: %s), MM %s above max(alone + contingency, minimum charge) = %s",
				u.Underlying, risk, sumRisk, u.BasisRisk, sumBasis, u.MaintenanceMargin, bound)
		}
	}
}

// propPMScale: scaling every position's size by an integer k scales the
// net delta, L, S and every notional by k, so each scenario's P&L, the scan,
// extreme and basis risks, the contingency and the raw minimum charge scale
// by k exactly (PM-4..8: all linear in the sizes). gen.PMScenario's grids
// (0.001 lots, integer marks, rates on 0.01 / 0.001 grids) keep every
// such quantity on the 1e-8 grid, so no rounding interferes. (The minimum
// charge itself is progressive, PM-8, and MM with it: not linear.)
func propPMScale(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{Underlyings: 2})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.pmReport(t, s, "generated")
		k := decimal.NewFromInt(int64(rapid.IntRange(2, 5).Draw(t, "k")))
		m := s.Clone()
		for i := range m.Account.Positions {
			m.Account.Positions[i].Size = m.Account.Positions[i].Size.Mul(k)
		}
		rep2 := e.pmReport(t, m, "scaled", named{"generated", s})
		for j, u := range rep.Portfolio.Units {
			v := rep2.Portfolio.Units[j]
			a := []decimal.Decimal{u.ScanRisk.Mul(k), u.ExtremeRisk.Mul(k), u.BasisRisk.Mul(k), u.Contingency.Mul(k), u.MinimumChargeRaw.Mul(k)}
			b := []decimal.Decimal{v.ScanRisk, v.ExtremeRisk, v.BasisRisk, v.Contingency, v.MinimumChargeRaw}
			for x, sc := range u.Scenarios {
				a = append(a, sc.Pnl.Mul(k))
				b = append(b, v.Scenarios[x].Pnl)
			}
			if d := diff(a, b); d != "" {
				e.fail(t, []named{{"generated", s}, {"scaled", m}}, "unit %s: sizes times %s did not scale the linear terms by %s: %s", u.Underlying, k, k, d)
			}
		}
	}
}
