package model

import (
	"errors"
	"math/bits"
	"strconv"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// Scales used below. A "16" suffix is a value at scale 1e-16 (a product of two
// inputs, e.g. size*price), a "24" suffix one at scale 1e-24 (a product of
// three, e.g. size*price*MMR). Every wide.Int below stays under 2^160 for a
// single position and under 2^191 for any sum over a pool (see package wide).

// Portfolio is a validated scenario in fixed point: the markets, their
// current marks and the account. Build it with Load; the queries (Cross,
// Isolated, Position, LiquidationPrice, BankruptcyPrice, SetMark) do not
// allocate. A Portfolio keeps scratch space for its queries, so it is not safe
// for concurrent use; use one Portfolio per goroutine.
type Portfolio struct {
	markets []market
	marks   []int64 // the mark of each market in units, by market index
	mindex  map[string]int

	wallet   int64    // walletBalance in units
	wallet16 wide.Int // walletBalance at scale 1e-16
	wallet24 wide.Int // walletBalance at scale 1e-24
	pos      []position
	cross    []int32 // the indices of the cross positions, in order
	// crossBase16 is W - sum over cross positions of s*Q*EP (scale 1e-16);
	// crossMMEntry24 the sum of the constant MM of entry-basis cross positions.
	crossBase16    wide.Int
	crossMMEntry24 wide.Int
	isoPool        int // the number of isolated positions
	// atEquality is POOL-5:at-equality, the trigger all markets share (VAR-1).
	atEquality bool
	// fast1 is the state of Cross's one-position fast path (cross_fast.go).
	fast1 uint8
	// den is TIER-3:half-initial's common denominator D (1 without such a
	// market): every MM, rate and "24" value is then scaled by D (u8d =
	// 1e8*D), see halfinitial.go.
	den, u8d uint64

	// IM of the cross pool is summed exactly per distinct effective leverage
	// (grpDen, in units; with explicit initial margin rates a group's IM is
	// sum N * grpMul / grpDen, explicitimr.go); acc/accStamp/used are the
	// per-call accumulators.
	grpDen   []uint64
	grpMul   []uint64
	acc      []wide.Int
	accStamp []uint64
	stamp    uint64
	used     []int32
	terms    []frac
	nat      []uint64

	pm pmState // portfolio margin (pm.go, pm_eval.go)
}

type market struct {
	name                  string
	tick, lot             int64
	entry                 bool // mmBasis "entry"
	cross, isolated       bool // margin modes offered
	portfolio             bool // margin mode portfolio offered (PM, MKT-4)
	tiers                 []tierData
	maxLev1               int64
	feeRate, fundingHours int64
	band                  int64
	hasBand               bool
	makerFee, takerFee    int64
	fundingCap            int64
	hasFundingCap         bool
	hasMark, computed     bool
	explicitIMR           bool          // every tier gives initialMarginRate (TIER-5, QTY-4)
	vars                  spec.Variants // VAR: the resolved variant names
	flags                 variantFlags  // the query variants as flags
}

type tierData struct {
	minN, maxN int64 // units
	// mmr is the rate of MM's linear piece in units: MMR_t, plus
	// takerFeeRate under QTY-5:taker. mmrGiven is the tier's MMR_t.
	mmr, mmrGiven int64
	maxLev        int64    // units
	imr           int64    // explicit initialMarginRate IMR_t in units; 0: none (explicitimr.go)
	minN16        wide.Int // the least notional of the tier (TIER-7), scale 1e-16
	cum24         wide.Int // maintenance amount at scale 1e-24 (TIER-6)
	cum16         wide.Int // maintenance amount at scale 1e-16 (< 2^90)
	minN24        wide.Int // minNotional at scale 1e-24
	mmMin24       wide.Int // MM(minNotional) at scale 1e-24
}

type position struct {
	q           uint64   // size in units
	qe16        wide.Int // the entry notional Q*EP at scale 1e-16 (< 2^126)
	sign        int64    // +1 long, -1 short
	negMask     uint64   // all ones for a short, 0 for a long
	mkt         int32
	cross       bool
	portfolio   bool // marginMode portfolio (PM-2)
	entry       bool
	isoOverflow bool  // the POS-5 default isolated margin exceeds MAX
	lev         int64 // chosen leverage in units
	iso         int64 // isolated margin in units
	pool        int   // index of the pool in the report
	tiers       []tierData
	grp         []int32  // cross: the IM group of min(lev, maxLev_t) per tier
	qe24        wide.Int // Q*EP at scale 1e-24
	mmE24       wide.Int // entry basis: MM(Q*EP) at scale 1e-24
	tierE       int      // entry basis: tier(Q*EP)

	name string
	side spec.Side
	mode spec.MarginMode
}

type frac struct{ n, d uint64 } // the proper fraction n/d, 0 < n < d

// PoolHealth is the state of one margin pool at the current marks (SPEC
// POOL-1..5). Values are rounded as reported: Equity and Available down,
// InitialMargin, MaintenanceMargin and MarginRatio up. MarginRatioOK is false
// when the ratio is null (equity <= 0 or above MAX, POOL-4). Liquidatable is
// the exact trigger equity < maintenance margin, or <= under the market's
// POOL-5:at-equality variant (POOL-5).
type PoolHealth struct {
	Equity, InitialMargin, MaintenanceMargin, Available Fixed
	MarginRatio                                         Fixed
	MarginRatioOK                                       bool
	Liquidatable                                        bool
}

// PositionMetrics are the quantities of SPEC QTY-1..5 for one position at its
// market's mark: Notional and UnrealizedPnl rounded down, Leverage the
// effective leverage (exact), InitialMargin and MaintenanceMargin rounded up,
// and Tier the 1-based tier of the maintenance-margin basis notional.
type PositionMetrics struct {
	Notional, UnrealizedPnl, Leverage, InitialMargin, MaintenanceMargin Fixed
	Tier                                                                int
}

// PriceResult is a liquidation or bankruptcy price. When OK, Price is on the
// market's tick grid (LIQ-6, BKR-3) and Exact is the root on the 1e-8 grid,
// rounded in the same direction (LIQ-5; for a bankruptcy price, where SPEC
// reports no exact value, Exact is the same rounding, or 0 if it exceeds MAX).
// When !OK both are 0 and Reason is one of the Reason constants.
type PriceResult struct {
	Price, Exact Fixed
	OK           bool
	Reason       string
}

// Errors of the query API (not rule violations).
var (
	// ErrIndex is returned for a position or market index out of range.
	ErrIndex = errors.New("model: index out of range")
	// ErrNotIsolated is returned by Isolated for a cross position.
	ErrNotIsolated = errors.New("model: position is not isolated")
)

// NumPositions returns the number of positions (the scenario's order).
func (p *Portfolio) NumPositions() int { return len(p.pos) }

// MarketIndex returns the index of the named market for SetMark. Markets are
// numbered in ascending byte order of their names.
func (p *Portfolio) MarketIndex(name string) (int, bool) {
	i, ok := p.mindex[name]
	return i, ok
}

// SetMark replaces the mark of market i (for a scan after a price update). The
// mark must be > 0 (MARK-1), else it is an *Error with Rule MARK-1 at
// prices.<name>.mark. Report then shows the mark with computed false, also for
// a market that had no prices entry.
func (p *Portfolio) SetMark(market int, mark Fixed) error {
	if market < 0 || market >= len(p.marks) {
		return ErrIndex
	}
	if mark <= 0 {
		return errf("prices."+spec.PathKey(p.markets[market].name)+".mark", "MARK-1", "mark must be > 0, got "+mark.String())
	}
	p.marks[market] = int64(mark)
	mk := &p.markets[market]
	mk.hasMark, mk.computed = true, false
	return nil
}

func reportErr(pre string, i int, field string) *spec.Error {
	return &spec.Error{Path: pre + "[" + strconv.Itoa(i) + "]." + field, Rule: "NUM-2",
		Msg: "reported value is outside [-92233720368.54775807, 92233720368.54775807]"}
}

// tierN is TIER-7 on a notional at scale 1e-16 given as hi, lo words.
func tierN(tiers []tierData, hi, lo uint64) int {
	t := 0
	for t+1 < len(tiers) {
		m := &tiers[t+1].minN16
		if hi < m.W1 || (hi == m.W1 && lo < m.W0) {
			break
		}
		t++
	}
	return t
}

// eval returns a position's state at its mark: the notional N (scale 1e-16,
// < 2^126), the unrealized PnL (scale 1e-16), MM (scale 1e-24), the tier of N
// and the tier of the MM basis.
func (p *Portfolio) eval(ps *position) (nHi, nLo uint64, upnl, mm24 wide.Int, tN, tMM int) {
	nHi, nLo = bits.Mul64(ps.q, uint64(p.marks[ps.mkt]))
	// U = s*(Q*MP - Q*EP); both products are below 2^126, so the difference
	// fits a signed 128-bit value.
	lo, b := bits.Sub64(nLo, ps.qe16.W0, 0)
	hi, _ := bits.Sub64(nHi, ps.qe16.W1, b)
	upnl = wide.Int{W0: lo, W1: hi, W2: uint64(int64(hi) >> 63)}
	if ps.sign < 0 {
		upnl = upnl.Neg()
	}
	tN = tierN(ps.tiers, nHi, nLo)
	if ps.entry {
		return nHi, nLo, upnl, ps.mmE24, tN, ps.tierE
	}
	td := &ps.tiers[tN]
	mm24 = wide.Int{W0: nLo, W1: nHi}.Mul(uint64(td.mmr)).Sub(td.cum24)
	return nHi, nLo, upnl, mm24, tN, tN
}

// Position returns the quantities of SPEC QTY-1..5 for position i. A reported
// value above MAX is an *Error with Rule NUM-2 at positions[i].<field>.
func (p *Portfolio) Position(i int) (PositionMetrics, error) {
	if i < 0 || i >= len(p.pos) {
		return PositionMetrics{}, ErrIndex
	}
	ps := &p.pos[i]
	nHi, nLo, upnl, mm24, tN, tMM := p.eval(ps)
	n := wide.Int{W0: nLo, W1: nHi}
	var pm PositionMetrics
	nq, _ := n.DivFloor(u8)
	v, ok := nq.Int64()
	if !ok {
		return pm, reportErr("positions", i, "notional")
	}
	pm.Notional = Fixed(v)
	uq, _ := upnl.DivFloor(u8)
	if v, ok = uq.Int64(); !ok || v < -int64(maxU) {
		return pm, reportErr("positions", i, "unrealizedPnl")
	}
	pm.UnrealizedPnl = Fixed(v)
	l := min(ps.lev, ps.tiers[tN].maxLev)
	pm.Leverage = Fixed(l)
	if v, ok = imCeil(n, ps.lev, &ps.tiers[tN]).Int64(); !ok {
		return pm, reportErr("positions", i, "initialMargin")
	}
	pm.InitialMargin = Fixed(v)
	if v, ok = p.roundMM(mm24).Int64(); !ok {
		return pm, reportErr("positions", i, "maintenanceMargin")
	}
	pm.MaintenanceMargin = Fixed(v)
	pm.Tier = tMM + 1
	return pm, nil
}

// Cross returns the health of the cross pool (SPEC POOL-1, 3, 4, 5). A
// reported value above MAX is an *Error with Rule NUM-2 at pools[0].<field>.
func (p *Portfolio) Cross() (h PoolHealth, err error) {
	if p.fast1 != fast1Off { // one mark-basis position: cross_fast.go
		if p.fast1 == fast1Unknown {
			p.fast1 = fast1Off
			if p.fast1Applies() {
				p.fast1 = fast1On
			}
		}
		if p.fast1 == fast1On && p.crossOne(&h) {
			return h, nil
		}
	}
	// E = (W - sum s_i*Q_i*EP_i) + sum s_i*N_i: the first part is the
	// constant crossBase16. MM = sum N_i*MMR_i - sum cum_i over the mark-basis
	// positions plus the constant entry-basis part crossMMEntry24.
	var e0, e1, e2 uint64 // sum s_i*N_i, scale 1e-16, two's complement
	var r0, r1, r2 uint64 // sum N_i*MMR_i, scale 1e-24
	var k0, k1 uint64     // sum cum_i, scale 1e-16 (< 2^90 each)
	var c uint64
	marks := p.marks
	p.stamp++
	stamp := p.stamp
	used := p.used[:0]
	// One cross position (a common account) needs no IM groups: its IM is
	// ceil(N/d) and available floor(E - N/d), as for an isolated pool.
	single := len(p.cross) == 1
	var sHi, sLo, sDen, sMul uint64 // single: N (scale 1e-16), its d and mul (IM = N*mul/d)
	for _, ci := range p.cross {
		ps := &p.pos[ci]
		nHi, nLo := bits.Mul64(ps.q, uint64(marks[ps.mkt]))
		// Add s*N branch-free: for a short, m is all ones and ^N+1 = -N.
		m := ps.negMask
		e0, c = bits.Add64(e0, nLo^m, m&1)
		e1, c = bits.Add64(e1, nHi^m, c)
		e2 += m + c
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
		if !ps.entry {
			td := &tiers[t]
			h0, l0 := bits.Mul64(nLo, uint64(td.mmr))
			h1, l1 := bits.Mul64(nHi, uint64(td.mmr))
			var c2 uint64
			r0, c = bits.Add64(r0, l0, 0)
			l1, c2 = bits.Add64(l1, h0, 0)
			r1, c = bits.Add64(r1, l1, c)
			r2 += h1 + c + c2
			k0, c = bits.Add64(k0, td.cum16.W0, 0)
			k1 += td.cum16.W1 + c
		}
		g := ps.grp[t]
		if single {
			sHi, sLo, sDen, sMul = nHi, nLo, p.grpDen[g], p.grpMul[g]
		} else if p.accStamp[g] != stamp {
			p.accStamp[g] = stamp
			p.acc[g] = wide.Int{W0: nLo, W1: nHi}
			used = append(used, g)
		} else {
			a := &p.acc[g]
			var c uint64
			a.W0, c = bits.Add64(a.W0, nLo, 0)
			a.W1, c = bits.Add64(a.W1, nHi, c)
			a.W2 += c
		}
	}
	p.used = used
	e16 := p.crossBase16.Add(wide.Int{W0: e0, W1: e1, W2: e2})
	mm24 := wide.Int{W0: r0, W1: r1, W2: r2}.Sub(wide.Int{W0: k0, W1: k1}.Mul(u8)).Add(p.crossMMEntry24)
	if single {
		// With a, r = N divmod d: IM = a + (r != 0) and available =
		// floor(E/1e8) - a + adjFloor(eRem, r, d), the general path below with
		// one group (its one term (d-r)/d and, with eRem, the floor of
		// (d-r)/d + eRem/1e8, minus J = 1).
		a, r := wide.Int{W0: sLo, W1: sHi}.DivFloor(sDen)
		if sMul != 1 {
			a, r = wide.Int{W0: sLo, W1: sHi}.Mul(sMul).DivFloor(sDen) // explicit initial margin rate (QTY-4)
		}
		im := a
		if r != 0 {
			im = im.Add(wide.Int{W0: 1})
		}
		eInt, eRem := e16.DivFloor(u8)
		avail := eInt.Sub(a).Add(wide.FromInt64(adjFloor(eRem, r, sDen)))
		err = p.healthAt(&h, &e16, &eInt, &mm24, &im, &avail, 0)
		return h, err
	}
	// IM = A + F with F = sum r_g/d_g; ceil(F) = J - floor(sum (d_g-r_g)/d_g).
	var a wide.Int
	ts := p.terms[:0]
	for _, g := range used {
		d := p.grpDen[g]
		q, r := p.acc[g].DivFloor(d)
		if m := p.grpMul[g]; m != 1 {
			q, r = p.acc[g].Mul(m).DivFloor(d) // explicit initial margin rate (QTY-4)
		}
		a = a.Add(q)
		if r != 0 {
			ts = append(ts, frac{d - r, d})
		}
	}
	j := int64(len(ts))
	fl := p.floorFracs(ts)
	im := a.Add(wide.FromInt64(j - fl))
	// available = floor(E - IM) = eInt - A + floor(eRem/1e8 + sum (d_g-r_g)/d_g) - J.
	eInt, eRem := e16.DivFloor(u8)
	fl2 := fl
	if eRem != 0 {
		fl2 = p.floorFracs(append(ts, frac{eRem, u8}))
	}
	p.terms = ts[:0]
	avail := eInt.Sub(a).Add(wide.FromInt64(fl2 - j))
	err = p.healthAt(&h, &e16, &eInt, &mm24, &im, &avail, 0)
	return h, err
}

// Isolated returns the health of the pool of isolated position i (SPEC
// POOL-2..5). A reported value above MAX is an *Error with Rule NUM-2 at
// pools[k].<field>, k the pool's index in the report.
func (p *Portfolio) Isolated(i int) (h PoolHealth, err error) {
	if i < 0 || i >= len(p.pos) {
		return PoolHealth{}, ErrIndex
	}
	ps := &p.pos[i]
	if ps.cross || ps.portfolio {
		return PoolHealth{}, ErrNotIsolated
	}
	if ps.isoOverflow {
		return PoolHealth{}, reportErr("positions", i, "isolatedMargin")
	}
	nHi, nLo, u, mm24, tN, _ := p.eval(ps)
	e16 := wide.MulU64(uint64(ps.iso), u8).Add(u)
	a, r, l := imDivmod(wide.Int{W0: nLo, W1: nHi}, ps.lev, &ps.tiers[tN])
	im := a
	if r != 0 {
		im = im.Add(wide.Int{W0: 1})
	}
	eInt, eRem := e16.DivFloor(u8)
	avail := eInt.Sub(a).Add(wide.FromInt64(adjFloor(eRem, r, l)))
	err = p.healthAt(&h, &e16, &eInt, &mm24, &im, &avail, ps.pool)
	return h, err
}

// adjFloor returns floor(eRem/1e8 - r/l) for 0 <= eRem < 1e8, 0 <= r < l: 0 or -1.
func adjFloor(eRem, r, l uint64) int64 {
	if r == 0 {
		return 0
	}
	h1, l1 := bits.Mul64(eRem, l)
	h2, l2 := bits.Mul64(r, u8)
	if h1 > h2 || (h1 == h2 && l1 >= l2) {
		return 0
	}
	return -1
}

// health rounds and range-checks a pool's exact values in the order of EVAL-2
// step 5: equity, initialMargin, maintenanceMargin, available. It fills the
// zero *h field by field; on error *h holds the fields before the failing one
// (returned with the error, as before). The pointer arguments avoid copying
// 120 bytes of wide.Int per call and a PoolHealth result through memory: a
// returned struct was stored field by field and reloaded 16 bytes at a time,
// a store-forwarding stall that cost ~15% of a one-position Cross (profiled).
func health(h *PoolHealth, e16, eInt, mm24, im, avail *wide.Int, k int, atEquality bool) error {
	v, ok := eInt.Int64()
	if !ok || v < -int64(maxU) {
		return reportErr("pools", k, "equity")
	}
	h.Equity = Fixed(v)
	if v, ok = im.Int64(); !ok {
		return reportErr("pools", k, "initialMargin")
	}
	h.InitialMargin = Fixed(v)
	if v, ok = mm24.DivCeil(u16).Int64(); !ok {
		return reportErr("pools", k, "maintenanceMargin")
	}
	h.MaintenanceMargin = Fixed(v)
	if !avail.IsNeg() {
		if v, ok = avail.Int64(); !ok {
			return reportErr("pools", k, "available")
		}
		h.Available = Fixed(v)
	}
	// POOL-4: MM/E at scale 1e-8 is MM24/E16.
	if e16.Sign() > 0 {
		if q, ok := wide.QuoCeilBounded(*mm24, *e16, maxU); ok {
			h.MarginRatio, h.MarginRatioOK = Fixed(q), true
		}
	}
	// POOL-5: E < MM (E <= MM at-equality) exactly, at scale 1e-24.
	h.Liquidatable = liquidatableUnder(atEquality, *e16, *mm24)
	return nil
}

// floorFracs returns floor(sum n/d) over proper fractions 0 < n < d, exactly.
func (p *Portfolio) floorFracs(ts []frac) int64 {
	switch len(ts) {
	case 0, 1:
		return 0
	case 2:
		// n1/d1 + n2/d2 >= 1  <=>  n1*d2 + n2*d1 >= d1*d2 (< 2^129: 192 bits).
		lhs := wide.MulU64(ts[0].n, ts[1].d).Add(wide.MulU64(ts[1].n, ts[0].d))
		if lhs.Cmp(wide.MulU64(ts[0].d, ts[1].d)) >= 0 {
			return 1
		}
		return 0
	}
	// Bracket the sum between lower and upper bounds on the 2^-64 grid.
	var loI, hiI, loF, hiF, c uint64
	for _, t := range ts {
		q, r := bits.Div64(t.n, 0, t.d)
		loF, c = bits.Add64(loF, q, 0)
		loI += c
		var inc uint64
		if r != 0 {
			inc = 1
		}
		hiF, c = bits.Add64(hiF, q, inc)
		hiI += c
	}
	if loI == hiI {
		return int64(loI)
	}
	// The bounds straddle the integer hiI (they differ by less than 1): decide
	// sum >= hiI exactly.
	if p.exactGE(ts, hiI) {
		return int64(hiI)
	}
	return int64(hiI) - 1
}

// exactGE reports sum n/d >= k exactly, with multi-word numerator and
// denominator in the Portfolio's scratch space (len(ts)+2 words each).
func (p *Portfolio) exactGE(ts []frac, k uint64) bool {
	w := len(p.nat) / 3
	num := p.nat[0:1:w]
	den := p.nat[w : w+1 : 2*w]
	tmp := p.nat[2*w : 2*w : 3*w]
	num[0], den[0] = 0, 1
	for _, t := range ts {
		tmp = natMulWord(tmp, den, t.n)
		num = natMulWord(num, num, t.d)
		num = natAdd(num, tmp)
		den = natMulWord(den, den, t.d)
	}
	tmp = natMulWord(tmp, den, k)
	return natCmp(num, tmp) >= 0
}

// natMulWord sets z = x*y (z may alias x; cap(z) > len(x)) and returns z.
func natMulWord(z, x []uint64, y uint64) []uint64 {
	n := len(x)
	z = z[:n]
	var carry uint64
	for i := 0; i < n; i++ {
		hi, lo := bits.Mul64(x[i], y)
		var c uint64
		z[i], c = bits.Add64(lo, carry, 0)
		carry = hi + c
	}
	if carry != 0 {
		z = append(z, carry)
	}
	return z
}

// natAdd sets z = z + x in place (cap(z) > max(len(z), len(x))).
func natAdd(z, x []uint64) []uint64 {
	for len(z) < len(x) {
		z = append(z, 0)
	}
	var c uint64
	for i := range z {
		var xi uint64
		if i < len(x) {
			xi = x[i]
		}
		z[i], c = bits.Add64(z[i], xi, c)
	}
	if c != 0 {
		z = append(z, c)
	}
	return z
}

func natCmp(x, y []uint64) int {
	for len(x) > 0 && x[len(x)-1] == 0 {
		x = x[:len(x)-1]
	}
	for len(y) > 0 && y[len(y)-1] == 0 {
		y = y[:len(y)-1]
	}
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	for i := len(x) - 1; i >= 0; i-- {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
