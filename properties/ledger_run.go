package properties

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// This file drives a ledger under test through generated events (rapid's
// T.Repeat) and checks, after every event, what SPEC LED, TRD, FND, LQ and
// ADL say an event must do, from the states and effects alone (checkStep);
// the differential variant also compares every step with the oracle ledger.

// ledgerRun is one ledger under test and the run so far.
type ledgerRun struct {
	e      *env
	input  *spec.State // the generated initial state, as given to NewLedger
	inCopy *spec.State // its Clone when generated (LED-7: never modified)
	l      LedgerSession
	o      LedgerSession // the oracle's ledger, or nil
	st     *spec.State
	events []spec.Event

	lastPrice *spec.Event // the last successful price event
	swept     bool        // the last successful event ran the sweep (price or funding)
	applied   int
	liqs      int
}

// mustMarshal is v's JSON, for messages only (never to copy or compare).
func mustMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", err.Error())
	}
	return string(b)
}

// diffText joins the differences of spec.Diff for a message.
func diffText(d []string) string {
	const max = 8
	if len(d) > max {
		d = append(d[:max:max], fmt.Sprintf("... and %d more", len(d)-max))
	}
	return strings.Join(d, "\n  ")
}

// newLedger calls the engine's NewLedger, turning a panic into a failure.
// The session it returns runs every call of the engine's session through
// env.call (the timeout); ctx is the counterexample so far.
func (e *env) newLedger(t *rapid.T, st *spec.State, ctx func() []labeledRun) (LedgerSession, error) {
	t.Helper()
	le := e.engine.(LedgerEngine) // the ledger properties run only on a LedgerEngine
	var (
		l        LedgerSession
		err      error
		panicked any
	)
	items := func() []Counterexample { return runItems(ctx()) }
	func() {
		defer func() { panicked = recover() }()
		e.call("NewLedger", items, func() { l, err = le.NewLedger(st) })
	}()
	if panicked != nil {
		e.failRuns(t, ctx(), "LED-1: NewLedger panicked: %v", panicked)
	}
	if err != nil {
		return nil, err
	}
	if isNil(l) {
		e.failRuns(t, ctx(), "LED-1: NewLedger returned no session and no error")
	}
	return timedSession{e, l, items}, nil
}

// timedSession is an engine's session whose calls go through env.call.
type timedSession struct {
	e   *env
	l   LedgerSession
	ctx func() []Counterexample
}

func (s timedSession) Apply(ev spec.Event) (eff []spec.Effect, err error) {
	s.e.call("Apply", s.ctx, func() { eff, err = s.l.Apply(ev) })
	return eff, err
}

func (s timedSession) State() (st *spec.State) {
	s.e.call("State", s.ctx, func() { st = s.l.State() })
	return st
}

// labeledRun is a run file of a counterexample.
type labeledRun struct {
	label  string
	state  *spec.State
	events []spec.Event
}

// runItems are run files as counterexamples.
func runItems(runs []labeledRun) []Counterexample {
	items := make([]Counterexample, len(runs))
	for i, r := range runs {
		run := spec.Run{State: *r.state, Events: r.events}
		if run.Events == nil {
			run.Events = []spec.Event{}
		}
		items[i] = Counterexample{Label: r.label, JSON: indentJSON(run), Replay: "perpcheck run FILE"}
	}
	return items
}

// failRuns records the counterexample as run files that `perpcheck run`
// replays, logs them and fails the case.
func (e *env) failRuns(t *rapid.T, runs []labeledRun, format string, args ...any) {
	t.Helper()
	e.failWith(t, runItems(runs), fmt.Sprintf(format, args...))
}

// startRun creates the engine's ledger (and the oracle's, when
// differential) on st. A state the oracle rejects is skipped (the
// generators make valid states; the oracle is the judge of validity); a
// state the oracle accepts and the engine rejects is a failure.
func (e *env) startRun(t *rapid.T, st *spec.State, differential bool) *ledgerRun {
	t.Helper()
	r := &ledgerRun{e: e, input: st, inCopy: st.Clone()}
	e.current = r.runs
	o, oerr := e.ledgerOracle(st.Clone())
	if oerr != nil {
		t.Skipf("generated state rejected by the oracle: %v", oerr)
	}
	l, err := e.newLedger(t, st, r.runs)
	if err != nil {
		r.fail(t, "LED-1: the engine rejects a valid state (the oracle accepts it): %v", err)
	}
	r.l = l
	if differential {
		r.o = o
	}
	if d := spec.DiffExact(r.inCopy, st); d != nil {
		r.fail(t, "LED-7: NewLedger modified its input state:\n  %s", diffText(d))
	}
	r.st = r.state(t)
	if msg := checkLED4(r.st); msg != "" {
		r.fail(t, "%s (initial state as the engine reports it)", msg)
	}
	if r.o != nil {
		if d := spec.Diff(canonicalState(r.st), canonicalState(r.o.State())); d != nil {
			r.fail(t, "LED-1: the initial state differs from the oracle's (engine vs oracle):\n  %s", diffText(d))
		}
	}
	return r
}

// runs is the counterexample: the initial state and the events so far.
func (r *ledgerRun) runs() []labeledRun {
	return []labeledRun{{label: "generated", state: r.inCopy, events: r.events}}
}

func (r *ledgerRun) fail(t *rapid.T, format string, args ...any) {
	t.Helper()
	r.e.failRuns(t, r.runs(), format, args...)
}

// state calls the engine's State, turning a panic into a failure.
func (r *ledgerRun) state(t *rapid.T) (st *spec.State) {
	t.Helper()
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		st = r.l.State()
	}()
	if panicked != nil || st == nil {
		r.fail(t, "LED-1: State() panicked or returned nil: %v", panicked)
	}
	return st
}

// apply applies ev to the engine's ledger (and the oracle's), checks the
// step and returns the effects and error.
func (r *ledgerRun) apply(t *rapid.T, ev spec.Event) ([]spec.Effect, error) {
	t.Helper()
	k := len(r.events)
	r.events = append(r.events, ev)
	// before is a copy: the engine's State() must be a copy, but a ledger
	// that returns its own maps must not change what the checks compare with.
	before := r.st.Clone()
	var (
		effects  []spec.Effect
		err      error
		panicked any
	)
	func() {
		defer func() { panicked = recover() }()
		effects, err = r.l.Apply(ev)
	}()
	if panicked != nil {
		r.fail(t, "LED-7: Apply panicked on event %d (%s): %v", k, ev.Type, panicked)
	}
	if d := spec.DiffExact(r.inCopy, r.input); d != nil {
		r.fail(t, "LED-7: the ledger modified the caller's initial state (at event %d):\n  %s", k, diffText(d))
	}
	after := r.state(t)
	if r.o != nil {
		oeff, oerr := r.o.Apply(ev)
		if a, b := r.e.errKey(err), r.e.errKey(oerr); a != b {
			r.fail(t, "event %d (%s): error differs from the oracle's:\nengine: %s\noracle: %s", k, ev.Type, a, b)
		}
		if d := spec.Diff(effects, oeff); d != nil {
			r.fail(t, "LED-6: event %d (%s): effects differ from the oracle's (engine vs oracle):\n  %s\nengine: %s\noracle: %s", k, ev.Type, diffText(d), effectsJSON(effects), effectsJSON(oeff))
		}
		if d := spec.Diff(canonicalState(after), canonicalState(r.o.State())); d != nil {
			r.fail(t, "event %d (%s): state differs from the oracle's (engine vs oracle):\n  %s", k, ev.Type, diffText(d))
		}
	}
	if msg := checkStep(r.e, k, before, ev, effects, err, after); msg != "" {
		r.fail(t, "event %d (%s): %s", k, ev.Type, msg)
	}
	r.st = after
	if st := r.e.stats; st != nil {
		st.count(ev, effects, err)
	}
	if err == nil {
		r.applied++
		if ev.Type == spec.EventPrice {
			e := ev
			r.lastPrice = &e
		}
		r.swept = ev.Type == spec.EventPrice || ev.Type == spec.EventFunding
		for _, f := range effects {
			if f.Type == spec.EffectLiquidation {
				r.liqs++
			}
		}
	}
	return effects, err
}

// errKey is what the differential check compares of an error: its Path and
// Rule with CapErrorPaths, otherwise only that there is one.
func (e *env) errKey(err error) string {
	if err == nil {
		return "ok"
	}
	me, ok := err.(*spec.Error)
	if !ok {
		return "non-model error: " + err.Error()
	}
	if e.caps[CapErrorPaths] {
		return me.Path + " " + me.Rule
	}
	return "error"
}

// effectsJSON is the effects' JSON for messages; no effects and an empty
// list read alike.
func effectsJSON(e []spec.Effect) string {
	if len(e) == 0 {
		return "[]"
	}
	return mustMarshal(e)
}

// actions are the T.Repeat actions: one per event kind c allows, plus
// "price-again" (right after a price or funding event, the last price event
// repeated: LQ-1's sweep left nothing to liquidate, so it must change
// nothing).
func (r *ledgerRun) actions(t *rapid.T) map[string]func(*rapid.T) {
	acts := map[string]func(*rapid.T){}
	var keys []string
	for _, k := range gen.EventKinds(r.e.gen) {
		keys = append(keys, string(k))
	}
	// rapid picks actions uniformly: opening trades count three times,
	// reducing trades and price moves twice.
	keys = append(keys, string(gen.Open)+"#2", string(gen.Open)+"#3", string(gen.Reduce)+"#2", string(gen.PriceMove)+"#2", string(gen.PriceNearLiquidation)+"#2")
	for _, key := range keys {
		kind := gen.EventKind(strings.Split(key, "#")[0])
		acts[key] = func(t *rapid.T) {
			ev := gen.LedgerEventOf(r.st, r.e.gen, kind).Draw(t, "event")
			_, err := r.apply(t, ev)
			if kind == gen.Invalid && err == nil {
				r.fail(t, "LED-5/TRD-1: event %d, a trade with one broken field, was accepted", len(r.events)-1)
			}
		}
	}
	acts["price-again"] = func(t *rapid.T) {
		if r.lastPrice == nil || !r.swept {
			t.Skip("the last event did not run the sweep")
		}
		before := r.st
		eff, err := r.apply(t, *r.lastPrice)
		if err != nil {
			r.fail(t, "LQ-1: repeating the last price event failed: %v", err)
		}
		for _, f := range eff {
			if f.Type != spec.EffectPosting || f.Reason != "dust" {
				r.fail(t, "LQ-1: repeating the last price event had an effect (the sweep must leave no liquidatable pool): %s", mustMarshal(f))
			}
		}
		if d := spec.Diff(before, r.st); d != nil {
			r.fail(t, "LQ-1: repeating the last price event changed the state (before vs after):\n  %s", diffText(d))
		}
	}
	return acts
}

// checkStep checks one event from the state before it, its effects or
// error, and the state after it; it returns "" or what does not hold.
func checkStep(e *env, k int, before *spec.State, ev spec.Event, effects []spec.Effect, err error, after *spec.State) string {
	if err != nil {
		me, ok := err.(*spec.Error)
		if !ok {
			return fmt.Sprintf("LED-7: the error is a %T, not a *model.Error: %v", err, err)
		}
		if prefix := fmt.Sprintf("events[%d].", k); !strings.HasPrefix(me.Path, prefix) {
			return fmt.Sprintf("LED-7: error path %q does not start with %q (%v)", me.Path, prefix, err)
		}
		if len(effects) != 0 {
			return fmt.Sprintf("LED-7: a failed event returned %d effects", len(effects))
		}
		if d := spec.Diff(before, after); d != nil {
			return fmt.Sprintf("LED-7: the event failed (%v) but changed the state (before vs after):\n  %s", err, diffText(d))
		}
		return ""
	}
	if effects == nil {
		return "LED-6: a successful event returned nil effects (want a non-nil, possibly empty, list)"
	}
	if msg := checkLED4(after); msg != "" {
		return msg
	}
	rp := &replay{e: e, k: k, ev: ev, before: before, after: after, b: bookOf(before)}
	if msg := rp.run(effects); msg != "" {
		return msg
	}
	// LED-4: conservation.
	want := rp.start.Add(rp.deposits).Sub(rp.withdrawals)
	if got := bookOf(after).total(); !got.Equal(want) {
		return fmt.Sprintf("LED-4: the ledger accounts sum to %s after the event, want %s (before %s, deposits %s, withdrawals %s)",
			got, want, rp.start, rp.deposits, rp.withdrawals)
	}
	if msg := rp.compareWithAfter(); msg != "" {
		return msg
	}
	switch ev.Type {
	case spec.EventDeposit:
		return checkDepositWithdraw(ev, effects)
	case spec.EventWithdraw:
		if msg := checkDepositWithdraw(ev, effects); msg != "" {
			return msg
		}
		return e.checkWithdrawLimit(ev, after)
	case spec.EventTrade:
		if msg := checkTrade(before, ev, effects, after); msg != "" {
			return msg
		}
		return e.checkTradeMargin(before, ev, after)
	case spec.EventFunding:
		if msg := checkFunding(before, ev, effects); msg != "" {
			return msg
		}
		return e.checkNoLiquidatable(after)
	case spec.EventPrice:
		return e.checkNoLiquidatable(after)
	}
	return ""
}

// replay applies an event's effects to the book of the state before it,
// checking LED-6's shapes and the liquidation rules on the way.
type replay struct {
	e             *env
	k             int
	ev            spec.Event
	before, after *spec.State
	b             *book

	start, deposits, withdrawals decimal.Decimal

	liq     *liqBlock       // the liquidation being replayed, if any
	ep      *liqEpisode     // the pool whose liquidation is being replayed, if any
	touched map[string]bool // positions filled so far in the event (their V is not known)
}

// crossEquity is the exact equity of id's cross pool in the replay: the
// wallet plus the unrealized PnL of its cross positions at the mark. ok is
// false when a remaining position was filled earlier in the event (its cost
// basis is then unknown here).
func (rp *replay) crossEquity(id string) (e decimal.Decimal, ok bool) {
	e = rp.b.get("wallet:" + id)
	for key, p := range rp.b.pos {
		if !strings.HasPrefix(key, id+"|") || p.x.IsZero() || p.mode != spec.Cross {
			continue
		}
		if rp.touched[key] {
			return e, false
		}
		m := strings.TrimPrefix(key, id+"|")
		mark := rp.after.Prices[m].Mark
		if !mark.Valid {
			return e, false
		}
		sv := p.v
		if p.x.Sign() < 0 {
			sv = sv.Neg()
		}
		e = e.Add(p.x.Mul(mark.Decimal).Sub(sv))
	}
	return e, true
}

// liqBlock is one liquidation effect and what follows it up to the next.
type liqBlock struct {
	id, market string
	pool       spec.MarginMode
	traderSize decimal.Decimal // the liquidated account's filled size
	adlSize    decimal.Decimal // the ADL counterparties' filled size
	lastFill   *spec.Effect    // the liquidated account's last fill
	sawFill    bool
	// ADL-2: the ranking when the first ADL fill came (nil before; ok false
	// when not computable here) and the counterparties filled, in order.
	ranking   []adlCandidate
	rankingOK bool
	ranked    bool
	adlFills  []adlFill
}

func (rp *replay) run(effects []spec.Effect) string {
	rp.start = rp.b.total()
	rp.deposits, rp.withdrawals = decimal.Zero, decimal.Zero
	for i, f := range effects {
		if f.Event != rp.k { // LED-6: Effect.Event is the event's index in the run
			return fmt.Sprintf("LED-6: effect %d has event %d, want %d", i, f.Event, rp.k)
		}
		var msg string
		switch f.Type {
		case spec.EffectPosting:
			msg = rp.posting(i, f)
		case spec.EffectFill:
			msg = rp.fill(i, f)
		case spec.EffectLiquidation:
			msg = rp.liquidation(i, f)
		default:
			msg = fmt.Sprintf("LED-6: effect %d has unknown type %q", i, f.Type)
		}
		if msg != "" {
			return msg
		}
	}
	if msg := rp.endLiquidation(); msg != "" {
		return msg
	}
	return rp.endEpisode()
}

func (rp *replay) posting(i int, f spec.Effect) string {
	if !f.Amount.Valid || f.Amount.Decimal.Sign() <= 0 {
		return fmt.Sprintf("LED-6: posting %d has amount %s, want > 0", i, nullStr(f.Amount))
	}
	if f.From == f.To || !validAccountName(rp.before, f.From) || !validAccountName(rp.before, f.To) {
		return fmt.Sprintf("LED-3: posting %d from %q to %q: not two different ledger accounts", i, f.From, f.To)
	}
	if !postingReasons[f.Reason] {
		return fmt.Sprintf("LED-6: posting %d has reason %q", i, f.Reason)
	}
	amt := f.Amount.Decimal
	switch {
	case f.From == "external":
		if f.Reason != "deposit" {
			return fmt.Sprintf("LED-3: posting %d from external with reason %q", i, f.Reason)
		}
		rp.deposits = rp.deposits.Add(amt)
	case f.To == "external":
		if f.Reason != "withdraw" {
			return fmt.Sprintf("LED-3: posting %d to external with reason %q", i, f.Reason)
		}
		rp.withdrawals = rp.withdrawals.Add(amt)
	}
	if f.From != "external" {
		rp.b.add(f.From, amt.Neg())
	}
	if f.To != "external" {
		rp.b.add(f.To, amt)
	}
	if msg := rp.episodePosting(f); msg != "" {
		return msg
	}
	if l := rp.liq; l != nil {
		if l.pool == spec.Isolated && f.From == "wallet:"+l.id {
			return fmt.Sprintf("LQ-8: during the isolated liquidation of %s in %s, posting %d takes %s from its wallet (%s): the loss of an isolated position is capped at its margin",
				l.id, l.market, i, amt, f.Reason)
		}
		if f.Reason == "liquidation-fee" {
			if l.lastFill == nil {
				return fmt.Sprintf("LQ-4: liquidation fee (posting %d) before any liquidation fill of %s", i, l.id)
			}
			feeCap := upUnits(rateOf(rp.before.Markets[l.market].LiquidationFeeRate).Mul(l.lastFill.Size.Decimal).Mul(l.lastFill.Price.Decimal))
			if amt.GreaterThan(feeCap) {
				return fmt.Sprintf("LQ-4: liquidation fee %s of %s in %s exceeds up(rate * size * p) = %s", amt, l.id, l.market, feeCap)
			}
			if l.pool == spec.Isolated && rp.b.get(f.From).Sign() < 0 {
				return fmt.Sprintf("LQ-8: the liquidation fee %s of %s in %s exceeds its remaining isolated margin (%s after it)", amt, l.id, l.market, rp.b.get(f.From))
			}
			if e, ok := rp.crossEquity(l.id); l.pool == spec.Cross && ok && e.Sign() < 0 {
				return fmt.Sprintf("LQ-8: the liquidation fee %s of %s in %s exceeds the cross pool's remaining equity (%s after it)", amt, l.id, l.market, e)
			}
		}
	}
	return ""
}

func (rp *replay) fill(i int, f spec.Effect) string {
	accts := stateAccounts(rp.before)
	if _, ok := accts[f.Account]; !ok {
		return fmt.Sprintf("LED-6: fill %d names unknown account %q", i, f.Account)
	}
	if _, ok := accts[f.Counterparty]; !ok || f.Counterparty == f.Account {
		return fmt.Sprintf("LED-6: fill %d of %s has counterparty %q", i, f.Account, f.Counterparty)
	}
	if _, ok := rp.before.Markets[f.Market]; !ok {
		return fmt.Sprintf("LED-6: fill %d names unknown market %q", i, f.Market)
	}
	if !fillKinds[f.Kind] || (f.Side != spec.Long && f.Side != spec.Short) || !f.Size.Valid || f.Size.Decimal.Sign() <= 0 || !f.Price.Valid || f.Price.Decimal.Sign() <= 0 {
		return fmt.Sprintf("LED-6: fill %d is malformed: %s", i, mustMarshal(f))
	}
	if l := rp.liq; l != nil && f.Kind == "adl" && !l.ranked {
		l.ranked = true
		if p := rp.b.pos[posKey(l.id, l.market)]; !p.x.IsZero() {
			l.ranking, l.rankingOK = rp.adlRanking(l.id, l.market, p.x.Sign())
		}
	}
	key := posKey(f.Account, f.Market)
	if rp.touched == nil {
		rp.touched = map[string]bool{}
	}
	rp.touched[key] = true
	p := rp.b.pos[key]
	d := f.Size.Decimal
	if f.Side == spec.Short {
		d = d.Neg()
	}
	reducing := !p.x.IsZero() && p.x.Sign() != d.Sign() && d.Abs().LessThanOrEqual(p.x.Abs())
	p.x = p.x.Add(d)
	rp.b.pos[key] = p
	if f.Kind == "trade" {
		if rp.ev.Type != spec.EventTrade {
			return fmt.Sprintf("LED-6: fill %d of kind trade in a %s event", i, rp.ev.Type)
		}
		return ""
	}
	l := rp.liq
	if l == nil {
		return fmt.Sprintf("LED-6: fill %d of kind %s is not preceded by a liquidation effect", i, f.Kind)
	}
	l.sawFill = true
	if rp.ep != nil && f.Account == rp.ep.id {
		rp.ep.kinds[f.Kind] = true
	}
	if f.Account == l.id {
		if f.Market != l.market {
			return fmt.Sprintf("LED-6: the liquidation of %s in %s has a fill of %s in %s", l.id, l.market, l.id, f.Market)
		}
		if !reducing {
			return fmt.Sprintf("LQ-4: the liquidation of %s in %s increases or flips its position (fill %d: %s %s)", l.id, l.market, i, f.Side, f.Size.Decimal)
		}
		l.traderSize = l.traderSize.Add(f.Size.Decimal)
		ff := f
		l.lastFill = &ff
		if f.Kind == "liquidation" {
			if f.Counterparty != spec.InsuranceAccount {
				return fmt.Sprintf("LQ-4: a liquidation fill of %s has counterparty %q, want %s", l.id, f.Counterparty, spec.InsuranceAccount)
			}
			if msg := rp.checkExecPrice(f); msg != "" {
				return msg
			}
		}
		return ""
	}
	if f.Account == spec.InsuranceAccount && f.Kind == "liquidation" {
		return ""
	}
	if f.Kind == "adl" {
		if f.Counterparty != l.id {
			return fmt.Sprintf("ADL-3: ADL fill %d of %s has counterparty %q, want the liquidated %s", i, f.Account, f.Counterparty, l.id)
		}
		if !reducing {
			return fmt.Sprintf("ADL-1: ADL fill %d increases or flips %s's %s position: counterparties must hold the opposite side (fill %s %s)",
				i, f.Account, f.Market, f.Side, f.Size.Decimal)
		}
		l.adlSize = l.adlSize.Add(f.Size.Decimal)
		l.adlFills = append(l.adlFills, adlFill{f.Account, f.Size.Decimal})
		return ""
	}
	return fmt.Sprintf("LED-6: fill %d of %s (kind %s) during the liquidation of %s", i, f.Account, f.Kind, l.id)
}

// checkExecPrice is LQ-2: a long liquidated at mark MP sells at
// tickDown(MP), a short buys at tickUp(MP).
func (rp *replay) checkExecPrice(f spec.Effect) string {
	mp := rp.after.Prices[f.Market].Mark
	if !mp.Valid {
		return "" // a computed mark; not generated by this suite
	}
	tick := rp.before.Markets[f.Market].TickSize
	want := floorGrid(mp.Decimal, tick)
	if f.Side == spec.Long { // the trader buys back a short
		want = ceilGrid(mp.Decimal, tick)
	}
	if !f.Price.Decimal.Equal(want) {
		return fmt.Sprintf("LQ-2: %s's position in %s is liquidated at %s, want %s (mark %s, tick %s, against the trader)",
			f.Account, f.Market, f.Price.Decimal, want, mp.Decimal, tick)
	}
	return ""
}

func (rp *replay) liquidation(i int, f spec.Effect) string {
	if msg := rp.endLiquidation(); msg != "" {
		return msg
	}
	if rp.ev.Type != spec.EventPrice && rp.ev.Type != spec.EventFunding {
		return fmt.Sprintf("TRD-6/LQ-1: a %s event liquidated %s (only price and funding events run the sweep)", rp.ev.Type, f.Account)
	}
	if _, ok := rp.before.Accounts[f.Account]; !ok {
		return fmt.Sprintf("LED-2: liquidation effect %d names %q, not a trader account (the insurance fund is never liquidated)", i, f.Account)
	}
	p, ok := rp.b.pos[posKey(f.Account, f.Market)]
	if !ok || p.x.IsZero() {
		return fmt.Sprintf("LED-6: liquidation effect %d of %s in %s, which holds no position there", i, f.Account, f.Market)
	}
	if f.Pool != p.mode {
		return fmt.Sprintf("LED-6: liquidation effect %d of %s in %s says pool %q, the position is %s", i, f.Account, f.Market, f.Pool, p.mode)
	}
	if msg := rp.startEpisode(f); msg != "" {
		return msg
	}
	rp.liq = &liqBlock{id: f.Account, market: f.Market, pool: f.Pool}
	return ""
}

// endLiquidation closes the current liquidation block: the liquidated
// account has a fill, its position is closed whole (LQ-4), the ADL
// counterparties filled exactly its size (ADL-3), in the order of ADL-2.
func (rp *replay) endLiquidation() string {
	l := rp.liq
	if l == nil {
		return ""
	}
	rp.liq = nil
	if !l.sawFill || l.traderSize.IsZero() {
		return fmt.Sprintf("LED-6: the liquidation of %s in %s has no fill of the liquidated account", l.id, l.market)
	}
	if !l.adlSize.IsZero() && !l.adlSize.Equal(l.traderSize) {
		return fmt.Sprintf("ADL-3: the ADL counterparties of %s in %s filled %s, the liquidated position %s", l.id, l.market, l.adlSize, l.traderSize)
	}
	if l.rankingOK {
		if msg := checkADLOrder(l.id, l.market, l.ranking, l.adlFills); msg != "" {
			return msg
		}
	}
	if p := rp.b.pos[posKey(l.id, l.market)]; !p.x.IsZero() {
		return fmt.Sprintf("LQ-4: the liquidation of %s in %s leaves %s open (a liquidated position is closed whole)", l.id, l.market, p.x)
	}
	return ""
}

// compareWithAfter checks that the replayed book equals the state after
// the event (LED-6: the effects say everything the event did).
func (rp *replay) compareWithAfter() string {
	a := bookOf(rp.after)
	names := map[string]bool{}
	for n := range a.bal {
		names[n] = true
	}
	for n := range rp.b.bal {
		names[n] = true
	}
	for _, n := range sortedNames(names) {
		if got, want := a.get(n), rp.b.get(n); !got.Equal(want) {
			return fmt.Sprintf("LED-6: %s is %s after the event, but the state before plus the postings gives %s", n, got, want)
		}
	}
	keys := map[string]bool{}
	for key := range a.pos {
		keys[key] = true
	}
	for key, p := range rp.b.pos {
		if !p.x.IsZero() {
			keys[key] = true
		}
	}
	for _, key := range sortedNames(keys) {
		if got, want := a.pos[key].x, rp.b.pos[key].x; !got.Equal(want) {
			return fmt.Sprintf("LED-6: position %s is %s after the event, but the state before plus the fills gives %s", strings.Replace(key, "|", " in ", 1), got, want)
		}
	}
	return ""
}

// checkDepositWithdraw is LED-9's effect of a deposit or withdrawal: one
// posting of the amount between external and the wallet.
func checkDepositWithdraw(ev spec.Event, effects []spec.Effect) string {
	from, to, reason := "external", "wallet:"+ev.Account, "deposit"
	if ev.Type == spec.EventWithdraw {
		from, to, reason = to, from, "withdraw"
	}
	if len(effects) != 1 || effects[0].From != from || effects[0].To != to || effects[0].Reason != reason || !effects[0].Amount.Decimal.Equal(ev.Amount.Decimal) {
		return fmt.Sprintf("LED-9: a %s of %s to %s must be one posting %s -> %s, got %s", ev.Type, ev.Amount.Decimal, ev.Account, from, to, effectsJSON(effects))
	}
	return ""
}

// checkTrade is TRD-2 and TRD-4 (and TRD-6) from the states alone: two
// fills, the fees, and each side's new position and realized PnL.
func checkTrade(before *spec.State, ev spec.Event, effects []spec.Effect, after *spec.State) string {
	size, price := ev.Size.Decimal, ev.Price.Decimal
	var fills []spec.Effect
	for _, f := range effects {
		if f.Type == spec.EffectFill {
			fills = append(fills, f)
		}
	}
	if len(fills) != 2 || fills[0].Account != ev.Buyer || fills[0].Side != spec.Long || fills[1].Account != ev.Seller || fills[1].Side != spec.Short ||
		fills[0].Kind != "trade" || !fills[0].Size.Decimal.Equal(size) || !fills[0].Price.Decimal.Equal(price) {
		return fmt.Sprintf("LED-6: a trade must have two fills of kind trade, the buyer's first, at its size and price; got %s", effectsJSON(fills))
	}
	m := before.Markets[ev.Market]
	accts, afterAccts := stateAccounts(before), stateAccounts(after)
	for _, side := range []struct {
		id    string
		d     decimal.Decimal
		maker bool
	}{
		{ev.Buyer, size, ev.Maker == "buyer"},
		{ev.Seller, size.Neg(), ev.Maker != "buyer"},
	} {
		// TRD-4.
		rate := rateOf(m.TakerFeeRate)
		if side.maker {
			rate = rateOf(m.MakerFeeRate)
		}
		wantFee := upUnits(size.Mul(price).Mul(rate))
		if side.id == spec.InsuranceAccount {
			wantFee = decimal.Zero
		}
		fee := decimal.Zero
		for _, f := range effects {
			if f.Type == spec.EffectPosting && f.Reason == "fee" && f.From == "wallet:"+side.id {
				if f.To != "fees" {
					return fmt.Sprintf("TRD-4: %s's fee goes to %s, want fees", side.id, f.To)
				}
				fee = fee.Add(f.Amount.Decimal)
			}
		}
		if !fee.Equal(wantFee) {
			return fmt.Sprintf("TRD-4: %s pays a fee of %s, want up(%s * %s * %s) = %s", side.id, fee, size, price, rate, wantFee)
		}
		// TRD-2.
		var old ledgerPos
		mode := spec.Cross
		oldMargin := decimal.Zero
		for _, p := range accts[side.id].Positions {
			if p.Market == ev.Market {
				old.x, old.v = p.Size, p.CostBasis()
				if p.Side == spec.Short {
					old.x = old.x.Neg()
				}
				if p.MarginMode == spec.Isolated {
					mode = spec.Isolated
					oldMargin = p.IsolatedMargin.Decimal
				}
			}
		}
		set := settingOf(accts[side.id], ev.Market, m)
		if old.x.IsZero() && side.id != spec.InsuranceAccount {
			mode = set.MarginMode // a new position takes the account's setting (LED-2)
		}
		wantX, wantV, wantR := old.x.Add(side.d), old.v, decimal.Zero
		switch {
		case old.x.IsZero() || old.x.Sign() == side.d.Sign():
			wantV = old.v.Add(size.Mul(price))
		default:
			q := decimal.Min(size, old.x.Abs())
			vr := old.v
			if q.LessThan(old.x.Abs()) {
				// Vr = V * q / |x|, up for a long, down for a short.
				vr = roundQuo(old.v.Mul(q), old.x.Abs(), old.x.Sign() > 0)
			}
			wantR = q.Mul(price).Sub(vr)
			if old.x.Sign() < 0 {
				wantR = wantR.Neg()
			}
			wantV = old.v.Sub(vr)
			if size.GreaterThan(old.x.Abs()) { // flip: open the rest at the price
				wantV = size.Sub(old.x.Abs()).Mul(price)
			}
		}
		var got spec.Position
		found := false
		for _, p := range afterAccts[side.id].Positions {
			if p.Market == ev.Market {
				got, found = p, true
			}
		}
		if wantX.IsZero() {
			if found {
				return fmt.Sprintf("TRD-2: %s's position in %s is closed by the trade but still listed", side.id, ev.Market)
			}
		} else {
			gx := got.Size
			if got.Side == spec.Short {
				gx = gx.Neg()
			}
			if !found || !gx.Equal(wantX) || !got.CostBasis().Equal(wantV) {
				return fmt.Sprintf("TRD-2: %s's position in %s is %s with V %s after the trade, want %s with V %s (before: %s with V %s; trade %s at %s)",
					side.id, ev.Market, gx, got.CostBasis(), wantX, wantV, old.x, old.v, side.d, price)
			}
		}
		r := decimal.Zero
		pool := poolName(side.id, ev.Market, mode)
		for _, f := range effects {
			if f.Type != spec.EffectPosting || f.Reason != "realized-pnl" {
				continue
			}
			switch {
			case f.From == "settlement" && f.To == pool:
				r = r.Add(f.Amount.Decimal)
			case f.To == "settlement" && f.From == pool:
				r = r.Sub(f.Amount.Decimal)
			}
		}
		if !r.Equal(wantR) {
			return fmt.Sprintf("TRD-2: %s realizes %s in %s, want s * (q * price - Vr) = %s (before: %s with V %s; trade %s at %s)",
				side.id, r, ev.Market, wantR, old.x, old.v, side.d, price)
		}
		if mode == spec.Isolated {
			if msg := checkIsolatedMargin(effects, side.id, ev.Market, m, set.Leverage.Decimal, old.x, side.d, price, oldMargin, wantR); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// checkFunding is FND-1..3: every position of the market pays up(|a|) or
// receives down(|a|), a = Q * mark * clamp(rate), longs paying when the
// clamped rate is positive, accounts in id order (LED-8), then the
// remainder goes to dust.
func checkFunding(before *spec.State, ev spec.Event, effects []spec.Effect) string {
	m := before.Markets[ev.Market]
	rate := ev.Rate.Decimal
	if m.FundingRateCap.Valid {
		rate = decimal.Max(decimal.Min(rate, m.FundingRateCap.Decimal), m.FundingRateCap.Decimal.Neg())
	}
	mark := stateMark(before, ev.Market)
	fund := "funding:" + ev.Market
	type post struct {
		from, to string
		amt      decimal.Decimal
	}
	var want []post
	rest := decimal.Zero
	accts := stateAccounts(before)
	for _, id := range sortedNames(accts) {
		for _, p := range accts[id].Positions {
			if p.Market != ev.Market {
				continue
			}
			a := p.Size.Mul(mark).Mul(rate).Abs()
			pool := poolName(id, p.Market, p.MarginMode)
			if sideSign(p.Side)*rate.Sign() > 0 {
				if u := upUnits(a); u.Sign() > 0 {
					want = append(want, post{pool, fund, u})
					rest = rest.Add(u)
				}
			} else if d := downUnits(a); d.Sign() > 0 {
				want = append(want, post{fund, pool, d})
				rest = rest.Sub(d)
			}
		}
	}
	var got []post
	for _, f := range effects {
		if f.Type == spec.EffectPosting && (f.Reason == "funding" || (f.Reason == "dust" && f.From == fund)) {
			got = append(got, post{f.From, f.To, f.Amount.Decimal})
		}
	}
	if rest.Sign() > 0 {
		want = append(want, post{fund, "dust", rest})
	}
	str := func(ps []post) string {
		var ss []string
		for _, p := range ps {
			ss = append(ss, fmt.Sprintf("%s->%s %s", p.from, p.to, p.amt))
		}
		return "[" + strings.Join(ss, ", ") + "]"
	}
	if len(got) != len(want) {
		return fmt.Sprintf("FND-2: funding at rate' %s (mark %s) posts %s, want %s", rate, mark, str(got), str(want))
	}
	for i := range got {
		if got[i].from != want[i].from || got[i].to != want[i].to || !got[i].amt.Equal(want[i].amt) {
			return fmt.Sprintf("FND-2: funding at rate' %s (mark %s; positive: longs pay) posts %s, want %s", rate, mark, str(got), str(want))
		}
	}
	return ""
}

// checkNoLiquidatable is LQ-1's end condition, judged by the engine's own
// query: after the sweep, no trader pool is liquidatable. Accounts whose
// state is not a valid scenario (a negative wallet or isolated margin, SPEC
// OPEN-1 and OPEN-2) are not judged.
func (e *env) checkNoLiquidatable(after *spec.State) string {
	for _, id := range sortedNames(after.Accounts) {
		a := after.Accounts[id]
		rep, ok := e.queryAccount(after, a)
		if !ok {
			continue
		}
		for _, pl := range rep.Pools {
			if pl.Liquidatable {
				return fmt.Sprintf("LQ-1: after the sweep, %s's %s pool is still liquidatable (equity %s < MM %s)", id, pl.Pool, pl.Equity, pl.MaintenanceMargin)
			}
		}
	}
	return ""
}

// ledgerStats counts what ledger runs exercised (for the generators' own
// coverage test).
type ledgerStats struct {
	mu sync.Mutex
	n  map[string]int
}

func (s *ledgerStats) count(ev spec.Event, effects []spec.Effect, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]int{}
	}
	if err != nil {
		s.n["rejected "+string(ev.Type)]++
		if me, ok := err.(*spec.Error); ok {
			s.n["  rule "+me.Rule+" "+me.Path[strings.Index(me.Path, "]")+1:]]++
		}
		return
	}
	s.n["applied "+string(ev.Type)]++
	for _, f := range effects {
		switch f.Type {
		case spec.EffectLiquidation:
			s.n["liquidation "+string(f.Pool)]++
		case spec.EffectFill:
			if f.Kind != "trade" {
				s.n["fill "+f.Kind]++
			}
		case spec.EffectPosting:
			if f.Reason == "insurance" || f.Reason == "liquidation-fee" || f.Reason == "funding" {
				s.n["posting "+f.Reason+" from "+strings.SplitN(f.From, ":", 2)[0]]++
			}
		}
	}
}

// checkIsolatedMargin is TRD-3 for one isolated side of a trade: the net
// margin moved between its wallet and its isolated margin. An open or
// increase of q moves T = up(q * price / L) in, L = min(leverage, the
// maximum leverage of the tier of the new notional at the price); a reduce of
// q of |x| moves down(M' * q / |x|) back, M' the margin after the realized
// PnL R; a close moves M' back; a flip closes, then opens the rest.
func checkIsolatedMargin(effects []spec.Effect, id, market string, m spec.Market, lev, x, d, price, margin, r decimal.Decimal) string {
	iso, wal := poolName(id, market, spec.Isolated), "wallet:"+id
	net := decimal.Zero // into the isolated margin
	for _, f := range effects {
		if f.Type != spec.EffectPosting || f.Reason != "margin" {
			continue
		}
		switch {
		case f.From == wal && f.To == iso:
			net = net.Add(f.Amount.Decimal)
		case f.From == iso && f.To == wal:
			net = net.Sub(f.Amount.Decimal)
		}
	}
	open := func(q decimal.Decimal, newSize decimal.Decimal) decimal.Decimal {
		l := decimal.Min(lev, tierOf(m.Tiers, newSize.Mul(price)).MaxLeverage)
		return roundQuo(q.Mul(price), l, true)
	}
	var want decimal.Decimal
	switch {
	case x.IsZero() || x.Sign() == d.Sign():
		want = open(d.Abs(), x.Add(d).Abs())
	case d.Abs().LessThan(x.Abs()):
		want = roundQuo(margin.Add(r).Mul(d.Abs()), x.Abs(), false).Neg()
	default:
		want = margin.Add(r).Neg()
		if rest := d.Abs().Sub(x.Abs()); rest.Sign() > 0 {
			want = want.Add(open(rest, rest))
		}
	}
	if !net.Equal(want) {
		return fmt.Sprintf("TRD-3: %s's isolated margin in %s receives %s net, want %s (before: %s with margin %s, leverage %s; trade %s at %s, realized %s)",
			id, market, net, want, x, margin, lev, d, price, r)
	}
	return ""
}

// tierOf is TIER-7: the tier with minNotional <= n < maxNotional; beyond the
// last tier, the last.
func tierOf(ts []spec.Tier, n decimal.Decimal) spec.Tier {
	for _, t := range ts {
		if n.GreaterThanOrEqual(t.MinNotional) && n.LessThan(t.MaxNotional) {
			return t
		}
	}
	return ts[len(ts)-1]
}

// canonicalState is a copy of st with the choices SPEC leaves to the engine
// removed, for the differential comparison (spec.Diff, decimals by value):
// positions in market order, each with its cost basis as entryValue and no
// entryPrice (LED-1 allows either), the settlement derived when absent.
func canonicalState(st *spec.State) *spec.State {
	c := st.Clone()
	norm := func(a spec.Account) spec.Account {
		ps := a.Positions
		for i := range ps {
			ps[i].EntryValue = nd(ps[i].CostBasis())
			ps[i].EntryPrice = decimal.Zero
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].Market < ps[j].Market })
		return a
	}
	for id, a := range c.Accounts {
		c.Accounts[id] = norm(a)
	}
	c.InsuranceFund = norm(c.InsuranceFund)
	if !c.Settlement.Valid {
		c.Settlement = nd(bookOf(st).get("settlement"))
	}
	return c
}

// checkTradeMargin is what TRD-5 implies for an accepted trade, judged by
// the engine's own query on the state after it: each trader side whose risk
// increased (an open, an increase or a flip) has, in the pool of the new
// position, equity >= initial margin (on the reported values, which are
// rounded down and up: reported E >= reported IM - 1e-8), for an isolated
// position also in the cross pool with a wallet >= 0; and the new notional
// at the trade price is at most the last tier's maxNotional.
func (e *env) checkTradeMargin(before *spec.State, ev spec.Event, after *spec.State) string {
	m := before.Markets[ev.Market]
	for _, side := range []struct {
		id string
		d  decimal.Decimal
	}{{ev.Buyer, ev.Size.Decimal}, {ev.Seller, ev.Size.Decimal.Neg()}} {
		a, ok := after.Accounts[side.id]
		if !ok {
			continue // the insurance fund is never checked (LED-2)
		}
		x := signedSize(before.Accounts[side.id], ev.Market)
		if !x.IsZero() && x.Sign() != side.d.Sign() && side.d.Abs().LessThanOrEqual(x.Abs()) {
			continue // a reduce or close is never rejected by TRD-5
		}
		newSize := x.Add(side.d).Abs()
		if last := m.Tiers[len(m.Tiers)-1].MaxNotional; newSize.Mul(ev.Price.Decimal).GreaterThan(last) {
			return fmt.Sprintf("TRD-5: %s's new notional %s in %s exceeds the last tier's maxNotional %s", side.id, newSize.Mul(ev.Price.Decimal), ev.Market, last)
		}
		rep, ok := e.queryAccount(after, a)
		if !ok {
			continue
		}
		for i, p := range a.Positions {
			if p.Market != ev.Market {
				continue
			}
			pools := []spec.PoolReport{rep.Pools[0]}
			if p.MarginMode == spec.Isolated {
				for _, pl := range rep.Pools {
					if pl.Position == i {
						pools = append(pools, pl)
					}
				}
				if a.WalletBalance.Sign() < 0 {
					return fmt.Sprintf("TRD-5: %s's isolated open in %s left its wallet at %s", side.id, ev.Market, a.WalletBalance)
				}
			}
			for _, pl := range pools {
				if pl.Equity.LessThan(pl.InitialMargin.Sub(units(1))) {
					return fmt.Sprintf("TRD-5: after %s's risk-increasing trade in %s, its %s pool has equity %s below the initial margin %s",
						side.id, ev.Market, pl.Pool, pl.Equity, pl.InitialMargin)
				}
			}
		}
	}
	return ""
}

// checkWithdrawLimit is what LED-9 implies for an accepted withdrawal by a
// trader, judged by the engine's own query on the state after it: the wallet
// is >= 0 and WB + sum over cross positions of min(U, 0) >= IM of the cross
// pool (unrealized profit is not withdrawable). On reported values (U
// rounded down, IM up) the bound loses one unit per position and one for IM.
func (e *env) checkWithdrawLimit(ev spec.Event, after *spec.State) string {
	a, ok := after.Accounts[ev.Account]
	if !ok {
		return "" // the fund may withdraw up to its wallet
	}
	if a.WalletBalance.Sign() < 0 {
		return fmt.Sprintf("LED-9: the withdrawal left %s's wallet at %s", ev.Account, a.WalletBalance)
	}
	rep, ok := e.queryAccount(after, a)
	if !ok {
		return ""
	}
	lhs, n := a.WalletBalance, int64(0)
	for i, p := range a.Positions {
		if p.MarginMode == spec.Isolated {
			continue
		}
		lhs = lhs.Add(decimal.Min(rep.Positions[i].UnrealizedPnl, decimal.Zero))
		n++
	}
	if im := rep.Pools[0].InitialMargin; lhs.LessThan(im.Sub(units(n + 1))) {
		return fmt.Sprintf("LED-9: after withdrawing %s, %s has WB + sum min(U, 0) = %s below the cross initial margin %s: unrealized profit was withdrawn",
			ev.Amount.Decimal, ev.Account, lhs, im)
	}
	return ""
}

// queryAccount is the engine's own report on one account of a ledger state
// (the judge of LQ-1, TRD-5 and LED-9 after an event). ok is false when the
// account is not a valid scenario (SPEC OPEN-1, OPEN-2: a negative wallet or
// isolated margin) or the query fails; such accounts are not judged.
func (e *env) queryAccount(st *spec.State, a spec.Account) (rep *spec.Report, ok bool) {
	defer func() {
		if recover() != nil {
			rep, ok = nil, false
		}
	}()
	s := scenarioOfAccount(st, a)
	ctx := func() []Counterexample { return scenarioItems([]named{{"account query", s}}) }
	if e.current != nil {
		ctx = func() []Counterexample {
			return append(runItems(e.current()), scenarioItems([]named{{"account query", s}})...)
		}
	}
	var err error
	e.call("Evaluate", ctx, func() { rep, err = e.engine.Evaluate(s) })
	return rep, err == nil && rep != nil
}
