package model

import (
	"math/bits"

	"github.com/perpcheck/perpcheck/spec"
)

// The one-position fast path of Portfolio.Cross (issue 15: a health check of
// one position at >= 60x the apd kernel). An account with one cross position
// is the common case; for it Cross computes the same exact values as the
// general path (POOL-1, 3, 4, 5 on one term) with every intermediate in one or
// two machine words: N = Q*MP and E = W - s*Q*EP + s*N at scale 1e-16, and
// MM = N*MMR_t - cum_t at scale 1e-24, are divided by one-word divisors (1e8,
// the effective leverage d, 1e16) with one hardware division each, and the
// margin ratio MM/E by one step of Knuth's algorithm D. Nothing is written to
// the result unless every value is in the ranges this path handles; otherwise
// (E < 0, a reported value above MAX, an unusual variant, an entry-basis
// position) crossOne returns false and Cross takes the general path, which
// also produces the NUM-2 errors. model/cross_fast_test.go checks the two
// paths are equal, field by field, on random and extreme portfolios.

// Fast-path states of a Portfolio (Portfolio.fast1), decided on the first
// Cross from data that do not change after Load.
const (
	fast1Unknown uint8 = iota
	fast1On
	fast1Off
)

// fast1Applies reports whether the cross pool is one mark-basis position under
// the default tier rate (TIER-3 "given"): the only shape crossOne computes.
func (p *Portfolio) fast1Applies() bool {
	// den > 1: a TIER-3:half-initial market somewhere in the scenario scales
	// every tier's MM data by D (halfinitial.go); this path works at 1e-24.
	if len(p.cross) != 1 || !p.crossMMEntry24.IsZero() || p.den > 1 {
		return false
	}
	ps := &p.pos[p.cross[0]]
	mk := &p.markets[ps.mkt]
	// Explicit initial margin rates (explicitimr.go): IM is not N/d.
	return !ps.entry && !ps.portfolio && ps.cross && !mk.explicitIMR &&
		(mk.vars.MaintenanceRate == "" || mk.vars.MaintenanceRate == spec.MaintenanceRateGiven)
}

// crossOne fills the zero *h with the health of a cross pool of one
// mark-basis position and returns true, or returns false with *h untouched
// when a value is outside what it computes (see above).
func (p *Portfolio) crossOne(h *PoolHealth) bool {
	ps := &p.pos[p.cross[0]]
	nHi, nLo := bits.Mul64(ps.q, uint64(p.marks[ps.mkt])) // N < 2^126
	// TIER-7 on N.
	tiers := ps.tiers
	t := 0
	for t+1 < len(tiers) {
		b := &tiers[t+1].minN16
		if nHi < b.W1 || (nHi == b.W1 && nLo < b.W0) {
			break
		}
		t++
	}
	td := &tiers[t]
	// E = crossBase16 + s*N (for a short, m is all ones and ^N+1 = -N). The
	// path needs 0 <= E < 1e8 * 2^64 (two words, E/1e8 one word).
	m := ps.negMask
	base := &p.crossBase16
	e0, c := bits.Add64(base.W0, nLo^m, m&1)
	e1, c := bits.Add64(base.W1, nHi^m, c)
	if base.W2+m+c != 0 || e1 >= u8 {
		return false
	}
	// Equity = floor(E/1e8).
	eq, eRem := bits.Div64(e1, e0, u8)
	// IM = ceil(N/d), d = min(leverage, maxLeverage_t) (POS-4, QTY-3).
	d := uint64(min(ps.lev, td.maxLev))
	if nHi >= d {
		return false
	}
	a, r := bits.Div64(nHi, nLo, d)
	if a >= maxU { // IM = a + (r != 0) may exceed MAX
		return false
	}
	im := a
	if r != 0 {
		im++
	}
	// MM = N*MMR_t - cum_t at scale 1e-24 (mmr < 1e8, so < 2^153), reported
	// as ceil(MM/1e16); the path needs MM < 1e16 * 2^64.
	h0, m0 := bits.Mul64(nLo, uint64(td.mmr))
	h1, l1 := bits.Mul64(nHi, uint64(td.mmr))
	m1, c := bits.Add64(l1, h0, 0)
	m2 := h1 + c
	var b uint64
	m0, b = bits.Sub64(m0, td.cum24.W0, 0)
	m1, b = bits.Sub64(m1, td.cum24.W1, b)
	m2, _ = bits.Sub64(m2, td.cum24.W2, b)
	if m2 != 0 || m1 >= u16 {
		return false
	}
	mm, mr := bits.Div64(m1, m0, u16)
	if eq > maxU || mm >= maxU {
		return false
	}
	if mr != 0 {
		mm++
	}
	// POOL-4: MM/E at scale 1e-8 is ceil(MM24/E16), null above MAX.
	var ratio uint64
	ratioOK := false
	if e1 != 0 {
		ratio, ratioOK = quoCeil2(m1, m0, e1, e0)
	} else if e0 != 0 && m1 < e0 {
		var rr uint64
		ratio, rr = bits.Div64(m1, m0, e0)
		if rr != 0 {
			ratio++ // m1:m0 < e0 * 2^64, so ratio < 2^64 - 1 before this
		}
		ratioOK = ratio <= maxU
	}
	// POOL-5 at scale 1e-24: E*1e8 < MM (<= under at-equality, except 0 = 0).
	ph0, p0 := bits.Mul64(e0, u8)
	ph1, p1 := bits.Mul64(e1, u8)
	p1, c = bits.Add64(p1, ph0, 0)
	p2 := ph1 + c
	var liq bool
	switch {
	case p2 != m2:
		liq = p2 < m2
	case p1 != m1:
		liq = p1 < m1
	case p0 != m0:
		liq = p0 < m0
	default:
		liq = p.atEquality && p0|p1|p2 != 0
	}
	h.Equity = Fixed(eq)
	h.InitialMargin = Fixed(im)
	h.MaintenanceMargin = Fixed(mm)
	// available = floor(E - N/d) = eq - a + floor(eRem/1e8 - r/d), shown when
	// >= 0 (POOL-3); eq - a <= 0 makes it <= 0.
	if eq > a {
		h.Available = Fixed(eq - a + uint64(adjFloor(eRem, r, d)))
	}
	if ratioOK {
		h.MarginRatio, h.MarginRatioOK = Fixed(ratio), true
	}
	h.Liquidatable = liq
	return true
}

// quoCeil2 returns ceil(a/b) and true when it is <= MAX, for a = a1:a0 and
// b = b1:b0 with b1 != 0 (two words each): one step of Knuth's algorithm D,
// as wide.QuoCeilBounded for a two-word divisor.
func quoCeil2(a1, a0, b1, b0 uint64) (uint64, bool) {
	s := uint(bits.LeadingZeros64(b1))
	// Normalize (a shift by 64 is 0 in Go, which covers s == 0).
	v1 := b1<<s | b0>>(64-s)
	v0 := b0 << s
	u2 := a1 >> (64 - s)
	u1 := a1<<s | a0>>(64-s)
	u0 := a0 << s
	// u2 < 2^s <= v1 since a < 2^128: the quotient is below 2^64.
	q, _ := bits.Div64(u2, u1, v1)
	for { // at most two corrections (Knuth, theorem B)
		h0, p0 := bits.Mul64(q, v0)
		h1, l1 := bits.Mul64(q, v1)
		p1, c := bits.Add64(l1, h0, 0)
		p2 := h1 + c
		if p2 < u2 || (p2 == u2 && (p1 < u1 || (p1 == u1 && p0 <= u0))) {
			if p2 != u2 || p1 != u1 || p0 != u0 {
				q++ // q < 2^64 - 1: q*b < a < 2^128 with b >= 2^64
			}
			return q, q <= maxU
		}
		q--
	}
}
