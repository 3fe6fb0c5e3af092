package reference

import (
	"fmt"
	"maps"
	"slices"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is SPEC LED: the ledger's data (LED-1, LED-2), its ledger
// accounts and postings (LED-3, LED-6), the conservation check (LED-4), and
// the atomic application of events (LED-7). NewLedger and State are in
// ledger_state.go; the events themselves are in ledger_account.go (deposit, withdraw, margin and settings), ledger_trade.go
// (TRD), ledger_funding.go (price, FND) and ledger_liq.go (LQ, ADL).
//
// Every balance is an exact apd decimal on the 1e-8 grid; no balance is ever
// rounded except by the rounding operators SPEC names where it names them.
// Decimals are never modified in place (every helper of num.go returns a new
// one), so copying the maps of a Ledger copies its state (see clone).

// Ledger is the reference transcription of SPEC LED, TRD, FND, LQ and ADL: a
// multi-account state that events move deterministically (LED-8) and
// atomically (LED-7). Create it with NewLedger. A Ledger is not safe for
// concurrent use.
type Ledger struct {
	markets    map[string]*market         // validated markets (MKT, TIER)
	rates      map[string]*marketRates    // the ledger's MKT-5 switches per market
	variants   map[string]*ledgerVariants // the ledger's rule variants per market (VAR)
	srcMarkets map[string]spec.Market     // the markets as given, for State
	prices     map[string]*ledgerPrice    // current prices per market
	accounts   map[string]*ledgerAccount  // trader accounts and InsuranceAccount, by id
	fees       *apd.Decimal               // ledger account "fees" (State.FeePool)
	dust       *apd.Decimal               // ledger account "dust"
	settlement *apd.Decimal               // ledger account "settlement"
	funding    map[string]*apd.Decimal    // transient ledger accounts "funding:<market>"
	external   *apd.Decimal               // ledger account "external": minus (deposits - withdrawals)
	initialSum *apd.Decimal               // LED-4: the initial sum of all ledger accounts except external

	atEq bool // POOL-5:at-equality, the trigger of every market (VAR-1): the sweep's cross and isolated pools follow it

	applied int           // number of events passed to Apply so far (failed ones included)
	effects []spec.Effect // the effects of the event being applied

	aliased *spec.State // the caller's state, kept by mutLedgerAliasesInput only
	mut     mutant      // the injected bug of newLedgerWith (mutant.go); noMutation in NewLedger's ledgers
}

// marketRates are the MKT-5 switches the ledger uses and Evaluate does not.
type marketRates struct {
	maker, taker *apd.Decimal // makerFeeRate, takerFeeRate (TRD-4), 0 when absent
	fundingCap   *apd.Decimal // fundingRateCap (FND-1), nil when absent (no cap)
}

// ledgerPrice is a market's price entry as given (the input of MARK-1..4)
// and the mark it yields.
type ledgerPrice struct {
	src  spec.Price
	mark *apd.Decimal
}

// ledgerAccount is one account of LED-1: a trader's account or the insurance
// fund's.
type ledgerAccount struct {
	id        string
	wallet    *apd.Decimal               // ledger account "wallet:<id>"
	isolated  map[string]*apd.Decimal    // ledger accounts "isolated:<id>:<market>"
	positions map[string]*ledgerPosition // one-way positions by market (POS-6)
	settings  map[string]accountSetting  // LED-2
}

// accountSetting is LED-2's per-market choice; nil leverage and empty mode
// mean absent (then POS-4's default leverage, and cross).
type accountSetting struct {
	leverage *apd.Decimal
	mode     spec.MarginMode
}

// ledgerPosition is a position of the ledger: side, size and cost basis V
// (LED-1). Its margin mode and leverage are its market's settings (LED-2);
// an isolated position's margin is the account's isolated ledger account.
type ledgerPosition struct {
	s int          // +1 long, -1 short
	q *apd.Decimal // size Q > 0
	v *apd.Decimal // entry value V (cost basis), a multiple of 1e-8
}

// ---------------------------------------------------------------------------
// LED-3: ledger accounts and postings.

// acctKind is the kind of a ledger account (LED-3).
type acctKind int

const (
	kWallet acctKind = iota
	kIsolated
	kFees
	kDust
	kSettlement
	kFunding
	kExternal
)

// ledgerAcct names one ledger account of LED-3.
type ledgerAcct struct {
	kind   acctKind
	id     string // wallet, isolated
	market string // isolated, funding
}

func walletAcct(id string) ledgerAcct { return ledgerAcct{kind: kWallet, id: id} }
func isolatedAcct(id, m string) ledgerAcct {
	return ledgerAcct{kind: kIsolated, id: id, market: m}
}
func fundingAcct(m string) ledgerAcct { return ledgerAcct{kind: kFunding, market: m} }

var (
	feesAcct       = ledgerAcct{kind: kFees}
	dustAcct       = ledgerAcct{kind: kDust}
	settlementAcct = ledgerAcct{kind: kSettlement}
	externalAcct   = ledgerAcct{kind: kExternal}
)

// name is the ledger account's name as LED-3 writes it: wallet:<id>,
// isolated:<id>:<market>, fees, dust, settlement, funding:<market>, external.
func (a ledgerAcct) name() string {
	switch a.kind {
	case kWallet:
		return "wallet:" + a.id
	case kIsolated:
		return "isolated:" + a.id + ":" + a.market
	case kFees:
		return "fees"
	case kDust:
		return "dust"
	case kSettlement:
		return "settlement"
	case kFunding:
		return "funding:" + a.market
	case kExternal:
		return "external"
	}
	panic(bugf("unknown ledger account kind %d", a.kind))
}

// balance returns the balance of ledger account a (zero for an isolated or
// funding account that holds nothing).
func (l *Ledger) balance(a ledgerAcct) *apd.Decimal {
	switch a.kind {
	case kWallet:
		return l.account(a.id).wallet
	case kIsolated:
		if b, ok := l.account(a.id).isolated[a.market]; ok {
			return b
		}
		return dec(0)
	case kFees:
		return l.fees
	case kDust:
		return l.dust
	case kSettlement:
		return l.settlement
	case kFunding:
		if b, ok := l.funding[a.market]; ok {
			return b
		}
		return dec(0)
	case kExternal:
		return l.external
	}
	panic(bugf("unknown ledger account kind %d", a.kind))
}

// setBalance sets the balance of ledger account a.
func (l *Ledger) setBalance(a ledgerAcct, v *apd.Decimal) {
	switch a.kind {
	case kWallet:
		l.account(a.id).wallet = v
	case kIsolated:
		l.account(a.id).isolated[a.market] = v
	case kFees:
		l.fees = v
	case kDust:
		l.dust = v
	case kSettlement:
		l.settlement = v
	case kFunding:
		l.funding[a.market] = v
	case kExternal:
		l.external = v
	default:
		panic(bugf("unknown ledger account kind %d", a.kind))
	}
}

// account returns the account with id, which must exist.
func (l *Ledger) account(id string) *ledgerAccount {
	a, ok := l.accounts[id]
	if !ok {
		panic(bugf("no account %q", id))
	}
	return a
}

// post is LED-6's posting: it moves amount from ledger account from to
// ledger account to and records the effect {posting, from, to, amount,
// reason}. A zero amount is not posted (LED-6); a negative one is a bug (the
// callers turn a signed amount into a direction, see postSigned).
func (l *Ledger) post(from, to ledgerAcct, amount *apd.Decimal, reason string) {
	switch amount.Sign() {
	case 0:
		return
	case -1:
		panic(bugf("posting of a negative amount %s from %s to %s", str(amount), from.name(), to.name()))
	}
	l.setBalance(from, sub(l.balance(from), amount))
	l.setBalance(to, add(l.balance(to), amount))
	l.effects = append(l.effects, spec.Effect{
		Type: spec.EffectPosting, From: from.name(), To: to.name(),
		Amount: nullable(amount), Reason: reason,
	})
}

// postSigned posts amount from -> to when it is positive and |amount|
// to -> from when it is negative (nothing when zero).
func (l *Ledger) postSigned(from, to ledgerAcct, amount *apd.Decimal, reason string) {
	if amount.Sign() >= 0 {
		l.post(from, to, amount, reason)
	} else {
		l.post(to, from, neg(amount), reason)
	}
}

// The reasons of LED-6.
const (
	reasonDeposit        = "deposit"
	reasonWithdraw       = "withdraw"
	reasonFee            = "fee"
	reasonRealizedPnl    = "realized-pnl"
	reasonMargin         = "margin"
	reasonFunding        = "funding"
	reasonLiquidationFee = "liquidation-fee"
	reasonInsurance      = "insurance"
	reasonDust           = "dust"
)

// ---------------------------------------------------------------------------
// LED-2: settings, and the view of a ledger position as a scenario position.

// modeOf is LED-2: the margin mode account a chose for market m (absent:
// cross). The insurance fund's positions are always cross.
func (l *Ledger) modeOf(a *ledgerAccount, m string) spec.MarginMode {
	if s, ok := a.settings[m]; ok && s.mode != "" {
		return s.mode
	}
	return spec.Cross
}

// leverageOf is LED-2: the leverage account a chose for market m (absent:
// POS-4's default min(20, maxLeverage_1)).
func (l *Ledger) leverageOf(a *ledgerAccount, m string) *apd.Decimal {
	if s, ok := a.settings[m]; ok && s.leverage != nil {
		return s.leverage
	}
	return minDec(dec(20), l.markets[m].maxLeverage1())
}

// view returns a's position in market m as a scenario position of
// validate.go (Q*EP = V), at the current mark, so that QTY and POOL of
// quantity.go apply to it unchanged.
func (l *Ledger) view(a *ledgerAccount, m string) *position {
	p := a.positions[m]
	side := spec.Long
	if p.s < 0 {
		side = spec.Short
	}
	pos := &position{
		mkt: l.markets[m], side: side, s: p.s, q: p.q, qep: p.v,
		mp: l.prices[m].mark, mode: l.modeOf(a, m), leverage: l.leverageOf(a, m),
	}
	if pos.mode == spec.Isolated {
		pos.margin = l.balance(isolatedAcct(a.id, m))
	}
	return pos
}

// crossPoolOf is POOL-1 for account a: E = walletBalance + sum U_i, IM = sum
// IM_i, MM = sum MM_i over its cross positions (markets in ascending order,
// LED-8). It also returns the positions' markets and quantities (the pool's
// members index into them).
func (l *Ledger) crossPoolOf(a *ledgerAccount) (pool, []string, []quantities) {
	var markets []string
	var ps []*position
	var qs []quantities
	for _, m := range slices.Sorted(maps.Keys(a.positions)) {
		if l.modeOf(a, m) != spec.Cross {
			continue
		}
		p := l.view(a, m)
		markets = append(markets, m)
		ps = append(ps, p)
		qs = append(qs, positionQuantities(p))
	}
	pl := crossPool(a.wallet, ps, qs)
	pl.atEq = l.atEq // POOL-5's trigger of the scenario
	return pl, markets, qs
}

// isolatedPoolOf is POOL-2 for a's isolated position in market m:
// E = isolatedMargin + U, IM = IM_i, MM = MM_i.
func (l *Ledger) isolatedPoolOf(a *ledgerAccount, m string) (pool, quantities) {
	p := l.view(a, m)
	q := positionQuantities(p)
	pl := isolatedPool(0, p, q)
	pl.atEq = l.atEq // POOL-5's trigger of the scenario
	return pl, q
}

// poolOf returns the pool (POOL-1/2) that holds a's position in market m.
func (l *Ledger) poolOf(a *ledgerAccount, m string) pool {
	switch l.modeOf(a, m) {
	case spec.Isolated:
		pl, _ := l.isolatedPoolOf(a, m)
		return pl
	case spec.Portfolio:
		pl, _, _, _ := l.portfolioPoolOf(a) // PM-10
		return pl
	}
	pl, _, _ := l.crossPoolOf(a)
	return pl
}

// ---------------------------------------------------------------------------
// LED-4: conservation.

// signedEntryValues is sum over open positions (all accounts, the fund's
// included) of s * V.
func (l *Ledger) signedEntryValues() *apd.Decimal {
	sum := dec(0)
	for _, id := range slices.Sorted(maps.Keys(l.accounts)) {
		a := l.accounts[id]
		for _, m := range slices.Sorted(maps.Keys(a.positions)) {
			p := a.positions[m]
			sum = add(sum, mul(sgn(p.s), p.v))
		}
	}
	return sum
}

// openInterest returns the long and the short open interest (sizes) of
// market m over all accounts, the fund's included (LED-4).
func (l *Ledger) openInterest(m string) (long, short *apd.Decimal) {
	long, short = dec(0), dec(0)
	for _, id := range slices.Sorted(maps.Keys(l.accounts)) {
		if p, ok := l.accounts[id].positions[m]; ok {
			if p.s > 0 {
				long = add(long, p.q)
			} else {
				short = add(short, p.q)
			}
		}
	}
	return long, short
}

// sumOfAccounts is the sum of all ledger accounts except external (LED-4).
func (l *Ledger) sumOfAccounts() *apd.Decimal {
	sum := add(add(l.fees, l.dust), l.settlement)
	for _, id := range slices.Sorted(maps.Keys(l.accounts)) {
		a := l.accounts[id]
		sum = add(sum, a.wallet)
		for _, m := range slices.Sorted(maps.Keys(a.isolated)) {
			sum = add(sum, a.isolated[m])
		}
	}
	for _, m := range slices.Sorted(maps.Keys(l.funding)) {
		sum = add(sum, l.funding[m])
	}
	return sum
}

// Check verifies LED-4 on the current state and returns the first violation
// as a *spec.Error with rule LED-4:
//
//   - the sum of all ledger accounts except external equals the initial sum
//     plus deposits minus withdrawals (path "");
//   - settlement + sum over open positions of s * V = 0 exactly (path
//     "settlement");
//   - per market, in ascending byte order, long open interest = short open
//     interest (path markets.<name>);
//   - no isolated margin is negative, and an isolated ledger account without
//     an isolated position is zero (path accounts.<id>.positions);
//   - every funding:<market> account is zero (path funding:<market>).
func (l *Ledger) Check() error {
	if got, want := l.sumOfAccounts(), sub(l.initialSum, l.external); got.Cmp(want) != 0 {
		return fail("", "LED-4", "sum of ledger accounts %s differs from initial sum + deposits - withdrawals = %s", str(got), str(want))
	}
	if s := add(l.settlement, l.signedEntryValues()); s.Sign() != 0 {
		return fail("settlement", "LED-4", "settlement + sum s*V = %s, want 0", str(s))
	}
	for _, m := range slices.Sorted(maps.Keys(l.markets)) {
		long, short := l.openInterest(m)
		if long.Cmp(short) != 0 {
			return fail("markets."+spec.PathKey(m), "LED-4", "long open interest %s differs from short open interest %s", str(long), str(short))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(l.accounts)) {
		a := l.accounts[id]
		for _, m := range slices.Sorted(maps.Keys(a.isolated)) {
			b := a.isolated[m]
			_, open := a.positions[m]
			isolated := open && l.modeOf(a, m) == spec.Isolated
			if b.Sign() < 0 || (!isolated && b.Sign() != 0) {
				return fail(accountPath(id)+".positions", "LED-4", "isolated:%s:%s holds %s", id, m, str(b))
			}
		}
	}
	for _, m := range slices.Sorted(maps.Keys(l.funding)) {
		if l.funding[m].Sign() != 0 {
			return fail("funding:"+m, "LED-4", "funding:%s holds %s after the event", m, str(l.funding[m]))
		}
	}
	return nil
}

// accountPath is the state path of account id.
func accountPath(id string) string {
	if id == spec.InsuranceAccount {
		return "insuranceFund"
	}
	return "accounts." + spec.PathKey(id)
}

// ---------------------------------------------------------------------------
// LED-7: atomic application of events.

// clone returns a copy of l that shares no mutable data with it (decimals
// are never modified in place, so they are shared).
func (l *Ledger) clone() *Ledger {
	c := *l
	c.prices = map[string]*ledgerPrice{}
	for k, p := range l.prices {
		cp := *p
		c.prices[k] = &cp
	}
	c.accounts = map[string]*ledgerAccount{}
	for id, a := range l.accounts {
		ca := &ledgerAccount{
			id: a.id, wallet: a.wallet,
			isolated:  map[string]*apd.Decimal{},
			positions: map[string]*ledgerPosition{},
			settings:  map[string]accountSetting{},
		}
		for m, b := range a.isolated {
			ca.isolated[m] = b
		}
		for m, p := range a.positions {
			cp := *p
			ca.positions[m] = &cp
		}
		for m, s := range a.settings {
			ca.settings[m] = s
		}
		c.accounts[id] = ca
	}
	c.funding = map[string]*apd.Decimal{}
	for m, b := range l.funding {
		c.funding[m] = b
	}
	c.effects = nil
	return &c
}

// Apply applies one event (LED-5) and returns its effects (LED-6), each
// with Event = the number of events passed to Apply before this one (failed
// ones included); on success the list is non-nil, possibly empty. The event
// applies completely or not at all (LED-7): on an error (a *spec.Error with
// path events[<k>].<field>, and nil effects) the state is unchanged. The
// event is never modified. An internal inconsistency (a bug of this package)
// is returned as a plain error, never a panic, and changes nothing either.
func (l *Ledger) Apply(ev spec.Event) (effects []spec.Effect, err error) {
	k := l.applied
	l.applied++
	work := l.clone()
	defer func() {
		if r := recover(); r != nil {
			effects, err = nil, recovered(r)
		}
	}()
	if verr := work.apply(k, ev); verr != nil {
		l.halfApply(ev, verr)
		return nil, verr
	}
	if verr := work.checkReportedRange(k); verr != nil {
		// LED-7: event errors have paths events[<k>].<field>; the value's
		// own report path is in the message.
		return nil, fail(evPath(k, rangeField[ev.Type]), verr.Rule, "%s: %s", verr.Path, verr.Msg)
	}
	// LED-1: no position may be left with size > 0 and V = 0 (a long taken
	// over at execution price 0, LQ-2; a long reduced from a basis of a
	// few units, TRD-2): the event fails with POS-2 at the NUM-2 path.
	for _, id := range work.sortIDs() {
		for _, m := range slices.Sorted(maps.Keys(work.accounts[id].positions)) {
			if p := work.accounts[id].positions[m]; l.zeroBasisRejected(p.q, p.v) {
				return nil, fail(evPath(k, rangeField[ev.Type]), "POS-2", "%s's position in %s would have size %s and entryValue 0 (LED-1: V > 0)", id, m, str(p.q))
			}
		}
	}
	// Commit: the work copy becomes the state.
	effects = work.effects
	if effects == nil {
		effects = []spec.Effect{} // success: a non-nil (maybe empty) list
	}
	for i := range effects {
		effects[i].Event = k
	}
	work.effects = nil
	work.applied = l.applied
	*l = *work
	l.aliasInput(ev)
	return effects, nil
}

// apply dispatches event ev (index k) by type, after the checks common to
// every event (LED-5: a known type, no field that does not belong to it).
func (l *Ledger) apply(k int, ev spec.Event) *spec.Error {
	if verr := checkEventFields(k, ev); verr != nil {
		return verr
	}
	switch ev.Type {
	case spec.EventDeposit:
		return l.deposit(k, ev)
	case spec.EventWithdraw:
		return l.withdraw(k, ev)
	case spec.EventTrade:
		return l.trade(k, ev)
	case spec.EventPrice:
		return l.priceEvent(k, ev)
	case spec.EventFunding:
		return l.fundingEvent(k, ev)
	case spec.EventAddMargin:
		return l.addMargin(k, ev)
	case spec.EventRemoveMargin:
		return l.removeMargin(k, ev)
	case spec.EventSetLeverage:
		return l.setLeverage(k, ev)
	case spec.EventSetMarginMode:
		return l.setMarginMode(k, ev)
	}
	panic(bugf("unchecked event type %q", ev.Type))
}

// evPath is LED-7's error path events[<k>].<field>.
func evPath(k int, field string) string { return fmt.Sprintf("events[%d].%s", k, field) }

// eventFields lists, for each event type, the fields that belong to it
// (LED-5).
var eventFields = map[spec.EventType][]string{
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

// checkEventFields is the common part of LED-5: the type is one of LED-5's
// (path .type), and no field that does not belong to the type is present,
// checked in the order of the Event struct's JSON fields.
func checkEventFields(k int, ev spec.Event) *spec.Error {
	allowed, ok := eventFields[ev.Type]
	if !ok {
		return fail(evPath(k, "type"), "LED-5", "unknown event type %q", string(ev.Type))
	}
	present := []struct {
		name string
		set  bool
	}{
		{"account", ev.Account != ""},
		{"market", ev.Market != ""},
		{"amount", ev.Amount.Valid},
		{"buyer", ev.Buyer != ""},
		{"seller", ev.Seller != ""},
		{"size", ev.Size.Valid},
		{"price", ev.Price.Valid},
		{"maker", ev.Maker != ""},
		{"mark", ev.Mark.Valid},
		{"index", ev.Index.Valid},
		{"last", ev.Last.Valid},
		{"fundingRate", ev.FundingRate.Valid},
		{"secondsToFunding", ev.SecondsToFunding.Valid},
		{"basisAverage", ev.BasisAverage.Valid},
		{"rate", ev.Rate.Valid},
		{"leverage", ev.Leverage.Valid},
		{"marginMode", ev.MarginMode != ""},
	}
	for _, f := range present {
		if f.set && !contains(allowed, f.name) {
			return fail(evPath(k, f.name), "LED-5", "field %s does not belong to a %s event", f.name, string(ev.Type))
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// positiveAmount reads a required decimal field of an event that LED-5
// requires > 0 (amounts, sizes, prices): NUM-1, NUM-2, then presence and
// > 0 (rule LED-5).
func positiveAmount(k int, field string, v decimal.NullDecimal) (*apd.Decimal, *spec.Error) {
	x, verr := numNull(v, evPath(k, field))
	if verr != nil {
		return nil, verr
	}
	if x == nil {
		return nil, fail(evPath(k, field), "LED-5", "%s is required", field)
	}
	if x.Sign() <= 0 {
		return nil, fail(evPath(k, field), "LED-5", "%s must be > 0, got %s", field, str(x))
	}
	return x, nil
}

// eventAccount looks up the account an event names (field "account",
// "buyer" or "seller"); an unknown or empty id is an error with rule rule.
func (l *Ledger) eventAccount(k int, field, id, rule string) (*ledgerAccount, *spec.Error) {
	a, ok := l.accounts[id]
	if !ok {
		return nil, fail(evPath(k, field), rule, "account %q does not exist", id)
	}
	return a, nil
}

// sortIDs returns the account ids, the insurance fund's included, in
// ascending byte order (LED-8).
func (l *Ledger) sortIDs() []string { return slices.Sorted(maps.Keys(l.accounts)) }
