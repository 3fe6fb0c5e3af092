package model

import (
	"math/big"
	"slices"
	"sort"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// Funding (SPEC FND-1..4), the liquidation sweep (LQ-1..8) and
// auto-deleveraging (ADL-1..3).
//
// Readings:
//   - FND-2: accounts are visited in ascending byte order of id, the
//     insurance fund included (LED-8); each posts its payment or receives its
//     share as it is visited (funding:<market> may be negative in between).
//   - LQ-1: a cross pool with no position whose wallet is negative is
//     liquidatable (POOL-5: MM = 0 > E); it is bankrupt with d = -wallet and
//     the fund posts d (LQ-5, or LQ-7 when it cannot pay). It closes nothing,
//     so it has no liquidation effect: one liquidation effect is emitted per
//     position closed, just before its fills, with that position's market.
//   - LQ-4/5/6 closes are fills of kind "liquidation" (against the fund) or
//     "adl"; no trading fee is charged (TRD-4 is for trades); the fund's and
//     the ADL counterparties' positions are updated by TRD-2/TRD-3. An ADL
//     counterparty's isolated margin share down(M'*q/|x|) is moved with its
//     sign: when M' < 0 the wallet covers it (the event cannot be refused).
//   - LQ-6: the liquidated pool's position is closed in one chunk per ADL
//     counterparty (one fill pair each, TRD-2 rounding per chunk); its
//     realized PnL goes to the pool; after the last position the residual of
//     LQ-7 (r > 0) is posted by the fund; an isolated pool's remaining margin
//     (-r >= 0) moves to the wallet (reason margin). No liquidation fee.
//   - ADL-2: scores are compared exactly, not clamped to MAX.

func (l *Ledger) funding(ev *spec.Event) {
	mi := l.evMarket(ev.Market, "POS-1")
	rate := l.evNum(ev.Rate, "rate")
	mk := &l.markets[mi]
	// FND-1.
	if l.lv[mi].capLinked {
		// FND-1:margin-linked: the cap need not lie on the 1e-8 grid.
		if c := l.linkedCap(mi); new(big.Rat).Abs(new(big.Rat).SetFrac64(rate, int64(u8))).Cmp(c) > 0 {
			if rate < 0 {
				c.Neg(c)
			}
			l.fundingRat(mi, c)
			l.sweep()
			return
		}
	} else if mk.hasFundingCap {
		rate = max(-mk.fundingCap, min(rate, mk.fundingCap))
	}
	if rate != 0 {
		l.fb = wide.Int{} // funding:<market>, transient
		fbal := bal{l.fundNames[mi], &l.fb}
		ar := rate
		if ar < 0 {
			ar = -ar
		}
		for _, a := range l.accs {
			idx := a.find(mi)
			if idx < 0 {
				continue
			}
			ps := &a.pos[idx]
			// FND-2: |a| = Q * mark * |rate'| (scale 1e-24).
			abs := ps.q.Mul(uint64(l.marks[mi])).Mul(uint64(ar))
			if ps.sign*rate > 0 { // payer
				l.move(l.pool(a, idx), fbal, abs.DivCeil(u16), "funding")
			} else {
				down, _ := abs.DivFloor(u16)
				l.move(fbal, l.pool(a, idx), down, "funding")
			}
		}
		// FND-3: the remainder (sum up - sum down >= 0) goes to dust.
		l.move(fbal, bal{"dust", &l.dust}, l.fb, "dust")
	}
	// FND-4.
	l.sweep()
}

// fundingRat is FND-2 and FND-3 for a clamped rate' off the 1e-8 grid
// (FND-1:margin-linked), exact: a payer posts up(Q * mark * |rate'|), a
// receiver gets down(...), the rest goes to dust.
func (l *Ledger) fundingRat(mi int, rate *big.Rat) {
	if rate.Sign() == 0 {
		return
	}
	mk := &l.markets[mi]
	var fb wide.Int
	fbal := bal{"funding:" + mk.name, &fb}
	ar := new(big.Rat).Abs(rate)
	for _, a := range l.accs {
		idx := a.find(mi)
		if idx < 0 {
			continue
		}
		ps := &a.pos[idx]
		// |a| in units: Q_u * mark_u * |rate'| / 1e8.
		x := new(big.Rat).SetInt(wbig(ps.q.Mul(uint64(l.marks[mi]))))
		x.Mul(x, ar)
		x.Quo(x, new(big.Rat).SetInt64(int64(u8)))
		q, m := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
		if int64(ps.sign)*int64(rate.Sign()) > 0 { // payer
			if m.Sign() != 0 {
				q.Add(q, big.NewInt(1))
			}
			l.move(l.pool(a, idx), fbal, l.wideOf(q), "funding")
		} else {
			l.move(fbal, l.pool(a, idx), l.wideOf(q), "funding")
		}
	}
	l.move(fbal, bal{"dust", &l.dust}, fb, "dust")
}

// wideOf converts a non-negative big.Int to a wide.Int (NUM-2 beyond 192
// bits, far outside any reported range).
func (l *Ledger) wideOf(x *big.Int) wide.Int {
	if x.Sign() < 0 || x.BitLen() > 190 {
		l.overflow()
	}
	var w wide.Int
	words := new(big.Int).Set(x)
	mask := new(big.Int).SetUint64(^uint64(0))
	w.W0 = new(big.Int).And(words, mask).Uint64()
	words.Rsh(words, 64)
	w.W1 = new(big.Int).And(words, mask).Uint64()
	words.Rsh(words, 64)
	w.W2 = words.Uint64()
	return w
}

// sweep is LQ-1: passes over the trader accounts in id order, each
// account's isolated pools in market order and then its cross pool, until a
// pass liquidates nothing.
func (l *Ledger) sweep() {
	for {
		did := false
		for _, a := range l.accs {
			if a.fund {
				continue
			}
			var iso []int
			for _, ps := range a.pos {
				if ps.isolated() {
					iso = append(iso, ps.mkt)
				}
			}
			for _, mi := range iso {
				idx := a.find(mi)
				if idx < 0 || !a.pos[idx].isolated() {
					continue
				}
				if e16, mm24 := l.isoPool(&a.pos[idx]); l.liquidatable(e16, mm24) {
					l.liquidate(a, mi)
					did = true
				}
			}
			// PM-17: the portfolio pool takes the cross pool's place.
			if a.hasPM() {
				if l.pmLiquidatable(a) {
					l.liquidate(a, poolPM)
					did = true
				}
			} else if e16, mm24 := l.crossPool(a); l.liquidatable(e16, mm24) {
				l.liquidate(a, -1)
				did = true
			}
		}
		if !did {
			return
		}
	}
}

// execPrice is LQ-2: tickDown(MP) for a long, tickUp(MP) for a short.
func (l *Ledger) execPrice(ps *lpos) int64 {
	mk := &l.markets[ps.mkt]
	mp := l.marks[ps.mkt]
	if ps.sign > 0 {
		return tickDownU(mp, mk.tick)
	}
	return l.tickUpU(mp, mk.tick)
}

// lossItem is one position of a pool for lossOrder.
type lossItem struct {
	mi int
	u  wide.Int
}

// lossOrder returns the pool's positions' markets, largest loss first (most
// negative exact U at the mark; ties by market). The result is the ledger's
// scratch (l.orderBuf), valid until the next call.
func (l *Ledger) lossOrder(a *lacct, isoMkt int) []int {
	its := l.lossBuf[:0]
	for i := range a.pos {
		ps := &a.pos[i]
		if (isoMkt < 0 && ps.cross) || (isoMkt >= 0 && ps.mkt == isoMkt) {
			its = append(its, lossItem{ps.mkt, l.upnl16(ps)})
		}
	}
	// Stable, like sort.SliceStable, without its allocation.
	slices.SortStableFunc(its, byLoss)
	out := l.orderBuf[:0]
	for _, it := range its {
		out = append(out, it.mi)
	}
	l.lossBuf, l.orderBuf = its, out
	return out
}

// liquidate liquidates one pool: the isolated pool of market isoMkt, or the
// cross pool (isoMkt < 0).
func (l *Ledger) liquidate(a *lacct, isoMkt int) {
	l.touch(a)
	l.touch(l.fund)
	pool := spec.Cross
	var order []int
	switch {
	case isoMkt >= 0:
		pool = spec.Isolated
		order = l.lossOrder(a, isoMkt)
	case isoMkt == poolPM:
		pool = spec.Portfolio
		order = l.pmOrder(a) // PM-17
	default:
		order = l.lossOrder(a, isoMkt)
	}
	// LQ-3: E_x with every position closed at its execution price (exact;
	// an intermediate, so unbounded).
	px := l.pxBuf // by market index; only the pool's markets are set
	var ex16 wide.Int
	if isoMkt >= 0 {
		ex16 = a.pos[a.find(isoMkt)].iso.Mul(u8)
	} else {
		ex16 = a.wallet.Mul(u8)
	}
	for _, mi := range order {
		ps := &a.pos[a.find(mi)]
		p := l.execPrice(ps)
		px[mi] = p
		r := ps.q.Mul(uint64(p)).Sub(ps.v.Mul(u8))
		if ps.sign < 0 {
			r = r.Neg()
		}
		ex16 = ex16.Add(r)
	}
	ex, _ := ex16.DivFloor(u8) // exact: every q*p is on the 1e-8 grid
	d := ex.Neg()
	poolBal := func() bal {
		if isoMkt >= 0 {
			return l.isoBal(a, a.find(isoMkt))
		}
		return l.wal(a)
	}
	fundBal := l.wal(l.fund)
	closeFund := func(mi int) {
		idx := a.find(mi)
		ps := a.pos[idx]
		l.effs = append(l.effs, LedgerEffect{Event: l.k, Type: spec.EffectLiquidation, Account: a.id, Market: l.markets[mi].name, Pool: pool})
		if ps.sign > 0 {
			l.fillPair(l.fund, a, mi, ps.q, px[mi], "liquidation", roleCounter, roleLiquidated)
		} else {
			l.fillPair(a, l.fund, mi, ps.q, px[mi], "liquidation", roleLiquidated, roleCounter)
		}
	}
	// feeCap is up(rate * size * p) of LQ-4 (exact, before the min).
	feeCap := func(mi int, q wide.Int) wide.Int {
		return valU(q, px[mi]).Mul(uint64(l.markets[mi].feeRate)).DivCeil(u8)
	}
	minW := func(x, y wide.Int) wide.Int {
		if x.Cmp(y) <= 0 {
			return x
		}
		return y
	}
	switch {
	case !ex.IsNeg() && isoMkt >= 0:
		// LQ-4 isolated: close against the fund; fee min(up(rate*size*p), M');
		// the rest of the margin to the wallet.
		mi := isoMkt
		q := a.pos[a.find(mi)].q
		closeFund(mi)
		fee := minW(feeCap(mi, q), a.pos[a.find(mi)].iso)
		l.move(poolBal(), fundBal, fee, "liquidation-fee")
		l.leftover(a, mi)
		l.prune(a)
	case !ex.IsNeg():
		// LQ-4 cross (PM-17: the portfolio pool likewise): one at a time,
		// in order, until healthy.
		for _, mi := range order {
			if isoMkt == poolPM {
				if !a.hasPM() || !l.pmLiquidatable(a) {
					break
				}
			} else if e16, mm24 := l.crossPool(a); !l.liquidatable(e16, mm24) {
				break
			}
			q := a.pos[a.find(mi)].q
			closeFund(mi)
			l.prune(a)
			e16, _ := l.crossPool(a)
			if isoMkt == poolPM {
				e16 = l.pmEquity16(a)
			}
			e, _ := e16.DivFloor(u8) // down(E')
			if e.IsNeg() {
				e = wide.Int{}
			}
			l.move(l.wal(a), fundBal, minW(feeCap(mi, q), e), "liquidation-fee")
		}
	case l.fund.wallet.Cmp(d) >= 0:
		// LQ-5: the fund takes every position and pays exactly d.
		for _, mi := range order {
			closeFund(mi)
		}
		l.move(fundBal, poolBal(), d, "insurance")
		l.prune(a)
	default:
		// LQ-6: auto-deleverage.
		r := d
		for _, mi := range order {
			idx := a.find(mi)
			ps := a.pos[idx]
			mk := &l.markets[mi]
			p := px[mi]
			if r.Sign() > 0 {
				// long: tickUp(p + r/Q); short: max(tick, tickDown(p - r/Q)).
				num := ps.q.Mul(uint64(p))
				rr := r.Mul(u8)
				if ps.sign > 0 {
					c := num.Add(rr).DivCeil(l.qu(ps.q)).DivCeil(uint64(mk.tick))
					p = l.fit(c.Mul(uint64(mk.tick))) // a fill price: reported
				} else {
					f, _ := num.Sub(rr).DivFloor(l.qu(ps.q))
					f, _ = f.DivFloor(uint64(mk.tick))
					if f.Sign() <= 0 {
						p = mk.tick
					} else {
						p = l.fit(f.Mul(uint64(mk.tick)))
					}
				}
				// r falls by what the close absorbs: s*Q*(p' - p).
				abs := ps.q.Mul(uint64(p)).Sub(ps.q.Mul(uint64(px[mi])))
				if ps.sign < 0 {
					abs = abs.Neg()
				}
				absq, _ := abs.DivFloor(u8)
				r = r.Sub(absq)
			}
			l.effs = append(l.effs, LedgerEffect{Event: l.k, Type: spec.EffectLiquidation, Account: a.id, Market: mk.name, Pool: pool})
			l.adl(a, mi, p)
		}
		if r.Sign() > 0 {
			// LQ-7: the fund posts the residual anyway.
			l.move(fundBal, poolBal(), r, "insurance")
		}
		if isoMkt >= 0 {
			l.leftover(a, isoMkt)
		}
		l.prune(a)
	}
}

// leftover distributes what an isolated pool holds after its liquidation
// (LQ-4's M' - fee, LQ-6's -r >= 0) by the market's LQ-4 variant: to the
// wallet (trader), to the fund (insurance), or up(share * Lo) to the fund
// and the rest to the wallet (liquidator-split).
func (l *Ledger) leftover(a *lacct, mi int) {
	idx := a.find(mi)
	lo := a.pos[idx].iso
	if lo.IsNeg() {
		panic("model: ledger: negative isolated leftover")
	}
	v := &l.lv[mi]
	switch v.leftover {
	case spec.LeftoverInsurance:
		l.move(l.isoBal(a, idx), l.wal(l.fund), lo, "insurance")
	case spec.LeftoverLiquidatorSplit:
		f := lo.Mul(uint64(v.share)).DivCeil(u8)
		l.move(l.isoBal(a, idx), l.wal(l.fund), f, "insurance")
		l.move(l.isoBal(a, idx), l.wal(a), lo.Sub(f), "margin")
	default:
		l.move(l.isoBal(a, idx), l.wal(a), lo, "margin")
	}
}

// prune removes a's closed positions (their margin has been settled).
func (l *Ledger) prune(a *lacct) {
	out := a.pos[:0]
	for _, ps := range a.pos {
		if ps.q.Sign() > 0 {
			out = append(out, ps)
		} else if !ps.iso.IsZero() {
			panic("model: ledger: closed position with isolated margin left")
		}
	}
	a.pos = out
}

// adl closes a's position in market mi at price p against the ranked
// opposite-side positions of the other accounts (ADL-1..3).
func (l *Ledger) adl(a *lacct, mi int, p int64) {
	idx := a.find(mi)
	sign := a.pos[idx].sign
	remaining := a.pos[idx].q
	type cand struct {
		acc   *lacct
		score *big.Rat
	}
	var cs []cand
	maxScore := big.NewInt(int64(maxU))
	byAccount := l.lv[mi].adlAccount
	for _, c := range l.accs {
		if c == a {
			continue
		}
		j := c.find(mi)
		if j < 0 || c.pos[j].sign == sign {
			continue
		}
		if byAccount {
			cs = append(cs, cand{c, l.accountScore(c)})
			continue
		}
		ps := &c.pos[j]
		u := l.upnl16(ps)
		var e16 wide.Int
		switch {
		case ps.cross:
			e16, _ = l.crossPool(c)
		case ps.pm:
			e16 = l.pmEquity16(c) // PM-18
		default:
			e16, _ = l.isoPool(ps)
		}
		// ADL-2: pnl = down(U/V) (units: U16/V_u); V = 0 (the fund, after
		// LQ-2 at price 0; then U > 0) and U > 0 with E <= 0 score MAX.
		var score *big.Int
		switch {
		case ps.v.IsZero() || (u.Sign() > 0 && e16.Sign() <= 0):
			score = maxScore
		case u.Sign() > 0:
			// down(N/E) in units: N16*1e8/E16.
			pnl := floorDiv(wbig(u), wbig(ps.v))
			lev := floorDiv(new(big.Int).Mul(wbig(l.notional16(ps)), big.NewInt(int64(u8))), wbig(e16))
			score = floorDiv(new(big.Int).Mul(pnl, lev), big.NewInt(int64(u8)))
		default:
			score = floorDiv(wbig(u), wbig(ps.v))
		}
		cs = append(cs, cand{c, new(big.Rat).SetInt(score)})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].score.Cmp(cs[j].score) > 0 })
	for _, c := range cs {
		if remaining.IsZero() {
			break
		}
		q := c.acc.pos[c.acc.find(mi)].q
		if remaining.Less(q) {
			q = remaining
		}
		if sign > 0 {
			l.fillPair(c.acc, a, mi, q, p, "adl", roleCounter, roleLiquidated)
		} else {
			l.fillPair(a, c.acc, mi, q, p, "adl", roleLiquidated, roleCounter)
		}
		remaining = remaining.Sub(q)
	}
	if !remaining.IsZero() {
		panic("model: ledger: ADL found too little opposite open interest")
	}
}

// accountScore is ADL-2:account (Binance's LeveragePnl) for account c,
// exact: with WB its cross wallet plus its isolated margins, UP the sum of
// its exact unrealized PnLs and MMa of its exact maintenance margins,
// max(0, UP)/max(1, WB) x MMa/(WB + UP), and 0 when WB + UP <= 0. In units:
// UP = u16/1e8, MMa = mm24/(1e16*D) (mm24 is D*MM, TIER-3:half-initial),
// so the score is u16 * mm24 / (max(1e8, WB) * e16 * 1e16 * D) with
// e16 = WB*1e8 + u16.
func (l *Ledger) accountScore(c *lacct) *big.Rat {
	wb := wbig(c.wallet)
	u16, mm24 := new(big.Int), new(big.Int)
	for i := range c.pos {
		ps := &c.pos[i]
		if ps.isolated() {
			wb.Add(wb, wbig(ps.iso))
		}
		u16.Add(u16, wbig(l.upnl16(ps)))
		mm24.Add(mm24, wbig(l.mm24(ps)))
	}
	e16 := new(big.Int).Mul(wb, big.NewInt(int64(u8)))
	e16.Add(e16, u16)
	if u16.Sign() <= 0 || e16.Sign() <= 0 {
		return new(big.Rat)
	}
	den := new(big.Int).Set(wb)
	if den.Cmp(big.NewInt(int64(u8))) < 0 {
		den.SetInt64(int64(u8))
	}
	den.Mul(den, e16)
	den.Mul(den, big.NewInt(int64(u16x)))
	den.Mul(den, new(big.Int).SetUint64(l.den))
	return new(big.Rat).SetFrac(new(big.Int).Mul(u16, mm24), den)
}

// u16x is 1e16.
const u16x = 10_000_000_000_000_000

// floorDiv is floor(a/b) for b > 0.
func floorDiv(a, b *big.Int) *big.Int {
	q, _ := new(big.Int).DivMod(a, b, new(big.Int))
	return q
}

// byLoss orders loss items by unrealized PnL, the largest loss first (LQ-4's
// close order; ties keep their order under a stable sort).
func byLoss(x, y lossItem) int {
	switch {
	case x.u.Less(y.u):
		return -1
	case y.u.Less(x.u):
		return 1
	}
	return 0
}
