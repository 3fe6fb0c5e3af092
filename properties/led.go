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
// the differential variant also compares every step with the oracle's
// ledger (LED-4/stateful-invariants, LED-6/differential-ledger).

// ledgerRun is one ledger under test and the run so far.
type ledgerRun struct {
	e      *env
	input  *spec.State // the generated initial state, as given to NewLedger
	inCopy *spec.State // its Clone when generated (LED-7: never modified)
	book   *book       // the book of st, nil when not yet read
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
	e.notSupported("NewLedger", err)
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
	s.e.notSupported("Apply", err)
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
	evCopy := ev // an Event has no slice or map: a copy is deep
	func() {
		defer func() { panicked = recover() }()
		effects, err = r.l.Apply(ev)
	}()
	if panicked != nil {
		r.fail(t, "LED-7: Apply panicked on event %d (%s): %v", k, ev.Type, panicked)
	}
	if evCopy != ev {
		r.fail(t, "LED-7: Apply modified its event %d (%s)", k, ev.Type)
	}
	if d := spec.DiffExact(r.inCopy, r.input); d != nil {
		r.fail(t, "LED-7: the ledger modified the caller's initial state during event %d (%s):\n  %s", k, ev.Type, diffText(d))
	}
	after := r.state(t)
	if r.o != nil {
		oeff, oerr := r.o.Apply(ev)
		if a, b := r.e.errKey(err), r.e.errKey(oerr); a != b {
			r.fail(t, "event %d (%s): error differs from the oracle's:\nengine: %s\noracle: %s", k, ev.Type, a, b)
		}
		if d := spec.Diff(effects, oeff); d != nil && r.e.caps.hasOutputs("effects") {
			r.fail(t, "LED-6: event %d (%s): effects differ from the oracle's (engine vs oracle):\n  %s\nengine: %s\noracle: %s", k, ev.Type, diffText(d), effectsJSON(effects), effectsJSON(oeff))
		}
		if d := spec.Diff(canonicalState(after), canonicalState(r.o.State())); d != nil {
			r.fail(t, "event %d (%s): state differs from the oracle's (engine vs oracle):\n  %s", k, ev.Type, diffText(d))
		}
	}
	if r.e.caps.hasOutputs(stepOutputs...) { // else a ledger of final states only (outputNeeds)
		if r.book == nil {
			r.book = bookOf(before)
		}
		msg, afterBook := checkStep(r.e, k, before, r.book.clone(), ev, effects, err, after)
		r.book = afterBook // nil when not computed
		if msg != "" {
			r.fail(t, "event %d (%s): %s", k, ev.Type, msg)
		}
	}
	r.st = after
	if st := r.e.stats; st != nil {
		st.count(before, ev, effects, err)
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
	keys = append(keys, string(gen.Open)+"#2", string(gen.Open)+"#3", string(gen.Reduce)+"#2", string(gen.PriceMove)+"#2", string(gen.PriceNearLiquidation)+"#2", string(gen.PriceSame)+"#2", string(gen.Boundary)+"#2")
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
//
// beforeBook is the book of before, which checkStep may modify; afterBook is
// the book of after, or nil when the event failed.
func checkStep(e *env, k int, before *spec.State, beforeBook *book, ev spec.Event, effects []spec.Effect, err error, after *spec.State) (msg string, afterBook *book) {
	if msg := e.checkLimits(before, ev, err); msg != "" {
		return msg, afterBook
	}
	if err != nil {
		me, ok := err.(*spec.Error)
		if !ok {
			return fmt.Sprintf("LED-7: the error is a %T, not a *model.Error: %v", err, err), afterBook
		}
		if prefix := fmt.Sprintf("events[%d].", k); !strings.HasPrefix(me.Path, prefix) {
			return fmt.Sprintf("LED-7: error path %q does not start with %q (%v)", me.Path, prefix, err), afterBook
		}
		if len(effects) != 0 {
			return fmt.Sprintf("LED-7: a failed event returned %d effects", len(effects)), afterBook
		}
		if d := spec.Diff(before, after); d != nil {
			return fmt.Sprintf("LED-7: the event failed (%v) but changed the state (before vs after):\n  %s", err, diffText(d)), afterBook
		}
		if ev.Type == spec.EventSetLeverage && me.Rule == "LED-9" {
			return checkLeverageRejection(before, ev, me), afterBook
		}
		return "", afterBook
	}
	if effects == nil {
		return "LED-6: a successful event returned nil effects (want a non-nil, possibly empty, list)", afterBook
	}
	afterBook = bookOf(after)
	if msg := checkPositiveBasis(after); msg != "" {
		return msg, afterBook
	}
	if msg := checkLED4Book(after, afterBook); msg != "" {
		return msg, afterBook
	}
	rp := &replay{e: e, k: k, ev: ev, before: before, after: after, b: beforeBook, afterBook: afterBook}
	if msg := rp.run(effects); msg != "" {
		return msg, afterBook
	}
	// LED-4: conservation.
	want := rp.start.Add(rp.deposits).Sub(rp.withdrawals)
	if got := afterBook.total(); !got.Equal(want) {
		return fmt.Sprintf("LED-4: the ledger accounts sum to %s after the event, want %s (before %s, deposits %s, withdrawals %s)",
			got, want, rp.start, rp.deposits, rp.withdrawals), afterBook
	}
	if msg := rp.compareWithAfter(); msg != "" {
		return msg, afterBook
	}
	switch ev.Type {
	case spec.EventDeposit:
		return checkDepositWithdraw(ev, effects), afterBook
	case spec.EventWithdraw:
		if msg := checkDepositWithdraw(ev, effects); msg != "" {
			return msg, afterBook
		}
		return e.checkWithdrawLimit(ev, after), afterBook
	case spec.EventSetLeverage:
		return e.checkLeverageChange(before, ev, after), afterBook
	case spec.EventTrade:
		if msg := checkTrade(before, ev, effects, after); msg != "" {
			return msg, afterBook
		}
		return e.checkTradeMargin(before, ev, after), afterBook
	case spec.EventFunding:
		if msg := checkFunding(before, ev, effects); msg != "" {
			return msg, afterBook
		}
		e.countKept(after)
		return e.checkNoLiquidatable(after), afterBook
	case spec.EventPrice:
		e.countKept(after)
		return e.checkNoLiquidatable(after), afterBook
	}
	return "", afterBook
}

// marginRatesOf names a market's margin rates: "half-initial" (SPEC
// TIER-3:half-initial), "explicit-imr" (TIER-5's initialMarginRate) or
// "given".
func marginRatesOf(m spec.Market) string {
	switch {
	case variantOf(m, "maintenanceRate") == spec.MaintenanceRateHalfInitial:
		return "half-initial"
	case len(m.Tiers) > 0 && m.Tiers[0].InitialMarginRate != nil:
		return "explicit-imr"
	}
	return "given"
}

// isRule reports whether err is a *spec.Error of rule.
func isRule(err error, rule string) bool {
	se, ok := err.(*spec.Error)
	return ok && se.Rule == rule
}

// ledgerStats counts what ledger runs exercised (for the generators' own
// coverage test).
type ledgerStats struct {
	mu sync.Mutex
	n  map[string]int
}

func (s *ledgerStats) count(before *spec.State, ev spec.Event, effects []spec.Effect, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]int{}
	}
	// The ledger variants (SPEC VAR) the event exercised.
	vname := func(market, key string) string {
		for _, c := range spec.VariantChoices() {
			if c.Key == key {
				return c.Rule + ":" + variantOf(before.Markets[market], key)
			}
		}
		return key
	}
	switch {
	case err == nil && ev.Type == spec.EventFunding:
		s.n["variant "+vname(ev.Market, "fundingCap")+" funding"]++
	case ev.Type == spec.EventSetLeverage && lowersLeverage(before, ev):
		outcome := "applied"
		if err != nil {
			outcome = "rejected"
		}
		s.n["variant "+vname(ev.Market, "setLeverage")+" lowered leverage "+outcome]++
	}
	// The margin rates (SPEC TIER-3:half-initial, TIER-5's explicit rates)
	// of the markets the event exercised.
	switch {
	case ev.Type == spec.EventTrade && err == nil:
		s.n["rates "+marginRatesOf(before.Markets[ev.Market])+" trade applied"]++
	case ev.Type == spec.EventTrade && isRule(err, "TRD-5"):
		s.n["rates "+marginRatesOf(before.Markets[ev.Market])+" trade rejected TRD-5"]++
	case ev.Type == spec.EventWithdraw && err == nil:
		seen := map[string]bool{}
		for _, p := range before.Accounts[ev.Account].Positions {
			if k := marginRatesOf(before.Markets[p.Market]); !seen[k] {
				seen[k] = true
				s.n["rates "+k+" withdraw applied with a position"]++
			}
		}
	}
	for _, f := range effects {
		if f.Type == spec.EffectLiquidation {
			s.n["rates "+marginRatesOf(before.Markets[f.Market])+" liquidation"]++
		}
	}
	for _, f := range effects {
		switch {
		case f.Type == spec.EffectLiquidation && f.Pool == spec.Isolated:
			s.n["variant "+vname(f.Market, "isolatedLeftover")+" isolated liquidation"]++
		case f.Type == spec.EffectFill && f.Kind == "adl" && f.Side == spec.Long:
			s.n["variant "+vname(f.Market, "adlRanking")+" adl"]++
		case f.Type == spec.EffectPosting && f.Reason == "fee" && strings.HasPrefix(f.From, "isolated:"):
			s.n["variant TRD-4:position fee from isolated"]++
		case f.Type == spec.EffectPosting && f.Reason == "fee" && ev.Type == spec.EventTrade:
			s.n["variant "+vname(ev.Market, "isolatedFeePayer")+" fee from wallet"]++
		}
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

// canonicalState is st with the choices SPEC leaves to the engine removed,
// for the differential comparison (spec.Diff, decimals by value): positions
// in market order, each with its cost basis as entryValue and no entryPrice
// (LED-1 allows either), the settlement derived when absent. It copies what
// it changes (the accounts and their positions) and shares the rest
// (markets, prices) with st: only compare the result, never modify it.
func canonicalState(st *spec.State) *spec.State {
	c := *st
	c.Accounts = make(map[string]spec.Account, len(st.Accounts))
	norm := func(a spec.Account) spec.Account {
		a.Positions = append([]spec.Position(nil), a.Positions...)
		ps := a.Positions
		for i := range ps {
			ps[i].EntryValue = nd(ps[i].CostBasis())
			ps[i].EntryPrice = decimal.Zero
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].Market < ps[j].Market })
		return a
	}
	for id, a := range st.Accounts {
		c.Accounts[id] = norm(a)
	}
	c.InsuranceFund = norm(c.InsuranceFund)
	if !c.Settlement.Valid {
		c.Settlement = nd(bookOf(st).get("settlement"))
	}
	return &c
}

func propLedgerInvariants(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.startRun(t, gen.LedgerState(e.gen).Draw(t, "state"), false)
		t.Repeat(r.actions(t))
		r.checkInput(t)
	}
}

func propLedgerDifferential(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.startRun(t, gen.LedgerState(e.gen).Draw(t, "state"), true)
		t.Repeat(r.actions(t))
		r.checkInput(t)
	}
}

// checkInput is LED-7 for the caller's initial state: at the end of a run
// (and right after NewLedger) it must equal, exactly, its copy taken before
// the ledger saw it. apply also checks it after every event (and that the
// event itself is unchanged): a ledger that keeps the caller's maps and
// writes into them later is caught at the event that does it.
func (r *ledgerRun) checkInput(t *rapid.T) {
	t.Helper()
	if d := spec.DiffExact(r.inCopy, r.input); d != nil {
		r.fail(t, "LED-7: the ledger modified the caller's initial state (by the end of the run, %d events):\n  %s", len(r.events), diffText(d))
	}
}

// prefixRun starts a run on a generated state and applies 0..n random
// events, for the metamorphic properties that need a state with history.
func (e *env) prefixRun(t *rapid.T, c gen.Config, n int) *ledgerRun {
	t.Helper()
	r := e.startRun(t, gen.LedgerState(c).Draw(t, "state"), false)
	steps := rapid.IntRange(0, n).Draw(t, "prefixEvents")
	for i := 0; i < steps; i++ {
		kind := rapid.SampledFrom([]gen.EventKind{gen.Open, gen.Open, gen.Reduce, gen.PriceMove, gen.Deposit}).Draw(t, "prefixKind")
		r.apply(t, gen.LedgerEventOf(r.st, c, kind).Draw(t, "event"))
	}
	r.checkInput(t)
	return r
}

// reload creates a fresh engine ledger from st; a state that SPEC OPEN-1 or
// OPEN-2 makes invalid input (a negative wallet or isolated margin) skips
// the case, any other error fails it.
func (r *ledgerRun) reload(t *rapid.T, st *spec.State) LedgerSession {
	t.Helper()
	l, err := r.e.newLedger(t, st.Clone(), r.runs)
	if err != nil {
		if openGapState(st) {
			t.Skipf("state not reloadable (SPEC OPEN-1/OPEN-2): %v", err)
		}
		r.fail(t, "LED-1: NewLedger rejects the engine's own State(): %v", err)
	}
	return l
}

// openGapState says whether st has a negative trader wallet or isolated
// margin (SPEC OPEN-1, OPEN-2).
func openGapState(st *spec.State) bool {
	for _, a := range st.Accounts {
		if a.WalletBalance.Sign() < 0 {
			return true
		}
		for _, p := range a.Positions {
			if p.IsolatedMargin.Valid && p.IsolatedMargin.Decimal.Sign() < 0 {
				return true
			}
		}
	}
	return false
}

// applyAll applies events to l, recovering panics as errors.
func applyAll(l LedgerSession, evs []spec.Event) (effects [][]spec.Effect, errs []error) {
	for _, ev := range evs {
		var eff []spec.Effect
		var err error
		func() {
			defer func() {
				if v := recover(); v != nil {
					err = fmt.Errorf("panic: %v", v)
				}
			}()
			eff, err = l.Apply(ev)
		}()
		effects, errs = append(effects, eff), append(errs, err)
	}
	return effects, errs
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func ruleOf(err error) string {
	if me, ok := err.(*spec.Error); ok {
		return me.Rule
	}
	return ""
}
