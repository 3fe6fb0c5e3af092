package gen

import (
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// NearLiquidation generates a scenario (from Scenario) in which one
// position's mark is moved to its liquidation price (on the tick grid or the
// exact one, taken from the oracle, Config.Evaluate) or one tick / one unit on either side
// of it, where the liquidation trigger flips (unchanged when it has none);
// one time in three (when c allows isolated positions) the position is then
// made an isolated long whose LIQ-3 root is exactly P = 0 (zeroRoot).
func NearLiquidation(c Config) *rapid.Generator[*spec.Scenario] {
	return rapid.Custom(func(t *rapid.T) *spec.Scenario {
		s := scenarioGen(c, c.atLeastOne()).Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		k := rapid.Int64Range(-1, 1).Draw(t, "ticksFromLiquidation")
		exactGrid := rapid.Bool().Draw(t, "exactGrid")
		moveMark(c, s, i, k, exactGrid)
		return s
	})
}

// ZeroRoot generates a scenario (from Scenario) in which one position (the
// first on an entry-basis market, when there is one) is an isolated long
// whose LIQ-3 root is exactly P = 0 (zeroRoot): f(0) = 0, the boundary
// where LIQ-3 decides whether a liquidation price exists. Without isolated
// positions (c.Isolated false), or when the margin would be off the 1e-8
// grid, the scenario is returned as drawn.
func ZeroRoot(c Config) *rapid.Generator[*spec.Scenario] {
	return rapid.Custom(func(t *rapid.T) *spec.Scenario {
		s := scenarioGen(c, c.atLeastOne()).Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		if c.Isolated {
			zeroRoot(s, i)
		}
		return s
	})
}

// moveMark moves position i's mark k ticks (or units, on the exact grid)
// from its liquidation price, when it has one.
func moveMark(c Config, s *spec.Scenario, i int, k int64, exactGrid bool) {
	rep, err := c.evaluate(s)
	if err != nil {
		return
	}
	pr := rep.Positions[i]
	name := s.Account.Positions[i].Market
	base, step := pr.LiquidationPrice, s.Markets[name].TickSize
	if exactGrid {
		base, step = pr.LiquidationPriceExact, units(1)
	}
	if !base.Valid {
		return
	}
	mark := base.Decimal.Add(step.Mul(dec(k, 0)))
	if mark.Sign() > 0 && !mark.GreaterThan(maxDecimal) {
		s.Prices[name] = spec.Price{Mark: nd(mark)}
	}
}

// zeroRoot makes position i (or the first position on an entry-basis
// market, when there is one), on a market that offers isolated margin
// (its tier rules made the defaults), an isolated long with the isolated margin at which LIQ-3's f(0) is exactly
// 0: M = V (mark basis: f(0) = M - V) or M = V + MM(V) (entry basis: f(0) =
// M - V - MM(V)), V the cost basis, when that M is on the 1e-8 grid and in
// range. The root is then P = 0 exactly, where LIQ-3 decides whether a
// liquidation price exists (the trigger's side of equality).
func zeroRoot(s *spec.Scenario, i int) {
	for j, q := range s.Account.Positions { // an entry-basis market if there is one: its case is the rarer
		if m := s.Markets[q.Market]; m.MMBasis == spec.BasisEntry && offersIsolated(m) {
			i = j
			break
		}
	}
	p := &s.Account.Positions[i]
	m, ok := isolateOnDefaultTiers(s, p)
	if !ok {
		return
	}
	p.Side = spec.Long
	v := costBasis(p)
	mg := v.Rat()
	if m.MMBasis == spec.BasisEntry {
		mg.Add(mg, specutil.MM(m, v))
	}
	setMarginExact(p, mg)
}

// GridRoot generates a scenario (from Scenario) in which one position is
// an isolated one whose liquidation root (LIQ-4) lies exactly on the tick
// grid: f(P*) = 0 at a tick price P* within three ticks of its mark, and the
// mark is moved to P* or one tick on either side. There LIQ-5 and LIQ-6
// decide between the root and the next tick by the trigger (strict or
// at-equality). Without isolated positions (c.Isolated false), a computed
// mark, or a margin that would be negative or off the 1e-8 grid, the
// scenario is returned as drawn (the position possibly made isolated).
func GridRoot(c Config) *rapid.Generator[*spec.Scenario] {
	return rapid.Custom(func(t *rapid.T) *spec.Scenario {
		s := scenarioGen(c, c.atLeastOne()).Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		k := rapid.Int64Range(-3, 3).Draw(t, "rootTicks")
		mt := rapid.Int64Range(-1, 1).Draw(t, "markTicks")
		if c.Isolated {
			gridRoot(s, i, k, mt)
		}
		return s
	})
}

// gridRoot gives position i (made isolated, its market's tier rules the
// defaults) the isolated margin K with f(P*) = K + s*(Q*P* - V) - MM = 0,
// P* = the mark floored to the tick grid plus k ticks, MM = MM(Q*P*) (mark
// basis) or MM(V) (entry basis); then the mark P* + mt ticks.
func gridRoot(s *spec.Scenario, i int, k, mt int64) {
	p := &s.Account.Positions[i]
	pr := s.Prices[p.Market]
	if !pr.Mark.Valid {
		return
	}
	m, ok := isolateOnDefaultTiers(s, p)
	if !ok {
		return
	}
	tick := m.TickSize
	root := specutil.FloorGrid(pr.Mark.Decimal, tick).Add(tick.Mul(dec(k, 0)))
	if root.Sign() <= 0 {
		return
	}
	v, n := costBasis(p), p.Size.Mul(root)
	mm := specutil.MM(m, n)
	if m.MMBasis == spec.BasisEntry {
		mm = specutil.MM(m, v)
	}
	// K = MM - s*(n - V).
	kk := n.Sub(v).Rat()
	if p.Side == spec.Long {
		kk.Neg(kk)
	}
	kk.Add(kk, mm)
	if kk.Sign() < 0 || !setMarginExact(p, kk) {
		return
	}
	if mark := root.Add(tick.Mul(dec(mt, 0))); mark.Sign() > 0 && !mark.GreaterThan(maxDecimal) {
		s.Prices[p.Market] = spec.Price{Mark: nd(mark)}
	}
}

// offersIsolated says whether m allows isolated positions (MKT-4: no list
// allows both modes).
func offersIsolated(m spec.Market) bool {
	return len(m.MarginModes) == 0 || slices.Contains(m.MarginModes, spec.Isolated)
}

// isolateOnDefaultTiers makes p isolated and its market's tier rules the
// defaults (the trigger is every market's, VAR-1: kept; the maintenance
// amounts by TIER-6's recursion, since a flat table's given 0s would break
// it), so that specutil.MM is its MM. It reports false, changing nothing,
// when the market does not offer isolated margin.
func isolateOnDefaultTiers(s *spec.Scenario, p *spec.Position) (spec.Market, bool) {
	m := s.Markets[p.Market]
	if !offersIsolated(m) {
		return m, false
	}
	p.MarginMode = spec.Isolated
	if v := m.Variants; v != nil && (v.Get("tierBound") != spec.TierBoundLower || v.Get("tierSchedule") != spec.TierScheduleProgressive ||
		v.Get("maintenanceRate") != spec.MaintenanceRateGiven || v.Get("closeFee") != spec.CloseFeeNone) {
		m.Variants = &spec.Variants{Trigger: v.Trigger}
		m.Tiers = append([]spec.Tier(nil), m.Tiers...)
		for t := range m.Tiers {
			m.Tiers[t].MaintenanceAmount = decimal.NullDecimal{}
		}
		s.Markets[p.Market] = m
	}
	return m, true
}

// costBasis is a position's V: entryValue, or size x entryPrice.
func costBasis(p *spec.Position) decimal.Decimal {
	if p.EntryValue.Valid {
		return p.EntryValue.Decimal
	}
	return p.Size.Mul(p.EntryPrice)
}

// setMarginExact sets p's isolated margin to x when x is on the 1e-8 grid
// and at most MAX, and reports whether it did.
func setMarginExact(p *spec.Position, x *big.Rat) bool {
	d := decimal.NewFromBigRat(x, 8)
	if d.Rat().Cmp(x) != 0 || d.GreaterThan(maxDecimal) {
		return false
	}
	p.IsolatedMargin = nd(d)
	return true
}

// NearTierBoundary generates a scenario (from Scenario) in which one
// position's notional at the mark is exactly a tier boundary (when the
// boundary divided by the size is on the 1e-8 grid) or one unit or one tick
// of price on either side of it. Now and then the entry price is moved there
// too, for markets with mmBasis "entry".
func NearTierBoundary(c Config) *rapid.Generator[*spec.Scenario] {
	return rapid.Custom(func(t *rapid.T) *spec.Scenario {
		s := scenarioGen(c, c.atLeastOne()).Draw(t, "scenario")
		i := rapid.IntRange(0, len(s.Account.Positions)-1).Draw(t, "position")
		p := &s.Account.Positions[i]
		m := s.Markets[p.Market]
		if len(m.Tiers) < 2 {
			return s
		}
		b := m.Tiers[rapid.IntRange(1, len(m.Tiers)-1).Draw(t, "boundary")].MinNotional
		if rapid.Bool().Draw(t, "roundSize") {
			p.Size = m.LotSize.Mul(dec(1, int32(rapid.IntRange(0, 6).Draw(t, "sizeExp"))))
		}
		q := new(big.Rat).Quo(rat(b), rat(p.Size))
		step := units(1)
		if rapid.Bool().Draw(t, "tickStep") {
			step = m.TickSize
		}
		mark := decimal.NewFromBigRat(down(q), 8).Add(step.Mul(dec(rapid.Int64Range(-1, 1).Draw(t, "stepsFromBoundary"), 0)))
		if mark.Sign() <= 0 || mark.GreaterThan(maxDecimal) {
			return s
		}
		s.Prices[p.Market] = spec.Price{Mark: nd(mark)}
		if rapid.IntRange(0, 2).Draw(t, "entryAtBoundary") == 0 {
			p.EntryPrice, p.EntryValue = mark, decimal.NullDecimal{}
		}
		if p.MarginMode == spec.Isolated && !p.IsolatedMargin.Valid {
			p.IsolatedMargin = nd(decimal.Min(maxDecimal, p.Size.Mul(p.EntryPrice).Mul(dec(1, -1)).Truncate(8)))
		}
		return s
	})
}

// Corruption is a scenario with exactly one broken field and the error SPEC
// requires for it: the first violation in EVAL-2 order is at Path and breaks
// Rule.
type Corruption struct {
	Scenario *spec.Scenario
	Path     string
	Rule     string
	// Kind says what was broken, e.g. "NUM-1 on account.walletBalance".
	Kind string
}

// Corrupted generates a valid scenario with one field broken: a digit beyond
// the 8th decimal (NUM-1), a value beyond MAX (NUM-2), or one of the
// semantic rules (MKT-1, MKT-3, MKT-4, MKT-5, TIER-1..6 including explicit
// initial margin rates, PRICE-1, PRICE-2, MARK-1, ACC-1, POS-1..6), with
// the Path and Rule of the expected error.
func Corrupted(c Config) *rapid.Generator[Corruption] {
	return rapid.Custom(func(t *rapid.T) Corruption {
		s := scenarioGen(c, c.atLeastOne()).Draw(t, "scenario")
		cands, edge, rare := corruptions(c, s)
		var cr corruption
		switch k := rapid.IntRange(0, 3).Draw(t, "corruptionKind"); {
		case k == 0 && len(rare) > 0:
			// A scenario whose first market has explicit initial margin
			// rates or TIER-3:half-initial: one time in four one of their
			// corruptions (few among the many NUM ones).
			cr = rare[rapid.IntRange(0, len(rare)-1).Draw(t, "which")]
		case k == 1:
			// One time in four a value exactly at an excluded end of a
			// range, or one unit past an ordering of the tiers.
			cr = edge[rapid.IntRange(0, len(edge)-1).Draw(t, "edge")]
		default:
			cr = cands[rapid.IntRange(0, len(cands)-1).Draw(t, "corruption")]
		}
		cr.apply()
		return Corruption{Scenario: s, Path: cr.path, Rule: cr.rule, Kind: cr.rule + " on " + cr.path}
	})
}

type corruption struct {
	path, rule string
	apply      func()
}

// corruptions lists the ways to break s with a known first violation; apart
// (edge) those that put a value of s's first market exactly on the excluded
// end of a range or one unit past an ordering of its tiers, and (rare)
// those of its explicit initial margin rates and of TIER-3:half-initial's
// requirements.
func corruptions(c Config, s *spec.Scenario) (out, edge, rare []corruption) {
	offGrid := func(d decimal.Decimal) decimal.Decimal { return d.Add(dec(1, -9)) }
	beyond := units(maxUnits).Add(units(1))
	// numeric fields: NUM-1 and NUM-2 (each field's NUM checks come first).
	type field struct {
		path string
		get  func() decimal.Decimal
		set  func(decimal.Decimal)
	}
	var fields []field
	for _, name := range slices.Sorted(maps.Keys(s.Markets)) {
		name := name
		mp := "markets." + name
		upd := func(f func(m *spec.Market)) {
			m := s.Markets[name]
			m.Tiers = append([]spec.Tier(nil), m.Tiers...)
			f(&m)
			s.Markets[name] = m
		}
		fields = append(fields,
			field{mp + ".tickSize", func() decimal.Decimal { return s.Markets[name].TickSize }, func(d decimal.Decimal) { upd(func(m *spec.Market) { m.TickSize = d }) }},
			field{mp + ".lotSize", func() decimal.Decimal { return s.Markets[name].LotSize }, func(d decimal.Decimal) { upd(func(m *spec.Market) { m.LotSize = d }) }},
			field{mp + ".liquidationFeeRate", func() decimal.Decimal { return s.Markets[name].LiquidationFeeRate.Decimal }, func(d decimal.Decimal) { upd(func(m *spec.Market) { m.LiquidationFeeRate = nd(d) }) }},
		)
		for ti := range s.Markets[name].Tiers {
			ti := ti
			tp := fmt.Sprintf("%s.tiers[%d]", mp, ti)
			fields = append(fields,
				field{tp + ".maxNotional", func() decimal.Decimal { return s.Markets[name].Tiers[ti].MaxNotional }, func(d decimal.Decimal) { upd(func(m *spec.Market) { m.Tiers[ti].MaxNotional = d }) }},
				field{tp + ".maintenanceMarginRate", func() decimal.Decimal { return s.Markets[name].Tiers[ti].MaintenanceMarginRate }, func(d decimal.Decimal) { upd(func(m *spec.Market) { m.Tiers[ti].MaintenanceMarginRate = d }) }},
				field{tp + ".maxLeverage", func() decimal.Decimal { return s.Markets[name].Tiers[ti].MaxLeverage }, func(d decimal.Decimal) { upd(func(m *spec.Market) { m.Tiers[ti].MaxLeverage = d }) }},
			)
			if s.Markets[name].Tiers[ti].InitialMarginRate != nil {
				fields = append(fields, field{tp + ".initialMarginRate", func() decimal.Decimal { return *s.Markets[name].Tiers[ti].InitialMarginRate },
					func(d decimal.Decimal) { upd(func(m *spec.Market) { m.Tiers[ti].InitialMarginRate = &d }) }})
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Prices)) {
		name := name
		pp := "prices." + name
		pr := s.Prices[name]
		if pr.Mark.Valid {
			fields = append(fields, field{pp + ".mark", func() decimal.Decimal { return s.Prices[name].Mark.Decimal }, func(d decimal.Decimal) { p := s.Prices[name]; p.Mark = nd(d); s.Prices[name] = p }})
		} else {
			fields = append(fields, field{pp + ".last", func() decimal.Decimal { return s.Prices[name].Last.Decimal }, func(d decimal.Decimal) { p := s.Prices[name]; p.Last = nd(d); s.Prices[name] = p }})
		}
	}
	fields = append(fields, field{"account.walletBalance", func() decimal.Decimal { return s.Account.WalletBalance }, func(d decimal.Decimal) { s.Account.WalletBalance = d }})
	s.Account.Positions = append([]spec.Position(nil), s.Account.Positions...)
	for i := range s.Account.Positions {
		i := i
		pp := fmt.Sprintf("account.positions[%d]", i)
		pos := func() *spec.Position { return &s.Account.Positions[i] }
		fields = append(fields, field{pp + ".size", func() decimal.Decimal { return pos().Size }, func(d decimal.Decimal) { pos().Size = d }})
		if !pos().EntryValue.Valid {
			fields = append(fields, field{pp + ".entryPrice", func() decimal.Decimal { return pos().EntryPrice }, func(d decimal.Decimal) { pos().EntryPrice = d }})
		}
		if pos().Leverage.Valid {
			fields = append(fields, field{pp + ".leverage", func() decimal.Decimal { return pos().Leverage.Decimal }, func(d decimal.Decimal) { pos().Leverage = nd(d) }})
		}
		if pos().IsolatedMargin.Valid {
			fields = append(fields, field{pp + ".isolatedMargin", func() decimal.Decimal { return pos().IsolatedMargin.Decimal }, func(d decimal.Decimal) { pos().IsolatedMargin = nd(d) }})
		}
	}
	for _, f := range fields {
		f := f
		out = append(out,
			corruption{f.path, "NUM-1", func() { f.set(offGrid(f.get())) }},
			corruption{f.path, "NUM-2", func() { f.set(beyond) }})
	}

	// Semantic rules.
	name := slices.Sorted(maps.Keys(s.Markets))[0]
	mp := "markets." + name
	updM := func(f func(m *spec.Market)) func() {
		return func() {
			m := s.Markets[name]
			m.Tiers = append([]spec.Tier(nil), m.Tiers...)
			m.MarginModes = append([]spec.MarginMode(nil), m.MarginModes...)
			f(&m)
			s.Markets[name] = m
		}
	}
	m0 := s.Markets[name]
	last := len(m0.Tiers) - 1
	// TIER-3:half-initial: maxLeverage must be an integer (TIER-3 before
	// TIER-4), MMR_t = 1/(2 maxLeverage_t) and TIER-5 holds by TIER-4.
	half := m0.Variants != nil && m0.Variants.MaintenanceRate == spec.MaintenanceRateHalfInitial
	badLev := dec(5, -1)
	if half {
		badLev = decimal.Zero
	}
	rateOf := func(tr spec.Tier) *big.Rat {
		if half {
			return new(big.Rat).Quo(big.NewRat(1, 2), rat(tr.MaxLeverage))
		}
		return rat(tr.MaintenanceMarginRate)
	}
	out = append(out,
		corruption{mp + ".tickSize", "MKT-1", updM(func(m *spec.Market) { m.TickSize = decimal.Zero })},
		corruption{mp + ".lotSize", "MKT-1", updM(func(m *spec.Market) { m.LotSize = dec(-1, 0) })},
		corruption{mp + ".mmBasis", "MKT-3", updM(func(m *spec.Market) { m.MMBasis = "spot" })},
		corruption{mp + ".marginModes", "MKT-4", updM(func(m *spec.Market) { m.MarginModes = []spec.MarginMode{spec.Cross, spec.Cross} })},
		corruption{mp + ".liquidationFeeRate", "MKT-5", updM(func(m *spec.Market) { m.LiquidationFeeRate = nd(dec(1, 0)) })},
		corruption{mp + ".markPriceBand", "MKT-5", updM(func(m *spec.Market) { m.MarkPriceBand = nd(dec(1, 0)) })},
		corruption{mp + ".tiers[0].minNotional", "TIER-1", updM(func(m *spec.Market) { m.Tiers[0].MinNotional = units(1) })},
		corruption{fmt.Sprintf("%s.tiers[%d].maxNotional", mp, last), "TIER-2", updM(func(m *spec.Market) { m.Tiers[last].MaxNotional = m.Tiers[last].MinNotional })},
		corruption{fmt.Sprintf("%s.tiers[%d].maintenanceMarginRate", mp, last), "TIER-3", updM(func(m *spec.Market) { m.Tiers[last].MaintenanceMarginRate = dec(1, 0) })},
		corruption{fmt.Sprintf("%s.tiers[%d].maxLeverage", mp, last), "TIER-4", updM(func(m *spec.Market) { m.Tiers[last].MaxLeverage = badLev })},
		corruption{fmt.Sprintf("%s.tiers[%d].maintenanceAmount", mp, last), "TIER-6", updM(func(m *spec.Market) {
			cum := new(big.Rat)
			for i := 1; i <= last; i++ {
				cum = ratAdd(cum, ratMul(rat(m.Tiers[i].MinNotional), ratSub(rateOf(m.Tiers[i]), rateOf(m.Tiers[i-1]))))
			}
			m.Tiers[last].MaintenanceAmount = nd(decimal.NewFromBigRat(down(cum), 8).Add(units(1)))
		})},
		corruption{"prices.ZZZ", "PRICE-1", func() { s.Prices["ZZZ"] = spec.Price{Mark: nd(dec(1, 0))} }},
		corruption{"account.walletBalance", "ACC-1", func() { s.Account.WalletBalance = units(-1) }},
	)
	if m0.Tiers[0].MaintenanceMarginRate.Sign() > 0 && last == 0 && !half {
		// TIER-5: maxLeverage * MMR > 1 on the only tier.
		mmr := m0.Tiers[0].MaintenanceMarginRate
		out = append(out, corruption{mp + ".tiers[0].maxLeverage", "TIER-5", updM(func(m *spec.Market) {
			m.Tiers[0].MaxLeverage = dec(1, 0).Div(mmr).Floor().Add(dec(1, 0))
		})})
	}
	if len(m0.Tiers) > 0 {
		out = append(out, corruption{mp + ".tiers", "TIER-1", updM(func(m *spec.Market) { m.Tiers = nil })})
	}
	// MKT-5's bounds, each at the excluded end exactly (band in (0, 1), the
	// fee rates in [0, 1), the funding cap in (0, 1)): an engine that
	// writes one comparison the other way accepts these.
	one := dec(1, 0)
	edge = append(edge,
		corruption{mp + ".markPriceBand", "MKT-5", updM(func(m *spec.Market) { m.MarkPriceBand = nd(decimal.Zero) })},
		corruption{mp + ".makerFeeRate", "MKT-5", updM(func(m *spec.Market) { m.MakerFeeRate = nd(one) })},
		corruption{mp + ".takerFeeRate", "MKT-5", updM(func(m *spec.Market) { m.TakerFeeRate = nd(one) })},
		corruption{mp + ".fundingRateCap", "MKT-5", updM(func(m *spec.Market) { m.FundingRateCap = nd(one) })},
		corruption{mp + ".fundingRateCap", "MKT-5", updM(func(m *spec.Market) { m.FundingRateCap = nd(decimal.Zero) })},
	)
	if last > 0 {
		// TIER-2's contiguity, TIER-3's non-decreasing rates and TIER-4's
		// non-increasing leverage, each broken on the last tier by one
		// unit (when that leaves the tier's other checks passing).
		prev, lt := m0.Tiers[last-1], m0.Tiers[last]
		if gap := prev.MaxNotional.Add(units(1)); gap.LessThan(lt.MaxNotional) {
			edge = append(edge, corruption{fmt.Sprintf("%s.tiers[%d].minNotional", mp, last), "TIER-2", updM(func(m *spec.Market) { m.Tiers[last].MinNotional = gap })})
		}
		if prev.MaintenanceMarginRate.Sign() > 0 {
			edge = append(edge, corruption{fmt.Sprintf("%s.tiers[%d].maintenanceMarginRate", mp, last), "TIER-3", updM(func(m *spec.Market) {
				m.Tiers[last].MaintenanceMarginRate = prev.MaintenanceMarginRate.Sub(units(1))
			})})
		}
		if !half {
			edge = append(edge, corruption{fmt.Sprintf("%s.tiers[%d].maxLeverage", mp, last), "TIER-4", updM(func(m *spec.Market) {
				m.Tiers[last].MaxLeverage = prev.MaxLeverage.Add(units(1))
			})})
		}
	}
	if v := m0.Variants; v != nil && v.CloseFee == spec.CloseFeeTaker && !half {
		// QTY-5:taker: MMR_t + takerFeeRate < 1, at equality on the first
		// tier with the table's largest rate (the rates are
		// non-decreasing); the fee itself stays in MKT-5's [0, 1).
		top := m0.Tiers[last].MaintenanceMarginRate
		first := slices.IndexFunc(m0.Tiers, func(tr spec.Tier) bool { return tr.MaintenanceMarginRate.Equal(top) })
		if top.Sign() > 0 {
			edge = append(edge, corruption{fmt.Sprintf("%s.tiers[%d].maintenanceMarginRate", mp, first), "QTY-5", updM(func(m *spec.Market) {
				m.TakerFeeRate = nd(one.Sub(top))
			})})
		}
	}
	if half {
		// TIER-3:half-initial's requirements, checked right after the
		// given rate's checks of each tier: an integer maxLeverage (tier 0:
		// no TIER-4 comparison with an earlier tier), and D = lcm(2 *
		// maxLeverage) <= 10^6 over the tiers checked so far. The generated
		// leverages divide 6000 (2^4 * 3 * 5^3), so tier 0 at 15625 (2L =
		// 2 * 5^6) keeps D <= 750,000 and the last tier at 64 (2L = 2^7)
		// takes it past 10^6 there: the lcm, not one tier's 2L, exceeds.
		rare = append(rare, corruption{mp + ".tiers[0].maxLeverage", "TIER-3", updM(func(m *spec.Market) {
			m.Tiers[0].MaxLeverage = m.Tiers[0].MaxLeverage.Add(dec(5, -1))
		})})
		if last > 0 {
			rare = append(rare, corruption{fmt.Sprintf("%s.tiers[%d].maxLeverage", mp, last), "TIER-3", updM(func(m *spec.Market) {
				m.Tiers[0].MaxLeverage, m.Tiers[last].MaxLeverage = dec(15625, 0), dec(64, 0)
			})})
		} else {
			rare = append(rare, corruption{mp + ".tiers[0].maxLeverage", "TIER-3", updM(func(m *spec.Market) { m.Tiers[0].MaxLeverage = dec(500_001, 0) })})
		}
	}
	if imr := m0.Tiers[last].InitialMarginRate; imr != nil {
		// Explicit initial margin rates (TIER-1's all-or-none, TIER-5's
		// range and non-decreasing), each on the last tier, whose checks
		// come last.
		ip := fmt.Sprintf("%s.tiers[%d].initialMarginRate", mp, last)
		setIMR := func(d *decimal.Decimal) func() {
			return updM(func(m *spec.Market) { m.Tiers[last].InitialMarginRate = d })
		}
		zero, aboveOne := decimal.Zero, dec(1, 0).Add(units(1))
		rare = append(rare,
			// A zero rate is seen by its range check alone only on tier 0
			// with MMR_0 = 0 (elsewhere non-decreasing or MMR_t <= IMR_t
			// fails too); TIER-6's maintenanceAmount of tier 0 is 0 anyway.
			corruption{mp + ".tiers[0].initialMarginRate", "TIER-5", updM(func(m *spec.Market) {
				m.Tiers[0].MaintenanceMarginRate, m.Tiers[0].InitialMarginRate = decimal.Zero, &zero
			})},
			corruption{ip, "TIER-5", setIMR(&aboveOne)})
		if last > 0 {
			below := m0.Tiers[last-1].InitialMarginRate.Sub(units(1))
			rare = append(rare,
				corruption{ip, "TIER-1", setIMR(nil)},
				corruption{ip, "TIER-5", setIMR(&below)})
		}
	}
	for _, pname := range slices.Sorted(maps.Keys(s.Prices)) {
		if s.Prices[pname].Mark.Valid {
			pname := pname
			out = append(out, corruption{"prices." + pname + ".mark", "MARK-1", func() { p := s.Prices[pname]; p.Mark = nd(decimal.Zero); s.Prices[pname] = p }})
			break
		}
	}
	for _, pname := range slices.Sorted(maps.Keys(s.Prices)) {
		if pr := s.Prices[pname]; !pr.Mark.Valid && pr.Index.Valid {
			// MARK-2: a computed mark's index must be > 0; 0 exactly.
			pname := pname
			edge = append(edge, corruption{"prices." + pname + ".index", "MARK-2", func() { p := s.Prices[pname]; p.Index = nd(decimal.Zero); s.Prices[pname] = p }})
			break
		}
	}
	i := len(s.Account.Positions) - 1 // the last position: every earlier one is valid
	pp := fmt.Sprintf("account.positions[%d]", i)
	pos := func() *spec.Position { return &s.Account.Positions[i] }
	pm := s.Markets[pos().Market]
	out = append(out,
		corruption{pp + ".market", "POS-1", func() { pos().Market = "ZZZ" }},
		corruption{pp + ".market", "PRICE-2", func() { delete(s.Prices, pos().Market) }},
		corruption{pp + ".side", "POS-2", func() { pos().Side = "sideways" }},
		corruption{pp + ".size", "POS-2", func() { pos().Size = decimal.Zero }},
		corruption{pp + ".marginMode", "POS-3", func() { pos().MarginMode = "spread" }},
		corruption{pp + ".leverage", "POS-4", func() { pos().Leverage = nd(pm.Tiers[0].MaxLeverage.Add(units(1))) }},
		corruption{pp + ".leverage", "POS-4", func() { pos().Leverage = nd(dec(99, -2)) }},
		corruption{fmt.Sprintf("account.positions[%d].market", i+1), "POS-6", func() {
			s.Account.Positions = append(s.Account.Positions, *pos())
		}},
	)
	if pm.LotSize.GreaterThan(units(1)) {
		out = append(out, corruption{pp + ".size", "POS-2", func() { pos().Size = pos().Size.Add(units(1)) }})
	}
	if !pos().EntryValue.Valid {
		out = append(out, corruption{pp + ".entryPrice", "POS-2", func() { pos().EntryPrice = units(-1) }})
	}
	// POS-2: a given entryValue must be > 0: 0 exactly on the first
	// position, given instead of its entryPrice (beside a price, 0 would
	// also break V = size * entryPrice, at the same path and rule).
	edge = append(edge, corruption{"account.positions[0].entryValue", "POS-2", func() {
		s.Account.Positions[0].EntryPrice, s.Account.Positions[0].EntryValue = decimal.Zero, nd(decimal.Zero)
	}})
	if pos().MarginMode == spec.Cross {
		out = append(out, corruption{pp + ".isolatedMargin", "POS-5", func() { pos().IsolatedMargin = nd(dec(1, 0)) }})
		if c.Isolated {
			out = append(out, corruption{pp + ".marginMode", "POS-3", func() {
				m := s.Markets[pos().Market]
				m.MarginModes = []spec.MarginMode{spec.Cross}
				s.Markets[pos().Market] = m
				pos().MarginMode = spec.Isolated
			}})
		}
	} else {
		out = append(out, corruption{pp + ".isolatedMargin", "POS-5", func() { pos().IsolatedMargin = nd(units(-1)) }})
	}
	return out, edge, rare
}
