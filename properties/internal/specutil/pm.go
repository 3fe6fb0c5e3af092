package specutil

import (
	"math/big"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// HasPortfolio reports whether a holds a portfolio position (SPEC PM-2:
// then its wallet backs the portfolio pool, which takes the cross pool's
// place in the ledger, PM-16, PM-17).
func HasPortfolio(a spec.Account) bool {
	for _, p := range a.Positions {
		if p.MarginMode == spec.Portfolio {
			return true
		}
	}
	return false
}

// UnitValues are one risk unit's exact net delta D (the signed sum of its
// positions' notionals at the marks, PM-4), MR1 and MM (SPEC PM-4, PM-9).
type UnitValues struct {
	Underlying string
	D, MR1, MM decimal.Decimal
	Markets    []string // its positions' markets, in the account's order
}

// Underlying is MKT-6's underlying of market name.
func Underlying(st *spec.State, name string) string {
	if u := st.Markets[name].Underlying; u != "" {
		return u
	}
	return name
}

// PortfolioMargins computes a's portfolio pool's exact MM and IM (SPEC
// PM-4..10, at the marks of st) and its units in ascending byte order of
// underlying, written from SPEC independently of both engines.
func PortfolioMargins(st *spec.State, a spec.Account) (mm decimal.Decimal, im *big.Rat, units []UnitValues) {
	type acc struct {
		d, l, s, dated decimal.Decimal
		pp             *spec.PortfolioParams
		markets        []string
	}
	by := map[string]*acc{}
	for _, p := range a.Positions {
		if p.MarginMode != spec.Portfolio {
			continue
		}
		m := st.Markets[p.Market]
		u := Underlying(st, p.Market)
		x, ok := by[u]
		if !ok {
			x = &acc{pp: m.PortfolioMargin}
			by[u] = x
		}
		x.markets = append(x.markets, p.Market)
		n := p.Size.Mul(Mark(st, p.Market))
		if p.Side == spec.Long {
			x.l, x.d = x.l.Add(n), x.d.Add(n)
		} else {
			x.s, x.d = x.s.Add(n), x.d.Sub(n)
		}
		if m.Expiry != nil {
			x.dated = x.dated.Add(m.Expiry.Mul(n))
		}
	}
	im = new(big.Rat)
	opt := func(v decimal.NullDecimal, def int64) decimal.Decimal {
		if v.Valid {
			return v.Decimal
		}
		return decimal.NewFromInt(def)
	}
	for _, u := range slices.Sorted(func(yield func(string) bool) {
		for k := range by {
			if !yield(k) {
				return
			}
		}
	}) {
		x := by[u]
		pp := x.pp
		mr1 := decimal.Zero
		for _, r := range pp.Shocks {
			mr1 = decimal.Max(mr1, r.Mul(x.d).Neg())
		}
		mr6 := opt(pp.ExtremeFraction, 1).Mul(opt(pp.ExtremeMove, 0)).Mul(x.d.Abs())
		mr4 := opt(pp.BasisRate, 0).Mul(x.dated)
		c := opt(pp.ContingencyRate, 0).Mul(decimal.Min(x.l, x.s))
		r := opt(pp.MinimumChargeRate, 0).Mul(x.l.Add(x.s))
		mr7 := r
		if len(pp.MinimumChargeTiers) > 0 {
			// PM-8: cum by TIER-6's recursion; t = tier(R) by TIER-7.
			cum, t := decimal.Zero, 0
			for k := 1; k < len(pp.MinimumChargeTiers); k++ {
				tk := pp.MinimumChargeTiers[k]
				if r.LessThan(tk.MinCharge) {
					break
				}
				t = k
				cum = cum.Add(tk.MinCharge.Mul(tk.Multiplier.Sub(pp.MinimumChargeTiers[k-1].Multiplier)))
			}
			mr7 = r.Mul(pp.MinimumChargeTiers[t].Multiplier).Sub(cum)
		}
		mmu := decimal.Max(decimal.Max(mr1, mr6).Add(mr4).Add(c), mr7)
		mm = mm.Add(mmu)
		im.Add(im, mmu.Mul(opt(pp.InitialMarginFactor, 1)).Rat())
		units = append(units, UnitValues{Underlying: u, D: x.d, MR1: mr1, MM: mmu, Markets: x.markets})
	}
	return mm, im, units
}
