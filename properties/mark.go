package properties

import (
	"maps"
	"slices"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the properties of SPEC MARK: only the mark moves the
// report, a computed mark equals the same mark given, and the computed mark
// itself (median, band).

func propMarkOnly(e *env) func(*rapid.T) {
	g := gen.Scenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.mustReport(t, s, "generated")
		s2 := s.Clone()
		for _, name := range slices.Sorted(maps.Keys(s2.Prices)) {
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
		if d := e.diffDeclared(rep, rep2); d != "" {
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
		if d := e.diffDeclared(rep, rep2); d != "" {
			e.fail(t, []named{{"generated", s}, {"mark given", s2}}, "giving the computed marks explicitly changed %s (MARK-5)", d)
		}
	}
}

func propComputedMark(e *env) func(*rapid.T) {
	g := gen.Scenario(e.gen)
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		name := slices.Sorted(maps.Keys(s.Markets))[0]
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
