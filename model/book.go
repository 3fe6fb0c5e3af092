package model

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// Book holds many accounts over one shared set of markets, laid out
// contiguously for the "scan after a mark update" use case: after SetMark,
// Scan (or ScanRange, split over goroutines) finds every account with a
// liquidatable pool (SPEC POOL-5, the exact trigger equity < maintenance
// margin).
//
// The markets' tier tables are held once, and each account is a fixed-size
// record plus a contiguous run of compact position records, so a scan reads
// memory sequentially. Only what the trigger needs is kept: the equity and the
// maintenance margin of every pool (and bounds that decide the reporting range
// checks of NUM-2 exactly; see Liquidatable).
//
// Every result equals what a Portfolio loaded from the same scenario (the
// Book's markets and current marks and that one account) reports through
// Cross().Liquidatable and Isolated(j).Liquidatable, errors included.
//
// SetMark must not run concurrently with any other method; the other methods
// only read the Book and are safe for concurrent use.
type Book struct {
	names  []string
	mindex map[string]int
	marks  []int64    // units; 0 for a market without a mark
	hasMk  []bool     // the market has a mark (a prices entry or SetMark)
	mkt    []bookMkt  // per market: its tiers in tiers[off:end]
	tiers  []bookTier // every market's tiers, one copy
	minN16 []wide.Int // the least notional of each tier at scale 1e-16 (TIER-7; by tiers index)

	acct []bookAcct
	cpos []bookCross // the cross positions of every account, in account order
	clev []int64     // the chosen leverage of each cross position (by cpos index)
	ipos []bookIso   // the isolated positions of every account, in account order

	atEquality bool // POOL-5:at-equality, the trigger of every market (VAR-1)
	// den is TIER-3:half-initial's common denominator (1 without it): the
	// tiers' rates and every mm24 are scaled by it (halfinitial.go), so E is
	// scaled to compare, and mmMax24 = bookMMMax24 * den.
	den     uint64
	mmMax24 wide.Int
}

type bookMkt struct{ off, end int32 }

// bookTier is one tier of a market. qmin is the smallest size whose notional
// at the market's current mark reaches the tier (TIER-7 on Q*MP >= minN is
// Q >= ceil(minN/MP)); it is recomputed by SetMark.
type bookTier struct {
	qmin   uint64
	mmr    uint64    // units
	cum16  [2]uint64 // maintenance amount at scale 1e-16 (lo, hi; < 2^90)
	maxLev int64     // units
	imr    int64     // explicit initialMarginRate in units; 0: none (explicitimr.go)
}

// bookAcct is one account. Its cross positions are cpos[prev.crossEnd:crossEnd]
// and its isolated ones ipos[prev.isoEnd:isoEnd].
type bookAcct struct {
	base16   wide.Int // W - sum over cross positions of s*Q*EP, scale 1e-16
	mmEntry  wide.Int // the constant MM of entry-basis cross positions, scale 1e-24
	crossEnd uint32
	isoEnd   uint32
}

// bookCross is a cross position: size, market and flags.
type bookCross struct {
	q     uint64
	mkt   int32
	flags uint32 // bit 0: short; bit 1: entry basis
}

const (
	bookShort = 1
	bookEntry = 2
	bookOver  = 4 // isolated: the POS-5 default isolated margin exceeds MAX
)

// bookIso is an isolated position (its own pool).
type bookIso struct {
	q     uint64
	qe16  [2]uint64 // Q*EP at scale 1e-16 (lo, hi; < 2^126)
	iso   int64     // isolated margin in units
	lev   int64     // chosen leverage in units
	mmE24 wide.Int  // entry basis: MM(Q*EP) at scale 1e-24
	mkt   int32
	flags uint32
	pos   int32 // the position's index in its account
	pool  int32 // the pool's index in the account's report
}

// The bounds of the reporting range checks (NUM-2) on the exact values.
var (
	// Equity: floor(E16/1e8) in [-MAX, MAX] iff bookEMin16 <= E16 < bookEMax16.
	bookEMin16 = wide.MulU64(maxU, u8).Neg()
	bookEMax16 = wide.MulU64(maxU+1, u8)
	// Initial margin: IM <= ceil(sum N16/1e8) (every leverage is >= 1), so
	// sum N16 <= bookNMax16 guarantees IM <= MAX.
	bookNMax16 = wide.MulU64(maxU, u8)
	// Maintenance margin: ceil(MM24/1e16) <= MAX iff MM24 <= bookMMMax24.
	bookMMMax24 = wide.MulU64(maxU, u16)
)

// NewBook validates every account against markets and prices exactly as Load
// validates a Scenario{Markets: markets, Prices: prices, Account: accounts[i]}
// and lays them out for scanning. A violation in markets or prices is the
// *Error Load reports (paths "markets..." and "prices..."); one in account i
// is Load's *Error with the path prefix "account." replaced by
// "accounts[<i>].". Nothing passed in is modified or retained. The marks are
// those of prices (given or computed, SPEC MARK); SetMark replaces them.
func NewBook(markets map[string]spec.Market, prices map[string]spec.Price, accounts []spec.Account) (*Book, error) {
	base, err := Load(&spec.Scenario{Markets: markets, Prices: prices})
	if err != nil {
		return nil, err
	}
	nm := len(base.markets)
	b := &Book{
		names:  make([]string, nm),
		mindex: make(map[string]int, nm),
		marks:  append([]int64(nil), base.marks...),
		hasMk:  make([]bool, nm),
		mkt:    make([]bookMkt, nm),
		acct:   make([]bookAcct, len(accounts)),

		atEquality: base.atEquality,
		den:        base.den,
		mmMax24:    bookMMMax24.Mul(base.den),
	}
	for mi := range base.markets {
		mk := &base.markets[mi]
		b.names[mi] = mk.name
		b.mindex[mk.name] = mi
		b.hasMk[mi] = mk.hasMark
		b.mkt[mi] = bookMkt{off: int32(len(b.tiers)), end: int32(len(b.tiers) + len(mk.tiers))}
		for t := range mk.tiers {
			td := &mk.tiers[t]
			b.tiers = append(b.tiers, bookTier{mmr: uint64(td.mmr), cum16: [2]uint64{td.cum16.W0, td.cum16.W1}, maxLev: td.maxLev, imr: td.imr})
			b.minN16 = append(b.minN16, td.minN16)
		}
		b.setQmin(mi)
	}
	var npos int
	for i := range accounts {
		npos += len(accounts[i].Positions)
	}
	b.cpos = make([]bookCross, 0, npos)
	sc := spec.Scenario{Markets: markets, Prices: prices}
	for i := range accounts {
		sc.Account = accounts[i]
		p, err := Load(&sc)
		if err != nil {
			if e, ok := err.(*spec.Error); ok {
				return nil, &spec.Error{Path: accountPath(i, e.Path), Rule: e.Rule, Msg: e.Msg}
			}
			return nil, err
		}
		a := &b.acct[i]
		a.base16 = p.crossBase16
		a.mmEntry = p.crossMMEntry24
		for j := range p.pos {
			ps := &p.pos[j]
			var fl uint32
			if ps.sign < 0 {
				fl |= bookShort
			}
			if ps.entry {
				fl |= bookEntry
			}
			if ps.cross {
				b.cpos = append(b.cpos, bookCross{q: ps.q, mkt: ps.mkt, flags: fl})
				b.clev = append(b.clev, ps.lev)
				continue
			}
			if ps.isoOverflow {
				fl |= bookOver
			}
			b.ipos = append(b.ipos, bookIso{q: ps.q, qe16: [2]uint64{ps.qe16.W0, ps.qe16.W1}, iso: ps.iso, lev: ps.lev,
				mmE24: ps.mmE24, mkt: ps.mkt, flags: fl, pos: int32(j), pool: int32(ps.pool)})
		}
		a.crossEnd, a.isoEnd = uint32(len(b.cpos)), uint32(len(b.ipos))
	}
	b.cpos = b.cpos[:len(b.cpos):len(b.cpos)]
	return b, nil
}

// accountPath rewrites Load's "account..." path for account i.
func accountPath(i int, path string) string {
	pre := "accounts[" + strconv.Itoa(i) + "]"
	if rest, ok := strings.CutPrefix(path, "account"); ok {
		return pre + rest
	}
	return path
}

// setQmin recomputes the tier thresholds of market mi for its current mark.
func (b *Book) setQmin(mi int) {
	m := b.mkt[mi]
	mark := uint64(b.marks[mi])
	for t := m.off; t < m.end; t++ {
		var q uint64
		switch {
		case t == m.off:
			q = 0
		case mark == 0:
			q = math.MaxUint64 // no mark: no position can be in this market
		default:
			c := b.minN16[t].DivCeil(mark)
			q = c.W0
			if c.W1 != 0 || c.W2 != 0 {
				q = math.MaxUint64 // above every size (sizes are < 2^63)
			}
		}
		b.tiers[t].qmin = q
	}
}

// NumAccounts returns the number of accounts (in the order given to NewBook).
func (b *Book) NumAccounts() int { return len(b.acct) }

// MarketIndex returns the index of the named market for SetMark. Markets are
// numbered in ascending byte order of their names, as in Portfolio.
func (b *Book) MarketIndex(name string) (int, bool) {
	i, ok := b.mindex[name]
	return i, ok
}

// SetMark replaces the mark of market i for every account, like
// Portfolio.SetMark: an index out of range is ErrIndex, a mark <= 0 an *Error
// with Rule MARK-1 at prices.<name>.mark. It does not allocate. It must not
// run concurrently with other methods of b.
func (b *Book) SetMark(market int, mark Fixed) error {
	if market < 0 || market >= len(b.marks) {
		return ErrIndex
	}
	if mark <= 0 {
		return errf("prices."+spec.PathKey(b.names[market])+".mark", "MARK-1", "mark must be > 0, got "+mark.String())
	}
	b.marks[market] = int64(mark)
	b.hasMk[market] = true
	b.setQmin(market)
	return nil
}

// bookErr identifies the first reporting-range violation of an account
// without allocating: kind 0 is none.
type bookErr struct {
	kind uint8 // 1 equity, 2 initialMargin, 3 maintenanceMargin (of pool), 4 isolatedMargin (of position pos)
	pool int32
	pos  int32
}

var bookErrField = [...]string{1: "equity", 2: "initialMargin", 3: "maintenanceMargin"}

func (b *Book) mkError(i int, e bookErr) error {
	var err *spec.Error
	if e.kind == 4 {
		err = reportErr("positions", int(e.pos), "isolatedMargin")
	} else {
		err = reportErr("pools", int(e.pool), bookErrField[e.kind])
	}
	err.Path = "accounts[" + strconv.Itoa(i) + "]." + err.Path
	return err
}

// Liquidatable reports whether account i's cross pool is liquidatable and
// whether any of its isolated pools is (SPEC POOL-5, exactly E < MM), at the
// current marks. It returns exactly what a Portfolio of the account would: if
// Portfolio.Cross, or Portfolio.Isolated of an isolated position (in position
// order), fails a reporting range check (NUM-2), the first such failure is
// returned as an *Error whose path is the Portfolio's prefixed with
// "accounts[<i>].", e.g. "accounts[7].pools[0].equity". An index out of range
// is ErrIndex. It does not allocate, except to build an error and on an
// account whose cross notionals add up to more than MAX (the exact check of
// the cross pool's initial margin against MAX then uses math/big).
func (b *Book) Liquidatable(i int) (cross bool, anyIsolated bool, err error) {
	if i < 0 || i >= len(b.acct) {
		return false, false, ErrIndex
	}
	c, iso, e := b.account(i)
	if e.kind != 0 {
		return false, false, b.mkError(i, e)
	}
	return c, iso, nil
}

// Scan appends to dst the indices, ascending, of the accounts with a
// liquidatable pool (cross or isolated) and returns it; it is
// ScanRange(0, NumAccounts(), dst).
func (b *Book) Scan(dst []int32) ([]int32, error) { return b.ScanRange(0, len(b.acct), dst) }

// ScanRange is Scan on the accounts lo <= i < hi. An account for which
// Liquidatable returns an error is not appended; the scan goes on and the
// first such error (lowest index) is returned with the result. It does not
// allocate when dst has room (see Liquidatable for the exceptions). Disjoint
// or overlapping ranges may be scanned concurrently (but not with SetMark).
func (b *Book) ScanRange(lo, hi int, dst []int32) ([]int32, error) {
	if lo < 0 || hi > len(b.acct) || lo > hi {
		return dst, ErrIndex
	}
	var first error
	for i := lo; i < hi; i++ {
		c, iso, e := b.account(i)
		if e.kind != 0 {
			if first == nil {
				first = b.mkError(i, e)
			}
			continue
		}
		if c || iso {
			dst = append(dst, int32(i))
		}
	}
	return dst, first
}

// account evaluates every pool of account i: the cross pool first, then the
// isolated pools in position order, stopping at the first range violation.
func (b *Book) account(i int) (cross, anyIso bool, e bookErr) {
	a := &b.acct[i]
	var cs, is uint32
	if i > 0 {
		p := &b.acct[i-1]
		cs, is = p.crossEnd, p.isoEnd
	}
	cross, e = b.crossPool(a, cs)
	if e.kind != 0 {
		return false, false, e
	}
	for k := is; k < a.isoEnd; k++ {
		l, e := b.isoPool(&b.ipos[k])
		if e.kind != 0 {
			return false, false, e
		}
		anyIso = anyIso || l
	}
	return cross, anyIso, bookErr{}
}

// crossPool is POOL-1/3/5 on the cross positions ps of account a, with the
// arithmetic of Portfolio.Cross (E at scale 1e-16, MM at 1e-24, exact), and
// the range checks of its health in the same order.
func (b *Book) crossPool(a *bookAcct, cs uint32) (bool, bookErr) {
	ps := b.cpos[cs:a.crossEnd]
	e0, e1, e2 := a.base16.W0, a.base16.W1, a.base16.W2 // E, two's complement
	var r0, r1, r2 uint64                               // sum N*MMR, scale 1e-24
	var k0, k1 uint64                                   // sum cum, scale 1e-16
	var s0, s1, s2 uint64                               // sum N, scale 1e-16
	var c uint64
	marks, mkts, tiers := b.marks, b.mkt, b.tiers
	for j := range ps {
		p := &ps[j]
		nHi, nLo := bits.Mul64(p.q, uint64(marks[p.mkt]))
		m := -uint64(p.flags & bookShort) // all ones for a short
		e0, c = bits.Add64(e0, nLo^m, m&1)
		e1, c = bits.Add64(e1, nHi^m, c)
		e2 += m + c
		s0, c = bits.Add64(s0, nLo, 0)
		s1, c = bits.Add64(s1, nHi, c)
		s2 += c
		if p.flags&bookEntry != 0 {
			continue
		}
		mk := mkts[p.mkt]
		t := mk.off
		for t+1 < mk.end && p.q >= tiers[t+1].qmin {
			t++
		}
		td := &tiers[t]
		h0, l0 := bits.Mul64(nLo, td.mmr)
		h1, l1 := bits.Mul64(nHi, td.mmr)
		var c2 uint64
		r0, c = bits.Add64(r0, l0, 0)
		l1, c2 = bits.Add64(l1, h0, 0)
		r1, c = bits.Add64(r1, l1, c)
		r2 += h1 + c + c2
		k0, c = bits.Add64(k0, td.cum16[0], 0)
		k1 += td.cum16[1] + c
	}
	e16 := wide.Int{W0: e0, W1: e1, W2: e2}
	if e16.Less(bookEMin16) || !e16.Less(bookEMax16) {
		return false, bookErr{kind: 1}
	}
	if sum := (wide.Int{W0: s0, W1: s1, W2: s2}); bookNMax16.Less(sum) && !b.crossIMFits(cs, a.crossEnd) {
		return false, bookErr{kind: 2}
	}
	mm24 := wide.Int{W0: r0, W1: r1, W2: r2}.Sub(wide.Int{W0: k0, W1: k1}.Mul(u8)).Add(a.mmEntry)
	if b.mmMax24.Less(mm24) {
		return false, bookErr{kind: 3}
	}
	if b.den != 1 {
		e16 = e16.Mul(b.den)
	}
	return liquidatableUnder(b.atEquality, e16, mm24), bookErr{}
}

// crossIMFits reports whether the cross pool's initial margin, ceil(sum
// N_i/min(lev_i, maxLev_tier(N_i))) in units, is at most MAX, exactly (with
// math/big: only reached when the cross notionals add up to more than MAX).
func (b *Book) crossIMFits(cs, ce uint32) bool {
	f := new(big.Rat)
	n, x := new(big.Int), new(big.Int)
	for j := cs; j < ce; j++ {
		p := &b.cpos[j]
		nHi, nLo := bits.Mul64(p.q, uint64(b.marks[p.mkt]))
		t := b.tierOfQ(p.mkt, p.q)
		bt := &b.tiers[t]
		mul, den := imFrac(b.clev[j], &tierData{maxLev: bt.maxLev, imr: bt.imr})
		n.SetUint64(nHi).Lsh(n, 64).Or(n, x.SetUint64(nLo))
		n.Mul(n, x.SetUint64(mul))
		f.Add(f, new(big.Rat).SetFrac(n, new(big.Int).SetUint64(den)))
	}
	// IM = ceil(F) <= MAX iff F <= MAX (MAX is an integer).
	return f.Cmp(new(big.Rat).SetInt64(int64(maxU))) <= 0
}

func (b *Book) tierOfQ(mkt int32, q uint64) int32 {
	mk := b.mkt[mkt]
	t := mk.off
	for t+1 < mk.end && q >= b.tiers[t+1].qmin {
		t++
	}
	return t
}

// isoPool is POOL-2/3/5 on isolated position p, with the arithmetic and the
// range checks of Portfolio.Isolated.
func (b *Book) isoPool(p *bookIso) (bool, bookErr) {
	if p.flags&bookOver != 0 {
		return false, bookErr{kind: 4, pos: p.pos}
	}
	nHi, nLo := bits.Mul64(p.q, uint64(b.marks[p.mkt]))
	lo, c := bits.Sub64(nLo, p.qe16[0], 0)
	hi, _ := bits.Sub64(nHi, p.qe16[1], c)
	u := wide.Int{W0: lo, W1: hi, W2: uint64(int64(hi) >> 63)}
	if p.flags&bookShort != 0 {
		u = u.Neg()
	}
	e16 := wide.MulU64(uint64(p.iso), u8).Add(u)
	if e16.Less(bookEMin16) || !e16.Less(bookEMax16) {
		return false, bookErr{kind: 1, pool: p.pool}
	}
	t := b.tierOfQ(p.mkt, p.q)
	td := &b.tiers[t]
	// IM = ceil(N16*mul/den) <= MAX iff N16*mul <= MAX*den (explicitimr.go).
	mul, den := imFrac(p.lev, &tierData{maxLev: td.maxLev, imr: td.imr})
	if wide.MulU64(maxU, den).Less(wide.Int{W0: nLo, W1: nHi}.Mul(mul)) {
		return false, bookErr{kind: 2, pool: p.pool}
	}
	mm24 := p.mmE24
	if p.flags&bookEntry == 0 {
		mm24 = wide.Int{W0: nLo, W1: nHi}.Mul(td.mmr).Sub(wide.Int{W0: td.cum16[0], W1: td.cum16[1]}.Mul(u8))
	}
	if b.mmMax24.Less(mm24) {
		return false, bookErr{kind: 3, pool: p.pool}
	}
	if b.den != 1 {
		e16 = e16.Mul(b.den)
	}
	return liquidatableUnder(b.atEquality, e16, mm24), bookErr{}
}
