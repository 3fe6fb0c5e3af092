package model

import (
	"math/big"
	"slices"
	"strconv"

	"github.com/perpcheck/perpcheck/spec"
)

// loadPM is PM-2 (EVAL-2 step 3, after the positions) and the grouping of
// PM-3; it allocates the units' scratch integers.
func (p *Portfolio) loadPM() *spec.Error {
	firstPM, firstCross := -1, -1
	byUnit := map[string]int{}
	for i := range p.pos {
		ps := &p.pos[i]
		pre := "account.positions[" + strconv.Itoa(i) + "]"
		switch {
		case ps.cross:
			if firstCross < 0 {
				firstCross = i
			}
			if firstPM >= 0 {
				return errf(pre+".marginMode", "PM-2", "a cross position beside the portfolio position positions["+strconv.Itoa(firstPM)+"]")
			}
		case ps.portfolio:
			pm := &p.pm.mk[ps.mkt]
			if pm.params == nil {
				return errf(pre+".marginMode", "PM-2", "market "+spec.Quote(ps.name)+" has no portfolioMargin parameters")
			}
			if firstPM < 0 {
				firstPM = i
			}
			if firstCross >= 0 {
				return errf(pre+".marginMode", "PM-2", "a portfolio position beside the cross position positions["+strconv.Itoa(firstCross)+"]")
			}
			k, ok := byUnit[pm.underlying]
			if !ok {
				k = len(p.pm.units)
				byUnit[pm.underlying] = k
				p.pm.units = append(p.pm.units, pmUnit{underlying: pm.underlying, params: pm.params})
			} else if !p.pm.units[k].params.equal(pm.params) {
				return errf(pre+".market", "PM-2", "market "+spec.Quote(ps.name)+"'s portfolioMargin differs from another market's on underlying "+spec.Quote(pm.underlying))
			}
			p.pm.units[k].members = append(p.pm.units[k].members, int32(i))
		}
	}
	slices.SortFunc(p.pm.units, func(a, b pmUnit) int {
		switch {
		case a.underlying < b.underlying:
			return -1
		case a.underlying > b.underlying:
			return 1
		}
		return 0
	})
	// Warm the scratch integers so that the queries do not allocate.
	if len(p.pm.units) > 0 {
		p.pmCompute()
		for k := range p.pm.units {
			p.pmMoves(k)
		}
	}
	return nil
}

// HasPortfolio reports whether the account has a portfolio position (PM-2).
func (p *Portfolio) HasPortfolio() bool { return len(p.pm.units) > 0 }

// NumUnits returns the number of risk units (PM-3).
func (p *Portfolio) NumUnits() int { return len(p.pm.units) }

// mulI sets z = x * y for int64 y, without aliasing.
func mulI(z, x *big.Int, y int64, tmp *big.Int) *big.Int {
	tmp.SetInt64(y)
	return z.Mul(x, tmp)
}

// pmCompute evaluates PM-4..10 for every unit at the current marks.
func (p *Portfolio) pmCompute() {
	st := &p.pm
	// E = walletBalance + sum U_i over portfolio positions, at 1e-32.
	st.t1.SetInt64(p.wallet)
	st.e32.Mul(&st.t1, big1e24)
	st.mm32.SetInt64(0)
	st.im40.SetInt64(0)
	for k := range st.units {
		u := &st.units[k]
		pp := u.params
		u.d16.SetInt64(0)
		u.l16.SetInt64(0)
		u.s16.SetInt64(0)
		u.dated32.SetInt64(0)
		for _, i := range u.members {
			ps := &p.pos[i]
			u.t1.SetUint64(ps.q)
			u.t2.SetInt64(p.marks[ps.mkt])
			u.n16.Mul(&u.t1, &u.t2)
			// U = s * (N - Q*EP) at 1e-16, into E at 1e-32.
			u.qeWords[0], u.qeWords[1] = big.Word(ps.qe16.W0), big.Word(ps.qe16.W1) // 0 < Q*EP < 2^128
			u.qe.SetBits(u.qeWords[:])
			u.t2.Sub(&u.n16, &u.qe)
			if ps.sign < 0 {
				u.t2.Neg(&u.t2)
				u.s16.Add(&u.s16, &u.n16)
				u.d16.Sub(&u.d16, &u.n16)
			} else {
				u.l16.Add(&u.l16, &u.n16)
				u.d16.Add(&u.d16, &u.n16)
			}
			u.t1.Mul(&u.t2, big1e16)
			st.e32.Add(&st.e32, &u.t1)
			// MR4's sum of T_i * N_i at 1e-24.
			mulI(&u.t1, &u.n16, p.pm.mk[ps.mkt].expiry, &u.t2)
			u.dated32.Add(&u.dated32, &u.t1)
		}
		// PM-4: P_k = r_k * D (1e-24); MR1 = max(0, max_k -P_k); first smallest.
		u.worst = 0
		for j, r := range pp.shocks {
			if j > 0 && r*int64(u.d16.Sign()) < pp.shocks[u.worst]*int64(u.d16.Sign()) {
				u.worst = j
			}
		}
		u.mr1.SetInt64(0)
		if u.d16.Sign() != 0 {
			mulI(&u.t1, &u.d16, pp.shocks[u.worst], &u.t2) // the worst P&L
			if u.t1.Sign() < 0 {
				u.mr1.Neg(&u.t1)
			}
		}
		u.mr1.Mul(&u.mr1, big1e8) // 1e-32
		// PM-5: MR6 = f * E * |D| (1e-32).
		u.t1.Abs(&u.d16)
		mulI(&u.t2, &u.t1, pp.extreme, &u.n16)
		mulI(&u.mr6, &u.t2, pp.fraction, &u.n16)
		// PM-6: MR4 = b * sum T_i * N_i (1e-32).
		mulI(&u.mr4, &u.dated32, pp.basis, &u.t1)
		// PM-7: C = c * min(L, S) (1e-24, then 1e-32).
		if u.l16.Cmp(&u.s16) <= 0 {
			mulI(&u.t2, &u.l16, pp.contingency, &u.t1)
		} else {
			mulI(&u.t2, &u.s16, pp.contingency, &u.t1)
		}
		u.c.Mul(&u.t2, big1e8)
		// PM-8: R = m * (L + S) (1e-24); MR7 = R * mult_t - cum_t (1e-32).
		u.t2.Add(&u.l16, &u.s16)
		mulI(&u.raw, &u.t2, pp.rate, &u.t1)
		t := pmTierOf(pp.tiers, &u.raw)
		mulI(&u.mr7, &u.raw, pp.tiers[t].mult, &u.t1)
		u.t2.Mul(pp.tiers[t].cum16, big1e16)
		u.mr7.Sub(&u.mr7, &u.t2)
		u.raw.Mul(&u.raw, big1e8) // R at 1e-32 from here on
		// PM-9: MM_u = max(max(MR1, MR6) + MR4 + C, MR7); IM_u = k * MM_u.
		if u.mr1.Cmp(&u.mr6) >= 0 {
			u.a.Add(&u.mr1, &u.mr4)
		} else {
			u.a.Add(&u.mr6, &u.mr4)
		}
		u.a.Add(&u.a, &u.c)
		if u.a.Cmp(&u.mr7) >= 0 {
			u.mm.Set(&u.a)
		} else {
			u.mm.Set(&u.mr7)
		}
		mulI(&u.im, &u.mm, pp.im, &u.t1)
		// PM-10: sums over units.
		st.mm32.Add(&st.mm32, &u.mm)
		st.im40.Add(&st.im40, &u.im)
	}
}

// pmTierOf is TIER-7 on the bands of PM-8 for the raw charge r24 (1e-24).
func pmTierOf(tiers []pmTier, r24 *big.Int) int {
	for t := 1; t < len(tiers); t++ {
		if r24.Cmp(tiers[t].min24) < 0 {
			return t - 1
		}
	}
	return len(tiers) - 1
}

// toFixed converts x/10^scale... x at scale 1e-8 already divided: it returns
// x as a Fixed when it fits [-MAX, MAX].
func toFixed(x *big.Int) (Fixed, bool) {
	if !x.IsInt64() {
		return 0, false
	}
	v := x.Int64()
	if v < -int64(maxU) {
		return 0, false
	}
	return Fixed(v), true
}

// roundTo sets z to x / d rounded down (ceil false) or up (ceil true);
// d > 0. r is scratch.
func roundTo(z, x, d, r *big.Int, ceil bool) *big.Int {
	z.DivMod(x, d, r) // Euclidean: floor for d > 0
	if ceil && r.Sign() != 0 {
		z.Add(z, bigOne)
	}
	return z
}

var bigOne = big.NewInt(1)

// PortfolioPool returns the portfolio pool of PM-10 at the current marks:
// equity and available rounded down, margins and the ratio up, and the
// exact trigger equity < maintenance margin. It does not allocate.
func (p *Portfolio) PortfolioPool() (PoolHealth, error) {
	if len(p.pm.units) == 0 {
		return PoolHealth{}, ErrNoPortfolio
	}
	p.pmCompute()
	return p.pmPool()
}

func (p *Portfolio) pmPool() (PoolHealth, error) {
	st := &p.pm
	var h PoolHealth
	var ok bool
	fail := func(field string) (PoolHealth, error) {
		return PoolHealth{}, errf("portfolio."+field, "NUM-2", "reported value is outside [-MAX, MAX], MAX = 92233720368.54775807")
	}
	if h.Equity, ok = toFixed(roundTo(&st.t1, &st.e32, big1e24, &st.t2, false)); !ok {
		return fail("equity")
	}
	// IM at 1e-40 -> units: / 1e32.
	st.t3.Mul(big1e16, big1e16)
	if h.InitialMargin, ok = toFixed(roundTo(&st.t1, &st.im40, &st.t3, &st.t2, true)); !ok {
		return fail("initialMargin")
	}
	if h.MaintenanceMargin, ok = toFixed(roundTo(&st.t1, &st.mm32, big1e24, &st.t2, true)); !ok {
		return fail("maintenanceMargin")
	}
	// available = down(max(0, E - IM)) = floor((E*1e8 - IM40) / 1e32) at least 0.
	st.t4.Mul(&st.e32, big1e8)
	st.t4.Sub(&st.t4, &st.im40)
	if st.t4.Sign() > 0 {
		if h.Available, ok = toFixed(roundTo(&st.t1, &st.t4, &st.t3, &st.t2, false)); !ok {
			return fail("available")
		}
	}
	// marginRatio = up(MM / E) when E > 0: ceil(MM32 * 1e8 / E32).
	if st.e32.Sign() > 0 {
		st.t4.Mul(&st.mm32, big1e8)
		roundTo(&st.t1, &st.t4, &st.e32, &st.t2, true)
		if st.t1.Cmp(bigMaxU) <= 0 {
			h.MarginRatio, h.MarginRatioOK = Fixed(st.t1.Int64()), true
		}
	}
	h.Liquidatable = st.e32.Cmp(&st.mm32) < 0
	return h, nil
}

// MoveResult is a critical move of PM-11: when OK, Move is the fraction of
// the marks, rounded toward zero; else Reason says why there is none.
type MoveResult struct {
	Move   Fixed
	OK     bool
	Reason string
}

// UnitMetrics are one risk unit's reported quantities (PM-4..9, PM-11).
type UnitMetrics struct {
	ScanRisk, ExtremeRisk, BasisRisk, Contingency Fixed
	MinimumChargeRaw, MinimumCharge               Fixed
	MaintenanceMargin, InitialMargin              Fixed
	WorstScenario                                 int
	Up, Down                                      MoveResult
}

var unitFields = [...]string{"scanRisk", "extremeRisk", "basisRisk", "contingency", "minimumChargeRaw", "minimumCharge", "maintenanceMargin", "initialMargin"}

// Unit returns risk unit k's metrics at the current marks (units in
// ascending byte order of underlying). It does not allocate.
func (p *Portfolio) Unit(k int) (UnitMetrics, error) {
	if k < 0 || k >= len(p.pm.units) {
		return UnitMetrics{}, ErrIndex
	}
	p.pmCompute()
	return p.pmUnitMetrics(k)
}

func (p *Portfolio) pmUnitMetrics(k int) (UnitMetrics, error) {
	u := &p.pm.units[k]
	st := &p.pm
	m := UnitMetrics{WorstScenario: u.worst}
	st.t3.Mul(big1e16, big1e16)
	srcs := [...]*big.Int{&u.mr1, &u.mr6, &u.mr4, &u.c, &u.raw, &u.mr7, &u.mm, &u.im}
	dsts := [...]*Fixed{&m.ScanRisk, &m.ExtremeRisk, &m.BasisRisk, &m.Contingency, &m.MinimumChargeRaw, &m.MinimumCharge, &m.MaintenanceMargin, &m.InitialMargin}
	for i, x := range srcs {
		d := big1e24
		if i == 7 {
			d = &st.t3 // IM at 1e-40
		}
		v, ok := toFixed(roundTo(&st.t1, x, d, &st.t2, true))
		if !ok {
			return UnitMetrics{}, errf("portfolio.units["+strconv.Itoa(k)+"]."+unitFields[i], "NUM-2", "reported value is outside [-MAX, MAX], MAX = 92233720368.54775807")
		}
		*dsts[i] = v
	}
	m.Up, m.Down = p.pmMoves(k)
	return m, nil
}

// ScenarioPnl returns P_j of unit k rounded down (PM-4), and whether it
// fits [-MAX, MAX]. It uses the values of the last Unit or PortfolioPool
// call.
func (p *Portfolio) scenarioPnl(k, j int) (Fixed, bool) {
	u := &p.pm.units[k]
	st := &p.pm
	mulI(&st.t4, &u.d16, u.params.shocks[j], &st.t2) // 1e-24
	return toFixed(roundTo(&st.t1, &st.t4, big1e16, &st.t2, false))
}

// pmMoves is PM-11 for unit k (after pmCompute).
func (p *Portfolio) pmMoves(k int) (up, down MoveResult) {
	st := &p.pm
	u := &st.units[k]
	if st.e32.Cmp(&st.mm32) < 0 {
		r := MoveResult{Reason: spec.ReasonAlreadyLiquidatable}
		return r, r
	}
	// K = E - (MM - MM_u), at 1e-32; D at 1e-32 in t4.
	st.k32.Sub(&st.e32, &st.mm32)
	st.k32.Add(&st.k32, &u.mm)
	st.t4.Mul(&u.d16, big1e16)
	hasUp, hasDown := false, false
	// best/bestDen: the best up root c0/-slope; cand/candDen: the best down root -c0/slope.
	for line := -1; line < len(u.params.tiers); line++ {
		// c0 in t1, slope in t2.
		if line < 0 {
			st.t1.Sub(&st.k32, &u.a)
			st.t2.Sub(&st.t4, &u.a)
		} else {
			tr := &u.params.tiers[line]
			mulI(&st.t3, &u.raw, tr.mult, &st.t2) // R*mult at 1e-40
			st.t3.Quo(&st.t3, big1e8)             // exact: R at 1e-32 is a multiple of 1e8
			st.t1.Sub(&st.k32, &st.t3)
			st.t2.Mul(tr.cum16, big1e16)
			st.t1.Add(&st.t1, &st.t2)
			st.t2.Sub(&st.t4, &st.t3)
		}
		switch st.t2.Sign() {
		case -1: // root c0 / -slope; keep the smallest
			st.t2.Neg(&st.t2)
			if !hasUp || lessFrac(&st.t1, &st.t2, &st.best, &st.bestDen, &st.t3, &u.t1) {
				st.best.Set(&st.t1)
				st.bestDen.Set(&st.t2)
				hasUp = true
			}
		case 1: // root -c0 / slope; keep the largest
			st.t1.Neg(&st.t1)
			if !hasDown || lessFrac(&st.cand, &st.candDen, &st.t1, &st.t2, &st.t3, &u.t1) {
				st.cand.Set(&st.t1)
				st.candDen.Set(&st.t2)
				hasDown = true
			}
		}
	}
	up.Reason, down.Reason = spec.ReasonNeverLiquidatable, spec.ReasonNeverLiquidatable
	if hasUp {
		st.t4.Mul(&st.best, big1e8)
		roundTo(&st.t1, &st.t4, &st.bestDen, &st.t2, false)
		if st.t1.Cmp(bigMaxU) > 0 {
			up.Reason = spec.ReasonOutOfRange
		} else {
			up = MoveResult{Move: Fixed(st.t1.Int64()), OK: true}
		}
	}
	// A down root <= -1 is never reached (prices stay > 0): -c0/slope > -1 iff -c0 + slope > 0.
	if hasDown {
		st.t4.Add(&st.cand, &st.candDen)
		if st.t4.Sign() > 0 {
			st.t4.Mul(&st.cand, big1e8)
			roundTo(&st.t1, &st.t4, &st.candDen, &st.t2, true)
			down = MoveResult{Move: Fixed(st.t1.Int64()), OK: true}
		}
	}
	return up, down
}

// lessFrac reports a/b < c/d for b, d > 0 (t, s scratch).
func lessFrac(a, b, c, d, t, s *big.Int) bool {
	t.Mul(a, d)
	s.Mul(c, b)
	return t.Cmp(s) < 0
}

// portfolioReport builds PM-13's report (after the positions and pools:
// EVAL-2 step 6). It allocates.
func (p *Portfolio) portfolioReport() (*spec.PortfolioReport, error) {
	if len(p.pm.units) == 0 {
		return nil, nil
	}
	p.pmCompute()
	h, err := p.pmPool()
	if err != nil {
		return nil, err
	}
	r := &spec.PortfolioReport{Equity: dec(h.Equity), InitialMargin: dec(h.InitialMargin), MaintenanceMargin: dec(h.MaintenanceMargin),
		Available: dec(h.Available), Liquidatable: h.Liquidatable, Units: []spec.UnitReport{}}
	if h.MarginRatioOK {
		r.MarginRatio = nullDec(h.MarginRatio)
	}
	for k := range p.pm.units {
		u := &p.pm.units[k]
		ur := spec.UnitReport{Underlying: u.underlying, Positions: make([]int, len(u.members)), Scenarios: []spec.ScenarioPnl{}}
		for i, m := range u.members {
			ur.Positions[i] = int(m)
		}
		for j, r := range u.params.shocks {
			v, ok := p.scenarioPnl(k, j)
			if !ok {
				return nil, errf("portfolio.units["+strconv.Itoa(k)+"].scenarios["+strconv.Itoa(j)+"].pnl", "NUM-2", "reported value is outside [-MAX, MAX], MAX = 92233720368.54775807")
			}
			ur.Scenarios = append(ur.Scenarios, spec.ScenarioPnl{Move: dec(Fixed(r)), Pnl: dec(v)})
		}
		m, err := p.pmUnitMetrics(k)
		if err != nil {
			return nil, err
		}
		ur.WorstScenario = m.WorstScenario
		ur.ScanRisk, ur.ExtremeRisk, ur.BasisRisk, ur.Contingency = dec(m.ScanRisk), dec(m.ExtremeRisk), dec(m.BasisRisk), dec(m.Contingency)
		ur.MinimumChargeRaw, ur.MinimumCharge = dec(m.MinimumChargeRaw), dec(m.MinimumCharge)
		ur.MaintenanceMargin, ur.InitialMargin = dec(m.MaintenanceMargin), dec(m.InitialMargin)
		if m.Up.OK {
			ur.CriticalMoveUp = nullDec(m.Up.Move)
		} else {
			ur.CriticalMoveUpReason = m.Up.Reason
		}
		if m.Down.OK {
			ur.CriticalMoveDown = nullDec(m.Down.Move)
		} else {
			ur.CriticalMoveDownReason = m.Down.Reason
		}
		r.Units = append(r.Units, ur)
	}
	return r, nil
}
