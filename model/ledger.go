package model

import (
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the ledger (SPEC LED, TRD, FND, LQ, ADL): construction and
// validation of a State, atomic application of events, the state snapshot and
// the LED-4 conservation check. The event handlers are in ledger_events.go,
// trades and position updates in ledger_trade.go, funding, the liquidation
// sweep and ADL in ledger_liq.go, the exact pool arithmetic in ledger_math.go.

// Ledger is the fixed-point ledger of SPEC LED, TRD, FND, LQ and ADL: a
// multi-account State that events move deterministically (LED-8) and
// atomically (LED-7). Create it with NewLedger; Apply events; read it with
// State. A Ledger is not safe for concurrent use.
//
// Readings of SPEC where it leaves a choice (the reference makes the same
// ones, reference/ledger_doc.go; see also the comments at each rule):
//
//   - NewLedger validates, in this order: markets and prices (EVAL-2 steps 1
//     and 2); then every trader account in ascending byte order of id (path
//     prefix "accounts.<id>"), then the insurance fund ("insuranceFund"):
//     the id (LED-1), the scenario rules of the account (EVAL-2 step 3; the
//     fund's walletBalance only NUM, it may be negative), the settings in
//     market order (market exists: POS-1; leverage: NUM, POS-4; marginMode:
//     POS-3; the fund's isolated: LED-2), then per position the ledger additions
//     (tickSize*lotSize on the 1e-8 grid: LED-1 at .market; entryValue on the
//     grid: LED-1 at .entryPrice; marginMode and leverage equal to the
//     settings: LED-2); then feePool, dust (NUM, >= 0: LED-1), settlement
//     (NUM, then LED-4), open interest per market in market order (LED-4 at
//     markets.<name>); last, NUM-2 on the values State would report:
//     per account (traders, then the fund) per position in market order
//     .positions[<j>].entryValue, .entryPrice, .isolatedMargin, then a
//     derived settlement.
//   - LED-2 is read literally: with no settings entry a position must be
//     cross at the default leverage; an isolated position needs a settings
//     entry saying so.
//   - Balances, sizes, entry values and posted amounts are exact 192-bit
//     integers inside an event (a transient value may leave [-MAX, MAX]);
//     after the event's own rules (TRD-3, TRD-5, ...), a value the event
//     reports (an effect's amount, size or price, or a value of the state
//     after it) outside [-MAX, MAX] rejects the event with rule NUM-2 at
//     events[<k>].<f>, f the amount, the trade's size, the price event's
//     market, the funding rate, the leverage or the margin mode
//     (rangeField). Not carried: a size of 2^64 units or more, and a
//     liquidation or ADL price above MAX (both fail at once with the same
//     NUM-2, which a sweep cannot pre-empt with another rule).
//   - Withdrawal (SPEC leaves it implicit): a trader may withdraw
//     amount <= min(WB, WB + sum over cross positions of min(U_i, 0) -
//     IM_cross) (POOL-6 read on the cross pool; else POOL-6 at .amount);
//     the insurance fund amount <= WB. Deposits and withdrawals accept the
//     fund's id.
//   - The ledger can produce states that a scenario forbids (a negative
//     cross wallet after a losing reduce or a fee, a negative isolated
//     margin after funding of a position in profit, an entry value 0 after
//     a liquidation at p = tickDown(mark) = 0): such a State does not
//     round-trip through NewLedger (ACC-1, POS-5, POS-2).
type Ledger struct {
	markets []market
	mindex  map[string]int
	raw     map[string]spec.Market // the markets as given, for State
	prices  []spec.Price           // current prices by market index (normalized)
	hasPx   []bool
	marks   []int64
	// lv holds each market's ledger variants (SPEC VAR, ledger_variants.go);
	// halfInitial the markets under TIER-3:half-initial.
	lv          []lvar
	halfInitial []int
	// den is TIER-3:half-initial's common denominator D of the state (1
	// without such a market) and u8d = 1e8*D: every tier's mmr and cum24
	// are scaled by D (halfinitial.go), so mm24 is D times MM at scale
	// 1e-24 and the trigger compares E16*u8d with it (ledger_math.go).
	den, u8d uint64
	// atEquality is POOL-5:at-equality, the trigger of every market of the
	// state (VAR-1): the sweep liquidates at E = MM != 0 (ledger_math.go).
	atEquality bool
	// pmk holds each market's MKT-6 and PM-1 data (pm.go): underlying,
	// expiry and portfolioMargin parameters (PM-14..18).
	pmk []pmMarket
	// accounts by id; ids is every account id in ascending byte order,
	// InsuranceAccount included.
	acc  map[string]*lacct
	ids  []string
	accs []*lacct // accs[i] = acc[ids[i]]: the hot loops iterate without map lookups
	fund *lacct

	// fees, dust and settlement, like every balance, are exact 192-bit
	// values: a balance may leave [-MAX, MAX] inside an event; only the
	// values an event reports must lie in it (NUM-2, checked at its end).
	fees, dust, settlement wide.Int

	// LED-4 bookkeeping: the initial sum of all ledger accounts and the net
	// of deposits minus withdrawals.
	initSum, netExt *big.Int

	// per-event state
	n       int // events passed to Apply so far
	k       int // index of the current event
	typ     spec.EventType
	bad     bool // a reported effect value is outside [-MAX, MAX]
	epoch   uint64
	effs    []LedgerEffect // the effects of the current event (ApplyAppend's dst)
	ebuf    []LedgerEffect // Apply's reused effect buffer
	touched []*lacct
	gsave   globalSave
	// netSave is gsave.netExt's storage, reused by every event;
	// fundNames[mi] is "funding:<market>" (FND-2's transient account).
	netSave   big.Int
	fundNames []string
	// fb is the balance of funding:<market> during a funding event (a
	// field, not a local: move's bal would move a local to the heap).
	fb wide.Int
	// Scratch of the liquidation (not reentrant): execution prices by
	// market index, and lossOrder's items and result.
	pxBuf    []int64
	lossBuf  []lossItem
	orderBuf []int
}

type globalSave struct {
	fees, dust, settlement wide.Int
	netExt                 *big.Int
	mi                     int // market whose price changed, or -1
	price                  spec.Price
	hasPx                  bool
	mark                   int64
}

// lacct is one account (a trader or the insurance fund).
type lacct struct {
	id       string
	walName  string // "wallet:<id>"
	fund     bool
	wallet   wide.Int
	pos      []lpos // sorted by market index (= ascending market name)
	settings map[int]lset

	snapAt   uint64
	sWallet  wide.Int
	sPos     []lpos
	sSetting map[int]lset
	sSetAt   uint64

	// NewLedger only: whether each position's default isolated margin
	// exceeds MAX (checked after LED-4).
	initIsoOver []bool
}

// lset is one settings entry as given (absent fields stay absent).
type lset struct {
	lev    int64
	hasLev bool
	mode   spec.MarginMode
}

// lpos is one open position. Leverage and margin mode come from the
// account's settings (LED-2); cross mirrors the mode.
type lpos struct {
	mkt   int
	sign  int64    // +1 long, -1 short
	q     wide.Int // size in units, > 0 (0 only transiently during a liquidation)
	v     wide.Int // entry value V in units
	iso   wide.Int // isolated margin in units
	cross bool
	// pm marks a portfolio position (PM-14): its pool is the account's
	// portfolio pool, backed by the wallet; cross and pm are never both set.
	pm bool
	// isoName is the ledger account of an isolated position's margin,
	// "isolated:<id>:<market>".
	isoName string
}

// ledgerFail is the panic value that aborts an event; Apply recovers it,
// rolls the event back and returns the Error.
type ledgerFail struct{ err *spec.Error }

func (l *Ledger) fail(path, rule, msg string) {
	panic(ledgerFail{&spec.Error{Path: path, Rule: rule, Msg: msg}})
}

func (l *Ledger) evPath(field string) string {
	p := "events[" + strconv.Itoa(l.k) + "]"
	if field != "" {
		p += "." + field
	}
	return p
}

// rangeField is the event field at which NUM-2 is reported for an event
// whose reported values (an effect's amount, size or price, or a value of
// the state after it) leave [-MAX, MAX] (LED-7 requires event error paths
// events[<k>].<field>; reading shared with the reference).
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

// overflow aborts the event: a value it reports would leave [-MAX, MAX].
func (l *Ledger) overflow() {
	l.fail(l.evPath(rangeField[l.typ]), "NUM-2", "a reported value would be outside [-92233720368.54775807, 92233720368.54775807]")
}

// inRange reports -MAX <= x <= MAX.
func inRange(x wide.Int) bool {
	v, ok := x.Int64()
	return ok && v != math.MinInt64
}

// w64 converts a balance that is in range (checked at the end of every
// event) to int64.
func w64(x wide.Int) int64 {
	v, _ := x.Int64()
	return v
}

// qu returns a size as uint64; a size of 2^64 units or more (far beyond
// MAX) is not carried even transiently: the event fails with NUM-2.
func (l *Ledger) qu(q wide.Int) uint64 {
	if q.W1|q.W2 != 0 {
		l.overflow()
	}
	return q.W0
}

// entryPrice returns V/size in units and whether it is on the 1e-8 grid.
func (l *Ledger) entryPrice(ps *lpos) (wide.Int, bool) {
	e, r := ps.v.Mul(u8).DivFloor(l.qu(ps.q))
	return e, r == 0
}

// rangeCheck is NUM-2 on what the event reports: its effects' amounts and
// sizes (flagged by move and fillPair), then the state values of every
// account it touched and of the system accounts. It runs after the event's
// own rules, so a TRD-3 or TRD-5 violation is reported first.
func (l *Ledger) rangeCheck() {
	if l.bad {
		l.overflow()
	}
	for _, a := range l.touched {
		if !inRange(a.wallet) {
			l.overflow()
		}
		for i := range a.pos {
			ps := &a.pos[i]
			if !inRange(ps.iso) || !inRange(ps.q) || !inRange(ps.v) {
				l.overflow()
			}
			if e, ok := l.entryPrice(ps); ok && !inRange(e) {
				l.overflow() // the entryPrice State would report
			}
		}
	}
	// LED-1: no position is left with size > 0 and cost basis V = 0 (a
	// long taken over at execution price 0, LQ-2; a long reduced from a
	// basis of a few units, TRD-2).
	for _, a := range l.touched {
		for i := range a.pos {
			if ps := &a.pos[i]; !ps.q.IsZero() && ps.v.IsZero() {
				l.fail(l.evPath(rangeField[l.typ]), "POS-2", a.id+"'s position in "+l.markets[ps.mkt].name+" would have size "+wstr(ps.q)+" and entryValue 0 (LED-1: V > 0)")
			}
		}
	}
	if !inRange(l.fees) || !inRange(l.dust) || !inRange(l.settlement) {
		l.overflow()
	}
}

// fit converts an exact value in units to int64, aborting on overflow.
func (l *Ledger) fit(x wide.Int) int64 {
	v, ok := x.Int64()
	if !ok || v == math.MinInt64 {
		l.overflow()
	}
	return v
}

// NewLedger validates st (SPEC LED-1, LED-2, LED-4 and the scenario rules for
// every account, in the order documented on Ledger) and takes a deep copy:
// st is never modified and shares no memory with the ledger.
func NewLedger(st *spec.State) (*Ledger, error) {
	if st == nil {
		return nil, &spec.Error{Path: "", Rule: "EVAL-1", Msg: "nil state"}
	}
	p := &Portfolio{}
	sc := &spec.Scenario{Markets: st.Markets, Prices: st.Prices}
	if err := p.loadMarkets(sc); err != nil {
		return nil, err
	}
	p.scaleHalfInitial() // TIER-3:half-initial: every rate and "24" value scaled by D
	if err := p.loadPrices(sc); err != nil {
		return nil, err
	}
	l := &Ledger{
		markets:    p.markets,
		den:        p.den,
		u8d:        p.u8d,
		atEquality: p.atEquality,
		mindex:     p.mindex,
		marks:      p.marks,
		raw:        copyMarkets(st.Markets),
		prices:     make([]spec.Price, len(p.markets)),
		hasPx:      make([]bool, len(p.markets)),
		acc:        map[string]*lacct{},
		netExt:     new(big.Int),
		gsave:      globalSave{mi: -1},
		pmk:        p.pm.mk,
	}
	if l.pmk == nil {
		l.pmk = make([]pmMarket, len(p.markets))
	}
	if err := l.loadVariants(); err != nil {
		return nil, err
	}
	l.fundNames = make([]string, len(p.markets))
	for mi := range p.markets {
		l.fundNames[mi] = "funding:" + p.markets[mi].name
	}
	for mi := range p.markets {
		if pr, ok := st.Prices[p.markets[mi].name]; ok {
			l.prices[mi] = normPrice(pr)
			l.hasPx[mi] = true
		}
	}
	// Trader accounts in ascending byte order of id, then the fund.
	tids := slices.Sorted(maps.Keys(st.Accounts))
	for _, id := range tids {
		pre := "accounts." + spec.PathKey(id)
		if id == "" || strings.HasPrefix(id, "@") {
			return nil, errf(pre, "LED-1", "account id "+spec.Quote(id)+" must be non-empty and must not start with '@'")
		}
		a, err := l.loadAcct(p, id, false, st.Accounts[id], pre)
		if err != nil {
			return nil, err
		}
		l.acc[id] = a
	}
	fund, err := l.loadAcct(p, spec.InsuranceAccount, true, st.InsuranceFund, "insuranceFund")
	if err != nil {
		return nil, err
	}
	l.acc[spec.InsuranceAccount], l.fund = fund, fund
	// Every iteration over accounts is in ascending byte order of id, the
	// fund's included (LED-8). (A new slice: tids, which is used below,
	// must keep its order.)
	l.ids = slices.Sorted(maps.Keys(l.acc))
	l.accs = make([]*lacct, len(l.ids))
	npos := 0
	for i, id := range l.ids {
		l.accs[i] = l.acc[id]
		npos += len(l.accs[i].pos) + 1
	}
	// Capacity for the rollback snapshots (touch) and the touched list, so
	// that the first events touching an account need not allocate.
	slab := make([]lpos, npos)
	for _, a := range l.accs {
		n := len(a.pos) + 1
		a.sPos, slab = slab[:0:n], slab[n:]
	}
	l.touched = make([]*lacct, 0, len(l.accs))
	l.pxBuf = make([]int64, len(l.markets))
	fees, err := num(st.FeePool, "feePool")
	if err != nil {
		return nil, err
	}
	if fees < 0 {
		return nil, errf("feePool", "LED-1", "feePool must be >= 0, got "+fx(fees))
	}
	dust, err := num(st.Dust, "dust")
	if err != nil {
		return nil, err
	}
	if dust < 0 {
		return nil, errf("dust", "LED-1", "dust must be >= 0, got "+fx(dust))
	}
	l.fees, l.dust = wide.FromInt64(fees), wide.FromInt64(dust)
	// LED-4: settlement = -sum s*V.
	sv := new(big.Int)
	for _, id := range l.ids {
		a := l.acc[id]
		for _, ps := range a.pos {
			v := wbig(ps.v)
			if ps.sign < 0 {
				v.Neg(v)
			}
			sv.Add(sv, v)
		}
	}
	want := new(big.Int).Neg(sv)
	if st.Settlement.Valid {
		s, err := num(st.Settlement.Decimal, "settlement")
		if err != nil {
			return nil, err
		}
		if want.Cmp(big.NewInt(s)) != 0 {
			return nil, errf("settlement", "LED-4", "settlement "+fx(s)+" must equal minus the signed sum of the entry values, "+decimal.NewFromBigInt(want, -8).String())
		}
		l.settlement = wide.FromInt64(s)
	}
	// LED-4: open interest per market.
	for mi := range l.markets {
		var lo, sh big.Int
		for _, id := range l.ids {
			for _, ps := range l.acc[id].pos {
				if ps.mkt != mi {
					continue
				}
				if ps.sign > 0 {
					lo.Add(&lo, wbig(ps.q))
				} else {
					sh.Add(&sh, wbig(ps.q))
				}
			}
		}
		if lo.Cmp(&sh) != 0 {
			name := l.markets[mi].name
			return nil, errf("markets."+spec.PathKey(name), "LED-4", "long open interest "+decimal.NewFromBigInt(&lo, -8).String()+" differs from short open interest "+decimal.NewFromBigInt(&sh, -8).String()+" in market "+spec.Quote(name))
		}
	}
	// NUM-2 on the values State reports: the accounts (traders in id order,
	// then the fund), then the derived settlement.
	for _, id := range tids {
		if err := l.acc[id].rangeInit("accounts." + spec.PathKey(id)); err != nil {
			return nil, err
		}
	}
	if err := fund.rangeInit("insuranceFund"); err != nil {
		return nil, err
	}
	if !st.Settlement.Valid {
		if !want.IsInt64() || want.Int64() < -int64(maxU) || want.Int64() > int64(maxU) {
			return nil, errf("settlement", "NUM-2", "derived settlement "+decimal.NewFromBigInt(want, -8).String()+" is outside [-92233720368.54775807, 92233720368.54775807]")
		}
		l.settlement = wide.FromInt64(want.Int64())
	}
	l.initSum = l.ledgerSum()
	return l, nil
}

// loadAcct validates one account (see the order on Ledger).
func (l *Ledger) loadAcct(p *Portfolio, id string, fund bool, acc spec.Account, pre string) (*lacct, *spec.Error) {
	a := &lacct{id: id, fund: fund, settings: map[int]lset{}, walName: "wallet:" + id}
	in := acc
	// A state's wallets (the fund's and, ACC-2, a trader's) may be any value
	// of range (LED-1): NUM only; the scenario rules see 0 in its place.
	w, err := num(acc.WalletBalance, pre+".walletBalance")
	if err != nil {
		return nil, err
	}
	if fund || w < 0 {
		in.WalletBalance = decimal.Zero
	}
	// ACC-2: an isolated margin may be negative in a state (FND-5); the
	// scenario rules see 0 in its place, restored below.
	negIso := map[int]int64{}
	for i, ps := range acc.Positions {
		if !ps.IsolatedMargin.Valid {
			continue
		}
		if v, err := num(ps.IsolatedMargin.Decimal, ""); err == nil && v < 0 {
			if len(negIso) == 0 {
				in.Positions = slices.Clone(acc.Positions)
			}
			negIso[i] = v
			in.Positions[i].IsolatedMargin = nullDec(0)
		}
	}
	if err := p.loadAccount(&spec.Scenario{Account: in}); err != nil {
		if strings.HasPrefix(err.Path, "account") {
			err.Path = pre + err.Path[len("account"):]
		}
		return nil, err
	}
	a.wallet = wide.FromInt64(w)
	// Settings, in market order.
	for _, m := range slices.Sorted(maps.Keys(acc.Settings)) {
		s := acc.Settings[m]
		sp := pre + ".settings." + spec.PathKey(m)
		mi, ok := l.mindex[m]
		if !ok {
			return nil, errf(sp, "POS-1", "settings for unknown market "+spec.Quote(m))
		}
		mk := &l.markets[mi]
		var ls lset
		lev, hasLev, err := numOpt(s.Leverage, sp+".leverage")
		if err != nil {
			return nil, err
		}
		if hasLev && (lev < one || lev > mk.maxLev1) {
			return nil, errf(sp+".leverage", "POS-4", "leverage must be in [1, "+fx(mk.maxLev1)+"], got "+fx(lev))
		}
		ls.lev, ls.hasLev = lev, hasLev
		switch s.MarginMode {
		case "":
		case spec.Cross:
			if !mk.cross {
				return nil, errf(sp+".marginMode", "POS-3", "market "+spec.Quote(m)+" does not offer margin mode \"cross\"")
			}
		case spec.Isolated:
			if !mk.isolated {
				return nil, errf(sp+".marginMode", "POS-3", "market "+spec.Quote(m)+" does not offer margin mode \"isolated\"")
			}
			if fund {
				return nil, errf(sp+".marginMode", "LED-2", "the insurance fund's positions are cross")
			}
		case spec.Portfolio:
			// PM-14: offered (POS-3), with parameters (PM-2), not the fund's (LED-2).
			if !mk.portfolio {
				return nil, errf(sp+".marginMode", "POS-3", "market "+spec.Quote(m)+" does not offer margin mode \"portfolio\"")
			}
			if l.pmk[mi].params == nil {
				return nil, errf(sp+".marginMode", "PM-2", "market "+spec.Quote(m)+" has no portfolioMargin parameters")
			}
			if fund {
				return nil, errf(sp+".marginMode", "LED-2", "the insurance fund's positions are cross")
			}
		default:
			return nil, errf(sp+".marginMode", "POS-3", "marginMode must be \"cross\", \"isolated\" or \"portfolio\", got "+spec.Quote(string(s.MarginMode)))
		}
		ls.mode = s.MarginMode
		a.settings[mi] = ls
	}
	// Positions: the ledger's additions.
	for i := range p.pos {
		ps := &p.pos[i]
		pp := pre + ".positions[" + strconv.Itoa(i) + "]"
		mk := &l.markets[ps.mkt]
		if !tickLotOK(mk) {
			return nil, errf(pp+".market", "LED-1", "tickSize "+fx(mk.tick)+" * lotSize "+fx(mk.lot)+" of market "+spec.Quote(mk.name)+" is not a multiple of 1e-8")
		}
		vq, r := ps.qe16.DivFloor(u8)
		if r != 0 {
			return nil, errf(pp+".entryPrice", "LED-1", "entry value size * entryPrice = "+fmt16(ps.qe16)+" is not a multiple of 1e-8")
		}
		lev, _ := a.setting(l, int(ps.mkt))
		if want := a.mode(l, int(ps.mkt)); want != ps.mode {
			return nil, errf(pp+".marginMode", "LED-2", "marginMode "+string(ps.mode)+" differs from the account's setting for "+spec.Quote(mk.name)+" ("+string(want)+")")
		}
		if lev != ps.lev {
			return nil, errf(pp+".leverage", "LED-2", "leverage "+fx(ps.lev)+" differs from the account's setting for "+spec.Quote(mk.name)+" ("+fx(lev)+")")
		}
		if v, ok := negIso[i]; ok && !ps.cross && !ps.portfolio {
			ps.iso = v
		}
		// V is checked by rangeInit, after LED-4.
		a.pos = append(a.pos, lpos{mkt: int(ps.mkt), sign: ps.sign, q: wide.FromU128(0, ps.q), v: vq, iso: wide.FromInt64(ps.iso), cross: ps.cross, pm: ps.portfolio,
			isoName: "isolated:" + id + ":" + mk.name})
		a.initIsoOver = append(a.initIsoOver, ps.isoOverflow)
	}
	// Positions in ascending market order (LED-8), with their exact V.
	idx := make([]int, len(a.pos))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return a.pos[idx[i]].mkt < a.pos[idx[j]].mkt })
	pos, ov := make([]lpos, len(idx)), make([]bool, len(idx))
	for k, i := range idx {
		pos[k], ov[k] = a.pos[i], a.initIsoOver[i]
	}
	a.pos, a.initIsoOver = pos, ov
	return a, nil
}

// rangeInit is NewLedger's last step: NUM-2 on the values State reports
// for account a, positions in market order: size, entryValue, entryPrice
// (when V/size is on the grid), isolatedMargin.
func (a *lacct) rangeInit(pre string) *spec.Error {
	for j := range a.pos {
		ps := &a.pos[j]
		pp := pre + ".positions[" + strconv.Itoa(j) + "]"
		msg := "reported value is outside [-92233720368.54775807, 92233720368.54775807]"
		if !inRange(ps.v) {
			return errf(pp+".entryValue", "NUM-2", msg)
		}
		if e, r := ps.v.Mul(u8).DivFloor(ps.q.W0); r == 0 && !inRange(e) {
			return errf(pp+".entryPrice", "NUM-2", msg)
		}
		if a.initIsoOver[j] {
			return errf(pp+".isolatedMargin", "NUM-2", msg)
		}
	}
	a.initIsoOver = nil
	return nil
}

// tickLotOK is LED-1: tickSize * lotSize is a multiple of 1e-8.
func tickLotOK(mk *market) bool {
	_, r := wide.MulU64(uint64(mk.tick), uint64(mk.lot)).DivFloor(u8)
	return r == 0
}

// setting returns the account's effective leverage and cross flag for a
// market (LED-2: absent means cross and POS-4's default leverage).
func (a *lacct) setting(l *Ledger, mi int) (lev int64, cross bool) {
	s := a.settings[mi]
	lev = s.lev
	if !s.hasLev {
		lev = min(l20, l.markets[mi].maxLev1)
	}
	return lev, s.mode == "" || s.mode == spec.Cross
}

func (a *lacct) find(mi int) int {
	for i := range a.pos {
		if a.pos[i].mkt == mi {
			return i
		}
	}
	return -1
}

// copyMarkets returns a deep copy of in (spec.Market.Clone), non-nil even
// when in is nil.
func copyMarkets(in map[string]spec.Market) map[string]spec.Market {
	out := make(map[string]spec.Market, len(in))
	for k, m := range in {
		out[k] = m.Clone()
	}
	return out
}

// normPrice returns pr with every decimal at exponent -8 (it is validated).
func normPrice(pr spec.Price) spec.Price {
	n := func(d decimal.NullDecimal) decimal.NullDecimal {
		if !d.Valid {
			return d
		}
		v, _ := fromDecimal(d.Decimal)
		return nullDec(Fixed(v))
	}
	return spec.Price{Mark: n(pr.Mark), Index: n(pr.Index), Last: n(pr.Last), FundingRate: n(pr.FundingRate),
		SecondsToFunding: n(pr.SecondsToFunding), BasisAverage: n(pr.BasisAverage)}
}

// ledgerSum is the sum of every ledger account except external (LED-4).
func (l *Ledger) ledgerSum() *big.Int {
	s := new(big.Int)
	for _, id := range l.ids {
		a := l.acc[id]
		s.Add(s, wbig(a.wallet))
		for _, ps := range a.pos {
			s.Add(s, wbig(ps.iso))
		}
	}
	s.Add(s, wbig(l.fees))
	s.Add(s, wbig(l.dust))
	s.Add(s, wbig(l.settlement))
	return s
}

// touch saves a's balances and positions before the first change in the
// current event, so that a failed event can be rolled back (LED-7).
func (l *Ledger) touch(a *lacct) {
	if a.snapAt == l.epoch {
		return
	}
	a.snapAt = l.epoch
	a.sWallet = a.wallet
	a.sPos = append(a.sPos[:0], a.pos...)
	l.touched = append(l.touched, a)
}

// touchSettings saves a's settings before a change in the current event.
func (l *Ledger) touchSettings(a *lacct) {
	l.touch(a)
	if a.sSetAt == l.epoch {
		return
	}
	a.sSetAt = l.epoch
	a.sSetting = make(map[int]lset, len(a.settings))
	for k, v := range a.settings {
		a.sSetting[k] = v
	}
}

func (l *Ledger) rollback() {
	for _, a := range l.touched {
		a.wallet = a.sWallet
		a.pos = append(a.pos[:0], a.sPos...)
		if a.sSetAt == l.epoch {
			a.settings = a.sSetting
		}
	}
	g := &l.gsave
	l.fees, l.dust, l.settlement = g.fees, g.dust, g.settlement
	l.netExt.Set(g.netExt)
	if g.mi >= 0 {
		l.prices[g.mi], l.hasPx[g.mi], l.marks[g.mi] = g.price, g.hasPx, g.mark
	}
}

// savePrice records market mi's price before a price event changes it.
func (l *Ledger) savePrice(mi int) {
	g := &l.gsave
	g.mi, g.price, g.hasPx, g.mark = mi, l.prices[mi], l.hasPx[mi], l.marks[mi]
}

// Apply applies one event atomically (SPEC LED-7): it returns all the
// event's effects (LED-6), or an *Error and leaves the ledger unchanged (an
// internal inconsistency, which would be a bug, is a plain error, also with
// the ledger unchanged).
// Effects carry Event = the number of events previously passed to Apply
// (0-based, failed ones included); error paths are "events[<k>].<field>"
// with that same k.
//
// Apply allocates the returned effects and their decimals; ApplyAppend is
// the same without allocating.
func (l *Ledger) Apply(ev spec.Event) (effects []spec.Effect, err error) {
	l.ebuf, err = l.ApplyAppend(l.ebuf[:0], &ev)
	if err != nil {
		return nil, err
	}
	out := make([]spec.Effect, len(l.ebuf))
	for i := range l.ebuf {
		out[i] = l.ebuf[i].Spec()
	}
	return out, nil
}

// ApplyAppend is Apply with the effects in fixed-point form: it applies
// *ev atomically (SPEC LED-7) and appends the event's effects to dst,
// returning the extended slice, or returns dst unchanged and the error
// (the ledger then unchanged). The effects are exactly those of Apply (its
// result is their Spec). ev is not modified or retained, and the ledger
// keeps no reference to dst. With a reused dst (dst[:0] of the previous
// result), a trade or a funding payment that liquidates nothing allocates
// nothing once the ledger has seen such an event (its internal buffers have
// grown).
func (l *Ledger) ApplyAppend(dst []LedgerEffect, ev *spec.Event) (effects []LedgerEffect, err error) {
	l.k = l.n
	l.typ = ev.Type
	l.bad = false
	l.n++
	l.epoch++
	l.effs = dst
	l.touched = l.touched[:0]
	l.netSave.Set(l.netExt)
	l.gsave = globalSave{fees: l.fees, dust: l.dust, settlement: l.settlement, netExt: &l.netSave, mi: -1}
	defer func() {
		l.effs = nil // no reference to the caller's buffer
		if r := recover(); r != nil {
			l.rollback()
			if f, ok := r.(ledgerFail); ok {
				effects, err = dst, f.err
				return
			}
			// An internal inconsistency (a bug): a plain error, never a panic.
			effects, err = dst, fmt.Errorf("model: ledger: internal error in event %d: %v", l.k, r)
		}
	}()
	l.apply(ev)
	l.rangeCheck()
	return l.effs, nil
}

// State returns a deep copy of the current state. Positions are listed in
// ascending market order and carry EntryValue (always), EntryPrice =
// EntryValue/Size when that is a multiple of 1e-8 (else zero, meaning
// absent), MarginMode, Leverage (the setting in force) and, for isolated
// positions, IsolatedMargin. Settings are as given or as last set by an
// event (absent fields stay absent). Settlement is set (Valid).
func (l *Ledger) State() *spec.State {
	st := &spec.State{
		Markets:    copyMarkets(l.raw),
		Prices:     map[string]spec.Price{},
		Accounts:   map[string]spec.Account{},
		FeePool:    dec(Fixed(w64(l.fees))),
		Dust:       dec(Fixed(w64(l.dust))),
		Settlement: nullDec(Fixed(w64(l.settlement))),
	}
	for mi := range l.markets {
		if l.hasPx[mi] {
			st.Prices[l.markets[mi].name] = l.prices[mi]
		}
	}
	for _, id := range l.ids {
		a := l.acc[id]
		acc := spec.Account{WalletBalance: dec(Fixed(w64(a.wallet))), Positions: []spec.Position{}}
		if len(a.settings) > 0 {
			acc.Settings = map[string]spec.AccountSettings{}
			for mi, s := range a.settings {
				as := spec.AccountSettings{MarginMode: s.mode}
				if s.hasLev {
					as.Leverage = nullDec(Fixed(s.lev))
				}
				acc.Settings[l.markets[mi].name] = as
			}
		}
		for _, ps := range a.pos {
			lev, _ := a.setting(l, ps.mkt)
			pos := spec.Position{
				Market:     l.markets[ps.mkt].name,
				Side:       spec.Long,
				Size:       dec(Fixed(w64(ps.q))),
				EntryValue: nullDec(Fixed(w64(ps.v))),
				MarginMode: spec.Cross,
				Leverage:   nullDec(Fixed(lev)),
			}
			if ps.sign < 0 {
				pos.Side = spec.Short
			}
			if e, r := ps.v.Mul(u8).DivFloor(ps.q.W0); r == 0 {
				if ev, ok := e.Int64(); ok && ev > 0 {
					pos.EntryPrice = dec(Fixed(ev))
				}
			}
			if ps.pm {
				pos.MarginMode = spec.Portfolio
			} else if !ps.cross {
				pos.MarginMode = spec.Isolated
				pos.IsolatedMargin = nullDec(Fixed(w64(ps.iso)))
			}
			acc.Positions = append(acc.Positions, pos)
		}
		if a.fund {
			st.InsuranceFund = acc
		} else {
			st.Accounts[id] = acc
		}
	}
	return st
}

// RunEvents applies r.Events in order on NewLedger(&r.State). A rejected
// event is recorded in results (one EventResult per event, Error nil when it
// applied) and the run continues. An invalid initial state (or an internal
// error) is returned as err, with nothing else.
func RunEvents(r *spec.Run) (final *spec.State, effects []spec.Effect, results []spec.EventResult, err error) {
	l, err := NewLedger(&r.State)
	if err != nil {
		return nil, nil, nil, err
	}
	effects = []spec.Effect{}
	results = make([]spec.EventResult, 0, len(r.Events))
	for i, ev := range r.Events {
		effs, e := l.Apply(ev)
		res := spec.EventResult{Event: i}
		if e != nil {
			me, ok := e.(*spec.Error)
			if !ok {
				return nil, nil, nil, e
			}
			res.Error = me
		}
		results = append(results, res)
		effects = append(effects, effs...)
	}
	return l.State(), effects, results, nil
}

// Check asserts the invariants of SPEC LED-4 on the current state and
// returns an *Error with Rule "LED-4" naming the first that fails: the sum of
// all ledger accounts (every wallet, the insurance fund, every isolated
// margin, fees, dust, settlement) equals the initial sum plus deposits minus
// withdrawals; settlement + sum of s*V over open positions is 0; long and
// short open interest are equal per market; feePool and dust are >= 0 and
// every position has a positive size (the transient funding:<market>
// accounts are not kept between events, so they are zero). Tests call it
// after every event.
func (l *Ledger) Check() error {
	want := new(big.Int).Add(l.initSum, l.netExt)
	if got := l.ledgerSum(); got.Cmp(want) != 0 {
		return &spec.Error{Rule: "LED-4", Msg: "sum of ledger accounts " + decimal.NewFromBigInt(got, -8).String() + " != initial sum plus deposits minus withdrawals " + decimal.NewFromBigInt(want, -8).String()}
	}
	sv := wbig(l.settlement)
	for _, id := range l.ids {
		for _, ps := range l.acc[id].pos {
			v := wbig(ps.v)
			if ps.sign < 0 {
				v.Neg(v)
			}
			sv.Add(sv, v)
			if ps.q.Sign() <= 0 {
				return &spec.Error{Path: "accounts." + spec.PathKey(id), Rule: "LED-4", Msg: "position with size <= 0"}
			}
		}
	}
	if sv.Sign() != 0 {
		return &spec.Error{Path: "settlement", Rule: "LED-4", Msg: "settlement + sum s*V = " + decimal.NewFromBigInt(sv, -8).String()}
	}
	for mi := range l.markets {
		var lo, sh wide.Int
		for _, id := range l.ids {
			for _, ps := range l.acc[id].pos {
				if ps.mkt == mi {
					if ps.sign > 0 {
						lo = lo.Add(ps.q)
					} else {
						sh = sh.Add(ps.q)
					}
				}
			}
		}
		if lo != sh {
			return &spec.Error{Path: "markets." + spec.PathKey(l.markets[mi].name), Rule: "LED-4", Msg: "open interest long " + wstr(lo) + " != short " + wstr(sh)}
		}
	}
	if l.fees.IsNeg() || l.dust.IsNeg() {
		return &spec.Error{Rule: "LED-4", Msg: "negative feePool or dust"}
	}
	return nil
}
