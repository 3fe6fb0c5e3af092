package properties

import (
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

var (
	ratOne  = big.NewRat(1, 1)
	ratUnit = big.NewRat(1, 100_000_000) // u = 1e-8
	ratMax  = new(big.Rat).SetFrac(big.NewInt(maxUnits), big.NewInt(100_000_000))
)

func rat(d decimal.Decimal) *big.Rat { return d.Rat() }

func ratAdd(a, b *big.Rat) *big.Rat { return new(big.Rat).Add(a, b) }

func ratSub(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }

func ratMul(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }

func ratQuo(a, b *big.Rat) *big.Rat { return new(big.Rat).Quo(a, b) }

func ratInt(v int64) *big.Rat { return big.NewRat(v, 1) }

func ratMin(a, b *big.Rat) *big.Rat {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

func ratMax2(a, b *big.Rat) *big.Rat {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

// floorRat returns floor(x) as an integer.
func floorRat(x *big.Rat) *big.Int {
	q := new(big.Int)
	m := new(big.Int)
	q.DivMod(x.Num(), x.Denom(), m) // Euclidean: m >= 0, so q = floor for denominator > 0
	return q
}

// gridDown is k * floor(x / k) (NUM-4 down for k = u, tickDown for a tick).
func gridDown(x, k *big.Rat) *big.Rat {
	f := floorRat(ratQuo(x, k))
	return ratMul(new(big.Rat).SetInt(f), k)
}

// gridUp is k * ceil(x / k).
func gridUp(x, k *big.Rat) *big.Rat {
	d := gridDown(x, k)
	if d.Cmp(x) < 0 {
		return ratAdd(d, k)
	}
	return d
}

func down(x *big.Rat) *big.Rat { return gridDown(x, ratUnit) }

func up(x *big.Rat) *big.Rat { return gridUp(x, ratUnit) }

func inRange(x *big.Rat) bool { return new(big.Rat).Abs(x).Cmp(ratMax) <= 0 }

// fmtRat prints x as a decimal when it has a finite expansion, else as a fraction.
func fmtRat(x *big.Rat) string {
	if x == nil {
		return "null"
	}
	if s := x.FloatString(16); new(big.Rat).SetFrac(x.Num(), x.Denom()).Cmp(mustRat(s)) == 0 {
		return decimal.RequireFromString(s).String()
	}
	return x.String()
}

func mustRat(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

// xTier is a tier; rate is the rate of MM's linear piece (MMR_t, plus
// takerFeeRate under QTY-5:taker), cum its deduction (0 under TIER-8:flat).
type xTier struct{ min, max, mmr, rate, lev, cum, imr *big.Rat } // imr: explicit initialMarginRate or nil

type xMarket struct {
	tick  *big.Rat
	basis spec.MMBasis
	tiers []xTier
	upper bool     // TIER-7:upper-inclusive
	flat  bool     // TIER-8:flat
	fee   *big.Rat // QTY-5:taker's takerFeeRate (0 under QTY-5:none)
}

type xPos struct {
	mkt    *xMarket
	s      int
	q, qep *big.Rat
	mp     *big.Rat // mark of its market
	lev    *big.Rat // chosen or default leverage
	mode   spec.MarginMode
	margin *big.Rat // isolated margin (given or POS-5 default); nil for cross
}

// xScen is a validated scenario in exact rationals.
type xScen struct {
	markets   map[string]*xMarket
	marks     map[string]*big.Rat // the mark of each prices entry
	computed  map[string]bool
	wallet    *big.Rat
	positions []*xPos
	atEq      bool // POOL-5:at-equality (one trigger per scenario, VAR-1)
}

// exactScenario converts a scenario that passed validation.
func exactScenario(s *spec.Scenario) *xScen {
	x := &xScen{markets: map[string]*xMarket{}, marks: map[string]*big.Rat{}, computed: map[string]bool{}, wallet: rat(s.Account.WalletBalance)}
	for name, m := range s.Markets {
		xm := &xMarket{tick: rat(m.TickSize), basis: m.MMBasis}
		if xm.basis == "" {
			xm.basis = spec.BasisMark
		}
		var v spec.Variants
		if m.Variants != nil {
			v = *m.Variants
		}
		xm.upper = v.Get("tierBound") == spec.TierBoundUpper
		xm.flat = v.Get("tierSchedule") == spec.TierScheduleFlat
		x.atEq = v.Get("trigger") == spec.TriggerAtEquality // the same in every market (VAR-1)
		fee := new(big.Rat)
		if v.Get("closeFee") == spec.CloseFeeTaker && m.TakerFeeRate.Valid {
			fee = rat(m.TakerFeeRate.Decimal) // QTY-5:taker
		}
		xm.fee = fee
		cum := new(big.Rat)
		for i, t := range m.Tiers {
			mmr := rat(t.MaintenanceMarginRate)
			if v.Get("maintenanceRate") == spec.MaintenanceRateHalfInitial {
				mmr = ratQuo(big.NewRat(1, 2), rat(t.MaxLeverage)) // TIER-3:half-initial: 1/(2 maxLeverage_t)
			}
			if i > 0 && !xm.flat { // TIER-6; flat: no deduction
				cum = ratAdd(cum, ratMul(rat(t.MinNotional), ratSub(mmr, xm.tiers[i-1].mmr)))
			}
			xt := xTier{min: rat(t.MinNotional), max: rat(t.MaxNotional), mmr: mmr, rate: ratAdd(mmr, fee), lev: rat(t.MaxLeverage), cum: cum}
			if t.InitialMarginRate != nil {
				xt.imr = rat(*t.InitialMarginRate)
			}
			xm.tiers = append(xm.tiers, xt)
		}
		x.markets[name] = xm
	}
	for name, p := range s.Prices {
		if p.Mark.Valid {
			x.marks[name] = rat(p.Mark.Decimal)
			continue
		}
		x.marks[name] = down(computedMark(s.Markets[name], p)) // MARK-4
		x.computed[name] = true
	}
	for _, p := range s.Account.Positions {
		m := x.markets[p.Market]
		xp := &xPos{mkt: m, s: p.Side.Sign(), q: rat(p.Size), mp: x.marks[p.Market], mode: p.MarginMode}
		if p.EntryValue.Valid {
			xp.qep = rat(p.EntryValue.Decimal)
		} else {
			xp.qep = ratMul(xp.q, rat(p.EntryPrice))
		}
		if p.Leverage.Valid {
			xp.lev = rat(p.Leverage.Decimal)
		} else { // POS-4 default
			xp.lev = ratMin(ratInt(20), m.tiers[0].lev)
		}
		if p.MarginMode == spec.Isolated {
			if p.IsolatedMargin.Valid {
				xp.margin = rat(p.IsolatedMargin.Decimal)
			} else { // POS-5 default: up(Q*EP / min(leverage, maxLeverage of tier(Q*EP)))
				xp.margin = up(xIM(m.tiers[m.tierOf(xp.qep)], xp.qep, xp.lev))
			}
		}
		x.positions = append(x.positions, xp)
	}
	return x
}

// computedMark is MARK-2 and MARK-3, exact (before MARK-4's rounding).
func computedMark(m spec.Market, p spec.Price) *big.Rat {
	orZero := func(d decimal.NullDecimal) *big.Rat {
		if !d.Valid {
			return new(big.Rat)
		}
		return rat(d.Decimal)
	}
	h := ratInt(8)
	if m.FundingIntervalHours.Valid {
		h = rat(m.FundingIntervalHours.Decimal)
	}
	index, last := rat(p.Index.Decimal), rat(p.Last.Decimal)
	p1 := ratMul(index, ratAdd(ratOne, ratQuo(ratMul(orZero(p.FundingRate), orZero(p.SecondsToFunding)), ratMul(ratInt(3600), h))))
	p2 := ratAdd(index, orZero(p.BasisAverage))
	p3 := last
	med := ratMax2(ratMin(p1, p2), ratMin(ratMax2(p1, p2), p3))
	if m.MarkPriceBand.Valid {
		b := rat(m.MarkPriceBand.Decimal)
		med = ratMin(ratMax2(med, ratMul(index, ratSub(ratOne, b))), ratMul(index, ratAdd(ratOne, b)))
	}
	return med
}

// tierOf is TIER-7 (0-based), under the market's bound.
func (m *xMarket) tierOf(n *big.Rat) int {
	last := len(m.tiers) - 1
	for i := 0; i < last; i++ {
		if m.upper {
			if n.Cmp(m.tiers[i].max) <= 0 { // min < N <= max; tier 1 holds 0
				return i
			}
		} else if m.tiers[i].min.Cmp(n) <= 0 && n.Cmp(m.tiers[i].max) < 0 {
			return i
		}
	}
	return last
}

// mm is TIER-8 (with QTY-5:taker's rate and TIER-8:flat's cum): MM(N) and
// its tier.
func (m *xMarket) mm(n *big.Rat) (*big.Rat, int) {
	t := m.tierOf(n)
	return ratSub(ratMul(n, m.tiers[t].rate), m.tiers[t].cum), t
}

// triggered is POOL-5 under x's trigger: E < MM, or at-equality E = MM != 0.
func (x *xScen) triggered(e, mm *big.Rat) bool {
	c := e.Cmp(mm)
	if c != 0 || !x.atEq {
		return c < 0
	}
	return e.Sign() != 0
}

// triggerText names x's trigger for a failure message.
func (x *xScen) triggerText() string {
	if x.atEq {
		return "POOL-5:at-equality, E <= MM unless E = MM = 0"
	}
	return "E < MM"
}

// liquidatableAt is POOL-5 for position i's pool with position i at price
// P and the others at their marks: E(P) = g(P), MM(P) = g(P) - f(P).
func (x *xScen) liquidatableAt(i int, price *big.Rat) bool {
	e := x.g(i, price)
	return x.triggered(e, ratSub(e, x.f(i, price)))
}

// liqRoot is LIQ-4's root of position i as the boundary of the liquidatable
// set S, by a scan of the tiers' linear pieces (each zero at P_t, on the
// prices I_t of the tier): for a long the largest min(P_t, max_t/Q), for a
// short the smallest max(P_t, min_t/Q), over the tiers whose I_t meets S.
// ok is false when LIQ-3 says there is none. Mark basis only.
func (x *xScen) liqRoot(i int) (root *big.Rat, ok bool) {
	p := x.positions[i]
	s := ratInt(int64(p.s))
	k := x.kOf(i, true)
	var best *big.Rat
	last := len(p.mkt.tiers) - 1
	for t, tr := range p.mkt.tiers {
		// Q*P_t = (K - s*Q*EP + cum_t) / (rate_t - s).
		qPt := ratQuo(ratAdd(ratSub(k, ratMul(s, p.qep)), tr.cum), ratSub(tr.rate, s))
		if p.s > 0 {
			c := qPt.Cmp(tr.min)
			// At P_t itself the pool is liquidatable only at-equality.
			atPt := x.liquidatableAt(i, ratQuo(qPt, p.q))
			if c < 0 || (c == 0 && (t == 0 || p.mkt.upper || !atPt)) {
				continue
			}
			v := qPt
			if t < last {
				v = ratMin(qPt, tr.max)
			}
			if best == nil || v.Cmp(best) > 0 {
				best = v
			}
			continue
		}
		if t < last {
			c := qPt.Cmp(tr.max)
			if c > 0 || (c == 0 && (!p.mkt.upper || !x.liquidatableAt(i, ratQuo(qPt, p.q)))) {
				continue
			}
		}
		v := ratMax2(qPt, tr.min)
		if best == nil || v.Cmp(best) < 0 {
			best = v
		}
	}
	if best == nil || best.Sign() <= 0 {
		return nil, false
	}
	return ratQuo(best, p.q), true
}

// xQty are the exact QTY-1..5 quantities of a position at its mark.
type xQty struct {
	n, u, lEff, im, mm *big.Rat
	tier               int
}

func (p *xPos) qty() xQty {
	var r xQty
	r.n = ratMul(p.q, p.mp)
	r.u = ratMul(ratInt(int64(p.s)), ratSub(r.n, p.qep))
	r.lEff = ratMin(p.lev, p.mkt.tiers[p.mkt.tierOf(r.n)].lev)
	r.im = xIM(p.mkt.tiers[p.mkt.tierOf(r.n)], r.n, p.lev)
	nb := r.n
	if p.mkt.basis == spec.BasisEntry {
		nb = p.qep
	}
	r.mm, r.tier = p.mkt.mm(nb)
	return r
}

// xPool is a pool's exact E, IM, MM and members.
type xPool struct {
	position   int // -1 for cross
	base       *big.Rat
	e, im, mm  *big.Rat
	members    []int
	isIsolated bool
}

// pools returns the pools of RPT-2 in report order.
func (x *xScen) pools() []xPool {
	cross := xPool{position: -1, base: x.wallet, e: x.wallet, im: new(big.Rat), mm: new(big.Rat)}
	var iso []xPool
	for i, p := range x.positions {
		q := p.qty()
		if p.mode == spec.Isolated {
			iso = append(iso, xPool{position: i, base: p.margin, e: ratAdd(p.margin, q.u), im: q.im, mm: q.mm, members: []int{i}, isIsolated: true})
			continue
		}
		cross.e = ratAdd(cross.e, q.u)
		cross.im = ratAdd(cross.im, q.im)
		cross.mm = ratAdd(cross.mm, q.mm)
		cross.members = append(cross.members, i)
	}
	return append([]xPool{cross}, iso...)
}

// poolOf returns the index (in report order) of position i's pool.
func (x *xScen) poolOf(i int) int {
	if x.positions[i].mode != spec.Isolated {
		return 0
	}
	k := 1
	for j := 0; j < i; j++ {
		if x.positions[j].mode == spec.Isolated {
			k++
		}
	}
	return k
}

// kOf returns K (LIQ-1, withMM) or K0 (BKR-1) of position i.
func (x *xScen) kOf(i int, withMM bool) *big.Rat {
	pl := x.pools()[x.poolOf(i)]
	k := pl.base
	for _, j := range pl.members {
		if j == i {
			continue
		}
		q := x.positions[j].qty()
		k = ratAdd(k, q.u)
		if withMM {
			k = ratSub(k, q.mm)
		}
	}
	return k
}

// f is LIQ-1's f(P) for position i: K + s*Q*(P - EP) - MM_i(P).
func (x *xScen) f(i int, price *big.Rat) *big.Rat {
	p := x.positions[i]
	v := ratAdd(x.kOf(i, true), ratMul(ratInt(int64(p.s)), ratSub(ratMul(p.q, price), p.qep)))
	nb := ratMul(p.q, price)
	if p.mkt.basis == spec.BasisEntry {
		nb = p.qep
	}
	mm, _ := p.mkt.mm(nb)
	return ratSub(v, mm)
}

// g is BKR-1's g(P) for position i: K0 + s*Q*(P - EP).
func (x *xScen) g(i int, price *big.Rat) *big.Rat {
	p := x.positions[i]
	return ratAdd(x.kOf(i, false), ratMul(ratInt(int64(p.s)), ratSub(ratMul(p.q, price), p.qep)))
}

// xField is one reported value the oracle expects, with its report path.
type xField struct {
	path string
	want *big.Rat // nil: null expected
}

// reportedFields returns the values of EVAL-2 steps 4 and 5 (positions, then
// pools), exactly rounded as SPEC reports them, in EVAL-2 order.
func (x *xScen) reportedFields() []xField {
	var fs []xField
	for i, p := range x.positions {
		q := p.qty()
		pre := fmt.Sprintf("positions[%d].", i)
		fs = append(fs,
			xField{pre + "notional", down(q.n)},
			xField{pre + "unrealizedPnl", down(q.u)},
			xField{pre + "initialMargin", up(q.im)},
			xField{pre + "maintenanceMargin", up(q.mm)})
		if p.mode == spec.Isolated {
			m := p.margin
			rem := ratMax2(new(big.Rat), ratMin(m, ratSub(ratAdd(m, ratMin(q.u, new(big.Rat))), q.im)))
			fs = append(fs, xField{pre + "isolatedMargin", m}, xField{pre + "maxRemovableMargin", down(rem)})
		}
	}
	for k, pl := range x.pools() {
		pre := fmt.Sprintf("pools[%d].", k)
		fs = append(fs,
			xField{pre + "equity", down(pl.e)},
			xField{pre + "initialMargin", up(pl.im)},
			xField{pre + "maintenanceMargin", up(pl.mm)},
			xField{pre + "available", down(ratMax2(new(big.Rat), ratSub(pl.e, pl.im)))})
	}
	return fs
}

// firstOutOfRange returns the path of the first reported value beyond MAX
// (where SPEC wants a NUM-2 error), or "".
func (x *xScen) firstOutOfRange() string {
	for _, name := range slices.Sorted(maps.Keys(x.marks)) {
		if m := x.marks[name]; x.computed[name] && !inRange(m) {
			return "prices." + name + ".mark"
		}
	}
	for _, f := range x.reportedFields() {
		if f.want != nil && !inRange(f.want) {
			return f.path
		}
	}
	return ""
}

// xIM is SPEC QTY-4: N / min(L, maxLeverage_t), or N * max(1/L, IMR_t) when
// the table gives explicit initial margin rates (TIER-5).
func xIM(t xTier, n, lev *big.Rat) *big.Rat {
	if t.imr == nil {
		return ratQuo(n, ratMin(lev, t.lev))
	}
	return ratMax2(ratQuo(n, lev), ratMul(n, t.imr))
}
