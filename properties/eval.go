package properties

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the properties of SPEC EVAL and RPT: the differential
// comparison with the oracle (reports and errors), input never modified
// (EVAL-1), bad input always an error with the right Path and Rule
// (EVAL-2, EVAL-3), and the shape of a report (RPT-1..3).

// corruptedScenario is Corrupted's scenario alone.
func corruptedScenario(c gen.Config) *rapid.Generator[*spec.Scenario] {
	return rapid.Map(gen.Corrupted(c), func(c gen.Corruption) *spec.Scenario { return c.Scenario })
}

func propDifferential(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.Scenario(e.gen), gen.EdgeScenario(e.gen), gen.NearLiquidation(e.gen), gen.NearTierBoundary(e.gen), gen.ZeroRoot(e.gen), gen.GridRoot(e.gen), gen.ExtremeScenario(e.gen, false), corruptedScenario(e.gen))
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
			if d := e.diffDeclared(got, want); d != "" { // the declared outputs only
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
