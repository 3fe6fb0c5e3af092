package model

import (
	"math/bits"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// TIER-3:half-initial (SPEC TIER-3): MMR_t = 1/(2 maxLeverage_t) exactly, a
// rate that need not lie on the 1e-8 grid. With the scenario's common
// denominator D (the lcm of 2 maxLeverage_t over every tier of every
// half-initial market, <= 10^6) every rate is a_t/D with an integer a_t =
// D/(2 maxLeverage_t), and every deduction c_t/D with c_t on the 1e-8 grid.
//
// The model keeps its integer formulas by scaling: when D > 1 (p.den), every
// tier's rate is stored in units of 1e-8/D (mmr = a_t*1e8, + D*takerFeeRate
// under QTY-5:taker; a market under the given rates has mmr = MMR_t*D) and
// every "24" value (MM, cum24, minN24, mmMin24, qe24, wallet24, K of LIQ-1)
// at scale 1e-24/D. So eval's mm24 is D times MM at scale 1e-24, an exact
// integer, and LIQ-4's root Y/(q*dd) keeps its form with dd = 1e8*D -+ mmr.
// MM is rounded once: ceil(mm24/(1e16*D)) = ceil(ceil(mm24/1e16)/D). The
// default path (D = 1) is unchanged: den = 1 and u8d = 1e8.
//
// Bounds: mmr <= 1.5e14 < 2^48 (rate < 1, D <= 10^6), so N16*mmr < 2^174 and
// cum24 < 2^157; the sums of a pool stay below 2^191 as in package wide.

// maxHalfInitialDen is SPEC TIER-3:half-initial's bound on D.
const maxHalfInitialDen = 1_000_000

// checkHalfInitial is TIER-3:half-initial's requirements on tier td (path
// tp), right after the given rate's TIER-3 checks: maxLeverage_t is an
// integer and the running common denominator *den (over every half-initial
// tier so far, this market's and the earlier markets') stays <= 10^6; then
// QTY-5:taker's "MMR_t + takerFeeRate < 1" with MMR_t = 1/(2L) when L >= 1
// (else TIER-4 reports the tier next).
func (mk *market) checkHalfInitial(tp string, td *tierData, den *uint64) *spec.Error {
	if td.maxLev%one != 0 {
		return errf(tp+".maxLeverage", "TIER-3", "under maintenanceRate \"half-initial\" maxLeverage must be an integer, got "+fx(td.maxLev))
	}
	l := td.maxLev / one
	if l >= 1 {
		two := uint64(2 * l) // l < 2^37
		d := *den / gcd(*den, two) * two
		if d > maxHalfInitialDen { // *den <= 10^6 and two < 2^38: no overflow
			return errf(tp+".maxLeverage", "TIER-3", "under maintenanceRate \"half-initial\" the common denominator lcm(2 * maxLeverage) exceeds 1000000")
		}
		*den = d
		// QTY-5:taker: 1/(2L) + fee < 1 iff 1e8 + 2L*fee < 2L*1e8 (units).
		if mk.flags.taker {
			hi, lo := bits.Mul64(two, uint64(mk.takerFee))
			lhs := wide.FromU128(hi, lo).Add(wide.FromInt64(one))
			if lhs.Cmp(wide.MulU64(two, u8)) >= 0 {
				return errf(tp+".maintenanceMarginRate", "QTY-5", "under closeFee \"taker\", maintenanceMarginRate 1/(2*"+fx(td.maxLev)+") + takerFeeRate "+fx(mk.takerFee)+" must be < 1")
			}
		}
	}
	return nil
}

// checkHalfAmount is TIER-6 for tier t of a half-initial table: a given
// maintenanceAmount must equal cum_t = c_t/D exactly (0 under TIER-8:flat),
// with D the running denominator den (any multiple of the tiers' 2L gives
// the same rational). Tiers 0..t are loaded and passed TIER-3 and TIER-4.
func (mk *market) checkHalfAmount(tp string, t int, amount int64, has bool, den uint64) *spec.Error {
	if !has {
		return nil
	}
	if mk.flags.flat {
		if amount != 0 {
			return errf(tp+".maintenanceAmount", "TIER-6", "maintenanceAmount "+fx(amount)+" must be 0 under tierSchedule \"flat\" (no deduction)")
		}
		return nil
	}
	c := halfCum(mk.tiers[:t+1], den)
	if wide.FromInt64(amount).Mul(den).Cmp(c) != 0 {
		return errf(tp+".maintenanceAmount", "TIER-6", "maintenanceAmount "+fx(amount)+" does not equal the TIER-6 recursion "+fmt16(c.Mul(u8))+"/"+fx(int64(den)*one))
	}
	return nil
}

// halfCum is c_t (units of 1e-8, over den) of the last tier of tiers: c_1 =
// 0, c_t = c_(t-1) + minNotional_t * (a_t - a_(t-1)), a_t = den/(2 L_t) (< 2^84).
func halfCum(tiers []tierData, den uint64) wide.Int {
	var c wide.Int
	for t := 1; t < len(tiers); t++ {
		a0 := den / uint64(2*(tiers[t-1].maxLev/one))
		a1 := den / uint64(2*(tiers[t].maxLev/one))
		c = c.Add(wide.MulU64(uint64(tiers[t].minN), a1-a0)) // a1 >= a0 by TIER-4
	}
	return c
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// scaleHalfInitial rescales every market's tiers to the common denominator
// p.den (see the file comment) once the markets are loaded; with no
// half-initial market (den = 1) it changes nothing. Load and NewLedger
// (whose mm24 is then D times MM, ledger_math.go).
func (p *Portfolio) scaleHalfInitial() {
	den := p.den
	p.u8d = u8 * den
	if den == 1 {
		return
	}
	for mi := range p.markets {
		mk := &p.markets[mi]
		var c wide.Int // c_t, units of 1e-8 over den
		for t := range mk.tiers {
			td := &mk.tiers[t]
			if mk.flags.half {
				a := den / uint64(2*(td.maxLev/one))
				if t > 0 && !mk.flags.flat {
					c = c.Add(wide.MulU64(uint64(td.minN), a-den/uint64(2*(mk.tiers[t-1].maxLev/one))))
				}
				td.mmr = int64(a * u8)
				if mk.flags.taker {
					td.mmr += int64(den) * mk.takerFee
				}
				td.cum16 = c.Mul(u8)
				td.cum24 = c.Mul(u16)
			} else {
				td.mmr *= int64(den)
				td.cum16 = td.cum16.Mul(den)
				td.cum24 = td.cum24.Mul(den)
			}
			td.minN24 = wide.MulU64(uint64(td.minN), u16).Mul(den)
			td.mmMin24 = wide.MulU64(uint64(td.minN), uint64(td.mmr)).Mul(u8).Sub(td.cum24)
		}
	}
}

// roundMM is QTY-5/POOL-1's up(MM) for mm24 = D * MM at scale 1e-24:
// ceil(mm24/(1e16*D)) = ceil(ceil(mm24/1e16)/D).
func (p *Portfolio) roundMM(mm24 wide.Int) wide.Int {
	q := mm24.DivCeil(u16)
	if p.den != 1 {
		q = q.DivCeil(p.den)
	}
	return q
}

// healthAt is health with mm24 scaled by p.den: POOL-1's up(MM), POOL-4's
// MM/E (mm24 over E16*D) and POOL-5 (E*D against mm24) stay exact.
func (p *Portfolio) healthAt(h *PoolHealth, e16, eInt, mm24, im, avail *wide.Int, k int) error {
	if p.den == 1 {
		return health(h, e16, eInt, mm24, im, avail, k, p.atEquality)
	}
	v, ok := eInt.Int64()
	if !ok || v < -int64(maxU) {
		return reportErr("pools", k, "equity")
	}
	h.Equity = Fixed(v)
	if v, ok = im.Int64(); !ok {
		return reportErr("pools", k, "initialMargin")
	}
	h.InitialMargin = Fixed(v)
	if v, ok = p.roundMM(*mm24).Int64(); !ok {
		return reportErr("pools", k, "maintenanceMargin")
	}
	h.MaintenanceMargin = Fixed(v)
	if !avail.IsNeg() {
		if v, ok = avail.Int64(); !ok {
			return reportErr("pools", k, "available")
		}
		h.Available = Fixed(v)
	}
	ed := e16.Mul(p.den)
	if e16.Sign() > 0 {
		if q, ok := wide.QuoCeilBounded(*mm24, ed, maxU); ok {
			h.MarginRatio, h.MarginRatioOK = Fixed(q), true
		}
	}
	h.Liquidatable = liquidatableUnder(p.atEquality, ed, *mm24)
	return nil
}
