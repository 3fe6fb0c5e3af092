package reference

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// The reasons SPEC gives for a null liquidation or bankruptcy price.
const (
	reasonNeverLiquidatable  = "never-liquidatable"  // LIQ-3
	reasonAlwaysLiquidatable = "always-liquidatable" // LIQ-3, LIQ-6
	reasonOutOfRange         = "out-of-range"        // LIQ-7, BKR-3
	reasonNeverBankrupt      = "never-bankrupt"      // BKR-2
	reasonAlwaysBankrupt     = "always-bankrupt"     // BKR-2, BKR-3
)

// reportedPrice is a liquidation or bankruptcy price as reported: either the
// prices (tick and, for liquidation, exact) or a reason.
type reportedPrice struct {
	tick   *apd.Decimal // on the tick grid; nil when none
	exact  *apd.Decimal // on the 1e-8 grid (liquidation only); nil when none
	reason string
}

// othersOfPool returns, for position i of pool pl, the sum over the other
// positions j of the pool of U_j - MM_j: the terms of K (LIQ-1). Every other
// position is held at its mark.
func othersOfPool(pl pool, i int, qs []quantities) ratio {
	sum := exact(dec(0))
	for _, j := range pl.members {
		if j == i {
			continue
		}
		sum = sum.plus(exact(qs[j].u)).minus(qs[j].mm)
	}
	return sum
}

// liquidationK is K of LIQ-1: K = B + sum over j in p, j != i, of (U_j - MM_j),
// with B = walletBalance (cross) or isolatedMargin_i (isolated). In cross mode
// K holds the other cross positions at their marks (LIQ-8).
// K is an exact rational: the other positions' MM_j are rational under
// TIER-3:half-initial.
func liquidationK(pl pool, i int, qs []quantities) ratio {
	return exact(pl.base).plus(othersOfPool(pl, i, qs))
}

// bankruptcyK0 is K0 of BKR-1: K0 = B + sum over j in p, j != i, of U_j.
func bankruptcyK0(pl pool, i int, qs []quantities) *apd.Decimal {
	k0 := pl.base
	for _, j := range pl.members {
		if j != i {
			k0 = add(k0, qs[j].u)
		}
	}
	return k0
}

// liquidationRoot is LIQ-1..4: the root in P > 0 of
//
//	f(P) = K + s*Q*(P - EP) - MM_i(P),
//
// MM_i(P) = MM(Q*P) (mark basis) or the constant MM(Q*EP) (entry basis);
// EP enters only through the entry notional qep = Q*EP (see position.qep). It
// returns the exact root, or ok = false and the LIQ-3 reason when there is none:
//
//	f(0) = K - s*Q*EP - MM_i(0), MM_i(0) = 0 (mark) or MM(Q*EP) (entry);
//	a long with f(0) >= 0: never-liquidatable; a short with f(0) <= 0:
//	always-liquidatable.
//
// Otherwise (LIQ-4), under the entry basis P = EP - s*(K - MM(Q*EP))/Q. Under
// the mark basis the root is the boundary of the liquidatable set S (LIQ-4):
// for a long its supremum, for a short its infimum. This function computes it
// tier by tier from the pieces f_t(P) = K + s*Q*(P - EP) - (Q*P*rate_t -
// cum_t), each zero at
//
//	P_t = (K - s*Q*EP + cum_t) / (Q * (rate_t - s)),
//
// on the price range I_t of tier t (TIER-7's bound: [min_t, max_t)/Q or
// (min_t, max_t]/Q; the last tier unbounded above): S meets I_t in the
// prices below P_t (long) or above it (short), P_t itself included under
// POOL-5:at-equality. So, compared exactly:
//
//	long:  root = max over the tiers t where S meets I_t of min(P_t, max_t/Q)
//	short: root = min over the tiers t where S meets I_t of max(P_t, min_t/Q)
//
// Under the progressive schedule this is the P_t whose notional lies in its
// own tier (f is continuous and monotone); under TIER-8:flat f jumps down at
// each boundary, and a short's root may be a boundary min_t/Q.
func liquidationRoot(m *market, atEq bool, s int, q, qep *apd.Decimal, k ratio) (root ratio, reason string, ok bool) {
	sQEP := mul(sgn(s), qep)
	mm0 := exact(dec(0)) // MM_i(0)
	if m.basis == spec.BasisEntry {
		mm0, _ = maintenanceMargin(m.tiers, qep)
	}
	// LIQ-3: existence.
	f0 := k.minus(exact(sQEP)).minus(mm0)
	if s > 0 && f0.sign() >= 0 {
		return ratio{}, reasonNeverLiquidatable, false
	}
	if s < 0 && f0.sign() <= 0 {
		return ratio{}, reasonAlwaysLiquidatable, false
	}
	// LIQ-4, entry basis: P = EP - s*(K - MM(Q*EP))/Q = (Q*EP - s*(K - MM(Q*EP))) / Q.
	if m.basis == spec.BasisEntry {
		return exact(qep).minus(exact(sgn(s)).times(k.minus(mm0))).over(q), "", true
	}
	// LIQ-4, mark basis: the boundary of S, tier by tier (notionals Q*P).
	last := len(m.tiers) - 1
	var best ratio
	found := false
	for t, tr := range m.tiers {
		// Q * P_t = (K - s*Q*EP + cum_t) / (rate_t - s), with rate_t =
		// tr.rate/tr.den and cum_t = tr.cum/tr.den (den = D under
		// TIER-3:half-initial, else 1): (K*den - s*Q*EP*den + cum) /
		// (rate - s*den); rate_t - s != 0 (TIER-3, QTY-5).
		qPt := k.times(exact(tr.den)).minus(exact(mul(sQEP, tr.den))).plus(exact(tr.cum)).over(sub(tr.rate, mul(sgn(s), tr.den)))
		lo, hi := exact(tr.min), exact(tr.max)
		if s > 0 {
			// S meets I_t iff some notional of the tier is below Q*P_t
			// (at or below at-equality).
			c := cmpRatio(qPt, lo)
			meets := c > 0 || (c == 0 && atEq && !tr.upper && t > 0)
			if !meets {
				continue
			}
			v := qPt
			if t < last {
				v = minRatio(qPt, hi)
			}
			if !found || cmpRatio(v, best) > 0 {
				best, found = v, true
			}
			continue
		}
		c := -1
		if t < last {
			c = cmpRatio(qPt, hi)
		}
		meets := c < 0 || (c == 0 && atEq && tr.upper)
		if !meets {
			continue
		}
		v := maxRatio(qPt, lo)
		if !found || cmpRatio(v, best) < 0 {
			best, found = v, true
		}
	}
	if !found {
		panic(bugf("LIQ-4: no tier holds the liquidation price (K=%s/%s, s=%d, Q=%s, Q*EP=%s)", str(k.num), str(k.den), s, str(q), str(qep)))
	}
	return best.times(quo(dec(1), q)), "", true
}

// liquidatableAt is POOL-5 for position i's pool at price P with every other
// position at its mark: with E(P) = K0 + s*Q*(P - EP) (BKR-1's g) and
// f(P) = E(P) - MM(P) (LIQ-1), the pool's MM at P is E(P) - f(P).
func liquidatableAt(m *market, atEq bool, s int, q, qep *apd.Decimal, k ratio, k0, price *apd.Decimal) bool {
	var mmP ratio
	if m.basis == spec.BasisEntry {
		mmP, _ = maintenanceMargin(m.tiers, qep)
	} else {
		mmP, _ = maintenanceMargin(m.tiers, mul(q, price))
	}
	move := mul(sgn(s), sub(mul(q, price), qep))
	f := k.plus(exact(move)).minus(mmP)
	e := add(k0, move)
	return triggered(atEq, e, exact(e).minus(f))
}

// liquidationPrice is LIQ-5..7 on the root of liquidationRoot:
//
//   - LIQ-5: liquidationPriceExact = up(root) (long) or down(root) (short),
//     moved one unit away from the root like LIQ-6's price;
//   - LIQ-6: liquidationPrice = tickUp(root) (long) or tickDown(root) (short),
//     moved one tick away from the root when that is the root itself and the
//     pool is liquidatable there (at-equality; a flat schedule's jump); a
//     short whose price is then 0 has none, always-liquidatable;
//   - LIQ-7: when the rounded price exceeds MAX, both are null, out-of-range.
//
// Ambiguity: LIQ-7 says "the rounded price"; both rounded prices are checked
// (for a long tickUp(root) >= up(root), for a short down(root) >= tickDown(root)),
// so either one above MAX nulls both.
func liquidationPrice(m *market, atEq bool, s int, q, qep *apd.Decimal, k ratio, k0 *apd.Decimal) reportedPrice {
	root, reason, ok := liquidationRoot(m, atEq, s, q, qep, k)
	if !ok {
		return reportedPrice{reason: reason}
	}
	var r reportedPrice
	if m.mut == mutLPTowardMark {
		s = -s // rounds a long down and a short up (mutant.go)
	}
	if s > 0 {
		r.exact, r.tick = up(root), tickUp(root, m.tick)
		for _, x := range []struct{ p, k *apd.Decimal }{{r.exact, unit}, {r.tick, m.tick}} {
			if cmpRatio(exact(x.p), root) == 0 && liquidatableAt(m, atEq, s, q, qep, k, k0, x.p) {
				x.p.Set(add(x.p, x.k))
			}
		}
	} else {
		r.exact, r.tick = down(root), tickDown(root, m.tick)
		for _, x := range []struct{ p, k *apd.Decimal }{{r.exact, unit}, {r.tick, m.tick}} {
			if x.p.Sign() > 0 && cmpRatio(exact(x.p), root) == 0 && liquidatableAt(m, atEq, s, q, qep, k, k0, x.p) {
				x.p.Set(sub(x.p, x.k))
			}
		}
		if r.tick.Sign() == 0 {
			return reportedPrice{reason: reasonAlwaysLiquidatable}
		}
	}
	if r.exact.Cmp(maxValue) > 0 || r.tick.Cmp(maxValue) > 0 {
		return reportedPrice{reason: reasonOutOfRange}
	}
	return r
}

// bankruptcyPrice is BKR-1..3. With K0 = B + sum over j in p, j != i, of U_j,
// g(P) = K0 + s*Q*(P - EP) is zero at the root EP - s*K0/Q.
//
//   - BKR-2: a long whose root is <= 0: never-bankrupt; a short whose root is
//     <= 0: always-bankrupt.
//   - BKR-3: reported tickUp(root) (long) or tickDown(root) (short); a short
//     whose tickDown is 0: always-bankrupt; above MAX: out-of-range.
func bankruptcyPrice(m *market, s int, q, qep, k0 *apd.Decimal) reportedPrice {
	// root = EP - s*K0/Q = (Q*EP - s*K0) / Q
	root := quo(sub(qep, mul(sgn(s), k0)), q)
	if root.sign() <= 0 {
		if s > 0 {
			return reportedPrice{reason: reasonNeverBankrupt}
		}
		return reportedPrice{reason: reasonAlwaysBankrupt}
	}
	var r reportedPrice
	if s > 0 {
		r.tick = tickUp(root, m.tick)
	} else {
		r.tick = tickDown(root, m.tick)
		if r.tick.Sign() == 0 {
			return reportedPrice{reason: reasonAlwaysBankrupt}
		}
	}
	if r.tick.Cmp(maxValue) > 0 {
		return reportedPrice{reason: reasonOutOfRange}
	}
	return r
}
