package model

import (
	"math/bits"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// Explicit initial margin rates (SPEC TIER-1, TIER-5, QTY-4): a table whose
// tiers all give initialMarginRate IMR_t (OKX) asks IM = N * max(1/L, IMR_t),
// L the chosen leverage, instead of N / min(L, maxLeverage_t). Every IM is
// written as N * mul / den with integers mul, den: (1, min(L, maxLev_t))
// without explicit rates, (1, L) when 1/L >= IMR_t, and (imr, 1e16) (IMR_t
// in units over 1e8, N at scale 1e-16 over 1e8) otherwise; IM in units is
// then N16 * mul / den, exact, rounded once.

// imFrac returns (mul, den) of the IM of a position of leverage lev (units)
// on tier td: IM = N * mul / den (QTY-4).
func imFrac(lev int64, td *tierData) (mul, den uint64) {
	if td.imr == 0 {
		return 1, uint64(min(lev, td.maxLev))
	}
	// 1/L >= IMR_t iff imr * lev <= 1e16 (both in units).
	if hi, lo := bits.Mul64(uint64(td.imr), uint64(lev)); hi == 0 && lo <= u16 {
		return 1, uint64(lev)
	}
	return uint64(td.imr), u16
}

// imDivmod returns a, r with N16 * mul = a * den + r, 0 <= r < den, for the
// IM of imFrac: IM = a + r/den in units.
func imDivmod(n wide.Int, lev int64, td *tierData) (a wide.Int, r, den uint64) {
	mul, den := imFrac(lev, td)
	if mul != 1 {
		n = n.Mul(mul)
	}
	a, r = n.DivFloor(den)
	return a, r, den
}

// imCeil is up(IM) in units (QTY-4, POS-5).
func imCeil(n wide.Int, lev int64, td *tierData) wide.Int {
	a, r, _ := imDivmod(n, lev, td)
	if r != 0 {
		a = a.Add(wide.Int{W0: 1})
	}
	return a
}

// loadIMR checks tier t's explicit initial margin rate (given: has, in
// units: imr) right after TIER-5's own check: TIER-1's all-or-none, TIER-3
// (not with half-initial), then TIER-5's range, non-decreasing, MMR_t <=
// IMR_t and IMR_t * maxLeverage_t <= 1.
func (mk *market) loadIMR(tp string, t int, td *tierData, imr int64, has bool) *spec.Error {
	// The path is built only on an error: Load must not allocate per tier.
	path := func() string { return tp + ".initialMarginRate" }
	if t == 0 {
		mk.explicitIMR = has
	} else if has != mk.explicitIMR {
		if has {
			return errf(path(), "TIER-1", "initialMarginRate is given but tier 0 has none; every tier gives it or none does")
		}
		return errf(path(), "TIER-1", "initialMarginRate is absent but tier 0 gives one; every tier gives it or none does")
	}
	if !has {
		return nil
	}
	if mk.flags.half {
		return errf(path(), "TIER-3", "initialMarginRate is not defined under maintenanceRate \"half-initial\"")
	}
	if imr <= 0 || imr > one {
		return errf(path(), "TIER-5", "initialMarginRate must be in (0, 1], got "+fx(imr))
	}
	if t > 0 && imr < mk.tiers[t-1].imr {
		return errf(path(), "TIER-5", "initialMarginRate "+fx(imr)+" is below the previous tier's "+fx(mk.tiers[t-1].imr))
	}
	if td.mmrGiven > imr {
		return errf(path(), "TIER-5", "maintenanceMarginRate "+fx(td.mmrGiven)+" exceeds initialMarginRate "+fx(imr))
	}
	if wide.MulU64(uint64(imr), uint64(td.maxLev)).Cmp(wide.FromInt64(int64(u16))) > 0 {
		return errf(path(), "TIER-5", "initialMarginRate "+fx(imr)+" * maxLeverage "+fx(td.maxLev)+" exceeds 1")
	}
	td.imr = imr
	return nil
}
