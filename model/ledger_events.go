package model

import (
	"math/big"
	"math/bits"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// Event validation and the non-trading events (SPEC LED-5).
//
// Validation order of an event (the reference must agree):
//  1. type (LED-5 at events[k].type);
//  2. fields that do not belong to the type, in the order of the Event
//     struct (account, market, amount, buyer, seller, size, price, maker,
//     mark, index, last, fundingRate, secondsToFunding, basisAverage, rate,
//     leverage, marginMode): LED-5 at the first such field;
//  3. the type's fields in the order LED-5 lists them, each: NUM-1, NUM-2,
//     present, then its rules. An account that does not exist is LED-5
//     (TRD-1 for a trade's buyer and seller); a market that does not exist
//     is TRD-1 (trade), PRICE-1 (price) or POS-1 (the others); amounts,
//     sizes and prices must be present and > 0 (LED-5).
//  4. the event's own rules (limits, TRD-3, TRD-5), see each handler.

// ledgerFields lists the Event fields in struct order with their JSON names.
var ledgerFields = []string{"account", "market", "amount", "buyer", "seller", "size", "price", "maker",
	"mark", "index", "last", "fundingRate", "secondsToFunding", "basisAverage", "rate", "leverage", "marginMode"}

// fieldsSet returns a bit per ledgerFields entry: set when the event gives
// that field.
func fieldsSet(ev *spec.Event) uint32 {
	var m uint32
	for i, b := range [...]bool{ev.Account != "", ev.Market != "", ev.Amount.Valid, ev.Buyer != "", ev.Seller != "",
		ev.Size.Valid, ev.Price.Valid, ev.Maker != "", ev.Mark.Valid, ev.Index.Valid, ev.Last.Valid,
		ev.FundingRate.Valid, ev.SecondsToFunding.Valid, ev.BasisAverage.Valid, ev.Rate.Valid,
		ev.Leverage.Valid, ev.MarginMode != ""} {
		if b {
			m |= 1 << i
		}
	}
	return m
}

var allowedFields = map[spec.EventType][]string{
	spec.EventDeposit:       {"account", "amount"},
	spec.EventWithdraw:      {"account", "amount"},
	spec.EventTrade:         {"market", "buyer", "seller", "size", "price", "maker"},
	spec.EventPrice:         {"market", "mark", "index", "last", "fundingRate", "secondsToFunding", "basisAverage"},
	spec.EventFunding:       {"market", "rate"},
	spec.EventAddMargin:     {"account", "market", "amount"},
	spec.EventRemoveMargin:  {"account", "market", "amount"},
	spec.EventSetLeverage:   {"account", "market", "leverage"},
	spec.EventSetMarginMode: {"account", "market", "marginMode"},
}

// allowedMask is allowedFields as bit masks over ledgerFields (the
// validation of every event checks it).
var allowedMask = func() map[spec.EventType]uint32 {
	out := make(map[spec.EventType]uint32, len(allowedFields))
	for t, fs := range allowedFields {
		var m uint32
		for _, f := range fs {
			i := slices.Index(ledgerFields, f)
			if i < 0 {
				panic("model: ledger: unknown field " + f)
			}
			m |= 1 << i
		}
		out[t] = m
	}
	return out
}()

func (l *Ledger) apply(ev *spec.Event) {
	allowed, ok := allowedMask[ev.Type]
	if !ok {
		l.fail(l.evPath("type"), "LED-5", "unknown event type "+spec.Quote(string(ev.Type)))
	}
	// The first field (in struct order) that does not belong to the type.
	if extra := fieldsSet(ev) &^ allowed; extra != 0 {
		f := ledgerFields[bits.TrailingZeros32(extra)]
		l.fail(l.evPath(f), "LED-5", "field "+f+" does not belong to a "+string(ev.Type)+" event")
	}
	switch ev.Type {
	case spec.EventDeposit:
		a := l.evAccount(ev.Account)
		amt := l.evPositive(ev.Amount, "amount")
		l.move(l.ext(), l.wal(a), wide.FromInt64(amt), "deposit")
	case spec.EventWithdraw:
		l.withdraw(ev)
	case spec.EventTrade:
		l.trade(ev)
	case spec.EventPrice:
		l.priceEvent(ev)
	case spec.EventFunding:
		l.funding(ev)
	case spec.EventAddMargin, spec.EventRemoveMargin:
		l.margin(ev)
	case spec.EventSetLeverage:
		l.setLeverage(ev)
	case spec.EventSetMarginMode:
		l.setMarginMode(ev)
	}
}

// evAccount resolves an account id (a trader or the insurance fund).
func (l *Ledger) evAccount(id string) *lacct {
	a, ok := l.acc[id]
	if !ok {
		l.fail(l.evPath("account"), "LED-5", "no account "+spec.Quote(id))
	}
	return a
}

// evMarket resolves a market name; an unknown market breaks rule (POS-1 for
// funding, margin and settings events, PRICE-1 for a price event).
func (l *Ledger) evMarket(name, rule string) int {
	mi, ok := l.mindex[name]
	if !ok {
		l.fail(l.evPath("market"), rule, "no market "+spec.Quote(name))
	}
	return mi
}

// evNum converts a required decimal field (present: LED-5; NUM-1; NUM-2).
func (l *Ledger) evNum(d decimal.NullDecimal, field string) int64 {
	if !d.Valid {
		l.fail(l.evPath(field), "LED-5", field+" is required")
	}
	v, err := num(d.Decimal, "")
	if err != nil {
		err.Path = l.evPath(field) // built only on failure: no allocation otherwise
		panic(ledgerFail{err})
	}
	return v
}

// evPositive is evNum and > 0 (LED-5: amounts, sizes and prices are > 0).
func (l *Ledger) evPositive(d decimal.NullDecimal, field string) int64 {
	v := l.evNum(d, field)
	if v <= 0 {
		l.fail(l.evPath(field), "LED-5", field+" must be > 0, got "+fx(v))
	}
	return v
}

// bal is a ledger account (LED-3): its name and its balance.
type bal struct {
	name string
	p    *wide.Int // nil for external
}

func (l *Ledger) ext() bal { return bal{"external", nil} }

func (l *Ledger) wal(a *lacct) bal {
	l.touch(a)
	return bal{a.walName, &a.wallet}
}

func (l *Ledger) isoBal(a *lacct, idx int) bal {
	l.touch(a)
	return bal{a.pos[idx].isoName, &a.pos[idx].iso}
}

// pool returns the ledger account holding position idx's margin.
func (l *Ledger) pool(a *lacct, idx int) bal {
	if a.pos[idx].walletBacked() {
		return l.wal(a)
	}
	return l.isoBal(a, idx)
}

func (l *Ledger) settle() bal { return bal{"settlement", &l.settlement} }

// move posts amt from one ledger account to another (LED-6). A zero amount
// is not posted; a negative amount is posted in the other direction.
//
// An amount outside [-MAX, MAX] is carried and flags the event, which then
// fails with NUM-2 after its own rules (rangeCheck).
func (l *Ledger) move(from, to bal, amt wide.Int, reason string) {
	if amt.IsZero() {
		return
	}
	if amt.IsNeg() {
		from, to, amt = to, from, amt.Neg()
	}
	if !inRange(amt) {
		l.bad = true
	}
	if from.p != nil {
		*from.p = from.p.Sub(amt)
	} else { // a deposit
		l.netExt.Add(l.netExt, wbig(amt))
	}
	if to.p != nil {
		*to.p = to.p.Add(amt)
	} else { // a withdrawal
		l.netExt.Sub(l.netExt, wbig(amt))
	}
	l.effs = append(l.effs, LedgerEffect{Event: l.k, Type: spec.EffectPosting, From: from.name, To: to.name,
		Amount: Fixed(w64(amt)), Reason: reason}) // out of range: l.bad, the event fails
}

// withdraw: SPEC does not spell out the limit. Reading (the brief's, from
// POOL-6 applied to the cross pool): a trader may withdraw
// amount <= min(WB, WB + sum over cross positions of min(U_i, 0) - IM_cross),
// exactly; the insurance fund, never checked for margin (LED-2), amount <= WB.
// Otherwise rule POOL-6 at events[k].amount.
func (l *Ledger) withdraw(ev *spec.Event) {
	a := l.evAccount(ev.Account)
	amt := l.evPositive(ev.Amount, "amount")
	amtW := wide.FromInt64(amt)
	ok := amtW.Cmp(a.wallet) <= 0
	if !a.fund && a.hasPM() {
		l.withdrawPM(a, amt, ok)
		return
	}
	if ok && !a.fund {
		x16 := a.wallet.Sub(amtW).Mul(u8)
		for i := range a.pos {
			if ps := &a.pos[i]; ps.cross {
				if u := l.upnl16(ps); u.IsNeg() {
					x16 = x16.Add(u)
				}
			}
		}
		ok = l.geIM(x16, a, nil)
	}
	if ok {
		l.move(l.wal(a), l.ext(), amtW, "withdraw")
		return
	}
	// The message: the exact limit.
	limit := wrat(a.wallet)
	if !a.fund {
		x := wrat(a.wallet)
		for i := range a.pos {
			ps := &a.pos[i]
			if !ps.cross {
				continue
			}
			if u := l.upnl16(ps); u.IsNeg() {
				x.Add(x, units16(u))
			}
		}
		x.Sub(x, l.crossIM(a))
		if x.Cmp(limit) < 0 {
			limit = x
		}
	}
	if new(big.Rat).SetInt64(amt).Cmp(limit) <= 0 {
		panic("model: ledger: withdrawal limits disagree")
	}
	l.fail(l.evPath("amount"), "POOL-6", "withdrawal "+fx(amt)+" exceeds the withdrawable amount "+ratDown(maxRat0(limit)))
}

func maxRat0(x *big.Rat) *big.Rat {
	if x.Sign() < 0 {
		return new(big.Rat)
	}
	return x
}

// margin handles addMargin and removeMargin. The market must exist (POS-1)
// and the account hold an isolated position in it (POS-5 at
// events[k].market). addMargin: amount <= WB (else ACC-1: the wallet stays
// >= 0), and the cross pool still has E >= IM afterwards, i.e.
// amount <= E - IM exactly (else POOL-6, the cross pool's analogue of
// "what remains must cover the initial margin"). removeMargin:
// amount <= maxRemovableMargin (POOL-6), otherwise POOL-6.
func (l *Ledger) margin(ev *spec.Event) {
	a := l.evAccount(ev.Account)
	mi := l.evMarket(ev.Market, "POS-1")
	idx := a.find(mi)
	if idx < 0 || !a.pos[idx].isolated() {
		l.fail(l.evPath("market"), "POS-5", "account "+spec.Quote(a.id)+" has no isolated position in "+spec.Quote(ev.Market))
	}
	amt := l.evPositive(ev.Amount, "amount")
	ps := &a.pos[idx]
	if ev.Type == spec.EventAddMargin {
		if wide.FromInt64(amt).Cmp(a.wallet) > 0 {
			l.fail(l.evPath("amount"), "ACC-1", "margin "+fx(amt)+" exceeds the wallet "+wstr(a.wallet))
		}
		if a.hasPM() {
			// PM-16: the wallet backs the portfolio pool.
			if ok, x, im := l.pmGeIM(a, l.pmEquity16(a).Sub(wide.MulU64(uint64(amt), u8))); !ok {
				l.fail(l.evPath("amount"), "POOL-6", "margin "+fx(amt)+" would leave the portfolio pool below its initial margin (at most "+ratDown(maxRat0(x.Add(x, new(big.Rat).SetInt64(amt)).Sub(x, im)))+")")
			}
			l.move(l.wal(a), l.isoBal(a, idx), wide.FromInt64(amt), "margin")
			return
		}
		e16, _ := l.crossPool(a)
		if !l.geIM(e16.Sub(wide.MulU64(uint64(amt), u8)), a, nil) {
			x := units16(e16)
			x.Sub(x, l.crossIM(a))
			l.fail(l.evPath("amount"), "POOL-6", "margin "+fx(amt)+" would leave the cross pool below its initial margin (at most "+ratDown(maxRat0(x))+")")
		}
		l.move(l.wal(a), l.isoBal(a, idx), wide.FromInt64(amt), "margin")
		return
	}
	// POOL-6: amount <= min(M, M + min(U, 0) - IM).
	amtW := wide.FromInt64(amt)
	if amtW.Cmp(ps.iso) <= 0 {
		x16 := ps.iso.Sub(amtW).Mul(u8)
		if u := l.upnl16(ps); u.IsNeg() {
			x16 = x16.Add(u)
		}
		if l.geIM(x16, a, ps) {
			l.move(l.isoBal(a, idx), l.wal(a), amtW, "margin")
			return
		}
	}
	x := wrat(ps.iso)
	if u := l.upnl16(ps); u.IsNeg() {
		x.Add(x, units16(u))
	}
	x.Sub(x, l.im(a, ps))
	if m := wrat(ps.iso); m.Cmp(x) < 0 {
		x = m
	}
	l.fail(l.evPath("amount"), "POOL-6", "margin "+fx(amt)+" exceeds maxRemovableMargin "+ratDown(maxRat0(x)))
}

// setLeverage stores the leverage (POS-4: 1 <= leverage <= maxLeverage_1;
// absent breaks POS-4); no money moves, an open position's IM follows the
// new leverage. LED-9:checked (default): a trader with an open position in
// the market who lowers the leverage needs the pool holding it to satisfy
// E >= IM afterwards (else LED-9 at events[k].leverage); LED-9:unchecked:
// no check.
func (l *Ledger) setLeverage(ev *spec.Event) {
	a := l.evAccount(ev.Account)
	mi := l.evMarket(ev.Market, "POS-1")
	lev, ok, err := numOpt(ev.Leverage, l.evPath("leverage"))
	if err != nil {
		panic(ledgerFail{err})
	}
	mk := &l.markets[mi]
	if !ok || lev < one || lev > mk.maxLev1 {
		l.fail(l.evPath("leverage"), "POS-4", "leverage must be in [1, "+fx(mk.maxLev1)+"], got "+fx(lev))
	}
	old, _ := a.setting(l, mi)
	l.touchSettings(a)
	s := a.settings[mi]
	s.lev, s.hasLev = lev, true
	a.settings[mi] = s
	idx := a.find(mi)
	if l.lv[mi].levUnchecked || a.fund || idx < 0 || lev >= old {
		return
	}
	ps := &a.pos[idx]
	if ps.pm {
		return // PM-16: a portfolio position's IM does not depend on leverage
	}
	var e16 wide.Int
	var im *big.Rat
	var only *lpos
	what := "cross pool"
	if ps.cross {
		e16, _ = l.crossPool(a)
	} else {
		e16, _ = l.isoPool(ps)
		only = ps
		what = "isolated pool of " + spec.Quote(mk.name)
	}
	if l.geIM(e16, a, only) {
		return
	}
	if only != nil {
		im = l.im(a, ps)
	} else {
		im = l.crossIM(a)
	}
	e := units16(e16)
	if e.Cmp(im) >= 0 {
		panic("model: ledger: initial margin checks disagree")
	}
	l.fail(l.evPath("leverage"), "LED-9", "account "+spec.Quote(a.id)+": at leverage "+fx(lev)+" the "+what+" equity "+ratDown(e)+" is below its initial margin "+ratUp(im)+" (shortfall "+ratUp(new(big.Rat).Sub(im, e))+")")
}

// setMarginMode stores the margin mode: cross or isolated, offered by the
// market (POS-3; absent breaks POS-3);
// the insurance fund stays cross (LED-2); an open position keeps its mode
// (LED-2: a position's mode equals its setting, and SPEC defines no
// conversion), so a different mode with an open position is rejected (LED-2).
func (l *Ledger) setMarginMode(ev *spec.Event) {
	a := l.evAccount(ev.Account)
	mi := l.evMarket(ev.Market, "POS-1")
	mk := &l.markets[mi]
	mode := ev.MarginMode
	path := l.evPath("marginMode")
	switch mode {
	case spec.Cross:
		if !mk.cross {
			l.fail(path, "POS-3", "market "+spec.Quote(mk.name)+" does not offer margin mode \"cross\"")
		}
	case spec.Isolated:
		if !mk.isolated {
			l.fail(path, "POS-3", "market "+spec.Quote(mk.name)+" does not offer margin mode \"isolated\"")
		}
		if a.fund {
			l.fail(path, "LED-2", "the insurance fund's positions are cross")
		}
	case spec.Portfolio:
		// PM-14: offered (POS-3), with parameters (PM-2), not the fund's (LED-2).
		if !mk.portfolio {
			l.fail(path, "POS-3", "market "+spec.Quote(mk.name)+" does not offer margin mode \"portfolio\"")
		}
		if l.pmk[mi].params == nil {
			l.fail(path, "PM-2", "market "+spec.Quote(mk.name)+" has no portfolioMargin parameters")
		}
		if a.fund {
			l.fail(path, "LED-2", "the insurance fund's positions are cross")
		}
	default:
		l.fail(path, "POS-3", "marginMode must be \"cross\", \"isolated\" or \"portfolio\", got "+spec.Quote(string(mode)))
	}
	if idx := a.find(mi); idx >= 0 && a.pos[idx].posMode() != mode {
		l.fail(path, "LED-2", "account "+spec.Quote(a.id)+" has an open position in "+spec.Quote(mk.name)+"; its margin mode cannot change")
	}
	l.touchSettings(a)
	s := a.settings[mi]
	s.mode = mode
	a.settings[mi] = s
}

// priceEvent replaces the market's prices (the new Price is the event's
// fields, as given) and runs the liquidation sweep (LQ-1). The fields are
// checked like a scenario's prices (EVAL-2 step 2, MARK-1..4) at
// events[k].<field>.
func (l *Ledger) priceEvent(ev *spec.Event) {
	mi := l.evMarket(ev.Market, "PRICE-1")
	mk := &l.markets[mi]
	pr := spec.Price{Mark: ev.Mark, Index: ev.Index, Last: ev.Last, FundingRate: ev.FundingRate,
		SecondsToFunding: ev.SecondsToFunding, BasisAverage: ev.BasisAverage}
	opt := func(d decimal.NullDecimal, f string) (int64, bool) {
		v, ok, err := numOpt(d, "")
		if err != nil {
			err.Path = l.evPath(f) // built only on failure
			panic(ledgerFail{err})
		}
		return v, ok
	}
	mark, hasMark := opt(pr.Mark, "mark")
	index, hasIndex := opt(pr.Index, "index")
	last, hasLast := opt(pr.Last, "last")
	fr, _ := opt(pr.FundingRate, "fundingRate")
	secs, _ := opt(pr.SecondsToFunding, "secondsToFunding")
	basis, _ := opt(pr.BasisAverage, "basisAverage")
	if hasMark {
		if mark <= 0 {
			l.fail(l.evPath("mark"), "MARK-1", "mark must be > 0, got "+fx(mark))
		}
	} else {
		if !hasIndex || index <= 0 {
			l.fail(l.evPath("index"), "MARK-2", "without a mark, index is required and must be > 0")
		}
		if !hasLast || last <= 0 {
			l.fail(l.evPath("last"), "MARK-2", "without a mark, last is required and must be > 0")
		}
		if secs < 0 {
			l.fail(l.evPath("secondsToFunding"), "MARK-2", "secondsToFunding must be >= 0, got "+fx(secs))
		}
		m := computeMark(index, last, fr, secs, basis, mk.fundingHours, mk.band, mk.hasBand)
		if m.Sign() <= 0 {
			l.fail(l.evPath("mark"), "MARK-4", "computed mark "+decimal.NewFromBigInt(m, -8).String()+" must be > 0")
		}
		if !m.IsInt64() {
			l.fail(l.evPath("mark"), "NUM-2", "computed mark "+decimal.NewFromBigInt(m, -8).String()+" is outside [-92233720368.54775807, 92233720368.54775807]")
		}
		mark = m.Int64()
	}
	l.savePrice(mi)
	l.prices[mi], l.hasPx[mi], l.marks[mi] = normPrice(pr), true, mark
	l.sweep()
}

// tickDown and tickUp on a tick grid, in units (x >= 0).
func tickDownU(x, k int64) int64 { return x / k * k }

func (l *Ledger) tickUpU(x, k int64) int64 {
	v, ok := tickUp(uint64(x), uint64(k))
	if !ok {
		l.overflow()
	}
	return int64(v)
}

// valU is size*price in units (exact: LED-1 puts it on the 1e-8 grid).
func valU(q wide.Int, px int64) wide.Int {
	v, _ := q.Mul(uint64(px)).DivFloor(u8)
	return v
}

// feeOf is up(value * rate) in units, for a value in units and a rate.
func feeOf(val wide.Int, rate int64) wide.Int { return val.Mul(uint64(rate)).DivCeil(u8) }

// withdrawPM is the withdrawal of a trader with a portfolio position
// (PM-16): amount <= min(WB, WB + sum over portfolio positions of
// min(U_i, 0) - IM), IM the portfolio pool's (PM-10), exact; else POOL-6
// at events[k].amount. leWallet says amount <= WB.
func (l *Ledger) withdrawPM(a *lacct, amt int64, leWallet bool) {
	amtW := wide.FromInt64(amt)
	x16 := a.wallet.Sub(amtW).Mul(u8)
	for i := range a.pos {
		if ps := &a.pos[i]; ps.pm {
			if u := l.upnl16(ps); u.IsNeg() {
				x16 = x16.Add(u)
			}
		}
	}
	ok, x, im := l.pmGeIM(a, x16)
	if leWallet && ok {
		l.move(l.wal(a), l.ext(), amtW, "withdraw")
		return
	}
	// The exact limit, for the message: x + amount - IM, capped by WB.
	limit := x.Add(x, new(big.Rat).SetInt64(amt))
	limit.Sub(limit, im)
	if w := wrat(a.wallet); w.Cmp(limit) < 0 {
		limit = w
	}
	l.fail(l.evPath("amount"), "POOL-6", "withdrawal "+fx(amt)+" exceeds the withdrawable amount "+ratDown(maxRat0(limit))+" (portfolio pool)")
}
