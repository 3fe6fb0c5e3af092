package reference

import (
	"math/big"

	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// tier is one validated leverage bracket (TIER-1..6), as exact decimals.
type tier struct {
	min    *apd.Decimal // minNotional
	max    *apd.Decimal // maxNotional
	mmr    *apd.Decimal // maintenanceMarginRate, MMR_t
	maxLev *apd.Decimal // maxLeverage
	imr    *apd.Decimal // explicit initialMarginRate IMR_t (TIER-5, QTY-4); nil: none
	// cum, rate and den: MM's linear piece on this tier is
	// N * (rate/den) - cum/den (TIER-8). den is 1 except under
	// TIER-3:half-initial, where it is the table's common denominator
	// D = lcm(2 * maxLeverage_t), rate = a_t (+ D * takerFeeRate) with
	// a_t = D / (2 * maxLeverage_t), and cum = c_t of SPEC's recursion.
	cum   *apd.Decimal // maintenance amount (numerator) cum_t, TIER-6 (0 under TIER-8:flat)
	rate  *apd.Decimal // the rate (numerator) of MM's linear piece: MMR_t, + takerFeeRate under QTY-5:taker
	den   *apd.Decimal // the common denominator of rate and cum (1, or D under TIER-3:half-initial)
	upper bool         // TIER-7:upper-inclusive (min < N <= max)
}

// schedule is what a market's variants change in its tier table.
type schedule struct {
	upper bool         // TIER-7:upper-inclusive
	flat  bool         // TIER-8:flat
	fee   *apd.Decimal // QTY-5: takerFeeRate under "taker", else 0
	half  bool         // TIER-3:half-initial
	// all collects the leverages of every half-initial tier of the
	// scenario (SPEC TIER-3's D <= 10^6 is on their lcm); nil: the table's.
	all *[]*apd.Decimal
}

// schedule returns the table-shaping variants of m (validated).
func (m *market) schedule() schedule {
	sc := schedule{
		upper: m.variants.TierBound == spec.TierBoundUpper,
		flat:  m.variants.TierSchedule == spec.TierScheduleFlat,
		fee:   dec(0),
		half:  m.variants.MaintenanceRate == spec.MaintenanceRateHalfInitial,
	}
	if m.variants.CloseFee == spec.CloseFeeTaker {
		sc.fee = m.takerFee
	}
	return sc
}

// maintenanceAmounts is TIER-6:
//
//	cum_1 = 0
//	cum_t = cum_(t-1) + minNotional_t * (MMR_t - MMR_(t-1))
//
// It returns cum_t for every tier t of the table, in order (0-based here,
// 1-based in SPEC). It makes MM continuous at every tier boundary.
func maintenanceAmounts(tiers []tier) []*apd.Decimal {
	cums := make([]*apd.Decimal, len(tiers))
	for t := range tiers {
		if t == 0 {
			cums[t] = dec(0)
			continue
		}
		cums[t] = add(cums[t-1], mul(tiers[t].min, sub(tiers[t].mmr, tiers[t-1].mmr)))
	}
	return cums
}

// tierOf is TIER-7: the index (0-based) of the tier t of a notional N >= 0
// with minNotional_t <= N < maxNotional_t (TIER-7:upper-inclusive:
// minNotional_t < N <= maxNotional_t, so tier 1 also holds N = 0); a notional
// beyond maxNotional of the last tier falls in the last tier (its formula
// extends upward).
func tierOf(tiers []tier, n *apd.Decimal) int {
	last := len(tiers) - 1
	for t := 0; t < last; t++ {
		if tiers[t].upper {
			if n.Cmp(tiers[t].max) <= 0 { // N > min_t: tier t-1 did not take it
				return t
			}
			continue
		}
		if tiers[t].min.Cmp(n) <= 0 && n.Cmp(tiers[t].max) < 0 {
			return t
		}
	}
	return last
}

// mmOnTier is the linear piece of TIER-8 for tier t: N * MMR_t - cum_t
// (QTY-5:taker: N * (MMR_t + takerFeeRate) - cum_t; TIER-8:flat: cum_t = 0).
//
// Under TIER-3:half-initial the piece is (N * rate - cum) / D, an exact
// rational (den = D).
func mmOnTier(tr tier, n *apd.Decimal) ratio {
	return quo(sub(mul(n, tr.rate), tr.cum), tr.den)
}

// maintenanceMargin is TIER-8: MM(N) = N * MMR_t - cum_t with t = tier(N)
// (with the market's variants, see mmOnTier).
// It returns MM(N) and t (0-based).
func maintenanceMargin(tiers []tier, n *apd.Decimal) (ratio, int) {
	t := tierOf(tiers, n)
	return mmOnTier(tiers[t], n), t
}

// halfInitialDen is TIER-3:half-initial's common denominator of a table's
// leverages (integers, the caller checks): D = lcm over t of 2 *
// maxLeverage_t. ok is false when D exceeds maxHalfInitialDen (SPEC TIER-3)
// or a leverage is not positive (TIER-4 reports that one).
func halfInitialDen(levs []*apd.Decimal) (d *apd.Decimal, ok bool) {
	lcm := big.NewInt(1)
	for _, l := range levs {
		two := new(big.Int).Mul(big.NewInt(2), decInt(l))
		if two.Sign() <= 0 {
			return dec(1), true // TIER-4 rejects it next
		}
		g := new(big.Int).GCD(nil, nil, lcm, two)
		lcm.Mul(lcm, new(big.Int).Quo(two, g))
		if lcm.Cmp(big.NewInt(maxHalfInitialDen)) > 0 {
			return nil, false
		}
	}
	return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(lcm), 0), true
}

// halfInitialNum is a_t = D / (2 * maxLeverage_t), an integer since 2 *
// maxLeverage_t divides D: MMR_t = a_t / D.
func halfInitialNum(d, lev *apd.Decimal) *apd.Decimal {
	a := new(big.Int).Quo(decInt(d), new(big.Int).Mul(big.NewInt(2), decInt(lev)))
	return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(a), 0)
}

// halfInitialCum is the numerator c_t (over D) of the last tier of tiers
// (TIER-6 with MMR_t = a_t/D): c_1 = 0, c_t = c_(t-1) + minNotional_t *
// (a_t - a_(t-1)).
func halfInitialCum(tiers []tier, d *apd.Decimal) *apd.Decimal {
	c := dec(0)
	for t := 1; t < len(tiers); t++ {
		c = add(c, mul(tiers[t].min, sub(halfInitialNum(d, tiers[t].maxLev), halfInitialNum(d, tiers[t-1].maxLev))))
	}
	return c
}

// maxHalfInitialDen is SPEC TIER-3:half-initial's bound on D.
const maxHalfInitialDen = 1_000_000

// isInteger reports whether x is an integer.
func isInteger(x *apd.Decimal) bool {
	var frac apd.Decimal
	x.Modf(nil, &frac)
	return frac.IsZero()
}

// decInt is the integer x (isInteger(x)) as a big.Int.
func decInt(x *apd.Decimal) *big.Int {
	var r apd.Decimal
	r.Reduce(x)
	v := r.Coeff.MathBigInt()
	if r.Negative {
		v.Neg(v)
	}
	if r.Exponent > 0 {
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(r.Exponent)), nil))
	}
	return v
}
