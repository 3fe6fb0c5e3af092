package reference

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/perpcheck/perpcheck/model"
	"github.com/shopspring/decimal"
)

// This file is SPEC LED: the ledger's state (LED-1, LED-2), its ledger
// accounts and postings (LED-3, LED-6), the conservation check (LED-4), and
// the atomic application of events (LED-7). The events themselves are in
// ledger_account.go (deposit, withdraw, margin and settings), ledger_trade.go
// (TRD), ledger_funding.go (price, FND) and ledger_liq.go (LQ, ADL).
//
// Every balance is an exact apd decimal on the 1e-8 grid; no balance is ever
// rounded except by the rounding operators SPEC names where it names them.
// Decimals are never modified in place (every helper of num.go returns a new
// one), so copying the maps of a Ledger copies its state (see clone).

// Ledger is the reference transcription of SPEC LED, TRD, FND, LQ and ADL: a
// multi-account state that events move deterministically (LED-8) and
// atomically (LED-7). Create it with NewLedger.
type Ledger struct {
	markets    map[string]*market        // validated markets (MKT, TIER)
	rates      map[string]*marketRates   // the ledger's MKT-5 switches per market
	srcMarkets map[string]model.Market   // the markets as given, for State
	prices     map[string]*ledgerPrice   // current prices per market
	accounts   map[string]*ledgerAccount // trader accounts and InsuranceAccount, by id
	fees       *apd.Decimal              // ledger account "fees" (State.FeePool)
	dust       *apd.Decimal              // ledger account "dust"
	settlement *apd.Decimal              // ledger account "settlement"
	funding    map[string]*apd.Decimal   // transient ledger accounts "funding:<market>"
	external   *apd.Decimal              // ledger account "external": minus (deposits - withdrawals)
	initialSum *apd.Decimal              // LED-4: the initial sum of all ledger accounts except external

	applied int            // number of events passed to Apply so far (failed ones included)
	effects []model.Effect // the effects of the event being applied
}

// marketRates are the MKT-5 switches the ledger uses and Evaluate does not.
type marketRates struct {
	maker, taker *apd.Decimal // makerFeeRate, takerFeeRate (TRD-4), 0 when absent
	fundingCap   *apd.Decimal // fundingRateCap (FND-1), nil when absent (no cap)
}

// ledgerPrice is a market's price entry as given (the input of MARK-1..4)
// and the mark it yields.
type ledgerPrice struct {
	src  model.Price
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
	mode     model.MarginMode
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
	l.effects = append(l.effects, model.Effect{
		Type: model.EffectPosting, From: from.name(), To: to.name(),
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
func (l *Ledger) modeOf(a *ledgerAccount, m string) model.MarginMode {
	if s, ok := a.settings[m]; ok && s.mode != "" {
		return s.mode
	}
	return model.Cross
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
	side := model.Long
	if p.s < 0 {
		side = model.Short
	}
	pos := &position{
		mkt: l.markets[m], side: side, s: p.s, q: p.q, qep: p.v,
		mp: l.prices[m].mark, mode: l.modeOf(a, m), leverage: l.leverageOf(a, m),
	}
	if pos.mode == model.Isolated {
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
	for _, m := range sortedKeys(a.positions) {
		if l.modeOf(a, m) != model.Cross {
			continue
		}
		p := l.view(a, m)
		markets = append(markets, m)
		ps = append(ps, p)
		qs = append(qs, positionQuantities(p))
	}
	return crossPool(a.wallet, ps, qs), markets, qs
}

// isolatedPoolOf is POOL-2 for a's isolated position in market m:
// E = isolatedMargin + U, IM = IM_i, MM = MM_i.
func (l *Ledger) isolatedPoolOf(a *ledgerAccount, m string) (pool, quantities) {
	p := l.view(a, m)
	q := positionQuantities(p)
	return isolatedPool(0, p, q), q
}

// poolOf returns the pool (POOL-1/2) that holds a's position in market m.
func (l *Ledger) poolOf(a *ledgerAccount, m string) pool {
	if l.modeOf(a, m) == model.Isolated {
		pl, _ := l.isolatedPoolOf(a, m)
		return pl
	}
	pl, _, _ := l.crossPoolOf(a)
	return pl
}

// ---------------------------------------------------------------------------
// NewLedger: LED-1, LED-2, LED-4 and the scenario rules for every account.

// NewLedger validates st and returns a ledger holding a deep copy of it.
//
// Validation order (the first violation is returned, like EVAL-2):
//  1. markets and prices: EVAL-2 steps 1 and 2;
//  2. each trader account in ascending byte order of id (paths
//     accounts.<id>...): the id (LED-1: non-empty, not starting with '@');
//     then EVAL-2 step 3 (walletBalance, ACC-1; each position: POS-1,
//     PRICE-2, POS-2, POS-3, POS-6, POS-4, POS-5); then its settings in
//     ascending market order (POS-1, leverage NUM and POS-4, marginMode
//     POS-3); then each position in order: LED-1 (tickSize*lotSize on the
//     1e-8 grid, at .market; V = size*entryPrice on the 1e-8 grid, at
//     .entryPrice), LED-2 (marginMode, then leverage, equal to the settings);
//  3. the insurance fund (paths insuranceFund...): the same, except that its
//     walletBalance may be any value of range (NUM only) and its positions
//     and settings must be cross (LED-2);
//  4. feePool and dust (NUM, LED-1: >= 0); settlement (NUM, LED-4:
//     settlement + sum s*V = 0 when given); then per market in ascending
//     byte order, long open interest = short open interest (LED-4, at
//     markets.<name>);
//  5. NUM-2 on the values State reports (checkStateRange), e.g. an
//     entryValue = size * entryPrice or a derived settlement above MAX.
//
// Steps 4 and 5 of EVAL-2 (the scenario report's values) do not apply. A nil
// st is an error (LED-1). An internal inconsistency is
// returned as a plain error, never a panic.
func NewLedger(st *model.State) (l *Ledger, err error) {
	defer func() {
		if r := recover(); r != nil {
			l, err = nil, recovered(r)
		}
	}()
	if st == nil {
		return nil, &model.Error{Path: "", Rule: "LED-1", Msg: "nil state"}
	}
	// 1. Markets and prices (EVAL-2 steps 1, 2).
	in, verr := validate(&model.Scenario{Markets: st.Markets, Prices: st.Prices})
	if verr != nil {
		return nil, verr
	}
	l = &Ledger{
		markets:    in.markets,
		rates:      map[string]*marketRates{},
		srcMarkets: map[string]model.Market{},
		prices:     map[string]*ledgerPrice{},
		accounts:   map[string]*ledgerAccount{},
		funding:    map[string]*apd.Decimal{},
		external:   dec(0),
	}
	for name, m := range st.Markets {
		l.srcMarkets[name] = copyMarket(m)
		l.rates[name] = ratesOf(m)
	}
	for name, p := range in.prices {
		l.prices[name] = &ledgerPrice{src: st.Prices[name], mark: p.mark}
	}
	// 2. Trader accounts.
	for _, id := range sortedKeys(st.Accounts) {
		prefix := "accounts." + id
		if id == "" || strings.HasPrefix(id, "@") {
			return nil, fail(prefix, "LED-1", "account id %q must be non-empty and must not start with '@'", id)
		}
		a, verr := l.validateLedgerAccount(prefix+".", id, st.Accounts[id], in, false)
		if verr != nil {
			return nil, verr
		}
		l.accounts[id] = a
	}
	// 3. The insurance fund.
	fund, verr := l.validateLedgerAccount("insuranceFund.", model.InsuranceAccount, st.InsuranceFund, in, true)
	if verr != nil {
		return nil, verr
	}
	l.accounts[model.InsuranceAccount] = fund
	// 4. System accounts and LED-4.
	if l.fees, verr = num(st.FeePool, "feePool"); verr != nil {
		return nil, verr
	}
	if l.fees.Sign() < 0 {
		return nil, fail("feePool", "LED-1", "feePool must be >= 0, got %s", str(l.fees))
	}
	if l.dust, verr = num(st.Dust, "dust"); verr != nil {
		return nil, verr
	}
	if l.dust.Sign() < 0 {
		return nil, fail("dust", "LED-1", "dust must be >= 0, got %s", str(l.dust))
	}
	derived := neg(l.signedEntryValues())
	given, verr := numNull(st.Settlement, "settlement")
	if verr != nil {
		return nil, verr
	}
	if given != nil && given.Cmp(derived) != 0 {
		return nil, fail("settlement", "LED-4", "settlement %s breaks settlement + sum s*V = 0 (want %s)", str(given), str(derived))
	}
	l.settlement = derived
	for _, m := range sortedKeys(l.markets) {
		long, short := l.openInterest(m)
		if long.Cmp(short) != 0 {
			return nil, fail("markets."+m, "LED-4", "long open interest %s differs from short open interest %s", str(long), str(short))
		}
	}
	if verr := l.checkStateRange(); verr != nil {
		return nil, verr
	}
	l.initialSum = l.sumOfAccounts()
	return l, nil
}

// ratesOf reads the MKT-5 switches of a market that validateMarket has
// already checked (TRD-4 fees, FND-1 cap).
func ratesOf(m model.Market) *marketRates {
	r := &marketRates{maker: dec(0), taker: dec(0)}
	if m.MakerFeeRate.Valid {
		r.maker, _ = fromInput(m.MakerFeeRate.Decimal)
	}
	if m.TakerFeeRate.Valid {
		r.taker, _ = fromInput(m.TakerFeeRate.Decimal)
	}
	if m.FundingRateCap.Valid {
		r.fundingCap, _ = fromInput(m.FundingRateCap.Decimal)
	}
	return r
}

// rewritePath moves an error of validateAccount (paths "account.…") to the
// ledger's path prefix ("accounts.<id>." or "insuranceFund.").
func rewritePath(e *model.Error, prefix string) *model.Error {
	return &model.Error{Path: prefix + strings.TrimPrefix(e.Path, "account."), Rule: e.Rule, Msg: e.Msg}
}

// validateLedgerAccount is step 2 (or 3, fund) of NewLedger for one account.
func (l *Ledger) validateLedgerAccount(prefix, id string, src model.Account, in *input, fund bool) (*ledgerAccount, *model.Error) {
	a := &ledgerAccount{
		id:        id,
		isolated:  map[string]*apd.Decimal{},
		positions: map[string]*ledgerPosition{},
		settings:  map[string]accountSetting{},
	}
	scen := src // a shallow copy; validateAccount does not modify it
	if fund {
		// LED-1: the fund's walletBalance may be any value of range.
		w, verr := num(src.WalletBalance, prefix+"walletBalance")
		if verr != nil {
			return nil, verr
		}
		a.wallet = w
		scen.WalletBalance = decimal.Zero
	}
	sub := &input{markets: in.markets, prices: in.prices}
	if verr := validateAccount(&scen, sub); verr != nil {
		return nil, rewritePath(verr, prefix)
	}
	if !fund {
		a.wallet = sub.wallet
	}
	// Settings, in ascending market order.
	for _, m := range sortedKeys(src.Settings) {
		p := prefix + "settings." + m
		s := src.Settings[m]
		mkt, ok := l.markets[m]
		if !ok {
			return nil, fail(p, "POS-1", "settings name market %q, which is not in markets", m)
		}
		lev, verr := numNull(s.Leverage, p+".leverage")
		if verr != nil {
			return nil, verr
		}
		if lev != nil && (lev.Cmp(dec(1)) < 0 || lev.Cmp(mkt.maxLeverage1()) > 0) {
			return nil, fail(p+".leverage", "POS-4", "leverage must be in [1, %s], got %s", str(mkt.maxLeverage1()), str(lev))
		}
		if verr := checkMode(p+".marginMode", s.MarginMode, mkt, fund, true); verr != nil {
			return nil, verr
		}
		a.settings[m] = accountSetting{leverage: lev, mode: s.MarginMode}
	}
	// LED-1 and LED-2 for each position, in order.
	for i, pos := range sub.positions {
		p := fmt.Sprintf("%spositions[%d]", prefix, i)
		m := pos.mkt.name
		if verr := checkFillGrid(p+".market", pos.mkt); verr != nil {
			return nil, verr
		}
		if !onGrid(pos.qep) {
			return nil, fail(p+".entryPrice", "LED-1", "entry value size * entryPrice = %s is not a multiple of 1e-8; give entryValue", str(pos.qep))
		}
		if want := l.modeOf(a, m); pos.mode != want {
			return nil, fail(p+".marginMode", "LED-2", "marginMode %q differs from the account's setting %q for %s", string(pos.mode), string(want), m)
		}
		if want := l.leverageOf(a, m); pos.leverage.Cmp(want) != 0 {
			return nil, fail(p+".leverage", "LED-2", "leverage %s differs from the account's setting %s for %s", str(pos.leverage), str(want), m)
		}
		a.positions[m] = &ledgerPosition{s: pos.s, q: pos.q, v: pos.qep}
		if pos.mode == model.Isolated {
			a.isolated[m] = pos.margin
		}
	}
	return a, nil
}

// checkMode is POS-3 (and LED-2 for the fund) for a chosen margin mode;
// empty is allowed (absent) when allowEmpty.
func checkMode(path string, mode model.MarginMode, mkt *market, fund, allowEmpty bool) *model.Error {
	if mode == "" && allowEmpty {
		return nil
	}
	if mode != model.Cross && mode != model.Isolated {
		return fail(path, "POS-3", "marginMode must be \"cross\" or \"isolated\", got %q", string(mode))
	}
	if !mkt.modes[mode] {
		return fail(path, "POS-3", "market %s does not offer margin mode %q", mkt.name, string(mode))
	}
	if fund && mode != model.Cross {
		return fail(path, "LED-2", "the insurance fund's positions are cross")
	}
	return nil
}

// checkFillGrid is LED-1's condition on a market used by a trade or a state
// position: tickSize * lotSize is a multiple of 1e-8, so that every
// size * price of a fill is.
func checkFillGrid(path string, mkt *market) *model.Error {
	if !onGrid(mul(mkt.tick, mkt.lot)) {
		return fail(path, "LED-1", "market %s: tickSize * lotSize = %s is not a multiple of 1e-8", mkt.name, str(mul(mkt.tick, mkt.lot)))
	}
	return nil
}

// onGrid reports whether x is a multiple of u = 1e-8 (NUM-1).
func onGrid(x *apd.Decimal) bool { return isMultiple(x, unit) }

// copyMarket deep-copies a market definition.
func copyMarket(m model.Market) model.Market {
	m.Tiers = append([]model.Tier(nil), m.Tiers...)
	m.MarginModes = append([]model.MarginMode(nil), m.MarginModes...)
	return m
}

// recovered turns a recovered panic into the plain error of an internal
// inconsistency.
func recovered(r any) error {
	if b, ok := r.(bug); ok {
		return errors.New(b.String())
	}
	return fmt.Errorf("reference: internal error: %v", r)
}

// ---------------------------------------------------------------------------
// LED-4: conservation.

// signedEntryValues is sum over open positions (all accounts, the fund's
// included) of s * V.
func (l *Ledger) signedEntryValues() *apd.Decimal {
	sum := dec(0)
	for _, id := range sortedKeys(l.accounts) {
		a := l.accounts[id]
		for _, m := range sortedKeys(a.positions) {
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
	for _, id := range sortedKeys(l.accounts) {
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
	for _, id := range sortedKeys(l.accounts) {
		a := l.accounts[id]
		sum = add(sum, a.wallet)
		for _, m := range sortedKeys(a.isolated) {
			sum = add(sum, a.isolated[m])
		}
	}
	for _, m := range sortedKeys(l.funding) {
		sum = add(sum, l.funding[m])
	}
	return sum
}

// Check verifies LED-4 on the current state and returns the first violation
// as a *model.Error with rule LED-4:
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
	for _, m := range sortedKeys(l.markets) {
		long, short := l.openInterest(m)
		if long.Cmp(short) != 0 {
			return fail("markets."+m, "LED-4", "long open interest %s differs from short open interest %s", str(long), str(short))
		}
	}
	for _, id := range sortedKeys(l.accounts) {
		a := l.accounts[id]
		for _, m := range sortedKeys(a.isolated) {
			b := a.isolated[m]
			_, open := a.positions[m]
			isolated := open && l.modeOf(a, m) == model.Isolated
			if b.Sign() < 0 || (!isolated && b.Sign() != 0) {
				return fail(accountPath(id)+".positions", "LED-4", "isolated:%s:%s holds %s", id, m, str(b))
			}
		}
	}
	for _, m := range sortedKeys(l.funding) {
		if l.funding[m].Sign() != 0 {
			return fail("funding:"+m, "LED-4", "funding:%s holds %s after the event", m, str(l.funding[m]))
		}
	}
	return nil
}

// accountPath is the state path of account id.
func accountPath(id string) string {
	if id == model.InsuranceAccount {
		return "insuranceFund"
	}
	return "accounts." + id
}

// ---------------------------------------------------------------------------
// State: a deep copy of the ledger's state.

// State returns a deep copy of the current state. Every position carries
// EntryValue; EntryPrice is V / size when that is a multiple of 1e-8, else
// zero. A position's MarginMode and Leverage are its market's settings
// (LED-2; leverage always given, POS-4's default when the setting is
// absent); IsolatedMargin is given for isolated positions only. Positions
// are listed in ascending byte order of market (LED-8). Settings are the
// ones given or set by events; Settlement is always Valid. Decimals have
// exponent -8.
func (l *Ledger) State() *model.State {
	st := &model.State{
		Markets:    map[string]model.Market{},
		Prices:     map[string]model.Price{},
		Accounts:   map[string]model.Account{},
		FeePool:    toDecimal(l.fees),
		Dust:       toDecimal(l.dust),
		Settlement: nullable(l.settlement),
	}
	for name, m := range l.srcMarkets {
		st.Markets[name] = copyMarket(m)
	}
	for name, p := range l.prices {
		st.Prices[name] = p.src
	}
	for id, a := range l.accounts {
		acc := l.stateAccount(a)
		if id == model.InsuranceAccount {
			st.InsuranceFund = acc
		} else {
			st.Accounts[id] = acc
		}
	}
	return st
}

// stateAccount converts an account for State.
func (l *Ledger) stateAccount(a *ledgerAccount) model.Account {
	acc := model.Account{WalletBalance: toDecimal(a.wallet), Positions: []model.Position{}}
	for _, m := range sortedKeys(a.positions) {
		p := a.positions[m]
		pos := model.Position{
			Market:     m,
			Side:       model.Long,
			Size:       toDecimal(p.q),
			EntryValue: nullable(p.v),
			MarginMode: l.modeOf(a, m),
			Leverage:   nullable(l.leverageOf(a, m)),
		}
		if p.s < 0 {
			pos.Side = model.Short
		}
		if ep := quo(p.v, p.q); exactOnGrid(ep) {
			pos.EntryPrice = toDecimal(down(ep))
		}
		if pos.MarginMode == model.Isolated {
			pos.IsolatedMargin = nullable(l.balance(isolatedAcct(a.id, m)))
		}
		acc.Positions = append(acc.Positions, pos)
	}
	if len(a.settings) > 0 {
		acc.Settings = map[string]model.AccountSettings{}
		for m, s := range a.settings {
			acc.Settings[m] = model.AccountSettings{Leverage: nullable(s.leverage), MarginMode: s.mode}
		}
	}
	return acc
}

// exactOnGrid reports whether the exact ratio r is a multiple of 1e-8.
func exactOnGrid(r ratio) bool { return down(r).Cmp(up(r)) == 0 }

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
// applies completely or not at all (LED-7): on an error (a *model.Error with
// path events[<k>].<field>, and nil effects) the state is unchanged. The
// event is never modified. An internal inconsistency (a bug of this package)
// is returned as a plain error, never a panic, and changes nothing either.
func (l *Ledger) Apply(ev model.Event) (effects []model.Effect, err error) {
	k := l.applied
	l.applied++
	work := l.clone()
	defer func() {
		if r := recover(); r != nil {
			effects, err = nil, recovered(r)
		}
	}()
	if verr := work.apply(k, ev); verr != nil {
		return nil, verr
	}
	if verr := work.checkReportedRange(k); verr != nil {
		// LED-7: event errors have paths events[<k>].<field>; the value's
		// own report path is in the message.
		return nil, fail(evPath(k, rangeField[ev.Type]), verr.Rule, "%s: %s", verr.Path, verr.Msg)
	}
	// Commit: the work copy becomes the state.
	effects = work.effects
	if effects == nil {
		effects = []model.Effect{} // success: a non-nil (maybe empty) list
	}
	for i := range effects {
		effects[i].Event = k
	}
	work.effects = nil
	work.applied = l.applied
	*l = *work
	return effects, nil
}

// apply dispatches event ev (index k) by type, after the checks common to
// every event (LED-5: a known type, no field that does not belong to it).
func (l *Ledger) apply(k int, ev model.Event) *model.Error {
	if verr := checkEventFields(k, ev); verr != nil {
		return verr
	}
	switch ev.Type {
	case model.EventDeposit:
		return l.deposit(k, ev)
	case model.EventWithdraw:
		return l.withdraw(k, ev)
	case model.EventTrade:
		return l.trade(k, ev)
	case model.EventPrice:
		return l.priceEvent(k, ev)
	case model.EventFunding:
		return l.fundingEvent(k, ev)
	case model.EventAddMargin:
		return l.addMargin(k, ev)
	case model.EventRemoveMargin:
		return l.removeMargin(k, ev)
	case model.EventSetLeverage:
		return l.setLeverage(k, ev)
	case model.EventSetMarginMode:
		return l.setMarginMode(k, ev)
	}
	panic(bugf("unchecked event type %q", ev.Type))
}

// evPath is LED-7's error path events[<k>].<field>.
func evPath(k int, field string) string { return fmt.Sprintf("events[%d].%s", k, field) }

// eventFields lists, for each event type, the fields that belong to it
// (LED-5).
var eventFields = map[model.EventType][]string{
	model.EventDeposit:       {"account", "amount"},
	model.EventWithdraw:      {"account", "amount"},
	model.EventTrade:         {"market", "buyer", "seller", "size", "price", "maker"},
	model.EventPrice:         {"market", "mark", "index", "last", "fundingRate", "secondsToFunding", "basisAverage"},
	model.EventFunding:       {"market", "rate"},
	model.EventAddMargin:     {"account", "market", "amount"},
	model.EventRemoveMargin:  {"account", "market", "amount"},
	model.EventSetLeverage:   {"account", "market", "leverage"},
	model.EventSetMarginMode: {"account", "market", "marginMode"},
}

// checkEventFields is the common part of LED-5: the type is one of LED-5's
// (path .type), and no field that does not belong to the type is present,
// checked in the order of the Event struct's JSON fields.
func checkEventFields(k int, ev model.Event) *model.Error {
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
func positiveAmount(k int, field string, v decimal.NullDecimal) (*apd.Decimal, *model.Error) {
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
func (l *Ledger) eventAccount(k int, field, id, rule string) (*ledgerAccount, *model.Error) {
	a, ok := l.accounts[id]
	if !ok {
		return nil, fail(evPath(k, field), rule, "account %q does not exist", id)
	}
	return a, nil
}

// sortIDs returns the account ids, the insurance fund's included, in
// ascending byte order (LED-8).
func (l *Ledger) sortIDs() []string { return sortedKeys(l.accounts) }

// ---------------------------------------------------------------------------
// NUM-2 on the ledger's reported values.

// checkReportedRange is NUM-2 for the values an event reports: "a reported
// value outside [-MAX, MAX] is an error (rule NUM-2) at the report path of
// that value". SPEC names no report paths for the ledger; this package
// checks, in this order (Apply then reports the error at the event's
// rangeField, with this path in the message): each effect's amount, size, price (events[<k>].effects[<i>].
// <field>), then the state as State writes it: each trader account in id
// order (accounts.<id>.walletBalance, then per position in market order
// .positions[<j>].size, .entryValue, .entryPrice, .isolatedMargin), the
// insurance fund (insuranceFund.…), feePool, dust, settlement. Intermediate
// values are exact and unbounded (NUM-2).
func (l *Ledger) checkReportedRange(k int) *model.Error {
	for i, e := range l.effects {
		for _, f := range []struct {
			name string
			v    decimal.NullDecimal
		}{{"amount", e.Amount}, {"size", e.Size}, {"price", e.Price}} {
			if f.v.Valid && !inRange(mustFromDecimal(f.v.Decimal)) {
				return fail(fmt.Sprintf("events[%d].effects[%d].%s", k, i, f.name), "NUM-2",
					"reported value %s is outside [-MAX, MAX], MAX = 92233720368.54775807", f.v.Decimal.String())
			}
		}
	}
	return l.checkStateRange()
}

// checkStateRange is the state part of checkReportedRange (also run by
// NewLedger, whose derived values, e.g. entryValue = size * entryPrice, may
// leave the range).
func (l *Ledger) checkStateRange() *model.Error {
	ids := []string{}
	for _, id := range l.sortIDs() {
		if id != model.InsuranceAccount {
			ids = append(ids, id)
		}
	}
	ids = append(ids, model.InsuranceAccount)
	check := func(path string, v *apd.Decimal) *model.Error {
		if v != nil && !inRange(v) {
			return fail(path, "NUM-2", "reported value %s is outside [-MAX, MAX], MAX = 92233720368.54775807", str(v))
		}
		return nil
	}
	for _, id := range ids {
		a := l.accounts[id]
		prefix := accountPath(id)
		if verr := check(prefix+".walletBalance", a.wallet); verr != nil {
			return verr
		}
		for j, m := range sortedKeys(a.positions) {
			p := a.positions[m]
			pp := fmt.Sprintf("%s.positions[%d]", prefix, j)
			var ep, margin *apd.Decimal
			if r := quo(p.v, p.q); exactOnGrid(r) {
				ep = down(r)
			}
			if l.modeOf(a, m) == model.Isolated {
				margin = l.balance(isolatedAcct(id, m))
			}
			for _, f := range []struct {
				name string
				v    *apd.Decimal
			}{{"size", p.q}, {"entryValue", p.v}, {"entryPrice", ep}, {"isolatedMargin", margin}} {
				if verr := check(pp+"."+f.name, f.v); verr != nil {
					return verr
				}
			}
		}
	}
	for _, f := range []struct {
		name string
		v    *apd.Decimal
	}{{"feePool", l.fees}, {"dust", l.dust}, {"settlement", l.settlement}} {
		if verr := check(f.name, f.v); verr != nil {
			return verr
		}
	}
	return nil
}

// rangeField is the event field at which an event whose reported values
// leave the range (NUM-2) is reported, LED-7 requiring event error paths
// events[<k>].<field>: the amount, the trade's size, the price event's
// market, the funding rate, the leverage or the margin mode.
var rangeField = map[model.EventType]string{
	model.EventDeposit:       "amount",
	model.EventWithdraw:      "amount",
	model.EventAddMargin:     "amount",
	model.EventRemoveMargin:  "amount",
	model.EventTrade:         "size",
	model.EventPrice:         "market",
	model.EventFunding:       "rate",
	model.EventSetLeverage:   "leverage",
	model.EventSetMarginMode: "marginMode",
}

// mustFromDecimal converts a decimal the ledger itself produced (on the 1e-8
// grid by construction) back to apd, exactly, without a range limit.
func mustFromDecimal(d decimal.Decimal) *apd.Decimal {
	return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(d.Coefficient()), d.Exponent())
}
