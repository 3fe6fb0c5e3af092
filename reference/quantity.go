package reference

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// quantities are the exact (unrounded) per-position quantities of QTY, at the
// mark.
type quantities struct {
	n    *apd.Decimal // notional N (QTY-1)
	u    *apd.Decimal // unrealized PnL U (QTY-2)
	lEff *apd.Decimal // effective leverage L_eff (QTY-3)
	im   ratio        // initial margin IM = N / L_eff (QTY-4)
	mm   ratio        // maintenance margin MM(Nb) (QTY-5), exact (rational under TIER-3:half-initial)
	tier int          // tier(Nb), 0-based
}

// notional is QTY-1: N = Q * P (P the mark for reports).
func notional(q, p *apd.Decimal) *apd.Decimal { return mul(q, p) }

// unrealizedPnl is QTY-2: U = s * Q * (MP - EP), written with the entry
// notional Q*EP as U = s * (Q*MP - Q*EP) (see position.qep).
func unrealizedPnl(s int, q, mp, qep *apd.Decimal) *apd.Decimal {
	return mul(sgn(s), sub(mul(q, mp), qep))
}

// effectiveLeverage is QTY-3: L_eff = min(leverage, maxLeverage_(tier(N))).
// A leverage above the tier's maximum is capped, not an error.
func effectiveLeverage(tiers []tier, leverage, n *apd.Decimal) *apd.Decimal {
	return minDec(leverage, tiers[tierOf(tiers, n)].maxLev)
}

// initialMargin is QTY-4: IM = N / L_eff, exact.
func initialMargin(n, lEff *apd.Decimal) ratio { return quo(n, lEff) }

// initialMarginOn is QTY-4 for a notional n on tier tr at the chosen
// leverage: N / min(leverage, maxLeverage_t), or, with explicit initial
// margin rates (TIER-1, TIER-5), N * max(1/leverage, IMR_t), exact.
func initialMarginOn(tr tier, n, leverage *apd.Decimal) ratio {
	if tr.imr == nil {
		return initialMargin(n, minDec(leverage, tr.maxLev))
	}
	return maxRatio(quo(n, leverage), exact(mul(n, tr.imr)))
}

// mmBasisNotional is QTY-5's basis notional (MKT-3): Nb = N = Q * MP under
// mmBasis "mark", Nb = Q * EP under "entry".
func mmBasisNotional(basis spec.MMBasis, q, mp, qep *apd.Decimal) *apd.Decimal {
	if basis == spec.BasisEntry {
		return qep
	}
	return mul(q, mp)
}

// positionQuantities computes QTY-1..5 for a validated position at its mark.
func positionQuantities(p *position) quantities {
	var r quantities
	r.n = notional(p.q, p.mp)
	r.u = unrealizedPnl(p.s, p.q, p.mp, p.qep)
	r.lEff = effectiveLeverage(p.mkt.tiers, p.leverage, r.n)
	r.im = initialMarginOn(p.mkt.tiers[tierOf(p.mkt.tiers, r.n)], r.n, p.leverage)
	r.mm, r.tier = maintenanceMargin(p.mkt.tiers, mmBasisNotional(p.mkt.basis, p.q, p.mp, p.qep))
	if p.mkt.mut != noMutation {
		p.mkt.mut.quantities(p, &r)
	}
	return r
}

// pool is one margin pool of POOL-1/POOL-2, exact.
type pool struct {
	mode     spec.MarginMode
	position int          // -1 for cross, else the isolated position's index
	members  []int        // indices of the positions in the pool
	base     *apd.Decimal // B: walletBalance (cross) or isolatedMargin_i (isolated)
	e        *apd.Decimal // equity E
	im       ratio        // IM, the exact sum of IM_i
	mm       ratio        // MM, the exact sum of MM_i
	atEq     bool         // POOL-5:at-equality (the scenario's trigger, VAR-1)
}

// crossPool is POOL-1: E = walletBalance + sum U_i, IM = sum IM_i,
// MM = sum MM_i over the cross positions, each sum over exact values. It is
// always built, also with no cross position (then MM = 0, POOL-5).
func crossPool(wallet *apd.Decimal, positions []*position, qs []quantities) pool {
	pl := pool{mode: spec.Cross, position: -1, base: wallet, e: wallet, im: exact(dec(0)), mm: exact(dec(0))}
	for i, p := range positions {
		if p.mode != spec.Cross {
			continue
		}
		pl.members = append(pl.members, i)
		pl.e = add(pl.e, qs[i].u)
		pl.im = pl.im.plus(qs[i].im)
		pl.mm = pl.mm.plus(qs[i].mm)
	}
	return pl
}

// isolatedPool is POOL-2: for isolated position i, E = isolatedMargin_i + U_i,
// IM = IM_i, MM = MM_i. No other position or the wallet affects it.
func isolatedPool(i int, p *position, q quantities) pool {
	return pool{
		mode: spec.Isolated, position: i, members: []int{i}, base: p.margin,
		e: add(p.margin, q.u), im: q.im, mm: q.mm,
	}
}

// available is POOL-3: max(0, E - IM), reported down.
func available(pl pool) *apd.Decimal {
	return down(maxRatio(exact(dec(0)), exact(pl.e).minus(pl.im)))
}

// marginRatio is POOL-4: MM / E when E > 0, reported up; null (ok = false)
// when E <= 0, and null when up(MM/E) > MAX.
func marginRatio(pl pool) (r *apd.Decimal, ok bool) {
	if pl.e.Sign() <= 0 {
		return nil, false
	}
	r = up(pl.mm.over(pl.e))
	if r.Cmp(maxValue) > 0 {
		return nil, false
	}
	return r, true
}

// liquidatable is POOL-5: a pool is liquidatable iff E < MM, compared exactly
// at the mark; E = MM is not liquidatable, except under POOL-5:at-equality
// when E = MM != 0.
func liquidatable(pl pool) bool { return triggered(pl.atEq, pl.e, pl.mm) }

// triggered is POOL-5's comparison of an equity e with a maintenance margin
// mm: e < mm, or e = mm != 0 at-equality.
func triggered(atEq bool, e *apd.Decimal, mm ratio) bool {
	c := cmpRatio(exact(e), mm)
	if c != 0 || !atEq {
		return c < 0
	}
	return !e.IsZero()
}

// maxRemovableMargin is POOL-6 for an isolated position with margin M:
//
//	down(max(0, min(M, M + min(U, 0) - IM)))
//
// What remains must cover the initial margin at the mark, unrealized profit is
// not withdrawable, and unrealized loss counts.
func maxRemovableMargin(m, u *apd.Decimal, im ratio) *apd.Decimal {
	afterLossAndIM := exact(add(m, minDec(u, dec(0)))).minus(im)
	return down(maxRatio(exact(dec(0)), minRatio(exact(m), afterLossAndIM)))
}
