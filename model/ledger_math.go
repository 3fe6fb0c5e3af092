package model

import (
	"math/big"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model/internal/wide"
)

// Exact pool arithmetic of the ledger (SPEC POOL-1..6 on ledger positions).
// As in the engine, a "16" value is at scale 1e-16 and a "24" value at scale
// 1e-24; initial margins, sums of fractions with different leverages, are
// exact rationals in units of 1e-8 (math/big: the ledger is not the hot path).

// notional16 is Q*MP at scale 1e-16.
func (l *Ledger) notional16(ps *lpos) wide.Int {
	return ps.q.Mul(uint64(l.marks[ps.mkt]))
}

// upnl16 is QTY-2 with the cost basis: U = s*(Q*MP - V), scale 1e-16.
func (l *Ledger) upnl16(ps *lpos) wide.Int {
	u := l.notional16(ps).Sub(ps.v.Mul(u8))
	if ps.sign < 0 {
		return u.Neg()
	}
	return u
}

// mm24 is QTY-5: MM(Nb) with Nb = Q*MP (mark basis) or V (entry basis),
// times the state's D (1 without a TIER-3:half-initial market), at scale
// 1e-24: under half-initial MM(N) = (N*a_t - c_t)/D with mmr = a_t*1e8 and
// cum24 = c_t*1e16 (halfinitial.go), an exact integer; every other market's
// mmr and cum24 are scaled by D too, so a pool's sum stays one integer.
func (l *Ledger) mm24(ps *lpos) wide.Int {
	mk := &l.markets[ps.mkt]
	var n wide.Int
	if mk.entry {
		n = ps.v.Mul(u8)
	} else {
		n = l.notional16(ps)
	}
	td := &mk.tiers[tierOf(mk.tiers, n)]
	return n.Mul(uint64(td.mmr)).Sub(td.cum24)
}

// imRate returns (mul, den) of QTY-4's IM rate of position ps at notional
// n16 (scale 1e-16): IM in units = n16 * mul / den, with (1, min(L,
// maxLeverage_t)) by default and, under explicit initial margin rates
// (TIER-5), (1, L) when 1/L >= IMR_t else (IMR_t in units, 1e16): IM = N *
// max(1/L, IMR_t) (imFrac, explicitimr.go). L is the account's leverage.
func (l *Ledger) imRate(a *lacct, mi int, n16 wide.Int) (mul, den uint64) {
	mk := &l.markets[mi]
	lev, _ := a.setting(l, mi)
	return imFrac(lev, &mk.tiers[tierOf(mk.tiers, n16)])
}

// im is QTY-4, N * max(1/L, IMR_t) (explicit rates) or N / min(L,
// maxLeverage_(tier(N))), in units, exact.
func (l *Ledger) im(a *lacct, ps *lpos) *big.Rat {
	n := l.notional16(ps)
	mul, den := l.imRate(a, ps.mkt, n)
	// N16 * mul / den: with (1, L_u), (N*1e16)/(L*1e8) = IM*1e8: IM in units.
	return new(big.Rat).SetFrac(wbig(n.Mul(mul)), new(big.Int).SetUint64(den))
}

// crossPool returns the cross pool's E (scale 1e-16) and MM (scale 1e-24)
// (POOL-1); with no cross position MM = 0.
func (l *Ledger) crossPool(a *lacct) (e16, mm24 wide.Int) {
	e16 = a.wallet.Mul(u8)
	for i := range a.pos {
		ps := &a.pos[i]
		if !ps.cross || ps.q.IsZero() {
			continue
		}
		e16 = e16.Add(l.upnl16(ps))
		mm24 = mm24.Add(l.mm24(ps))
	}
	return e16, mm24
}

// crossIM is the cross pool's IM in units, exact.
func (l *Ledger) crossIM(a *lacct) *big.Rat {
	s := new(big.Rat)
	for i := range a.pos {
		if ps := &a.pos[i]; ps.cross && !ps.q.IsZero() {
			s.Add(s, l.im(a, ps))
		}
	}
	return s
}

// geIM reports x >= IM exactly, x given at scale 1e-16 and IM the initial
// margin of position only, or of a's cross pool when only is nil. With
// IM*1e16 = sum N16_i*1e8*mul_i/den_i = S + sum r_i/den_i (0 <= r_i <
// den_i; (mul, den) of imRate, (1, L_i) by default), the answer
// is decided in wide integers unless 0 <= x - S < the number of non-zero
// remainders, where the fractions are summed exactly.
func (l *Ledger) geIM(x16 wide.Int, a *lacct, only *lpos) bool {
	var s wide.Int
	var fr [][2]uint64
	add := func(ps *lpos) {
		n := l.notional16(ps)
		mul, den := l.imRate(a, ps.mkt, n)
		// IM*1e16 = N16*mul*1e8/den (< 2^127 * 2^27 * 2^27, in range).
		q, r := n.Mul(u8).Mul(mul).DivFloor(den)
		s = s.Add(q)
		if r != 0 {
			fr = append(fr, [2]uint64{r, den})
		}
	}
	if only != nil {
		add(only)
	} else {
		for i := range a.pos {
			if ps := &a.pos[i]; ps.cross && !ps.q.IsZero() {
				add(ps)
			}
		}
	}
	diff := x16.Sub(s)
	if diff.IsNeg() {
		return false
	}
	if diff.Cmp(wide.FromInt64(int64(len(fr)))) >= 0 {
		return true
	}
	sum := new(big.Rat)
	for _, f := range fr {
		sum.Add(sum, new(big.Rat).SetFrac(new(big.Int).SetUint64(f[0]), new(big.Int).SetUint64(f[1])))
	}
	return new(big.Rat).SetInt(wbig(diff)).Cmp(sum) >= 0
}

// isoPool returns an isolated pool's E and MM (POOL-2).
func (l *Ledger) isoPool(ps *lpos) (e16, mm24 wide.Int) {
	return ps.iso.Mul(u8).Add(l.upnl16(ps)), l.mm24(ps)
}

// liquidatable is POOL-5: E < MM exactly, with mm24 = D*MM at scale 1e-24
// (mm24): E*1e24*D = e16*u8d < mm24; under POOL-5:at-equality E <= MM
// except E = MM = 0.
func (l *Ledger) liquidatable(e16, mm24 wide.Int) bool {
	ed := e16.Mul(l.u8d)
	if c := ed.Cmp(mm24); c != 0 || !l.atEquality {
		return c < 0
	}
	return !mm24.IsZero()
}

// units16 returns a value at scale 1e-16 as a rational in units.
func units16(x wide.Int) *big.Rat { return new(big.Rat).SetFrac(wbig(x), big.NewInt(int64(u8))) }

// wrat returns a balance in units as a rational.
func wrat(x wide.Int) *big.Rat { return new(big.Rat).SetInt(wbig(x)) }

// wstr formats a balance in units exactly.
func wstr(x wide.Int) string { return decimal.NewFromBigInt(wbig(x), -8).String() }

// wbig converts a wide.Int to a big.Int.
func wbig(x wide.Int) *big.Int {
	neg := x.IsNeg()
	if neg {
		x = x.Neg()
	}
	b := new(big.Int).SetUint64(x.W2)
	b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(x.W1))
	b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(x.W0))
	if neg {
		b.Neg(b)
	}
	return b
}

// ratUp formats up(x) of a rational in units for a message.
func ratUp(x *big.Rat) string {
	q, m := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return decimal.NewFromBigInt(q, -8).String()
}

// ratDown formats down(x) of a rational in units for a message.
func ratDown(x *big.Rat) string {
	q, _ := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
	return decimal.NewFromBigInt(q, -8).String()
}
