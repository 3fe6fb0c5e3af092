package reference

import (
	"fmt"
	"slices"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is SPEC PM (portfolio margin) and MKT-6, transcribed: the
// validation of a market's underlying, expiry and portfolioMargin (EVAL-2
// step 1, after the tiers), PM-2 (step 3, after the positions), and the
// portfolio report of PM-3..13.

// pmMarket is a market's MKT-6 and PM-1 data.
type pmMarket struct {
	underlying string       // MKT-6: absent or empty is the market's name
	expiry     *apd.Decimal // MKT-6: years to expiry T, 0 for a perpetual
	params     *pmParams    // PM-1; nil when the market has none
}

// pmParams are validated PM-1 parameters with their defaults.
type pmParams struct {
	shocks                                      []*apd.Decimal
	extreme, fraction, basis, contingency, rate *apd.Decimal
	tiers                                       []chargeTier
	imFactor                                    *apd.Decimal
}

// chargeTier is one band of PM-8 with its cum (TIER-6's recursion).
type chargeTier struct{ min, max, mult, cum *apd.Decimal }

// validatePMMarket is the end of EVAL-2 step 1 for one market: expiry (NUM,
// MKT-6), then portfolioMargin (PM-1) field by field.
func validatePMMarket(p string, m spec.Market) (*pmMarket, *spec.Error) {
	out := &pmMarket{underlying: m.Underlying, expiry: dec(0)}
	if m.Expiry != nil {
		e, err := num(*m.Expiry, p+".expiry")
		if err != nil {
			return nil, err
		}
		if e.Sign() <= 0 {
			return nil, fail(p+".expiry", "MKT-6", "expiry must be > 0 (years to expiry), got %s", str(e))
		}
		out.expiry = e
	}
	if m.PortfolioMargin == nil {
		return out, nil
	}
	pp, err := validatePMParams(p+".portfolioMargin", m.PortfolioMargin)
	if err != nil {
		return nil, err
	}
	out.params = pp
	return out, nil
}

// inRangeRule checks lo <= x (or lo < x) and x < hi (or x <= hi).
func inRangeRule(x *apd.Decimal, lo, hi int64, loOpen, hiOpen bool) bool {
	c := x.Cmp(dec(lo))
	if c < 0 || (loOpen && c == 0) {
		return false
	}
	c = x.Cmp(dec(hi))
	return c < 0 || (!hiOpen && c == 0)
}

// validatePMParams is PM-1.
func validatePMParams(p string, in *spec.PortfolioParams) (*pmParams, *spec.Error) {
	out := &pmParams{}
	if len(in.Shocks) == 0 {
		return nil, fail(p+".shocks", "PM-1", "shocks must list at least one price move")
	}
	for j, d := range in.Shocks {
		q := fmt.Sprintf("%s.shocks[%d]", p, j)
		x, err := num(d, q)
		if err != nil {
			return nil, err
		}
		if !inRangeRule(x, -1, 1, true, true) {
			return nil, fail(q, "PM-1", "a shock must be in (-1, 1), got %s", str(x))
		}
		for _, y := range out.shocks {
			if x.Cmp(y) == 0 {
				return nil, fail(q, "PM-1", "shock %s listed twice", str(x))
			}
		}
		out.shocks = append(out.shocks, x)
	}
	opt := func(name string, v decimal.NullDecimal, def int64, hi int64, hiOpen bool, what string) (*apd.Decimal, *spec.Error) {
		x, err := numNull(v, p+"."+name)
		if err != nil {
			return nil, err
		}
		if x == nil {
			return dec(def), nil
		}
		if !inRangeRule(x, 0, hi, false, hiOpen) {
			return nil, fail(p+"."+name, "PM-1", "%s must be in %s, got %s", name, what, str(x))
		}
		return x, nil
	}
	var err *spec.Error
	if out.extreme, err = opt("extremeMove", in.ExtremeMove, 0, 1, true, "[0, 1)"); err != nil {
		return nil, err
	}
	if out.fraction, err = opt("extremeFraction", in.ExtremeFraction, 1, 1, false, "[0, 1]"); err != nil {
		return nil, err
	}
	if out.basis, err = opt("basisRate", in.BasisRate, 0, 1, true, "[0, 1)"); err != nil {
		return nil, err
	}
	if out.contingency, err = opt("contingencyRate", in.ContingencyRate, 0, 1, true, "[0, 1)"); err != nil {
		return nil, err
	}
	if out.rate, err = opt("minimumChargeRate", in.MinimumChargeRate, 0, 1, true, "[0, 1)"); err != nil {
		return nil, err
	}
	if len(in.MinimumChargeTiers) == 0 {
		out.tiers = []chargeTier{{min: dec(0), max: nil, mult: dec(1), cum: dec(0)}}
	}
	for t, src := range in.MinimumChargeTiers {
		q := fmt.Sprintf("%s.minimumChargeTiers[%d]", p, t)
		var tr chargeTier
		if tr.min, err = num(src.MinCharge, q+".minCharge"); err != nil {
			return nil, err
		}
		if t == 0 && !tr.min.IsZero() {
			return nil, fail(q+".minCharge", "PM-1", "the first band's minCharge must be 0, got %s", str(tr.min))
		}
		if tr.max, err = num(src.MaxCharge, q+".maxCharge"); err != nil {
			return nil, err
		}
		if tr.min.Cmp(tr.max) >= 0 {
			return nil, fail(q+".maxCharge", "PM-1", "maxCharge %s must be > minCharge %s", str(tr.max), str(tr.min))
		}
		if t > 0 && out.tiers[t-1].max.Cmp(tr.min) != 0 {
			return nil, fail(q+".minCharge", "PM-1", "minCharge %s must equal the previous band's maxCharge %s", str(tr.min), str(out.tiers[t-1].max))
		}
		if tr.mult, err = num(src.Multiplier, q+".multiplier"); err != nil {
			return nil, err
		}
		if tr.mult.Cmp(dec(1)) < 0 {
			return nil, fail(q+".multiplier", "PM-1", "multiplier must be >= 1, got %s", str(tr.mult))
		}
		if t > 0 && tr.mult.Cmp(out.tiers[t-1].mult) < 0 {
			return nil, fail(q+".multiplier", "PM-1", "multiplier %s is below the previous band's %s", str(tr.mult), str(out.tiers[t-1].mult))
		}
		// PM-8: cum_1 = 0, cum_t = cum_(t-1) + minCharge_t * (mult_t - mult_(t-1)).
		tr.cum = dec(0)
		if t > 0 {
			tr.cum = add(out.tiers[t-1].cum, mul(tr.min, sub(tr.mult, out.tiers[t-1].mult)))
		}
		out.tiers = append(out.tiers, tr)
	}
	if out.imFactor, err = numNull(in.InitialMarginFactor, p+".initialMarginFactor"); err != nil {
		return nil, err
	}
	if out.imFactor == nil {
		out.imFactor = dec(1)
	} else if out.imFactor.Cmp(dec(1)) < 0 {
		return nil, fail(p+".initialMarginFactor", "PM-1", "initialMarginFactor must be >= 1, got %s", str(out.imFactor))
	}
	return out, nil
}

// equal compares two parameter sets by value (NUM-6, PM-2).
func (a *pmParams) equal(b *pmParams) bool {
	eq := func(x, y *apd.Decimal) bool {
		if x == nil || y == nil {
			return x == nil && y == nil
		}
		return x.Cmp(y) == 0
	}
	if len(a.shocks) != len(b.shocks) || len(a.tiers) != len(b.tiers) {
		return false
	}
	for j := range a.shocks {
		if !eq(a.shocks[j], b.shocks[j]) {
			return false
		}
	}
	for t := range a.tiers {
		if !eq(a.tiers[t].min, b.tiers[t].min) || !eq(a.tiers[t].max, b.tiers[t].max) || !eq(a.tiers[t].mult, b.tiers[t].mult) {
			return false
		}
	}
	return eq(a.extreme, b.extreme) && eq(a.fraction, b.fraction) && eq(a.basis, b.basis) &&
		eq(a.contingency, b.contingency) && eq(a.rate, b.rate) && eq(a.imFactor, b.imFactor)
}

// underlyingOf is MKT-6's underlying of a market.
func underlyingOf(m *market) string {
	if m.pm == nil || m.pm.underlying == "" {
		return m.name
	}
	return m.pm.underlying
}

// validatePM2 is PM-2, run after the positions (EVAL-2 step 3).
func validatePM2(in *input) *spec.Error {
	firstPM, firstCross := -1, -1
	byUnit := map[string]*position{}
	for i, p := range in.positions {
		path := fmt.Sprintf("account.positions[%d]", i)
		switch p.mode {
		case spec.Cross:
			if firstCross < 0 {
				firstCross = i
			}
			if firstPM >= 0 {
				return fail(path+".marginMode", "PM-2", "a cross position beside the portfolio position positions[%d]: the portfolio pool takes the place of the cross pool", firstPM)
			}
		case spec.Portfolio:
			if p.mkt.pm == nil || p.mkt.pm.params == nil {
				return fail(path+".marginMode", "PM-2", "market %q has no portfolioMargin parameters", p.mkt.name)
			}
			if firstPM < 0 {
				firstPM = i
			}
			if firstCross >= 0 {
				return fail(path+".marginMode", "PM-2", "a portfolio position beside the cross position positions[%d]: the portfolio pool takes the place of the cross pool", firstCross)
			}
			u := underlyingOf(p.mkt)
			if q, ok := byUnit[u]; ok && !q.mkt.pm.params.equal(p.mkt.pm.params) {
				return fail(path+".market", "PM-2", "market %q's portfolioMargin differs from market %q's, on the same underlying %q", p.mkt.name, q.mkt.name, u)
			}
			if _, ok := byUnit[u]; !ok {
				byUnit[u] = p
			}
		}
	}
	return nil
}

// pmUnit is one risk unit's exact quantities (PM-3..9).
type pmUnit struct {
	underlying string
	members    []int
	params     *pmParams
	d          *apd.Decimal   // net delta D = sum s_i * N_i
	pnl        []*apd.Decimal // P_k = r_k * D
	worst      int
	mr1, mr6   *apd.Decimal
	mr4, c     *apd.Decimal
	raw, mr7   *apd.Decimal
	a          *apd.Decimal // max(MR1, MR6) + MR4 + C
	mm         *apd.Decimal
	im         *apd.Decimal
}

// pmResult is the portfolio part of a result, exact; nil without a
// portfolio position.
type pmResult struct {
	e, mm, im *apd.Decimal
	units     []pmUnit
	mut       mutant // the injected bug (PM-10's trigger under mutPMTriggerLE)
}

// minimumCharge is PM-8: MR7(R) = R * mult_t - cum_t, t = tier(R) by TIER-7.
func minimumCharge(tiers []chargeTier, r *apd.Decimal) *apd.Decimal {
	t := len(tiers) - 1
	for k := 0; k < len(tiers)-1; k++ {
		if tiers[k].min.Cmp(r) <= 0 && r.Cmp(tiers[k].max) < 0 {
			t = k
			break
		}
	}
	return sub(mul(r, tiers[t].mult), tiers[t].cum)
}

// computeUnit is PM-4..9 for the positions of one unit.
func computeUnit(u *pmUnit, positions []*position, qs []quantities, mut mutant) {
	pp := u.params
	d, l, s, dated := dec(0), dec(0), dec(0), dec(0)
	for _, i := range u.members {
		p, n := positions[i], qs[i].n
		d = add(d, mul(sgn(p.s), n))
		if p.s > 0 {
			l = add(l, n)
		} else {
			s = add(s, n)
		}
		dated = add(dated, mul(p.mkt.pm.expiry, n))
	}
	u.d = d
	// PM-4: P_k = r_k * D; MR1 = max(0, max_k(-P_k)); the worst is the first smallest.
	u.mr1 = dec(0)
	for k, r := range pp.shocks {
		pk := mul(r, d)
		u.pnl = append(u.pnl, pk)
		if mut == mutPMGridPointSkipped && k == len(pp.shocks)-1 {
			continue // the bug: the last move is reported but not scanned
		}
		if pk.Cmp(u.pnl[u.worst]) < 0 {
			u.worst = k
		}
		u.mr1 = maxDec(u.mr1, neg(pk))
	}
	// PM-5: MR6 = f * E * |D|.
	absD := d
	if d.Sign() < 0 {
		absD = neg(d)
	}
	u.mr6 = mul(mul(pp.fraction, pp.extreme), absD)
	// PM-6: MR4 = b * sum T_i * N_i.
	u.mr4 = mul(pp.basis, dated)
	// PM-7: C = c * min(L, S).
	u.c = mul(pp.contingency, minDec(l, s))
	// PM-8: R = m * (L + S), MR7 = MR7(R).
	u.raw = mul(pp.rate, add(l, s))
	u.mr7 = minimumCharge(pp.tiers, u.raw)
	// PM-9: MM_u = max(max(MR1, MR6) + MR4 + C, MR7); IM_u = k * MM_u.
	u.a = add(add(maxDec(u.mr1, u.mr6), u.mr4), u.c)
	if mut == mutPMNoContingency {
		u.a = add(maxDec(u.mr1, u.mr6), u.mr4) // the bug: C reported, not charged
	}
	u.mm = maxDec(u.a, u.mr7)
	if mut == mutPMNoMinimumCharge {
		u.mm = u.a // the bug: MR7 reported, not applied
	}
	u.im = mul(pp.imFactor, u.mm)
}

// computePortfolio is PM-3 and PM-10; nil when no position is in portfolio
// mode.
func computePortfolio(in *input, qs []quantities) *pmResult {
	idx := map[string]int{}
	var names []string
	var members [][]int
	for i, p := range in.positions {
		if p.mode != spec.Portfolio {
			continue
		}
		u := underlyingOf(p.mkt)
		if in.mut == mutPMOffsetAcrossUnderlyings && len(names) > 0 {
			u = names[0] // the bug: one unit for every underlying
		}
		k, ok := idx[u]
		if !ok {
			k = len(names)
			idx[u] = k
			names = append(names, u)
			members = append(members, nil)
		}
		members[k] = append(members[k], i)
	}
	if len(names) == 0 {
		return nil
	}
	res := &pmResult{e: in.wallet, mm: dec(0), im: dec(0), mut: in.mut}
	for i, p := range in.positions {
		if p.mode == spec.Portfolio {
			res.e = add(res.e, qs[i].u)
		}
	}
	for _, name := range slices.Sorted(slices.Values(names)) {
		ms := members[idx[name]]
		u := pmUnit{underlying: name, members: ms, params: in.positions[ms[0]].mkt.pm.params}
		computeUnit(&u, in.positions, qs, in.mut)
		res.mm = add(res.mm, u.mm)
		res.im = add(res.im, u.im)
		res.units = append(res.units, u)
	}
	return res
}

// criticalMoves is PM-11 for unit u: the reported up and down moves, each
// a value or nil with a reason.
func criticalMoves(res *pmResult, u *pmUnit) (up1 *apd.Decimal, upReason string, down1 *apd.Decimal, downReason string) {
	if res.liquidatable() {
		return nil, spec.ReasonAlreadyLiquidatable, nil, spec.ReasonAlreadyLiquidatable
	}
	k := sub(res.e, sub(res.mm, u.mm)) // K = E - (MM - MM_u)
	type line struct{ c0, slope *apd.Decimal }
	lines := []line{{sub(k, u.a), sub(u.d, u.a)}}
	for _, t := range u.params.tiers {
		rm := mul(u.raw, t.mult)
		lines = append(lines, line{add(sub(k, rm), t.cum), sub(u.d, rm)})
	}
	var rUp, rDown *ratio
	for _, ln := range lines {
		switch ln.slope.Sign() {
		case -1: // root = c0 / -slope >= 0
			r := quo(ln.c0, neg(ln.slope))
			if rUp == nil || cmpRatio(r, *rUp) < 0 {
				rUp = &r
			}
		case 1: // root = -c0 / slope <= 0
			r := quo(neg(ln.c0), ln.slope)
			if rDown == nil || cmpRatio(r, *rDown) > 0 {
				rDown = &r
			}
		}
	}
	upReason, downReason = spec.ReasonNeverLiquidatable, spec.ReasonNeverLiquidatable
	if rUp != nil {
		if v := down(*rUp); v.Cmp(maxValue) > 0 {
			upReason = spec.ReasonOutOfRange
		} else {
			up1, upReason = v, ""
		}
	}
	if rDown != nil {
		// r > -1 (r = -1 too under mutPMDownMoveAtMinusOne).
		if c := cmpRatio(*rDown, exact(dec(-1))); c > 0 || (c == 0 && res.mut == mutPMDownMoveAtMinusOne) {
			down1, downReason = up(*rDown), ""
		}
	}
	return up1, upReason, down1, downReason
}

// liquidatable is PM-10's trigger, E < MM exactly (E <= MM under
// mutPMTriggerLE).
func (res *pmResult) liquidatable() bool {
	if res.mut == mutPMTriggerLE {
		return res.e.Cmp(res.mm) <= 0
	}
	return res.e.Cmp(res.mm) < 0
}

// pmReported is the rounded portfolio report (PM-13) before conversion.
type pmReported struct {
	e, im, mm, avail *apd.Decimal
	ratio            *apd.Decimal
	liquidatable     bool
	units            []pmUnitReported
}

type pmUnitReported struct {
	src                                *pmUnit
	pnl                                []*apd.Decimal
	mr1, mr6, mr4, c, raw, mr7, mm, im *apd.Decimal
	upMove, downMove                   *apd.Decimal
	upReason, downReason               string
}

// roundPortfolio rounds res as PM-4..13 report it.
func roundPortfolio(res *pmResult) *pmReported {
	if res == nil {
		return nil
	}
	pl := pool{e: res.e, mm: exact(res.mm), im: exact(res.im)}
	out := &pmReported{
		e: down(exact(res.e)), im: up(exact(res.im)), mm: up(exact(res.mm)), avail: available(pl),
		liquidatable: res.liquidatable(),
	}
	out.ratio, _ = marginRatio(pl)
	for i := range res.units {
		u := &res.units[i]
		ur := pmUnitReported{src: u,
			mr1: up(exact(u.mr1)), mr6: up(exact(u.mr6)), mr4: up(exact(u.mr4)), c: up(exact(u.c)),
			raw: up(exact(u.raw)), mr7: up(exact(u.mr7)), mm: up(exact(u.mm)), im: up(exact(u.im))}
		for _, p := range u.pnl {
			ur.pnl = append(ur.pnl, down(exact(p)))
		}
		ur.upMove, ur.upReason, ur.downMove, ur.downReason = criticalMoves(res, u)
		out.units = append(out.units, ur)
	}
	return out
}

// checkPortfolio is EVAL-2 step 6 (PM-13): NUM-2 on the portfolio's
// reported values.
func checkPortfolio(r *pmReported) *spec.Error {
	if r == nil {
		return nil
	}
	check := func(path string, v *apd.Decimal) *spec.Error {
		if !inRange(v) {
			return fail(path, "NUM-2", "reported value %s is outside [-MAX, MAX], MAX = 92233720368.54775807", str(v))
		}
		return nil
	}
	for _, f := range []struct {
		n string
		v *apd.Decimal
	}{{"equity", r.e}, {"initialMargin", r.im}, {"maintenanceMargin", r.mm}, {"available", r.avail}} {
		if err := check("portfolio."+f.n, f.v); err != nil {
			return err
		}
	}
	for k, u := range r.units {
		p := fmt.Sprintf("portfolio.units[%d]", k)
		for j, v := range u.pnl {
			if err := check(fmt.Sprintf("%s.scenarios[%d].pnl", p, j), v); err != nil {
				return err
			}
		}
		for _, f := range []struct {
			n string
			v *apd.Decimal
		}{{"scanRisk", u.mr1}, {"extremeRisk", u.mr6}, {"basisRisk", u.mr4}, {"contingency", u.c},
			{"minimumChargeRaw", u.raw}, {"minimumCharge", u.mr7}, {"maintenanceMargin", u.mm}, {"initialMargin", u.im}} {
			if err := check(p+"."+f.n, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// portfolioReport converts r (PM-13).
func portfolioReport(r *pmReported) *spec.PortfolioReport {
	if r == nil {
		return nil
	}
	out := &spec.PortfolioReport{
		Equity: toDecimal(r.e), InitialMargin: toDecimal(r.im), MaintenanceMargin: toDecimal(r.mm),
		Available: toDecimal(r.avail), MarginRatio: nullable(r.ratio), Liquidatable: r.liquidatable,
		Units: []spec.UnitReport{},
	}
	for _, u := range r.units {
		ur := spec.UnitReport{
			Underlying: u.src.underlying, Positions: slices.Clone(u.src.members), Scenarios: []spec.ScenarioPnl{},
			WorstScenario: u.src.worst,
			ScanRisk:      toDecimal(u.mr1), ExtremeRisk: toDecimal(u.mr6), BasisRisk: toDecimal(u.mr4),
			Contingency: toDecimal(u.c), MinimumChargeRaw: toDecimal(u.raw), MinimumCharge: toDecimal(u.mr7),
			MaintenanceMargin: toDecimal(u.mm), InitialMargin: toDecimal(u.im),
			CriticalMoveUp: nullable(u.upMove), CriticalMoveUpReason: u.upReason,
			CriticalMoveDown: nullable(u.downMove), CriticalMoveDownReason: u.downReason,
		}
		for j, v := range u.pnl {
			ur.Scenarios = append(ur.Scenarios, spec.ScenarioPnl{Move: toDecimal(u.src.params.shocks[j]), Pnl: toDecimal(v)})
		}
		out.Units = append(out.Units, ur)
	}
	return out
}
