package properties

import (
	"fmt"
	"maps"
	"slices"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// propPMValidation: a valid portfolio scenario with one input rule of its
// first market's portfolio-margin parameters or expiry broken (SPEC PM-1,
// MKT-6) is an error of that rule at that field's path; every other field
// stays valid, and the first market in byte order is checked first
// (EVAL-2), so the path is the first violation; or with a cross position
// added beside the portfolio positions, before or after them (PM-2: at the
// marginMode of the later of the two), or with the parameters of two markets
// of one underlying that hold portfolio positions made unequal (PM-2 at the
// later position's market). Judged from the inputs alone, without an
// oracle.
func propPMValidation(e *env) func(*rapid.T) {
	g := e.pmScenarios(gen.PMConfig{Underlyings: 2})
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		name := slices.Sorted(maps.Keys(s.Markets))[0]
		m := s.Markets[name]
		pp := m.PortfolioMargin.Clone()
		pre := "markets." + spec.PathKey(name)
		path, rule := pre+".portfolioMargin", "PM-1"
		one := decimal.NewFromInt(1)
		k := rapid.IntRange(0, 11).Draw(t, "break")
		if k == 11 { // PM-2: two markets of one underlying holding portfolio positions, their parameters made unequal
			if j, ok := secondOfUnderlying(s); ok {
				mj := s.Markets[s.Account.Positions[j].Market]
				q := mj.PortfolioMargin.Clone()
				q.Shocks = append(q.Shocks, unusedShock(q.Shocks)) // still valid (PM-1), no longer equal
				mj.PortfolioMargin = q
				s.Markets[s.Account.Positions[j].Market] = mj
				path, rule = fmt.Sprintf("account.positions[%d].market", j), "PM-2"
				_, err := e.evaluate(t, s, "broken")
				if me := asError(err); me == nil || me.Path != path || me.Rule != rule {
					e.fail(t, []named{{"broken", s}}, "want the error %s at %q, got %v (PM-1/validation)", rule, path, err)
				}
				return
			}
			k = 10 // no such pair: a cross position instead
		}
		switch k {
		case 0: // no shock
			pp.Shocks, path = []decimal.Decimal{}, path+".shocks" // [] in JSON: null would be EVAL-4
		case 1: // a shock of +-1 or beyond, at index j (the earlier ones valid)
			j := rapid.IntRange(0, len(pp.Shocks)-1).Draw(t, "shock")
			pp.Shocks[j] = rapid.SampledFrom([]decimal.Decimal{one, one.Neg(), units(100_000_001), units(-150_000_000)}).Draw(t, "bad")
			path += fmt.Sprintf(".shocks[%d]", j)
		case 2: // a shock listed twice: a copy of shocks[i] inserted at j > i
			j := rapid.IntRange(1, len(pp.Shocks)).Draw(t, "at")
			i := rapid.IntRange(0, j-1).Draw(t, "copyOf")
			pp.Shocks = slices.Insert(pp.Shocks, j, pp.Shocks[i])
			path += fmt.Sprintf(".shocks[%d]", j)
		case 3: // a rate out of its range: below 0, or 1 where [0, 1) (above 1 for extremeFraction's [0, 1])
			f := rapid.IntRange(0, 4).Draw(t, "field")
			names := []string{"extremeMove", "extremeFraction", "basisRate", "contingencyRate", "minimumChargeRate"}
			bad := units(-1)
			if rapid.Bool().Draw(t, "above") {
				bad = one
				if f == 1 {
					bad = units(100_000_001)
				}
			}
			*[]*decimal.NullDecimal{&pp.ExtremeMove, &pp.ExtremeFraction, &pp.BasisRate, &pp.ContingencyRate, &pp.MinimumChargeRate}[f] = nd(bad)
			path += "." + names[f]
		case 4: // the first band's minCharge is not 0
			pp.MinimumChargeTiers = []spec.ChargeTier{{MinCharge: units(1), MaxCharge: dec(1000, 0), Multiplier: one}}
			path += ".minimumChargeTiers[0].minCharge"
		case 5: // an empty band (maxCharge <= minCharge) at band 1
			pp.MinimumChargeTiers = []spec.ChargeTier{{MinCharge: decimal.Zero, MaxCharge: dec(1000, 0), Multiplier: one},
				{MinCharge: dec(1000, 0), MaxCharge: dec(rapid.SampledFrom([]int64{1000, 999}).Draw(t, "max"), 0), Multiplier: one}}
			path += ".minimumChargeTiers[1].maxCharge"
		case 6: // a gap between bands
			pp.MinimumChargeTiers = []spec.ChargeTier{{MinCharge: decimal.Zero, MaxCharge: dec(1000, 0), Multiplier: one},
				{MinCharge: dec(1000, 0).Add(units(1)), MaxCharge: dec(5000, 0), Multiplier: one}}
			path += ".minimumChargeTiers[1].minCharge"
		case 7: // a multiplier below 1, or below the previous band's
			pp.MinimumChargeTiers = []spec.ChargeTier{{MinCharge: decimal.Zero, MaxCharge: dec(1000, 0), Multiplier: dec(2, 0)},
				{MinCharge: dec(1000, 0), MaxCharge: dec(5000, 0), Multiplier: dec(2, 0).Sub(units(1))}}
			path += ".minimumChargeTiers[1].multiplier"
			if rapid.Bool().Draw(t, "belowOne") {
				pp.MinimumChargeTiers = pp.MinimumChargeTiers[:1]
				pp.MinimumChargeTiers[0].Multiplier = one.Sub(units(1))
				path = pre + ".portfolioMargin.minimumChargeTiers[0].multiplier"
			}
		case 8: // an initial margin factor below 1
			pp.InitialMarginFactor = nd(one.Sub(units(rapid.Int64Range(1, 100_000_000).Draw(t, "below"))))
			path += ".initialMarginFactor"
		case 9: // an expiry of 0 or below (MKT-6, checked before the parameters)
			x := decimal.Zero // exactly 0 half of the time: the boundary of "> 0"
			if rapid.Bool().Draw(t, "negative") {
				x = units(-rapid.Int64Range(1, 100_000_000).Draw(t, "expiry"))
			}
			m.Expiry, path, rule = &x, pre+".expiry", "MKT-6"
		case 10: // PM-2: a cross position beside the portfolio ones, before or after them
			first := slices.IndexFunc(s.Account.Positions, func(p spec.Position) bool { return p.MarginMode == spec.Portfolio })
			if first < 0 {
				t.Skip("no portfolio position")
			}
			s.Markets["ZCROSS"] = spec.Market{TickSize: units(1), LotSize: units(1), MMBasis: spec.BasisMark,
				Tiers: []spec.Tier{{MinNotional: decimal.Zero, MaxNotional: dec(1_000_000, 0), MaintenanceMarginRate: dec(5, -3), MaxLeverage: dec(20, 0)}}}
			s.Prices["ZCROSS"] = spec.Price{Mark: nd(dec(100, 0))}
			cp := spec.Position{Market: "ZCROSS", Side: spec.Long, Size: one, EntryPrice: dec(100, 0), MarginMode: spec.Cross}
			ps := slices.Clone(s.Account.Positions)
			if rapid.Bool().Draw(t, "crossFirst") { // the later of the two is the first portfolio position
				s.Account.Positions, path = slices.Insert(ps, 0, cp), fmt.Sprintf("account.positions[%d].marginMode", first+1)
			} else {
				s.Account.Positions, path = append(ps, cp), fmt.Sprintf("account.positions[%d].marginMode", len(ps))
			}
			rule = "PM-2"
		}
		m.PortfolioMargin = pp
		s.Markets[name] = m
		_, err := e.evaluate(t, s, "broken")
		me := asError(err)
		if me == nil || me.Path != path || me.Rule != rule {
			e.fail(t, []named{{"broken", s}}, "want the error %s at %q, got %v (PM-1/validation)", rule, path, err)
		}
	}
}

// secondOfUnderlying returns the index of the first portfolio position of s
// whose underlying an earlier portfolio position on another market shares
// (the later of the two, where PM-2 reports unequal parameters).
func secondOfUnderlying(s *spec.Scenario) (int, bool) {
	seen := map[string]string{} // underlying -> the first market holding a portfolio position on it
	for j, p := range s.Account.Positions {
		if p.MarginMode != spec.Portfolio {
			continue
		}
		u := s.Markets[p.Market].Underlying
		if m, ok := seen[u]; ok && m != p.Market {
			return j, true
		} else if !ok {
			seen[u] = p.Market
		}
	}
	return 0, false
}

// unusedShock returns a valid shock (in (-1, 1)) that shocks does not list.
func unusedShock(shocks []decimal.Decimal) decimal.Decimal {
	for v := int64(1); ; v++ {
		x := units(v)
		if !slices.ContainsFunc(shocks, x.Equal) {
			return x
		}
	}
}
