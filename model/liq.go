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
	var k24 wide.Int
	if ps.cross {
		// LIQ-8: K = walletBalance + sum over the other cross positions of (U_j - MM_j).
		k24 = p.wallet24
		for _, ci := range p.cross {
			if int(ci) == i {
				continue
			}
			_, _, u, mm, _, _ := p.eval(&p.pos[ci])
			k24 = k24.Add(u.Mul(u8)).Sub(mm)
		}
	} else {
		if ps.isoOverflow {
			return PriceResult{}, reportErr("positions", i, "isolatedMargin")
		}
		k24 = wide.MulU64(uint64(ps.iso), u16)
	}
	return p.liq(ps, k24), nil
}

// liq solves LIQ-3..7 for position ps given K at scale 1e-24.
func (p *Portfolio) liq(ps *position, k24 wide.Int) PriceResult {
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
		dd = u8
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
		// LIQ-4: the root's tier is the last tier t whose lower boundary
		// notional N = minNotional_t has f(N/Q) <= 0 (long) or >= 0 (short),
		// f being monotone (LIQ-2). At scale 1e-24,
		// f(N/Q) = K + s*(N - Q*EP) - MM_t(N).
		t := 0
		for t+1 < len(ps.tiers) {
			td := &ps.tiers[t+1]
			if long {
				if k24.Add(td.minN24).Sub(ps.qe24).Sub(td.mmMin24).Sign() > 0 {
					break
				}
			} else if k24.Sub(td.minN24).Add(ps.qe24).Sub(td.mmMin24).Sign() < 0 {
				break
			}
			t++
		}
		// P_t = (K - s*Q*EP + cum_t) / (Q*(MMR_t - s)) = Y / (Q*(1 - s*MMR_t)).
		td := &ps.tiers[t]
		if long {
			y = ps.qe24.Sub(k24).Sub(td.cum24)
			dd = u8 - uint64(td.mmr)
		} else {
			y = k24.Add(ps.qe24).Add(td.cum24)
			dd = u8 + uint64(td.mmr)
		}
	}
	tick := uint64(p.markets[ps.mkt].tick)
	if long {
		// LIQ-5/6: up and tickUp; ceil(x/(a*b)) = ceil(ceil(x/a)/b).
		ex, ok := y.DivCeil(ps.q).DivCeil(dd).Int64()
		if !ok {
			return PriceResult{Reason: spec.ReasonOutOfRange}
		}
		pr, ok := tickUp(uint64(ex), tick)
		if !ok {
			return PriceResult{Reason: spec.ReasonOutOfRange} // LIQ-7
		}
		return PriceResult{Price: Fixed(pr), Exact: Fixed(ex), OK: true}
	}
	qd, _ := y.DivFloor(ps.q)
	qd, _ = qd.DivFloor(dd)
	ex, ok := qd.Int64()
	if !ok {
		return PriceResult{Reason: spec.ReasonOutOfRange} // LIQ-7: down(root) > MAX
	}
	pr := uint64(ex) / tick * tick
	if pr == 0 {
		return PriceResult{Reason: spec.ReasonAlwaysLiquidatable} // LIQ-6
	}
	return PriceResult{Price: Fixed(pr), Exact: Fixed(ex), OK: true}
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
