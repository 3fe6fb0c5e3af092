package model

import (
	"math/big"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// Trades and position updates (SPEC TRD-1..6, LED-6).
//
// Effect order of a trade (LED-6 fixes the kinds, not this order; reading):
// the two fills (buyer first), then the buyer's position postings (realized
// PnL, then margin moves: the return of a reduce/close, then the transfer of
// an open), then the seller's, then the fees (buyer's, then seller's). A
// flip posts its close (PnL, return of all the margin) before its open.

// role says how a position update treats an isolated position's margin.
type role int

const (
	// roleTrade: TRD-3 in full; a negative isolated margin rejects the event.
	roleTrade role = iota
	// roleCounter: a counterparty that cannot refuse (the insurance fund in a
	// liquidation, an ADL candidate): TRD-2/TRD-3 without rejection; a
	// negative margin share is moved with its sign (the wallet covers it).
	roleCounter
	// roleLiquidated: the liquidated pool's position: realized PnL is posted
	// to the pool and the margin stays until the liquidation settles the pool.
	roleLiquidated
)

func (l *Ledger) trade(ev *spec.Event) {
	// TRD-1, in the order of LED-5's fields.
	mi, ok := l.mindex[ev.Market]
	if !ok {
		l.fail(l.evPath("market"), "TRD-1", "no market "+spec.Quote(ev.Market))
	}
	mk := &l.markets[mi]
	if !l.hasPx[mi] {
		l.fail(l.evPath("market"), "TRD-1", "market "+spec.Quote(ev.Market)+" has no price")
	}
	if !tickLotOK(mk) {
		l.fail(l.evPath("market"), "LED-1", "tickSize "+fx(mk.tick)+" * lotSize "+fx(mk.lot)+" of market "+spec.Quote(mk.name)+" is not a multiple of 1e-8")
	}
	buyer, ok := l.acc[ev.Buyer]
	if !ok {
		l.fail(l.evPath("buyer"), "TRD-1", "no account "+spec.Quote(ev.Buyer))
	}
	seller, ok := l.acc[ev.Seller]
	if !ok {
		l.fail(l.evPath("seller"), "TRD-1", "no account "+spec.Quote(ev.Seller))
	}
	if buyer == seller {
		l.fail(l.evPath("seller"), "TRD-1", "buyer and seller are the same account")
	}
	q := l.evPositive(ev.Size, "size")
	if q%mk.lot != 0 {
		l.fail(l.evPath("size"), "TRD-1", "size "+fx(q)+" is not a multiple of lotSize "+fx(mk.lot))
	}
	px := l.evPositive(ev.Price, "price")
	if px%mk.tick != 0 {
		l.fail(l.evPath("price"), "TRD-1", "price "+fx(px)+" is not a multiple of tickSize "+fx(mk.tick))
	}
	makerBuyer := false
	switch ev.Maker {
	case "", "seller":
	case "buyer":
		makerBuyer = true
	default:
		l.fail(l.evPath("maker"), "LED-5", "maker must be \"buyer\" or \"seller\", got "+spec.Quote(ev.Maker))
	}
	qw := wide.FromInt64(q)
	incB, incS := l.fillPair(buyer, seller, mi, qw, px, "trade", roleTrade, roleTrade)
	// TRD-4: fees on size*price, maker rate for the maker side.
	val := valU(qw, px)
	for _, side := range []struct {
		a     *lacct
		maker bool
	}{{buyer, makerBuyer}, {seller, !makerBuyer}} {
		if side.a.fund {
			continue
		}
		rate := mk.takerFee
		if side.maker {
			rate = mk.makerFee
		}
		fee := feeOf(val, rate)
		// TRD-4:position: an isolated position that remains after the fill
		// pays from its margin, up to max(0, M); the wallet pays the rest.
		if idx := side.a.find(mi); l.lv[mi].feePosition && idx >= 0 && side.a.pos[idx].isolated() {
			part := side.a.pos[idx].iso
			if part.IsNeg() {
				part = wide.Int{}
			}
			if fee.Less(part) {
				part = fee
			}
			l.move(l.isoBal(side.a, idx), bal{"fees", &l.fees}, part, "fee")
			fee = fee.Sub(part)
		}
		l.move(l.wal(side.a), bal{"fees", &l.fees}, fee, "fee")
	}
	// TRD-5, buyer first.
	if incB {
		l.checkIM(buyer, mi, px, "buyer")
	}
	if incS {
		l.checkIM(seller, mi, px, "seller")
	}
}

// fillPair executes size q of market mi at px between buyer and seller:
// both fill effects (buyer first), then the buyer's and the seller's position
// updates. It returns whether each side's risk increased (open, increase,
// flip).
func (l *Ledger) fillPair(buyer, seller *lacct, mi int, q wide.Int, px int64, kind string, rb, rs role) (incB, incS bool) {
	name := l.markets[mi].name
	if !inRange(q) {
		l.bad = true
	}
	// A size out of range sets l.bad: the event fails and its effects go.
	l.effs = append(l.effs,
		LedgerEffect{Event: l.k, Type: spec.EffectFill, Account: buyer.id, Market: name, Side: spec.Long,
			Size: Fixed(w64(q)), Price: Fixed(px), Counterparty: seller.id, Kind: kind},
		LedgerEffect{Event: l.k, Type: spec.EffectFill, Account: seller.id, Market: name, Side: spec.Short,
			Size: Fixed(w64(q)), Price: Fixed(px), Counterparty: buyer.id, Kind: kind})
	incB = l.update(buyer, mi, 1, q, px, rb, "buyer")
	incS = l.update(seller, mi, -1, q, px, rs, "seller")
	return incB, incS
}

// update is TRD-2/TRD-3 for one side: quantity q > 0 on side sign (+1 the
// buyer, -1 the seller) at price px.
func (l *Ledger) update(a *lacct, mi int, sign int64, q wide.Int, px int64, r role, field string) (increased bool) {
	l.touch(a)
	idx := a.find(mi)
	if idx < 0 && r == roleTrade {
		l.pmOpenCheck(a, mi, field) // PM-14: an open from flat keeps PM-2
	}
	if idx >= 0 && a.pos[idx].sign != sign {
		x := a.pos[idx].q
		if q.Cmp(x) <= 0 {
			l.reduce(a, idx, q, px, r, field)
			return false
		}
		// Flip: a close of |x|, then an open of |d| - |x| at the same price.
		l.reduce(a, idx, x, px, r, field)
		q = q.Sub(x)
		idx = a.find(mi)
	}
	if r == roleLiquidated {
		// A liquidated position only closes.
		panic("model: ledger: a liquidation opened a position")
	}
	// Open/increase: V += size*price.
	if idx < 0 {
		mode := a.mode(l, mi)
		idx = 0
		for idx < len(a.pos) && a.pos[idx].mkt < mi {
			idx++
		}
		a.pos = append(a.pos, lpos{})
		copy(a.pos[idx+1:], a.pos[idx:])
		a.pos[idx] = lpos{mkt: mi, sign: sign, cross: mode == spec.Cross, pm: mode == spec.Portfolio}
		if mode == spec.Isolated {
			a.pos[idx].isoName = "isolated:" + a.id + ":" + l.markets[mi].name
		}
	}
	ps := &a.pos[idx]
	ps.q = ps.q.Add(q)
	ps.v = ps.v.Add(valU(q, px))
	if ps.isolated() {
		// TRD-3: T = up(q*price * r), r QTY-4's IM rate on
		// tier(new size * price): 1/min(leverage, maxLeverage_t), or
		// max(1/leverage, IMR_t) under explicit rates (imRate).
		mul, den := l.imRate(a, mi, ps.q.Mul(uint64(px)))
		l.move(l.wal(a), l.isoBal(a, idx), q.Mul(uint64(px)).Mul(mul).DivCeil(den), "margin")
		// "A trade that would leave an isolated margin negative is rejected"
		// (TRD-3): also an increase of a margin that funding drained.
		if ps := &a.pos[idx]; ps.iso.IsNeg() && r == roleTrade {
			l.fail(l.evPath(field), "TRD-3", "the trade would leave the isolated margin of account "+spec.Quote(a.id)+" in "+spec.Quote(l.markets[mi].name)+" at "+wstr(ps.iso))
		}
	}
	return true
}

// reduce closes q (<= size) of position idx at px (TRD-2, TRD-3).
func (l *Ledger) reduce(a *lacct, idx int, q wide.Int, px int64, r role, field string) {
	ps := &a.pos[idx]
	x := ps.q
	// Vr = V*size/|x|, up for a long, down for a short.
	vq := ps.v.Mul(l.qu(q))
	var vr wide.Int
	if ps.sign > 0 {
		vr = vq.DivCeil(l.qu(x))
	} else {
		vr, _ = vq.DivFloor(l.qu(x))
	}
	rp := valU(q, px).Sub(vr)
	if ps.sign < 0 {
		rp = rp.Neg()
	}
	ps.v = ps.v.Sub(vr)
	ps.q = ps.q.Sub(q)
	// LED-6: profit from settlement to the pool, loss from the pool.
	l.move(l.settle(), l.pool(a, idx), rp, "realized-pnl")
	ps = &a.pos[idx]
	if ps.isolated() && r != roleLiquidated {
		if ps.iso.IsNeg() && r == roleTrade {
			l.fail(l.evPath(field), "TRD-3", "the trade would leave the isolated margin of account "+spec.Quote(a.id)+" in "+spec.Quote(l.markets[ps.mkt].name)+" at "+wstr(ps.iso))
		}
		// down(M' * q / |x|) moves back to the wallet (all of it on a close).
		ret := ps.iso
		if q.Less(x) {
			ret, _ = ps.iso.Mul(l.qu(q)).DivFloor(l.qu(x))
		}
		l.move(l.isoBal(a, idx), l.wal(a), ret, "margin")
	}
	if ps.q.IsZero() && r != roleLiquidated {
		a.pos = append(a.pos[:idx], a.pos[idx+1:]...)
	}
}

// checkIM is TRD-5 for a side whose risk increased: the pool holding the
// position has E >= IM; for an isolated position also the cross pool has
// E >= IM and the wallet is >= 0; the new notional at the trade price is at
// most the last tier's maxNotional. The insurance fund is never checked
// (LED-2). Errors: TRD-5 at events[k].buyer / .seller.
func (l *Ledger) checkIM(a *lacct, mi int, px int64, field string) {
	if a.fund {
		return
	}
	idx := a.find(mi)
	ps := &a.pos[idx]
	// The path is built only on failure (no allocation otherwise).
	switch {
	case ps.cross:
		if e16, _ := l.crossPool(a); !l.geIM(e16, a, nil) {
			l.needIM(l.evPath(field), a, "cross pool", units16(e16), l.crossIM(a))
		}
	case ps.pm:
		// PM-15: the portfolio pool's E >= IM (PM-10) after the trade.
		if ok, e, im := l.pmGeIM(a, l.pmEquity16(a)); !ok {
			l.needIM(l.evPath(field), a, "portfolio pool", e, im)
		}
	default:
		if e16, _ := l.isoPool(ps); !l.geIM(e16, a, ps) {
			l.needIM(l.evPath(field), a, "isolated pool of "+spec.Quote(l.markets[mi].name), units16(e16), l.im(a, ps))
		}
		if a.hasPM() {
			// PM-16: the wallet backs the portfolio pool.
			if ok, e, im := l.pmGeIM(a, l.pmEquity16(a)); !ok {
				l.needIM(l.evPath(field), a, "portfolio pool", e, im)
			}
		} else if e16, _ := l.crossPool(a); !l.geIM(e16, a, nil) {
			l.needIM(l.evPath(field), a, "cross pool", units16(e16), l.crossIM(a))
		}
		if a.wallet.IsNeg() {
			l.fail(l.evPath(field), "TRD-5", "account "+spec.Quote(a.id)+": the wallet would be "+wstr(a.wallet)+" < 0 (shortfall "+wstr(a.wallet.Neg())+")")
		}
	}
	mk := &l.markets[mi]
	maxN := mk.tiers[len(mk.tiers)-1].maxN
	n := ps.q.Mul(uint64(px))
	if n.Cmp(wide.MulU64(uint64(maxN), u8)) > 0 {
		l.fail(l.evPath(field), "TRD-5", "account "+spec.Quote(a.id)+": notional "+fmt16(n)+" at the trade price exceeds the last tier's maxNotional "+fx(maxN))
	}
}

// needIM fails with TRD-5 and the shortfall (geIM said e < im).
func (l *Ledger) needIM(path string, a *lacct, what string, e, im *big.Rat) {
	if e.Cmp(im) >= 0 {
		panic("model: ledger: initial margin checks disagree")
	}
	short := new(big.Rat).Sub(im, e)
	l.fail(path, "TRD-5", "account "+spec.Quote(a.id)+": "+what+" equity "+ratDown(e)+" is below its initial margin "+ratUp(im)+" (shortfall "+ratUp(short)+")")
}
