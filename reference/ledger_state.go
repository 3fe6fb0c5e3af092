package reference

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is the ledger's state: its validation by NewLedger (LED-1,
// LED-2, LED-4 and the scenario rules for every account), its copy by State,
// and NUM-2 on the values it reports.

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
func NewLedger(st *spec.State) (l *Ledger, err error) {
	defer func() {
		if r := recover(); r != nil {
			l, err = nil, recovered(r)
		}
	}()
	if st == nil {
		return nil, &spec.Error{Path: "", Rule: "LED-1", Msg: "nil state"}
	}
	// 1. Markets and prices (EVAL-2 steps 1, 2).
	in, verr := validateLedger(&spec.Scenario{Markets: st.Markets, Prices: st.Prices})
	if verr != nil {
		return nil, verr
	}
	variants, verr := readVariants(st.Markets)
	if verr != nil {
		return nil, verr
	}
	l = &Ledger{
		variants:   variants,
		atEq:       in.atEq,
		markets:    in.markets,
		rates:      map[string]*marketRates{},
		srcMarkets: map[string]spec.Market{},
		prices:     map[string]*ledgerPrice{},
		accounts:   map[string]*ledgerAccount{},
		funding:    map[string]*apd.Decimal{},
		external:   dec(0),
	}
	for name, m := range st.Markets {
		l.srcMarkets[name] = m.Clone()
		l.rates[name] = ratesOf(m)
	}
	for name, p := range in.prices {
		l.prices[name] = &ledgerPrice{src: st.Prices[name], mark: p.mark}
	}
	// 2. Trader accounts.
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		prefix := "accounts." + spec.PathKey(id)
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
	fund, verr := l.validateLedgerAccount("insuranceFund.", spec.InsuranceAccount, st.InsuranceFund, in, true)
	if verr != nil {
		return nil, verr
	}
	l.accounts[spec.InsuranceAccount] = fund
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
	for _, m := range slices.Sorted(maps.Keys(l.markets)) {
		long, short := l.openInterest(m)
		if long.Cmp(short) != 0 {
			return nil, fail("markets."+spec.PathKey(m), "LED-4", "long open interest %s differs from short open interest %s", str(long), str(short))
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
func ratesOf(m spec.Market) *marketRates {
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
func rewritePath(e *spec.Error, prefix string) *spec.Error {
	return &spec.Error{Path: prefix + strings.TrimPrefix(e.Path, "account."), Rule: e.Rule, Msg: e.Msg}
}

// validateLedgerAccount is step 2 (or 3, fund) of NewLedger for one account.
func (l *Ledger) validateLedgerAccount(prefix, id string, src spec.Account, in *input, fund bool) (*ledgerAccount, *spec.Error) {
	a := &ledgerAccount{
		id:        id,
		isolated:  map[string]*apd.Decimal{},
		positions: map[string]*ledgerPosition{},
		settings:  map[string]accountSetting{},
	}
	scen := src // a shallow copy; validateAccount does not modify it
	// LED-1, ACC-2: the fund's walletBalance, and a trader's, may be any
	// value of range in a state (NUM only); the scenario rules see 0.
	w, verr := num(src.WalletBalance, prefix+"walletBalance")
	if verr != nil {
		return nil, verr
	}
	a.wallet = w
	if fund || w.Sign() < 0 {
		scen.WalletBalance = decimal.Zero
	}
	// ACC-2: an isolated margin may be negative in a state (FND-5); the
	// scenario rules see 0 in its place (restored below).
	negMargin := map[int]*apd.Decimal{}
	for i, pos := range src.Positions {
		if !pos.IsolatedMargin.Valid {
			continue
		}
		if m, verr := num(pos.IsolatedMargin.Decimal, ""); verr == nil && m.Sign() < 0 {
			if len(negMargin) == 0 {
				scen.Positions = append([]spec.Position(nil), src.Positions...)
			}
			negMargin[i] = m
			scen.Positions[i].IsolatedMargin = decimal.NewNullDecimal(decimal.Zero)
		}
	}
	sub := &input{markets: in.markets, prices: in.prices}
	if verr := validateAccount(&scen, sub); verr != nil {
		return nil, rewritePath(verr, prefix)
	}
	// Settings, in ascending market order.
	for _, m := range slices.Sorted(maps.Keys(src.Settings)) {
		p := prefix + "settings." + spec.PathKey(m)
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
			return nil, fail(p+".marginMode", "LED-2", "marginMode %q differs from the account's setting %q for %q", string(pos.mode), string(want), m)
		}
		if want := l.leverageOf(a, m); pos.leverage.Cmp(want) != 0 {
			return nil, fail(p+".leverage", "LED-2", "leverage %s differs from the account's setting %s for %s", str(pos.leverage), str(want), m)
		}
		a.positions[m] = &ledgerPosition{s: pos.s, q: pos.q, v: pos.qep}
		if pos.mode == spec.Isolated {
			a.isolated[m] = pos.margin
			if neg, ok := negMargin[i]; ok {
				a.isolated[m] = neg
			}
		}
	}
	return a, nil
}

// checkMode is POS-3 (and LED-2 for the fund) for a chosen margin mode;
// empty is allowed (absent) when allowEmpty.
func checkMode(path string, mode spec.MarginMode, mkt *market, fund, allowEmpty bool) *spec.Error {
	if mode == "" && allowEmpty {
		return nil
	}
	if mode != spec.Cross && mode != spec.Isolated && mode != spec.Portfolio {
		return fail(path, "POS-3", "marginMode must be \"cross\", \"isolated\" or \"portfolio\", got %q", string(mode))
	}
	if !mkt.modes[mode] {
		return fail(path, "POS-3", "market %q does not offer margin mode %q", mkt.name, string(mode))
	}
	if mode == spec.Portfolio && (mkt.pm == nil || mkt.pm.params == nil) {
		return fail(path, "PM-2", "market %q has no portfolioMargin parameters (PM-14)", mkt.name)
	}
	if fund && mode != spec.Cross {
		return fail(path, "LED-2", "the insurance fund's positions are cross")
	}
	return nil
}

// checkFillGrid is LED-1's condition on a market used by a trade or a state
// position: tickSize * lotSize is a multiple of 1e-8, so that every
// size * price of a fill is.
func checkFillGrid(path string, mkt *market) *spec.Error {
	if !onGrid(mul(mkt.tick, mkt.lot)) {
		return fail(path, "LED-1", "market %s: tickSize * lotSize = %s is not a multiple of 1e-8", mkt.name, str(mul(mkt.tick, mkt.lot)))
	}
	return nil
}

// onGrid reports whether x is a multiple of u = 1e-8 (NUM-1).
func onGrid(x *apd.Decimal) bool { return isMultiple(x, unit) }

// recovered turns a recovered panic into the plain error of an internal
// inconsistency.
func recovered(r any) error {
	if b, ok := r.(bug); ok {
		return errors.New(b.String())
	}
	return fmt.Errorf("reference: internal error: %v", r)
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
func (l *Ledger) State() *spec.State {
	st := &spec.State{
		Markets:    map[string]spec.Market{},
		Prices:     map[string]spec.Price{},
		Accounts:   map[string]spec.Account{},
		FeePool:    toDecimal(l.fees),
		Dust:       toDecimal(l.dust),
		Settlement: nullable(l.settlement),
	}
	for name, m := range l.srcMarkets {
		st.Markets[name] = m.Clone()
	}
	for name, p := range l.prices {
		st.Prices[name] = p.src
	}
	for id, a := range l.accounts {
		acc := l.stateAccount(a)
		if id == spec.InsuranceAccount {
			st.InsuranceFund = acc
		} else {
			st.Accounts[id] = acc
		}
	}
	return st
}

// stateAccount converts an account for State.
func (l *Ledger) stateAccount(a *ledgerAccount) spec.Account {
	acc := spec.Account{WalletBalance: toDecimal(a.wallet), Positions: []spec.Position{}}
	for _, m := range slices.Sorted(maps.Keys(a.positions)) {
		p := a.positions[m]
		pos := spec.Position{
			Market:     m,
			Side:       spec.Long,
			Size:       toDecimal(p.q),
			EntryValue: nullable(p.v),
			MarginMode: l.modeOf(a, m),
			Leverage:   nullable(l.leverageOf(a, m)),
		}
		if p.s < 0 {
			pos.Side = spec.Short
		}
		if ep := quo(p.v, p.q); exactOnGrid(ep) {
			pos.EntryPrice = toDecimal(down(ep))
		}
		if pos.MarginMode == spec.Isolated {
			pos.IsolatedMargin = nullable(l.balance(isolatedAcct(a.id, m)))
		}
		acc.Positions = append(acc.Positions, pos)
	}
	if len(a.settings) > 0 {
		acc.Settings = map[string]spec.AccountSettings{}
		for m, s := range a.settings {
			acc.Settings[m] = spec.AccountSettings{Leverage: nullable(s.leverage), MarginMode: s.mode}
		}
	}
	return acc
}

// exactOnGrid reports whether the exact ratio r is a multiple of 1e-8.
func exactOnGrid(r ratio) bool { return down(r).Cmp(up(r)) == 0 }

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
func (l *Ledger) checkReportedRange(k int) *spec.Error {
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
func (l *Ledger) checkStateRange() *spec.Error {
	ids := []string{}
	for _, id := range l.sortIDs() {
		if id != spec.InsuranceAccount {
			ids = append(ids, id)
		}
	}
	ids = append(ids, spec.InsuranceAccount)
	check := func(path string, v *apd.Decimal) *spec.Error {
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
		for j, m := range slices.Sorted(maps.Keys(a.positions)) {
			p := a.positions[m]
			pp := fmt.Sprintf("%s.positions[%d]", prefix, j)
			var ep, margin *apd.Decimal
			if r := quo(p.v, p.q); exactOnGrid(r) {
				ep = down(r)
			}
			if l.modeOf(a, m) == spec.Isolated {
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
var rangeField = map[spec.EventType]string{
	spec.EventDeposit:       "amount",
	spec.EventWithdraw:      "amount",
	spec.EventAddMargin:     "amount",
	spec.EventRemoveMargin:  "amount",
	spec.EventTrade:         "size",
	spec.EventPrice:         "market",
	spec.EventFunding:       "rate",
	spec.EventSetLeverage:   "leverage",
	spec.EventSetMarginMode: "marginMode",
}

// mustFromDecimal converts a decimal the ledger itself produced (on the 1e-8
// grid by construction) back to apd, exactly, without a range limit.
func mustFromDecimal(d decimal.Decimal) *apd.Decimal {
	return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(d.Coefficient()), d.Exponent())
}
