package reference

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is SPEC TRD: trades between two accounts, and the fill primitive
// that trades, liquidations (LQ-4..6) and auto-deleveraging (ADL-3) share:
// TRD-2's position update with its realized PnL, and TRD-3's isolated margin.

// marginRule says how TRD-3 applies to one side of a fill.
type marginRule int

const (
	// ruleTrade: TRD-3 in full. An isolated open moves T = up(q*price/L)
	// from the wallet; an isolated reduce posts R to the margin, then moves
	// down(M'*q/|x|) back to the wallet (all of it on a close); a reduce that
	// leaves the margin negative is rejected (TRD-3).
	ruleTrade marginRule = iota
	// ruleADL: an ADL counterparty (ADL-3: "realizing PnL by TRD-2/TRD-3").
	// As ruleTrade, except that a forced close cannot be rejected: a negative
	// M' is moved back too (from the wallet), so that the margin ends at the
	// remaining share of M'.
	ruleADL
	// ruleLiquidated: the side of the pool being liquidated. Only R is posted
	// (to the pool); the margin is settled by the liquidation (LQ-4..7).
	ruleLiquidated
)

// fillSide is one side of a fill: the account, how TRD-3 applies to it, and
// the event field that names it (for error paths).
type fillSide struct {
	a     *ledgerAccount
	rule  marginRule
	field string
}

// fill is one execution of size at price in market m between buyer and
// seller, of kind "trade", "liquidation" or "adl" (LED-6). It records the
// fill effects, the buyer's first, then updates the buyer's position and
// then the seller's (TRD-2, TRD-3). It returns, per side, whether the side's
// risk increased (an open, an increase or a flip; TRD-5).
func (l *Ledger) fill(k int, m string, buyer, seller fillSide, size, price *apd.Decimal, kind string) (increased [2]bool, err *spec.Error) {
	l.fillEffect(buyer.a.id, m, spec.Long, size, price, seller.a.id, kind)
	l.fillEffect(seller.a.id, m, spec.Short, size, price, buyer.a.id, kind)
	for i, side := range []struct {
		fillSide
		d *apd.Decimal
	}{{buyer, size}, {seller, neg(size)}} {
		inc, verr := l.updatePosition(k, side.fillSide, m, side.d, price)
		if verr != nil {
			return increased, verr
		}
		increased[i] = inc
	}
	return increased, nil
}

// fillEffect records LED-6's fill {account, market, side, size, price,
// counterparty, kind}.
func (l *Ledger) fillEffect(id, m string, side spec.Side, size, price *apd.Decimal, counterparty, kind string) {
	l.effects = append(l.effects, spec.Effect{
		Type: spec.EffectFill, Account: id, Market: m, Side: side,
		Size: nullable(size), Price: nullable(price), Counterparty: counterparty, Kind: kind,
	})
}

// signedSize is x of TRD-2: the position's signed size (0 if none).
func signedSize(p *ledgerPosition) *apd.Decimal {
	if p == nil {
		return dec(0)
	}
	return mul(sgn(p.s), p.q)
}

// pnlAcct is the ledger account that holds a position's pool: the isolated
// margin (isolated) or the cross wallet (cross).
func (l *Ledger) pnlAcct(a *ledgerAccount, m string) ledgerAcct {
	if l.modeOf(a, m) == spec.Isolated {
		return isolatedAcct(a.id, m)
	}
	return walletAcct(a.id)
}

// updatePosition is TRD-2 for one side with signed trade quantity d (+size
// for the buyer, -size for the seller) at price, and position signed size x:
//
//   - open/increase (x = 0 or same sign as d): V += size * price (openPosition);
//   - reduce/close (opposite sign, |d| <= |x|): reducePosition;
//   - flip (|d| > |x|): a close of |x|, then an open of |d| - |x| on the other
//     side, at the same price.
//
// Leverage and margin mode come from the account's settings (LED-2).
func (l *Ledger) updatePosition(k int, side fillSide, m string, d, price *apd.Decimal) (increased bool, err *spec.Error) {
	a := side.a
	p := a.positions[m]
	x := signedSize(p)
	absD := new(apd.Decimal).Abs(d)
	switch {
	case x.Sign() == 0 || x.Sign() == d.Sign():
		if x.Sign() == 0 && side.rule == ruleTrade {
			// PM-14: an open from flat keeps PM-2 (a flip keeps its mode).
			if verr := l.checkPortfolioOpen(k, side, m); verr != nil {
				return false, verr
			}
		}
		return true, l.openPosition(k, side, m, d.Sign(), absD, price)
	case absD.Cmp(p.q) <= 0:
		return false, l.reducePosition(k, side, m, absD, price)
	default:
		closed := p.q
		if verr := l.reducePosition(k, side, m, closed, price); verr != nil {
			return false, verr
		}
		return true, l.openPosition(k, side, m, d.Sign(), sub(absD, closed), price)
	}
}

// openPosition is TRD-2's open/increase of q on side s at price,
// V += q * price, and TRD-3's isolated margin for it: T = up(q * price * r)
// with r QTY-4's IM rate on t = tier(new size * price), 1/L with
// L = min(leverage, maxLeverage_t), or max(1/leverage, IMR_t) when the
// table gives explicit initial margin rates (TIER-5), moves wallet ->
// isolated (reason margin). A margin
// that is still negative afterwards (possible only after funding, see
// ledger_doc.go) is rejected: "a trade that would leave an isolated margin
// negative is rejected (TRD-3)". An ADL or liquidation side never opens (its
// size is at most the position's).
func (l *Ledger) openPosition(k int, side fillSide, m string, s int, q, price *apd.Decimal) *spec.Error {
	a := side.a
	p := a.positions[m]
	if p == nil {
		p = &ledgerPosition{s: s, q: dec(0), v: dec(0)}
		a.positions[m] = p
	}
	p.q = add(p.q, q)
	p.v = add(p.v, mul(q, price))
	if l.modeOf(a, m) == spec.Isolated {
		if side.rule != ruleTrade {
			panic(bugf("a %d side opens an isolated position", side.rule))
		}
		mkt := l.markets[m]
		tr := mkt.tiers[tierOf(mkt.tiers, mul(p.q, price))]
		im := initialMarginOn(tr, mul(q, price), l.leverageOf(a, m))
		if l.mut == mutIsolatedMarginNoTierCap {
			im = quo(mul(q, price), l.leverageOf(a, m))
		}
		t := up(im)
		if _, ok := a.isolated[m]; !ok {
			a.isolated[m] = dec(0)
		}
		l.post(walletAcct(a.id), isolatedAcct(a.id, m), t, reasonMargin)
		if mNew := l.balance(isolatedAcct(a.id, m)); mNew.Sign() < 0 && l.mut != mutDrainedIncreaseAccepted {
			return fail(evPath(k, side.field), "TRD-3", "the trade would leave the isolated margin of %q in %q at %s", a.id, m, str(mNew))
		}
	}
	return nil
}

// removedBasis is TRD-2's removed basis Vr = V * q / |x|, rounded up for a
// long and down for a short (so realized PnL rounds against the trader and
// the rest stays in the remaining basis).
func removedBasis(p *ledgerPosition, q *apd.Decimal) *apd.Decimal {
	vr := quo(mul(p.v, q), p.q)
	if p.s > 0 {
		return up(vr)
	}
	return down(vr)
}

// realizedPnl is TRD-2's R = s * (q * price - Vr).
func realizedPnl(s int, q, price, vr *apd.Decimal) *apd.Decimal {
	return mul(sgn(s), sub(mul(q, price), vr))
}

// reducePosition is TRD-2's reduce/close of q <= |x| at price:
// Vr = removedBasis, R = s * (q * price - Vr), V -= Vr; R is posted from
// settlement to the pool (profit) or from the pool to settlement (loss)
// (LED-6, reason realized-pnl). Then TRD-3 for an isolated position
// (ruleTrade, ruleADL): with M' the margin after R, down(M' * q / |x|) moves
// back to the wallet, all of M' on a close (reason margin); under ruleTrade
// a negative M' is rejected (TRD-3, at the side's field).
func (l *Ledger) reducePosition(k int, side fillSide, m string, q, price *apd.Decimal) *spec.Error {
	a := side.a
	p := a.positions[m]
	absX := p.q
	vr := removedBasis(p, q)
	if l.mut == mutBasisRoundDown && p.s > 0 {
		vr = down(quo(mul(p.v, q), p.q)) // the bug: rounded in the long's favour
	}
	r := realizedPnl(p.s, q, price, vr)
	pnl := l.pnlAcct(a, m)
	l.postSigned(settlementAcct, pnl, r, reasonRealizedPnl)
	p.v = sub(p.v, vr)
	p.q = sub(p.q, q)
	closed := p.q.Sign() == 0
	if closed {
		if p.v.Sign() != 0 {
			panic(bugf("closed position in %s keeps basis %s", m, str(p.v)))
		}
		delete(a.positions, m)
	}
	if pnl.kind != kIsolated || side.rule == ruleLiquidated {
		return nil
	}
	// TRD-3: isolated reduce.
	mPrime := l.balance(pnl)
	if mPrime.Sign() < 0 && side.rule == ruleTrade {
		return fail(evPath(k, side.field), "TRD-3", "the trade would leave the isolated margin of %q in %q at %s", a.id, m, str(mPrime))
	}
	back := mPrime
	if !closed {
		back = down(quo(mul(mPrime, q), absX))
	}
	l.postSigned(pnl, walletAcct(a.id), back, reasonMargin)
	if closed {
		l.dropIsolated(a, m)
	}
	return nil
}

// dropIsolated removes the isolated ledger account of a flat market, which
// must then hold nothing.
func (l *Ledger) dropIsolated(a *ledgerAccount, m string) {
	if b, ok := a.isolated[m]; ok {
		if b.Sign() != 0 {
			panic(bugf("isolated:%s:%s holds %s with no position", a.id, m, str(b)))
		}
		delete(a.isolated, m)
	}
}

// trade is LED-5 trade {market, buyer, seller, size, price, maker?} and
// TRD-1..6. Checks, in order (the first violation is returned):
//
//   - market: exists and has a price (TRD-1), tickSize*lotSize on the 1e-8
//     grid (LED-1);
//   - buyer exists (TRD-1); seller exists and differs from the buyer (TRD-1);
//   - size: NUM, > 0 (LED-5), a multiple of lotSize (TRD-1);
//   - price: NUM, > 0 (LED-5), a multiple of tickSize (TRD-1);
//   - maker: absent, "buyer" or "seller" (LED-5).
//
// Then the fill (TRD-2, TRD-3, buyer first; effects: the two fills, then the
// buyer's postings, then the seller's), the fees (TRD-4, buyer first), and
// the initial-margin check (TRD-5, buyer first). TRD-6: no liquidation sweep.
func (l *Ledger) trade(k int, ev spec.Event) *spec.Error {
	// TRD-1, LED-1: market.
	mkt, ok := l.markets[ev.Market]
	if !ok {
		return fail(evPath(k, "market"), "TRD-1", "market %q is not in markets", ev.Market)
	}
	if _, ok := l.prices[ev.Market]; !ok {
		return fail(evPath(k, "market"), "TRD-1", "market %q has no price", ev.Market)
	}
	if verr := checkFillGrid(evPath(k, "market"), mkt); verr != nil {
		return verr
	}
	// TRD-1: buyer and seller.
	buyer, verr := l.eventAccount(k, "buyer", ev.Buyer, "TRD-1")
	if verr != nil {
		return verr
	}
	seller, verr := l.eventAccount(k, "seller", ev.Seller, "TRD-1")
	if verr != nil {
		return verr
	}
	if buyer == seller {
		return fail(evPath(k, "seller"), "TRD-1", "buyer and seller are the same account %q", ev.Seller)
	}
	// LED-5, TRD-1: size and price.
	size, verr := positiveAmount(k, "size", ev.Size)
	if verr != nil {
		return verr
	}
	if !isMultiple(size, mkt.lot) {
		return fail(evPath(k, "size"), "TRD-1", "size %s is not a multiple of lotSize %s", str(size), str(mkt.lot))
	}
	price, verr := positiveAmount(k, "price", ev.Price)
	if verr != nil {
		return verr
	}
	if !isMultiple(price, mkt.tick) {
		return fail(evPath(k, "price"), "TRD-1", "price %s is not a multiple of tickSize %s", str(price), str(mkt.tick))
	}
	// LED-5: maker.
	makerIsBuyer := false
	switch ev.Maker {
	case "", "seller":
	case "buyer":
		makerIsBuyer = true
	default:
		return fail(evPath(k, "maker"), "LED-5", "maker must be \"buyer\" or \"seller\", got %q", ev.Maker)
	}

	// TRD-2, TRD-3.
	increased, verr := l.fill(k, mkt.name,
		fillSide{a: buyer, rule: ruleTrade, field: "buyer"},
		fillSide{a: seller, rule: ruleTrade, field: "seller"},
		size, price, "trade")
	if verr != nil {
		return verr
	}
	// TRD-4.
	l.payFee(buyer, mkt.name, size, price, makerIsBuyer)
	l.payFee(seller, mkt.name, size, price, !makerIsBuyer)
	// TRD-5.
	for i, side := range []struct {
		a     *ledgerAccount
		field string
	}{{buyer, "buyer"}, {seller, "seller"}} {
		if increased[i] && side.a.id != spec.InsuranceAccount {
			if l.mut == mutNoIMCheck {
				continue // the bug: no initial margin check
			}
			if verr := l.checkInitialMargin(k, side.field, side.a, mkt.name, price); verr != nil {
				return verr
			}
		}
	}
	return nil
}

// payFee is TRD-4 for one side: it pays F = up(size * price * rate) to fees
// (reason fee), rate = makerFeeRate for the maker side and takerFeeRate for
// the other (absent: 0). The insurance fund pays no fee. TRD-4:wallet: from
// the cross wallet. TRD-4:position: when the side's mode for the market is
// isolated and a position remains after the fill, min(F, max(0, M)) from
// the isolated margin M, then the rest from the wallet.
func (l *Ledger) payFee(a *ledgerAccount, m string, size, price *apd.Decimal, maker bool) {
	if a.id == spec.InsuranceAccount {
		return
	}
	rate := l.rates[m].taker
	if maker {
		rate = l.rates[m].maker
	}
	fee := up(exact(mul(mul(size, price), rate)))
	if l.mut == mutTradeFeeRoundDown {
		fee = down(exact(mul(mul(size, price), rate)))
	}
	if _, open := a.positions[m]; open && l.variantsOf(m).feePayer == spec.FeePayerPosition && l.modeOf(a, m) == spec.Isolated {
		iso := isolatedAcct(a.id, m)
		part := minDec(fee, maxDec(dec(0), l.balance(iso)))
		l.post(iso, feesAcct, part, reasonFee)
		fee = sub(fee, part)
	}
	l.post(walletAcct(a.id), feesAcct, fee, reasonFee)
}

// checkInitialMargin is TRD-5 for a trader side whose risk increased, after
// the trade: the pool holding the new position satisfies E >= IM (exact, at
// the mark, POOL-1/2); when the position is isolated, also the cross pool
// satisfies E >= IM and the wallet is >= 0; and the new notional at the trade
// price is at most the last tier's maxNotional. The error (rule TRD-5, at the
// side's field) gives the shortfall.
func (l *Ledger) checkInitialMargin(k int, field string, a *ledgerAccount, m string, price *apd.Decimal) *spec.Error {
	path := evPath(k, field)
	short := func(what string, e *apd.Decimal, im ratio) *spec.Error {
		return fail(path, "TRD-5", "%s of %q: equity %s is below the initial margin %s (shortfall %s)",
			what, a.id, str(e), str(up(im)), str(up(im.minus(exact(e)))))
	}
	isolated := l.modeOf(a, m) == spec.Isolated
	pl := l.poolOf(a, m) // PM-15: the portfolio pool for a portfolio position
	if l.mut == mutPMIMCross && l.modeOf(a, m) == spec.Portfolio {
		// The bug: the positions' standalone cross IMs in place of PM IM.
		_, _, qs := l.portfolioViews(a)
		pl.im = exact(dec(0))
		for _, q := range qs {
			pl.im = pl.im.plus(q.im)
		}
	}
	if cmpRatio(exact(pl.e), pl.im) < 0 {
		what := string(l.modeOf(a, m)) + " pool"
		if isolated {
			what = "isolated pool " + m
		}
		return short(what, pl.e, pl.im)
	}
	if isolated {
		cross, _ := l.walletPoolOf(a) // PM-16: the wallet's pool
		if cmpRatio(exact(cross.e), cross.im) < 0 {
			return short(string(cross.mode)+" pool", cross.e, cross.im)
		}
		if a.wallet.Sign() < 0 {
			return fail(path, "TRD-5", "the wallet of %q would be %s (shortfall %s)", a.id, str(a.wallet), str(neg(a.wallet)))
		}
	}
	mkt := l.markets[m]
	limit := mkt.tiers[len(mkt.tiers)-1].max
	if n := mul(a.positions[m].q, price); n.Cmp(limit) > 0 {
		return fail(path, "TRD-5", "the new notional %s at the trade price exceeds the last tier's maxNotional %s (by %s)",
			str(n), str(limit), str(sub(n, limit)))
	}
	return nil
}
