package model

import (
	"errors"
	"math/big"
	"slices"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Portfolio margin (SPEC PM, MKT-6). Every quantity of a risk unit is an
// exact integer at scale 1e-32 (a "32" suffix; products of up to four
// inputs), held in math/big integers that the Portfolio allocates once in
// Load and reuses: the queries below do not allocate. The scan grid is
// evaluated from the unit's net delta D (PM-4: P_k = r_k * D), so the
// positions are walked once per unit, not once per scenario.

// ErrNoPortfolio is returned by the portfolio queries of an account without
// a portfolio position.
var ErrNoPortfolio = errors.New("model: the account has no portfolio position")

var (
	big1e8  = big.NewInt(1e8)
	big1e16 = big.NewInt(1e16)
	big1e24 = new(big.Int).Mul(big1e8, big1e16)
	bigMaxU = new(big.Int).SetUint64(maxU)
)

// pmParams are a market's validated PM-1 parameters, in units.
type pmParams struct {
	shocks                                          []int64
	extreme, fraction, basis, contingency, rate, im int64
	tiers                                           []pmTier
}

// pmTier is one band of PM-8; cum16 is its cum at scale 1e-16.
type pmTier struct {
	min, max, mult int64
	cum16, min24   *big.Int // cum at 1e-16, minCharge at 1e-24
}

func (a *pmParams) equal(b *pmParams) bool {
	if !slices.Equal(a.shocks, b.shocks) || len(a.tiers) != len(b.tiers) {
		return false
	}
	for t := range a.tiers {
		x, y := a.tiers[t], b.tiers[t]
		if x.min != y.min || x.max != y.max || x.mult != y.mult {
			return false
		}
	}
	return a.extreme == b.extreme && a.fraction == b.fraction && a.basis == b.basis &&
		a.contingency == b.contingency && a.rate == b.rate && a.im == b.im
}

// pmMarket is a market's MKT-6 and PM-1 data.
type pmMarket struct {
	underlying string
	expiry     int64 // years to expiry in units, 0 for a perpetual
	params     *pmParams
}

// pmUnit is one risk unit with its scratch integers.
type pmUnit struct {
	underlying                              string
	members                                 []int32
	params                                  *pmParams
	d16, l16, s16, dated32, n16, t1, t2, qe big.Int
	qeWords                                 [2]big.Word
	mr1, mr6, mr4, c, raw, mr7, a, mm, im   big.Int // scale 1e-32 (im: 1e-40)
	worst                                   int
}

// pmState is the portfolio part of a Portfolio.
type pmState struct {
	mk                                   []pmMarket // by market index
	units                                []pmUnit   // in ascending byte order of underlying
	e32, mm32, im40, k32, t1, t2, t3, t4 big.Int
	best, cand, bestDen, candDen         big.Int
}

// loadPMMarket is the end of EVAL-2 step 1 for market mi: expiry (NUM,
// MKT-6), then portfolioMargin (PM-1).
func (p *Portfolio) loadPMMarket(mi int, m *spec.Market, pre string) *spec.Error {
	if p.pm.mk == nil {
		p.pm.mk = make([]pmMarket, len(p.markets))
	}
	out := &p.pm.mk[mi]
	out.underlying = m.Underlying
	if out.underlying == "" {
		out.underlying = p.markets[mi].name
	}
	if m.Expiry != nil {
		e, err := num(*m.Expiry, pre+".expiry")
		if err != nil {
			return err
		}
		if e <= 0 {
			return errf(pre+".expiry", "MKT-6", "expiry must be > 0 (years to expiry), got "+fx(e))
		}
		out.expiry = e
	}
	if m.PortfolioMargin == nil {
		return nil
	}
	pre += ".portfolioMargin"
	in := m.PortfolioMargin
	pp := &pmParams{}
	if len(in.Shocks) == 0 {
		return errf(pre+".shocks", "PM-1", "shocks must list at least one price move")
	}
	for j := range in.Shocks {
		path := pre + ".shocks[" + strconv.Itoa(j) + "]"
		x, err := num(in.Shocks[j], path)
		if err != nil {
			return err
		}
		if x <= -one || x >= one {
			return errf(path, "PM-1", "a shock must be in (-1, 1), got "+fx(x))
		}
		if slices.Contains(pp.shocks, x) {
			return errf(path, "PM-1", "shock "+fx(x)+" listed twice")
		}
		pp.shocks = append(pp.shocks, x)
	}
	fields := []struct {
		dst    *int64
		name   string
		src    decimal.NullDecimal
		def    int64
		closed bool // the upper bound 1 is included
	}{
		{&pp.extreme, "extremeMove", in.ExtremeMove, 0, false},
		{&pp.fraction, "extremeFraction", in.ExtremeFraction, one, true},
		{&pp.basis, "basisRate", in.BasisRate, 0, false},
		{&pp.contingency, "contingencyRate", in.ContingencyRate, 0, false},
		{&pp.rate, "minimumChargeRate", in.MinimumChargeRate, 0, false},
	}
	for _, f := range fields {
		*f.dst = f.def
		if !f.src.Valid {
			continue
		}
		x, err := num(f.src.Decimal, pre+"."+f.name)
		if err != nil {
			return err
		}
		if x < 0 || x > one || (x == one && !f.closed) {
			rng := "[0, 1)"
			if f.closed {
				rng = "[0, 1]"
			}
			return errf(pre+"."+f.name, "PM-1", f.name+" must be in "+rng+", got "+fx(x))
		}
		*f.dst = x
	}
	if len(in.MinimumChargeTiers) == 0 {
		pp.tiers = []pmTier{{min: 0, max: 0, mult: one, cum16: new(big.Int), min24: new(big.Int)}}
	}
	for t := range in.MinimumChargeTiers {
		src := &in.MinimumChargeTiers[t]
		q := pre + ".minimumChargeTiers[" + strconv.Itoa(t) + "]"
		var tr pmTier
		var err *spec.Error
		if tr.min, err = num(src.MinCharge, q+".minCharge"); err != nil {
			return err
		}
		if t == 0 && tr.min != 0 {
			return errf(q+".minCharge", "PM-1", "the first band's minCharge must be 0, got "+fx(tr.min))
		}
		if tr.max, err = num(src.MaxCharge, q+".maxCharge"); err != nil {
			return err
		}
		if tr.min >= tr.max {
			return errf(q+".maxCharge", "PM-1", "maxCharge "+fx(tr.max)+" must be > minCharge "+fx(tr.min))
		}
		if t > 0 && pp.tiers[t-1].max != tr.min {
			return errf(q+".minCharge", "PM-1", "minCharge "+fx(tr.min)+" must equal the previous band's maxCharge "+fx(pp.tiers[t-1].max))
		}
		if tr.mult, err = num(src.Multiplier, q+".multiplier"); err != nil {
			return err
		}
		if tr.mult < one {
			return errf(q+".multiplier", "PM-1", "multiplier must be >= 1, got "+fx(tr.mult))
		}
		if t > 0 && tr.mult < pp.tiers[t-1].mult {
			return errf(q+".multiplier", "PM-1", "multiplier "+fx(tr.mult)+" is below the previous band's "+fx(pp.tiers[t-1].mult))
		}
		// PM-8: cum_t = cum_(t-1) + minCharge_t * (mult_t - mult_(t-1)), scale 1e-16.
		tr.cum16 = new(big.Int)
		if t > 0 {
			tr.cum16.Mul(big.NewInt(tr.min), big.NewInt(tr.mult-pp.tiers[t-1].mult))
			tr.cum16.Add(tr.cum16, pp.tiers[t-1].cum16)
		}
		tr.min24 = new(big.Int).Mul(big.NewInt(tr.min), big1e16)
		pp.tiers = append(pp.tiers, tr)
	}
	pp.im = one
	if in.InitialMarginFactor.Valid {
		k, err := num(in.InitialMarginFactor.Decimal, pre+".initialMarginFactor")
		if err != nil {
			return err
		}
		if k < one {
			return errf(pre+".initialMarginFactor", "PM-1", "initialMarginFactor must be >= 1, got "+fx(k))
		}
		pp.im = k
	}
	out.params = pp
	return nil
}
