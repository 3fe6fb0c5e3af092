package reference

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is the price event (LED-5, MARK) and SPEC FND: funding.

// priceEvent is LED-5 price {market, mark? index? last? fundingRate?
// secondsToFunding? basisAverage?}: the market must exist (PRICE-1, at
// .market); the fields are NUM-checked in that order, then MARK-1..4 give
// the new mark (paths events[k].mark, .index, ...). The event's fields
// replace the market's price entry as a whole (the state's prices.<market>
// becomes exactly them). Then the liquidation sweep runs (LQ-1).
func (l *Ledger) priceEvent(k int, ev spec.Event) *spec.Error {
	mkt, ok := l.markets[ev.Market]
	if !ok {
		return fail(evPath(k, "market"), "PRICE-1", "market %q is not in markets", ev.Market)
	}
	src := spec.Price{
		Mark: ev.Mark, Index: ev.Index, Last: ev.Last, FundingRate: ev.FundingRate,
		SecondsToFunding: ev.SecondsToFunding, BasisAverage: ev.BasisAverage,
	}
	var f markInputs
	for _, field := range []struct {
		dst  **apd.Decimal
		name string
	}{
		{&f.mark, "mark"}, {&f.index, "index"}, {&f.last, "last"},
		{&f.fundingRate, "fundingRate"}, {&f.secondsToFunding, "secondsToFunding"}, {&f.basisAverage, "basisAverage"},
	} {
		var verr *spec.Error
		if *field.dst, verr = numNull(priceField(src, field.name), evPath(k, field.name)); verr != nil {
			return verr
		}
	}
	pr, verr := markPrice(fmt.Sprintf("events[%d]", k), f, mkt)
	if verr != nil {
		return verr
	}
	l.prices[mkt.name] = &ledgerPrice{src: src, mark: pr.mark}
	l.sweep()
	return nil
}

// priceField returns the field of a price entry by its JSON name.
func priceField(p spec.Price, name string) decimal.NullDecimal {
	switch name {
	case "mark":
		return p.Mark
	case "index":
		return p.Index
	case "last":
		return p.Last
	case "fundingRate":
		return p.FundingRate
	case "secondsToFunding":
		return p.SecondsToFunding
	case "basisAverage":
		return p.BasisAverage
	}
	panic(bugf("unknown price field %q", name))
}

// fundingEvent is LED-5 funding {market, rate} and FND-1..4. The market
// must exist (POS-1, at .market); rate is NUM-checked and required (LED-5),
// of any sign. Then:
//
//   - FND-1: rate' = clamp(rate, -cap, cap) with the market's fundingRateCap
//     (absent: no cap);
//   - FND-2: every position in the market, accounts in ascending byte order
//     of id (LED-8, the insurance fund's included), owes a = Q * mark * rate'.
//     With rate' > 0 longs pay and shorts receive, with rate' < 0 the
//     reverse. A payer posts up(|a|) from its pool (wallet for cross,
//     isolated margin for isolated) to funding:<market>; a receiver gets
//     down(|a|) from it (reason funding), each posted as it is visited;
//   - FND-3: what remains in funding:<market> (sum up - sum down >= 0) is
//     posted to dust (reason dust);
//   - FND-4: the liquidation sweep (LQ-1) runs after the payments.
func (l *Ledger) fundingEvent(k int, ev spec.Event) *spec.Error {
	mkt, ok := l.markets[ev.Market]
	if !ok {
		return fail(evPath(k, "market"), "POS-1", "market %q is not in markets", ev.Market)
	}
	rate, verr := numNull(ev.Rate, evPath(k, "rate"))
	if verr != nil {
		return verr
	}
	if rate == nil {
		return fail(evPath(k, "rate"), "LED-5", "rate is required")
	}
	r := exact(clampFundingRate(rate, l.rates[mkt.name].fundingCap))
	if v := l.variantsOf(mkt.name); v.fundingCap == spec.FundingCapMarginLinked {
		// FND-1:margin-linked: rate' = clamp(rate, -cap, cap), exact.
		c := marginLinkedCap(mkt, &v)
		r = minRatio(maxRatio(exact(rate), ratio{neg(c.num), c.den}), c)
	}
	if l.mut == mutFundingUnclamped {
		r = exact(rate)
	}
	fund := fundingAcct(mkt.name)
	if l.mut == mutSweepBeforeFunding {
		l.sweep()
	}
	for _, id := range l.sortIDs() {
		a := l.accounts[id]
		p, open := a.positions[mkt.name]
		if !open {
			continue
		}
		owed := fundingOwed(p.q, l.prices[mkt.name].mark, r)
		pays := p.s*r.sign() > 0 // FND-2: rate' > 0: longs pay; rate' < 0: shorts pay
		if l.mut == mutFundingSign {
			pays = p.s*r.sign() < 0
		}
		abs := ratio{new(apd.Decimal).Abs(owed.num), owed.den}
		if pays {
			l.post(l.pnlAcct(a, mkt.name), fund, up(abs), reasonFunding)
		} else {
			l.post(fund, l.pnlAcct(a, mkt.name), down(abs), reasonFunding)
		}
	}
	// FND-3.
	rest := l.balance(fund)
	if rest.Sign() < 0 {
		panic(bugf("funding:%s ends at %s < 0", mkt.name, str(rest)))
	}
	if l.mut != mutDustLost {
		l.post(fund, dustAcct, rest, reasonDust)
	}
	delete(l.funding, mkt.name)
	// FND-4.
	if l.mut != mutSweepBeforeFunding {
		l.sweep()
	}
	return nil
}

// clampFundingRate is FND-1: rate' = clamp(rate, -cap, cap); no cap when
// fundingRateCap is absent (nil).
func clampFundingRate(rate, fundingCap *apd.Decimal) *apd.Decimal {
	if fundingCap == nil {
		return rate
	}
	return minDec(maxDec(rate, neg(fundingCap)), fundingCap)
}

// fundingOwed is FND-2's a = Q * mark * rate', exact (rate' may be off the
// 1e-8 grid under FND-1:margin-linked).
func fundingOwed(q, mark *apd.Decimal, rate ratio) ratio { return exact(mul(q, mark)).times(rate) }
