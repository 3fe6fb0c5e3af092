package model

import (
	"math/bits"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// LiquidationPrice returns the liquidation price of position i (SPEC
// LIQ-1..8): the root of f(P) = 0 with every other position of its pool at its
// mark, rounded up (long) or down (short) on the 1e-8 grid (Exact) and on the
// tick grid (Price). When there is none, OK is false and Reason says why.
func (p *Portfolio) LiquidationPrice(i int) (PriceResult, error) {
	if i < 0 || i >= len(p.pos) {
		return PriceResult{}, ErrIndex
	}
	ps := &p.pos[i]
	var k24, k16 wide.Int
	if ps.cross {
		// LIQ-8: K = walletBalance + sum over the other cross positions of
		// (U_j - MM_j); K0 (BKR-1) without the MM_j.
		k24, k16 = p.wallet24, p.wallet16
		for _, ci := range p.cross {
			if int(ci) == i {
				continue
			}
			_, _, u, mm, _, _ := p.eval(&p.pos[ci])
			k24 = k24.Add(u.Mul(p.u8d)).Sub(mm)
			k16 = k16.Add(u)
		}
	} else {
		if ps.isoOverflow {
			return PriceResult{}, reportErr("positions", i, "isolatedMargin")
		}
		k16 = wide.MulU64(uint64(ps.iso), u8)
		k24 = k16.Mul(p.u8d)
	}
	return p.liq(ps, k24, k16), nil
}

// liq solves LIQ-3..7 for position ps given K at scale 1e-24 (and K0 of
// BKR-1 at scale 1e-16, for POOL-5:at-equality's E = MM = 0 exception).
func (p *Portfolio) liq(ps *position, k24, k16 wide.Int) PriceResult {
	long := ps.sign > 0
	// The root is Y/(Q*dd) with Y at scale 1e-24 and dd at scale 1e-8; in
	// units of 1e-8 it is Y/(q*dd).
	var y wide.Int
	var dd uint64
	if ps.entry {
		// LIQ-4 entry basis: P = EP - s*(K - MM(Q*EP))/Q, so Y = Q*EP - s*(K - MM).
		x := k24.Sub(ps.mmE24)
		if long {
			y = ps.qe24.Sub(x)
		} else {
			y = ps.qe24.Add(x)
		}
		dd = p.u8d
		// LIQ-3: f(0) = K - s*Q*EP - MM(Q*EP) = -s*Y.
		if y.Sign() <= 0 {
			return noLiq(long)
		}
	} else {
		// LIQ-3 (mark basis, MM(0) = 0): f(0) = K - s*Q*EP.
		if long {
			if k24.Cmp(ps.qe24) >= 0 {
				return noLiq(true)
			}
		} else if k24.Add(ps.qe24).Sign() <= 0 {
			return noLiq(false)
		}
		// LIQ-4: the root's tier (see rootTier), then
		// P_t = (K - s*Q*EP + cum_t) / (Q*(MMR_t - s)) = Y / (Q*(1 - s*MMR_t)).
		t := p.rootTier(ps, k24)
		td := &ps.tiers[t]
		if long {
			y = ps.qe24.Sub(k24).Sub(td.cum24)
			dd = p.u8d - uint64(td.mmr)
		} else {
			y = k24.Add(ps.qe24).Add(td.cum24)
			dd = p.u8d + uint64(td.mmr)
			// TIER-8:flat: the short's root is the infimum of the
			// liquidatable set, max(P_t, minNotional_t/Q): below minN_t
			// the lower tier is safe, above it f jumps below zero.
			if mk := &p.markets[ps.mkt]; mk.flags.flat && y.Less(wide.MulU64(uint64(td.minN), u8).Mul(dd)) {
				y, dd = td.minN24, p.u8d
			}
		}
	}
	tick := uint64(p.markets[ps.mkt].tick)
	if long {
		// LIQ-5/6: up and tickUp; ceil(x/(a*b)) = ceil(ceil(x/a)/b).
		ex, ok := y.DivCeil(ps.q).DivCeil(dd).Int64()
		if !ok {
			return PriceResult{Reason: spec.ReasonOutOfRange}
		}
		// LIQ-5 is LIQ-6's rule on the 1e-8 grid.
		if p.onGridLiquidatable(ps, k24, k16, y, dd, uint64(ex)) {
			if ex++; uint64(ex) > maxU {
				return PriceResult{Reason: spec.ReasonOutOfRange}
			}
		}
		pr, ok := tickUp(uint64(ex), tick)
		if !ok {
			return PriceResult{Reason: spec.ReasonOutOfRange} // LIQ-7
		}
		// LIQ-6: the reported price is not liquidatable; when the root is on
		// the tick grid and liquidatable (at-equality, or a flat jump), one
		// tick above it.
		if p.onGridLiquidatable(ps, k24, k16, y, dd, pr) {
			if pr, ok = tickUp(pr+tick, tick); !ok || pr > maxU {
				return PriceResult{Reason: spec.ReasonOutOfRange} // LIQ-7
			}
		}
		return PriceResult{Price: Fixed(pr), Exact: Fixed(ex), OK: true}
	}
	qd, _ := y.DivFloor(ps.q)
	qd, _ = qd.DivFloor(dd)
	ex, ok := qd.Int64()
	if !ok {
		return PriceResult{Reason: spec.ReasonOutOfRange} // LIQ-7: down(root) > MAX
	}
	if ex > 0 && p.onGridLiquidatable(ps, k24, k16, y, dd, uint64(ex)) {
		ex-- // LIQ-5 is LIQ-6's rule on the 1e-8 grid
	}
	pr := uint64(ex) / tick * tick
	if pr != 0 && p.onGridLiquidatable(ps, k24, k16, y, dd, pr) {
		pr -= tick // LIQ-6: the root itself is liquidatable
	}
	if pr == 0 {
		return PriceResult{Reason: spec.ReasonAlwaysLiquidatable} // LIQ-6
	}
	return PriceResult{Price: Fixed(pr), Exact: Fixed(ex), OK: true}
}

// rootTier is the tier of LIQ-4's root under the market's variants: for a
// long the last tier t whose piece f_t is liquidatable just above (at, for
// at-equality with lower-inclusive bounds) its lower end minNotional_t/Q;
// for a short the first tier t whose piece is liquidatable just below (at,
// for at-equality with upper-inclusive bounds) its upper end maxNotional_t/Q,
// or the last tier. f_t is the linear piece K + s*(N - Q*EP) - (N*MMR_t -
// cum_t) at N = Q*P, scale 1e-24. Under the progressive schedule MM is
// continuous and f monotone, so this is the tier whose range holds the root
// (at a boundary both tiers give the same root); under TIER-8:flat f jumps
// down at each boundary, and for a long the liquidatable set may have gaps:
// the last candidate gives its supremum.
func (p *Portfolio) rootTier(ps *position, k24 wide.Int) int {
	mk := &p.markets[ps.mkt]
	flat, atEq, upper := mk.flags.flat, p.atEquality, mk.flags.upper
	long := ps.sign > 0
	tiers := ps.tiers
	if long {
		last := 0
		for t := 1; t < len(tiers); t++ {
			td := &tiers[t]
			f := k24.Add(td.minN24).Sub(ps.qe24).Sub(td.mmMin24) // f_t(minN_t/Q)
			switch sg := f.Sign(); {
			case sg < 0:
				last = t
			case sg == 0 && (!flat || (atEq && !upper)):
				last = t
			case !flat:
				return last // progressive: f is monotone, no later tier qualifies
			}
		}
		return last
	}
	for t := 0; t+1 < len(tiers); t++ {
		td := &tiers[t]
		// f_t(maxNotional_t/Q) = K - (maxN - Q*EP) - (maxN*MMR_t - cum_t).
		maxN24 := wide.MulU64(uint64(td.maxN), u8).Mul(p.u8d)
		mmMax24 := wide.MulU64(uint64(td.maxN), uint64(td.mmr)).Mul(u8).Sub(td.cum24)
		f := k24.Sub(maxN24).Add(ps.qe24).Sub(mmMax24)
		if sg := f.Sign(); sg < 0 || (sg == 0 && flat && atEq && upper) {
			return t
		}
	}
	return len(tiers) - 1
}

// onGridLiquidatable reports whether the root Y/(q*dd) equals the tick price
// pr and the pool is liquidatable at pr (POOL-5 under the market's trigger),
// so that LIQ-6 must report the next tick away from it.
func (p *Portfolio) onGridLiquidatable(ps *position, k24, k16, y wide.Int, dd, pr uint64) bool {
	if wide.MulU64(pr, ps.q).Mul(dd).Cmp(y) != 0 {
		return false
	}
	// f(pr) = K + s*(Q*pr - Q*EP) - MM_i(pr), scale 1e-24.
	nHi, nLo := bits.Mul64(ps.q, pr)
	n16 := wide.Int{W0: nLo, W1: nHi}
	x := n16.Sub(ps.qe16).Mul(p.u8d)
	if ps.sign < 0 {
		x = x.Neg()
	}
	mm := ps.mmE24
	if !ps.entry {
		td := &ps.tiers[tierN(ps.tiers, nHi, nLo)]
		mm = n16.Mul(uint64(td.mmr)).Sub(td.cum24)
	}
	// E - MM = f: POOL-5 on E = K0 + s*(Q*pr - Q*EP) and MM = E - f.
	e := k16.Mul(p.u8d).Add(x)
	return triggered24(p.atEquality, e, e.Sub(k24.Add(x).Sub(mm)))
}

func noLiq(long bool) PriceResult {
	if long {
		return PriceResult{Reason: spec.ReasonNeverLiquidatable}
	}
	return PriceResult{Reason: spec.ReasonAlwaysLiquidatable}
}

// tickUp returns k*ceil(x/k) when it is <= MAX, for 0 < x <= MAX, k > 0.
func tickUp(x, k uint64) (uint64, bool) {
	c := (x + k - 1) / k // x, k < 2^63: no overflow
	hi, lo := bits.Mul64(c, k)
	if hi != 0 || lo > maxU {
		return 0, false
	}
	return lo, true
}

// BankruptcyPrice returns the bankruptcy price of position i (SPEC BKR-1..3):
// the root of g(P) = K0 + s*Q*(P - EP) = 0, with K0 the pool's balance plus the
// other positions' unrealized PnL, on the tick grid (tickUp for a long,
// tickDown for a short).
func (p *Portfolio) BankruptcyPrice(i int) (PriceResult, error) {
	if i < 0 || i >= len(p.pos) {
		return PriceResult{}, ErrIndex
	}
	ps := &p.pos[i]
	var k16 wide.Int
	if ps.cross {
		k16 = p.wallet16
		for _, ci := range p.cross {
			if int(ci) == i {
				continue
			}
			k16 = k16.Add(p.upnl16(&p.pos[ci]))
		}
	} else {
		if ps.isoOverflow {
			return PriceResult{}, reportErr("positions", i, "isolatedMargin")
		}
		k16 = wide.MulU64(uint64(ps.iso), u8)
	}
	return p.bkr(ps, k16), nil
}

// upnl16 is QTY-2 exactly, at scale 1e-16: s*(Q*MP - Q*EP).
func (p *Portfolio) upnl16(ps *position) wide.Int {
	u := wide.MulU64(ps.q, uint64(p.marks[ps.mkt])).Sub(ps.qe16)
	if ps.sign < 0 {
		return u.Neg()
	}
	return u
}

// bkr solves BKR-1..3 given K0 at scale 1e-16: the root in units is
// (q*e - s*K0)/q.
func (p *Portfolio) bkr(ps *position, k16 wide.Int) PriceResult {
	long := ps.sign > 0
	y := ps.qe16
	if long {
		y = y.Sub(k16)
	} else {
		y = y.Add(k16)
	}
	if y.Sign() <= 0 {
		if long {
			return PriceResult{Reason: spec.ReasonNeverBankrupt}
		}
		return PriceResult{Reason: spec.ReasonAlwaysBankrupt}
	}
	tick := uint64(p.markets[ps.mkt].tick)
	if long {
		ex := y.DivCeil(ps.q)
		c := ex.DivCeil(tick)
		cv, ok := c.Int64()
		if !ok {
			return PriceResult{Reason: spec.ReasonOutOfRange}
		}
		hi, lo := bits.Mul64(uint64(cv), tick)
		if hi != 0 || lo > maxU {
			return PriceResult{Reason: spec.ReasonOutOfRange}
		}
		exv, _ := ex.Int64() // ex <= tick price <= MAX
		return PriceResult{Price: Fixed(lo), Exact: Fixed(exv), OK: true}
	}
	ex, _ := y.DivFloor(ps.q)
	c, _ := ex.DivFloor(tick)
	cv, ok := c.Int64()
	if !ok {
		return PriceResult{Reason: spec.ReasonOutOfRange}
	}
	hi, lo := bits.Mul64(uint64(cv), tick)
	if hi != 0 || lo > maxU {
		return PriceResult{Reason: spec.ReasonOutOfRange}
	}
	if lo == 0 {
		return PriceResult{Reason: spec.ReasonAlwaysBankrupt}
	}
	exv, ok := ex.Int64()
	if !ok {
		exv = 0 // the tick price is in range but the 1e-8 rounding is not
	}
	return PriceResult{Price: Fixed(lo), Exact: Fixed(exv), OK: true}
}
