package properties

import (
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the properties of SPEC POOL: isolated pools are
// independent of everything else (POOL-2) and the trigger is strict
// (POOL-5).

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

func propStrictTrigger(e *env) func(*rapid.T) { return triggerProp(e, spec.TriggerStrict) }

// triggerProp checks POOL-5 under trigger at E = MM exactly (constructed),
// one unit below and one unit above.
func triggerProp(e *env, trigger string) func(*rapid.T) {
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
			Markets: map[string]spec.Market{"AAA": {TickSize: dec(1, -2), LotSize: dec(1, 0), MMBasis: basis, Tiers: ts, Variants: &spec.Variants{Trigger: trigger}}},
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
		// Strict: E = MM is not liquidatable. At-equality it is, unless
		// E = MM = 0.
		want := trigger == spec.TriggerAtEquality && qt.mm.Sign() != 0
		if r1.Pools[k].Liquidatable != want {
			e.fail(t, []named{{"E = MM", s1}}, "equity %s equals maintenance margin %s exactly: liquidatable = %v, want %v (POOL-5:%s)", r1.Pools[k].Equity, r1.Pools[k].MaintenanceMargin, r1.Pools[k].Liquidatable, want, trigger)
		}
		s3 := set(bal.Add(units(1)))
		if r3 := e.mustReport(t, s3, "E = MM + 1e-8"); r3.Pools[k].Liquidatable {
			e.fail(t, []named{{"E = MM + 1e-8", s3}}, "equity %s is one unit above maintenance margin %s, yet the pool is liquidatable (POOL-5:%s)", r3.Pools[k].Equity, r3.Pools[k].MaintenanceMargin, trigger)
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
